"""Application start-up and the composition root: the one place the window is put together.

:func:`build_main_window` builds the window from typed parts (a ``ProjectDocument`` and an
:class:`~visualnn.ui.engine_link.EngineLink`) and attaches File > Import Keras Model, the export and help menus;
:func:`start_session` adds what a running app needs around it, in order: the error reporter
(uncaught exceptions and Qt criticals become error dialogs), file-open events, the first project,
autosave, then, once the window has painted, the crash-recovery question first and alone, and the
welcome page only after it. Every part is a plain import: a part that cannot be built stops
start-up with its traceback instead of quietly going missing. No TensorFlow on this path.
"""

from __future__ import annotations

import logging
import os
import sys
from collections.abc import Callable
from dataclasses import dataclass, field

from PySide6.QtCore import QSettings, QTimer
from PySide6.QtWidgets import QApplication, QDialog

from visualnn import logs
from visualnn.core.templates import TEMPLATES
from visualnn.ui import theme
from visualnn.ui.autosave import AutosaveManager, RecoveryPrompter, ask_with_dialog, install_autosave
from visualnn.ui.backbone_block import BackboneBlocks
from visualnn.ui.block_editor import BlocksController
from visualnn.ui.choosers import FileChooser
from visualnn.ui.document import ProjectDocument
from visualnn.ui.engine_client import EngineClient
from visualnn.ui.engine_link import EngineLink
from visualnn.ui.errors import ErrorReporter, show_error
from visualnn.ui.export_dialogs import ExportController
from visualnn.ui.file_open import FileOpenFilter, install_file_open_handler
from visualnn.ui.freeze_actions import FreezeActions
from visualnn.ui.help import HelpMenu, install_help_menu
from visualnn.ui.import_model import ImportController
from visualnn.ui.insight.panel import InsightHost, install_insight
from visualnn.ui.main_window import MainWindow
from visualnn.ui.preferences import PreferencesAction
from visualnn.ui.recovery_dialog import RESTORE
from visualnn.ui.training.close_guard import TrainingPrompter, ask_with_message_box
from visualnn.ui.training.snapshot import remove_session_dir
from visualnn.ui.welcome import prepare_example, show_welcome_if_first_run
from visualnn.ui.window_files import example_project_path

log = logging.getLogger(__name__)
EXPORT_ACTIONS = ("export_keras", "export_savedmodel", "export_tflite", "export_onnx", "export_script")  # File > Export, in order


@dataclass(frozen=True)
class Shell:
    """The main window with the features attached to it by :func:`build_main_window`."""

    window: MainWindow
    export: ExportController
    help: HelpMenu
    importer: ImportController
    blocks: BlocksController
    insight: InsightHost | None = None  # the "Look inside" dock: activations and explanations
    backbones: BackboneBlocks | None = None  # backbones opened as read-only blocks
    preferences: PreferencesAction | None = None  # Edit > Preferences… (MLflow tracking)


def build_main_window(
    document: ProjectDocument,
    engine: EngineLink,
    settings: QSettings | None = None,
    chooser: FileChooser | None = None,
    training_prompter: TrainingPrompter = ask_with_message_box,
) -> Shell:
    """The main window with every panel, File > Import/Export and the Help menu, for ``document`` and ``engine``.

    ``chooser`` answers the window's file dialogs (default: the desktop's, :class:`~visualnn.ui.choosers.DialogChooser`);
    ``training_prompter`` asks what to do with a running training job when the project is closed or replaced.
    """
    window = MainWindow(document, engine, settings, chooser, training_prompter)
    export = ExportController(document, engine, window)
    window.add_export_actions((key, export.actions[key]) for key in EXPORT_ACTIONS)
    importer = ImportController(document, engine, window, window.confirm_replace)
    window.add_file_action("import_model", importer.action)
    help_menu = install_help_menu(window.help_menu, window, engine, window.show_step)
    blocks = BlocksController(window)
    insight = install_insight(window, document, engine)
    FreezeActions(window)  # Edit > Freeze everything before this layer, Unfreeze all; the canvas's right-click menu
    backbones = BackboneBlocks(window, blocks)  # Open Block on a pretrained backbone: its layers, read-only
    preferences = PreferencesAction(window)  # Edit > Preferences…: MLflow tracking for runs and trials
    return Shell(window, export, help_menu, importer, blocks, insight, backbones, preferences)


