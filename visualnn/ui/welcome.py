"""First-run experience: the welcome page (recent projects, templates, bundled examples) and the tour.

Examples open ready to train: the bundled folder (project, data) is copied once into the user's
documents so the project can be saved and its relative data path still resolves. The guided tour
walks through the six steps of the Keras workflow and can be dismissed for good (``QSettings``).
The welcome page drives a :class:`WelcomeHost` (the main window satisfies it), so these pieces can
be tested without the full main window. At start-up the composition root (``visualnn.ui.app``)
opens the welcome page only after any crash-recovery question has been answered.
"""

from __future__ import annotations

import os
import shutil
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path
from typing import Any, Protocol

from PySide6.QtCore import QSettings, QSize, Qt, Signal
from PySide6.QtWidgets import (
    QCheckBox,
    QDialog,
    QGridLayout,
    QHBoxLayout,
    QLabel,
    QListWidget,
    QListWidgetItem,
    QPushButton,
    QStackedWidget,
    QVBoxLayout,
    QWidget,
)

from visualnn.ui.errors import show_error

SHOW_ON_STARTUP = "welcome/show_on_startup"
TOUR_DISMISSED = "tour/dismissed"
EXAMPLES_ENV = "VISUALNN_EXAMPLES_DIR"  # where examples are copied (tests, portable installs)


@dataclass(frozen=True)
class Example:
    """A bundled example project: folder under resources/examples and the .vnn inside it."""

    key: str
    title: str
    description: str

    @property
    def filename(self) -> str:
        """The project file inside the example folder."""
        return f"{self.key}.vnn"


EXAMPLES: tuple[Example, ...] = (
    Example("tabular", "Tabular: penguin species", "A small MLP classifies penguins from body measurements (CSV)."),
    Example("images", "Images: shapes", "A small CNN tells circles, squares and triangles apart (PNG folders)."),
    Example("timeseries", "Time series: next-hour temperature", "A Conv1D model forecasts temperature from 24 h of weather."),
    Example("two_inputs", "Two inputs, two outputs: kind and score",
            "A functional model reads a feature row and a short sequence, and predicts a class and a number (.npz)."),
)


@dataclass(frozen=True)
class TourStep:
    """One page of the guided tour."""

    step: str
    title: str
    text: str


TOUR: tuple[TourStep, ...] = (
    TourStep("Data", "1 · Data", "Open the <b>Data</b> tab and choose a CSV, an image folder or a time series. "
             "Pick the target column and the train/validation split; VisualNN shows the tensor shapes it will feed."),
    TourStep("Model", "2 · Model", "Drag layers from the <b>palette</b> onto the canvas and connect them top to bottom. "
             "Every edge shows its tensor shape; a red badge says what to fix."),
    TourStep("Compile", "3 · Compile", "In the <b>Training</b> tab choose the loss, optimizer and metrics: "
             "this is <code>model.compile()</code>. Hover any choice for a one-line explanation."),
    TourStep("Fit", "4 · Fit", "Press <b>Train</b> to run <code>model.fit()</code>. Curves update live; "
             "Stop keeps the weights trained so far."),
    TourStep("Evaluate", "5 · Evaluate", "The <b>Evaluation</b> tab runs <code>model.evaluate()</code> on held-out data "
             "and shows the metrics and a confusion matrix."),
    TourStep("Predict", "6 · Predict", "Try the trained model on new samples with <code>model.predict()</code>, "
             "then export it (.keras, SavedModel, TFLite) or copy the generated Python code."),
)


class WelcomeHost(Protocol):
    """What the welcome page asks of the window: open, create, list recents, point at a workflow step."""

    def open_path(self, path: str, ask: bool = True) -> bool:
        """Open a project file."""

    def new_project(self) -> None:
        """Start an empty project."""

    def new_from_template(self, name: str) -> None:
        """Start from a template."""

    def open_dialog(self) -> None:
        """Ask for a project file and open it."""

    def recent_files(self) -> list[str]:
        """Recently opened projects, newest first."""

    def show_step(self, step: str) -> None:
        """Point the step bar at a workflow step and raise its panel."""


def app_settings() -> QSettings:
    """The settings store shared with the main window."""
    return QSettings("VisualNN", "VisualNN")


def _flag(settings: QSettings, key: str, default: bool) -> bool:
    return bool(settings.value(key, default, type=bool))


