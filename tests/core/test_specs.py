"""The layer catalog as data: every spec is complete, JSON-clean and checks its parameters."""

from __future__ import annotations

import json
import subprocess
import sys

import pytest

from visualnn.core.specs import CATEGORIES, KerasCall, LayerSpec, default_registry
from visualnn.core.specs.base import (
    AXES,
    BOOL,
    CHOICE,
    FLOAT,
    FLOATS,
    INT,
    INTS,
    KINDS,
    PADDING,
    SHAPE,
    STR,
    ParamSpec,
)

# Other test packages (cli, services) may import TensorFlow earlier in the same session.
REGISTRY = default_registry()
SPECS = list(REGISTRY)

REQUIRED = {
    "Input", "Dense", "Activation", "Dropout", "Flatten", "Reshape", "Permute", "RepeatVector", "Embedding",
    "Identity", "Conv1D", "Conv2D", "Conv3D", "SeparableConv2D", "DepthwiseConv2D", "Conv2DTranspose",
    "MaxPooling1D", "MaxPooling2D", "MaxPooling3D", "AveragePooling1D", "AveragePooling2D", "AveragePooling3D",
    "GlobalAveragePooling1D", "GlobalAveragePooling2D", "GlobalAveragePooling3D", "GlobalMaxPooling1D",
    "GlobalMaxPooling2D", "GlobalMaxPooling3D", "BatchNormalization", "LayerNormalization", "GaussianNoise",
    "SpatialDropout1D", "SpatialDropout2D", "SimpleRNN", "LSTM", "GRU", "Bidirectional", "ConvLSTM2D",
    "MultiHeadAttention", "Add", "Subtract", "Multiply", "Average", "Maximum", "Minimum", "Concatenate", "Dot",
    "ZeroPadding1D", "ZeroPadding2D", "Cropping1D", "Cropping2D", "UpSampling1D", "UpSampling2D", "Rescaling",
    "Normalization", "Resizing", "RandomFlip", "RandomRotation", "RandomZoom", "RandomTranslation", "RandomContrast",
    # beyond the list
    "ReLU", "LeakyReLU", "PReLU", "ELU", "Softmax", "GroupNormalization", "UnitNormalization", "GaussianDropout",
    "AlphaDropout", "Attention", "AdditiveAttention", "SeparableConv1D", "DepthwiseConv1D", "Conv1DTranspose",
    "Conv3DTranspose", "ZeroPadding3D", "Cropping3D", "UpSampling3D", "CenterCrop", "RandomCrop", "RandomBrightness",
}


def test_catalog_has_every_required_layer() -> None:
    assert len(REGISTRY) >= 50
    assert REQUIRED <= {s.type for s in SPECS}, sorted(REQUIRED - {s.type for s in SPECS})


@pytest.mark.parametrize("spec", SPECS, ids=lambda s: s.type)
def test_spec_is_documented_and_categorised(spec: LayerSpec) -> None:
    assert spec.category in CATEGORIES
    assert spec.doc.strip() and "\n" not in spec.doc
    docs = ("https://keras.io/api/applications/", "https://keras.io/keras_hub/") if spec.category == "pretrained" \
        else ("https://keras.io/api/layers/",)
    assert spec.doc_url.startswith(docs)
    names = [p.name for p in spec.params]
    assert len(names) == len(set(names)), f"{spec.type} has duplicate parameter names"
    for p in spec.params:
        assert p.kind in KINDS
        assert p.doc.strip(), f"{spec.type}.{p.name} has no doc"
        if p.kind == CHOICE:
            assert p.default in p.choices, f"{spec.type}.{p.name} default {p.default!r} is not a choice"
    assert set(spec.key_params) <= set(names), f"{spec.type} key_params name unknown parameters"
    assert REGISTRY[spec.type] is spec


@pytest.mark.parametrize("spec", SPECS, ids=lambda s: s.type)
def test_defaults_survive_a_json_round_trip_and_pass_their_checks(spec: LayerSpec) -> None:
    restored = json.loads(json.dumps(spec.defaults()))
    assert restored == spec.defaults()
    assert spec.check_params(restored) == []
    call = spec.keras_call(spec, spec.resolved(restored))
    assert isinstance(call, KerasCall)
    assert call.class_path.startswith("keras.")


