"""Test CML automation (or any API's) without a workspace: the simulator as a double, with controls.

    from cmldyn.testing import simulate

    with simulate() as cml:                     # also @simulate() on a function; in a TestCase,
                                                # self.cml = self.enterContext(simulate())
        import cmlapi                           # cmldyn's, unless a real cmlapi is installed
        client = cmlapi.default_client()        # reaches the simulator: the session's variables point there
        cml.next_outcome("job_run", "ENGINE_FAILED")
        ...                                     # the code under test
        assert cml.seen.of("create_job_run")    # every request the simulator received, in order

While it runs, ``CML_HOST``, ``CML_API_KEY``, ``CDSW_API_URL``, ``CDSW_DOMAIN``, ``CDSW_APIV2_KEY``
(and ``CDSW_PROJECT_ID`` with ``project=``) point at the simulator with a fake key, and a cmldyn
client built for any other host fails at once and sends nothing (``CMLDYN_ONLY_ORIGIN``); all are
restored afterwards, also when the test fails. The pytest plugin (plugin.py, the ``cml`` fixture and
``@pytest.mark.cml``) is this with a simulator shared by the whole run and reset for each test.

Owns: :class:`Workspace` (the controls), :class:`Journal`, :func:`simulate`. May import: client,
compat, errors, jsonvalue, naming, results, settings, simulator, transport. Never imports pytest.
"""

from __future__ import annotations

import json
import os
import re
import secrets
from contextlib import ContextDecorator
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any, Callable, Iterator
from urllib.parse import parse_qs

from ..errors import ParamError
from ..settings import SESSION_ENV, session_environment
from ..transport import ONLY_ORIGIN_ENV

if TYPE_CHECKING:
    from ..client import Client
    from ..simulator import Simulator

__all__ = ["Call", "Journal", "KINDS", "PROGRESSIONS", "Workspace", "simulate"]

#: The workloads whose next final status a test can choose (CML's), with the status field's enum where
#: the spec has one.
KINDS = {"job_run": "EngineStatus", "model_build": None, "model_deployment": None, "application": "ApplicationStatus"}
#: auto: statuses move on the simulated clock, ``speed`` simulated seconds per second (60 by default: a
#: run of 5 s takes a tenth of one); manual: only ``advance()`` moves them; immediate: at once.
PROGRESSIONS = {"auto": "time", "manual": "manual", "immediate": "immediate"}
_VARIABLES = (*SESSION_ENV, "CDSW_PROJECT_ID", ONLY_ORIGIN_ENV)


@dataclass(frozen=True)
class Call:
    """One request the simulator received: method, path, the operation it named, query and body."""

    method: str
    path: str
    operation_id: str | None
    operation: str | None  # the Python name: create_job
    query: dict[str, Any] = field(default_factory=dict)
    body: Any = None

    def __repr__(self) -> str:
        return f"<{self.method} {self.path} {self.operation or '?'}>"


class Journal:
    """Every request the simulator received while the test ran, oldest first (the spec's own fetch left out)."""

    def __init__(self, workspace: Workspace) -> None:
        self._workspace = workspace

    def _calls(self) -> list[Call]:
        sim = self._workspace.sim
        calls = []
        for seen in sim.seen:
            route, _, _ = sim.index.match(seen.method, sim.profile.request_path(seen.method, seen.path))
            if route is None:
                continue
            query = {k: v[0] if len(v) == 1 else v for k, v in parse_qs(seen.query).items()}
            try:
                body: Any = json.loads(seen.body) if seen.body else None
            except ValueError:
                body = seen.body
            calls.append(Call(seen.method, seen.path, route.operation_id, _python_name(route.operation_id), query, body))
        return calls

    def of(self, name: str) -> list[Call]:
        """The calls of one operation, by its Python name or operationId (``of("create_job")``)."""
        return [c for c in self._calls() if name in (c.operation, c.operation_id)]

    def __iter__(self) -> Iterator[Call]:
        return iter(self._calls())

    def __len__(self) -> int:
        return len(self._calls())

    def __getitem__(self, index: int) -> Call:
        return self._calls()[index]

    def __repr__(self) -> str:
        return f"Journal({self._calls()!r})"

    def clear(self) -> None:
        self._workspace.sim.forget()


def _python_name(operation_id: str) -> str:
    from ..naming import snake_case

    return snake_case(operation_id)


