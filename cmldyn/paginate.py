"""Follow CML's body page tokens over any operation callable.

An operation pages when it takes ``page_token`` and answers with
``next_page_token`` and exactly one array field (inferred from the spec by
OperationModel.page_list_field). Each follow-up repeats every other argument
(page_size, search_filter, sort), as CML requires. Pages are fetched lazily;
an empty token ends; a token seen before is a PaginationError.
May import: errors, results. Takes a callable, never a Client.
"""

from __future__ import annotations

from typing import Any, Callable, Iterator

from .errors import PaginationError
from .results import field_of

__all__ = ["Cursor", "MAX_PAGES", "iter_items", "iter_pages"]

MAX_PAGES = 10_000


def iter_pages(call: Callable[..., Any], args: tuple[Any, ...], kwargs: dict[str, Any], *,
               max_pages: int = MAX_PAGES) -> Iterator[Any]:
    """Yield each page's result, following ``next_page_token``."""
    seen: set[str] = set()
    kwargs = dict(kwargs)
    for count in range(1, max_pages + 1):
        page = call(*args, **kwargs)
        yield page
        token = _token(page)
        if not token:
            return
        if token in seen:
            raise PaginationError(f"pagination did not advance: the server repeated a page token; stopped after {count} pages")
        seen.add(token)
        kwargs["page_token"] = token
    raise PaginationError(f"stopped after {max_pages} pages (the limit); narrow the query or raise max_pages")


def iter_items(call: Callable[..., Any], list_field: str, args: tuple[Any, ...], kwargs: dict[str, Any], *,
               max_items: int | None = None, max_pages: int = MAX_PAGES) -> Iterator[Any]:
    """Yield the items of ``list_field`` across pages."""
    count = 0
    for page in iter_pages(call, args, kwargs, max_pages=max_pages):
        for item in field_of(page, list_field) or []:
            yield item
            count += 1
            if max_items is not None and count >= max_items:
                return


def _token(page: Any) -> str:
    value = field_of(page, "next_page_token")
    return str(value) if value else ""



class Cursor:
    """Walk every page of a list call, as ``cmlapi.utils.Cursor`` does.

        Cursor(api.list_runtimes, search_filter=json.dumps({"kernel": "Python 3.10"})).items()

    The list field comes from the spec where the callable knows its operation, else
    from the first page (its one array field).
    """

    def __init__(self, list_method: Callable[..., Any], *args: Any, **kwargs: Any) -> None:
        self.list_method = list_method
        self.args = args
        self.kwargs = kwargs
        operation = getattr(list_method, "operation", None)
        self.field: str | None = getattr(operation, "page_list_field", None)

    def pages(self) -> Iterator[Any]:
        return iter_pages(self.list_method, self.args, self.kwargs)

    def items(self) -> Iterator[Any]:
        for page in self.pages():
            if self.field is None:
                self.field = _arrayfield_of(page)
            for item in (field_of(page, self.field) or []) if self.field else []:
                yield item

    def __iter__(self) -> Iterator[Any]:
        return self.items()


def _arrayfield_of(page: Any) -> str | None:
    keys = page.keys() if hasattr(page, "keys") else []
    arrays = [k for k in keys if isinstance(field_of(page, k), list)]
    return arrays[0] if len(arrays) == 1 else None
