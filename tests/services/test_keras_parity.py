"""The layer catalog against Keras itself: defaults, shapes and parameter counts."""

from __future__ import annotations

import inspect
from typing import Any

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from tests.services import random_graphs
from tests.services.parity_helpers import assert_matches_keras, chain_graph, single_layer_graph
from visualnn.core.graph import SEQUENTIAL
from visualnn.core.specs import default_registry

pytestmark = pytest.mark.tf

REGISTRY = default_registry()
# Generic (imported) layers carry a stored Keras config instead of a spec; the importer tests them. Block nodes
# build a project's sub-graph as a nested keras.Model; tests/services/test_blocks_keras.py checks them. Pretrained
# backbones are whole networks whose default weights are downloaded: tests/services/test_backbones_keras.py.
CATALOG = [spec for spec in REGISTRY if spec.category not in ("generic", "blocks", "pretrained")]

SEQ = (10, 4)
IMG = (12, 12, 3)
VOL = (6, 6, 6, 2)
VIDEO = (4, 10, 10, 2)
VEC = (8,)

# One representative valid input (and a few non-default params) per layer type.
CASES: dict[str, tuple[list[tuple[int | None, ...]], dict[str, Any]]] = {
    "Dense": ([VEC], {}),
    "Activation": ([VEC], {}),
    "Dropout": ([VEC], {}),
    "Flatten": ([IMG], {}),
    "Reshape": ([(12,)], {"target_shape": [3, -1]}),
    "Permute": ([SEQ], {}),
    "RepeatVector": ([VEC], {}),
    "Embedding": ([(10,)], {}),
    "Identity": ([VEC], {}),
    "Conv1D": ([SEQ], {"padding": "causal"}),
    "Conv2D": ([IMG], {"groups": 3, "filters": 6}),
    "Conv3D": ([VOL], {}),
    "SeparableConv2D": ([IMG], {"depth_multiplier": 2}),
    "DepthwiseConv2D": ([IMG], {"depth_multiplier": 2}),
    "Conv2DTranspose": ([IMG], {"strides": [2, 2]}),
    "MaxPooling1D": ([SEQ], {}),
    "MaxPooling2D": ([IMG], {}),
    "MaxPooling3D": ([VOL], {}),
    "AveragePooling1D": ([SEQ], {"padding": "same", "pool_size": 3}),
    "AveragePooling2D": ([IMG], {}),
    "AveragePooling3D": ([VOL], {}),
    "GlobalAveragePooling1D": ([SEQ], {}),
    "GlobalAveragePooling2D": ([IMG], {"keepdims": True}),
    "GlobalAveragePooling3D": ([VOL], {}),
    "GlobalMaxPooling1D": ([SEQ], {}),
    "GlobalMaxPooling2D": ([IMG], {}),
    "GlobalMaxPooling3D": ([VOL], {}),
    "BatchNormalization": ([IMG], {}),
    "LayerNormalization": ([SEQ], {}),
    "GaussianNoise": ([VEC], {}),
    "SpatialDropout1D": ([SEQ], {}),
    "SpatialDropout2D": ([IMG], {}),
    "SimpleRNN": ([SEQ], {}),
    "LSTM": ([SEQ], {"return_sequences": True}),
    "GRU": ([SEQ], {}),
    "Bidirectional": ([SEQ], {"layer": "GRU"}),
    "ConvLSTM2D": ([VIDEO], {"return_sequences": True}),
    "MultiHeadAttention": ([(6, 8), (5, 4), (5, 3)], {}),
    "Add": ([VEC, VEC, VEC], {}),
    "Subtract": ([VEC, VEC], {}),
    "Multiply": ([VEC, VEC], {}),
    "Average": ([VEC, VEC], {}),
    "Maximum": ([VEC, VEC], {}),
    "Minimum": ([VEC, VEC], {}),
    "Concatenate": ([VEC, (5,)], {}),
    "Dot": ([SEQ, (7, 4)], {"axes": [2, 2]}),
    "ZeroPadding1D": ([SEQ], {}),
    "ZeroPadding2D": ([IMG], {"padding": [[1, 2], [0, 3]]}),
    "Cropping1D": ([SEQ], {}),
    "Cropping2D": ([IMG], {"cropping": [1, 2]}),
    "UpSampling1D": ([SEQ], {}),
    "UpSampling2D": ([IMG], {}),
    "Rescaling": ([IMG], {}),
    "Normalization": ([VEC], {}),
    "Resizing": ([IMG], {"height": 20, "width": 16}),
    "RandomFlip": ([IMG], {}),
    "RandomRotation": ([IMG], {}),
    "RandomZoom": ([IMG], {}),
    "RandomTranslation": ([IMG], {}),
    "RandomContrast": ([IMG], {}),
    "ReLU": ([VEC], {"max_value": 6.0}),
    "LeakyReLU": ([VEC], {}),
    "PReLU": ([IMG], {"shared_axes": [1, 2]}),
    "ELU": ([VEC], {}),
    "Softmax": ([SEQ], {"axis": 1}),
    "GroupNormalization": ([IMG], {"groups": 3}),
    "UnitNormalization": ([SEQ], {}),
    "GaussianDropout": ([VEC], {}),
    "AlphaDropout": ([VEC], {}),
    "Attention": ([(6, 4), (5, 3), (5, 4)], {"use_scale": True, "score_mode": "concat"}),
    "AdditiveAttention": ([(6, 4), (5, 4)], {}),
    "SeparableConv1D": ([SEQ], {"depth_multiplier": 2}),
    "DepthwiseConv1D": ([SEQ], {}),
    "Conv1DTranspose": ([SEQ], {"strides": 2}),
    "Conv3DTranspose": ([VOL], {"strides": [2, 1, 2], "filters": 4}),
    "ZeroPadding3D": ([VOL], {}),
    "Cropping3D": ([VOL], {"cropping": [1, 0, 2]}),
    "UpSampling3D": ([VOL], {}),
    "CenterCrop": ([IMG], {"height": 8, "width": 6}),
    "RandomCrop": ([IMG], {"height": 8, "width": 6}),
    "RandomBrightness": ([IMG], {}),
}