class Workspace:
    """A simulated workspace under test: where it is, a client for it, and the controls.

    ``url`` and ``token`` (a fake key), ``api`` (a cmldyn client, made once per simulator), ``seen``
    (the journal), ``advance(seconds)``, ``next_outcome(kind, status)``, ``fault(...)``, and factories
    that put objects straight into the state, with no journal entry: ``project``, ``job``,
    ``application``, ``model``. ``sim`` is the simulator itself.
    """

    def __init__(self, sim: Simulator, api: Client | None = None, keep: Callable[[Client], None] | None = None) -> None:
        self.sim = sim
        self._api = api
        self._keep = keep  # told about the client once it is made (the plugin reuses it for the next test)
        self.seen = Journal(self)

    @property
    def url(self) -> str:
        return self.sim.url

    @property
    def token(self) -> str:
        return self.sim.token

    @property
    def api(self) -> Client:
        if self._api is None:
            from ..client import Client

            self._api = Client(self.url, self.token, cache=False)
            if self._keep is not None:
                self._keep(self._api)
        return self._api

    # ------------------------------------------------------------ controls

    def advance(self, seconds: float) -> None:
        """Move the simulated clock on: statuses due by then move (runs start, finish, builds build ...)."""
        engine = self.sim.workspace
        with engine.lock:
            self.sim.clock.step(seconds)
            engine.advance()

    def next_outcome(self, kind: str, status: str) -> None:
        """How the next workload of ``kind`` ends: ``job_run``, ``model_build``, ``model_deployment`` or
        ``application`` (``next_outcome("job_run", "ENGINE_FAILED")``). Each call is used by one workload."""
        if kind not in KINDS:
            raise ParamError(f"next_outcome knows {', '.join(KINDS)}; not {kind!r}")
        enum = KINDS[kind]
        allowed = (self.sim.index.definitions.get(enum) or {}).get("enum") if enum else None
        if allowed and status not in allowed:
            raise ParamError(f"{status!r} is not a status of {kind}; one of {', '.join(map(str, allowed))}")
        self.sim.workspace.force_outcome(kind, status)

    def fault(self, *, operation: str | None = None, path: str | None = None, method: str | None = None,
              times: int | None = 1, **how: Any) -> Any:
        """Make the next matching call (``times`` of them; None: every one) misbehave: ``status=503``,
        ``retry_after="1"``, ``latency=2.0``, ``reset=True``, ``drop=True``, ``drift="extra-field"`` ...
        Match by ``operation`` (its Python name or operationId) or by a ``path`` regex (and ``method``)."""
        if operation is not None:
            route = next((r for r in self.sim.index.routes if operation in (r.operation_id, _python_name(r.operation_id))),
                         None)
            if route is None:
                raise ParamError(f"no operation {operation!r} in the simulator's spec")
            pattern = re.sub(r"\\\{[^}]*\\\}", "[^/]+", re.escape(route.template))
            path, method = f"^{pattern}$", method or route.method
        return self.sim.faults.add(path=path or ".*", method=method, times=times, **how)

    # ------------------------------------------------------------ factories

    def _make(self, operation_id: str, collection: str, parents: tuple[str, ...], body: dict[str, Any],
              answer: str, settle: dict[str, Any] | None = None) -> Any:
        from ..results import wrap

        engine = self.sim.workspace
        route = engine.index.by_id.get(operation_id)
        if route is None:
            raise ParamError(f"the factories make CML's objects; this simulator serves {self.sim.title} "
                             f"(no {operation_id}): create through cml.api instead")
        with engine.lock:
            made = engine.create(route, collection, parents, body)
            stored = engine.store(collection, parents)[str(made["id"])]
            stored.update(settle or {})
            plain = engine.public(stored)
        return wrap(plain, self.api.model.get(answer).response_schema)

    def project(self, name: str = "test-project", **fields: Any) -> Any:
        """A project, as get_project answers it (its creation already finished)."""
        body = {"name": name, "template": "blank", **fields}
        return self._make("CreateProject", "projects", (), body, "get_project", {"creation_status": "success"})

    def job(self, project: Any, name: str = "test-job", script: str = "main.py", **fields: Any) -> Any:
        """A job in ``project`` (a project or its id), as get_job answers it."""
        runtime = next(iter(self.sim.workspace.store("runtimes")), "")
        body = {"name": name, "script": script, "runtime_identifier": runtime, **fields}
        return self._make("CreateJob", "projects/*/jobs", (_id(project),), body, "get_job")

    def application(self, project: Any, name: str = "test-app", script: str = "app.py", **fields: Any) -> Any:
        """A running application in ``project``, as get_application answers it."""
        body = {"name": name, "script": script, "subdomain": fields.pop("subdomain", f"{name}-{secrets.token_hex(3)}"),
                **fields}
        return self._make("CreateApplication", "projects/*/applications", (_id(project),), body, "get_application",
                          {"status": "APPLICATION_RUNNING"})

    def model(self, project: Any, name: str = "test-model", **fields: Any) -> Any:
        """A model in ``project``, as get_model answers it."""
        body = {"name": name, "description": fields.pop("description", ""), **fields}
        return self._make("CreateModel", "projects/*/models", (_id(project),), body, "get_model")


