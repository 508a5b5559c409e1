"""``cmlapi.utils``: what the generated package's utils module holds, ``Cursor`` (pages of a list call).

A name for the generated client's layout only; the paging code lives in paginate.py.
"""

from ..paginate import Cursor

__all__ = ["Cursor"]
