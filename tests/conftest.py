"""Test set-up: Qt offscreen (pytest-qt aborts without a display otherwise)."""

from __future__ import annotations

import os
import sys
import tempfile
from pathlib import Path

import pytest

os.environ.setdefault("QT_QPA_PLATFORM", "offscreen")
os.environ.setdefault("TF_CPP_MIN_LOG_LEVEL", "2")
os.environ.setdefault("KERAS_BACKEND", "tensorflow")

# Tests never write into the real user folders (recovery files, logs, copied examples).
_USER_DIRS = Path(tempfile.mkdtemp(prefix="visualnn-tests-"))
for _name, _sub in (("VISUALNN_DATA_DIR", "data"), ("VISUALNN_LOG_DIR", "logs"), ("VISUALNN_EXAMPLES_DIR", "examples")):
    os.environ.setdefault(_name, str(_USER_DIRS / _sub))

ROOT = Path(__file__).resolve().parent.parent
if str(ROOT) not in sys.path:
    sys.path.insert(0, str(ROOT))


_EXIT_STATUS = 0


def pytest_sessionfinish(session, exitstatus) -> None:  # type: ignore[no-untyped-def]
    """Remember the run's status for :func:`pytest_unconfigure`."""
    global _EXIT_STATUS
    _EXIT_STATUS = int(exitstatus)


@pytest.hookimpl(trylast=True)
def pytest_unconfigure(config) -> None:  # type: ignore[no-untyped-def]
    """Leave without interpreter teardown once Qt was used.

    PySide6 6.12 can segfault while Python tears down leftover Qt wrappers at exit
    (``none_dealloc``), after every result has been reported; that crash would turn a
    green run into a failure. The reported status is the run's own.
    """
    if "PySide6" in sys.modules:
        sys.stdout.flush()
        sys.stderr.flush()
        os._exit(_EXIT_STATUS)