def _id(value: Any) -> str:
    ident = value if isinstance(value, str) else (value.get("id") if hasattr(value, "get") else None)
    if not ident:
        raise ParamError(f"expected a project (or its id), got {type(value).__name__}")
    return str(ident)


class simulate(ContextDecorator):  # noqa: N801 - used as a function: `with simulate():`, `@simulate()`
    """A simulated workspace for the code inside (a ``with`` block, or the function or TestCase decorated).

    Args:
        seed: ``demo`` (projects, jobs, runs, a model, an application) or ``empty``.
        progression: ``auto`` (statuses move on the simulated clock, ``speed`` times real time),
            ``manual`` (only ``advance()`` moves them) or ``immediate``.
        speed: simulated seconds per real second for ``auto`` (default 60).
        spec: a spec file for another API's simulator (None: CML's).
        drift: answers that differ from the spec on purpose (``"extra-field,bad-enum"``).
        faults: faults for every matching call, as dicts of :meth:`Workspace.fault`'s arguments.
        project: a project's name (or id) in the state: its id becomes ``CDSW_PROJECT_ID``.
        simulator: a running simulator to reset and use (the pytest plugin shares one); else one is
            started and stopped here.
        client: a client of that simulator to reuse (its spec already loaded); ``keep`` is told about
            one made here.
    """

    def __init__(self, *, seed: str = "demo", progression: str = "auto", speed: float = 60.0, spec: Any = None,
                 drift: str | None = None, faults: tuple[dict[str, Any], ...] | list[dict[str, Any]] = (),
                 project: str | None = None, simulator: Simulator | None = None, client: Client | None = None,
                 keep: Callable[[Client], None] | None = None) -> None:
        if progression not in PROGRESSIONS:
            raise ParamError(f"progression is one of {', '.join(PROGRESSIONS)}; not {progression!r}")
        self.seed, self.progression, self.speed = seed, progression, speed
        self.drift, self.faults, self.project = drift, tuple(faults), project
        self.spec = spec
        self.given = simulator
        self.client, self.keep = client, keep
        self._owned: Simulator | None = None
        self._saved: dict[str, str | None] = {}
        self._alias = False

    def __enter__(self) -> Workspace:
        from ..compat import alias
        from ..simulator import Simulator

        sim = self.given
        if sim is None:
            sim = self._owned = Simulator(token="cmldyn-test-" + secrets.token_hex(12), spec=self.spec).start()
        sim.reset(seed=self.seed, progression=PROGRESSIONS[self.progression], speed=self.speed)
        if self.drift:
            sim.faults.add(drift=self.drift)
        for fault in self.faults:
            sim.faults.add(**fault)
        variables = {**session_environment(sim.url, sim.token), ONLY_ORIGIN_ENV: sim.url}
        if self.project:
            variables["CDSW_PROJECT_ID"] = _project_id(sim, self.project)
        self._saved = {name: os.environ.get(name) for name in _VARIABLES}
        for name in _VARIABLES:
            os.environ.pop(name, None)
        os.environ.update(variables)
        self._alias = not alias.is_enabled() and alias.enable()
        if self.client is not None:
            self.client.contract.clear()  # answers checked afresh for each test
        return Workspace(sim, self.client, self.keep)

    def __exit__(self, *exc: Any) -> None:
        from ..compat import alias

        for name, value in self._saved.items():
            if value is None:
                os.environ.pop(name, None)
            else:
                os.environ[name] = value
        if self._alias:
            alias.disable()
        if self._owned is not None:
            self._owned.stop()
            self._owned = None


def _project_id(sim: Simulator, wanted: str) -> str:
    for ident, project in sim.workspace.store("projects").items():
        if wanted in (ident, project.get("name")):
            return ident
    raise ParamError(f"no project {wanted!r} in the simulator's state (seed it, or give the name of one)")
