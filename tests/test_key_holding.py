"""The key is held as a Secret: no repr, str, vars() walk or traceback with locals of any cmldyn object
shows it, and it still reaches the server (and only there)."""

from __future__ import annotations

import copy
import io
import pickle
import traceback
from typing import Any

import pytest

import cmldyn
from cmldyn.client import connect
from cmldyn.config import Profile
from cmldyn.errors import Secret, redact
from cmldyn.settings import resolve
from cmldyn.simulator import Simulator

from .conftest import CANARY, free_port


def strings_reachable(root: Any, limit: int = 20_000) -> list[str]:
    """Every repr, str and string reachable from ``root`` through vars(), slots and containers (of cmldyn
    objects and plain containers; third-party objects by their repr only)."""
    seen: set[int] = set()
    found: list[str] = []
    queue = [root]
    while queue and len(seen) < limit:
        item = queue.pop()
        if id(item) in seen:
            continue
        seen.add(id(item))
        if isinstance(item, (str, bytes)):
            found.append(item if isinstance(item, str) else item.decode("latin-1"))
            continue
        try:
            found.append(repr(item))
        except Exception:  # noqa: BLE001 - a repr that fails shows nothing
            pass
        if isinstance(item, dict):
            queue.extend(item.keys())
            queue.extend(item.values())
        elif isinstance(item, (list, tuple, set, frozenset)):
            queue.extend(item)
        elif type(item).__module__.startswith("cmldyn"):
            try:
                found.append(str(item))
            except Exception:  # noqa: BLE001
                pass
            queue.extend(getattr(item, "__dict__", {}).values())
            for slot in getattr(type(item), "__slots__", ()):
                value = getattr(item, slot, None)
                if not callable(value):  # a Secret keeps its value in a closure: that is the point
                    queue.append(value)
    return found


def leaks(root: Any) -> list[str]:
    return [text[:120] for text in strings_reachable(root) if CANARY in text]


@pytest.fixture()
def client(sim: Simulator) -> cmldyn.Client:
    api = cmldyn.Client(sim.url, CANARY)
    api.list_projects(page_size=1)  # a session made, the spec loaded, answers checked
    return api


def test_the_client_and_everything_it_holds_never_show_the_key(client: cmldyn.Client) -> None:
    assert leaks(client) == []
    assert leaks(client.transport) == [] and CANARY not in repr(client.transport)
    assert "token=Secret('***')" in repr(client.transport)
    assert leaks(vars(client)) == []


def test_settings_profiles_and_the_cmlapi_objects_never_show_the_key(sim: Simulator) -> None:
    settings = resolve({"host": sim.url, "token": CANARY, "password": CANARY}, {})
    assert isinstance(settings.token, Secret) and leaks(settings) == [] and leaks(vars(settings)) == []
    assert settings.token.reveal() == CANARY
    profile = Profile("p", host=sim.url, key=CANARY, schemes={"s": {"key": CANARY}})
    assert leaks(profile) == [] and profile.resolve_key({}) == CANARY
    config = cmldyn.Configuration(host=sim.url)
    config.api_key["authorization"] = CANARY
    api_client = cmldyn.ApiClient(config)
    api_client.set_default_header("authorization", "Bearer " + CANARY)
    service = cmldyn.CMLServiceApi(api_client)
    assert service.list_projects(page_size=1).projects  # the key still reaches the server
    assert leaks(config) == [] and leaks(api_client) == [] and leaks(service) == []
    assert leaks(connect(settings)) == []


def test_the_console_the_context_and_the_mcp_toolbox_never_show_the_key(client: cmldyn.Client, sim: Simulator) -> None:
    from cmldyn.cli.context import Context
    from cmldyn.mcp.tools import Policy, Toolbox
    from cmldyn.repl.commands import Console
    from cmldyn.repl.session import make_namespace

    console = Console(make_namespace(client), secrets=client.transport.secrets)
    console.run("api.list_projects(page_size=1)")
    assert leaks(console) == []
    ctx = Context(resolve({"host": sim.url, "token": CANARY}, {}), io.StringIO(), io.StringIO(), io.StringIO())
    ctx.client().list_projects(page_size=1)
    assert leaks(ctx) == []
    ctx.close()
    assert leaks(Toolbox(client, Policy())) == []


def test_a_traceback_with_locals_never_shows_the_key(client: cmldyn.Client) -> None:
    failures: list[BaseException] = []
    for call in (lambda: client.get_project("no-such-project"),
                 lambda: cmldyn.Client(f"http://127.0.0.1:{free_port()}", CANARY, spec=client.spec.raw).list_projects()):
        with pytest.raises(cmldyn.CmldynError) as caught:
            call()
        failures.append(caught.value)
    assert isinstance(failures[0], cmldyn.NotFoundError) and isinstance(failures[1], cmldyn.TransportError)
    for error in failures:
        text = "".join(traceback.TracebackException.from_exception(error, capture_locals=True).format())
        assert "Secret('***')" in text or "token" not in text
        assert CANARY not in text


def test_a_secret_is_masked_but_compares_copies_and_redacts() -> None:
    held = Secret(CANARY)
    assert repr(held) == str(held) == f"{held}" == "Secret('***')"
    assert held == CANARY and held == Secret(CANARY) and held != "other" and bool(held)
    assert copy.deepcopy(held) is held and copy.copy(held) is held
    assert redact(f"key {CANARY} here", (held,)) == "key *** here"
    with pytest.raises(AttributeError):
        held.anything = 1  # type: ignore[attr-defined]
    with pytest.raises(TypeError):
        pickle.dumps(held)
    assert Secret.of(None) is None and Secret.of("") is None and Secret.of(held) is held
