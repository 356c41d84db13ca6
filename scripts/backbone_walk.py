"""Layer-by-layer cost walk of a built Keras model: the reference the backbone cost table is generated from and
tested against (scripts/gen_backbone_costs.py, tests/services/test_backbone_costs.py).

Every operation of the model (nested models walked inside) is counted with the same analytic rules as VisualNN's
layer catalog (visualnn/core/specs/builtin/_costs.py, docs/COST_ANALYSIS.md), from the shapes Keras gives its
tensors. Besides MACs and extra FLOPs per sample it counts, in values per sample:

* ``kept``: the tensors training keeps for backprop, by core.costs' rules (a tensor a consumer's gradient reads,
  or one its producer's gradient reads: a non-linear activation, max pooling...); the model's input and output are
  left out (the graph around the node decides about them).
* ``peak``: the most values alive at once in a forward pass that frees each tensor after its last consumer,
  the model's input included.

Each tensor also gets a size chain per spatial axis (how its height and width follow from the input's), so that
the generator can turn one walk into per-pixel coefficients that hold at every input size.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

from visualnn.core.costs import GRAD_READS_OUTPUT, GRAD_WITHOUT_INPUT, VIEWS

ONE = ("1",)
"""The chain of an axis of size 1 whatever the input (after global pooling)."""


@dataclass
class Tensor:
    """One tensor of the walk: its per-sample shape, producer and size chains."""

    shape: tuple[int, ...]
    producer: str  # the class of the operation that made it ("" for the model's input)
    chain_h: tuple[str, ...] = ()
    chain_w: tuple[str, ...] = ()
    reads_own_output: bool = False  # its producer's gradient reads it
    read: bool = False  # a consumer's gradient reads it
    view: bool = False  # shares its input's buffer (Reshape, Flatten)
    source: Tensor | None = None  # for a view: the tensor whose buffer it shares

    @property
    def elements(self) -> int:
        out = 1
        for d in self.shape:
            out *= d
        return out

    @property
    def level(self) -> tuple[tuple[str, ...], tuple[str, ...]]:
        """The (height chain, width chain): the key its per-pixel coefficients are grouped by."""
        return (self.chain_h, self.chain_w)

    @property
    def area(self) -> int:
        return self.shape[0] * self.shape[1] if len(self.shape) == 3 else 1


@dataclass
class Step:
    """One operation: its class, name, tensors and cost (the ``level`` whose area the cost scales with)."""

    cls: str
    name: str
    inputs: list[Tensor]
    outputs: list[Tensor]
    macs: int
    extras: int
    level: Tensor  # the tensor whose spatial area the cost is proportional to


@dataclass
class Walk:
    """The result: steps in execution order, the input and output tensors."""

    steps: list[Step] = field(default_factory=list)
    inputs: list[Tensor] = field(default_factory=list)
    outputs: list[Tensor] = field(default_factory=list)

    @property
    def macs(self) -> int:
        return sum(s.macs for s in self.steps)

    @property
    def extras(self) -> int:
        return sum(s.extras for s in self.steps)

    @property
    def flops(self) -> int:
        return 2 * self.macs + self.extras

    def kept_tensors(self) -> list[Tensor]:
        """Tensors training keeps (model input and outputs left out; a view's reader keeps its source)."""
        ends = {id(t) for t in [*self.inputs, *self.outputs]}
        out = []
        for step in self.steps:
            for t in step.outputs:
                if id(t) in ends or t.view:
                    continue
                if t.read or t.reads_own_output:
                    out.append(t)
        return out

    @property
    def kept(self) -> int:
        return sum(t.elements for t in self.kept_tensors())

    def moments(self) -> list[list[Tensor]]:
        """The tensors alive right after each step (each freed after its last consumer; views take no memory),
        the model's inputs left out: the graph around the node holds them while it runs."""
        last: dict[int, int] = {}
        for i, step in enumerate(self.steps):
            for t in step.inputs:
                last[id(_buffer(t))] = i
        alive: dict[int, Tensor] = {}
        out: list[list[Tensor]] = []
        for i, step in enumerate(self.steps):
            for t in step.outputs:
                if not t.view:
                    alive[id(t)] = t
            out.append(list(alive.values()))
            for key in [k for k, t in alive.items() if last.get(k, -1) == i and k not in {id(o) for o in self.outputs}]:
                del alive[key]
        return out

    @property
    def peak(self) -> int:
        """The inputs (held while the node runs) and the most values alive at once inside."""
        inside = max((sum(t.elements for t in m) for m in self.moments()), default=0)
        return sum(t.elements for t in self.inputs) + inside


def _buffer(t: Tensor) -> Tensor:
    while t.view and t.source is not None:
        t = t.source
    return t


def _pair(value: Any) -> tuple[int, int]:
    if isinstance(value, int):
        return (value, value)
    a, b = value
    return (int(a), int(b))


def _spatial_op(kind: str, padding: str, k: int, s: int) -> tuple[str, ...]:
    if padding == "same":
        return () if s == 1 else (f"c{s}",)
    if k == 1 and s == 1:
        return ()
    return (f"v{k}/{s}",)


class Walker:
    """Walks a model; ``parity_pads`` holds the indexes (in walk order) of the ZeroPadding2D layers whose padding
    depends on their input's parity (``imagenet_utils.correct_pad``)."""

    def __init__(self, parity_pads: frozenset[int] = frozenset()) -> None:
        self.parity_pads = parity_pads
        self.pads_seen: list[tuple[tuple[int, int], tuple[int, int]]] = []

    def walk(self, model: Any) -> Walk:
        inputs = [Tensor(tuple(int(d) for d in t.shape[1:]), "") for t in model.inputs]
        result = Walk(inputs=inputs)
        result.outputs = self._walk(model, inputs, result)
        return result

    def _walk(self, model: Any, inputs: list[Tensor], result: Walk) -> list[Tensor]:
        import keras  # type: ignore[import-untyped]

        if isinstance(model, keras.Sequential):
            model = model._functional
        env: dict[int, Tensor] = {id(kt): t for kt, t in zip(model.inputs, inputs, strict=True)}
        for node in _nodes_in_order(model):
            op = node.operation
            ins = [env[id(kt)] for kt in node.input_tensors]
            if isinstance(op, keras.Model):
                outs = self._walk(op, ins, result)
            else:
                if isinstance(op, keras.layers.InputLayer):
                    continue
                outs = [self._step(op, ins, tuple(int(d) for d in kt.shape[1:]), result)
                        for kt in node.output_tensors]
            for kt, t in zip(node.output_tensors, outs, strict=True):
                env[id(kt)] = t
        return [env[id(kt)] for kt in model.outputs]

    def _step(self, op: Any, ins: list[Tensor], shape: tuple[int, ...], result: Walk) -> Tensor:
        cls = type(op).__name__
        cfg = op.get_config() if hasattr(op, "get_config") else {}
        x = ins[0]
        out = Tensor(shape, cls)
        out.chain_h, out.chain_w = self._chains(cls, cfg, ins, shape)
        n_out = out.elements
        level = out
        macs = extras = 0
        activation = cfg.get("activation")
        act = 0 if activation in (None, "linear") else n_out
        bias = n_out if cfg.get("use_bias", False) else 0
        if cls == "Conv2D":
            kh, kw = _pair(cfg["kernel_size"])
            macs = n_out * kh * kw * (x.shape[-1] // int(cfg.get("groups", 1)))
            extras = bias + act
        elif cls == "DepthwiseConv2D":
            kh, kw = _pair(cfg["kernel_size"])
            macs = n_out * kh * kw
            extras = bias + act
        elif cls == "Dense":
            macs = n_out * x.shape[-1]
            extras = bias + act
        elif cls in ("BatchNormalization", "Rescaling", "Normalization"):
            macs = n_out
        elif cls == "LayerNormalization":
            macs, extras = 2 * n_out, 3 * n_out
        elif cls in ("Activation", "ReLU", "LayerScale"):
            extras = n_out  # one operation per value (LayerScale: x * gamma)
        elif cls in ("Add", "Multiply", "Subtract", "Maximum", "Minimum"):
            extras = (max(len(ins), 2) - 1) * n_out  # a scalar operand (x + 3) counts one operation a value
        elif cls in ("MaxPooling2D", "AveragePooling2D"):
            ph, pw = _pair(cfg["pool_size"])
            extras = n_out * ph * pw
        elif cls in ("GlobalAveragePooling2D", "GlobalMaxPooling2D"):
            extras = x.elements
            level = x
        elif cls in ("ZeroPadding2D", "Concatenate", "Dropout", "Reshape", "Flatten", "UpSampling2D", "Identity"):
            pass
        else:
            raise ValueError(f"{op.name}: no cost rule for {cls} in scripts/backbone_walk.py; add one (and to "
                             "the layer catalog's rules if VisualNN has that layer).")
        out.reads_own_output = cls in GRAD_READS_OUTPUT or act > 0
        if cls in VIEWS or cls == "Reshape":
            out.view, out.source = True, x
        if cls not in GRAD_WITHOUT_INPUT:
            for t in ins:
                _buffer(t).read = True
        result.steps.append(Step(cls, op.name, ins, [out], macs, extras, level))
        return out

    def _chains(self, cls: str, cfg: dict[str, Any], ins: list[Tensor],
                shape: tuple[int, ...]) -> tuple[tuple[str, ...], tuple[str, ...]]:
        if len(shape) != 3:
            return ONE, ONE
        x = max(ins, key=lambda t: t.area)
        if cls in ("Conv2D", "DepthwiseConv2D", "SeparableConv2D", "MaxPooling2D", "AveragePooling2D"):
            if cls.endswith("Pooling2D"):
                ks = _pair(cfg["pool_size"])
                ss = _pair(cfg["strides"] or cfg["pool_size"])
                ds = (1, 1)
            else:
                ks, ss, ds = _pair(cfg["kernel_size"]), _pair(cfg["strides"]), _pair(cfg["dilation_rate"])
            eff = [d * (k - 1) + 1 for k, d in zip(ks, ds, strict=True)]
            return (x.chain_h + _spatial_op(cls, cfg["padding"], eff[0], ss[0]),
                    x.chain_w + _spatial_op(cls, cfg["padding"], eff[1], ss[1]))
        if cls == "ZeroPadding2D":
            index = len(self.pads_seen)
            (top, bottom), (left, right) = cfg["padding"]
            self.pads_seen.append(((top, bottom), (left, right)))
            if index in self.parity_pads:  # correct_pad: (half - 1, half) on an even size, (half, half) on an odd one
                return x.chain_h + (f"q{bottom}",), x.chain_w + (f"q{right}",)
            return x.chain_h + (f"p{top + bottom}",), x.chain_w + (f"p{left + right}",)
        if shape[0] == 1 and shape[1] == 1 and (len(x.shape) != 3 or x.area > 1):
            return ONE, ONE
        if len(x.shape) != 3 or (shape[0], shape[1]) != (x.shape[0], x.shape[1]):
            raise ValueError(f"{cls}: changes the spatial size in a way the walk does not know ({x.shape} -> {shape})")
        return x.chain_h, x.chain_w


def _nodes_in_order(model: Any) -> list[Any]:
    """The model's call nodes, each after the nodes making its inputs."""
    seen: set[int] = set()
    order: list[Any] = []

    def visit(kt: Any) -> None:
        op, node_index, _ = kt._keras_history
        node = op._inbound_nodes[node_index]
        if id(node) in seen:
            return
        seen.add(id(node))
        for parent in node.input_tensors:
            visit(parent)
        order.append(node)

    for kt in model.outputs:
        visit(kt)
    return order
