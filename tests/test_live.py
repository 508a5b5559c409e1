"""Live values in completion, a .save that replays, filters on any value, and the REPL's comforts,
against the simulator over a real socket (and once in a real terminal)."""

from __future__ import annotations

import io
import json
import os
import subprocess
import sys
import threading
import time
from pathlib import Path
from typing import Any, Iterator

import pytest
from prompt_toolkit.application import create_app_session
from prompt_toolkit.input import create_pipe_input
from prompt_toolkit.output import DummyOutput

import cmldyn
from cmldyn.livevalues import DiskValues, LiveValues, source_for, sources
from cmldyn.repl.commands import Console
from cmldyn.repl.completion import Suggester
from cmldyn.repl.session import make_namespace, run_prompt, toolbar_text
from cmldyn.simulator import Simulator

from .conftest import CANARY, ROOT, assert_no_canary
from .helpers import Terminal


def wait_until(check: Any, seconds: float = 10.0) -> Any:
    end = time.monotonic() + seconds
    while time.monotonic() < end:
        found = check()
        if found:
            return found
        time.sleep(0.02)
    return check()


@pytest.fixture()
def live_api(fresh_sim: Simulator) -> Iterator[tuple[cmldyn.Client, LiveValues, Suggester, Console]]:
    api = cmldyn.Client(fresh_sim.url, CANARY)
    live = LiveValues(api, timeout=2.0)
    api.transport.after_send.append(lambda method, path, status: live.forget(method, path))
    console = Console(make_namespace(api), secrets=(CANARY,))
    yield api, live, Suggester(lambda: console.namespace, lambda: console.last_operation, live=live), console
    live.close()
    api.close()


def texts(found: list[Any]) -> list[str]:
    return [s.text for s in found]


# ------------------------------------------------------------------ where values come from


def test_sources_are_inferred_from_the_spec(api: cmldyn.Client) -> None:
    model = api.model
    found = {k: (s.list_op, s.field, s.parents) for k, s in sources(model).items()}
    assert found["get_project.project_id"] == ("list_projects", "id", ())
    assert found["get_job.job_id"] == ("list_jobs", "id", (("project_id", "project_id"),))
    assert found["create_job_run.job_id"][0] == "list_jobs"
    assert found["list_job_runs.job_id"][0] == "list_jobs"
    assert found["get_model_build.build_id"][:2] == ("list_model_builds", "id")
    assert found["create_job.runtime_identifier"] == ("list_runtimes", "image_identifier", ())  # the CML override
    # /nodelabels/{resource_group_id} names a resource group: its name wins over the collection before it
    assert found["create_accelerator_node_label_gpu_profile.resource_group_id"][0] == "list_all_resource_groups"
    assert found["create_job.resource_group_id"][0] == "list_all_resource_groups"  # a body field, by its name
    assert source_for(model, model.get("list_projects"), "page_size") is None
    assert source_for(model, model.get("create_project"), "name") is None


def test_any_spec_gets_values_by_its_paths() -> None:
    spec = {"swagger": "2.0", "info": {"title": "t", "version": "1"}, "paths": {
        "/shelves": {"get": {"operationId": "ListShelves", "responses": {"200": {"description": "ok", "schema": {
            "type": "object", "properties": {"shelves": {"type": "array", "items": {"$ref": "#/definitions/Shelf"}}}}}}}},
        "/shelves/{shelf}": {"get": {"operationId": "GetShelf", "parameters": [
            {"name": "shelf", "in": "path", "required": True, "type": "string"}],
            "responses": {"200": {"description": "ok", "schema": {"$ref": "#/definitions/Shelf"}}}}},
    }, "definitions": {"Shelf": {"type": "object", "properties": {"id": {"type": "string"}, "theme": {"type": "string"}}}}}
    from cmldyn.client import from_spec

    api = from_spec(spec, "http://127.0.0.1:9")
    found = source_for(api.model, api.model.get("get_shelf"), "shelf")
    assert found is not None and (found.list_op, found.field) == ("list_shelves", "id")


# ------------------------------------------------------------------ the completer


