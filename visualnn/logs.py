"""Logging set-up shared by the app, the engine and the CLI: a rotating file in the user log dir.

Each process kind writes its own file (``visualnn.log`` for the window, ``engine.log`` for the
TensorFlow engine) because Python's rotating handler is not safe when two processes roll the same
file over. No Qt here: the engine and the CLI use this module too.
"""

from __future__ import annotations

import logging
import logging.handlers
import os
import sys
import threading
from collections.abc import Callable
from pathlib import Path
from types import TracebackType

APP_NAME = "VisualNN"
LOG_DIR_ENV = "VISUALNN_LOG_DIR"  # tests and portable installs point logs elsewhere
MAX_BYTES = 1_000_000
BACKUP_COUNT = 5
FORMAT = "%(asctime)s %(levelname)-7s [%(process)d %(processName)s] %(name)s: %(message)s"

_handlers: dict[str, logging.Handler] = {}
_lock = threading.Lock()


def log_dir() -> Path:
    """The folder holding the log files (``$VISUALNN_LOG_DIR`` or the platform's user log dir)."""
    override = os.environ.get(LOG_DIR_ENV)
    if override:
        return Path(override)
    import platformdirs

    return Path(platformdirs.user_log_dir(APP_NAME, appauthor=False))


def log_path(process: str = "visualnn") -> Path:
    """The current log file of one process kind (``"visualnn"`` for the app, ``"engine"``)."""
    return log_dir() / f"{process}.log"


def setup_logging(process: str = "visualnn", level: int = logging.INFO, console: bool = False) -> Path | None:
    """Attach a rotating file handler to the root logger (idempotent); returns the file, or None.

    A log folder that cannot be written (read-only home, sandbox) never stops the app: logging then
    falls back to stderr and the function returns None.
    """
    root = logging.getLogger()
    with _lock:
        if process in _handlers:
            return _current_file(_handlers[process])
        path = log_path(process)
        handler: logging.Handler
        try:
            path.parent.mkdir(parents=True, exist_ok=True)
            handler = logging.handlers.RotatingFileHandler(
                path, maxBytes=MAX_BYTES, backupCount=BACKUP_COUNT, encoding="utf-8", delay=False
            )
            result: Path | None = path
        except OSError as exc:
            handler = logging.StreamHandler(sys.stderr)
            result = None
            print(f"visualnn: cannot write the log file {path} ({exc}); logging to stderr.", file=sys.stderr)
        handler.setFormatter(logging.Formatter(FORMAT))
        handler.set_name(f"visualnn-{process}")
        root.addHandler(handler)
        _handlers[process] = handler
        if console and result is not None:
            stream = logging.StreamHandler(sys.stderr)
            stream.setFormatter(logging.Formatter("%(levelname)s %(name)s: %(message)s"))
            stream.setLevel(logging.WARNING)
            root.addHandler(stream)
        if root.level == logging.NOTSET or root.level > level:
            root.setLevel(level)
    from visualnn import __version__

    logging.getLogger("visualnn").info(
        "%s %s started (python %s, pid %d)", process, __version__, sys.version.split()[0], os.getpid()
    )
    return result


def _current_file(handler: logging.Handler) -> Path | None:
    name = getattr(handler, "baseFilename", None)
    return Path(name) if name else None


def teardown_logging() -> None:
    """Detach and close the handlers added by :func:`setup_logging` (tests, clean shutdown)."""
    root = logging.getLogger()
    with _lock:
        for handler in _handlers.values():
            root.removeHandler(handler)
            handler.close()
        _handlers.clear()


ExceptionReport = Callable[[type[BaseException], BaseException, TracebackType | None], None]


def install_excepthook(report: ExceptionReport | None = None) -> Callable[[], None]:
    """Log uncaught exceptions (main and worker threads) with their traceback, then hand them on.

    The previous hooks still run (Python's prints the traceback; a test runner's records it), then
    ``report`` shows the failure to the user (the window passes its error dialog's reporter). A
    failing ``report`` is logged too, never raised from the hook. Returns a function that puts
    the previous hooks back.
    """
    logger = logging.getLogger("visualnn")
    previous = sys.excepthook
    previous_thread = threading.excepthook

    def forward(kind: type[BaseException], value: BaseException, tb: TracebackType | None) -> None:
        if report is None:
            return
        try:
            report(kind, value, tb)
        except Exception:  # the reporter itself failed: the original traceback is logged already
            logger.exception("could not report the uncaught %s to the user", kind.__name__)

    def hook(kind: type[BaseException], value: BaseException, tb: TracebackType | None) -> None:
        if issubclass(kind, KeyboardInterrupt):
            previous(kind, value, tb)
            return
        logger.critical("Uncaught exception", exc_info=(kind, value, tb))
        previous(kind, value, tb)
        forward(kind, value, tb)

    def thread_hook(args: threading.ExceptHookArgs) -> None:
        if args.exc_type is not None and not issubclass(args.exc_type, SystemExit):
            value = args.exc_value or args.exc_type()
            logger.critical(
                "Uncaught exception in thread %s",
                args.thread.name if args.thread is not None else "?",
                exc_info=(args.exc_type, value, args.exc_traceback),
            )
            previous_thread(args)
            forward(args.exc_type, value, args.exc_traceback)
            return
        previous_thread(args)

    sys.excepthook = hook
    threading.excepthook = thread_hook

    def uninstall() -> None:
        # Only undo our own hook: something installed on top of it since then stays in place.
        if sys.excepthook is hook:
            sys.excepthook = previous
        if threading.excepthook is thread_hook:
            threading.excepthook = previous_thread

    return uninstall


def tail(process: str = "visualnn", lines: int = 50) -> str:
    """The last ``lines`` lines of a log file ("" when there is none): attached to error reports."""
    path = log_path(process)
    try:
        with path.open("rb") as fh:
            fh.seek(0, os.SEEK_END)
            size = fh.tell()
            fh.seek(max(0, size - 64_000))
            data = fh.read().decode("utf-8", errors="replace")
    except OSError:
        return ""
    return "\n".join(data.splitlines()[-lines:])


__all__ = ["ExceptionReport", "install_excepthook", "log_dir", "log_path", "setup_logging", "tail", "teardown_logging"]
