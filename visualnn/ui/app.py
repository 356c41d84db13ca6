"""Application start-up: QApplication, the main window, the first project. No TensorFlow on this path."""

from __future__ import annotations

import os
import sys
import time
from collections.abc import Callable
from typing import Any

_T0 = time.perf_counter()


def _first_project(window: object, argv: list[str]) -> None:
    """Open the file given on the command line, else the last project, else the bundled example."""
    from visualnn.ui.main_window import MainWindow
    from visualnn.ui.window_files import example_project_path

    assert isinstance(window, MainWindow)
    paths = [a for a in argv if a.endswith(".vnn")]
    if paths:
        window.open_path(paths[0], ask=False)
        return
    first_launch = not window.settings.value("launched_before", False, type=bool)
    window.settings.setValue("launched_before", True)
    recent = [p for p in window.recent_files() if os.path.exists(p)]
    if recent and not first_launch:
        window.open_path(recent[0], ask=False)
        return
    try:  # a copy in the user's examples folder: saving or a crash never touches the installed files
        from visualnn.ui.welcome import prepare_example

        example: str | None = str(prepare_example("tabular"))
    except (ImportError, KeyError, OSError):
        example = example_project_path()
    if example:
        window.open_path(example, ask=False)
        return
    try:
        from visualnn.core.templates import TEMPLATES

        if TEMPLATES:
            window.new_from_template(next(iter(TEMPLATES)))
    except ImportError:
        pass


def _install_extras(app: object, window: object, argv: list[str], interactive: bool) -> None:
    """Attach the optional features (export, help, autosave, file-open, welcome); one failing never stops start-up."""
    import logging

    from PySide6.QtCore import QTimer

    log = logging.getLogger(__name__)
    w: Any = window

    def attempt(what: str, fn: Callable[[], object]) -> None:
        try:
            fn()
        except ImportError:
            log.info("%s is not available in this build", what)
        except Exception:
            log.exception("could not install %s", what)

    def export() -> None:
        from visualnn.ui.export_dialogs import ExportController

        w.export_controller = ExportController(w.document, w.engine, w)

    def help_menu() -> None:
        from visualnn.ui.help import install_help_menu

        # The client itself: the About box reads its versions and asks it for the devices.
        install_help_menu(w, engine_info=lambda: w.engine)

    def file_open() -> None:
        from visualnn.ui.file_open import install_file_open_handler

        w.file_open_filter = install_file_open_handler(app, w.open_path)  # type: ignore[arg-type]

    def autosave() -> None:
        from visualnn.ui.autosave import install_autosave

        w.autosave = install_autosave(w, w.document)

    def welcome() -> None:
        from visualnn.ui.welcome import show_welcome_if_first_run

        QTimer.singleShot(0, lambda: show_welcome_if_first_run(w, argv))

    attempt("export", export)
    attempt("the help menu", help_menu)
    attempt("file-open events", file_open)
    if interactive:
        attempt("autosave", autosave)
        attempt("the welcome page", welcome)


def run_app(argv: list[str]) -> int:
    """Start the desktop app; ``argv`` may hold a .vnn file to open. Returns the exit code."""
    from PySide6.QtCore import QEvent, QObject, QTimer
    from PySide6.QtWidgets import QApplication

    app = QApplication.instance() or QApplication([sys.argv[0], *[a for a in argv if a.startswith("-")]])
    assert isinstance(app, QApplication)
    app.setApplicationName("VisualNN")
    app.setOrganizationName("VisualNN")
    app.setApplicationDisplayName("VisualNN")
    app.setStyle("Fusion")  # a consistent modern look that follows the system light/dark scheme
    from visualnn import logs

    logs.setup_logging("visualnn")  # rotating file in the user log dir (Help > Show log)
    logs.install_excepthook()

    from visualnn.ui import theme
    from visualnn.ui.main_window import MainWindow

    app.setWindowIcon(theme.icon("visualnn"))
    window = MainWindow()
    _first_project(window, argv)

    if os.environ.get("VISUALNN_STARTUP_BENCH"):
        # Benchmark hook: report the first paint of the canvas and quit.
        class _FirstPaint(QObject):
            def eventFilter(self, obj: QObject, event: QEvent) -> bool:  # noqa: N802
                if event.type() == QEvent.Type.Paint:
                    print(f"painted {time.perf_counter() - _T0:.3f}", flush=True)
                    QTimer.singleShot(0, app.quit)
                    obj.removeEventFilter(self)
                return False

        spy = _FirstPaint(window)
        window.view.viewport().installEventFilter(spy)
        window.document.undo_stack.setClean()
    shot = os.environ.get("VISUALNN_SCREENSHOT")
    if shot:
        # Test hook (tests/xvfb): save what the window server shows, then quit.
        def _grab() -> None:
            window.view.show_model()
            app.processEvents()
            screen = window.screen()
            image = screen.grabWindow(0, window.x(), window.y(), window.frameGeometry().width(), window.frameGeometry().height())
            if image.isNull() or image.width() < 10:
                image = window.grab()
            os.makedirs(os.path.dirname(os.path.abspath(shot)), exist_ok=True)
            image.save(shot)
            window.document.undo_stack.setClean()
            app.quit()

        QTimer.singleShot(int(os.environ.get("VISUALNN_SCREENSHOT_DELAY_MS", "1500")), _grab)
    interactive = not os.environ.get("VISUALNN_STARTUP_BENCH") and not shot
    _install_extras(app, window, argv, interactive)
    window.show()
    if interactive:
        # TensorFlow imports in the engine process once the window is up, so the window never waits.
        QTimer.singleShot(300, window.start_engine)
    return int(app.exec())
