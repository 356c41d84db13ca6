"""PySide6 6.12 on Python 3.11 drops a reference to None on every void call; the guard keeps it alive."""

from __future__ import annotations

import sys

from PySide6.QtCore import QObject

import visualnn.ui  # noqa: F401  (installs the guard)


def test_many_void_calls_do_not_free_none() -> None:
    obj = QObject()
    for _ in range(20_000):  # well beyond None's natural reference count on 3.11
        obj.setObjectName("x")
    assert sys.getrefcount(None) > 1_000_000
