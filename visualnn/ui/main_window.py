"""The main window: canvas in the centre, palette left, inspector right, workflow tabs below.

Built by the composition root (``visualnn.ui.app.build_main_window``) from a ``ProjectDocument``
and an :class:`~visualnn.ui.engine_link.EngineLink`; every panel is constructed here with a plain
import, so a panel that cannot be built fails loudly instead of hiding.

What the first paint shows is built with the window: the canvas, the step bar, Layers, Inspector and
the Data, Summary and Problems tabs. The workflow panels behind the other bottom tabs (Training,
Evaluation, Predict, Runs, Code; their modules import pyqtgraph and numpy) are built together just
after the first paint (:attr:`MainWindow.first_painted`), or at once when something needs one first:
its tab is about to be seen or a ``*_panel`` attribute is read. Their docks exist from the start, so
the View menu and the saved layout never change. A panel that cannot be built fails loudly where it
is built (after the first paint: the error reporter shows the traceback) and again at each use.
"""

from __future__ import annotations

import os
from collections.abc import Callable, Iterable
from typing import TYPE_CHECKING, Any

from PySide6.QtCore import QEvent, QObject, QRect, QSettings, QSize, Qt, QTimer, Signal
from PySide6.QtGui import QAction, QCloseEvent, QKeySequence, QShowEvent
from PySide6.QtWidgets import (
    QDockWidget,
    QLabel,
    QMainWindow,
    QMenu,
    QTabWidget,
    QToolBar,
    QVBoxLayout,
    QWidget,
)

from visualnn.core.graph import FUNCTIONAL, SEQUENTIAL
from visualnn.ui import theme
from visualnn.ui.canvas.controller import CanvasController
from visualnn.ui.canvas.scene import GraphScene
from visualnn.ui.canvas.view import GraphView
from visualnn.ui.choosers import DIALOGS, FileChooser, use_chooser
from visualnn.ui.data_panel import DataPanel
from visualnn.ui.document import ProjectDocument
from visualnn.ui.engine_link import EngineLink
from visualnn.ui.inspector import InspectorPanel
from visualnn.ui.palette import PalettePanel
from visualnn.ui.problems import ProblemsPanel
from visualnn.ui.step_bar import StepBar
from visualnn.ui.summary_panel import SummaryPanel
from visualnn.ui.training.close_guard import TrainingCloseGuard, TrainingPrompter, ask_with_message_box
from visualnn.ui.window_files import ProjectFilesMixin

if TYPE_CHECKING:
    from visualnn.ui.code_panel import CodePanel
    from visualnn.ui.training.evaluation_panel import EvaluationPanel
    from visualnn.ui.training.panel import TrainingPanel
    from visualnn.ui.training.predict_panel import PredictPanel
    from visualnn.ui.training.runs_panel import RunsPanel
    from visualnn.ui.training.search_close_guard import SearchCloseGuard
    from visualnn.ui.workflow_panels import WorkflowPanels

BOTTOM_TABS = ("data", "training", "evaluation", "predict", "runs", "code", "summary", "problems")  # workflow order
# Which workflow steps each bottom tab serves: raising the tab moves the step bar there.
DOCK_STEPS = {"data": ("Data",), "training": ("Compile", "Fit"), "evaluation": ("Evaluate",), "predict": ("Predict",)}
STEP_DOCKS = {"Data": "data", "Compile": "training", "Fit": "training", "Evaluate": "evaluation", "Predict": "predict"}
# The bottom tabs whose panels are built after the first paint (see the module's docstring).
WORKFLOW_DOCKS = ("training", "evaluation", "predict", "runs", "code")
# A window that is shown but never painted (started minimised, on another desktop) runs its after-paint
# work this long after show() all the same: the recovery question, the welcome page, the workflow panels.
FIRST_PAINT_BACKSTOP_MS = 1000
# The tallest minimum height of the workflow panels (the Training panel: buttons, progress, status and a row
# of plots), reserved by their placeholders so the bottom tabs keep their height when the panels arrive
# after the first paint (tests/ui/test_startup.py checks it against the built panels).
WORKFLOW_MIN_HEIGHT = 292
# Unless something asks for them sooner, the workflow panels are built this long after the first paint: what
# first_painted started (the welcome page, the recovery question) is on screen before the window is busy.
WORKFLOW_WARM_UP_MS = 300


