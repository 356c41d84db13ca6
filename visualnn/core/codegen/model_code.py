"""The model definition as Python source: Sequential, functional or subclassed ``keras.Model``.

Reads the same ``spec.keras_call`` the builder instantiates, so the code and the app agree.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass

from visualnn.core.codegen.literals import (
    INDENT,
    Br,
    Cat,
    CodegenError,
    Expr,
    Raw,
    call,
    class_name,
    identifier,
    literal,
    statement,
    string,
)
from visualnn.core.freezing import calls_in_inference_mode, is_frozen, is_nested_model
from visualnn.core.graph import BlockDef, Graph, Node
from visualnn.core.names import layer_name_problem
from visualnn.core.sequential import sequential_problem
from visualnn.core.shapes import ShapeReport, infer_shapes
from visualnn.core.specs import KerasCall, LayerSpec, Registry, ShapeError, default_registry
from visualnn.core.specs.builtin.blocks import BLOCK_TYPE

STYLES = ("sequential", "functional", "subclass")


@dataclass(frozen=True)
class Step:
    """One node ready to print: its variable, its constructor call and the variables it reads."""

    node_id: str
    var: str
    label: str
    spec: LayerSpec
    ctor: Expr  # the layer (or keras.Input) constructor expression, name included
    inputs: tuple[tuple[str, str], ...]  # (port name, source variable), by port
    shared: str | None = None  # a shared block: the variable of the one model every shared node calls
    define: Expr | None = None  # on the first shared node of a block: the expression that makes that model
    frozen: bool = False  # trainable switched off (transfer learning)
    inference: bool = False  # frozen BN or nested model: called with training=False


def model_name(project_name: str) -> str:
    """The Keras model name written in code (an identifier, so Keras accepts it)."""
    return identifier(project_name, set(), fallback="model")


def plan(graph: Graph, registry: Registry | None = None, blocks: Mapping[str, BlockDef] | None = None) -> list[Step]:
    """Every node in topological order with a unique variable name; errors name the node.

    A Block node's constructor calls the block's helper function (``block_code``) with the shapes of its inputs.
    """
    registry = registry or default_registry()
    blocks = graph.blocks if blocks is None else blocks
    # Blocks and pretrained backbones (input_shape from their input) need the shapes coming in.
    shaped = any((s := registry.get(n.type)) is not None and s.shaped_call is not None for n in graph)
    shapes = infer_shapes(graph, registry, blocks) if shaped or any(n.type == BLOCK_TYPE for n in graph) else None
    shared_vars: dict[str, str] = {}
    order = graph.topological_order()
    if len(order) != len(graph.nodes):
        raise CodegenError("The graph has a cycle; models must be acyclic. Remove an edge on the cycle.")
    if not order:
        raise CodegenError("The model is empty: add an Input and at least one layer.")
    taken: set[str] = set()
    labels = {n.label for n in graph}
    steps: list[Step] = []
    var_of: dict[str, str] = {}
    for nid in order:
        node = graph.nodes[nid]
        spec = registry.get(node.type)
        if spec is None:
            raise CodegenError(f"{node.label}: unknown layer type {node.type!r}; replace it with a catalog layer.")
        problem = layer_name_problem(node.label, labels)
        if problem:  # the script would fail as soon as it trains
            raise CodegenError(f"{node.label}: {problem}")
        params = spec.resolved(node.params)
        edges = graph.in_edges(nid)
        if len(edges) < spec.required_inputs():
            raise CodegenError(f"{node.label}: {spec.type} has unconnected inputs; connect a layer into it.")
        ins = tuple((spec.port_name(e.dst.port), var_of[e.src.node]) for e in edges)
        var = identifier(node.label, taken)
        var_of[nid] = var
        frozen = is_frozen(node) and not (spec.type == BLOCK_TYPE and params.get("shared"))  # as the builder does
        inference = calls_in_inference_mode(node, registry)
        if spec.type == BLOCK_TYPE and shapes is not None:
            name = str(params.get("block"))
            ctor: Expr = block_constructor(node, shapes, blocks)
            if not params.get("shared"):
                steps.append(Step(nid, var, node.label, spec, ctor, ins, frozen=frozen, inference=inference))
                continue
            first = name not in shared_vars
            if first:
                shared_vars[name] = identifier(f"shared_{name}", taken)
            steps.append(Step(nid, var, node.label, spec, shared_vars[name], ins, shared_vars[name],
                              ctor if first else None, frozen=frozen, inference=inference))
            continue
        try:
            inputs = [x for x in shapes.nodes[nid].input_shapes if x is not None] if shapes is not None else []
            kc = spec.call_for(params, inputs)
        except ShapeError as exc:  # a spec refusing its settings (e.g. a generic layer's config that is not JSON)
            raise CodegenError(f"{node.label}: {exc}") from exc
        steps.append(Step(nid, var, node.label, spec, _constructor(spec, kc, params, node.label), ins, frozen=frozen, inference=inference))
    return steps


def _constructor(spec: LayerSpec, kc: KerasCall, params: dict[str, object], label: str) -> Cat:
    """The constructor with advanced arguments left out when they keep their default."""
    if spec.type == "Input":
        kwargs = {"shape": kc.kwargs.get("shape")}
        dtype = kc.kwargs.get("dtype", "float32")
        if dtype != "float32":
            kwargs["dtype"] = dtype
        kwargs["name"] = label
        return call("keras.Input", kwargs)
    if kc.class_path == "keras.layers.deserialize":
        # A generic (imported) layer: its full Keras config, with the node's name.
        config = dict(kc.kwargs.get("config") or {})
        inner = dict(config.get("config") or {})
        inner["name"] = label
        config["config"] = inner
        return call("keras.layers.deserialize", {}, args=(literal(config),))
    keep = {}
    by_name = {p.name: p for p in spec.params}
    for key, value in kc.kwargs.items():
        p = by_name.get(key)
        if p is not None and p.advanced and params.get(key, p.default) == p.default:
            continue  # an advanced setting left at its default would only add noise
        keep[key] = value
    keep["name"] = label
    return call(kc.class_path, keep)


def _apply(step: Step, layer: Expr) -> Cat:
    """``layer(x)``, ``layer([a, b])`` or ``layer(query=q, value=v)`` by the spec's call style."""
    srcs = [v for _, v in step.inputs]
    style = step.spec.call_style
    if step.spec.type == BLOCK_TYPE:  # a model with one Input takes its tensor, one with several a list
        arg: Expr = srcs[0] if len(srcs) == 1 else Br("[", tuple(srcs), "]")
        return Cat((layer, Br("(", (arg, *(["training=False"] if step.inference else [])), ")", call=True)))
    if step.inference and style == "single":  # Keras's transfer-learning guide: the frozen part's statistics stay
        return Cat((layer, Br("(", (srcs[0], "training=False"), ")", call=True)))
    if style == "list":
        return Cat((layer, Br("(", (Br("[", tuple(srcs), "]"),), ")", call=True)))
    if style == "named":
        for port, _ in step.inputs:
            if not port.isidentifier():
                raise CodegenError(f"{step.label}: input port {port!r} cannot be a keyword argument.")
        kw = tuple(Cat((f"{port}=", v)) for port, v in step.inputs)
        return Cat((layer, Br("(", kw, ")", call=True)))
    return Cat((layer, Br("(", (srcs[0],), ")", call=True)))


