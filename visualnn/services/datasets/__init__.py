"""Data into tensors: loaders for CSV/TSV, image folders, NumPy arrays and time series.

Two entry points:

* :func:`prepare` (``visualnn.services.datasets.prepare``) -> :class:`PreparedData` (``.prepared``): batched
  ``tf.data`` pipelines for training, plus input shape, task, class names, statistics and a
  ``transform`` for predict. Imports TensorFlow (lazily).
* :func:`inspect_source` (``visualnn.services.datasets.inspect``) -> :class:`SourceInfo`: a cheap,
  TensorFlow-free look at a file or folder (format, columns or classes, predicted tensors,
  problems) for the data panel and ``visualnn data inspect``. The UI imports that module
  directly so it never pulls in TensorFlow.
"""

from __future__ import annotations

from visualnn.services.datasets.errors import DataError, Problem
from visualnn.services.datasets.inspect import inspect_source
from visualnn.services.datasets.prepare import prepare
from visualnn.services.datasets.prepared import PreparedData
from visualnn.services.datasets.source_info import SourceInfo

__all__ = ["DataError", "PreparedData", "Problem", "SourceInfo", "inspect_source", "prepare"]