def test_values_and_labels_appear_after_a_background_fetch(live_api: Any, fresh_sim: Simulator) -> None:
    api, live, suggester, _ = live_api
    fresh_sim.forget()
    start = time.perf_counter()
    first = suggester.suggest('api.get_project(project_id="')
    assert time.perf_counter() - start < 0.5 and first == []  # never waits: the fetch runs behind
    assert suggester.waiting == "list_projects"
    found = wait_until(lambda: suggester.suggest('api.get_project(project_id="'))
    projects = api.list_projects(page_size=100).projects
    ids = {p.id for p in projects}
    assert found and {s.text.strip('"') for s in found} == ids
    demo = next(p for p in projects if p.name == "demo")
    entry = next(s for s in found if s.text == f'"{demo.id}"')
    assert "demo" in entry.meta and demo.visibility in entry.meta  # the label: name · visibility
    assert entry.start == -1  # replaces the opening quote as well
    # A positional place takes the same values; a typed prefix narrows them; a label word finds them too.
    assert {s.text for s in suggester.suggest("api.get_project(")} >= {f'"{i}"' for i in ids}
    assert texts(suggester.suggest(f"api.get_project('{demo.id[:4]}")) == [f"'{demo.id}'"]
    assert f'"{demo.id}"' in texts(suggester.suggest('api.get_project("dem'))
    lists = [s for s in fresh_sim.seen if s.path.startswith("/api/v2/projects") and s.method == "GET"]
    assert len(lists) == 2  # one fetch for the completions, one for the test's own look: the cache held


def test_child_values_use_the_parent_typed_in_the_same_call(live_api: Any) -> None:
    api, _, suggester, console = live_api
    demo = next(p for p in api.list_projects().projects if p.name == "demo")
    jobs = {j.id for j in api.list_jobs(demo.id).jobs}
    assert jobs
    text = f'api.get_job(project_id="{demo.id}", job_id="'
    found = wait_until(lambda: suggester.suggest(text))
    assert {s.text.strip('"') for s in found} == jobs
    positional = f"api.get_job('{demo.id}', '"
    assert {s.text.strip("'") for s in wait_until(lambda: suggester.suggest(positional))} == jobs
    console.namespace["pid"] = demo.id  # a name that holds the parent works as well
    assert {s.text.strip('"') for s in wait_until(lambda: suggester.suggest('api.get_job(pid, "'))} == jobs
    assert suggester.suggest('api.get_job(job_id="') == []  # no parent yet: nothing to list


def test_a_create_drops_the_cached_list(live_api: Any) -> None:
    api, _, suggester, _ = live_api
    before = wait_until(lambda: suggester.suggest('api.get_project(project_id="'))
    created = api.create_project(name="fresh-one", template="blank")
    after = wait_until(lambda: suggester.suggest('api.get_project(project_id="'))
    assert f'"{created.id}"' in texts(after) and f'"{created.id}"' not in texts(before)
    assert any("fresh-one" in s.meta for s in after)


def test_a_stalled_server_costs_a_note_not_a_wait(fresh_sim: Simulator) -> None:
    api = cmldyn.Client(fresh_sim.url, CANARY)  # three attempts for the user's own calls
    announced: list[str] = []
    api.on_wait(announced.append)  # the REPL prints these "retrying ..." lines
    live = LiveValues(api, timeout=0.5)
    console = Console(make_namespace(api))
    suggester = Suggester(lambda: console.namespace, live=live)
    stall = fresh_sim.faults.add(path=r"^/api/v2/projects(\?|$)", latency=3.0)
    try:
        worst = 0.0
        for _ in range(50):  # keystrokes while the fetch hangs
            start = time.perf_counter()
            assert suggester.suggest('api.get_project(project_id="') == []
            worst = max(worst, time.perf_counter() - start)
        assert worst < 0.1
        assert wait_until(lambda: live.note, 5) and "list_projects" in live.note
        assert_no_canary(live.note)
        time.sleep(1.0)  # long enough for a retry (backoff 0.1 s) to have reached the server
        assert stall.hits == 1 and announced == []  # one attempt, and nothing printed on the user's screen
        assert toolbar_text(console, "api.get_project(", 40).endswith("…")
    finally:
        fresh_sim.faults.clear()
        live.close()


def test_values_reach_the_menu_through_the_prompt(fresh_sim: Simulator, tmp_path: Path) -> None:
    """Pipe input: Tab inside get_project( waits for nothing, and the menu refreshes when values land."""
    api = cmldyn.Client(fresh_sim.url, CANARY)
    demo = next(p for p in api.list_projects().projects if p.name == "demo")
    console = Console(make_namespace(api))
    live = LiveValues(api)
    with create_pipe_input() as inp, create_app_session(input=inp, output=DummyOutput()):
        def typist() -> None:
            inp.send_text('x = api.get_project(project_id="')
            time.sleep(0.3)
            inp.send_text("\t")  # nothing cached yet: the menu waits for nothing
            time.sleep(1.5)  # the values land and the menu opens again; Tab picks the first
            inp.send_text("\t")
            time.sleep(0.3)
            inp.send_text(")\r")
            time.sleep(0.3)
            inp.send_text("x.name\r\x04")

        thread = threading.Thread(target=typist)
        thread.start()
        out = io.StringIO()
        run_prompt(console, out, str(tmp_path / "history"), io.StringIO(), live=live)
        thread.join()
    live.close()
    ids = {p.id for p in api.list_projects(page_size=100).projects}
    assert "x" in console.namespace, out.getvalue()
    assert console.namespace["x"].id in ids and demo.id in ids


