"""VisualNN: build, train and export Keras models visually."""

__version__ = "0.1.0"
