"""Typed stubs for the spec a client was built from (``cmldyn stubs``), so editors and type checkers see
every operation of *this* workspace: ``api.create_job(`` completes, ``api.creat_job`` and a misspelt
keyword are errors before the script runs.

    cmldyn stubs                    writes ./typings/{cmldyn,cmlapi}/ (pyright and Pylance read ./typings)
    cmldyn stubs --check            exit 1 when the stubs were made from another spec than the server's now

Owns: the stub package. ``cmldyn/_workspace.pyi`` holds what the spec decides (Client with one method per
operation in cmlapi's argument order, its parameters and the body's fields typed, enums as ``Literal``;
a class per object schema with typed attributes and a keyword-only constructor; paged operations with
``.pages()`` and ``.items()`` typed down to the item). ``cmldyn/__init__.pyi``, ``cmldyn/compat`` and a
``cmlapi`` package re-export it; every other module of cmldyn gets a shallow stub read from its source
with ``ast`` (nothing is imported), so ``import cmldyn.testing`` still resolves. The first line of
``_workspace.pyi`` records the spec's digest, which ``--check`` and :func:`stale_note` compare.
May import: errors, jsonvalue, model, naming, schema, storage.
"""

from __future__ import annotations

import ast
import keyword
import os
import re
from dataclasses import dataclass, field
from typing import TYPE_CHECKING

from .errors import StorageError
from .jsonvalue import spec_digest
from .schema import Schema

if TYPE_CHECKING:
    from .model import OperationModel, ServiceModel

__all__ = ["HEADER", "StubReport", "read_digest", "stale_note", "write_stubs"]

HEADER = "# cmldyn stubs"
WORKSPACE = os.path.join("cmldyn", "_workspace.pyi")
_TAKEN = {"Any", "Literal", "Sequence", "Iterator", "Protocol", "overload", "Client", "CMLServiceApi", "str", "int", "float",
          "bool", "bytes", "list", "dict", "object", "type", "None", "default_client", "_Model", "_Models"}
_MODEL_METHODS = {"to_dict", "get", "keys", "items", "to_str", "to_pandas"}
_EXTRA_KEYWORDS = ("async_req: bool = ..., _request_timeout: Any = ..., _preload_content: bool = ..., "
                   "_return_http_data_only: bool = ...")


@dataclass
class StubReport:
    """What ``write_stubs`` wrote: where, how many files, bytes and classes, from which spec."""

    out: str
    files: int = 0
    bytes: int = 0
    operations: int = 0
    classes: int = 0
    digest: str = ""
    notes: list[str] = field(default_factory=list)


def read_digest(out: str) -> str | None:
    """The spec digest recorded in stubs under ``out`` (None: there are none)."""
    path = os.path.join(out, WORKSPACE)
    if not os.path.isfile(path):  # the common case: no stubs here, and no file is opened to find that out
        return None
    try:
        with open(path, encoding="utf-8") as handle:
            first = handle.readline()
    except OSError:
        return None
    found = re.search(r"spec sha256 ([0-9a-f]{64})", first)
    return found.group(1) if found else None


def stale_note(model: ServiceModel, out: str = "typings") -> str | None:
    """One line when stubs under ``out`` were made from another spec than ``model``'s, else None. Said once
    per change: the digest it was said for is kept beside the stubs."""
    made = read_digest(out)
    if made is None:
        return None
    now = spec_digest(model.spec.raw)
    if made == now:
        return None
    marker = os.path.join(out, "cmldyn", ".stale-noted")
    try:
        with open(marker, encoding="utf-8") as handle:
            if handle.read().strip() == now:
                return None
    except OSError:
        pass
    try:
        with open(marker, "w", encoding="utf-8") as handle:
            handle.write(now + "\n")
    except OSError:
        pass
    return f"the stubs in {out}/ were made from another spec than this one: run 'cmldyn stubs' to update them"


