"""Cost analysis before training: FLOPs per sample, weight, gradient, optimizer and activation memory, peaks.

Pure Python, from the same layer specs (``LayerSpec.count_cost``) and the same :class:`ShapeReport` that shape
inference produces, so the window recomputes it on every edit. The memory model (docs/COST_ANALYSIS.md):

* weights: every parameter as a float32 variable (4 bytes). Keras's ``mixed_float16``/``mixed_bfloat16`` policies
  keep the variables in float32 too; layers compute in 16 bits, reading a 2-byte cast copy of each trainable
  weight during a step (counted as ``cast_bytes``).
* activations: each node's output at the batch size, in the compute dtype (4 bytes, or 2 under mixed precision;
  an Input keeps its own dtype). Training keeps every forward output for backprop (recurrent layers also keep
  their gates at every step); inference keeps a tensor only until its last consumer has run.
* training adds the gradients (one float32 per trainable weight), the optimizer's slots (Adam/AdamW/Nadam/Adamax
  two per trainable weight, SGD with momentum and RMSprop one, RMSprop with momentum two, Adagrad one) and,
  during backprop, the gradients of the largest layer's input and output.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field, replace
from typing import Any

from visualnn.core.graph import BlockDef, Graph
from visualnn.core.shapes import NodeShapes, ShapeReport, block_with_inputs, infer_shapes
from visualnn.core.specs import Cost, Registry, Shape, ShapeError, default_registry
from visualnn.core.specs.base import NoFormulaError
from visualnn.core.specs.builtin.blocks import BLOCK_TYPE
from visualnn.core.specs.builtin.pretrained import backbone_cost, family_of, reads_own_output
from visualnn.core.training_config import TrainingConfig

FLOAT_BYTES = 4
HALF_BYTES = 2
DTYPE_BYTES = {"float16": 2, "bfloat16": 2, "float32": 4, "float64": 8, "int32": 4, "int64": 8, "bool": 1}
MIXED = ("mixed_float16", "mixed_bfloat16")
RECURRENT_GATES = {"SimpleRNN": 1, "GRU": 3, "LSTM": 4}
RECURRENT_STATES = {"SimpleRNN": 1, "GRU": 2, "LSTM": 3}
"""Per step and unit, what a recurrent layer's backprop reads besides its gates: LSTM the cell state, the hidden
state and tanh(cell); GRU the hidden state and the reset hidden state; SimpleRNN its hidden state."""
VIEWS = frozenset({"Flatten", "Reshape", "Identity"})
"""Layers whose output shares its input's buffer: no memory of their own."""
GRAD_WITHOUT_INPUT = frozenset({
    "Add", "Subtract", "Average", "Concatenate", "Flatten", "Reshape", "Identity", "Activation", "ReLU", "ELU",
    "Softmax", "Dropout", "SpatialDropout1D", "SpatialDropout2D", "GaussianNoise", "GaussianDropout",
    "AlphaDropout", "ZeroPadding1D", "ZeroPadding2D", "ZeroPadding3D", "Cropping1D", "Cropping2D", "Cropping3D",
    "UpSampling1D", "UpSampling2D", "UpSampling3D", "GlobalAveragePooling1D", "GlobalAveragePooling2D",
    "GlobalAveragePooling3D", "AveragePooling1D", "AveragePooling2D", "AveragePooling3D", "RepeatVector",
    "Permute", "Rescaling"})
"""Layers whose gradient does not read their input (sums, copies, moves; activations read their output)."""
GRAD_READS_OUTPUT = frozenset({
    "Activation", "ReLU", "ELU", "Softmax", "MaxPooling1D", "MaxPooling2D", "MaxPooling3D", "Dropout",
    "SpatialDropout1D", "SpatialDropout2D", "GaussianDropout", "AlphaDropout"})
"""Layers whose gradient reads their own output (or a mask of its size: dropout)."""
IN_PLACE_GRAD = frozenset({
    "Activation", "ReLU", "ELU", "LeakyReLU", "Softmax", "Dropout", "SpatialDropout1D", "SpatialDropout2D",
    "GaussianNoise", "GaussianDropout", "AlphaDropout", "Add", "Subtract", "Rescaling", "Flatten", "Reshape",
    "Identity"})
