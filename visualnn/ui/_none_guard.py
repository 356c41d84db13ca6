"""Work around a PySide6 6.12 / Python 3.11 refcount bug: every call of a void Qt method drops a
reference to ``None`` without taking one, so after a few thousand calls (a few repaints of a big
graph) CPython aborts with "Fatal Python error: none_dealloc".

Python 3.12+ makes ``None`` immortal, which hides the bug there; on 3.11 we do the same by hand:
``None`` is never freed anyway, so giving it a huge reference count changes nothing else.
"""

from __future__ import annotations

import ctypes
import sys

_HEADROOM = 1 << 50


def protect_none() -> None:
    """Give ``None`` so many references that the leak can never bring it to zero (3.11 only)."""
    if sys.version_info >= (3, 12):
        return
    refcount = ctypes.c_ssize_t.from_address(id(None))  # ob_refcnt is the first field of PyObject
    if refcount.value < _HEADROOM:
        refcount.value += _HEADROOM


protect_none()
