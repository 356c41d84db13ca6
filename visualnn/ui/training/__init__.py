"""Training, evaluation, prediction and runs panels (Qt); they talk to the engine, never to TensorFlow.

Each panel is a view of a controller that owns no widgets: :class:`TrainingSessionController`
(train / continue / pause / stop, progress, run records), :class:`EvaluationController` and
:class:`PredictionController`. Controllers follow their own jobs through the
:class:`~visualnn.ui.engine_client.JobHandle` that ``EngineClient.submit`` returns.

Wiring for the main window: the evaluation panel evaluates each new run by itself
(``auto_evaluate``); ``training.devices_found`` carries the status-bar device summary.
"""

from __future__ import annotations

from visualnn.ui.training.evaluation_panel import EvaluationPanel
from visualnn.ui.training.panel import TrainingPanel
from visualnn.ui.training.predict_panel import PredictPanel
from visualnn.ui.training.result_sessions import EvaluationController, PredictionController
from visualnn.ui.training.runs_panel import RunsPanel
from visualnn.ui.training.session import TrainingSessionController

__all__ = [
    "EvaluationController", "EvaluationPanel", "PredictPanel", "PredictionController", "RunsPanel",
    "TrainingPanel", "TrainingSessionController",
]
