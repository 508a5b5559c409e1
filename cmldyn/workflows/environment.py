"""A project's environment: the JSON object CML keeps as text in ``Project.environment``, changed safely.

    env = api.project_env("demo")          # by id or exact name
    env["MODE"]                            # a mapping of the values as they are now
    env.set(MODE="fast", RETRIES="3")      # or merge({...}); unset("OLD")
    env.restart_apps()                     # the running applications pick the change up

Every write is a read-modify-write of the whole object (the API has no version to compare), so each one
is read back at once and again a moment later: a writer who read before this one and wrote after it
would have dropped its keys, and the change is then made again on the fresh value, never by writing
back the other writer's keys away. Bounded: after ``retries`` attempts it gives up and says so.
Values whose names look like secrets (key, token, password, secret, credential) are masked in every
display of it (``repr``, ``masked()``); ``***``, the masked form, is refused as a value, so it never
reaches the project or a file. May import: errors, jsonvalue, workflows.common.
"""

from __future__ import annotations

import json
import random
import time
from collections.abc import Iterator, Mapping
from dataclasses import dataclass, field
from typing import Any, Callable

from ..errors import CmldynError, ParamError
from ..jsonvalue import MASK, is_secret_name
from .common import find_project, wait_for

# `api` is a cmldyn Client (typed loosely: the client offers these verbs, so this module cannot import it).
Client = Any

__all__ = ["EnvChange", "ProjectEnvironment", "parse_dotenv"]


@dataclass
class EnvChange:
    """What one change did: the names added, changed and removed, and how many attempts it took."""

    added: list[str] = field(default_factory=list)
    changed: list[str] = field(default_factory=list)
    removed: list[str] = field(default_factory=list)
    attempts: int = 1

    @property
    def nothing(self) -> bool:
        return not (self.added or self.changed or self.removed)

    def __str__(self) -> str:
        if self.nothing:
            return "nothing to change"
        parts = [f"{what} {', '.join(names)}" for what, names in (("added", self.added), ("changed", self.changed),
                                                                   ("removed", self.removed)) if names]
        again = f" (after {self.attempts} attempts: another writer changed it meanwhile)" if self.attempts > 1 else ""
        return "; ".join(parts) + again


