"""Evaluating the generated backbone cost table (backbone_costs_table.py) at an input size: pure Python.

A family's entry groups its tensors by *level*: the chain of size operations that turns the input's height (or
width) into the tensor's. Every cost in the table is a whole number per pixel of its level, so the cost at
``h x w`` is the sum over levels of ``coefficient x chain(h) x chain(w)``: exact at every size, rounding
included. scripts/gen_backbone_costs.py writes the table and checks it against Keras's own layer shapes.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from typing import Any


@dataclass(frozen=True)
class BackboneCost:
    """Per sample, for one input size: MACs, extra FLOPs (beyond 2 per MAC), values kept for backprop inside the
    node, the most values alive at once inside it during a forward pass, and the last feature map's height and
    width (before any pooling)."""

    macs: int
    extras: int
    kept: int
    peak: int
    height: int
    width: int


def apply_chain(chain: Sequence[str], size: int) -> int:
    """The size of one axis after ``chain`` for an input of ``size``.

    Operations: ``1`` the axis becomes 1 (global pooling); ``cN`` ceil(size / N) (a stride-N 'same' conv);
    ``vK/S`` (size - K) // S + 1 (a valid conv or pooling with a K-wide window, stride S); ``pN`` N pixels of
    padding; ``qH`` ``imagenet_utils.correct_pad``'s padding for a kernel of half-width H (2H on an odd size,
    2H - 1 on an even one).
    """
    for op in chain:
        if op == "1":
            size = 1
        elif op[0] == "c":
            size = -(-size // int(op[1:]))
        elif op[0] == "v":
            k, s = op[1:].split("/")
            size = (size - int(k)) // int(s) + 1
        elif op[0] == "p":
            size += int(op[1:])
        elif op[0] == "q":
            size += 2 * int(op[1:]) - (1 - size % 2)
        else:
            raise ValueError(f"unknown size operation {op!r} in the backbone cost table")
    return size


def evaluate(entry: Mapping[str, Any], height: int, width: int) -> BackboneCost:
    """One family's cost at ``height x width`` (``entry``: its row of the generated table for one pooling)."""
    areas = [apply_chain(chain, height) * apply_chain(chain, width) for chain in entry["levels"]]
    macs = sum(c * a for c, a in zip(entry["macs"], areas, strict=True))
    extras = sum(c * a for c, a in zip(entry["extras"], areas, strict=True))
    kept = sum(c * a for c, a in zip(entry["kept"], areas, strict=True))
    peak = max((sum(c * areas[i] for i, c in moment) for moment in entry["moments"]), default=0)
    feature = entry["levels"][entry["feature_level"]]
    return BackboneCost(macs, extras, kept, peak, apply_chain(feature, height), apply_chain(feature, width))
