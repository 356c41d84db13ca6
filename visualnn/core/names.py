"""Keras's snake_case rule, the one VisualNN uses wherever a class name becomes a name.

Node ids (``conv2d_1``), the layer paths of a ``.keras`` weights file and config values given as a
class (``{"class_name": "GlorotUniform"}`` -> ``glorot_uniform``) must match what Keras itself
writes, so there is one helper and it repeats ``keras.src.utils.naming.to_snake_case`` exactly.
"""

from __future__ import annotations

import re


def snake_case(name: str) -> str:
    """``Conv2D`` -> ``conv2d``, ``SimpleRNN`` -> ``simple_rnn``, ``GlorotUniform`` -> ``glorot_uniform`` (Keras's rule)."""
    name = re.sub(r"\W+", "", name)
    name = re.sub(r"(.)([A-Z][a-z]+)", r"\1_\2", name)
    return re.sub(r"([a-z])([A-Z])", r"\1_\2", name).lower()


__all__ = ["snake_case"]
