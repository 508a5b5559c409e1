"""The stubs' cost: how long `cmldyn stubs` takes, how large the stubs are, and how long a type checker takes
to check a short script against them, on the CML spec and on the Kubernetes-like trait spec (1,100 operations).

    python benchmarks/stubs.py [--runs 3]

The baseline, measured in the same run: the same checker on a script that imports nothing (its own start-up
and the standard library's stubs). Figures are medians, wall time, each checker in a fresh process with no
cache (mypy --strict --no-incremental; pyright when it can run).
"""

from __future__ import annotations

import argparse
import os
import shutil
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT / "benchmarks"))

SCRIPTS = {
    "cml": "import cmlapi\nclient = cmlapi.default_client()\nprint(client.list_projects(page_size=1).projects[0].name)\n",
    "kubernetes-like": "import cmldyn\napi = cmldyn.Client('https://k.invalid', 't')\n"
                       "print(api.list_namespaced_custom_resource_definition('default'))\n",
}
PLAIN = "import json\nprint(json.dumps({'a': 1}))\n"


def timed(command: list[str], cwd: Path, env: dict[str, str], runs: int) -> float:
    took = []
    for _ in range(runs):
        started = time.perf_counter()
        done = subprocess.run(command, cwd=cwd, env=env, capture_output=True, text=True)
        took.append(time.perf_counter() - started)
        if done.returncode != 0:  # the scripts are clean: a failure is the benchmark's, said in full
            raise SystemExit(done.stdout[-2000:] + done.stderr[-2000:])
    return statistics.median(took)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--runs", type=int, default=3)
    args = parser.parse_args()
    from trait_specs import write

    import cmldyn
    from cmldyn.stubs import write_stubs

    folder = Path(tempfile.mkdtemp())
    specs = {"cml": ROOT / "cmldyn" / "data" / "cml-api-v2.swagger.json", **write(folder)}
    pyright = shutil.which("pyright") or str(Path(sys.executable).with_name("pyright"))
    try:
        has_pyright = subprocess.run([pyright, "--version"], capture_output=True, timeout=120).returncode == 0
    except (OSError, subprocess.TimeoutExpired):
        has_pyright = False
    print("stubs: written, their size, and a short script type-checked against them (medians; baseline: the "
          "checker on a script that imports nothing)")
    for name, script in SCRIPTS.items():
        api = cmldyn.Client("http://127.0.0.1:9", "unused", spec=str(specs[name]), cache=False)
        where = folder / name
        started = time.perf_counter()
        report = write_stubs(api.model, str(where / "typings"), source=name)
        wrote = time.perf_counter() - started
        (where / "script.py").write_text(script)
        (where / "plain.py").write_text(PLAIN)
        env = {**os.environ, "MYPYPATH": str(where / "typings")}
        mypy = [sys.executable, "-m", "mypy", "--strict", "--no-incremental", "--cache-dir", os.devnull]
        base = timed([*mypy, "plain.py"], where, env, args.runs)
        checked = timed([*mypy, "script.py"], where, env, args.runs)
        print(f"   {name:16} {report.operations:5} operations, {report.classes:4} classes: written in {wrote:.2f} s, "
              f"{report.files} files, {report.bytes / 1024:.0f} KB (_workspace.pyi "
              f"{(where / 'typings' / 'cmldyn' / '_workspace.pyi').stat().st_size / 1024:.0f} KB)")
        print(f"   {'':16} mypy --strict: {checked:.2f} s, {checked / base:.2f}x the baseline ({base:.2f} s)")
        if has_pyright:
            pbase = timed([pyright, "plain.py"], where, env, args.runs)
            pchecked = timed([pyright, "script.py"], where, env, args.runs)
            print(f"   {'':16} pyright:       {pchecked:.2f} s, {pchecked / pbase:.2f}x the baseline ({pbase:.2f} s)")
        else:
            print(f"   {'':16} pyright: cannot run here")


if __name__ == "__main__":
    main()
