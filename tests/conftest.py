"""Test set-up: Qt offscreen (pytest-qt aborts without a display otherwise)."""

from __future__ import annotations

import gc
import os
import sys
import tempfile
from pathlib import Path

import pytest

os.environ.setdefault("QT_QPA_PLATFORM", "offscreen")
_SCREEN = Path(__file__).with_name("offscreen_screen.json")
if os.environ["QT_QPA_PLATFORM"] == "offscreen" and _SCREEN.exists():  # a copied conftest may run without it
    # Qt's offscreen screen is 800x800 unless told otherwise; tests see a desktop-sized screen, so the
    # window opens at its default size as on a real monitor (the window shrinks to fit smaller screens).
    os.environ["QT_QPA_PLATFORM"] = f"offscreen:configfile={_SCREEN}"
os.environ.setdefault("TF_CPP_MIN_LOG_LEVEL", "2")
os.environ.setdefault("KERAS_BACKEND", "tensorflow")

# Tests never write into the real user folders (recovery files, logs, copied examples).
_USER_DIRS = Path(tempfile.mkdtemp(prefix="visualnn-tests-"))
for _name, _sub in (("VISUALNN_DATA_DIR", "data"), ("VISUALNN_LOG_DIR", "logs"), ("VISUALNN_EXAMPLES_DIR", "examples")):
    os.environ.setdefault(_name, str(_USER_DIRS / _sub))

ROOT = Path(__file__).resolve().parent.parent
if str(ROOT) not in sys.path:
    sys.path.insert(0, str(ROOT))


def pytest_unconfigure(config: pytest.Config) -> None:
    """Empty the clipboard while Python is still alive, so the process can exit cleanly.

    On the offscreen platform Qt keeps clipboard contents in a C++ global that the C library
    destroys at exit, after the interpreter is gone; a ``QMimeData`` created from Python (the
    canvas's Copy) then segfaults in shiboken's destructor (PySide6 6.11.3, exit status 139 after
    a green ``tests/ui/test_canvas.py``). Clearing it here is ordinary Python: an error in it is
    reported and fails the run, it can never turn a failure into success.
    """
    gui = sys.modules.get("PySide6.QtGui")
    if gui is not None and gui.QGuiApplication.instance() is not None:
        gui.QGuiApplication.clipboard().clear()


@pytest.hookimpl(trylast=True)
def pytest_runtest_teardown(item: pytest.Item, nextitem: pytest.Item | None) -> None:
    """Move what earlier tests left alive out of the garbage collector's sight.

    Windows, plots and TensorFlow graphs of finished tests stay reachable (Qt parents, pyqtgraph's
    parentless menus, module caches), so the heap grows through the run and every full collection
    walks all of it: a test that allocates a lot late in the run paid a minute for what takes a second
    alone (the AST scan in tests/ui/test_composition.py: 1.3 s alone, 59 s late in the suite). Freezing
    after each test leaves each test to collect only its own garbage. It changes nothing a test can
    observe: objects of the running test are collected as before.
    """
    gc.freeze()
