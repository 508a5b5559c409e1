"""What users feel: start-up, one call, building every operation, checking answers. Each figure is a ratio
against its baseline measured in the same run (fresh processes where a process is what is timed, runs
interleaved, medians), with the target it is held to.

    python benchmarks/startup.py [--runs 11]

| figure | baseline | target |
| `cmldyn call list_projects`, warm spec cache | a script: requests.get + print | <= 1.15x |
| `cmldyn --version` | python -c pass | <= 2x |
| REPL first prompt on a pty, warm cache | python -c pass | <= 8x |
| Kubernetes-like spec, every operation built | json.load of it | <= 4x |
| one call, answers checked | requests (trust_env=False) | <= 1.10x |
| checking a 600-item list answer | decoding it | <= 10% |
"""

from __future__ import annotations

import argparse
import json
import os
import pty
import select
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT / "benchmarks"))
BIN = Path(sys.executable).parent


def wall(command: list[str], env: dict[str, str]) -> float:
    started = time.perf_counter()
    done = subprocess.run(command, env=env, capture_output=True)
    took = time.perf_counter() - started
    if done.returncode != 0:
        raise SystemExit(f"{command}: {done.stderr.decode(errors='replace')[-1500:]}")
    return took


def first_prompt(command: list[str], env: dict[str, str]) -> float:
    """Seconds from start until the REPL's prompt is on the terminal."""
    started = time.perf_counter()
    pid, fd = pty.fork()
    if pid == 0:  # the child: the REPL on the pty
        os.execvpe(command[0], command, env)
    seen = b""
    try:
        while b">>>" not in seen and time.perf_counter() - started < 30:
            ready, _, _ = select.select([fd], [], [], 0.5)
            if ready:
                try:
                    seen += os.read(fd, 65536)
                except OSError:
                    break
        return time.perf_counter() - started
    finally:
        os.kill(pid, 9)
        os.waitpid(pid, 0)
        os.close(fd)


def interleaved(pairs: dict[str, tuple], runs: int) -> dict[str, tuple[float, float]]:
    times: dict[str, tuple[list[float], list[float]]] = {k: ([], []) for k in pairs}
    for _ in range(runs):
        for name, (ours, base) in pairs.items():
            times[name][1].append(base())
            times[name][0].append(ours())
    return {k: (statistics.median(a), statistics.median(b)) for k, (a, b) in times.items()}


def row(name: str, ours: float, base: float, target: float, unit: str = "s", percent: bool = False) -> str:
    ratio = ours / base
    shown = f"{ratio * 100:5.0f}%" if percent else f"{ratio:5.2f}x"
    limit = f"{target * 100:.0f}%" if percent else f"{target:.2f}x"
    scale = 1000 if unit == "ms" else 1
    return (f"   {name:44} {ours * scale:8.3f} {unit} vs {base * scale:8.3f} {unit}  {shown}  target <= {limit}: "
            + ("met" if ratio <= target else "MISSED"))


def in_process(runs: int) -> list[str]:
    import requests
    from trait_specs import write

    import cmldyn
    from cmldyn.contract import check_answer
    from cmldyn.simulator import Simulator

    out = []
    spec = write(Path(tempfile.mkdtemp()))["kubernetes-like"]
    builds, loads = [], []
    for _ in range(runs):
        started = time.perf_counter()
        json.loads(Path(spec).read_bytes())
        loads.append(time.perf_counter() - started)
        started = time.perf_counter()
        api = cmldyn.Client("http://127.0.0.1:9", "unused", spec=str(spec), cache=False)
        for name in api.model.operations:
            getattr(api, name)
        builds.append(time.perf_counter() - started)
    out.append(row("Kubernetes-like, every operation built", statistics.median(builds), statistics.median(loads), 4.0))

    with Simulator(speed=0) as sim:
        api = cmldyn.Client(sim.url, sim.token, cache=False)
        session = requests.Session()
        session.trust_env = False
        headers = {"authorization": f"Bearer {sim.token}"}
        url = sim.url + "/api/v2/projects?page_size=5"
        ours, base = [], []
        for _ in range(runs):
            started = time.perf_counter()
            for _ in range(200):
                session.get(url, headers=headers).json()
            base.append((time.perf_counter() - started) / 200)
            started = time.perf_counter()
            for _ in range(200):
                api.list_projects(page_size=5)
            _ = api.contract.findings  # the checks queued by the calls are done and counted here
            ours.append((time.perf_counter() - started) / 200)
        out.append(row("one call, answers checked", statistics.median(ours), statistics.median(base), 1.10, "ms"))
        project = api.list_projects(page_size=1).to_dict()["projects"][0]
        body = json.dumps({"projects": [dict(project, id=f"p{i}", name=f"n{i}",
                                             created_at=f"2026-01-{1 + i % 28:02d}T10:{i % 60:02d}:00Z")
                                        for i in range(600)], "next_page_token": ""}).encode()
        op = api.model.get("list_projects")
        decode, checking = [], []
        for _ in range(runs):
            started = time.perf_counter()
            data = json.loads(body)
            decode.append(time.perf_counter() - started)
            started = time.perf_counter()
            check_answer(op, 200, "application/json", data)
            checking.append(time.perf_counter() - started)
        out.append(row("checking a 600-item list answer", statistics.median(checking), statistics.median(decode), 0.10,
                       "ms", percent=True))
    return out


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--runs", type=int, default=11)
    args = parser.parse_args()
    home = Path(tempfile.mkdtemp())
    env = {**os.environ, "XDG_CACHE_HOME": str(home / "cache"), "XDG_CONFIG_HOME": str(home / "config"),
           "XDG_DATA_HOME": str(home / "data"), "HOME": str(home), "NO_COLOR": "1"}
    env.pop("CML_HOST", None)
    port = "18" + str(os.getpid() % 1000).zfill(3)
    sim = subprocess.Popen([str(BIN / "cmldyn"), "sim", "--port", port, "--token", "bench-key"], env=env,
                           stdout=subprocess.PIPE, stderr=subprocess.DEVNULL)
    try:
        sim.stdout.readline()  # type: ignore[union-attr]  # listening
        host = f"http://127.0.0.1:{port}"
        env["CML_API_KEY"] = "bench-key"
        call = [str(BIN / "cmldyn"), "--host", host, "call", "list_projects", "--page-size", "2"]
        wall(call, env)  # the spec into the cache: the runs below are warm
        script = home / "plain.py"
        script.write_text("import requests, json, sys\n"
                          f"r = requests.get('{host}/api/v2/projects?page_size=2', "
                          "headers={'authorization': 'Bearer bench-key'})\nprint(json.dumps(r.json(), indent=2))\n")
        py = [sys.executable]
        found = interleaved({
            "call": (lambda: wall(call, env), lambda: wall([*py, str(script)], env)),
            "version": (lambda: wall([str(BIN / "cmldyn"), "--version"], env), lambda: wall([*py, "-c", "pass"], env)),
            "repl": (lambda: first_prompt([str(BIN / "cmldyn"), "--host", host, "repl", "--no-history"], env),
                     lambda: wall([*py, "-c", "pass"], env)),
        }, args.runs)
    finally:
        sim.kill()
        sim.wait()
    print(f"what users feel (medians of {args.runs}; fresh processes, interleaved)")
    print(row("cmldyn call list_projects, warm cache", *found["call"], 1.15))
    print(row("cmldyn --version", *found["version"], 2.0))
    print(row("REPL first prompt on a pty, warm cache", *found["repl"], 8.0))
    for line in in_process(args.runs):
        print(line)


if __name__ == "__main__":
    main()