# Spec defaults that deliberately differ from Keras's constructor defaults, with the reason.
DEFAULT_DIFFERENCES: dict[tuple[str, str], str] = {
    ("Input", "dtype"): "keras.Input's dtype=None means float32; VisualNN shows the concrete dtype.",
    ("Input", "shape"): "keras.Input has no useful default shape; [4] gives a valid starting model.",
    ("PReLU", "alpha_initializer"): "the same initializer: Keras spells its default 'Zeros', the choices use 'zeros'.",
}

# Spec parameters that are not constructor arguments of the Keras class (and why).
NOT_KERAS_ARGS: dict[tuple[str, str], str] = {
    **{
        ("Bidirectional", name): "configures the wrapped recurrent layer built inside the same node"
        for name in ("units", "activation", "dropout", "recurrent_dropout", "return_sequences")
    },
}


def _normalise(value: Any) -> Any:
    if isinstance(value, (list, tuple)):
        return tuple(_normalise(v) for v in value)
    return value


def test_every_spec_has_a_parity_case() -> None:
    missing = {spec.type for spec in CATALOG if spec.type != "Input"} - set(CASES)
    assert not missing, f"add a representative input for {sorted(missing)}"


@pytest.mark.parametrize("spec", CATALOG, ids=lambda s: s.type)
def test_spec_defaults_match_keras_signature(spec: Any) -> None:
    from visualnn.services.keras_builder import resolve_class

    cls = resolve_class(spec.class_path)
    signature = inspect.signature(cls if inspect.isfunction(cls) else cls.__init__)
    accepts_kwargs = any(p.kind is inspect.Parameter.VAR_KEYWORD for p in signature.parameters.values())
    for p in spec.params:
        if (spec.type, p.name) in NOT_KERAS_ARGS:
            continue
        keras_param = signature.parameters.get(p.name)
        if keras_param is None:
            # Base-layer keyword arguments (seed, dtype...) travel through **kwargs.
            assert accepts_kwargs, f"{spec.type}.{p.name} is not a Keras constructor argument"
            continue
        if keras_param.default is inspect.Parameter.empty or (spec.type, p.name) in DEFAULT_DIFFERENCES:
            continue
        assert _normalise(p.to_python(p.default)) == _normalise(keras_param.default), (
            f"{spec.type}.{p.name}: spec default {p.default!r} != Keras default {keras_param.default!r}"
        )