"""Layers whose input gradient can reuse their output gradient's buffer."""
CACHE_LIMIT = 20_000
_NODE_CACHE: dict[str, tuple[tuple[Any, ...], NodeCost]] = {}
_KEPT_CACHE: dict[str, tuple[NodeCost, NodeCost]] = {}
"""Node id -> (everything its cost depends on, the cost): an edit recomputes only the nodes it changed."""


def optimizer_slots(cfg: TrainingConfig) -> int:
    """How many float32 values the optimizer keeps per trainable weight (Keras 3's optimizers)."""
    name = cfg.optimizer
    if name in ("adam", "adamw", "nadam", "adamax"):
        return 2  # first and second moments
    if name == "sgd":
        return 1 if cfg.momentum > 0 else 0  # the velocity, only with momentum
    if name == "rmsprop":
        return 2 if cfg.momentum > 0 else 1  # the mean square, plus the momentum
    if name == "adagrad":
        return 1  # the accumulator
    return 2  # an optimizer this table does not know: assume Adam's two, the common upper bound


@dataclass(frozen=True)
class NodeCost:
    """The cost of one node: per-sample arithmetic, weights, and its output at the batch size."""

    id: str
    name: str
    type: str
    macs: int | None  # None: unknown (no shape, or a size the formula needs is unknown)
    flops: int | None
    formula: bool  # False: the layer has no analytic formula; its 0 MACs are a gap, not a fact
    params: int
    trainable: int
    weight_bytes: int
    activation_bytes: int  # the output at the batch size (training also keeps ``kept_bytes``)
    kept_bytes: int  # what training keeps for backprop: the output, plus a recurrent layer's per-step gates
    note: str | None = None

    def to_dict(self) -> dict[str, Any]:
        """JSON form (``visualnn analyze --json``)."""
        return {
            "id": self.id, "name": self.name, "type": self.type, "macs": self.macs, "flops": self.flops,
            "formula": self.formula, "params": self.params, "weight_bytes": self.weight_bytes,
            "activation_bytes": self.activation_bytes, "kept_bytes": self.kept_bytes, "note": self.note,
        }


@dataclass(frozen=True)
class CostReport:
    """Per-node costs (topological order) and the model's totals at one batch size and precision."""

    nodes: tuple[NodeCost, ...] = ()
    batch_size: int = 32
    precision: str = "none"
    optimizer: str = "adam"
    slots_per_weight: int = 2
    weight_bytes: int = 0
    cast_bytes: int = 0
    gradient_bytes: int = 0
    optimizer_bytes: int = 0
    kept_activation_bytes: int = 0
    loss_bytes: int = 0
    backprop_bytes: int = 0
    inference_activation_bytes: int = 0
    totals: dict[str, int] = field(default_factory=dict)

    @property
    def macs(self) -> int:
        """Multiply-accumulates per sample over the nodes with a known cost."""
        return sum(n.macs or 0 for n in self.nodes)

    @property
    def flops(self) -> int:
        """FLOPs per sample over the nodes with a known cost."""
        return sum(n.flops or 0 for n in self.nodes)

    @property
    def params(self) -> int:
        """All weights."""
        return sum(n.params for n in self.nodes)

    @property
    def training_peak_bytes(self) -> int:
        """Weights, their casts, gradients, optimizer slots, kept activations and backprop's transient gradients."""
        return (self.weight_bytes + self.cast_bytes + self.gradient_bytes + self.optimizer_bytes
                + self.kept_activation_bytes + self.loss_bytes + self.backprop_bytes)

    @property
    def inference_peak_bytes(self) -> int:
        """Weights, their casts and the most activation memory alive at once during a forward pass."""
        return self.weight_bytes + self.cast_bytes + self.inference_activation_bytes

    @property
    def without_formula(self) -> list[NodeCost]:
        """Nodes counted as 0 MACs because their layer has no analytic formula."""
        return [n for n in self.nodes if not n.formula]

    @property
    def unknown(self) -> list[NodeCost]:
        """Nodes whose cost is unknown (a shape error, or a size the formula needs)."""
        return [n for n in self.nodes if n.formula and n.macs is None]

    def largest(self, key: str = "kept_bytes", count: int = 3) -> list[NodeCost]:
        """The ``count`` nodes with the largest ``key`` (``kept_bytes``, ``flops``, ``weight_bytes``...)."""
        return sorted(self.nodes, key=lambda n: getattr(n, key) or 0, reverse=True)[:count]

    def total_dict(self) -> dict[str, Any]:
        """The ``total`` object of ``visualnn analyze --json``."""
        return {
            "macs": self.macs, "flops": self.flops, "params": self.params,
            "weight_bytes": self.weight_bytes, "cast_bytes": self.cast_bytes,
            "gradient_bytes": self.gradient_bytes, "optimizer_bytes": self.optimizer_bytes,
            "kept_activation_bytes": self.kept_activation_bytes, "loss_bytes": self.loss_bytes,
            "backprop_bytes": self.backprop_bytes,
            "inference_activation_bytes": self.inference_activation_bytes,
            "training_peak_bytes": self.training_peak_bytes, "inference_peak_bytes": self.inference_peak_bytes,
        }

    def to_dict(self) -> dict[str, Any]:
        """JSON form: ``layers``, ``total`` and the settings the memory estimate assumed."""
        return {
            "batch_size": self.batch_size, "precision": self.precision, "optimizer": self.optimizer,
            "optimizer_slots_per_weight": self.slots_per_weight,
            "layers": [n.to_dict() for n in self.nodes],
            "total": self.total_dict(),
            "without_formula": [n.id for n in self.without_formula],
            "unknown": [n.id for n in self.unknown],
        }


