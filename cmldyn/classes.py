"""The spec's named schemas as Python classes: ``CreateProjectRequest(name=..., template="Python")``.

Owns: one small class per definition (Swagger 2) or component schema (OpenAPI 3),
with attribute access, ``to_dict()`` and a field check that names an unknown
field (ParamError) the moment it is set. The same classes answer ``isinstance`` for results of
that schema. May import: errors, jsonvalue, schema, spec.
Scripts written for the generated cmlapi build their bodies this way.
"""

from __future__ import annotations

import inspect
import keyword
from typing import Any, Callable, Iterable

from .errors import ParamError, did_you_mean
from .jsonvalue import JSON, to_plain
from .schema import Schema, type_label

__all__ = ["RequestModel", "SchemaClasses", "builtin_class", "builtin_names", "make_class"]


class _ModelType(type):
    """The request classes' type: ``isinstance(answer, cmldyn.Project)`` holds for an answer the spec
    calls ``Project`` too (as with cmlapi's models, which serve both as bodies and as answers)."""

    def __instancecheck__(cls, instance: Any) -> bool:
        if type.__instancecheck__(cls, instance):
            return True
        schema = getattr(instance, "_schema", None) if type(instance).__module__ == "cmldyn.models" else None
        name = getattr(schema, "name", None)
        return name is not None and name == getattr(cls, "_schema_name", None)


class RequestModel(metaclass=_ModelType):
    """Base of the generated request classes. Fields are the schema's properties."""

    _schema_name: str = "object"
    _fields: dict[str, Schema] = {}
    _open: bool = False

    def __init__(self, *args: Any, **fields: Any) -> None:
        if args:
            raise ParamError(f"{self._schema_name}() takes fields as keywords, e.g. {self._schema_name}(name=...)")
        object.__setattr__(self, "_values", {})
        for key, value in fields.items():
            setattr(self, key, value)

    def __setattr__(self, key: str, value: Any) -> None:
        if key not in self._fields and not self._open:
            raise ParamError(f"unknown field {key!r} for {self._schema_name}{did_you_mean(key, self._fields)}")
        self._values[key] = value

    def __getattr__(self, key: str) -> Any:
        if key.startswith("_"):
            raise AttributeError(key)
        values = object.__getattribute__(self, "_values")
        if key in values:
            return values[key]
        if key in type(self)._fields:
            return None  # unset, as in cmlapi's models
        raise AttributeError(f"{self._schema_name} has no field {key!r}")

    def __dir__(self) -> list[str]:
        return sorted(set(self._fields) | {"to_dict"})

    def __eq__(self, other: object) -> bool:
        if isinstance(other, RequestModel):
            return self.to_dict() == other.to_dict()
        return NotImplemented

    __hash__ = None  # type: ignore[assignment]

    def to_dict(self) -> dict[str, JSON]:
        """The set fields as plain JSON (unset fields are left out, as PATCH bodies need)."""
        return {key: to_plain(value) for key, value in self._values.items() if value is not None}

    def __repr__(self) -> str:
        inner = ", ".join(f"{k}={v!r}" for k, v in self._values.items())
        return f"{self._schema_name}({inner})"


def make_class(name: str, schema: Schema) -> type[RequestModel]:
    """A class for one named schema: its fields as keyword parameters (``inspect.signature`` and editors
    show them, default None, annotated with the schema's type) and described in its docstring."""
    props = schema.properties
    required = schema.required
    lines = []
    for key, prop in props.items():
        mark = ", required" if key in required else ""
        text = " ".join(prop.description.split())
        text = text if len(text) <= 100 else text[:99] + "…"
        lines.append(f"    {key} ({type_label(prop, 1)}{mark}){': ' + text if text else ''}")
    doc = schema.description or f"The {name} object."
    open_schema = schema.additional_properties not in (None, False) and not props
    params = [inspect.Parameter(k, inspect.Parameter.KEYWORD_ONLY, default=None, annotation=_annotation(v))
              for k, v in props.items() if k.isidentifier() and not keyword.iskeyword(k)]
    return type(name, (RequestModel,), {
        "_schema_name": name,
        "_fields": props,
        "_open": open_schema,
        "__doc__": f"{doc}\n\nFields:\n" + "\n".join(lines) if lines else doc,
        "__signature__": inspect.Signature(params),
        "__module__": "cmldyn.classes",
    })


_PYTHON_TYPES: dict[str, Any] = {"string": str, "integer": int, "number": float, "boolean": bool, "array": list}


def _annotation(schema: Schema) -> Any:
    """The Python type of a field where there is one (``str``, ``int`` ...; ``dict`` for an unnamed object),
    else the schema's own label (``Project``, ``array[Job]``)."""
    if schema.name is not None or schema.type == "array" and schema.items is not None and schema.items.name:
        return type_label(schema, 1)
    if schema.type == "object":
        return dict
    return _PYTHON_TYPES.get(schema.type or "", type_label(schema, 1))


class SchemaClasses:
    """Classes for every named schema of a spec, made on first use."""

    def __init__(self, names: Iterable[str], lookup: Callable[[str], Schema | None]) -> None:
        self._names = list(names)
        self._lookup = lookup
        self._made: dict[str, type[RequestModel]] = {}

    def names(self) -> list[str]:
        return list(self._names)

    def get(self, name: str) -> type[RequestModel] | None:
        made = self._made.get(name)
        if made is None:
            schema = self._lookup(name)
            if schema is None:
                return None
            made = make_class(name, schema)
            self._made[name] = made
        return made

    def __getattr__(self, name: str) -> type[RequestModel]:
        if name.startswith("_"):
            raise AttributeError(name)
        made = self.get(name)
        if made is None:
            raise AttributeError(f"no schema {name!r} in the spec{did_you_mean(name, self._names)}")
        return made

    def __dir__(self) -> list[str]:
        return sorted(set(self._names) | {"get", "names"})



_BUILTIN: SchemaClasses | None = None


def builtin_names() -> list[str]:
    """The named schemas of the CML spec shipped with cmldyn (what ``dir(cmldyn)`` lists)."""
    return _builtin().names()


def _builtin() -> SchemaClasses:
    global _BUILTIN
    if _BUILTIN is None:
        import json
        from importlib import resources

        from .spec import build_spec

        raw = json.loads(resources.files("cmldyn").joinpath("data/cml-api-v2.swagger.json").read_bytes())
        spec = build_spec(raw, "cmldyn/data/cml-api-v2.swagger.json")
        _BUILTIN = SchemaClasses(spec.schema_names(), spec.schema)
    return _BUILTIN


def builtin_class(name: str) -> type[RequestModel] | None:
    """A request class from the CML spec shipped with cmldyn, usable before any client exists
    (``cmldyn.CreateProjectRequest(name=...)``). The body is checked again, against the
    workspace's live spec, when it is sent."""
    return _builtin().get(name)