def _outputs(graph: Graph, steps: list[Step]) -> tuple[list[Step], list[Step]]:
    """Inputs in topological order, outputs in document order of the sinks (as the builder does)."""
    by_id = {s.node_id: s for s in steps}
    inputs = [s for s in steps if s.spec.type == "Input"]
    outputs = [by_id[n] for n in graph.sinks() if by_id[n].spec.type != "Input"]
    if not inputs:
        raise CodegenError("The model has no Input; add an Input node.")
    if not outputs:
        raise CodegenError("The model has no output layer; connect a layer after the Input.")
    return inputs, outputs


def _shared_definitions(steps: list[Step], indent: int, prefix: str = "") -> list[str]:
    """``shared_block = build_block(...)``: the one model that every shared node of a block calls (shared weights)."""
    return [statement(Cat((f"{prefix}{s.shared} = ", s.define)), indent) for s in steps
            if s.shared is not None and s.define is not None]


def _one_or_list(steps: list[Step]) -> Expr:
    if len(steps) == 1:
        return steps[0].var
    return Br("[", tuple(s.var for s in steps), "]")


def _freeze_lines(steps: list[Step]) -> list[str]:
    """``model.get_layer(name).trainable = False`` for the frozen layers (after the model exists: every style)."""
    names = [s.label for s in steps if s.frozen and s.spec.type != "Input"]
    if not names:
        return []
    return [
        "    # Frozen layers (transfer learning): training leaves their weights as they are.",
        statement(Cat(("for name in ", Br("[", tuple(string(n) for n in names), "]"), ":")), 4),
        "        model.get_layer(name).trainable = False",
    ]


