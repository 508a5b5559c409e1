"""``from cmlapi.utils import Cursor`` keeps working with ``import cmldyn as cmlapi``.

A compatibility alias only; the paging code lives in paginate.py.
"""

from .paginate import Cursor

__all__ = ["Cursor"]
