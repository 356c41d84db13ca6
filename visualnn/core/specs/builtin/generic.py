"""Generic layers: any Keras layer outside the catalog, kept as its full Keras config (imports).

The config is JSON text (``{"module", "class_name", "config"}``) that the builder turns into a
layer with ``keras.layers.deserialize`` in safe mode; nothing in it is ever executed as code.
The output shape and weight counts are recorded by the importer (they need Keras to compute).

The safety rule lives here, in pure Python, so every reader of a generic node applies it: the importer
before it converts a model, shape inference (``visualnn check``, the canvas), the builder (``train``) and
the code generator (``export-code``). A config is refused when it holds code (``Lambda``) or names an
object outside Keras: a ``module`` that is not ``keras`` or one of its sub-modules, or a registered
``package>Name``.
"""

from __future__ import annotations

import json
from typing import Any

from visualnn.core.specs.base import (
    INT,
    SHAPE,
    STR,
    Cost,
    KerasCall,
    LayerSpec,
    NoFormulaError,
    ParamCount,
    ParamSpec,
    Shape,
    ShapeError,
)
from visualnn.core.specs.builtin import _costs

GENERIC_CLASS_PATH = "keras.layers.deserialize"
"""The KerasCall class path of generic layers: the builder deserializes, the code prints it."""

SAFE_PACKAGE = "keras"
"""The one package whose objects a generic config may name: ``keras`` itself and ``keras.<sub-module>``."""

CODE_LAYERS = ("Lambda", "__lambda__", "TFOpLambda", "SlicingOpLambda")
"""Layers that carry Python code in their config; never loaded."""


class UnsafeConfigError(ValueError):
    """A Keras config that would need code VisualNN does not run (Lambda, custom objects)."""


def is_keras_module(module: str) -> bool:
    """True for ``keras`` and its dotted sub-modules (``keras.layers``, ``keras.src...``), not ``kerasevil``."""
    return module == SAFE_PACKAGE or module.startswith(SAFE_PACKAGE + ".")


def check_safe(config: Any, where: str = "model") -> None:
    """Refuse ``Lambda`` layers and custom objects anywhere in a Keras config (walked as data, no recursion)."""
    stack: list[tuple[Any, str]] = [(config, where)]
    while stack:
        item, ctx = stack.pop()
        if isinstance(item, list):
            stack.extend((v, ctx) for v in item)
            continue
        if not isinstance(item, dict):
            continue
        cls = item.get("class_name")
        inner = item.get("config")
        name = item.get("name") or (inner.get("name") if isinstance(inner, dict) else None)
        here = str(name or ctx)
        if cls in CODE_LAYERS:
            raise UnsafeConfigError(
                f"Layer {here!r} is a {cls} layer: it holds Python code, which VisualNN never runs. "
                "Replace it with built-in layers (e.g. Rescaling, Reshape, Activation) and save the model again."
            )
        if isinstance(cls, str):
            module = item.get("module")
            registered = item.get("registered_name")
            custom_module = module is not None and not is_keras_module(str(module))
            custom_name = isinstance(registered, str) and ">" in registered
            if custom_module or custom_name:
                raise UnsafeConfigError(
                    f"{here!r} uses the custom object {registered or cls!r} (module {module!r}); VisualNN only "
                    "loads built-in Keras objects, because custom ones need their Python code. "
                    "Rebuild that part with built-in layers."
                )
        stack.extend((v, here) for k, v in item.items() if isinstance(v, (dict, list)))


def parse_config(text: Any, layer: str = "KerasLayer") -> dict[str, Any]:
    """The stored Keras config as a dict, or :class:`ShapeError` saying what is wrong with it (unsafe included)."""
    try:
        data = json.loads(text) if isinstance(text, str) else text
    except ValueError as exc:
        raise ShapeError(f"{layer} config is not valid JSON ({exc}); re-import the model.") from None
    except RecursionError:
        raise ShapeError(f"{layer} config is nested too deeply to read; re-import the model.") from None
    if not isinstance(data, dict) or not isinstance(data.get("class_name"), str) or not isinstance(
        data.get("config"), dict
    ):
        raise ShapeError(f'{layer} config must be {{"class_name": ..., "config": {{...}}}}; received {text!r:.80}.')
    try:
        check_safe(data, str(data["config"].get("name") or layer))
    except UnsafeConfigError as exc:
        raise ShapeError(str(exc)) from None
    return data