@dataclass
class Session:
    """A started app: the shell and what :func:`start_session` installed around it."""

    app: QApplication
    shell: Shell
    errors: ErrorReporter
    file_open: FileOpenFilter
    autosave: AutosaveManager
    argv: list[str]
    welcome: bool = True
    greeting: QDialog | None = field(default=None, init=False)  # the welcome page or tour, once shown
    recovery_choice: str | None = field(default=None, init=False)  # the start-up recovery answer

    @property
    def window(self) -> MainWindow:
        """The main window."""
        return self.shell.window

    def greet(self) -> None:
        """Ask about a crashed session's changes first, alone; then the welcome page (unless they were restored)."""
        self.recovery_choice = self.autosave.offer_recovery(self.window, include_untitled=True)
        if self.welcome and self.recovery_choice not in (RESTORE, "failed"):
            self.greeting = show_welcome_if_first_run(self.window, self.window, self.argv, self.window.settings)

    def close(self) -> None:
        """Take back what start-up installed process-wide (tests run many sessions in one process)."""
        self.autosave.shutdown()
        self.app.removeEventFilter(self.file_open)
        self.errors.uninstall()


def create_application(argv: list[str]) -> QApplication:
    """The QApplication (or the existing one), named and styled for VisualNN."""
    existing = QApplication.instance()
    app = existing if isinstance(existing, QApplication) else QApplication(
        [sys.argv[0], *[a for a in argv if a.startswith("-")]]
    )
    app.setApplicationName("VisualNN")
    app.setOrganizationName("VisualNN")
    app.setApplicationDisplayName("VisualNN")
    app.setStyle("Fusion")  # a consistent modern look that follows the system light/dark scheme
    app.setWindowIcon(theme.icon("visualnn"))
    return app


def open_first_project(window: MainWindow, argv: list[str]) -> None:
    """Open the file given on the command line, else the last project, else the bundled example."""
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
    example: str | None
    try:  # a copy in the user's examples folder: saving or a crash never touches the installed files
        example = str(prepare_example("tabular"))
    except OSError as exc:
        log.warning("could not copy the example project (%s); opening the installed one read-only", exc)
        example = example_project_path()
    if example:
        window.open_path(example, ask=False)
    elif TEMPLATES:
        window.new_from_template(next(iter(TEMPLATES)))


def start_session(
    app: QApplication,
    argv: list[str],
    engine: EngineLink,
    *,
    document: ProjectDocument | None = None,
    settings: QSettings | None = None,
    prompter: RecoveryPrompter = ask_with_dialog,
    chooser: FileChooser | None = None,
    training_prompter: TrainingPrompter = ask_with_message_box,
    welcome: bool = True,
) -> Session:
    """Build and show the window with everything around it; recovery, then welcome, follow its first paint.

    ``engine`` is not started here: :func:`run_app` starts it once the window is up, so the
    window never waits for TensorFlow. Tests pass a fake engine, prompters and a file chooser that answer.
    """
    errors = ErrorReporter()
    errors.install()  # from here on, no failure in the window is silent
    shell = build_main_window(document or ProjectDocument(), engine, settings, chooser, training_prompter)
    window = shell.window
    errors.parent_widget = window
    file_open = install_file_open_handler(app, window.open_path)
    window.data_panel.hold_inspections(until=window.first_painted)
    open_first_project(window, argv)
    autosave = install_autosave(window, window.document, prompter=prompter)
    autosave.restore_failed.connect(lambda message: show_error(window, "Cannot restore the autosaved changes", message))
    autosave.autosave_failed.connect(lambda message: window.statusBar().showMessage(message, 15000))
    session = Session(app, shell, errors, file_open, autosave, list(argv), welcome)
    # Once the window is on screen (its first paint), so a modal question never stands on an empty desktop;
    # on a later loop turn, so the other first_painted slots (the engine launch) do not wait for the answer.
    window.first_painted.connect(lambda: QTimer.singleShot(0, window, session.greet))  # emitted once
    window.show()
    log.info("window shown with %s", window.document.path or "an unsaved project")
    return session


def run_app(argv: list[str], started: Callable[[Session], object] | None = None) -> int:
    """Start the desktop app; ``argv`` may hold a .vnn file to open. Returns the exit code.

    ``started`` is called with the session once the window is shown, before the event loop runs
    (bench/startup_driver.py times the real start-up path to the first paint this way).
    """
    app = create_application(argv)
    logs.setup_logging("visualnn")  # rotating file in the user log dir (Help > Show log)
    engine: EngineLink = EngineClient(app)
    session = start_session(app, argv, engine)
    if started is not None:
        started(session)
    # TensorFlow imports in the engine process once the window is on screen, so the window never waits.
    session.window.first_painted.connect(session.window.start_engine)
    code = int(app.exec())
    session.errors.uninstall()
    remove_session_dir()  # the engine has stopped with the window: nothing reads the unsaved runs any more
    return code


__all__ = ["Session", "Shell", "build_main_window", "create_application", "open_first_project", "run_app", "start_session"]