def write_stubs(model: ServiceModel, out: str = "typings", *, source: str = "") -> StubReport:
    """Write the stub package for ``model`` under ``out`` (files are replaced; nothing else there is touched)."""
    digest = spec_digest(model.spec.raw)
    gen = _Generator(model)
    workspace = gen.workspace(f"{HEADER}: spec sha256 {digest}; from {source or 'a spec'}; regenerate with 'cmldyn stubs'")
    files: dict[str, str] = {WORKSPACE: workspace}
    files.update(_package_files(gen))
    report = StubReport(out, digest=digest, operations=len(gen.ops), classes=len(gen.classes))
    for rel, text in sorted(files.items()):
        path = os.path.join(out, rel)
        try:
            os.makedirs(os.path.dirname(path), exist_ok=True)
            with open(path, "w", encoding="utf-8") as handle:
                handle.write(text)
        except OSError as error:
            raise StorageError(f"cannot write {path}: {error.strerror}") from None
        report.files += 1
        report.bytes += len(text.encode("utf-8"))
    try:
        os.remove(os.path.join(out, "cmldyn", ".stale-noted"))
    except OSError:
        pass
    return report


# ---------------------------------------------------------------------------------------------- the spec's types


class _Generator:
    def __init__(self, model: ServiceModel) -> None:
        self.model = model
        self.ops: list[OperationModel] = list(model.operations.values())
        self.classes: dict[str, str] = {}  # schema name -> class identifier
        used = set(_TAKEN)
        for name in model.schema_names():
            schema = model.spec.schema(name)
            if schema is None or not _is_object(schema):
                continue
            ident = re.sub(r"\W", "_", name)
            ident = ident if ident and not ident[0].isdigit() else "_" + ident
            while ident in used or keyword.iskeyword(ident):
                ident += "_"
            used.add(ident)
            self.classes[name] = ident

    def py(self, schema: Schema | None, *, inp: bool, depth: int = 0) -> str:
        """The Python type of values of ``schema``: inputs accept dicts and sequences, answers are exact."""
        if schema is None or depth > 6:
            return "Any"
        text = self._py(schema, inp, depth)
        return f"{text} | None" if schema.nullable and text != "Any" and not text.endswith("| None") else text

    def _py(self, schema: Schema, inp: bool, depth: int) -> str:
        if schema.name in self.classes:
            ident = self.classes[schema.name]
            return f"{ident} | dict[str, Any]" if inp else ident
        if schema.enum and all(isinstance(v, (str, int)) and not isinstance(v, bool) for v in schema.enum):
            return "Literal[" + ", ".join(repr(v) for v in schema.enum[:200]) + "]"
        kind = schema.type
        if kind == "array":
            inner = self.py(schema.items, inp=inp, depth=depth + 1)
            return f"Sequence[{inner}]" if inp else f"list[{inner}]"
        if kind in ("string",):
            return "bytes | str" if schema.format in ("binary", "byte") and inp else "str"
        if kind == "integer":
            return "int"
        if kind == "number":
            return "float"
        if kind == "boolean":
            return "bool"
        parts = schema.one_of or schema.any_of
        if parts:
            found = list(dict.fromkeys(self.py(p, inp=inp, depth=depth + 1) for p in parts[:8]))
            return "Any" if "Any" in found or len(parts) > 8 else " | ".join(found)
        if len(schema.all_of) == 1 and not schema.own_properties:
            return self.py(schema.all_of[0], inp=inp, depth=depth + 1)
        extra = schema.additional_properties
        if kind == "object" and not schema.properties:
            value = self.py(extra, inp=inp, depth=depth + 1) if isinstance(extra, Schema) else "Any"
            return f"dict[str, {value}]"
        return "dict[str, Any]" if inp and schema.properties else "Any"

    # ---------------------------------------------------------------- the module

    def workspace(self, header: str) -> str:
        out = [header, '"""What this spec decides: the operations and schemas, typed (generated; do not edit)."""',
               "from typing import Any, Iterator, Literal, Protocol, Sequence, overload", "",
               "class _Model:",
               "    def to_dict(self) -> dict[str, Any]: ...",
               "    def get(self, key: str, default: Any = ...) -> Any: ...",
               "    def keys(self) -> list[str]: ...",
               "    def __getitem__(self, key: str) -> Any: ...",
               "    def __contains__(self, key: object) -> bool: ...", ""]
        for name, ident in self.classes.items():
            out += self._class(name, ident)
        out += ["class _Models:"]
        out += [f"    {ident}: type[{ident}]" for ident in self.classes.values()] or ["    pass"]
        out += ["    def get(self, name: str) -> Any: ...", "    def names(self) -> list[str]: ...", ""]
        paged = []
        methods = []
        for op in self.ops:
            forms = self._params(op)
            answer = self._answer(op)
            if op.page_list_field:
                items = self._item_type(op)
                proto = f"_{op.name}_op"
                paged += [f"class {proto}(Protocol):",
                          f"    def __call__(self{forms[0]}) -> {answer}: ...",
                          f"    def pages(self{forms[0]}) -> Iterator[{answer}]: ...",
                          f"    def items(self{forms[0]}, max_items: int | None = ...) -> Iterator[{items}]: ...", ""]
                methods.append(f"    {op.name}: {proto}")
            elif len(forms) == 1:
                methods.append(f"    def {op.name}(self{forms[0]}) -> {answer}: ...")
            else:
                for form in forms:
                    methods += ["    @overload", f"    def {op.name}(self{form}) -> {answer}: ..."]
        out += paged
        out += ["class Client:",
                '    """A cmldyn client for this spec (the methods below are its operations)."""',
                "    models: _Models",
                "    def __init__(self, host: str | None = ..., token: str | None = ..., **options: Any) -> None: ...",
                *self._client_members(), *methods, "",
                "class CMLServiceApi(Client):",
                "    def __init__(self, api_client: Any = ...) -> None: ...", "",
                "def default_client(url: str | None = ..., cml_api_key: str | None = ..., **options: Any) -> Client: ...",
                ""]
        return "\n".join(out)

    def _class(self, name: str, ident: str) -> list[str]:
        schema = self.model.spec.schema(name)
        assert schema is not None
        fields = [(k, v) for k, v in schema.properties.items()
                  if k.isidentifier() and not keyword.iskeyword(k) and k not in _MODEL_METHODS and not k.startswith("_")]
        lines = [f"class {ident}(_Model):"]
        lines += [f"    {k}: {self.py(v, inp=False)}" for k, v in fields]
        args = "".join(f", {k}: {self.py(v, inp=True)} | None = ..." for k, v in fields)
        lines.append(f"    def __init__(self, *{args}) -> None: ..." if args else "    def __init__(self) -> None: ...")
        return [*lines, ""]

    def _params(self, op: OperationModel) -> list[str]:
        """The parameter lists of an operation: cmlapi's (the body first, then path values, positionally), and,
        where the body's fields may come as keywords instead, a second one with no body."""
        body = op.body_param
        positional = [f"{p.name}: {self.py(p.schema, inp=True)}" for p in op.positional]
        rest = [f"{p.name}: {self.py(p.schema, inp=True)} | None = ..." for p in op.params if p not in op.positional]
        fields = []
        if body is not None:
            names = {p.name for p in op.params}
            fields = [f"{k}: {self.py(v, inp=True)} | None = ..." for k, v in op.body_fields.items()
                      if k.isidentifier() and not keyword.iskeyword(k) and k not in names]
        first = "".join(f", {w}" for w in positional) + ", *, " + ", ".join([*rest, *fields, _EXTRA_KEYWORDS])
        if body is None or not fields:
            return [first]
        required = [w for p, w in zip(op.positional, positional, strict=True) if p is not body]
        second = ", *, " + ", ".join([*required, *rest, *fields, _EXTRA_KEYWORDS])
        return [first, second]

    def _answer(self, op: OperationModel) -> str:
        if op.binary_response:
            return "bytes"
        _, schema, _ = op.success
        return self.py(schema, inp=False) if schema is not None else "None"

    def _item_type(self, op: OperationModel) -> str:
        _, schema, _ = op.success
        prop = schema.properties.get(op.page_list_field or "") if schema is not None else None
        return self.py(prop.items, inp=False) if prop is not None and prop.type == "array" else "Any"

    def _client_members(self) -> list[str]:
        from .client import RESERVED, Client

        lines = []
        op_names = {op.name for op in self.ops}
        for name in sorted(RESERVED):
            if name.startswith("_") or name in op_names or name == "models":
                continue
            member = getattr(Client, name, None)
            if callable(member) and not isinstance(member, type):
                lines.append(f"    def {name}(self, *args: Any, **kwargs: Any) -> Any: ...")
            else:
                lines.append(f"    {name}: Any")
        return lines


