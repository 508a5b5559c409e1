"""REPL completion time per keystroke on a 1,000-operation spec (p50, p95, max).

    python benchmarks/completion.py [--operations 1000]

Each line below is typed one character at a time; after every character the completer
runs as it would while typing (complete_while_typing). Target: p95 at most 10 ms.
The baseline is a bare prefix scan over the operation names, measured in the same run.
"""

from __future__ import annotations

import argparse
import statistics
import sys
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))
sys.path.insert(0, str(ROOT / "benchmarks"))

LINES = [
    "api.list_widget0123s(page_size=3, status=",
    "api.list_widget0500s() | widgets0500[].owner.user",
    "api.create_widget0042(name='x', sett",
    "Widget0199(na",
    "api.get_widget0777('abc') | tree.children[].par",
    "api.upd",
    "_ | widgets0001[?stat",
]


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--operations", type=int, default=1000)
    args = parser.parse_args()
    from large_spec import make_spec

    import cmldyn
    from cmldyn.repl.commands import Console
    from cmldyn.repl.completion import Suggester
    from cmldyn.repl.session import make_namespace

    api = cmldyn.Client("http://127.0.0.1:9", "k", spec=make_spec(args.operations))
    console = Console(make_namespace(api))
    console.last_operation = "list_widget0001s"
    console.namespace["_"] = {"widgets0001": [{"status": "ACTIVE", "name": "a"}], "next_page_token": ""}
    suggester = Suggester(lambda: console.namespace, lambda: console.last_operation)
    names = api.model.names()

    ours: list[float] = []
    base: list[float] = []
    for _ in range(3):
        for line in LINES:
            for i in range(1, len(line) + 1):
                text = line[:i]
                t = time.perf_counter()
                suggester.suggest(text)
                ours.append(time.perf_counter() - t)
                word = text.rsplit(".", 1)[-1]
                t = time.perf_counter()
                [n for n in names if n.startswith(word)]
                base.append(time.perf_counter() - t)

    def pct(values: list[float], q: float) -> float:
        ordered = sorted(values)
        return ordered[min(len(ordered) - 1, int(q * len(ordered)))] * 1000

    print(f"spec: {args.operations} operations, {len(api.model.schema_names())} schemas; {len(ours)} keystrokes")
    print(f"{'what':34} {'p50':>9} {'p95':>9} {'max':>9}")
    print(f"{'cmldyn completer':34} {pct(ours, .5):7.3f}ms {pct(ours, .95):7.3f}ms {max(ours) * 1000:7.3f}ms")
    print(f"{'baseline: prefix scan of op names':34} {pct(base, .5):7.3f}ms {pct(base, .95):7.3f}ms {max(base) * 1000:7.3f}ms")
    verdict = "meets" if pct(ours, .95) <= 10 else "MISSES"
    print(f"p95 {pct(ours, .95):.3f} ms {verdict} the 10 ms target ({statistics.mean(ours) * 1000:.3f} ms mean)")


if __name__ == "__main__":
    main()