def _doc(text: str, indent: int) -> str:
    return " " * indent + '"""' + text + '"""'


def sequential_code(graph: Graph, name: str, steps: list[Step], registry: Registry | None = None) -> list[str]:
    """``keras.Sequential([...])`` for a single chain starting at an Input (``core.sequential``'s rule)."""
    problem = sequential_problem(graph, registry)
    if problem is not None:
        fix = "Use the functional or subclass style." if problem.kind == "chain" else problem.fix
        raise CodegenError(f"The sequential style cannot write this model: {problem.reason} {fix}")
    nested = [s.label for s in steps if s.inference and is_nested_model(s.spec)]
    if nested:  # a frozen BatchNormalization alone is fine: Keras 3 runs it in inference mode while it is frozen
        raise CodegenError(
            f"The sequential style cannot write this model: the frozen {', '.join(nested)} must be called with "
            "training=False (Keras's transfer-learning guide, so its BatchNormalization statistics are kept), and "
            "keras.Sequential cannot pass that to one layer. Use the functional or subclass style.")
    layers = Br("[", tuple(s.ctor for s in steps), "]")
    lines = [
        "def build_model():",
        _doc("Define the network: a stack of layers, one after another (keras.Sequential).", 4),
        *_shared_definitions(steps, 4),
        statement(Cat(("model = ", call("keras.Sequential", {"name": name}, args=(layers,)))), 4),
        *_freeze_lines(steps),
        "    return model",
    ]
    return lines


def functional_code(graph: Graph, name: str, steps: list[Step]) -> list[str]:
    """The functional API: each layer is called on the tensors of the layers before it."""
    inputs, outputs = _outputs(graph, steps)
    lines = [
        "def build_model():",
        _doc("Define the network with the functional API (a directed acyclic graph of layers).", 4),
        *_shared_definitions(steps, 4),
    ]
    for step in steps:
        expr: Expr = step.ctor if step.spec.type == "Input" else _apply(step, step.ctor)
        lines.append(statement(Cat((f"{step.var} = ", expr)), 4))
    # Several outputs take their data as dicts of named parts: a list of Inputs (even of one) takes a dict quietly.
    given = _one_or_list(inputs) if len(outputs) == 1 else Br("[", tuple(s.var for s in inputs), "]")
    model = call(
        "keras.Model",
        {},
        args=(Cat(("inputs=", given)), Cat(("outputs=", _one_or_list(outputs))), f"name={string(name)}"),
    )
    lines.append(statement(Cat(("model = ", model)), 4))
    lines += _freeze_lines(steps)
    lines.append("    return model")
    return lines