def test_the_shell_keeps_values_on_disk_privately(tmp_path: Path, api: cmldyn.Client) -> None:
    disk = DiskValues(str(tmp_path / "c"), "http://h profile")
    source = source_for(api.model, api.model.get("get_project"), "project_id")
    assert source is not None
    disk.put(source, (), [("abc", "demo · private")])
    assert disk.get(source, ()) == [("abc", "demo · private")]
    assert oct(os.stat(disk.path).st_mode & 0o777) == "0o600"
    assert DiskValues(str(tmp_path / "c"), "http://h profile", ttl=0).get(source, ()) is None


# ------------------------------------------------------------------ .save replays the session


def test_save_replays_the_session_in_a_fresh_process(tmp_path: Path) -> None:
    lines = [
        "api.list_projects(page_size=2) | projects[].name",
        "_ | projects[?name=='demo'].id",
        "p = api.list_projects(search_filter='{\"name\":\"demo\"}').projects[0]",
        "p.name",
        "print('plain', 1 + 1)",
        "len(api.list_jobs(p.id).jobs)",
        ".output table",
        "api.list_jobs(p.id) | jobs[].{name: name, kernel: kernel}",
        ".output json",
        "help(api.get_project)",
        "api.get_project('no-such-project')",
        "'text'",
        "_ | length(@)",
        "None",
        "_",
        "for i in range(2):\n    print(i * 10)",
        " print('not saved')",
    ]
    with Simulator(token=CANARY, seed="demo", speed=0) as server:
        api = cmldyn.Client(server.url, CANARY)
        console = Console(make_namespace(api), secrets=(CANARY,), origin={"host": server.url, "profile": None})
        shown = []
        for line in lines:
            outcome = console.run(line)
            if outcome.ok and not line.startswith((".", "help", " ")) and outcome.text:
                shown.append(outcome.text)
        target = tmp_path / "session.py"
        assert console.run(f".save {target}").ok
        script = target.read_text()
        assert CANARY not in script and "not saved" not in script and "# .output table" in script
        assert "# help(api.get_project)" in script and "no-such-project" not in script
        env = {"PATH": "/usr/bin:/bin", "HOME": str(tmp_path), "CML_API_KEY": CANARY}
        run = subprocess.run([sys.executable, str(target)], env=env, capture_output=True, text=True, timeout=60, cwd=ROOT)
    assert run.returncode == 0, run.stderr
    assert run.stdout == "\n".join(shown) + "\n"
    assert_no_canary(run.stdout, run.stderr)


def test_a_demo_session_saves_a_script_that_starts_its_own_simulator(tmp_path: Path) -> None:
    env = {"PATH": "/usr/bin:/bin", "HOME": str(tmp_path)}
    target = tmp_path / "demo_session.py"
    session = "api.list_projects() | projects[].name\n_ | [0]\n.save %s\n" % target
    first = subprocess.run([sys.executable, "-m", "cmldyn", "repl", "--demo"], input=session, env=env, capture_output=True,
                           text=True, timeout=60, cwd=ROOT)
    assert first.returncode == 0, first.stderr
    replay = subprocess.run([sys.executable, str(target)], env=env, capture_output=True, text=True, timeout=60, cwd=ROOT)
    assert replay.returncode == 0, replay.stderr
    shown = [line for line in first.stdout.splitlines() if not line.startswith(("saved ", "run it with"))]
    assert replay.stdout.splitlines() == shown


# ------------------------------------------------------------------ filters and comforts


def test_a_filter_applies_to_any_value(console_api: Console) -> None:
    console = console_api
    console.run("'hello'")
    assert console.run("_ | length(@)").text == "5"
    assert console.run("42 | @").text == "42"
    console.run("flags = 1")
    assert console.run("flags | 2").text == "3"  # Python's own | on numbers
    console.run("a = {1, 2}")
    console.run("b = {3}")
    assert console.run("a | b").text == "{1, 2, 3}"


def test_a_leading_space_runs_and_is_not_saved(console_api: Console, tmp_path: Path) -> None:
    console = console_api
    assert console.run("  x = 41").ok
    assert console.run(" x + 1").text == "42"
    assert console.statements == []


