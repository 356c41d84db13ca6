"""Qt user interface (the only package that imports Qt; never TensorFlow)."""

from visualnn.ui import _none_guard  # noqa: F401  (must run before any Qt call: PySide6 6.12 None refcount bug)
