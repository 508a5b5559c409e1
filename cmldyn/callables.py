"""An operation as a Python function: its own ``__name__``, ``__doc__`` and ``__signature__``.

Owns: :func:`build_callable` (with ``.pages()`` and ``.items()`` where the operation pages) and
:func:`signature` (cmlapi's argument order: the body, then path parameters, then keywords, each
annotated with its type). May import: display, docs, model, paginate, schema. Knows nothing of Client: it is handed
the function that calls.
"""

from __future__ import annotations

import inspect
import keyword
from typing import Any, Callable, Iterator

from .docs import render_doc
from .model import OperationModel
from .paginate import iter_items, iter_pages
from .schema import type_label

__all__ = ["Operation", "build_callable", "signature"]


class Operation:
    """One operation as a callable (``api.create_job``). Its ``__doc__`` and ``__signature__`` are made on first
    access (``help()``, ``inspect.signature``, an editor's tooltip), not when it is built: a client that touches
    every operation of a large spec renders no documentation it is not asked for. ``__get__`` makes it a
    routine for inspect and pydoc, so ``help(api.create_job)`` shows its signature and text as for a function."""

    __slots__ = ("_call", "operation", "operation_id", "__name__", "__qualname__", "_doc", "_signature", "pages", "items")
    pages: Callable[..., Iterator[Any]]  # set only for an operation that pages (hasattr says which)
    items: Callable[..., Iterator[Any]]

    def __init__(self, call: Callable[..., Any], op: OperationModel) -> None:
        self._call = call
        self.operation = op
        self.operation_id = op.operation_id
        self.__name__ = op.name
        self.__qualname__ = f"Client.{op.name}"
        self._doc: str | None = None
        self._signature: inspect.Signature | None = None

    def __call__(self, *args: Any, **kwargs: Any) -> Any:
        return self._call(self.operation, *args, **kwargs)

    def __get__(self, instance: Any, owner: Any = None) -> Operation:
        return self

    @property
    def __doc__(self) -> str:  # type: ignore[override]  # the operation's text, rendered once, when asked
        if self._doc is None:
            self._doc = render_doc(self.operation)
        return self._doc

    @property
    def __signature__(self) -> inspect.Signature:
        if self._signature is None:
            self._signature = signature(self.operation)
        return self._signature

    def __repr__(self) -> str:
        return f"<operation {self.__qualname__}>"


def build_callable(call: Callable[..., Any], op: OperationModel) -> Callable[..., Any]:
    """``call(op, *args, **kwargs)`` as a callable of the operation's own name, doc and signature."""
    operation = Operation(call, op)
    if op.page_list_field:
        field = op.page_list_field

        def pages(*args: Any, **kwargs: Any) -> Iterator[Any]:
            """Each page, following next_page_token (page_size, search_filter and sort repeated)."""
            return iter_pages(_counted(operation, op.name), args, kwargs)

        def items(*args: Any, max_items: int | None = None, **kwargs: Any) -> Iterator[Any]:
            return iter_items(_counted(operation, op.name), field, args, kwargs, max_items=max_items)

        items.__doc__ = f"Every item of {field!r} across pages, fetched as you iterate."

        operation.pages = pages
        operation.items = items
    return operation


def _counted(operation: Callable[..., Any], name: str) -> Callable[..., Any]:
    """In Jupyter, the page calls of one walk through a list show as one updating line; elsewhere as they are."""
    from .display import notebook_progress

    show = notebook_progress()
    if show is None:
        return operation
    done = [0]

    def page(*args: Any, **kwargs: Any) -> Any:
        result = operation(*args, **kwargs)
        done[0] += 1
        show(f"{name}: page {done[0]}")
        return result

    return page


def signature(op: OperationModel) -> inspect.Signature:
    params = []
    for p in op.positional:
        params.append(
            inspect.Parameter(
                p.name,
                inspect.Parameter.POSITIONAL_OR_KEYWORD,
                annotation=type_label(p.schema),
            )
        )
    for p in op.params:
        if p in op.positional:
            continue
        params.append(inspect.Parameter(p.name, inspect.Parameter.KEYWORD_ONLY, default=None, annotation=p.type_label))
    if op.body_param is not None:
        # The body's fields as keywords too, so editors, Shift-Tab and IPython's completer offer them.
        for name, prop in op.body_fields.items():
            if name.isidentifier() and not keyword.iskeyword(name):
                params.append(inspect.Parameter(name, inspect.Parameter.KEYWORD_ONLY, default=None,
                                                annotation=type_label(prop, 1)))
        params.append(inspect.Parameter("body_fields", inspect.Parameter.VAR_KEYWORD))
    code, schema, _ = op.success
    ret = "bytes" if op.binary_response else (type_label(schema) if schema is not None else "None")
    return inspect.Signature(params, return_annotation=ret)
