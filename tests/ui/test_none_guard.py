"""PySide6 6.12.0 dropped a reference to None on every void Qt call, which aborts Python 3.11
("none_dealloc") after a few repaints of a large graph; pyproject excludes that release. This
test fails if a PySide6 with that bug is installed."""

from __future__ import annotations

import sys

from PySide6.QtCore import QObject


def test_void_qt_calls_keep_none_references_balanced() -> None:
    obj = QObject()
    before = sys.getrefcount(None)
    for _ in range(5_000):
        obj.setObjectName("x")
    after = sys.getrefcount(None)
    assert abs(after - before) < 100, f"None lost {before - after} references over 5,000 void calls"