@pytest.mark.parametrize("spec", [s for s in CATALOG if s.type != "Input"], ids=lambda s: s.type)
def test_spec_defaults_reach_keras_get_config(spec: Any) -> None:
    """Every parameter is honoured by Keras (it appears in get_config) and plain values arrive unchanged.

    Keras normalises some values in its config (None activation -> 'linear', 3 -> (3,), a factor
    0.1 -> (-0.1, 0.1)); only booleans and numbers, which it keeps verbatim, are compared.
    """
    from visualnn.core.specs.base import BOOL, FLOAT, INT
    from visualnn.services.keras_builder import instantiate

    layer = instantiate(spec.keras_call(spec, spec.defaults()))
    config = layer.get_config()
    if spec.type == "Bidirectional":
        config = {**config["layer"]["config"], "merge_mode": config["merge_mode"], "layer": config["layer"]["class_name"]}
    for p in spec.params:
        assert p.name in config, f"{spec.type}.{p.name} does not appear in Keras's get_config()"
        if p.kind in (BOOL, INT, FLOAT) and p.default is not None and p.name != "seed":
            assert config[p.name] == p.default, f"{spec.type}.{p.name}: Keras has {config[p.name]!r}, spec {p.default!r}"


@pytest.mark.parametrize("layer_type", sorted(CASES))
def test_single_layer_shapes_and_counts_match_keras(layer_type: str) -> None:
    shapes, params = CASES[layer_type]
    assert_matches_keras(single_layer_graph(layer_type, shapes, params))


@pytest.mark.parametrize("layer_type", ["Dense", "Conv2D", "LSTM", "BatchNormalization", "Bidirectional"])
def test_default_params_build_in_keras(layer_type: str) -> None:
    shapes, _ = CASES[layer_type]
    assert_matches_keras(single_layer_graph(layer_type, shapes, {}))


def test_multi_head_attention_without_key_matches_keras() -> None:
    assert_matches_keras(single_layer_graph("MultiHeadAttention", [(6, 8), (5, 4)], {"num_heads": 3, "value_dim": 5}))


def test_sequential_chain_matches_keras() -> None:
    graph = chain_graph(
        (28, 28, 1),
        [
            ("Rescaling", {}),
            ("Conv2D", {"filters": 8, "activation": "relu"}),
            ("BatchNormalization", {}),
            ("MaxPooling2D", {}),
            ("Conv2D", {"filters": 16, "padding": "same"}),
            ("GlobalAveragePooling2D", {}),
            ("Dense", {"units": 10, "activation": "softmax"}),
        ],
        mode=SEQUENTIAL,
    )
    assert_matches_keras(graph)


# Edge cases whose arithmetic is easy to get wrong.
EXTRA_CASES: list[tuple[str, list[tuple[int | None, ...]], dict[str, Any]]] = [
    ("Conv2DTranspose", [(7, 7, 16)], {"filters": 8, "strides": [2, 2]}),
    ("Conv2DTranspose", [(7, 7, 16)], {"filters": 8, "strides": [3, 3], "padding": "same", "output_padding": [1, 2]}),
    ("Conv2DTranspose", [(7, 7, 16)], {"kernel_size": [2, 2], "strides": [3, 3], "output_padding": [1, 0]}),
    ("Conv2DTranspose", [(7, 7, 4)], {"dilation_rate": [2, 2]}),
    ("Conv2D", [(20, 20, 3)], {"dilation_rate": [2, 3], "padding": "same"}),
    ("Conv1D", [(17, 3)], {"strides": 3, "kernel_size": 4}),
    ("GRU", [(20, 8)], {"reset_after": False, "units": 5}),
    ("SimpleRNN", [(None, 8)], {"use_bias": False, "return_sequences": True}),
    ("Bidirectional", [(20, 8)], {"layer": "SimpleRNN", "merge_mode": "sum", "return_sequences": True}),
    ("Bidirectional", [(20, 8)], {"layer": "GRU", "merge_mode": "ave"}),
    ("ConvLSTM2D", [(3, 9, 9, 2)], {"filters": 3, "strides": [2, 2], "padding": "same", "use_bias": False}),
    ("Multiply", [(4, 1), (4, 6)], {}),
    ("Dot", [(8,), (8,)], {"axes": 1, "normalize": True}),
    ("Dot", [(5, 4), (5, 3)], {"axes": 1}),
    ("Concatenate", [(4, 3), (2, 3), (1, 3)], {"axis": 1}),
    ("LayerNormalization", [(4, 6)], {"axis": [1, 2], "center": False}),
    ("BatchNormalization", [(4, 6)], {"axis": 1, "scale": False}),
    ("Normalization", [(4, 6)], {"axis": [1, 2]}),
    ("Reshape", [(4, 6)], {"target_shape": [2, 3, 4]}),
    ("Permute", [(2, 3, 4)], {"dims": [3, 1, 2]}),
    ("Embedding", [(None,)], {"input_dim": 50, "output_dim": 3}),
    ("MaxPooling1D", [(11, 2)], {"pool_size": 3, "strides": 2, "padding": "same"}),
    ("AveragePooling3D", [(7, 6, 5, 2)], {"pool_size": [3, 2, 2], "padding": "same"}),
    ("Cropping1D", [(10, 2)], {"cropping": 3}),
    ("ZeroPadding1D", [(10, 2)], {"padding": [0, 4]}),
    ("UpSampling1D", [(10, 2)], {"size": 3}),
    ("UpSampling2D", [(5, 4, 2)], {"size": [1, 3], "interpolation": "bilinear"}),
    ("Dense", [(3, 5, 7)], {"units": 2, "use_bias": False}),
    ("SeparableConv2D", [(9, 9, 4)], {"strides": [2, 2], "padding": "same", "use_bias": False}),
    ("DepthwiseConv2D", [(9, 9, 4)], {"kernel_size": [1, 3], "use_bias": False}),
    ("Conv3D", [(5, 6, 7, 2)], {"kernel_size": [1, 2, 3], "groups": 2, "filters": 4}),
    ("PReLU", [(4, 5)], {}),
    ("Attention", [(6, 4), (None, 4)], {}),
    ("AdditiveAttention", [(6, 4), (5, 2), (5, 4)], {"use_scale": False}),
    ("GroupNormalization", [(6, 8)], {"groups": 4, "center": False}),
    ("CenterCrop", [(5, 5, 2)], {"height": 8, "width": 3}),
    ("Conv1DTranspose", [(9, 2)], {"kernel_size": 2, "strides": 3, "padding": "same", "output_padding": 1}),
    # Unknown (variable) sizes stay unknown the way Keras leaves them.
    ("Reshape", [(None, 4)], {"target_shape": [2, -1]}),
    ("Flatten", [(None, 3)], {}),
    ("Conv2D", [(None, None, 3)], {"strides": [2, 2]}),
    ("Conv2DTranspose", [(None, 5, 3)], {"strides": [2, 2]}),
    ("Concatenate", [(None, 3), (4, 3)], {"axis": 1}),
    ("Add", [(None, 3), (4, 3)], {}),
    ("Dot", [(None, 3), (None, 3)], {"axes": 2}),
    ("MultiHeadAttention", [(None, 4), (None, 4)], {}),
]