def _is_object(schema: Schema) -> bool:
    if schema.enum or schema.type not in (None, "object"):
        return False
    return bool(schema.properties) or (schema.type == "object" and not isinstance(schema.additional_properties, Schema))


# ---------------------------------------------------------------------------------------------- the packages


def _package_files(gen: _Generator) -> dict[str, str]:
    """Every .pyi but _workspace: the precise re-exports, a shallow stub of each other cmldyn module, cmlapi."""
    root = os.path.dirname(os.path.abspath(__file__))
    files: dict[str, str] = {}
    for dirpath, dirnames, filenames in os.walk(root):
        dirnames[:] = sorted(d for d in dirnames if not d.startswith((".", "_")) and d != "data")
        for filename in sorted(filenames):
            if not filename.endswith(".py") or (filename.startswith("_") and filename != "__init__.py"):
                continue
            rel = os.path.relpath(os.path.join(dirpath, filename), os.path.dirname(root))
            with open(os.path.join(dirpath, filename), encoding="utf-8") as handle:
                files[rel[:-3] + ".pyi"] = shallow_stub(handle.read())
    names = list(gen.classes.values())
    exported = ", ".join(f"{n} as {n}" for n in ["Client", "CMLServiceApi", "default_client", *names])
    errors = _public_names(os.path.join(root, "errors.py"))
    files[os.path.join("cmldyn", "__init__.pyi")] = "\n".join([
        f"{HEADER}: the package's names, with this spec's Client and classes",
        f"from ._workspace import {exported}",
        "from .errors import " + ", ".join(f"{n} as {n}" for n in errors),
        "from .results import Result as Result",
        "from .compat import ApiClient as ApiClient, Configuration as Configuration, rest as rest, utils as utils",
        "__version__: str", ""])
    files[os.path.join("cmldyn", "client.pyi")] = files[os.path.join("cmldyn", "client.pyi")].replace(
        "class Client:", "class _UntypedClient:").replace("def default_client(", "def _untyped_default_client(") + \
        "from ._workspace import Client as Client, default_client as default_client\n"
    compat = os.path.join("cmldyn", "compat")
    classes = ", ".join(f"{n} as {n}" for n in names) or "Client as _Client"
    files[os.path.join(compat, "__init__.pyi")] = "\n".join([
        f"{HEADER}: cmlapi's names over this spec",
        "from .._workspace import Client as Client, CMLServiceApi as CMLServiceApi, default_client as default_client",
        "from ..errors import ApiException as ApiException",
        "from .api_client import ApiClient as ApiClient",
        "from .configuration import Configuration as Configuration",
        "from . import api_client as api_client, configuration as configuration, exceptions as exceptions, "
        "models as models, rest as rest, utils as utils", *([f"from .._workspace import {classes}"] if names else []),
        ""])
    files[os.path.join(compat, "api", "cml_service_api.pyi")] = \
        "from ..._workspace import CMLServiceApi as CMLServiceApi\n"
    files[os.path.join(compat, "models", "__init__.pyi")] = f"from ..._workspace import {classes}\n"
    for name in names:
        module = re.sub(r"(?<=[a-z0-9])([A-Z])", r"_\1", name).lower()
        files[os.path.join(compat, "models", f"{module}.pyi")] = f"from ..._workspace import {name} as {name}\n"
    files[os.path.join(compat, "utils.pyi")] = "from ..paginate import Cursor as Cursor\n"
    # cmlapi: the same names, as the generated package spells its modules.
    for rel in [r for r in list(files) if r.startswith(compat + os.sep)]:
        files[os.path.join("cmlapi", os.path.relpath(rel, compat))] = _reexport(rel, files[rel])
    return files


