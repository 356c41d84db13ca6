"""Training, evaluation, prediction and runs panels (Qt); they talk to the engine, never to TensorFlow."""

from __future__ import annotations

from visualnn.ui.training.panel import TrainingPanel

__all__ = ["TrainingPanel"]
