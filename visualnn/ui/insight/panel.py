"""The "Look inside" dock: the Activations and Explanations tabs, wired to the canvas and the Evaluation tab."""

from __future__ import annotations

from typing import Any

from PySide6.QtWidgets import QTabWidget, QWidget

from visualnn.ui.document import ProjectDocument
from visualnn.ui.engine_link import EngineLink
from visualnn.ui.insight.session import LatestJobSession

DOCK_KEY = "insight"
DOCK_TITLE = "Look inside"


class InsightPanel(QTabWidget):
    """Activations (any node, untrained or trained) and Explanations (Grad-CAM, saliency, permutation)."""

    def __init__(self, document: ProjectDocument, engine: EngineLink | None, parent: QWidget | None = None,
                 extra_job: dict[str, Any] | None = None) -> None:
        from visualnn.ui.insight.activations_view import ActivationsView
        from visualnn.ui.insight.explain_view import ExplanationsView

        super().__init__(parent)
        self.activation_session = LatestJobSession(document, engine, "activations", extra_job, self)
        self.explain_session = LatestJobSession(document, engine, "explain", extra_job, self)
        self.activations = ActivationsView(document, self.activation_session, self)
        self.explanations = ExplanationsView(document, self.explain_session, self)
        self.addTab(self.activations, "Activations")
        self.addTab(self.explanations, "Explanations")

    def on_selection(self, node_ids: list[str]) -> None:
        """A click on one node shows its output, when the Activations tab is the one on screen."""
        if len(node_ids) == 1 and self.isVisible() and self.currentWidget() is self.activations:
            self.activations.set_node(node_ids[0])
        elif len(node_ids) == 1:
            self.activations.set_node(node_ids[0], compute=False)  # Show computes it once the tab is in view

    def explain_sample(self, run_id: str, split: str, index: int) -> None:
        """Grad-CAM of one sample (the Evaluation tab's action): the Explanations tab comes forward."""
        self.setCurrentWidget(self.explanations)
        self.explanations.explain_sample(run_id, split, index)


class InsightHost:
    """The "Look inside" dock of a window: it exists from the start; its panel (numpy, drawing) is built after
    the window's first paint, or sooner when it is needed (its tab shown, an explanation asked for)."""

    def __init__(self, window: Any, document: ProjectDocument, engine: EngineLink | None,
                 extra_job: dict[str, Any] | None = None) -> None:
        from PySide6.QtWidgets import QWidget as _Placeholder

        self.window = window
        self.document = document
        self.engine = engine
        self.extra_job = extra_job
        self._panel: InsightPanel | None = None
        self._pending_node: str | None = None
        self.dock = window.add_bottom_dock(DOCK_KEY, DOCK_TITLE, _Placeholder(window))
        window.scene.selection_ids_changed.connect(self._on_scene_selection)
        window.explain_requested.connect(self.explain_sample)
        window.first_painted.connect(lambda: self.panel)
        self.dock.visibilityChanged.connect(lambda visible: self.panel if visible else None)

    @property
    def built(self) -> bool:
        """The panel exists (it replaces the placeholder)."""
        return self._panel is not None

    @property
    def panel(self) -> InsightPanel:
        """The panel, built on first use."""
        if self._panel is None:
            panel = InsightPanel(self.document, self.engine, self.window, self.extra_job)
            placeholder = self.dock.widget()
            self.dock.setWidget(panel)
            placeholder.deleteLater()
            self._panel = panel
            if self._pending_node is not None:
                panel.activations.set_node(self._pending_node, compute=False)
        return self._panel

    def show(self, tab: str = "activations") -> InsightPanel:
        """Bring the dock forward on ``tab`` (``activations`` or ``explanations``)."""
        panel = self.panel
        self.dock.show()
        self.dock.raise_()
        panel.setCurrentWidget(panel.activations if tab == "activations" else panel.explanations)
        return panel

    def explain_sample(self, run_id: str, split: str, index: int) -> None:
        """Grad-CAM of one sample, shown in the Explanations tab."""
        self.show("explanations").explain_sample(run_id, split, index)

    def _on_scene_selection(self, node_ids: list[str]) -> None:
        if self._panel is None:
            self._pending_node = node_ids[0] if len(node_ids) == 1 else self._pending_node
            return
        self._panel.on_selection(node_ids)


def install_insight(window: Any, document: ProjectDocument, engine: EngineLink | None,
                    extra_job: dict[str, Any] | None = None) -> InsightHost:
    """Add the "Look inside" dock to ``window`` (a MainWindow), following its canvas and Evaluation tab."""
    return InsightHost(window, document, engine, extra_job)