def subclass_code(graph: Graph, name: str, project_name: str, steps: list[Step]) -> list[str]:
    """A subclassed ``keras.Model``: layers made in ``__init__``, wired in ``call()``."""
    inputs, outputs = _outputs(graph, steps)
    cls = class_name(project_name)
    layers = [s for s in steps if s.spec.type != "Input"]
    lines = [
        f"class {cls}(keras.Model):",
        _doc("The network as a subclassed keras.Model: layers in __init__, wiring in call().", 4),
        "",
        "    def __init__(self, **kwargs):",
        "        super().__init__(**kwargs)",
    ]
    lines += _shared_definitions(steps, 8, "self.")
    for step in layers:
        if step.shared is None:
            lines.append(statement(Cat((f"self.{step.var} = ", step.ctor)), 8))
    lines += [
        "",
        "    def build(self, input_shape):",
        "        # Each layer creates its weights when the model first runs on data (see build_model).",
        "        super().build(input_shape)",
        "",
        # `training` in the signature is what makes fit() call the model with training=True; Keras then passes it
        # on to every layer, so Dropout and BatchNormalization behave as in the Sequential and functional styles.
        "    def call(self, inputs, training=None):",
    ]
    if len(inputs) == 1:
        lines.append(f"        {inputs[0].var} = inputs")
    else:
        names = [graph.nodes[s.node_id].label for s in inputs]
        lines += [
            "        if isinstance(inputs, dict):  # named parts, keyed by the Input names",
            statement(Cat((f"{', '.join(s.var for s in inputs)} = ",
                           Br("(", tuple(Cat(("inputs", f"[{string(n)}]")) for n in names), ")"))), 12),
            "        else:",
            f"            {', '.join(s.var for s in inputs)} = inputs",
        ]
    for step in layers:
        layer = f"self.{step.shared or step.var}"
        lines.append(statement(Cat((f"{step.var} = ", _apply(step, layer))), 8))
    if len(outputs) == 1:
        lines.append(f"        return {outputs[0].var}")
    else:  # keyed by output name, so compile's per-output losses and the targets find their output
        lines.append(statement(Cat(("return ", Br("{", tuple(
            Cat((f"{string(graph.nodes[s.node_id].label)}: ", s.var)) for s in outputs), "}"))), 8))
    symbolic = [_symbolic_input(graph, s) for s in inputs]
    sample: Expr = symbolic[0] if len(symbolic) == 1 else Br("[", tuple(symbolic), "]")
    lines += [
        "",
        "",
        "def build_model():",
        _doc("Create the subclassed model; calling it once on symbolic inputs creates its weights.", 4),
        f"    model = {cls}(name={string(name)})",
        statement(Cat(("model", Br("(", (sample,), ")", call=True))), 4),
        *_freeze_lines(steps),
        "    return model",
    ]
    return lines


def _symbolic_input(graph: Graph, step: Step) -> Cat:
    """``keras.Input(shape=...)`` for one Input: a symbolic call builds every layer without running
    it, so variable-length axes (None) stay unknown instead of being guessed."""
    params = step.spec.resolved(graph.nodes[step.node_id].params)
    shape = tuple(d if isinstance(d, int) else None for d in params.get("shape") or [])
    kwargs: dict[str, object] = {"shape": shape}
    if params.get("dtype", "float32") != "float32":
        kwargs["dtype"] = params["dtype"]
    return call("keras.Input", kwargs)


def model_definition(graph: Graph, project_name: str, style: str, registry: Registry | None = None) -> list[str]:
    """Source lines defining ``build_model()`` (and the model class for the subclass style)."""
    if style not in STYLES:
        raise CodegenError(f"Code style must be one of {', '.join(STYLES)}; received {style!r}.")
    steps = plan(graph, registry)
    name = model_name(project_name)
    helpers = block_functions(graph, registry)
    if style == "sequential":
        return helpers + sequential_code(graph, name, steps, registry)
    if style == "functional":
        return helpers + functional_code(graph, name, steps)
    return helpers + subclass_code(graph, name, project_name, steps)


