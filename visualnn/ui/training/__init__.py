"""Training, evaluation, prediction and runs panels (Qt); they talk to the engine, never to TensorFlow.

Each panel is a view of a controller that owns no widgets: :class:`TrainingSessionController`
(train / continue / pause / stop, progress, run records), :class:`EvaluationController` and
:class:`PredictionController`. Controllers follow their own jobs through the
:class:`~visualnn.ui.engine_client.JobHandle` that ``EngineClient.submit`` returns.

Wiring for the main window: the evaluation panel evaluates each new run by itself
(``auto_evaluate``); ``training.devices_found`` carries the status-bar device summary.

The names below are imported on first use, not with the package: importing a light module of it
(``close_guard``, ``snapshot``) must not import pyqtgraph and numpy, which the plots need and the
window's first paint does not (the main window builds these panels just after it).
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from visualnn.ui.training.evaluation_panel import EvaluationPanel
    from visualnn.ui.training.panel import TrainingPanel
    from visualnn.ui.training.predict_panel import PredictPanel
    from visualnn.ui.training.result_sessions import EvaluationController, PredictionController
    from visualnn.ui.training.runs_panel import RunsPanel
    from visualnn.ui.training.session import TrainingSessionController


def __getattr__(name: str) -> Any:
    """Import a panel or controller the first time it is asked for (PEP 562)."""
    if name == "EvaluationPanel":
        from visualnn.ui.training.evaluation_panel import EvaluationPanel
        return EvaluationPanel
    if name == "TrainingPanel":
        from visualnn.ui.training.panel import TrainingPanel
        return TrainingPanel
    if name == "PredictPanel":
        from visualnn.ui.training.predict_panel import PredictPanel
        return PredictPanel
    if name == "RunsPanel":
        from visualnn.ui.training.runs_panel import RunsPanel
        return RunsPanel
    if name == "EvaluationController":
        from visualnn.ui.training.result_sessions import EvaluationController
        return EvaluationController
    if name == "PredictionController":
        from visualnn.ui.training.result_sessions import PredictionController
        return PredictionController
    if name == "TrainingSessionController":
        from visualnn.ui.training.session import TrainingSessionController
        return TrainingSessionController
    raise AttributeError(f"module {__name__!r} has no attribute {name!r}")


__all__ = [
    "EvaluationController", "EvaluationPanel", "PredictPanel", "PredictionController", "RunsPanel",
    "TrainingPanel", "TrainingSessionController",
]