def _reexport(rel: str, text: str) -> str:
    """A cmlapi module: what the compat module of the same path has."""
    module = rel[:-4].replace(os.sep, ".").removesuffix(".__init__")
    names = re.findall(r"\bas (\w+)\b", text) + re.findall(r"^(?:class|def) (\w+)", text, re.M)
    names = [n for n in dict.fromkeys(names) if not n.startswith("_")]
    if not names:
        return f"from {module} import *\n"
    return f"from {module} import " + ", ".join(f"{n} as {n}" for n in names) + "\n"


def _public_names(path: str) -> list[str]:
    with open(path, encoding="utf-8") as handle:
        tree = ast.parse(handle.read())
    for node in tree.body:
        if isinstance(node, ast.Assign) and any(isinstance(t, ast.Name) and t.id == "__all__" for t in node.targets):
            value = ast.literal_eval(node.value)
            return [str(v) for v in value]
    return []


def shallow_stub(source: str) -> str:
    """A module's names from its source, loosely typed: classes (with their bases where those are names of the
    module or builtins), functions, constants; any other name is Any through a module ``__getattr__``."""
    try:
        tree = ast.parse(source)
    except SyntaxError:
        return "from typing import Any\ndef __getattr__(name: str) -> Any: ...\n"
    defined = {n.name for n in tree.body if isinstance(n, ast.ClassDef)}
    public: set[str] = set()
    for node in tree.body:
        if isinstance(node, ast.Assign) and any(isinstance(t, ast.Name) and t.id == "__all__" for t in node.targets):
            try:
                public = {str(v) for v in ast.literal_eval(node.value)}
            except ValueError:
                pass
    builtin = {"Exception", "TypeError", "ValueError", "KeyError", "AttributeError", "RuntimeError", "LookupError",
               "OSError", "dict", "list"}
    out = ["from typing import Any", ""]
    for node in tree.body:
        if isinstance(node, ast.ImportFrom) and node.module != "__future__":
            source = "." * node.level + (node.module or "")
            for alias in node.names:
                name = alias.asname or alias.name
                if name in public:  # a name the module re-exports: the stub says where it comes from
                    out.append(f"from {source} import {alias.name} as {name}")
        elif isinstance(node, ast.ClassDef) and not node.name.startswith("_"):
            bases = [b.id for b in node.bases if isinstance(b, ast.Name) and (b.id in defined or b.id in builtin)]
            out += [f"class {node.name}{'(' + ', '.join(bases) + ')' if bases else ''}:",
                    "    def __init__(self, *args: Any, **kwargs: Any) -> None: ...",
                    "    def __getattr__(self, name: str) -> Any: ...",
                    "    def __call__(self, *args: Any, **kwargs: Any) -> Any: ...", ""]
        elif isinstance(node, (ast.FunctionDef, ast.AsyncFunctionDef)) and not node.name.startswith("_"):
            out.append(f"def {node.name}(*args: Any, **kwargs: Any) -> Any: ...")
        elif isinstance(node, (ast.Assign, ast.AnnAssign)):
            targets = node.targets if isinstance(node, ast.Assign) else [node.target]
            for target in targets:
                if isinstance(target, ast.Name) and not target.id.startswith("_") and target.id != "__all__":
                    out.append(f"{target.id}: Any")
    out.append("def __getattr__(name: str) -> Any: ...")
    return "\n".join(out) + "\n"
