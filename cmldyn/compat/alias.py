"""The one switch that makes ``import cmlapi`` (and every ``cmlapi.x`` module) resolve to cmldyn.

Nothing turns it on by itself: ``import cmldyn`` leaves ``import cmlapi`` alone. ``cmldyn run`` and
the pytest plugin turn it on, and so can a user (``cmldyn.compat.alias.enable()``). A real ``cmlapi``
that is installed wins unless ``force=True``: a script written for the generated client keeps it.

How: a finder at the front of ``sys.meta_path`` answers for ``cmlapi`` and ``cmlapi.*`` with the
modules of ``cmldyn.compat`` (``cmlapi.utils`` is ``cmldyn.compat.utils``, the very same module
object), and for ``cmlapi.models.<snake_name>`` (the generated client's one module per model) with a
small module holding that one class. May import: compat (lazily).
"""

from __future__ import annotations

import importlib
import importlib.abc
import importlib.machinery
import importlib.util
import re
import sys
import types
from collections.abc import Iterator, Sequence
from contextlib import contextmanager
from typing import Any

__all__ = ["NAME", "disable", "enable", "enabled", "is_enabled", "real_cmlapi_installed"]

NAME = "cmlapi"
_TARGET = "cmldyn.compat"


class _Finder(importlib.abc.MetaPathFinder, importlib.abc.Loader):
    """Finds ``cmlapi`` and its modules among cmldyn.compat's."""

    def find_spec(self, fullname: str, path: Sequence[str] | None = None,
                  target: types.ModuleType | None = None) -> importlib.machinery.ModuleSpec | None:
        if fullname != NAME and not fullname.startswith(NAME + "."):
            return None
        module = _module_for(fullname)
        if module is None:
            return None
        spec = importlib.machinery.ModuleSpec(fullname, self, is_package=hasattr(module, "__path__"))
        spec.loader_state = module
        return spec

    def create_module(self, spec: importlib.machinery.ModuleSpec) -> types.ModuleType:
        module: types.ModuleType = spec.loader_state
        return module

    def exec_module(self, module: types.ModuleType) -> None:
        return None  # already executed: it is cmldyn's own module


def _module_for(fullname: str) -> types.ModuleType | None:
    """The module that stands for ``fullname`` (``cmlapi.rest`` -> cmldyn.compat.rest), or None."""
    inner = _TARGET + fullname[len(NAME):]
    try:
        return importlib.import_module(inner)
    except ModuleNotFoundError:
        pass
    # cmlapi.models.create_job_request: the generated client's module for one model class.
    match = re.fullmatch(rf"{NAME}\.models\.([a-z0-9_]+)", fullname)
    if match is None:
        return None
    from . import models

    wanted = match.group(1)
    name = next((n for n in models.__dir__() if _snake(n) == wanted), None)
    if name is None:
        return None
    module = types.ModuleType(fullname, f"The generated client's module for {name}.")
    setattr(module, name, getattr(models, name))
    module.__all__ = [name]  # type: ignore[attr-defined]
    return module


def _snake(name: str) -> str:
    return re.sub(r"(?<=[a-z0-9])(?=[A-Z])|(?<=[A-Z])(?=[A-Z][a-z])", "_", name).lower()


_FINDER = _Finder()


def real_cmlapi_installed() -> bool:
    """Whether another ``cmlapi`` (the generated client) can be imported, cmldyn's alias aside."""
    if is_enabled():
        sys.meta_path.remove(_FINDER)
        try:
            return _find_real()
        finally:
            sys.meta_path.insert(0, _FINDER)
    return _find_real()


def _find_real() -> bool:
    found = sys.modules.get(NAME)
    if found is not None:
        return not getattr(found, "__name__", "").startswith(_TARGET)
    try:
        return importlib.util.find_spec(NAME) is not None
    except (ImportError, ValueError):
        return False


def is_enabled() -> bool:
    return _FINDER in sys.meta_path


def enable(*, force: bool = False) -> bool:
    """Make ``import cmlapi`` resolve to cmldyn; True when it does. With a real ``cmlapi`` installed this
    does nothing (and returns False) unless ``force``."""
    if is_enabled():
        return True
    if not force and real_cmlapi_installed():
        return False
    for name in [n for n in sys.modules if n == NAME or n.startswith(NAME + ".")]:
        del sys.modules[name]  # a real one imported before: forced out
    sys.meta_path.insert(0, _FINDER)
    return True


def disable() -> None:
    """Undo :func:`enable`: ``import cmlapi`` finds what it found before."""
    if is_enabled():
        sys.meta_path.remove(_FINDER)
    for name in [n for n in sys.modules if n == NAME or n.startswith(NAME + ".")]:
        module: Any = sys.modules[name]
        if getattr(module, "__name__", "").startswith((_TARGET, NAME + ".models.")):
            del sys.modules[name]


@contextmanager
def enabled(*, force: bool = False) -> Iterator[bool]:
    """``with enabled(): import cmlapi`` (True inside when the alias is on); undone on leaving unless it was on."""
    was = is_enabled()
    on = enable(force=force)
    try:
        yield on
    finally:
        if on and not was:
            disable()