def test_tb_shows_the_last_error_of_your_code_redacted(console_api: Console) -> None:
    console = console_api
    assert console.run(".tb").text == "no error yet in this session"
    console.namespace["secret"] = CANARY
    console.run("def f():\n    raise ValueError('boom ' + secret)\n")
    assert not console.run("f()").ok
    tb = console.run(".tb").text
    assert "Traceback" in tb and "ValueError" in tb and "in f" in tb
    assert_no_canary(tb)
    import traceback

    buffer = io.StringIO()
    traceback.print_last(file=buffer)
    assert "ValueError" in buffer.getvalue()


def test_long_help_is_paged_on_a_terminal(console_api: Console) -> None:
    assert console_api.run(".help create_job").page
    assert console_api.run("help(api.create_job)").page
    assert not console_api.run("1 + 1").page


def test_the_menu_ranks_prefix_matches_first_then_by_name(console_api: Console) -> None:
    suggester = Suggester(lambda: console_api.namespace)
    found = texts(suggester.suggest("api.list_proj"))
    assert found[: 3] == sorted(found[: 3]) and all(n.startswith("list_proj") for n in found[:3])
    prefix = [n for n in found if n.startswith("list_proj")]
    assert prefix == sorted(prefix) and found[: len(prefix)] == prefix
    assert texts(suggester.suggest("api.list_projects"))[0] == "list_projects"  # the exact name first


@pytest.fixture()
def console_api(api: cmldyn.Client) -> Console:
    return Console(make_namespace(api), secrets=(CANARY,))


def test_real_terminal_offers_a_project_id(tmp_path: Path) -> None:
    """In a pty: type api.get_project(project_id=" and Tab; a project id of the demo shows in the menu."""
    term = Terminal(["repl", "--demo"], {"PATH": "/usr/bin:/bin", "HOME": str(tmp_path)}, str(ROOT))
    try:
        assert term.wait_for(b">>>")
        term.tab(b'api.get_project(project_id="')
        assert term.wait_for(b"demo", 10)
        screen = term.screen
        data = json.loads(subprocess.run(
            [sys.executable, "-m", "cmldyn", "--demo", "call", "list_projects", "-q", "projects[].id"],
            capture_output=True, text=True, timeout=60, cwd=ROOT, env={"PATH": "/usr/bin:/bin", "HOME": str(tmp_path)}).stdout)
        assert any(pid.encode() in screen for pid in data)
        term.clear()  # so that the prompt waited for is the one after Ctrl-C
        term.type(b"\x03")
        assert term.wait_for(b">>>", 10)
        term.clear()
        term.type(b"help(api.create_job)\r")  # 117 lines: through the pager where there is one (q leaves it)
        assert term.wait_for(b"Job name", 15)
        term.type(b"q")
        term.clear()
        term.type(b"6 * 7\r")
        assert term.answered(b"42\r\n")
        assert term.leave() == 0
    finally:
        term.close()


def test_a_numeric_parameter_gets_bare_values() -> None:
    widget = {"type": "object", "properties": {"id": {"type": "integer"}, "name": {"type": "string"}}}
    spec = {"swagger": "2.0", "info": {"title": "widgets", "version": "1"}, "paths": {
        "/widgets": {"get": {"operationId": "ListWidgets", "responses": {"200": {"description": "ok", "schema": {
            "type": "array", "items": {"$ref": "#/definitions/Widget"}}}}},
                     "post": {"operationId": "CreateWidget", "parameters": [{"name": "body", "in": "body", "schema": {
                         "$ref": "#/definitions/Widget"}}], "responses": {"200": {"description": "ok", "schema": {
                             "$ref": "#/definitions/Widget"}}}}},
        "/widgets/{widget_id}": {"get": {"operationId": "GetWidget", "parameters": [
            {"name": "widget_id", "in": "path", "required": True, "type": "integer"}],
            "responses": {"200": {"description": "ok", "schema": {"$ref": "#/definitions/Widget"}}}}}},
        "definitions": {"Widget": widget}}
    with Simulator(seed="demo", speed=0, spec=spec) as sim:
        api = cmldyn.Client(sim.url, spec=spec)
        live = LiveValues(api)
        console = Console(make_namespace(api))
        suggester = Suggester(lambda: console.namespace, live=live)
        found = wait_until(lambda: suggester.suggest("api.get_widget(widget_id="))
        ids = {str(w.id) for w in api.list_widgets()}
        live.close()
    assert found and {s.text for s in found} == ids  # bare numbers, no quotes
    assert all(s.text.isdigit() for s in found)