@pytest.mark.parametrize("spec", SPECS, ids=lambda s: s.type)
def test_every_parameter_rejects_a_malformed_value_naming_layer_param_and_value(spec: LayerSpec) -> None:
    bad = {
        INT: "three",
        FLOAT: "high",
        BOOL: "yes",
        CHOICE: "no-such-choice",
        STR: 42,
        INTS: "3x3",
        SHAPE: "28x28",
        AXES: "last",
        FLOATS: "wide",
        PADDING: "lots",
    }
    for p in spec.params:
        problems = dict(spec.check_params({p.name: bad[p.kind]}))
        assert p.name in problems, f"{spec.type}.{p.name} accepted {bad[p.kind]!r}"
        message = problems[p.name]
        assert message.startswith(f"{spec.type} {p.name} "), message
        assert repr(bad[p.kind]) in message, message


@pytest.mark.parametrize(
    ("layer", "params", "fragment"),
    [
        ("Dropout", {"rate": 1.2}, "Dropout rate must be in [0, 1); received 1.2."),
        ("Dropout", {"rate": -0.1}, "Dropout rate must be in [0, 1); received -0.1."),
        ("Dense", {"units": 0}, "Dense units must be in [1, inf); received 0."),
        ("Conv2D", {"kernel_size": [3, 0]}, "Conv2D kernel_size must be in [1, inf); received 0."),
        ("Conv2D", {"kernel_size": [3, 3, 3]}, "Conv2D kernel_size must have 2 values; received [3, 3, 3]."),
        ("Conv2D", {"padding": "full"}, "Conv2D padding must be one of valid, same; received 'full'."),
        ("LSTM", {"dropout": 1.0}, "LSTM dropout must be in [0, 1); received 1."),
        ("Dense", {"activation": "relu7"}, "Dense activation must be one of"),
        ("Input", {"shape": [28, 0]}, "Input shape dimensions must be positive integers or None"),
        ("Reshape", {"target_shape": [7, 0]}, "Reshape target_shape dimensions must be positive"),
        ("Dense", {"use_bias": 1}, "Dense use_bias must be true or false; received 1."),
        ("RandomContrast", {"factor": 1.5}, "RandomContrast factor must be in [0, 1]; received 1.5."),
        ("Cropping2D", {"cropping": [[1, -1], [0, 0]]}, "Cropping2D cropping must be non-negative integers"),
        ("RandomBrightness", {"value_range": 1.0}, "RandomBrightness value_range must be a pair [low, high]; received 1.0."),
        ("RandomZoom", {"height_factor": [0.3, -0.2]}, "RandomZoom height_factor must be [low, high] with low <= high"),
        ("MultiHeadAttention", {"num_heads": 0}, "MultiHeadAttention num_heads must be in [1, inf); received 0."),
    ],
)
def test_out_of_range_values_are_rejected_with_a_precise_message(layer: str, params: dict, fragment: str) -> None:
    problems = REGISTRY[layer].check_params(params)
    assert problems, f"{layer} accepted {params}"
    assert fragment in problems[0][1]


def test_valid_non_default_values_are_accepted() -> None:
    assert REGISTRY["Conv2D"].check_params({"kernel_size": 5, "strides": [2, 1], "activation": None}) == []
    assert REGISTRY["Reshape"].check_params({"target_shape": [7, -1]}) == []
    assert REGISTRY["ZeroPadding2D"].check_params({"padding": [[1, 2], [3, 4]]}) == []
    assert REGISTRY["RandomZoom"].check_params({"height_factor": [-0.2, 0.3], "width_factor": None}) == []


