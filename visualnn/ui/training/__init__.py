"""Training, evaluation, prediction and runs panels (Qt); they talk to the engine, never to TensorFlow.

Wiring for the main window: ``training.run_recorded.connect(evaluation.evaluate)`` evaluates each
new run automatically; ``training.devices_found`` carries the status-bar device summary.
"""

from __future__ import annotations

from visualnn.ui.training.evaluation_panel import EvaluationPanel
from visualnn.ui.training.panel import TrainingPanel
from visualnn.ui.training.predict_panel import PredictPanel
from visualnn.ui.training.runs_panel import RunsPanel

__all__ = ["EvaluationPanel", "PredictPanel", "RunsPanel", "TrainingPanel"]