@pytest.mark.parametrize(("layer_type", "shapes", "params"), EXTRA_CASES, ids=lambda v: str(v)[:30])
def test_edge_cases_match_keras(layer_type: str, shapes: list[tuple[int | None, ...]], params: dict[str, Any]) -> None:
    assert_matches_keras(single_layer_graph(layer_type, shapes, params))


# ------------------------------------------------------------------ random graphs (hypothesis)
RANDOM_SETTINGS = settings(
    max_examples=50,
    deadline=None,
    suppress_health_check=[HealthCheck.too_slow, HealthCheck.filter_too_much, HealthCheck.data_too_large],
)


@RANDOM_SETTINGS
@given(st.data())
def test_random_chains_match_keras(data: st.DataObject) -> None:
    assert_matches_keras(random_graphs.draw_chain(data.draw, REGISTRY))


@settings(max_examples=30, deadline=None, suppress_health_check=list(RANDOM_SETTINGS.suppress_health_check))
@given(st.data())
def test_random_branch_and_merge_graphs_match_keras(data: st.DataObject) -> None:
    assert_matches_keras(random_graphs.draw_branch_merge(data.draw, REGISTRY))


def test_choice_names_are_keras_names() -> None:
    import keras

    from visualnn.core.specs.base import ACTIVATIONS, INITIALIZERS, REGULARIZERS

    for name in ACTIVATIONS:
        assert callable(keras.activations.get(name)), name
    for name in (*INITIALIZERS, "uniform"):
        assert keras.initializers.get(name) is not None, name
    for name in REGULARIZERS:
        assert keras.regularizers.get(name) is not None, name


@pytest.mark.parametrize("activation", ["gelu", "leaky_relu", "log_softmax", "hard_sigmoid", "mish", "relu6"])
def test_every_activation_builds_in_a_dense_layer(activation: str) -> None:
    assert_matches_keras(single_layer_graph("Dense", [VEC], {"activation": activation}))


@pytest.mark.parametrize("regularizer", ["l1", "l2", "l1l2"])
def test_regularizer_choices_build(regularizer: str) -> None:
    assert_matches_keras(single_layer_graph("Conv1D", [SEQ], {"kernel_regularizer": regularizer, "kernel_initializer": "he_normal"}))