# ----------------------------------------------------------------------------- examples
def examples_dir() -> Path:
    """The bundled examples (resources/examples in the source tree or the frozen bundle)."""
    from visualnn.ui import theme

    return Path(theme.resources_dir()) / "examples"


def user_examples_dir() -> Path:
    """Where examples are copied for editing (``$VISUALNN_EXAMPLES_DIR`` or Documents/VisualNN Examples)."""
    override = os.environ.get(EXAMPLES_ENV)
    if override:
        return Path(override)
    import platformdirs

    return Path(platformdirs.user_documents_dir()) / "VisualNN Examples"


def available_examples() -> list[Example]:
    """The examples whose project file ships with this build."""
    return [ex for ex in EXAMPLES if (examples_dir() / ex.key / ex.filename).is_file()]


def prepare_example(key: str, dest_root: Path | None = None) -> Path:
    """Copy an example's folder for the user (once; their edits are kept) and return its project file."""
    example = next((ex for ex in EXAMPLES if ex.key == key), None)
    if example is None:
        names = ", ".join(ex.key for ex in EXAMPLES)
        raise KeyError(f"There is no example {key!r}; the examples are {names}.")
    source = examples_dir() / key
    if not (source / example.filename).is_file():
        raise FileNotFoundError(f"The {example.title} example is not in this build (looked in {source}).")
    dest = (dest_root or user_examples_dir()) / key
    project = dest / example.filename
    if not project.is_file():
        shutil.copytree(source, dest, dirs_exist_ok=True, ignore=shutil.ignore_patterns("*.recovery", "__pycache__"))
    return project


