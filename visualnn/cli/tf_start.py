"""TensorFlow's start-up, without its C++ start-up lines on the terminal.

TensorFlow 2.21 writes a dozen lines to the process's standard error while it loads (the oneDNN notice, "Could
not find cuda drivers", "failed call to cuInit" on a machine without a GPU, the CPU-instructions notice), before
its logging is set up, so ``TF_CPP_MIN_LOG_LEVEL`` cannot silence them (abseil writes everything logged before
``absl::InitializeLog()`` to stderr). A verb that trains or loads models imports TensorFlow here first, with file
descriptor 2 pointed at a temporary file: those lines go to the CLI's log file, every other line (a Python
warning, an error of the import itself) still reaches the terminal, and a failed import shows everything.
``VISUALNN_TF_STARTUP_LOG=show`` prints them as TensorFlow wrote them.
"""

from __future__ import annotations

import argparse
import importlib.util
import os
import re
import sys
import tempfile
from collections.abc import Callable
from typing import IO

from visualnn import logs

SHOW_ENV = "VISUALNN_TF_STARTUP_LOG"

_START_UP_LINE = re.compile(
    r"^(WARNING: All log messages before absl::InitializeLog\(\) is called are written to STDERR"
    r"|[IWE]\d{4} \d\d:\d\d:\d+\.\d+\s+\d+ [\w./-]+:\d+\] "  # abseil's own prefix: I0000 00:00:17... 1234 file.cc:12]
    r"|To enable the following instructions: .* rebuild TensorFlow with the appropriate compiler flags\.)"
)


def is_start_up_line(line: str) -> bool:
    """Whether ``line`` is one of the C++ start-up lines TensorFlow writes before its logging starts."""
    return bool(_START_UP_LINE.match(line))


def after_tensorflow(func: Callable[[argparse.Namespace], int]) -> Callable[[argparse.Namespace], int]:
    """A verb's handler that first starts TensorFlow quietly (:func:`start_tensorflow`)."""
    def run(args: argparse.Namespace) -> int:
        start_tensorflow()
        return func(args)

    return run


def start_tensorflow(stream: IO[str] | None = None) -> None:
    """Import TensorFlow and let it find its devices (where the cuInit line comes from), its C++ start-up lines
    kept off ``stream`` (standard error) and written to the CLI's log; other lines are passed on. Without
    TensorFlow installed nothing happens here: the verb says what to install when it needs it."""
    if "tensorflow" in sys.modules or os.environ.get(SHOW_ENV, "").strip().lower() == "show":
        return
    if importlib.util.find_spec("tensorflow") is None:
        return
    stream = stream or sys.stderr
    try:
        stream.flush()
        saved = os.dup(2)
    except (OSError, ValueError, AttributeError):  # no real standard error to redirect (embedded, closed)
        return
    captured = tempfile.TemporaryFile()
    failed = True
    try:
        os.dup2(captured.fileno(), 2)
        import tensorflow as tf

        tf.config.list_physical_devices()
        failed = False
    finally:
        os.dup2(saved, 2)
        os.close(saved)
        captured.seek(0)
        text = captured.read().decode("utf-8", errors="replace")
        captured.close()
        _pass_on(text, stream, everything=failed)


def _pass_on(text: str, stream: IO[str], everything: bool) -> None:
    """Write the kept lines of ``text`` to ``stream`` (all of them after a failed import) and the start-up lines
    to the CLI's log file."""
    lines = text.splitlines()
    hidden = [] if everything else [line for line in lines if is_start_up_line(line)]
    shown = [line for line in lines if everything or not is_start_up_line(line)]
    if shown:
        stream.write("\n".join(shown) + "\n")
        stream.flush()
    if hidden:
        try:
            path = logs.log_path("cli")
            path.parent.mkdir(parents=True, exist_ok=True)
            with path.open("a", encoding="utf-8") as fh:
                fh.write("TensorFlow's start-up lines:\n" + "\n".join(hidden) + "\n")
        except OSError:  # the log folder cannot be written: the lines go where TensorFlow sent them
            stream.write("\n".join(hidden) + "\n")
            stream.flush()


__all__ = ["SHOW_ENV", "after_tensorflow", "is_start_up_line", "start_tensorflow"]