DEFAULT_SIZE = QSize(1400, 880)


def first_size(available: QRect) -> QSize:
    """The window's size before the user has chosen one: the default, shrunk to fit a smaller screen
    (with room for the title bar and the desktop's panels)."""
    return QSize(min(DEFAULT_SIZE.width(), int(available.width() * 0.96)),
                 min(DEFAULT_SIZE.height(), int(available.height() * 0.92)))


class MainWindow(ProjectFilesMixin, QMainWindow):
    """Hosts the document's views; every edit goes through the document's undo stack."""

    # Once, on the loop turn after the canvas's first paint (or FIRST_PAINT_BACKSTOP_MS after show()
    # when it is never painted): the window is on screen, so what may wait for it can start.
    first_painted = Signal()
    # The Evaluation tab asks for an explanation of one sample: run id, split, index (the "Look inside" dock answers).
    explain_requested = Signal(str, str, int)

    def __init__(
        self,
        document: ProjectDocument,
        engine: EngineLink,
        settings: QSettings | None = None,
        chooser: FileChooser | None = None,
        training_prompter: TrainingPrompter = ask_with_message_box,
    ) -> None:
        super().__init__()
        self.file_chooser: FileChooser = chooser or DIALOGS  # every file dialog of this window asks it
        use_chooser(self, self.file_chooser)
        self.document = document
        self.engine = engine
        self.settings = settings or QSettings("VisualNN", "VisualNN")
        self.setWindowIcon(theme.icon("visualnn"))
        self.controller = CanvasController(self.document, self)
        self.scene = GraphScene(self.document, self.controller)
        self.view = GraphView(self.scene)
        self.step_bar = StepBar()
        central = QWidget()
        lay = QVBoxLayout(central)
        lay.setContentsMargins(0, 0, 0, 0)
        lay.setSpacing(0)
        lay.addWidget(self.step_bar)
        # The model's canvas, and a tab per opened block (ui.block_editor); the bar shows only with two tabs or more.
        self.canvas_tabs = QTabWidget(central)
        self.canvas_tabs.setObjectName("canvas_tabs")
        self.canvas_tabs.setDocumentMode(True)
        self.canvas_tabs.setTabBarAutoHide(True)
        self.canvas_tabs.addTab(self.view, "Model")
        lay.addWidget(self.canvas_tabs, 1)
        self.setCentralWidget(central)
        self.docks: dict[str, QDockWidget] = {}
        self._training_prompter = training_prompter
        self._workflow: WorkflowPanels | None = None
        self._painted = False  # first_painted has been emitted
        self._shown_before = False
        self.view.viewport().installEventFilter(self)  # its first paint emits first_painted
        self._build_docks()
        self.actions_: dict[str, QAction] = {}
        self._build_actions()
        self._build_menus()
        self._build_toolbar()
        self._build_context_menu()
        self._build_status()
        self._connect()
        self.resize(first_size(self.screen().availableGeometry()))
        self._restore_settings()
        self._update_title()
        self._update_status()
        self._update_mode_action()

    # ------------------------------------------------------------ construction
    def _dock(self, key: str, title: str, widget: QWidget, area: Qt.DockWidgetArea) -> QDockWidget:
        dock = QDockWidget(title, self)
        dock.setObjectName(f"dock_{key}")
        dock.setWidget(widget)
        dock.setFeatures(
            QDockWidget.DockWidgetFeature.DockWidgetMovable
            | QDockWidget.DockWidgetFeature.DockWidgetClosable
            | QDockWidget.DockWidgetFeature.DockWidgetFloatable
        )
        self.addDockWidget(area, dock)
        self.docks[key] = dock
        return dock

    def _build_docks(self) -> None:
        doc = self.document
        self.palette_panel = PalettePanel(doc.registry, self)
        self.inspector = InspectorPanel(doc, self)
        self.summary_panel = SummaryPanel(doc, self)
        self.problems_panel = ProblemsPanel(doc, self)
        self.data_panel = DataPanel(doc, self)
        self._dock("palette", "Layers", self.palette_panel, Qt.DockWidgetArea.LeftDockWidgetArea)
        self._dock("inspector", "Inspector", self.inspector, Qt.DockWidgetArea.RightDockWidgetArea)
        bottom = Qt.DockWidgetArea.BottomDockWidgetArea
        titles = {"data": "Data", "training": "Training", "evaluation": "Evaluation", "predict": "Predict",
                  "runs": "Runs", "code": "Code", "summary": "Summary", "problems": "Problems"}
        built: dict[str, QWidget] = {"data": self.data_panel, "summary": self.summary_panel,
                                     "problems": self.problems_panel}
        first: QDockWidget | None = None
        for key in BOTTOM_TABS:
            # A workflow dock holds an empty widget until its panel is built (before it is ever seen).
            widget = built.get(key)
            if widget is None:
                widget = QWidget(self)
                widget.setMinimumHeight(WORKFLOW_MIN_HEIGHT)
            dock = self._dock(key, titles[key], widget, bottom)
            if first is None:
                first = dock
            else:
                self.tabifyDockWidget(first, dock)
        self.setTabPosition(bottom, QTabWidget.TabPosition.North)
        self.resizeDocks([self.docks["palette"], self.docks["inspector"]], [260, 310], Qt.Orientation.Horizontal)
        self.resizeDocks([self.docks["data"]], [300], Qt.Orientation.Vertical)
        self.docks["data"].raise_()  # step 1 of the workflow
        self.step_bar.set_current("Data")

    def workflow_panels(self) -> WorkflowPanels:
        """The Training, Evaluation, Predict, Runs and Code panels; built (all together) on the first call."""
        if self._workflow is None:
            from visualnn.ui.workflow_panels import build_workflow_panels

            self._workflow = build_workflow_panels(self)
        return self._workflow

    @property
    def training_panel(self) -> TrainingPanel:
        """The Training tab's panel (built on first use)."""
        return self.workflow_panels().training

    @property
    def evaluation_panel(self) -> EvaluationPanel:
        """The Evaluation tab's panel (built on first use)."""
        return self.workflow_panels().evaluation

    @property
    def predict_panel(self) -> PredictPanel:
        """The Predict tab's panel (built on first use)."""
        return self.workflow_panels().predict

    @property
    def runs_panel(self) -> RunsPanel:
        """The Runs tab's panel (built on first use)."""
        return self.workflow_panels().runs

    @property
    def code_panel(self) -> CodePanel:
        """The Code tab's panel (built on first use)."""
        return self.workflow_panels().code

    @property
    def training_guard(self) -> TrainingCloseGuard:
        """Settles a running training job before the project is closed or replaced (built with the panels)."""
        return self.workflow_panels().guard

    @property
    def search_guard(self) -> SearchCloseGuard:
        """Settles a running hyperparameter search before the project is closed or replaced (built with the panels)."""
        return self.workflow_panels().search_guard

    def settle_training(self, action: str, then: Callable[[], object]) -> bool:
        """Before ``action`` closes or replaces the project: settle a running training job, then a running
        search (True: go on; False: cancelled, or ``then`` runs again once the job has ended).

        Without the workflow panels no training or search has started, so there is nothing to settle or to build."""
        if self._workflow is None:
            return True
        return bool(self._workflow.guard.settle(action, then)) and bool(self._workflow.search_guard.settle(action, then))

    # ------------------------------------------------------------ first paint
    @property
    def painted(self) -> bool:
        """Whether :attr:`first_painted` has been emitted."""
        return self._painted

    def eventFilter(self, watched: QObject, event: QEvent) -> bool:  # noqa: N802 (Qt API name)
        """The canvas's first paint: emit :attr:`first_painted` on the next loop turn, once the frame is done."""
        if event.type() == QEvent.Type.Paint and watched is self.view.viewport():
            watched.removeEventFilter(self)
            QTimer.singleShot(0, self, self._after_first_paint)
        return super().eventFilter(watched, event)

    def showEvent(self, event: QShowEvent) -> None:  # noqa: N802 (Qt API name)
        """The first show() arms the backstop for a window that is never painted."""
        super().showEvent(event)
        if not self._shown_before:
            self._shown_before = True
            QTimer.singleShot(FIRST_PAINT_BACKSTOP_MS, self, self._after_first_paint)

    def _after_first_paint(self) -> None:
        if self._painted:
            return
        self._painted = True
        self.first_painted.emit()
        QTimer.singleShot(WORKFLOW_WARM_UP_MS, self, self.workflow_panels)

    def _act(
        self,
        key: str,
        text: str,
        slot: Callable[[], object],
        shortcut: QKeySequence | QKeySequence.StandardKey | str | list[Any] | None = None,
        tip: str = "",
    ) -> QAction:
        action = QAction(text, self)
        action.setObjectName(f"action_{key}")
        if shortcut is not None:
            shortcuts = shortcut if isinstance(shortcut, list) else [shortcut]
            action.setShortcuts([QKeySequence(s) for s in shortcuts])
        if tip:
            action.setStatusTip(tip)
            action.setToolTip(tip)
        action.triggered.connect(lambda _c=False: slot())
        self.addAction(action)
        self.actions_[key] = action
        return action

    def _build_actions(self) -> None:
        K = QKeySequence.StandardKey
        a = self._act
        a("new", "&New", self.new_project, K.New, "Start an empty model.")
        a("open", "&Open…", self.open_dialog, K.Open, "Open a VisualNN project (.vnn).")
        a("save", "&Save", self.save, K.Save, "Save the project.")
        a("save_as", "Save &As…", self.save_as, K.SaveAs, "Save the project under a new name.")
        a("quit", "&Quit", self.close, K.Quit)
        undo = self.document.undo_stack.createUndoAction(self, "&Undo")
        undo.setShortcuts(QKeySequence.keyBindings(K.Undo))
        redo = self.document.undo_stack.createRedoAction(self, "&Redo")
        redo.setShortcuts([QKeySequence("Ctrl+Shift+Z"), QKeySequence("Ctrl+Y")])
        for key, act in (("undo", undo), ("redo", redo)):
            act.setObjectName(f"action_{key}")
            self.addAction(act)
            self.actions_[key] = act
        a("cut", "Cu&t", lambda: self.controller.cut(self.scene.selected_ids()), K.Cut)
        a("copy", "&Copy", lambda: self.controller.copy(self.scene.selected_ids()), K.Copy)
        a("paste", "&Paste", self.paste, K.Paste)
        a("duplicate", "&Duplicate", lambda: self.controller.duplicate(self.scene.selected_ids()), "Ctrl+D")
        a("delete", "&Delete", self.delete_selection, [QKeySequence(QKeySequence.StandardKey.Delete), "Backspace"])
        a("select_all", "Select &All", self.select_all, K.SelectAll)
        a("find_layer", "Find &Layer…", self.palette_panel.focus_search, None, "Search the layer palette (Ctrl+F).")
        a("zoom_in", "Zoom &In", self.view.zoom_in, [K.ZoomIn, "Ctrl+="])
        a("zoom_out", "Zoom &Out", self.view.zoom_out, K.ZoomOut)
        a("zoom_reset", "Actual Size", lambda: self.view.set_zoom(1.0), "Ctrl+0")
        a("fit", "&Fit to View", self.view.fit, "F", "Show the whole model.")
        a("auto_layout", "Auto-&Layout", self.auto_layout, "Ctrl+L", "Arrange the layers top to bottom.")
        a("toggle_mode", "Convert to &Functional", self.toggle_mode, None, "Switch between a Sequential chain and the functional API.")
        a("reset_layout", "Reset Panel Layout", self.reset_layout)

    def _build_menus(self) -> None:
        bar = self.menuBar()
        acts = self.actions_
        file_menu = bar.addMenu("&File")
        file_menu.addAction(acts["new"])
        self.template_menu = file_menu.addMenu("New from &Template")
        self._fill_template_menu()
        file_menu.addAction(acts["open"])
        self.recent_menu = file_menu.addMenu("Open &Recent")
        self._fill_recent_menu()
        self._open_section_end = file_menu.addSeparator()  # add_file_action puts actions above it
        self.file_menu = file_menu
        file_menu.addAction(acts["save"])
        file_menu.addAction(acts["save_as"])
        self.export_menu = file_menu.addMenu("&Export")  # filled by add_export_actions (composition root)
        file_menu.addSeparator()
        file_menu.addAction(acts["quit"])
        edit = bar.addMenu("&Edit")
        self.edit_menu: QMenu = edit  # features add their actions (ui.block_editor: Make Block…; ui.freeze_actions)
        for key in ("undo", "redo", None, "cut", "copy", "paste", "duplicate", "delete", None, "select_all", "find_layer"):
            edit.addSeparator() if key is None else edit.addAction(acts[key])
        view = bar.addMenu("&View")
        for key in ("zoom_in", "zoom_out", "zoom_reset", "fit"):
            view.addAction(acts[key])
        view.addSeparator()
        view.addAction(self._show_costs_action())
        panels = self.panels_menu = view.addMenu("&Panels")
        for dock in self.docks.values():
            panels.addAction(dock.toggleViewAction())
        view.addAction(acts["reset_layout"])
        model = bar.addMenu("&Model")
        model.addAction(acts["auto_layout"])
        model.addAction(acts["toggle_mode"])
        self.help_menu: QMenu = bar.addMenu("&Help")  # filled by visualnn.ui.help (composition root)

    def _show_costs_action(self) -> QAction:
        """View > Show Layer Costs on Nodes: node footers show FLOPs per sample (core.costs) instead of parameters."""
        action = QAction("Show Layer &Costs on Nodes", self)
        action.setObjectName("action_show_costs")
        action.setCheckable(True)
        action.setStatusTip("Show each layer's FLOPs per sample in its card footer; the Summary tab has the details.")
        action.toggled.connect(self.scene.set_show_costs)
        self.actions_["show_costs"] = action
        return action

    def add_bottom_dock(self, key: str, title: str, widget: QWidget) -> QDockWidget:
        """A feature's dock among the bottom tabs (after the others), listed in View > Panels."""
        dock = self._dock(key, title, widget, Qt.DockWidgetArea.BottomDockWidgetArea)
        self.tabifyDockWidget(self.docks[BOTTOM_TABS[-1]], dock)
        self.panels_menu.addAction(dock.toggleViewAction())
        self.docks[BOTTOM_TABS[0]].raise_()  # the workflow's current tab stays in front
        return dock

    def add_file_action(self, key: str, action: QAction) -> None:
        """Put a feature's action in the File menu after Open Recent (and in :attr:`actions_` by key)."""
        self.file_menu.insertAction(self._open_section_end, action)
        self.addAction(action)
        self.actions_[key] = action

    def add_export_actions(self, actions: Iterable[tuple[str, QAction]]) -> None:
        """Put the export feature's actions in File > Export (and in :attr:`actions_` by key)."""
        for key, action in actions:
            self.export_menu.addAction(action)
            self.actions_[key] = action

    def _build_context_menu(self) -> None:
        """Right-click on the canvas offers the edit actions (they act on the selection)."""
        self.view.setContextMenuPolicy(Qt.ContextMenuPolicy.ActionsContextMenu)
        for key in ("cut", "copy", "paste", "duplicate", "delete", None, "select_all", "auto_layout", "fit", "toggle_mode"):
            if key is None:
                sep = QAction(self.view)
                sep.setSeparator(True)
                self.view.addAction(sep)
            else:
                self.view.addAction(self.actions_[key])

    def _build_toolbar(self) -> None:
        tb = QToolBar("Main", self)
        tb.setObjectName("toolbar_main")
        tb.setToolButtonStyle(Qt.ToolButtonStyle.ToolButtonTextOnly)
        tb.setMovable(False)
        for key in ("new", "open", "save", None, "undo", "redo", None, "fit", "auto_layout", None, "toggle_mode"):
            tb.addSeparator() if key is None else tb.addAction(self.actions_[key])
        self.addToolBar(tb)

    def _build_status(self) -> None:
        sb = self.statusBar()
        self.params_label = QLabel()
        self.validity_label = QLabel()
        self.engine_label = QLabel("TensorFlow: not started")
        self.engine_label.setToolTip("TensorFlow runs in a separate engine process so the window never waits for it.")
        for w in (self.params_label, self.validity_label, self.engine_label):
            w.setContentsMargins(8, 0, 8, 0)
            sb.addPermanentWidget(w)

    def _connect(self) -> None:
        doc = self.document
        doc.dirty_changed.connect(lambda _d: self._update_title())
        doc.path_changed.connect(lambda _p: self._update_title())
        doc.name_changed.connect(lambda _n: self._update_title())
        doc.project_replaced.connect(self._on_document_project_replaced)
        doc.graph_changed.connect(self._update_status)
        doc.graph_changed.connect(self._update_mode_action)
        doc.command_failed.connect(lambda msg: self.statusBar().showMessage(msg, 8000))
        self.controller.message.connect(lambda msg: self.statusBar().showMessage(msg, 8000))
        self.scene.selection_ids_changed.connect(self.inspector.set_selection)
        self.palette_panel.layer_activated.connect(self._on_palette_layer_activated)
        self.problems_panel.node_activated.connect(self.focus_node)
        self.problems_panel.edge_activated.connect(self.view.focus_edge)
        self.summary_panel.node_activated.connect(self.focus_node)
        self.summary_panel.deploy.set_engine(self.engine)
        self.data_panel.augment.set_engine(self.engine)
        self.summary_panel.deploy.checked.connect(self.scene.set_deploy_badges)
        self.step_bar.step_activated.connect(self._on_step_bar_step_activated)
        for key in DOCK_STEPS:
            self.docks[key].visibilityChanged.connect(
                lambda visible, k=key: self._on_dock_visibility_changed(k, visible)
            )
        for key in WORKFLOW_DOCKS:  # a workflow tab about to be seen is built first
            self.docks[key].visibilityChanged.connect(lambda visible: self.workflow_panels() if visible else None)
        self.engine.ready.connect(self.set_engine_info)
        self.engine.engine_died.connect(self._on_engine_died)
        if self.engine.is_ready:  # an engine already up (a window built on a running one) sent its ready earlier
            self.set_engine_info(self.engine.info)
        doc.runs_changed.connect(doc.mark_modified)

    def start_engine(self) -> None:
        """Start the TensorFlow engine process in the background (after the window is up)."""
        self.engine_label.setText("TensorFlow: starting…")
        self.engine.start()

    def _on_engine_died(self, why: str) -> None:
        self.engine_label.setText("TensorFlow engine stopped")
        self.statusBar().showMessage(why, 10000)

    # ------------------------------------------------------------ status and title
    def _update_title(self) -> None:
        doc = self.document
        name = doc.display_name
        where = f" ({os.path.basename(doc.path)})" if doc.path and os.path.splitext(os.path.basename(doc.path))[0] != name else ""
        self.setWindowTitle(f"{name}{where}{' *' if doc.is_dirty else ''} — VisualNN")

    def _update_status(self) -> None:
        shapes = self.document.shapes
        self.params_label.setText(f"Params: {theme.fmt_count(shapes.total_params)}")
        issues = self.document.issues
        errors = sum(1 for i in issues if i.severity == "error")
        warnings = sum(1 for i in issues if i.severity == "warning")
        if not self.document.graph.nodes:
            text, color = "Empty model", "palette(mid)"
        elif errors:
            text, color = f"✗ {errors} error{'s' if errors != 1 else ''}", theme.ERROR
        elif self.document.data_pending:  # not "Valid" before the model has been checked against the data
            text, color = "Checking against the data…", "palette(mid)"
        elif warnings:
            text, color = f"✓ Valid · {warnings} warning{'s' if warnings != 1 else ''}", theme.WARNING
        else:
            text, color = "✓ Valid", "#2E9E5B"
        self.validity_label.setText(text)
        self.validity_label.setStyleSheet(f"color: {color};")
        facts = self.document.data_facts
        against = f"Checked against the data in {facts.source}." if facts is not None and facts.source else ""
        details = "Open the Problems tab for details." if errors or warnings else ""
        self.validity_label.setToolTip(" ".join(t for t in (details, against) if t))

    def set_engine_info(self, info: dict[str, Any] | str) -> None:
        """Show TensorFlow version and device once the engine reports them (its ready payload, or a summary)."""
        if isinstance(info, dict):
            versions = info.get("versions") or {}
            version = versions.get("tensorflow") or info.get("tensorflow") or "?"
            device = info.get("device") or "CPU"
            text = f"TensorFlow {version} · {device}"
        else:
            text = info
        self.engine_label.setText(text)

    def _update_mode_action(self) -> None:
        seq = self.document.graph.mode == SEQUENTIAL
        self.actions_["toggle_mode"].setText("Convert to Functional" if seq else "Convert to Sequential")

    # ------------------------------------------------------------ editing actions
    def delete_selection(self) -> None:
        """Delete the selected layers and connections."""
        self.controller.delete(self.scene.selected_ids(), self.scene.selected_edges())

    def select_all(self) -> None:
        """Select every layer."""
        self.scene.select_ids(list(self.document.graph.nodes))

    def paste(self) -> None:
        """Paste at the mouse position when it is over the canvas."""
        pos = self.view.mapFromGlobal(self.cursor().pos())
        if self.view.viewport().rect().contains(pos):
            p = self.view.mapToScene(pos)
            self.controller.paste((p.x(), p.y()), selected=self.scene.selected_ids())
        else:
            self.controller.paste(selected=self.scene.selected_ids())

    def auto_layout(self) -> None:
        """Arrange the layers and show them all."""
        self.controller.auto_layout()
        self.view.fit()

    def toggle_mode(self) -> None:
        """One click from Sequential to functional (and back when the model is a chain)."""
        self.controller.set_mode(FUNCTIONAL if self.document.graph.mode == SEQUENTIAL else SEQUENTIAL)

    def focus_node(self, node_id: str) -> None:
        """Select a layer and centre it (from Problems or the summary)."""
        if node_id in self.scene.nodes:
            self.scene.select_ids([node_id])
            self.view.center_on_node(node_id)

    def _on_palette_layer_activated(self, type_id: str) -> None:
        selected = self.scene.selected_ids()
        after = selected[-1] if selected else None
        if after is None and self.document.graph.nodes:
            sinks = self.document.graph.sinks()
            after = sinks[-1] if sinks and self.document.graph.mode == SEQUENTIAL else None
        self.controller.add_layer(type_id, after=after)

    def show_step(self, step: str) -> None:
        """Point the step bar at a workflow step and raise the panel that serves it (the tour uses this)."""
        self.step_bar.set_current(step)
        self._on_step_bar_step_activated(step)

    def _on_step_bar_step_activated(self, step: str) -> None:
        target = STEP_DOCKS.get(step)
        if target is None:
            self.view.setFocus()
            return
        dock = self.docks[target]
        dock.show()
        dock.raise_()

    def _on_dock_visibility_changed(self, key: str, visible: bool) -> None:
        steps = DOCK_STEPS[key]
        if visible and self.step_bar.current() not in steps:
            self.step_bar.set_current(steps[0])

    def _on_document_project_replaced(self) -> None:
        self._update_title()
        self._update_status()
        QTimer.singleShot(0, self.view.show_model)

    def closeEvent(self, event: QCloseEvent) -> None:  # noqa: N802
        """Settle a running training job, ask about unsaved changes, remember the layout, stop the engine."""
        if not self.confirm_replace("close VisualNN", self.close):
            event.ignore()
            return
        self.save_settings()
        if self._workflow is not None:  # never built: no TensorBoard was started
            self._workflow.runs.shutdown()  # the TensorBoard processes it started
        self.engine.stop()
        event.accept()
