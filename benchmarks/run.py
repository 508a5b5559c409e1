"""cmldyn's benchmark suite: one command, one table per question, every ratio against a baseline
measured in the same run.

    python benchmarks/run.py            # all sections (about three minutes)
    python benchmarks/run.py --only 6   # one section
    python benchmarks/run.py --quick    # fewer repetitions

1. spec-to-ready in-process, cold (no cache) and warm (cache hit), on the CML spec and on a
   generated 1,000-operation spec with recursive schemas, against json.load of the same bytes
   (the floor), prance.ResolvingParser with its defaults, and bravado-core (where installed and
   where it loads);
2. whole-process time of `cmldyn call list_projects` (warm cache) against
   `python -c "import requests; requests.get(...)"` doing the same request;
3. per-call cost over 2,000 sequential calls on loopback against a plain requests.Session and
   http.client (a minimal keep-alive server in another process, so the server costs little);
4. REPL completion per keystroke on the large spec (p50, p95);
5. peak memory (tracemalloc) of loading the large spec, against json.load of it;
6. fresh process to ready, to every callable built, and peak RSS, for generated specs with the traits of
   the Kubernetes and Stripe descriptions (benchmarks/trait_specs.py) and for the CML spec, against a
   process that only json.loads the same file;
7. the simulator: calls per second it answers on loopback (CML's profile and the generic engine on the
   petstore fixture) against a bare http.server handler on the same stack, and a fresh process to a
   simulator serving each trait spec (about 4 MB) against a process that only json.loads it;
8. bash completion: ms per Tab of the completion function (operations, options, -o values, enum values,
   body fields from the word list) against compgen -W and against a Tab that starts Python;
9. cmldyn mcp: tools/list, process start to the first answer (warm cache), search_operations on 1,000
   operations, against a bare MCP SDK server and a substring scan (needs the extra cmldyn[mcp]);
10. the pytest plugin's `cml` fixture: 200 tests that use it in one run against 200 that use nothing, and
   one simulator reset against one list_projects call.

Peers that are not installed are reported as such; `pip install bravado-core` adds that column.
"""

from __future__ import annotations

import argparse
import hashlib
import http.client
import json
import os
import socket
import statistics
import subprocess
import sys
import tempfile
import threading
import time
import tracemalloc
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from typing import Any, Callable

from cmldyn.docs import render_doc

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))
sys.path.insert(0, str(ROOT / "benchmarks"))

from large_spec import make_spec  # noqa: E402

import cmldyn  # noqa: E402
from cmldyn.simulator import Simulator  # noqa: E402

CML_SPEC = ROOT / "cmldyn" / "data" / "cml-api-v2.swagger.json"
TOKEN = "bench-token"


def best_time(fn: Callable[[], Any], runs: int) -> float:
    """The fastest of ``runs`` timings after one warm-up: on a shared 2-core machine the minimum
    is the steadiest estimate of what the code itself costs (the floor is measured the same way)."""
    fn()
    times = []
    for _ in range(runs):
        started = time.perf_counter()
        fn()
        times.append(time.perf_counter() - started)
    return min(times)


class SpecServer:
    """Serves one spec at /api/v2/swagger.json with an ETag (304 on If-None-Match)."""

    def __init__(self, body: bytes) -> None:
        etag = '"' + hashlib.sha256(body).hexdigest()[:16] + '"'

        class Handler(BaseHTTPRequestHandler):
            protocol_version = "HTTP/1.1"

            def setup(self) -> None:
                super().setup()
                self.connection.setsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY, 1)

            def log_message(self, *args: Any) -> None:
                return

            def do_GET(self) -> None:
                if self.headers.get("If-None-Match") == etag:
                    self.send_response(304)
                    self.send_header("ETag", etag)
                    self.send_header("Content-Length", "0")
                    self.end_headers()
                    return
                self.send_response(200)
                self.send_header("Content-Type", "application/json")
                self.send_header("ETag", etag)
                self.send_header("Content-Length", str(len(body)))
                self.end_headers()
                self.wfile.write(body)

        self.server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self.server.daemon_threads = True
        self.url = f"http://127.0.0.1:{self.server.server_address[1]}"
        threading.Thread(target=self.server.serve_forever, daemon=True).start()

    def close(self) -> None:
        self.server.shutdown()
        self.server.server_close()


