"""Hypothesis builders of random VALID graphs: random layers and parameters, kept only where
VisualNN's own inference accepts them, so Keras can then be asked to agree on every node."""

from __future__ import annotations

import random
from collections.abc import Callable
from typing import Any

from hypothesis import assume
from hypothesis import strategies as st

from visualnn.core.graph import FUNCTIONAL, SEQUENTIAL, Edge, Graph, Node
from visualnn.core.shapes import infer_shapes
from visualnn.core.specs import LayerSpec, Registry, Shape, ShapeError
from visualnn.core.specs.base import AXES, BOOL, CHOICE, FLOAT, FLOATS, INT, INTS, PADDING, SHAPE

Draw = Callable[[st.SearchStrategy[Any]], Any]

MERGES = (
    "Add", "Subtract", "Multiply", "Average", "Maximum", "Minimum", "Concatenate", "Dot",
    "MultiHeadAttention", "Attention", "AdditiveAttention",
)
MULTI_INPUT = set(MERGES)
ATTENTION = {"MultiHeadAttention", "Attention", "AdditiveAttention"}
# Left at their defaults: they change neither shapes nor counts, or make graphs slow/stateful.
FIXED = {"seed", "unroll", "mask_zero"}

INPUT_SHAPES = st.one_of(
    st.tuples(st.integers(2, 16)),
    st.tuples(st.one_of(st.integers(2, 12), st.none()), st.integers(1, 6)),
    st.tuples(st.integers(4, 16), st.integers(4, 16), st.integers(1, 4)),
    st.tuples(st.integers(2, 4), st.integers(4, 8), st.integers(4, 8), st.integers(1, 2)),
)


def _ints(n: int | None, lo: int, hi: int) -> st.SearchStrategy[Any]:
    single = st.integers(lo, hi)
    return single if not n or n == 1 else st.one_of(single, st.lists(single, min_size=n, max_size=n))


def _axis(rank: int) -> st.SearchStrategy[int]:
    return st.sampled_from([-1, *range(1, rank)])


def _reshape_target(shape: Shape) -> st.SearchStrategy[list[int]]:
    return st.one_of(
        st.just([-1]),
        st.integers(1, 4).map(lambda k: [k, -1]),
        st.integers(1, 4).map(lambda k: [-1, k]),
        st.tuples(st.integers(1, 3), st.integers(1, 3)).map(lambda ab: [ab[0], ab[1], -1]),
    )


def param_strategy(spec: LayerSpec, name: str, shape: Shape) -> st.SearchStrategy[Any] | None:
    """Values worth trying for one parameter of ``spec`` given the input ``shape`` (None: keep default)."""
    p = spec.param(name)
    rank = len(shape)
    special: dict[str, st.SearchStrategy[Any]] = {
        "target_shape": _reshape_target(shape),
        "dims": st.permutations(list(range(1, rank))).map(list),
        "input_dim": st.integers(1, 50),
        "groups": st.sampled_from([1, 2]),
        "depth_multiplier": st.integers(1, 2),
        "output_padding": st.one_of(st.none(), st.lists(st.integers(0, 2), min_size=2, max_size=2)),
        "value_dim": st.one_of(st.none(), st.integers(1, 4)),
        "num_heads": st.integers(1, 3),
        "key_dim": st.integers(1, 4),
        "height": st.integers(1, 12),
        "width": st.integers(1, 12),
    }
    if name in FIXED:
        return None
    if name == "strides":
        strides = _ints(p.length, 1, 3)
        return st.one_of(st.none(), strides) if p.optional else strides
    if name in special:
        return special[name]
    if name in ("axis", "axes"):
        return _axis(rank) if p.kind == INT or spec.type != "Dot" else st.one_of(_axis(rank), st.tuples(_axis(rank), _axis(rank)).map(list))
    kind = p.kind
    if kind == BOOL:
        return st.booleans()
    if kind == CHOICE:
        return st.sampled_from(p.choices)
    if kind == INT:
        return st.integers(int(p.min or 0), int(p.min or 0) + 7)
    if kind == FLOAT:
        lo = max(p.min if p.min is not None else 0.0, 0.0)
        hi = min(p.max if p.max is not None else 2.0, 0.9)
        return st.floats(lo + (1e-3 if not p.min_inclusive else 0.0), hi, allow_nan=False)
    if kind == INTS:
        return _ints(p.length, 1, 4)
    if kind == FLOATS:
        one = st.floats(0.0, 0.5, allow_nan=False)
        pair = st.tuples(one, one).filter(lambda ab: ab[0] != ab[1]).map(lambda ab: sorted(ab))
        value = pair if p.length == 2 else st.one_of(one, pair)
        return st.one_of(st.none(), value) if p.optional else value
    if kind == PADDING:
        return st.one_of(st.integers(0, 2), st.lists(st.integers(0, 2), min_size=2, max_size=2))
    if kind in (AXES, SHAPE):
        return None
    return None