def _elements(shape: Shape | None) -> int | None:
    if shape is None:
        return None
    out = 1
    for d in shape[1:]:
        if d is None:
            return None
        out *= d
    return out


def analyze_costs(
    graph: Graph,
    training: TrainingConfig | None = None,
    shapes: ShapeReport | None = None,
    registry: Registry | None = None,
    batch_size: int | None = None,
    blocks: Mapping[str, BlockDef] | None = None,
) -> CostReport:
    """The cost of every node and the memory totals; never raises (unknowns are ``None`` with a note).

    ``shapes`` reuses an inference already made (the window's); ``batch_size`` overrides the training settings'.
    """
    registry = registry or default_registry()
    cfg = training or TrainingConfig()
    shapes = shapes if shapes is not None else infer_shapes(graph, registry, blocks)
    batch = int(batch_size or cfg.batch_size or 1)
    precision = cfg.mixed_precision if cfg.mixed_precision in MIXED else "none"
    act_bytes = HALF_BYTES if precision in MIXED else FLOAT_BYTES
    order = graph.topological_order()
    placed = set(order)
    order += [nid for nid in graph.nodes if nid not in placed]
    nodes: list[NodeCost] = []
    out_bytes: dict[str, int] = {}
    for nid in order:
        node = graph.nodes[nid]
        info = shapes.nodes.get(nid)
        # A node's cost depends only on these; after an edit, every other node is a cache hit.
        key = (node.type, node.label, dict(node.params), info, batch, act_bytes, registry)
        cached = _NODE_CACHE.get(nid)
        if node.type == BLOCK_TYPE:  # its definition can change without the node: never cached
            cost = _block_cost(nid, node.label, node.params, info, graph, cfg, registry, batch, act_bytes)
        elif cached is not None and cached[0] == key:
            cost = cached[1]
        else:
            cost = _node_cost(nid, node.type, node.label, node.params, info, registry, batch, act_bytes)
            if len(_NODE_CACHE) > CACHE_LIMIT:
                _NODE_CACHE.clear()
            _NODE_CACHE[nid] = (key, cost)
        out_bytes[nid] = 0 if node.type in VIEWS else cost.activation_bytes
        nodes.append(cost)
    working: dict[str, int] = {}
    inner_grads: dict[str, int] = {}
    if any(family_of(n.type) is not None for n in nodes):
        working, inner_grads, nodes = _backbone_working(graph, registry, shapes, nodes, batch, act_bytes)
    nodes = _kept_for_backprop(graph, order, nodes, out_bytes)
    total_trainable = sum(n.trainable for n in nodes)
    total_params = sum(n.params for n in nodes)
    slots = optimizer_slots(cfg)
    return CostReport(
        nodes=tuple(nodes),
        batch_size=batch,
        precision=precision,
        optimizer=cfg.optimizer,
        slots_per_weight=slots,
        weight_bytes=total_params * FLOAT_BYTES,
        cast_bytes=total_trainable * HALF_BYTES if precision in MIXED else 0,
        gradient_bytes=total_trainable * FLOAT_BYTES,
        optimizer_bytes=total_trainable * FLOAT_BYTES * slots,
        kept_activation_bytes=sum(n.kept_bytes for n in nodes),
        loss_bytes=_loss_bytes(graph, cfg, nodes, out_bytes, batch),
        backprop_bytes=_backprop_bytes(graph, order, nodes, out_bytes, inner_grads),
        inference_activation_bytes=_live_peak(graph, order, out_bytes, working),
    )


