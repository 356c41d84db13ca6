"""The exit-code contract of every ``visualnn`` verb: one table, read by the verbs, ``--help`` and the tests.

=====  ===============================================================================================
code   meaning
=====  ===============================================================================================
0      done: the project has no errors, the run finished, the file was written.
1      the model or its data has errors: ``check`` found errors, training failed or diverged, the
       project's data does not fit the model, a script cannot be written for the model, an export
       failed or missed its parity tolerance, a cluster worker failed.
2      unreadable input or bad usage: a file named on the command line is missing, unreadable, corrupt
       or not supported (the project, ``predict``'s input, ``data inspect``'s path, ``import-model``'s
       model), an output cannot be written or would be overwritten without ``--force``, or the
       arguments are wrong (argparse exits 2 as well).
70     an unexpected internal error (``EX_SOFTWARE`` of sysexits.h): a bug in VisualNN. One line on
       stderr says so and where the traceback was written (the CLI's log file, ``cli.log`` in the log
       folder); the traceback itself never reaches the terminal.
130    interrupted with Ctrl+C (128 + SIGINT).
=====  ===============================================================================================

Every message says what is wrong and what to do, without exception class names ("DataError: ...").
"""

from __future__ import annotations

import argparse
import json
import logging
import os
import sys
import tempfile
import traceback
from collections.abc import Callable
from enum import IntEnum
from typing import Any

from visualnn import logs


class ExitCode(IntEnum):
    """What a ``visualnn`` verb's exit status means (the table above)."""

    OK = 0
    ERRORS = 1  # the model or its data has errors
    BAD_INPUT = 2  # unreadable input or bad usage
    INTERNAL = 70  # an unexpected internal error (a bug): traceback in the log file
    INTERRUPTED = 130  # Ctrl+C
    PIPE_CLOSED = 141  # the reader of the output stopped reading (``| head``): as shells report a SIGPIPE


MEANING: dict[ExitCode, str] = {
    ExitCode.OK: "done",
    ExitCode.ERRORS: "the model or its data has errors",
    ExitCode.BAD_INPUT: "unreadable input or bad usage",
    ExitCode.INTERNAL: "unexpected internal error (a bug; the traceback is in the log file)",
    ExitCode.INTERRUPTED: "interrupted (Ctrl+C)",
    ExitCode.PIPE_CLOSED: "the output's reader stopped reading (e.g. `| head`); nothing is wrong",
}
"""Each code in words, for ``visualnn --help``."""


def epilog() -> str:
    """The contract as the ``--help`` epilog."""
    return "exit codes:\n" + "\n".join(f"  {int(code):<4} {text}" for code, text in MEANING.items())


def fail(message: str, code: ExitCode, as_json: bool = False, **extra: Any) -> int:
    """Say ``message`` (stderr, or a JSON object on stdout with ``--json``) and return ``code``."""
    if as_json:
        print(json.dumps({"ok": False, "error": message, **extra}, ensure_ascii=False))  # one line: the last line parses
    else:
        print(f"visualnn: {message}", file=sys.stderr)
    return int(code)


def run_verb(func: Callable[[argparse.Namespace], int], args: argparse.Namespace, verb: str) -> int:
    """Run a verb's handler under the contract: Ctrl+C is 130, an exception nobody expected is 70 with its
    traceback in the log file, never on the terminal."""
    try:
        return int(func(args))
    except KeyboardInterrupt:
        return fail("interrupted.", ExitCode.INTERRUPTED)
    except BrokenPipeError:  # `visualnn check x.vnn | head -1`: the reader has what it wanted, not a bug
        devnull = os.open(os.devnull, os.O_WRONLY)
        os.dup2(devnull, sys.stdout.fileno())  # the interpreter's last flush must not fail on the closed pipe
        return int(ExitCode.PIPE_CLOSED)
    except Exception as exc:  # the contract's last line: a bug still ends in one sentence and a log file
        return internal_error(verb, exc, bool(getattr(args, "json", False)))


def internal_error(verb: str, exc: BaseException, as_json: bool = False) -> int:
    """Record ``exc`` with its traceback and say, in one line, that ``verb`` hit a bug and where the details are."""
    where = record_traceback(verb, exc)
    what = " ".join(str(exc).split()) or type(exc).__name__  # one line; the whole text is in the log
    message = (f"`visualnn {verb}` stopped on an unexpected internal error ({what}). This is a bug in VisualNN: "
               f"{where}")
    return fail(message, ExitCode.INTERNAL, as_json)


def record_traceback(verb: str, exc: BaseException) -> str:
    """Write ``exc``'s traceback to the CLI's log file (a temporary file when the log folder cannot be written);
    the sentence that says where it went."""
    path = logs.log_path("cli")
    try:
        path.parent.mkdir(parents=True, exist_ok=True)
        with path.open("a", encoding="utf-8"):
            pass
    except OSError:
        pass
    else:
        recorded = logs.setup_logging("cli")
        if recorded is not None:
            logging.getLogger("visualnn.cli").error("`visualnn %s` failed", verb, exc_info=exc)
            for handler in logging.getLogger().handlers:
                handler.flush()
            return f"the traceback is in {recorded}; please attach that file to a bug report."
    text = "".join(traceback.format_exception(exc))
    try:
        fd, name = tempfile.mkstemp(prefix="visualnn-error-", suffix=".log", text=True)
        with os.fdopen(fd, "w", encoding="utf-8") as fh:
            fh.write(f"`visualnn {verb}` failed\n{text}")
    except OSError as write_error:
        return f"its traceback could not be written anywhere ({write_error.strerror or write_error})."
    return f"the traceback is in {name}; please attach that file to a bug report."


__all__ = ["MEANING", "ExitCode", "epilog", "fail", "internal_error", "record_traceback", "run_verb"]
