"""The workflow panels (Training, Evaluation, Predict, Runs, Code) and what ties them together, built into the main
window's docks on first use, after the window's first paint (so they are not on the start-up path)."""

from __future__ import annotations

from dataclasses import dataclass
from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from visualnn.ui.code_panel import CodePanel
    from visualnn.ui.main_window import MainWindow
    from visualnn.ui.training.close_guard import TrainingCloseGuard
    from visualnn.ui.training.engine_share import EngineShare
    from visualnn.ui.training.evaluation_panel import EvaluationPanel
    from visualnn.ui.training.panel import TrainingPanel
    from visualnn.ui.training.predict_panel import PredictPanel
    from visualnn.ui.training.runs_panel import RunsPanel
    from visualnn.ui.training.search_close_guard import SearchCloseGuard


@dataclass(frozen=True)
class WorkflowPanels:
    """The panels built after the first paint, and the close guard that follows the training panel's runs."""

    training: TrainingPanel
    evaluation: EvaluationPanel
    predict: PredictPanel
    runs: RunsPanel
    code: CodePanel
    guard: TrainingCloseGuard
    search_guard: SearchCloseGuard  # the same for a running hyperparameter search (Runs › Search)
    engine_share: EngineShare  # Train and Search wait for each other (one engine)


def build_workflow_panels(window: MainWindow) -> WorkflowPanels:
    """Build the Training, Evaluation, Predict, Runs and Code panels into their docks (their placeholders go), with
    the close guards, the engine share and the preferences' tracking fields; done once, after the first paint."""
    from visualnn.ui.code_panel import CodePanel
    from visualnn.ui.training.close_guard import TrainingCloseGuard
    from visualnn.ui.training.engine_share import EngineShare
    from visualnn.ui.training.evaluation_panel import EvaluationPanel
    from visualnn.ui.training.panel import TrainingPanel
    from visualnn.ui.training.predict_panel import PredictPanel
    from visualnn.ui.training.runs_panel import RunsPanel
    from visualnn.ui.training.search_close_guard import SearchCloseGuard

    doc = window.document
    training = TrainingPanel(doc, window.engine, window)
    runs = RunsPanel(doc, window.engine, window)
    panels = WorkflowPanels(
        training=training,
        evaluation=EvaluationPanel(doc, window.engine, window),
        predict=PredictPanel(doc, window.engine, window),
        runs=runs,
        code=CodePanel(doc, window),
        # Closing or replacing the project while it trains asks what to do with the run (tests answer it).
        guard=TrainingCloseGuard(training.controller, window, window._training_prompter),
        search_guard=SearchCloseGuard(runs.search.controller, window),
        engine_share=EngineShare(training, runs.search, window),
    )
    for key, panel in (("training", panels.training), ("evaluation", panels.evaluation),
                       ("predict", panels.predict), ("runs", panels.runs), ("code", panels.code)):
        placeholder = window.docks[key].widget()
        window.docks[key].setWidget(panel)
        placeholder.deleteLater()
    panels.guard.message.connect(lambda msg: window.statusBar().showMessage(msg))
    from visualnn.ui.preferences import tracking_job_fields  # Edit > Preferences: MLflow for runs and trials

    training.controller.tracking = panels.runs.search.controller.tracking = (
        lambda: tracking_job_fields(window.settings, window.document.path))
    panels.search_guard.message.connect(lambda msg: window.statusBar().showMessage(msg))
    panels.evaluation.explain_requested.connect(window.explain_requested)
    training.devices_found.connect(window.set_engine_info)
    return panels