def test_a_per_call_time_out_is_the_one_the_message_names(fresh_sim: Simulator) -> None:
    api = cmldyn.Client(fresh_sim.url, CANARY, retries=1)
    fresh_sim.faults.add(path=r"^/api/v2/projects(\?|$)", latency=2.0)
    try:
        with pytest.raises(cmldyn.errors.TransportError) as caught:
            api.list_projects(_request_timeout=0.5)
    finally:
        fresh_sim.faults.clear()
    assert "within 0.5 s" in caught.value.message


def test_repl_options_output_and_no_history(tmp_path: Path) -> None:
    env = {"PATH": "/usr/bin:/bin", "HOME": str(tmp_path), "XDG_DATA_HOME": str(tmp_path / "data")}
    piped = subprocess.run([sys.executable, "-m", "cmldyn", "repl", "--demo", "--output", "yaml"],
                           input="api.list_projects(page_size=1)\n", env=env, capture_output=True, text=True, timeout=60,
                           cwd=ROOT)
    assert piped.returncode == 0 and piped.stdout.startswith("projects:\n- ")
    term = Terminal(["repl", "--demo", "--no-history", "--values-ttl", "0"], env, str(ROOT))
    try:
        assert term.wait_for(b">>>")
        term.type(b"x = 40 + 2\r")
        term.type(b"x\r")
        assert term.wait_for(b"42", 10)
        term.tab(b'api.get_project(project_id="', pause=1.0)
        time.sleep(1.0)
        assert not term.wait_for(b"demo \xc2\xb7", 1)  # live values are off: no labels in a menu
        term.clear()  # so that the prompt waited for is the one after Ctrl-C
        term.type(b"\x03")
        assert term.wait_for(b">>>", 10)
        assert term.leave(pause=0.5) == 0
    finally:
        term.close()
    assert not (tmp_path / "data" / "cmldyn" / "history").exists()


def test_leaving_the_repl_does_not_wait_for_a_stalled_fetch(fresh_sim: Simulator, tmp_path: Path) -> None:
    stall = fresh_sim.faults.add(method="GET", path=r"^/api/v2/projects(\?|$)", latency=30.0)
    env = {"PATH": "/usr/bin:/bin", "HOME": str(tmp_path), "CML_API_KEY": CANARY}
    term = Terminal(["--host", fresh_sim.url, "repl"], env, str(ROOT))
    try:
        assert term.wait_for(b">>>", 30)
        term.tab(b'api.get_project(project_id="', pause=0.5)
        time.sleep(1.0)
        assert stall.hits == 1  # the fetch is out, held by the server for 30 s
        term.clear()  # so that the prompt waited for is the one after Ctrl-C
        term.type(b"\x03")
        assert term.wait_for(b">>>", 10)
        started = time.monotonic()
        assert term.leave(timeout=10, pause=0.5) == 0
        assert time.monotonic() - started < 5
    finally:
        term.close()
        fresh_sim.faults.clear()


def test_a_session_with_its_own_spec_replays_with_it(tmp_path: Path) -> None:
    from .conftest import SPECS

    spec = str(SPECS / "petstore-2.0.json")
    with Simulator(token=CANARY, seed="demo", speed=0, spec=spec) as server:
        api = cmldyn.Client(server.url, CANARY, spec=spec)
        console = Console(make_namespace(api), secrets=(CANARY,),
                          origin={"host": server.url, "profile": None, "spec": spec})
        shown = [console.run(line).text for line in ("api.list_pets() | [].name", "len(_)")]
        target = tmp_path / "pets.py"
        assert console.run(f".save {target}").ok
        run = subprocess.run([sys.executable, str(target)], env={"PATH": "/usr/bin:/bin", "HOME": str(tmp_path),
                                                                 "CML_API_KEY": CANARY},
                             capture_output=True, text=True, timeout=60, cwd=ROOT)
    assert run.returncode == 0, run.stderr
    assert run.stdout == "\n".join(shown) + "\n"


def test_a_saved_script_that_cannot_connect_fails_as_the_cli_does(tmp_path: Path, api: cmldyn.Client) -> None:
    from .conftest import free_port

    console = Console(make_namespace(api), origin={"host": f"http://127.0.0.1:{free_port()}", "profile": None})
    console.run("1 + 1")
    target = tmp_path / "s.py"
    assert console.run(f".save {target}").ok
    run = subprocess.run([sys.executable, str(target)], env={"PATH": "/usr/bin:/bin", "HOME": str(tmp_path)},
                         capture_output=True, text=True, timeout=60, cwd=ROOT)
    assert run.returncode == 3 and run.stderr.startswith("cmldyn: error: cannot connect") and "Traceback" not in run.stderr