def config_text(config: dict[str, Any]) -> str:
    """JSON text for the ``config`` parameter (compact, stable key order)."""
    return json.dumps(config, sort_keys=True, separators=(",", ":"))


def _infer(params: dict[str, Any], inputs: list[Shape]) -> Shape:
    config = parse_config(params.get("config"))
    shape = params.get("output_shape")
    if shape is None:
        raise ShapeError(
            f"{config['class_name']} is a generic layer with no recorded output shape; re-import the model."
        )
    return (None, *shape)


def _count(params: dict[str, Any], inputs: list[Shape], out: Shape) -> ParamCount:
    return ParamCount(int(params.get("trainable_params") or 0), int(params.get("non_trainable_params") or 0))


def _layer_scale(params: dict[str, Any], inputs: list[Shape], out: Shape) -> Cost:
    """ConvNeXt's LayerScale, ``x * gamma`` with one gamma per channel: one multiply a value, nothing accumulated."""
    return Cost(0, _costs.elements("LayerScale", out))


def _activation(params: dict[str, Any], inputs: list[Shape], out: Shape) -> Cost:
    """An Activation whose function the catalog does not list: one operation per value, as the catalog's."""
    linear = (params.get("activation") or "linear") == "linear"
    return Cost(0, 0 if linear else _costs.elements("Activation", out))


GENERIC_COSTS: dict[str, _costs.CostRule] = {
    "Normalization": _costs.scale_shift,  # fixed mean and variance (EfficientNetV2, ConvNeXt): (x - m) / s
    "LayerScale": _layer_scale,
    "Activation": _activation,
    "Identity": _costs.free,
}
"""Cost rules of generic layers whose Keras class is known to work value by value, by class name (only Keras's own
classes ever reach a generic node). A class missing here has no formula: :func:`_cost` says so, never a made-up 0."""


def _cost(params: dict[str, Any], inputs: list[Shape], out: Shape) -> Cost:
    config = parse_config(params.get("config"))
    cls = str(config["class_name"])
    rule = GENERIC_COSTS.get(cls)
    if rule is None:
        raise NoFormulaError(f"{cls} is a generic layer with no analytic formula; counted as 0 MACs")
    return rule(config["config"], inputs, out)


def _call(spec: LayerSpec, params: dict[str, Any]) -> KerasCall:
    config = parse_config(params.get("config"), spec.type)
    clean = {k: config[k] for k in ("module", "class_name", "config", "registered_name") if k in config}
    return KerasCall(GENERIC_CLASS_PATH, {"config": clean})


def _params() -> tuple[ParamSpec, ...]:
    return (
        ParamSpec("config", STR, '{"class_name": "Identity", "config": {}}', "The layer's full Keras config (JSON)."),
        ParamSpec(
            "output_shape", SHAPE, None, "Output shape recorded at import, without the batch axis.", optional=True,
            min=0, advanced=True,
        ),
        ParamSpec("trainable_params", INT, 0, "Trainable weights recorded at import.", min=0, advanced=True),
        ParamSpec("non_trainable_params", INT, 0, "Non-trainable weights recorded at import.", min=0, advanced=True),
    )


KERAS_LAYER = LayerSpec(
    type="KerasLayer",
    category="generic",
    doc="A Keras layer outside the catalog, kept with its full Keras config so it still builds and exports.",
    params=_params(),
    infer=_infer,
    count_params=_count,
    count_cost=_cost,
    keras_class=GENERIC_CLASS_PATH,
    keras_call=_call,
    doc_url="https://keras.io/api/layers/",
)

KERAS_MERGE_LAYER = LayerSpec(
    type="KerasMergeLayer",
    category="generic",
    doc="A Keras layer outside the catalog that takes a list of inputs, kept with its full Keras config.",
    params=_params(),
    infer=_infer,
    count_params=_count,
    count_cost=_cost,
    variadic=True,
    min_inputs=1,
    call_style="list",
    keras_class=GENERIC_CLASS_PATH,
    keras_call=_call,
    doc_url="https://keras.io/api/layers/",
)

SPECS = [KERAS_LAYER, KERAS_MERGE_LAYER]