# ----------------------------------------------------------------------------- welcome page
class WelcomePage(QWidget):
    """Start here: new/open, bundled examples, templates and recent projects."""

    new_requested = Signal()
    open_requested = Signal()
    recent_requested = Signal(str)
    example_requested = Signal(str)
    template_requested = Signal(str)
    tour_requested = Signal()

    def __init__(self, recent: list[str] | None = None, settings: QSettings | None = None,
                 parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.settings = settings or app_settings()
        self.setObjectName("WelcomePage")
        title = QLabel("<h1>Welcome to VisualNN</h1>Build a Keras model visually, train it, and see what it learned.")
        title.setTextFormat(Qt.TextFormat.RichText)
        title.setWordWrap(True)

        start = QVBoxLayout()
        for text, signal in (("New empty project", self.new_requested), ("Open a project…", self.open_requested),
                             ("Take the tour", self.tour_requested)):
            button = QPushButton(text)
            button.clicked.connect(signal.emit)
            start.addWidget(button)
        start.addStretch(1)

        self.examples = _card_list("examples")
        for ex in available_examples():
            _add_card(self.examples, ex.title, ex.description, ex.key, "Opens a copy with its data, ready to train.")
        self.examples.itemActivated.connect(
            lambda item: self.example_requested.emit(item.data(Qt.ItemDataRole.UserRole)))

        self.templates = _card_list("templates")
        for name, tpl in _templates().items():
            _add_card(self.templates, tpl.title, tpl.description, name, "Starts a new project from this model.")
        self.templates.itemActivated.connect(
            lambda item: self.template_requested.emit(item.data(Qt.ItemDataRole.UserRole)))

        self.recent = _card_list("recent")
        for path in [p for p in (recent or []) if os.path.exists(p)]:
            _add_card(self.recent, os.path.basename(path), os.path.dirname(path), path, path)
        if self.recent.count() == 0:
            placeholder = QListWidgetItem("No recent projects yet.")
            placeholder.setFlags(Qt.ItemFlag.NoItemFlags)
            self.recent.addItem(placeholder)
        self.recent.itemActivated.connect(self._on_recent_item_activated)

        grid = QGridLayout()
        for col, (label, widget) in enumerate(
            (("<b>Examples</b> (with data, ready to train)", self.examples), ("<b>Templates</b>", self.templates),
             ("<b>Recent projects</b>", self.recent))
        ):
            grid.addWidget(QLabel(label), 0, col + 1)
            grid.addWidget(widget, 1, col + 1)
        grid.addWidget(QLabel("<b>Start</b>"), 0, 0)
        grid.addLayout(start, 1, 0)
        for col in (1, 2, 3):
            grid.setColumnStretch(col, 1)
        self.show_on_startup = QCheckBox("Show this page at start-up")
        self.show_on_startup.setChecked(_flag(self.settings, SHOW_ON_STARTUP, True))
        self.show_on_startup.toggled.connect(lambda on: self.settings.setValue(SHOW_ON_STARTUP, on))
        layout = QVBoxLayout(self)
        layout.addWidget(title)
        layout.addLayout(grid, 1)
        layout.addWidget(self.show_on_startup)

    def _on_recent_item_activated(self, item: QListWidgetItem) -> None:
        path = item.data(Qt.ItemDataRole.UserRole)
        if path:
            self.recent_requested.emit(str(path))


def _card_list(name: str) -> QListWidget:
    widget = QListWidget()
    widget.setObjectName(name)
    widget.setWordWrap(True)
    widget.setSpacing(2)
    widget.setHorizontalScrollBarPolicy(Qt.ScrollBarPolicy.ScrollBarAlwaysOff)
    widget.setMinimumWidth(220)
    return widget


def _add_card(widget: QListWidget, title: str, description: str, data: str, tip: str) -> QListWidgetItem:
    """A two-line entry: the title in bold, the description beneath (activate with double-click/Enter)."""
    item = QListWidgetItem()
    item.setData(Qt.ItemDataRole.AccessibleTextRole, f"{title}: {description}")
    item.setData(Qt.ItemDataRole.UserRole, data)
    item.setToolTip(tip)
    widget.addItem(item)
    label = QLabel(f"<b>{title}</b><br><span style='color: palette(dark)'>{description}</span>")
    label.setTextFormat(Qt.TextFormat.RichText)
    label.setWordWrap(True)
    label.setContentsMargins(6, 4, 6, 4)
    label.setAttribute(Qt.WidgetAttribute.WA_TransparentForMouseEvents)
    # Word-wrapped labels report their height for a width; the lists are about 260 px wide.
    item.setSizeHint(QSize(200, label.heightForWidth(250) + 4))
    widget.setItemWidget(item, label)
    return item


def _templates() -> dict[str, Any]:
    from visualnn.core.templates import TEMPLATES

    return dict(TEMPLATES)


class WelcomeDialog(QDialog):
    """Hosts the welcome page and carries out the choice on the main window."""

    def __init__(self, host: WelcomeHost, parent: QWidget | None = None, settings: QSettings | None = None) -> None:
        super().__init__(parent)
        self.host = host
        self.settings = settings
        self.setWindowTitle("Welcome to VisualNN")
        self.resize(900, 460)
        self.page = WelcomePage(host.recent_files(), settings, self)
        QVBoxLayout(self).addWidget(self.page)
        self.page.new_requested.connect(lambda: self._then(host.new_project))
        self.page.open_requested.connect(lambda: self._then(host.open_dialog))
        self.page.recent_requested.connect(lambda path: self._then(lambda: host.open_path(path)))
        self.page.template_requested.connect(lambda name: self._then(lambda: host.new_from_template(name)))
        self.page.example_requested.connect(self._open_example)
        self.page.tour_requested.connect(self._start_tour)
        self.tour: TourDialog | None = None

    def _then(self, action: Callable[[], object]) -> None:
        self.accept()
        action()

    def _open_example(self, key: str) -> None:
        try:
            path = prepare_example(key)
        except (OSError, KeyError) as exc:
            show_error(self, "Cannot open the example", f"{exc} Choose another example or open a project file.")
            return
        self._then(lambda: self.host.open_path(str(path)))

    def _start_tour(self) -> None:
        self.accept()
        self.tour = show_tour(self.parentWidget(), force=True, settings=self.settings, show_step=self.host.show_step)


# ----------------------------------------------------------------------------- tour
class TourDialog(QDialog):
    """Six pages, one per workflow step; pointing the window's step bar at each as it goes."""

    def __init__(
        self,
        parent: QWidget | None = None,
        settings: QSettings | None = None,
        show_step: Callable[[str], None] | None = None,
    ) -> None:
        super().__init__(parent)
        self.show_step = show_step
        self.settings = settings or app_settings()
        self.setWindowTitle("Guided tour: the six steps")
        self.setObjectName("TourDialog")
        self.stack = QStackedWidget()
        for step in TOUR:
            label = QLabel(f"<h2>{step.title}</h2><p>{step.text}</p>")
            label.setTextFormat(Qt.TextFormat.RichText)
            label.setWordWrap(True)
            label.setAlignment(Qt.AlignmentFlag.AlignTop)
            self.stack.addWidget(label)
        self.progress = QLabel()
        self.never_again = QCheckBox("Don't show the tour again")
        self.back_button = QPushButton("Back")
        self.next_button = QPushButton("Next")
        self.skip_button = QPushButton("Skip tour")
        self.next_button.setDefault(True)
        self.back_button.clicked.connect(lambda: self.go(self.stack.currentIndex() - 1))
        self.next_button.clicked.connect(self._on_next_clicked)
        self.skip_button.clicked.connect(self.reject)
        row = QHBoxLayout()
        row.addWidget(self.never_again)
        row.addStretch(1)
        row.addWidget(self.progress)
        for button in (self.skip_button, self.back_button, self.next_button):
            row.addWidget(button)
        layout = QVBoxLayout(self)
        layout.addWidget(self.stack, 1)
        layout.addLayout(row)
        self.resize(520, 260)
        self.finished.connect(self._on_finished)
        self.go(0)

    @property
    def current_step(self) -> str:
        """The workflow step on the visible page."""
        return TOUR[self.stack.currentIndex()].step

    def go(self, index: int) -> None:
        """Show page ``index`` (clamped) and point the step bar at its step."""
        index = max(0, min(index, len(TOUR) - 1))
        self.stack.setCurrentIndex(index)
        self.progress.setText(f"{index + 1} of {len(TOUR)}")
        self.back_button.setEnabled(index > 0)
        self.next_button.setText("Finish" if index == len(TOUR) - 1 else "Next")
        if self.show_step is not None:
            self.show_step(TOUR[index].step)  # opens the panel the page talks about

    def _on_next_clicked(self) -> None:
        if self.stack.currentIndex() == len(TOUR) - 1:
            self.accept()
        else:
            self.go(self.stack.currentIndex() + 1)

    def _on_finished(self, result: int) -> None:
        # Finishing every page or ticking the box ends the tour for good; skipping shows it next time.
        if result == QDialog.DialogCode.Accepted or self.never_again.isChecked():
            self.settings.setValue(TOUR_DISMISSED, True)
            self.settings.sync()


def tour_dismissed(settings: QSettings | None = None) -> bool:
    """True once the user finished the tour or asked not to see it again."""
    return _flag(settings or app_settings(), TOUR_DISMISSED, False)


def show_tour(
    parent: QWidget | None = None,
    *,
    force: bool = False,
    settings: QSettings | None = None,
    show_step: Callable[[str], None] | None = None,
) -> TourDialog | None:
    """Open the tour (non-blocking) unless it was dismissed for good; ``force`` shows it anyway (Help menu)."""
    if not force and tour_dismissed(settings):
        return None
    dialog = TourDialog(parent, settings, show_step)
    dialog.setAttribute(Qt.WidgetAttribute.WA_DeleteOnClose)
    dialog.show()
    return dialog


def show_welcome(host: WelcomeHost, parent: QWidget | None = None, settings: QSettings | None = None) -> WelcomeDialog:
    """Open the welcome page (non-blocking)."""
    dialog = WelcomeDialog(host, parent, settings)
    dialog.setAttribute(Qt.WidgetAttribute.WA_DeleteOnClose)
    dialog.show()
    return dialog


def show_welcome_if_first_run(
    host: WelcomeHost, parent: QWidget | None = None, argv: list[str] | None = None, settings: QSettings | None = None
) -> QDialog | None:
    """At start-up without a file: the welcome page (unless turned off), else the tour until dismissed."""
    settings = settings or app_settings()
    if any(a.endswith(".vnn") for a in argv or []):
        return None  # the user asked for a specific project
    if _flag(settings, SHOW_ON_STARTUP, True):
        return show_welcome(host, parent, settings)
    return show_tour(parent, settings=settings, show_step=host.show_step)


__all__ = [
    "EXAMPLES",
    "TOUR",
    "Example",
    "TourDialog",
    "WelcomeDialog",
    "WelcomeHost",
    "WelcomePage",
    "available_examples",
    "prepare_example",
    "show_tour",
    "show_welcome",
    "show_welcome_if_first_run",
    "tour_dismissed",
]
