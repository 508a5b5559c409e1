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

__all__ = ["build_callable", "signature"]


def build_callable(call: Callable[..., Any], op: OperationModel) -> Callable[..., Any]:
    """``call(op, *args, **kwargs)`` as a function of the operation's own name, doc and signature."""

    def operation(*args: Any, **kwargs: Any) -> Any:
        return call(op, *args, **kwargs)

    operation.__name__ = op.name
    operation.__qualname__ = f"Client.{op.name}"
    operation.__doc__ = render_doc(op)
    operation.__signature__ = signature(op)  # type: ignore[attr-defined]
    operation.operation = op  # type: ignore[attr-defined]
    operation.operation_id = op.operation_id  # type: ignore[attr-defined]
    if op.page_list_field:
        field = op.page_list_field

        def pages(*args: Any, **kwargs: Any) -> Iterator[Any]:
            """Each page, following next_page_token (page_size, search_filter and sort repeated)."""
            return iter_pages(_counted(operation, op.name), args, kwargs)

        def items(*args: Any, max_items: int | None = None, **kwargs: Any) -> Iterator[Any]:
            return iter_items(_counted(operation, op.name), field, args, kwargs, max_items=max_items)

        items.__doc__ = f"Every item of {field!r} across pages, fetched as you iterate."

        operation.pages = pages  # type: ignore[attr-defined]
        operation.items = items  # type: ignore[attr-defined]
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
