"""The `cml` fixture's cost: 200 function-scoped tests that use it, in one pytest run, and one reset.

    python benchmarks/testing_fixture.py [--tests 200]

Three pytest runs of a generated test file, each in a fresh process, timed from outside:
- ``bare``: the same number of tests that use no fixture (the floor: pytest itself);
- ``cml``: each test takes the fixture, puts a project into the state and lists projects through
  ``cmlapi.default_client()``, as code under test would (a new client per test, its spec fetched);
- ``cml + api``: the same through the shared ``cml.api`` client.
Then ``Simulator.reset()`` on the CML simulator, timed in-process over 500 resets, against one
``list_projects`` call over loopback in the same run. Target: 200 tests with the fixture in at most 20 s.
"""

from __future__ import annotations

import argparse
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent

BODIES = {
    "bare": "def test_{n}():\n    assert {n} >= 0\n",
    "cml": ("def test_{n}(cml):\n    import cmlapi\n    cml.project('p{n}')\n"
            "    assert cmlapi.default_client().list_projects(page_size=1).projects\n"),
    "cml + api": "def test_{n}(cml):\n    cml.project('p{n}')\n    assert cml.api.list_projects(page_size=1).projects\n",
}


def pytest_run(body: str, tests: int) -> float:
    folder = Path(tempfile.mkdtemp())
    (folder / "test_generated.py").write_text("\n\n".join(body.format(n=n) for n in range(tests)))
    started = time.perf_counter()
    done = subprocess.run([sys.executable, "-m", "pytest", "-q", "-p", "no:cacheprovider", str(folder)],
                          capture_output=True, text=True, cwd=folder)
    took = time.perf_counter() - started
    if done.returncode != 0 or f"{tests} passed" not in done.stdout:
        raise SystemExit(done.stdout[-2000:] + done.stderr[-2000:])
    return took


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--tests", type=int, default=200)
    args = parser.parse_args()
    times = {name: pytest_run(body, args.tests) for name, body in BODIES.items()}
    bare = times["bare"]
    print(f"{args.tests} tests in one pytest run (fresh process each, wall time)")
    for name, took in times.items():
        extra = (took - bare) / args.tests * 1000
        print(f"   {name:10} {took:6.2f} s   {took / bare:5.2f}x bare   {extra:6.1f} ms a test over bare"
              + ("   target <= 20 s: " + ("met" if took <= 20 else "MISSED") if name != "bare" else ""))

    sys.path.insert(0, str(ROOT))
    import cmldyn
    from cmldyn.simulator import Simulator

    with Simulator(speed=0) as sim:
        api = cmldyn.Client(sim.url, sim.token, cache=False)
        calls = []
        for _ in range(200):
            started = time.perf_counter()
            api.list_projects(page_size=1)
            calls.append(time.perf_counter() - started)
        resets = []
        for _ in range(500):
            started = time.perf_counter()
            sim.reset(seed="demo")
            resets.append(time.perf_counter() - started)
    call, reset = statistics.median(calls), statistics.median(resets)
    print(f"Simulator.reset(seed='demo'): median {reset * 1000:.2f} ms, {reset / call:.1f}x one list_projects call "
          f"({call * 1000:.2f} ms)")


if __name__ == "__main__":
    main()