def block_function_lines(block: BlockDef, blocks: Mapping[str, BlockDef], registry: Registry | None = None) -> list[str]:
    """``def build_<block>(input_shape, name=...)``: the block as a small functional ``keras.Model``."""
    inner = block.graph  # its Inputs' shapes are replaced by the caller's; blocks inside keep the stored ones
    try:
        steps = plan(inner, registry, blocks)
    except CodegenError as exc:
        raise CodegenError(f"Inside block {block.name!r}: {exc}") from exc
    inputs, outputs = _outputs(inner, steps)
    args = ["input_shape"] if len(inputs) == 1 else ["input_shapes"]
    lines = [
        f"def {block_function(block.name)}({args[0]}, name={string(block.name)}):",
        _doc(f"The block {block.name!r}: its layers as a small keras.Model, used like one layer.", 4),
    ]
    lines += _shared_definitions(steps, 4)
    for step in steps:
        if step.spec.type == "Input":
            shape = "input_shape" if len(inputs) == 1 else f"input_shapes[{inputs.index(step)}]"
            expr: Expr = call("keras.Input", {"shape": Raw(shape), "name": step.label})
        else:
            expr = _apply(step, step.ctor)
        lines.append(statement(Cat((f"{step.var} = ", expr)), 4))
    model = call("keras.Model", {}, args=(Cat(("inputs=", _one_or_list(inputs))), Cat(("outputs=", outputs[0].var)),
                                          "name=name"))
    lines.append(statement(Cat(("return ", model)), 4))
    return lines


def block_functions(graph: Graph, registry: Registry | None = None) -> list[str]:
    """The helper functions of every block the graph uses (inner blocks first), each followed by two blank lines."""
    lines: list[str] = []
    done: list[str] = []
    for name in (n.params.get("block") for n in graph if n.type == BLOCK_TYPE):
        for dep in _dependencies(str(name), graph.blocks, ()):
            if dep not in done:
                done.append(dep)
                lines += [*block_function_lines(graph.blocks[dep], graph.blocks, registry), "", ""]
    return lines


def _dependencies(name: str, blocks: Mapping[str, BlockDef], within: tuple[str, ...]) -> list[str]:
    if name not in blocks:
        raise CodegenError(f"Block {name!r} is not defined in this project; import its .vnnblock file.")
    if name in within:
        raise CodegenError(f"Block {name!r} contains itself; a block cannot nest itself.")
    out: list[str] = []
    for node in blocks[name].graph:
        if node.type == BLOCK_TYPE:
            out += [d for d in _dependencies(str(node.params.get("block")), blocks, (*within, name)) if d not in out]
    return [*out, name]


def block_function(name: str) -> str:
    """The helper function's name for a block (``build_residual``): never a layer variable of ``build_model``."""
    return f"build_{name}"


def block_constructor(node: Node, shapes: ShapeReport, blocks: Mapping[str, BlockDef]) -> Cat:
    """``build_residual((8, 8, 16), name="residual_1")``: the block's model for the shapes flowing into the node."""
    info = shapes.nodes.get(node.id)
    name = str(node.params.get("block"))
    if name not in blocks:
        raise CodegenError(f"{node.label}: block {name!r} is not defined in this project; import its .vnnblock file.")
    if info is None or info.error or any(s is None for s in info.input_shapes):
        why = info.error if info is not None and info.error else "the shapes flowing into it are unknown"
        raise CodegenError(f"{node.label}: {why}")
    dims = [tuple(s[1:]) for s in info.input_shapes if s is not None]
    shape_arg = literal(dims[0]) if len(dims) == 1 else Br("[", tuple(literal(d) for d in dims), "]")
    label = name if node.params.get("shared") else node.label
    return call(block_function(name), {"name": label}, args=(shape_arg,))


__all__ = ["INDENT", "STYLES", "Step", "model_definition", "model_name", "plan"]