class ProjectEnvironment(Mapping[str, str]):
    """A project's environment variables, read fresh from the project (``refresh()``) and changed safely."""

    def __init__(self, api: Client, project: Any, *, retries: int = 8, sleep: Callable[[float], None] = time.sleep,
                 rand: Callable[[], float] = random.random) -> None:
        self.api = api
        found = find_project(api, project)
        self.project_id = str(found.id)
        self.project_name = str(found.get("name", ""))
        self.retries, self.sleep, self.rand = retries, sleep, rand
        self._values = self._parse(found.get("environment"))

    # ------------------------------------------------------------ reading

    @staticmethod
    def _parse(text: Any) -> dict[str, str]:
        if isinstance(text, dict):
            return {str(k): str(v) for k, v in text.items()}
        if not text:
            return {}
        try:
            loaded = json.loads(text)
        except ValueError:
            raise CmldynError("the project's environment is not a JSON object; it is left as it is") from None
        if not isinstance(loaded, dict):
            raise CmldynError("the project's environment is not a JSON object; it is left as it is")
        return {str(k): v if isinstance(v, str) else json.dumps(v) for k, v in loaded.items()}

    def refresh(self) -> dict[str, str]:
        """Read the environment again from the project; the mapping follows."""
        self._values = self._parse(self.api.get_project(self.project_id).get("environment"))
        return dict(self._values)

    def __getitem__(self, name: str) -> str:
        return self._values[name]

    def __iter__(self) -> Iterator[str]:
        return iter(self._values)

    def __len__(self) -> int:
        return len(self._values)

    def masked(self, *, reveal: bool = False) -> dict[str, str]:
        """The values, those with secret-like names as ``***`` (all of them with ``reveal``)."""
        return {k: (v if reveal or not is_secret_name(k) else MASK) for k, v in self._values.items()}

    def __repr__(self) -> str:
        return f"ProjectEnvironment({self.project_name or self.project_id!r}, {self.masked()!r})"

    # ------------------------------------------------------------ changing

    def set(self, values: Mapping[str, Any] | None = None, **more: Any) -> EnvChange:
        """Give names these values (others are kept). Values are text: numbers and booleans are written as text."""
        wanted = {str(k): _text(k, v) for k, v in {**(values or {}), **more}.items()}
        return self._change(wanted, [])

    merge = set

    def unset(self, *names: str) -> EnvChange:
        """Remove these names (a name that is not there is no error)."""
        return self._change({}, [str(n) for n in names])

    def _change(self, wanted: dict[str, str], removed: list[str]) -> EnvChange:
        for name in wanted:
            if not name or "\x00" in name:
                raise ParamError(f"invalid environment variable name {name!r}")
        attempt = 0
        while True:
            attempt += 1
            started = time.monotonic()
            current = self.refresh()
            target = {k: v for k, v in current.items() if k not in removed}
            target.update(wanted)
            change = EnvChange(added=sorted(k for k in wanted if k not in current),
                               changed=sorted(k for k in wanted if k in current and current[k] != wanted[k]),
                               removed=sorted(k for k in removed if k in current), attempts=attempt)
            if target == current:
                return change
            self.api.update_project({"environment": json.dumps(target)}, self.project_id)
            took = time.monotonic() - started
            # Read back at once, then again after a moment: a writer who read before this write and writes
            # after it drops these keys, and only a second look sees that.
            if self._holds(wanted, removed) and self._holds(wanted, removed, pause=max(0.05, 2 * took)):
                return change
            if attempt >= self.retries:
                raise CmldynError(f"the environment of project {self.project_name or self.project_id} did not keep the "
                                  f"change after {attempt} attempts: another writer keeps changing it",
                                  hint="try again; the keys it did keep are the project's now")
            self.sleep(self.rand() * min(2.0, 0.05 * 2 ** attempt))  # apart from the other writer

    def _holds(self, wanted: dict[str, str], removed: list[str], pause: float = 0.0) -> bool:
        if pause:
            self.sleep(pause * (1 + self.rand()))
        now = self.refresh()
        return all(now.get(k) == v for k, v in wanted.items()) and not any(k in now for k in removed)

    # ------------------------------------------------------------ after a change

    def restart_apps(self, *, timeout: float = 600.0, delay: float = 2.0) -> list[str]:
        """Restart the project's running applications (they read the environment when they start) and wait
        until each runs again; return their names. A failure is a WorkloadError naming the application."""
        running = [a for a in self.api.list_applications.items(self.project_id, page_size=100)
                   if a.get("status") == "APPLICATION_RUNNING"]
        for app in running:
            self.api.restart_application(self.project_id, app.id)
        for app in running:
            wait_for(self.api, self.api.get_application, self.project_id, app.id, timeout=timeout, delay=delay,
                     step=f"restart application {app.get('name') or app.id}")
        return [str(a.get("name") or a.id) for a in running]


def _text(name: Any, value: Any) -> str:
    if value is None:
        raise ParamError(f"no value for {name}: to remove it, unset it")
    text = value if isinstance(value, str) else (json.dumps(value) if not isinstance(value, bool) else str(value).lower())
    if text == MASK and is_secret_name(str(name)):
        raise ParamError(f"{name}: {MASK!r} is how a secret is shown, not its value; give the value itself, or leave "
                         "the name out")
    return text


def parse_dotenv(text: str, source: str = ".env") -> dict[str, str]:
    """``NAME=value`` lines (``export`` and quotes allowed, ``#`` comments), as a .env file holds them.

    Raises:
        ParamError: a line that is not NAME=value (named by its number).
    """
    values: dict[str, str] = {}
    for number, raw in enumerate(text.splitlines(), start=1):
        line = raw.strip()
        if not line or line.startswith("#"):
            continue
        if line.startswith("export "):
            line = line[7:].lstrip()
        name, sep, value = line.partition("=")
        name = name.strip()
        if not sep or not name or not name.replace("_", "a").isalnum():
            raise ParamError(f"{source}:{number}: expected NAME=value, got {raw.strip()[:60]!r}")
        value = value.strip()
        if len(value) >= 2 and value[0] == value[-1] and value[0] in "'\"":
            value = value[1:-1]
        values[name] = value
    return values