def _node_cost(nid: str, type_id: str, label: str, node_params: dict[str, Any], info: NodeShapes | None,
               registry: Registry, batch: int, act_bytes: int) -> NodeCost:
    """One node's :class:`NodeCost` (``note`` says why a cost is unknown or has no formula)."""
    spec = registry.get(type_id)
    count = info.params if info else None
    params = count.total if count else 0
    trainable = count.trainable if count else 0
    size = _elements(info.output) if info else None
    per_value = act_bytes
    if spec is not None and spec.type == "Input":
        per_value = DTYPE_BYTES.get(str(node_params.get("dtype", "float32")), FLOAT_BYTES)
    activation = (size or 0) * batch * per_value
    kept = activation
    macs: int | None = None
    flops: int | None = None
    note: str | None = None
    formula = spec is not None and spec.count_cost is not None
    if info is None or info.output is None or spec is None:
        note = (info.error if info else None) or "shape unknown"
    elif spec.count_cost is None:
        macs, flops, note = 0, 0, f"{spec.type} has no analytic formula; counted as 0 MACs"
    else:
        known = [s for s in info.input_shapes if s is not None]
        resolved = spec.resolved(node_params)
        try:
            cost = spec.count_cost(resolved, known, info.output)
            macs, flops = cost.macs, cost.flops
        except ShapeError as exc:
            note = str(exc)
        except NoFormulaError as exc:  # e.g. a generic layer of a class no rule covers
            macs, flops, note, formula = 0, 0, str(exc), False
        except Exception as exc:  # a spec's rule must not take the analysis down
            note = f"{spec.type}: could not count the cost ({exc})."
        kept += _recurrent_kept(spec.type, resolved, known, info.output) * batch * act_bytes
        if note is None and not _frozen(node_params):
            kept += _backbone_inside(type_id, resolved, known, "kept") * batch * act_bytes
    return NodeCost(nid, label, type_id, macs, flops, formula, params, trainable, params * FLOAT_BYTES,
                    activation, kept, note)


def _block_cost(nid: str, label: str, node_params: dict[str, Any], info: NodeShapes | None, graph: Graph,
                cfg: TrainingConfig, registry: Registry, batch: int, act_bytes: int) -> NodeCost:
    """A Block node (a nested model): the sum of its inner layers' costs, its inner activations kept for backprop."""
    count = info.params if info else None
    params = count.total if count else 0
    trainable = count.trainable if count else 0
    activation = (_elements(info.output) or 0) * batch * act_bytes if info else 0
    block = graph.blocks.get(str(node_params.get("block", "")))
    note: str | None
    if info is None or info.output is None or block is None:
        note = (info.error if info else None) or "shape unknown"
        return NodeCost(nid, label, BLOCK_TYPE, None, None, True, params, trainable, params * FLOAT_BYTES,
                        activation, activation, note)
    inner = block_with_inputs(block, [s for s in info.input_shapes if s is not None])
    inner_shapes = infer_shapes(inner, registry, graph.blocks)
    report = analyze_costs(inner, cfg, inner_shapes, registry, batch, blocks=graph.blocks)
    gaps = [n.name for n in report.without_formula]
    unknown = [n.name for n in report.unknown]
    note = (f"inside: {', '.join(unknown)} unknown" if unknown else
            f"inside: {', '.join(gaps)} without a formula" if gaps else None)
    inputs = sum(n.kept_bytes for n in report.nodes if n.type == "Input")  # the block's inputs exist outside
    return NodeCost(nid, label, BLOCK_TYPE, None if unknown else report.macs, None if unknown else report.flops,
                    not gaps, params, trainable, params * FLOAT_BYTES, activation,
                    activation + report.kept_activation_bytes - inputs, note)


def _frozen(params: dict[str, Any]) -> bool:
    return params.get("trainable", True) is False


def _backbone_inside(type_id: str, params: dict[str, Any], inputs: list[Shape], what: str) -> int:
    """Values per sample inside a pretrained backbone: ``kept`` for backprop, or the ``peak`` alive at once in a
    forward pass; 0 for other layers or an unknown size."""
    family = family_of(type_id)
    if family is None or not inputs:
        return 0
    try:
        cost = backbone_cost(family, params, inputs[0])
    except ShapeError:
        return 0
    return int(getattr(cost, what))