# ---------------------------------------------------------------- 1. spec to ready

def _spec_rows(body: bytes, label: str, runs: int) -> list[tuple[str, float | str]]:
    """The section-1 rows of one spec: the json.load floor, cmldyn cold and warm, the peers."""
    path = Path(tempfile.mkdtemp()) / f"{label}.json"
    path.write_bytes(body)
    floor = best_time(lambda: json.loads(path.read_bytes()), runs)
    rows: list[tuple[str, float | str]] = [("json.load (floor)", floor)]
    server = SpecServer(body)
    try:
        def cold() -> None:
            api = cmldyn.Client(server.url, TOKEN, spec=str(path))
            name = _middle(api)
            api.prepare(name, *_dummy_args(api, name))

        rows.append(("cmldyn cold: file -> ready + one call built", best_time(cold, runs)))
        cache_dir = tempfile.mkdtemp()
        cmldyn.Client(server.url, TOKEN, cache=cache_dir)

        def warm() -> None:
            api = cmldyn.Client(server.url, TOKEN, cache=cache_dir)
            assert api.spec_state == "cache (not modified)"
            name = _middle(api)
            api.prepare(name, *_dummy_args(api, name))

        rows.append(("cmldyn warm: 304 from cache -> ready + call", best_time(warm, runs)))
    finally:
        server.close()
    rows.append(
        (
            "prance.ResolvingParser (defaults)",
            _peer(lambda: __import__("prance").ResolvingParser(str(path)), max(1, runs // 3)),
        )
    )
    rows.append(("bravado-core Spec.from_dict (defaults)", _peer(lambda: _bravado(path), max(1, runs // 3))))
    return rows


def section_spec_to_ready(runs: int) -> list[str]:
    out = ["1. spec-to-ready, in-process (best of %d)" % runs,
           f"   {'spec':10} {'what':44} {'time':>10} {'x json.load':>12}"]
    specs = {"CML": CML_SPEC.read_bytes(), "large": json.dumps(make_spec(1000)).encode()}
    summary = []
    for label, body in specs.items():
        rows = _spec_rows(body, label, runs)
        floor = float(rows[0][1])
        for what, value in rows:
            if isinstance(value, float):
                out.append(f"   {label:10} {what:44} {value * 1000:8.1f}ms {value / floor:11.1f}x")
            else:
                out.append(f"   {label:10} {what:44} {value:>23}")
        ours_cold = rows[1][1]
        peers = [v for _, v in rows[3:] if isinstance(v, float)]
        if peers and isinstance(ours_cold, float):
            summary.append(
                f"   {label}: cold {ours_cold * 1000:.0f} ms vs fastest peer {min(peers) * 1000:.0f} ms; "
                f"warm {rows[2][1] * 1000:.1f} ms = {rows[2][1] / floor:.1f}x json.load"
            )  # type: ignore[operator]
    return out + summary


def _middle(api: Any) -> str:
    """An operation from the middle of the spec, named without listing them all (api.operations
    builds every operation's summary row; a script calling one operation never does)."""
    names = api.model.names()
    return names[len(names) // 2]


def _dummy_args(api: Any, name: str) -> list[Any]:
    op = api.operation(name)
    return (["x"] * len(op.path_params)) if op.body_param is None else [{}] + ["x"] * len(op.path_params)


def _peer(fn: Callable[[], Any], runs: int) -> float | str:
    try:
        import warnings

        with warnings.catch_warnings():
            warnings.simplefilter("ignore")
            return best_time(fn, runs)
    except ImportError:
        return "not installed"
    except Exception as exc:  # a peer that cannot load the spec
        return f"fails: {type(exc).__name__.lstrip('_')}"[:23]


def _bravado(path: Path) -> None:
    from bravado_core.spec import Spec

    Spec.from_dict(json.loads(path.read_bytes()), origin_url="http://127.0.0.1/swagger.json")


# ---------------------------------------------------------------- 2. whole process


def section_whole_process(runs: int) -> list[str]:
    with Simulator(token=TOKEN, speed=0) as sim:
        home = tempfile.mkdtemp()
        env = {
            "PATH": os.environ.get("PATH", "/usr/bin:/bin"),
            "HOME": home,
            "XDG_CACHE_HOME": home + "/cache",
            "CML_HOST": sim.url,
            "CML_API_KEY": TOKEN,
            "PYTHONPATH": str(ROOT),
        }
        ours = [sys.executable, "-m", "cmldyn", "call", "list_projects", "-q", "length(projects)"]
        floor = [
            sys.executable,
            "-c",
            f"import requests; print(len(requests.get({sim.url + '/api/v2/projects'!r}, "
            f"headers={{'authorization': 'Bearer {TOKEN}'}}).json()['projects']))",
        ]
        subprocess.run(ours, env=env, capture_output=True, check=True)  # warm the cache

        def timed(argv: list[str]) -> tuple[float, float]:
            times = []
            for _ in range(runs):
                started = time.perf_counter()
                done = subprocess.run(argv, env=env, capture_output=True, text=True)
                times.append(time.perf_counter() - started)
                assert done.returncode == 0 and done.stdout.strip() == "6", done.stderr
            return min(times), statistics.median(times)

        # Interleaved, so that a busy moment of the machine falls on both.
        pairs = [(timed(floor), timed(ours)) for _ in range(3)]
        base = min(p[0][0] for p in pairs)
        mine = min(p[1][0] for p in pairs)
    return [
        "2. whole process, list_projects against the simulator (best of %d, interleaved)" % (3 * runs),
        f"   python -c 'import requests; requests.get(...)' (floor)   {base * 1000:7.1f} ms   1.00x",
        f"   cmldyn call list_projects (warm spec cache)            {mine * 1000:7.1f} ms   {mine / base:.2f}x",
    ]


# ---------------------------------------------------------------- 3. per call

STATIC_SERVER = r"""
import socket, sys, threading
body = b'{"id":"abcd-1234","name":"demo","creator":{"username":"simuser"}}'
reply = b"HTTP/1.1 200 OK\r\nContent-Type: application/json\r\nContent-Length: " + str(len(body)).encode() + b"\r\n\r\n" + body
def serve(conn):
    conn.setsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY, 1)
    buf = b""
    while True:
        data = conn.recv(65536)
        if not data:
            return
        buf += data
        while b"\r\n\r\n" in buf:
            head, buf = buf.split(b"\r\n\r\n", 1)
            conn.sendall(reply)
s = socket.socket(); s.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1); s.bind(("127.0.0.1", 0)); s.listen(8)
print(s.getsockname()[1], flush=True)
while True:
    c, _ = s.accept()
    threading.Thread(target=serve, args=(c,), daemon=True).start()
"""


def section_per_call(calls: int) -> list[str]:
    import requests

    proc = subprocess.Popen([sys.executable, "-c", STATIC_SERVER], stdout=subprocess.PIPE, text=True)
    try:
        port = int(proc.stdout.readline())  # type: ignore[union-attr]
        url = f"http://127.0.0.1:{port}"
        api = cmldyn.Client(url, TOKEN, spec=str(CML_SPEC))
        session = requests.Session()
        session.headers["authorization"] = "Bearer " + TOKEN
        conn = http.client.HTTPConnection("127.0.0.1", port)

        def via_http_client() -> None:
            conn.request("GET", "/api/v2/projects/abcd-1234", headers={"authorization": "Bearer " + TOKEN})
            json.loads(conn.getresponse().read())

        results = {}
        for name, fn in (
            ("http.client", via_http_client),
            ("requests.Session (baseline)", lambda: session.get(url + "/api/v2/projects/abcd-1234").json()),
            ("cmldyn api.get_project(pid)", lambda: api.get_project("abcd-1234")),
        ):
            for _ in range(100):
                fn()
            best = []
            for _ in range(3):
                started = time.perf_counter()
                for _ in range(calls):
                    fn()
                best.append((time.perf_counter() - started) / calls)
            results[name] = min(best)
    finally:
        proc.kill()
    base = results["requests.Session (baseline)"]
    return [f"3. per call, {calls} sequential GETs on loopback (best of 3)"] + [
        f"   {name:30} {value * 1e6:8.0f} µs   {value / base:.2f}x" for name, value in results.items()
    ]


# ---------------------------------------------------------------- 4. completion


def section_completion() -> list[str]:
    done = subprocess.run(
        [sys.executable, str(ROOT / "benchmarks" / "completion.py")], capture_output=True, text=True, check=True
    )
    return ["4. REPL completion per keystroke"] + ["   " + line for line in done.stdout.strip().splitlines()]


def section_mcp() -> list[str]:
    done = subprocess.run(
        [sys.executable, str(ROOT / "benchmarks" / "mcp_server.py")], capture_output=True, text=True
    )
    if done.returncode != 0:
        return ["9. cmldyn mcp", "   not measured: " + (done.stderr.strip().splitlines() or ["?"])[-1]]
    return ["9. cmldyn mcp"] + ["   " + line for line in done.stdout.strip().splitlines()]


def section_testing_fixture() -> list[str]:
    done = subprocess.run(
        [sys.executable, str(ROOT / "benchmarks" / "testing_fixture.py")], capture_output=True, text=True, check=True
    )
    return ["10. the cml fixture (benchmarks/testing_fixture.py)", *("   " + line for line in done.stdout.splitlines())]


def section_stubs() -> list[str]:
    done = subprocess.run(
        [sys.executable, str(ROOT / "benchmarks" / "stubs.py")], capture_output=True, text=True, check=True
    )
    return ["11. typed stubs (benchmarks/stubs.py)", *("   " + line for line in done.stdout.splitlines())]


def section_startup() -> list[str]:
    done = subprocess.run(
        [sys.executable, str(ROOT / "benchmarks" / "startup.py")], capture_output=True, text=True, check=True
    )
    return ["12. what users feel, against the targets (benchmarks/startup.py)",
            *("   " + line for line in done.stdout.splitlines())]


def section_shell_completion() -> list[str]:
    done = subprocess.run(
        [sys.executable, str(ROOT / "benchmarks" / "shell_completion.py")], capture_output=True, text=True, check=True
    )
    return ["8. shell completion per Tab"] + ["   " + line for line in done.stdout.strip().splitlines()]


# ---------------------------------------------------------------- 5. memory


def section_memory() -> list[str]:
    body = json.dumps(make_spec(1000)).encode()
    path = Path(tempfile.mkdtemp()) / "large.json"
    path.write_bytes(body)

    def peak(fn: Callable[[], Any]) -> int:
        tracemalloc.start()
        keep = fn()
        _, top = tracemalloc.get_traced_memory()
        tracemalloc.stop()
        del keep
        return top

    floor = peak(lambda: json.loads(path.read_bytes()))

    def loaded() -> Any:
        api = cmldyn.Client("http://127.0.0.1:9", TOKEN, spec=str(path))
        api.prepare("get_widget0100", "x")
        return api

    def documented() -> Any:
        api = loaded()
        for name in api.model.names()[:50]:  # past 24 operations the whole spec is resolved at once
            render_doc(api.operation(name))
        return api

    ours = peak(loaded)
    more = peak(documented)
    return [
        "5. peak memory loading the 1,000-operation spec (tracemalloc)",
        f"   json.load (baseline)                          {floor / 2**20:6.1f} MB   1.00x",
        f"   cmldyn loaded (ready + one call built)        {ours / 2**20:6.1f} MB   {ours / floor:.2f}x",
        f"   cmldyn + 50 operations documented             {more / 2**20:6.1f} MB   {more / floor:.2f}x",
    ]


# ---------------------------------------------------------------- 6. specs with the traits of large public ones

_CHILD = r"""
import sys, time
started = time.perf_counter()
mode, path = sys.argv[1], sys.argv[2]
if mode == "json":
    import json
    json.load(open(path, "rb"))
else:
    import cmldyn
    api = cmldyn.Client("http://127.0.0.1:9", "k", spec=path)  # a file: the host is never contacted
    names = api.model.names()
    if mode == "ready":
        getattr(api, names[len(names) // 2])
    else:
        for name in names:
            getattr(api, name)
peak = next(int(line.split()[1]) for line in open("/proc/self/status") if line.startswith("VmHWM:"))
print(peak)
"""


def _fresh(mode: str, path: Path) -> tuple[float, int]:
    """Wall time of a fresh interpreter doing ``mode`` (start-up included), and its peak RSS in KB."""
    started = time.perf_counter()
    done = subprocess.run([sys.executable, "-c", _CHILD, mode, str(path)], capture_output=True, text=True,
                          env={"PATH": os.environ.get("PATH", "/usr/bin:/bin"), "PYTHONPATH": str(ROOT)})
    took = time.perf_counter() - started
    if done.returncode != 0:
        raise RuntimeError(done.stderr[-2000:])
    return took, int(done.stdout.split()[-1])


def section_traits(runs: int) -> list[str]:
    """Fresh process to ready, every callable built, and peak RSS, against a process that only json.loads
    the same file. Runs are interleaved and the best of each kind is kept."""
    from trait_specs import write

    directory = Path(tempfile.mkdtemp())
    specs = {**{name: path for name, path in write(directory).items()}, "CML": CML_SPEC}
    out = [f"6. fresh process, specs with the traits of large public ones (best of {runs}, interleaved)",
           f"   {'spec':16} {'size':>7} {'json.load':>10} {'ready':>16} {'every op built':>20} {'peak RSS':>16}"]
    for name, path in specs.items():
        best: dict[str, tuple[float, int]] = {}
        modes = ("json", "ready") if name == "CML" else ("json", "ready", "all")
        for _ in range(runs):
            for mode in modes:
                took, rss = _fresh(mode, path)
                seen = best.get(mode)
                best[mode] = (min(took, seen[0]) if seen else took, min(rss, seen[1]) if seen else rss)
        base_t, base_rss = best["json"]
        ready = best["ready"][0]
        cell = f"{ready * 1000:6.0f} ms {ready / base_t:4.1f}x"
        if "all" in best:
            every, rss = best["all"]
            built, peak = f"{every * 1000:6.0f} ms {every / base_t:4.1f}x", f"{rss / 1024:5.0f} MB {rss / base_rss:4.1f}x"
        else:
            built, peak = "", f"{best['ready'][1] / 1024:5.0f} MB {best['ready'][1] / base_rss:4.1f}x"
        size = f"{path.stat().st_size / 2**20:.1f} MB"
        out.append(f"   {name:16} {size:>7} {base_t * 1000:7.0f} ms {cell:>16} {built:>20} {peak:>16}")
    out.append("   targets: ready <= 0.25 s and every op <= 0.6 s for the trait specs, CML ready <= 0.15 s, "
               "peak RSS <= 3x the json.load process")
    return out


# ---------------------------------------------------------------- 7. the simulator

_SIM_CHILD = r"""
import sys, time, urllib.request
if sys.argv[1] == "json":
    import json
    json.load(open(sys.argv[2], "rb"))
else:
    from cmldyn.simulator import Simulator
    sim = Simulator(spec=sys.argv[2], token="k", speed=0).start()
    urllib.request.urlopen(sim.url + "/openapi.json").read()  # serving: the first answer is out
peak = next(int(line.split()[1]) for line in open("/proc/self/status") if line.startswith("VmHWM:"))
print(peak)
"""


def _checking_cost(sim: Simulator, pid: str, calls: int) -> list[str]:
    """What checking every answer against the spec costs per call: the end-to-end calls with checking
    off and on (interleaved rounds, best of each), and the check alone timed on the same answers, as a
    share of the unchecked call (steadier on a shared machine: no network in it)."""
    from cmldyn.contract import check_answer

    off = cmldyn.Client(sim.url, TOKEN, spec=str(CML_SPEC), check=False)
    on = cmldyn.Client(sim.url, TOKEN, spec=str(CML_SPEC))
    out = [f"   answers checked against the spec, per call on the CML simulator (best of 7 rounds of {calls // 4})"]
    for label, name, call in (("get_project", "get_project", lambda api: api.get_project(pid)),
                              ("list_projects (6 items)", "list_projects", lambda api: api.list_projects())):
        best = {"off": float("inf"), "on": float("inf")}
        for _ in range(7):
            for key, api in (("off", off), ("on", on)):
                api.contract.clear()
                started = time.perf_counter()
                for _ in range(calls // 4):
                    call(api)
                len(api.contract.findings)  # the lazy report is settled inside the timing
                best[key] = min(best[key], (time.perf_counter() - started) / (calls // 4))
        op = on.model.get(name)
        answer = call(off).to_dict()
        alone = min(_per_call(lambda op=op, answer=answer: check_answer(op, 200, "application/json", answer), 500)
                    for _ in range(7))
        out.append(f"   {label:24} unchecked {best['off'] * 1e6:6.0f} µs   checked {best['on'] * 1e6:6.0f} µs "
                   f"({best['on'] / best['off']:.3f}x)   the check alone {alone * 1e6:5.0f} µs "
                   f"({1 + alone / best['off']:.3f}x)")
    off.close()
    on.close()
    return out + ["   target: checking costs at most 10% of a loopback call (1.10x)"]


def _per_call(fn: Callable[[], Any], times: int) -> float:
    started = time.perf_counter()
    for _ in range(times):
        fn()
    return (time.perf_counter() - started) / times


def section_simulator(calls: int, runs: int) -> list[str]:
    import requests
    from trait_specs import write

    petstore = ROOT / "fixtures" / "specs" / "petstore-3.0.yaml"
    bare = SpecServer(b'{"id": 1, "name": "rex"}')  # a bare http.server handler: the same stack, no work
    cml = Simulator(token=TOKEN, speed=0).start()
    generic = Simulator(spec=petstore, token=TOKEN, speed=0).start()
    session = requests.Session()
    session.trust_env = False
    session.headers["authorization"] = "Bearer " + TOKEN
    try:
        pid = session.get(cml.url + "/api/v2/projects").json()["projects"][0]["id"]
        targets = {
            "bare http.server handler (baseline)": bare.url + "/x",
            "CML profile: get_project": f"{cml.url}/api/v2/projects/{pid}",
            "CML profile: list_projects": f"{cml.url}/api/v2/projects",
            "generic engine: get_pet": generic.url + "/api/v3/pets/1",
            "generic engine: list_pets": generic.url + "/api/v3/pets",
        }
        rates: dict[str, float] = {}
        for name, url in targets.items():
            assert session.get(url).status_code == 200, url
            best = []
            for _ in range(3):
                started = time.perf_counter()
                for _ in range(calls):
                    _ = session.get(url).content
                best.append(calls / (time.perf_counter() - started))
            rates[name] = max(best)
        checking = _checking_cost(cml, pid, calls)
    finally:
        cml.stop()
        generic.stop()
        bare.close()
    base = rates["bare http.server handler (baseline)"]
    out = [f"7. the simulator on loopback, {calls} sequential GETs through requests.Session (best of 3)"]
    out += [f"   {name:38} {rate:7.0f} calls/s   {rate / base:.2f}x" for name, rate in rates.items()]
    out += checking
    directory = Path(tempfile.mkdtemp())
    out.append(f"   fresh process to a simulator serving the spec (best of {runs}, interleaved)")
    for name, path in write(directory).items():
        best_json = best_sim = float("inf")
        for _ in range(runs):
            for mode in ("json", "sim"):
                started = time.perf_counter()
                subprocess.run([sys.executable, "-c", _SIM_CHILD, mode, str(path)], check=True, capture_output=True,
                               env={"PATH": os.environ.get("PATH", "/usr/bin:/bin"), "PYTHONPATH": str(ROOT)})
                took = time.perf_counter() - started
                if mode == "json":
                    best_json = min(best_json, took)
                else:
                    best_sim = min(best_sim, took)
        size = path.stat().st_size / 2**20
        out.append(f"   {name:16} {size:4.1f} MB   json.load {best_json * 1000:5.0f} ms   "
                   f"simulator serving {best_sim * 1000:5.0f} ms   {best_sim / best_json:.1f}x")
    return out


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--quick", action="store_true", help="fewer repetitions")
    parser.add_argument("--only", type=int, action="append", help="run only this section (repeatable)")
    args = parser.parse_args()
    runs = 3 if args.quick else 9
    print(f"cmldyn {cmldyn.__version__} benchmarks · python {sys.version.split()[0]} · {os.cpu_count()} cores")
    sections = (
        lambda: section_spec_to_ready(runs),
        lambda: section_whole_process(runs),
        lambda: section_per_call(500 if args.quick else 2000),
        section_completion,
        section_memory,
        lambda: section_traits(3 if args.quick else 7),
        lambda: section_simulator(300 if args.quick else 1000, 3 if args.quick else 5),
        section_shell_completion,
        section_mcp,
        section_testing_fixture,
        section_stubs,
        section_startup,
    )
    for number, section in enumerate(sections, start=1):
        if args.only and number not in args.only:
            continue
        print()
        print("\n".join(section()), flush=True)


if __name__ == "__main__":
    main()