def test_json_lists_become_tuples_for_keras() -> None:
    spec = REGISTRY["Conv2D"]
    call = spec.keras_call(spec, spec.resolved({"kernel_size": [5, 5], "strides": [2, 2]}))
    assert call.kwargs["kernel_size"] == (5, 5) and call.kwargs["strides"] == (2, 2)
    crop = REGISTRY["Cropping2D"]
    assert crop.keras_call(crop, crop.defaults()).kwargs["cropping"] == ((0, 0), (0, 0))


def test_bidirectional_call_nests_the_wrapped_layer() -> None:
    spec = REGISTRY["Bidirectional"]
    call = spec.keras_call(spec, spec.resolved({"layer": "GRU", "units": 12, "return_sequences": True}))
    inner = call.kwargs["layer"]
    assert isinstance(inner, KerasCall) and inner.class_path == "keras.layers.GRU"
    assert inner.kwargs["units"] == 12 and inner.kwargs["return_sequences"] is True
    assert call.kwargs["merge_mode"] == "concat"


def test_ports_describe_how_inputs_are_passed() -> None:
    mha = REGISTRY["MultiHeadAttention"]
    assert mha.inputs == ("query", "value", "key") and mha.required_inputs() == 2 and mha.call_style == "named"
    for name in ("Add", "Multiply", "Average", "Maximum", "Minimum", "Concatenate"):
        spec = REGISTRY[name]
        assert spec.variadic and spec.required_inputs() == 2 and spec.max_inputs() is None and spec.call_style == "list"
    for name in ("Subtract", "Dot"):
        spec = REGISTRY[name]
        assert spec.max_inputs() == 2 and spec.required_inputs() == 2 and spec.call_style == "list"
    assert REGISTRY["Input"].max_inputs() == 0


def test_node_card_summary_uses_key_params() -> None:
    spec = REGISTRY["Conv2D"]
    assert spec.summary(spec.resolved({"filters": 64, "activation": "relu"})) == "64 · 3×3 · relu"
    lstm = REGISTRY["LSTM"]
    assert lstm.summary(lstm.defaults()) == "32"
    assert lstm.summary(lstm.resolved({"return_sequences": True})) == "32 · return_sequences"
    assert REGISTRY["Rescaling"].summary(REGISTRY["Rescaling"].defaults()) == "1/255 · 0"
    assert REGISTRY["Dropout"].summary({"rate": 0.25}) == "0.25"
    assert REGISTRY["Cropping2D"].summary({"cropping": [[1, 2], [0, 0]]}) == "(1,2)×(0,0)"


def test_unknown_parameter_values_are_not_checked_and_param_lookup_names_the_layer() -> None:
    assert REGISTRY["Dense"].check_params({"not_a_param": object()}) == []
    with pytest.raises(KeyError, match="Dense has no parameter 'filters'"):
        REGISTRY["Dense"].param("filters")
    assert ParamSpec("x", INT, 1).check(None, "L") == "L x must be set; received None."


@pytest.mark.parametrize(
    ("alias", "current"),
    [("MaxPool2D", "MaxPooling2D"), ("AvgPool1D", "AveragePooling1D"), ("GlobalAvgPool2D", "GlobalAveragePooling2D"),
     ("GlobalMaxPool3D", "GlobalMaxPooling3D"), ("Convolution2D", "Conv2D"), ("Convolution2DTranspose", "Conv2DTranspose"),
     ("SeparableConvolution1D", "SeparableConv1D"), ("InputLayer", "Input")],
)
def test_keras_aliases_resolve_to_the_catalog_type(alias: str, current: str) -> None:
    assert REGISTRY.resolve(alias) == current
    assert REGISTRY[alias] is REGISTRY[current]


def test_catalog_never_imports_tensorflow() -> None:
    # Checked in a fresh interpreter: in this process, earlier test packages may have imported TF.
    # A fresh interpreter proves it whatever ran before in this session.
    code = (
        "import sys; from visualnn.core.specs import default_registry; "
        "specs = list(default_registry()); [s.keras_call(s, s.defaults()) for s in specs]; "
        "assert 'tensorflow' not in sys.modules and 'keras' not in sys.modules, 'TensorFlow was imported'"
    )
    subprocess.run([sys.executable, "-c", code], check=True, timeout=60)