def _backbone_working(graph: Graph, registry: Registry, shapes: ShapeReport, nodes: list[NodeCost],
                      batch: int, act_bytes: int) -> tuple[dict[str, int], dict[str, int], list[NodeCost]]:
    """The backbones' working memory during a forward pass (their inner peak, bytes at the batch size); the same
    for backprop through the ones gradients flow through (the gradients of the layers inside, alive at once as
    their activations were); and the costs with the inner activations of a frozen backbone kept after all when a
    trainable layer sits before it (its input's gradient then flows back through it)."""
    working: dict[str, int] = {}
    grads: dict[str, int] = {}
    out = list(nodes)
    trainable = {n.id: n.trainable for n in nodes}
    for i, n in enumerate(nodes):
        if family_of(n.type) is None or n.id not in graph.nodes or n.id not in shapes.nodes:
            continue
        node = graph.nodes[n.id]
        spec = registry.get(node.type)
        if spec is None:
            continue
        params = spec.resolved(node.params)
        inputs = [s for s in shapes.nodes[n.id].input_shapes if s is not None]
        working[n.id] = _backbone_inside(n.type, params, inputs, "peak") * batch * act_bytes
        if not _frozen(node.params):
            grads[n.id] = working[n.id]
        elif any(trainable.get(src, 0) for src in graph.nodes if src != n.id and graph.reaches(src, n.id)):
            inside = _backbone_inside(n.type, params, inputs, "kept") * batch * act_bytes
            out[i] = replace(n, kept_bytes=n.kept_bytes + inside)
            grads[n.id] = working[n.id]
    return working, grads, out


def _recurrent_kept(type_id: str, params: dict[str, Any], inputs: list[Shape], out: Shape) -> int:
    """Values per sample a recurrent layer keeps for backprop beyond its output: its gates at every step."""
    kind = type_id if type_id in RECURRENT_GATES else str(params.get("layer", "LSTM")) if type_id == "Bidirectional" else ""
    if not kind or not inputs or len(inputs[0]) != 3 or inputs[0][1] is None:
        return 0
    units = int(params.get("units", 32))
    copies = 2 if type_id == "Bidirectional" else 1
    return copies * inputs[0][1] * (RECURRENT_GATES[kind] + RECURRENT_STATES[kind]) * units


def _kept_for_backprop(graph: Graph, order: list[str], nodes: list[NodeCost], out_bytes: dict[str, int]) -> list[NodeCost]:
    """Each node's ``kept_bytes``: its output when its own gradient or a consumer's reads it, plus what a recurrent
    layer keeps inside (``NodeCost.kept_bytes`` holds that internal part on entry)."""
    sources: dict[str, list[str]] = {}
    readers: dict[str, bool] = {}
    graph_nodes = graph.nodes
    types = {nid: node.type for nid, node in graph_nodes.items()}
    for e in graph.edges:
        sources.setdefault(e.dst.node, []).append(e.src.node)
        if types.get(e.dst.node) not in GRAD_WITHOUT_INPUT:
            readers[e.src.node] = True
    for nid in reversed(order):  # a view's reader reads the buffer of the view's source
        if types.get(nid) in VIEWS and readers.get(nid):
            for src in sources.get(nid, ()):
                readers[src] = True
    out = []
    for n in nodes:
        own = out_bytes.get(n.id, 0)
        node = graph_nodes.get(n.id)
        activation = node.params.get("activation") if node is not None else None
        needed = (readers.get(n.id, False) or n.type in GRAD_READS_OUTPUT or activation not in (None, "linear")
                  or (node is not None and reads_own_output(n.type, node.params)))
        kept = (own if needed else 0) + n.kept_bytes - n.activation_bytes
        if kept == n.kept_bytes:
            out.append(n)
            continue
        memo = _KEPT_CACHE.get(n.id)  # dataclasses.replace is slow: reuse the copy made last time
        if memo is None or memo[0] is not n or memo[1].kept_bytes != kept:
            memo = (n, replace(n, kept_bytes=kept))
            _KEPT_CACHE[n.id] = memo
        out.append(memo[1])
    if len(_KEPT_CACHE) > CACHE_LIMIT:
        _KEPT_CACHE.clear()
    return out