def draw_params(draw: Draw, spec: LayerSpec, shape: Shape) -> dict[str, Any]:
    """Random values for some of ``spec``'s parameters."""
    params: dict[str, Any] = {}
    for p in spec.params:
        strategy = param_strategy(spec, p.name, shape)
        if strategy is not None and draw(st.booleans()):
            params[p.name] = draw(strategy)
    return params


class GraphGrower:
    """Adds random layers to a graph, keeping only those VisualNN's inference accepts."""

    def __init__(self, draw: Draw, registry: Registry, mode: str = FUNCTIONAL) -> None:
        self.draw = draw
        self.registry = registry
        self.graph = Graph(mode)
        # Pretrained backbones are whole networks (millions of weights, ImageNet downloads): test_backbones_keras.py
        singles = [s.type for s in registry if s.category not in ("generic", "pretrained") and s.type != "Input"
                   and s.type not in MULTI_INPUT]
        self.singles = sorted(singles)
        # Layer types come from a seeded RNG: hypothesis's own choices lean heavily towards the first
        # option, which left half the catalog untested; parameters still come from hypothesis.
        self.rng = random.Random(draw(st.integers(0, 2**32 - 1)))

    def accepting(self, shape: Shape) -> list[str]:
        """Single-input layer types whose default parameters accept ``shape`` (fewer wasted draws)."""
        out = []
        for layer_type in self.singles:
            spec = self.registry[layer_type]
            try:
                spec.infer(spec.defaults(), [shape])
            except ShapeError:
                continue
            out.append(layer_type)
        return out

    def add_input(self, shape: tuple[int, ...]) -> str:
        """An Input node with ``shape`` (no batch axis)."""
        nid = self.graph.new_id("Input")
        self.graph.add_node(Node(nid, "Input", {"shape": list(shape)}))
        return nid

    def try_add(self, layer_type: str, params: dict[str, Any], sources: list[str]) -> str | None:
        """Add a node fed by ``sources`` (ports in order); undo and return None if inference rejects it."""
        nid = self.graph.new_id(layer_type)
        self.graph.add_node(Node(nid, layer_type, params))
        edges = [Edge.of(src, nid, dst_port=i) for i, src in enumerate(sources)]
        for e in edges:
            self.graph.connect(e)
        if infer_shapes(self.graph, self.registry).error(nid) is None:
            return nid
        for e in edges:
            self.graph.disconnect(e)
        self.graph.remove_node(nid)
        return None

    def shape(self, nid: str) -> Shape:
        """Inferred output shape of a node known to be valid."""
        out = infer_shapes(self.graph, self.registry).output(nid)
        assert out is not None
        return out

    def grow(self, start: str, attempts: int, max_layers: int) -> str:
        """Append up to ``max_layers`` random single-input layers after ``start``; returns the last node."""
        last, added = start, 0
        for _ in range(attempts):
            if added >= max_layers:
                break
            shape = self.shape(last)
            layer_type = self.rng.choice(self.accepting(shape))
            spec = self.registry[layer_type]
            params = draw_params(self.draw, spec, shape)
            nid = self.try_add(layer_type, params, [last])
            if nid is not None:
                last, added = nid, added + 1
        return last


def draw_chain(draw: Draw, registry: Registry) -> Graph:
    """Input -> 1..5 random valid layers, in sequential or functional mode."""
    mode = draw(st.sampled_from([SEQUENTIAL, FUNCTIONAL]))
    grower = GraphGrower(draw, registry, mode)
    start = grower.add_input(draw(INPUT_SHAPES))
    last = grower.grow(start, attempts=10, max_layers=5)
    assume(last != start)
    return grower.graph


def draw_branch_merge(draw: Draw, registry: Registry) -> Graph:
    """Input -> trunk -> two random branches -> one merge layer -> optional tail."""
    grower = GraphGrower(draw, registry)
    start = grower.add_input(draw(INPUT_SHAPES))
    trunk = grower.grow(start, attempts=3, max_layers=1)
    left = grower.grow(trunk, attempts=3, max_layers=2)
    right = grower.grow(trunk, attempts=3, max_layers=2)
    merged = None
    for layer_type in grower.rng.sample(MERGES, len(MERGES)):
        spec = registry[layer_type]
        sources = [left, right] if layer_type not in ATTENTION or draw(st.booleans()) else [left, right, left]
        merged = grower.try_add(layer_type, draw_params(draw, spec, grower.shape(left)), sources)
        if merged is not None:
            break
    if merged is None:
        # Make the branches agree: flatten both to the same width, then add them.
        width = draw(st.integers(1, 8))
        heads = []
        for branch in (left, right):
            flat = grower.try_add("Flatten", {}, [branch])
            assert flat is not None
            dense = grower.try_add("Dense", {"units": width}, [flat])
            assume(dense is not None)  # a variable-length axis cannot be flattened into Dense
            assert dense is not None
            heads.append(dense)
        merged = grower.try_add(draw(st.sampled_from(["Add", "Concatenate", "Maximum"])), {}, heads)
        assert merged is not None
    grower.grow(merged, attempts=2, max_layers=1)
    return grower.graph
