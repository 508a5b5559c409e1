"""``cmldyn mcp``: tools/list on the CML spec (time and size, output schemas included), process start
to the first answer with a warm spec cache, and search_operations on a 1,000-operation spec.

    python benchmarks/mcp_server.py [--runs 7]

Baselines from the same run: tools/list of a bare SDK server offering one tool (in-process, the same
client), the start of a bare SDK server process over stdio to its first answer, and a plain substring
scan over the 1,000 operations' names and summaries. Targets: tools/list <= 50 ms, start to first
answer <= 0.5 s, search <= 20 ms.
"""

from __future__ import annotations

import argparse
import json
import statistics
import sys
import tempfile
import time
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))
sys.path.insert(0, str(ROOT / "benchmarks"))

KEY = "bench-key-0123456789abcdef"
BARE = '''
import anyio, mcp_types as types
from mcp.server import Server
from mcp.server.stdio import stdio_server
async def tools(ctx, params):
    return types.ListToolsResult(tools=[types.Tool(name="echo", input_schema={"type": "object"})])
server = Server("bare", on_list_tools=tools)
async def main():
    async with stdio_server() as (r, w):
        await server.run(r, w, server.create_initialization_options())
anyio.run(main)
'''


def best(values: list[float]) -> float:
    return min(values) * 1000


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--runs", type=int, default=7)
    args = parser.parse_args()
    import anyio
    import mcp_types as types
    from large_spec import make_spec
    from mcp import Client
    from mcp.client.stdio import StdioServerParameters
    from mcp.server import Server

    import cmldyn
    from cmldyn.mcp.server import build_server
    from cmldyn.mcp.tools import Toolbox
    from cmldyn.simulator import Simulator

    async def bare_tools(ctx: Any, params: Any) -> Any:
        return types.ListToolsResult(tools=[types.Tool(name="echo", input_schema={"type": "object"})])

    bare = Server("bare", on_list_tools=bare_tools)
    home = tempfile.mkdtemp()
    with Simulator(token=KEY, seed="demo", speed=0) as sim:
        api = cmldyn.Client(sim.url, KEY, cache=str(Path(home) / "cache"))
        ours = build_server(Toolbox(api, direct=()), revalidate=-1)
        direct = build_server(Toolbox(api, tag="CMLService"), revalidate=-1)  # every CML operation a tool too

        sizes: dict[int, tuple[int, float]] = {}  # server -> (bytes of the listing as JSON, the first listing's ms)

        async def listing(server: Any) -> tuple[list[float], int]:
            took = []
            count = 0
            async with Client(server) as client:
                for run in range(args.runs * 3):
                    start = time.perf_counter()
                    tools = (await client.list_tools()).tools
                    took.append(time.perf_counter() - start)
                    count = len(tools)
                    if run == 0:  # the first listing builds the output schemas
                        body = json.dumps([t.model_dump(mode="json", by_alias=True, exclude_none=True) for t in tools])
                        sizes[id(server)] = (len(body.encode()), took[0] * 1000)
            return took, count

        base, _ = anyio.run(listing, bare)
        fixed, n_fixed = anyio.run(listing, ours)
        every, n_every = anyio.run(listing, direct)

        env = {"CML_API_KEY": KEY, "HOME": home, "XDG_CACHE_HOME": str(Path(home) / "xdg"), "PATH": "/usr/bin:/bin"}
        cmd = str(Path(sys.executable).parent / "cmldyn")

        async def first_answer(params: StdioServerParameters) -> float:
            start = time.perf_counter()
            async with Client(params) as client:
                await client.list_tools()
                return time.perf_counter() - start

        script = Path(home) / "bare.py"
        script.write_text(BARE)
        ours_params = StdioServerParameters(command=cmd, args=["--host", sim.url, "mcp"], env=env)
        anyio.run(first_answer, ours_params)  # warms the spec cache
        starts = [anyio.run(first_answer, ours_params) for _ in range(args.runs)]
        bare_params = StdioServerParameters(command=sys.executable, args=[str(script)], env=env)
        bare_starts = [anyio.run(first_answer, bare_params) for _ in range(args.runs)]

    large = cmldyn.Client("http://127.0.0.1:9", spec=make_spec(1000))
    box = Toolbox(large)
    queries = ["start a widget", "delete widget0500", "list widgets by owner", "update settings", "get tree children"]
    cold_start = time.perf_counter()
    box.warm()  # cmldyn mcp does this before it serves
    cold = time.perf_counter() - cold_start
    searches, scans = [], []
    texts = [(op.name, op.summary.lower()) for op in large.model.operations.values()]
    for _ in range(args.runs):
        for query in queries:
            start = time.perf_counter()
            box.search(query)
            searches.append(time.perf_counter() - start)
            start = time.perf_counter()
            words = query.lower().split()
            [n for n, s in texts if any(w in n or w in s for w in words)]
            scans.append(time.perf_counter() - start)

    b = best(base)
    print(f"tools/list, in-process, best of {len(fixed)}; ratio to a bare SDK server with one tool")
    print(f"   {'bare SDK server, 1 tool (baseline)':46} {b:7.2f} ms   1.00x")
    print(f"   {f'cmldyn mcp, CML spec, {n_fixed} tools':46} {best(fixed):7.2f} ms   {best(fixed) / b:.2f}x")
    print(f"   {f'cmldyn mcp --tag CMLService, {n_every} tools':46} {best(every):7.2f} ms   {best(every) / b:.2f}x")
    for label, server in ((f"{n_fixed} tools", ours), (f"{n_every} tools", direct)):
        size, first = sizes[id(server)]
        print(f"   {'  the listing as JSON, ' + label:46} {size / 1024:7.0f} KB   first listing {first:.0f} ms "
              "(output schemas built)")
    print(f"process start to the first answer over stdio (warm spec cache), best of {args.runs}")
    bs = best(bare_starts)
    print(f"   {'bare SDK server process (baseline)':46} {bs:7.0f} ms   1.00x")
    print(f"   {'cmldyn --host SIM mcp':46} {best(starts):7.0f} ms   {best(starts) / bs:.2f}x"
          f"   (median {statistics.median(starts) * 1000:.0f} ms)")
    print("search_operations on a 1,000-operation spec")
    sc = best(scans)
    print(f"   {'substring scan of names and summaries (baseline)':46} {sc:7.2f} ms   1.00x")
    print(f"   {'search_operations (p50 of ' + str(len(searches)) + ')':46} "
          f"{statistics.median(searches) * 1000:7.2f} ms   {statistics.median(searches) * 1000 / sc:.2f}x"
          f"   (max {max(searches) * 1000:.2f} ms)")
    print(f"   {'the search index, built once at start':46} {cold * 1000:7.2f} ms")
    verdicts = [("tools/list <= 50 ms", best(fixed) <= 50), ("start to first answer <= 0.5 s", best(starts) <= 500),
                ("search <= 20 ms", max(searches) * 1000 <= 20)]
    print("targets: " + ", ".join(f"{name} {'met' if ok else 'MISSED'}" for name, ok in verdicts))


if __name__ == "__main__":
    main()