def _loss_bytes(graph: Graph, cfg: TrainingConfig, nodes: list[NodeCost], out_bytes: dict[str, int],
                batch: int) -> int:
    """The loss's tensors at each model output: integer labels and the output's gradient for a sparse loss; for
    the others five outputs' worth: the target, the difference, its square, the loss's gradient broadcast back to
    the output's shape and the output's gradient."""
    consumed = {e.src.node for e in graph.edges}
    losses = {o.name: o.loss for o in cfg.outputs}
    total = 0
    for n in nodes:
        if n.id in consumed or n.type == "Input":
            continue
        loss = losses.get(n.name, cfg.loss)
        size = out_bytes.get(n.id, 0)
        total += batch * FLOAT_BYTES + size if "sparse" in loss else 5 * size
    return total


def _backprop_bytes(graph: Graph, order: list[str], nodes: list[NodeCost], out_bytes: dict[str, int],
                    inner: dict[str, int] | None = None) -> int:
    """What backprop adds above the kept activations at its peak.

    Walking back from the outputs, the gradient of a layer's output and those of its inputs exist at once,
    while the activations kept for the layers not yet reached are still alive (those behind are freed). The peak
    is the largest such moment, less the kept activations (counted apart). An Input gets no gradient; an
    element-wise layer (activation, dropout, a sum) writes its input's gradient over its output's, as TensorFlow
    forwards the buffer. Inside a backbone (``inner``: node id -> bytes), the gradients of its layers alive at once
    take the place of its output's: as much as its forward pass holds at once.
    """
    inner = inner or {}
    into: dict[str, int] = {}
    graph_nodes = graph.nodes
    types = {nid: node.type for nid, node in graph_nodes.items()}
    for e in graph.edges:
        src, dst = types.get(e.src.node), types.get(e.dst.node)
        if src is not None and src != "Input" and dst is not None and dst not in IN_PLACE_GRAD:
            into[e.dst.node] = into.get(e.dst.node, 0) + out_bytes.get(e.src.node, 0)
    kept = {n.id: n.kept_bytes for n in nodes}
    total_kept = sum(kept.values())
    alive = 0
    peak = total_kept
    for nid in order:
        alive += kept.get(nid, 0)
        if types[nid] != "Input":
            peak = max(peak, alive + max(out_bytes.get(nid, 0), inner.get(nid, 0)) + into.get(nid, 0))
    return peak - total_kept


def _live_peak(graph: Graph, order: list[str], out_bytes: dict[str, int], working: dict[str, int] | None = None) -> int:
    """The most activation bytes alive at once in a forward pass in ``order`` (freed after the last consumer);
    ``working``: what a node needs inside while it runs (a backbone's inner tensors), its inputs still alive."""
    working = working or {}
    last_use: dict[str, int] = {}
    position = {nid: i for i, nid in enumerate(order)}
    for e in graph.edges:
        if e.src.node in position and e.dst.node in position:
            last_use[e.src.node] = max(last_use.get(e.src.node, -1), position[e.dst.node])
    free_at: dict[int, list[str]] = {}
    for nid, step in last_use.items():
        free_at.setdefault(step, []).append(nid)
    live = peak = 0
    for step, nid in enumerate(order):
        if nid in working:
            peak = max(peak, live + working[nid])
        live += out_bytes.get(nid, 0)
        peak = max(peak, live)
        for done in free_at.get(step, ()):
            live -= out_bytes.get(done, 0)
    return peak


def fmt_bytes(value: int | None) -> str:
    """``1.5 MB`` style text (powers of 1024, as memory is sold)."""
    if value is None:
        return "?"
    size = float(value)
    for unit in ("B", "KB", "MB", "GB"):
        if size < 1024 or unit == "GB":
            return f"{size:.0f} {unit}" if unit == "B" else f"{size:.1f} {unit}"
        size /= 1024
    return f"{size:.1f} GB"


def fmt_flops(value: int | None) -> str:
    """``1.2 GFLOPs``-style short text for a count of operations (``?`` when unknown)."""
    if value is None:
        return "?"
    for scale, suffix in ((1e12, "T"), (1e9, "G"), (1e6, "M"), (1e3, "k")):
        if value >= scale:
            return f"{value / scale:.2f} {suffix}"
    return str(value)


__all__ = ["Cost", "CostReport", "NodeCost", "analyze_costs", "fmt_bytes", "fmt_flops", "optimizer_slots"]
