"""Spec-to-ready on the CML spec, in-process: cmldyn against json.load (the floor) and
prance.ResolvingParser with its defaults, all measured in this run.

    python benchmarks/spec_to_ready.py [--runs N] [--spec FILE]

"cold" = a fresh process per run: imports included, from the file on disk to a client whose
operations are all callable; "in-process" = the same work repeated in one process after imports.
Prints medians and the ratio against the floor.
"""

from __future__ import annotations

import argparse
import json
import statistics
import subprocess
import sys
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
DEFAULT_SPEC = ROOT / "fixtures" / "specs" / "cml-api-v2.swagger.json"

COLD = {
    "json.load (floor)": "import json; json.load(open(SPEC))",
    "cmldyn ready": "import cmldyn; api = cmldyn.Client('http://127.0.0.1:9', 'k', spec=SPEC)",
    "cmldyn ready + first call built": "import cmldyn; api = cmldyn.Client('http://127.0.0.1:9', 'k', spec=SPEC); api.prepare('list_projects', page_size=2)",
    "cmldyn every operation documented": "import cmldyn; api = cmldyn.Client('http://127.0.0.1:9', 'k', spec=SPEC); [getattr(api, o.name) for o in api.operations]",
    "prance.ResolvingParser (defaults)": "import prance; prance.ResolvingParser(SPEC)",
}


def cold(snippet: str, spec: Path, runs: int) -> float:
    code = f"import time; t = time.perf_counter(); SPEC = {str(spec)!r}\n{snippet}\nprint(time.perf_counter() - t)"
    times = []
    for _ in range(runs):
        out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, cwd=ROOT)
        if out.returncode:
            raise SystemExit(f"failed: {snippet}\n{out.stderr[-2000:]}")
        times.append(float(out.stdout.strip().splitlines()[-1]))
    return statistics.median(times)


def warm(fn, runs: int) -> float:  # type: ignore[no-untyped-def]
    fn()
    times = []
    for _ in range(runs):
        t = time.perf_counter()
        fn()
        times.append(time.perf_counter() - t)
    return statistics.median(times)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--runs", type=int, default=5)
    parser.add_argument("--spec", type=Path, default=DEFAULT_SPEC)
    args = parser.parse_args()
    sys.path.insert(0, str(ROOT))
    import prance

    import cmldyn

    spec = args.spec
    rows = []
    for name, snippet in COLD.items():
        rows.append((name, "cold (new process)", cold(snippet, spec, args.runs)))
    rows.append(("json.load (floor)", "in-process", warm(lambda: json.load(open(spec)), args.runs)))

    def ready() -> None:
        cmldyn.Client("http://127.0.0.1:9", "k", spec=str(spec))

    def first_call() -> None:
        cmldyn.Client("http://127.0.0.1:9", "k", spec=str(spec)).prepare("list_projects", page_size=2)

    def everything() -> None:
        api = cmldyn.Client("http://127.0.0.1:9", "k", spec=str(spec))
        for info in api.operations:
            getattr(api, info.name)

    rows.append(("cmldyn ready", "in-process", warm(ready, args.runs)))
    rows.append(("cmldyn ready + first call built", "in-process", warm(first_call, args.runs)))
    rows.append(("cmldyn every operation documented", "in-process", warm(everything, args.runs)))
    rows.append(("prance.ResolvingParser (defaults)", "in-process", warm(lambda: prance.ResolvingParser(str(spec)), max(1, args.runs // 2))))
    floors = {kind: t for name, kind, t in rows if name.startswith("json.load")}
    print(f"spec: {spec.name}  runs: {args.runs}  python {sys.version.split()[0]}")
    print(f"{'what':36} {'how':20} {'median':>10} {'x floor':>9}")
    for name, kind, seconds in sorted(rows, key=lambda r: r[1]):
        print(f"{name:36} {kind:20} {seconds * 1000:8.1f} ms {seconds / floors[kind]:8.1f}x")
    ours = {kind: t for name, kind, t in rows if name == "cmldyn ready + first call built"}
    theirs = {kind: t for name, kind, t in rows if name.startswith("prance")}
    for kind in ours:
        print(f"cmldyn (ready + first call) vs prance defaults, {kind}: {theirs[kind] / ours[kind]:.1f}x faster")


if __name__ == "__main__":
    main()
