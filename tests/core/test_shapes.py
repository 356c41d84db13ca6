"""Shape inference and parameter counts for representative layers, and the errors users see."""

from __future__ import annotations

import subprocess
import sys
from typing import Any

import pytest

from tests.core.chains import chain
from visualnn.core.graph import Edge, Graph, Node
from visualnn.core.shapes import describe, infer_shapes
from visualnn.core.specs import ParamCount


def merge(kind: str, shapes: list[list[int | None]], params: dict[str, Any] | None = None) -> Graph:
    """One Input per shape into ports 0, 1, ... of a ``kind`` node with id m."""
    g = Graph()
    g.add_node(Node("m", kind, params or {}))
    for i, shape in enumerate(shapes):
        g.add_node(Node(f"in{i}", "Input", {"shape": shape}))
        g.connect(Edge.of(f"in{i}", "m", dst_port=i))
    return g


def one(shape: list[int | None], kind: str, params: dict[str, Any] | None = None) -> tuple[Any, Any, Any]:
    """(output shape, param count, error) of a single layer after an Input."""
    info = infer_shapes(chain(shape, (kind, params or {}))).nodes["l1"]
    return info.output, info.params, info.error


@pytest.mark.parametrize(
    ("shape", "kind", "params", "out", "count"),
    [
        ([784], "Dense", {"units": 10}, (None, 10), ParamCount(7850)),
        ([5, 7], "Dense", {"units": 3, "use_bias": False}, (None, 5, 3), ParamCount(21)),
        ([28, 28, 1], "Conv2D", {"filters": 32}, (None, 26, 26, 32), ParamCount(320)),
        ([28, 28, 1], "Conv2D", {"filters": 8, "padding": "same", "strides": [2, 2]}, (None, 14, 14, 8), ParamCount(80)),
        ([32, 32, 4], "Conv2D", {"filters": 8, "groups": 2, "kernel_size": 5}, (None, 28, 28, 8), ParamCount(408)),
        ([20, 20, 3], "Conv2D", {"dilation_rate": [2, 2]}, (None, 16, 16, 32), ParamCount(896)),
        ([100, 3], "Conv1D", {"filters": 16, "kernel_size": 5, "strides": 2}, (None, 48, 16), ParamCount(256)),
        ([100, 3], "Conv1D", {"padding": "causal"}, (None, 100, 32), ParamCount(320)),
        ([8, 8, 8, 1], "Conv3D", {"filters": 4}, (None, 6, 6, 6, 4), ParamCount(112)),
        ([12, 12, 3], "SeparableConv2D", {"filters": 16}, (None, 10, 10, 16), ParamCount(27 + 48 + 16)),
        ([12, 12, 3], "DepthwiseConv2D", {"depth_multiplier": 2}, (None, 10, 10, 6), ParamCount(54 + 6)),
        ([7, 7, 16], "Conv2DTranspose", {"filters": 8, "strides": [2, 2], "padding": "same"}, (None, 14, 14, 8), ParamCount(1160)),
        ([7, 7, 16], "Conv2DTranspose", {"filters": 8, "strides": [2, 2]}, (None, 15, 15, 8), ParamCount(1160)),
        ([28, 28, 3], "MaxPooling2D", {}, (None, 14, 14, 3), ParamCount()),
        ([27, 27, 3], "MaxPooling2D", {"padding": "same"}, (None, 14, 14, 3), ParamCount()),
        ([10, 4], "AveragePooling1D", {"pool_size": 3, "strides": 1}, (None, 8, 4), ParamCount()),
        ([9, 9, 5], "GlobalAveragePooling2D", {}, (None, 5), ParamCount()),
        ([9, 9, 5], "GlobalMaxPooling2D", {"keepdims": True}, (None, 1, 1, 5), ParamCount()),
        ([26, 26, 32], "BatchNormalization", {}, (None, 26, 26, 32), ParamCount(64, 64)),
        ([10, 6], "LayerNormalization", {}, (None, 10, 6), ParamCount(12)),
        ([20, 8], "SimpleRNN", {"units": 4}, (None, 4), ParamCount(4 * (8 + 4 + 1))),
        ([20, 8], "LSTM", {"units": 16, "return_sequences": True}, (None, 20, 16), ParamCount(4 * 16 * (8 + 16 + 1))),
        ([20, 8], "GRU", {"units": 16}, (None, 16), ParamCount(3 * 16 * (8 + 16) + 2 * 3 * 16)),
        ([20, 8], "GRU", {"units": 16, "reset_after": False}, (None, 16), ParamCount(3 * 16 * (8 + 16 + 1))),
        ([20, 8], "Bidirectional", {"units": 16}, (None, 32), ParamCount(2 * 4 * 16 * 25)),
        ([20, 8], "Bidirectional", {"layer": "GRU", "units": 16, "merge_mode": "sum", "return_sequences": True},
         (None, 20, 16), ParamCount(2 * (3 * 16 * 24 + 96))),
        ([5, 16, 16, 1], "ConvLSTM2D", {"filters": 4}, (None, 14, 14, 4), ParamCount(4 * (9 * 1 * 4 + 9 * 4 * 4) + 16)),
        ([50], "Embedding", {"input_dim": 1000, "output_dim": 8}, (None, 50, 8), ParamCount(8000)),
        ([12], "Reshape", {"target_shape": [3, -1]}, (None, 3, 4), ParamCount()),
        ([3, 4], "Permute", {"dims": [2, 1]}, (None, 4, 3), ParamCount()),
        ([6], "RepeatVector", {"n": 5}, (None, 5, 6), ParamCount()),
        ([28, 28, 1], "Flatten", {}, (None, 784), ParamCount()),
        ([10, 4], "ZeroPadding1D", {"padding": [1, 2]}, (None, 13, 4), ParamCount()),
        ([10, 10, 3], "ZeroPadding2D", {"padding": [[1, 2], [0, 3]]}, (None, 13, 13, 3), ParamCount()),
        ([10, 10, 3], "Cropping2D", {"cropping": [1, 2]}, (None, 8, 6, 3), ParamCount()),
        ([5, 5, 3], "UpSampling2D", {}, (None, 10, 10, 3), ParamCount()),
        ([32, 32, 3], "Resizing", {"height": 20, "width": 16}, (None, 20, 16, 3), ParamCount()),
        ([6], "Normalization", {}, (None, 6), ParamCount(0, 13)),
        ([32, 32, 3], "RandomFlip", {}, (None, 32, 32, 3), ParamCount()),
        ([None, 8], "LSTM", {"units": 4}, (None, 4), ParamCount(4 * 4 * 13)),
    ],
)
def test_output_shape_and_param_count(shape: list[int | None], kind: str, params: dict[str, Any], out: Any, count: ParamCount) -> None:
    got_out, got_count, error = one(shape, kind, params)
    assert error is None
    assert got_out == out
    assert got_count == count


def test_multi_head_attention_with_and_without_key() -> None:
    g = merge("MultiHeadAttention", [[6, 8], [5, 4]], {"num_heads": 2, "key_dim": 3})
    info = infer_shapes(g).nodes["m"]
    assert info.error is None and info.output == (None, 6, 8)
    # query 8*6+6, key 4*6+6, value 4*6+6, output 6*8+8
    assert info.params == ParamCount(54 + 30 + 30 + 56)
    g3 = merge("MultiHeadAttention", [[6, 8], [5, 4], [5, 2]], {"num_heads": 2, "key_dim": 3})
    assert infer_shapes(g3).nodes["m"].params == ParamCount(54 + 18 + 30 + 56)


def test_merges_combine_shapes() -> None:
    assert infer_shapes(merge("Add", [[8], [8], [8]])).output("m") == (None, 8)
    assert infer_shapes(merge("Concatenate", [[4, 3], [4, 5]])).output("m") == (None, 4, 8)
    assert infer_shapes(merge("Concatenate", [[4, 3], [2, 3]], {"axis": 1})).output("m") == (None, 6, 3)
    assert infer_shapes(merge("Dot", [[8], [8]], {"axes": 1})).output("m") == (None, 1)
    assert infer_shapes(merge("Dot", [[5, 4], [7, 4]], {"axes": [2, 2]})).output("m") == (None, 5, 7)
    assert infer_shapes(merge("Multiply", [[4, 1], [4, 6]])).output("m") == (None, 4, 6)


@pytest.mark.parametrize(
    ("shape", "kind", "params", "message"),
    [
        ([784], "Conv2D", {}, "Conv2D needs an input of rank 4 (samples, height, width, channels); received (None, 784). "
                              "Add a Reshape to (28, 28, 1) or check the Input shape."),
        ([10], "LSTM", {}, "LSTM needs an input of rank 3 (samples, steps, features); received (None, 10). "
                           "Use an Embedding, a Reshape to (steps, features) or a Conv1D before it."),
        ([28, 28, 1], "Conv1D", {}, "Conv1D needs an input of rank 3 (samples, steps, channels); received (None, 28, 28, 1)."),
        ([2, 2, 1], "Conv2D", {}, "Conv2D would produce an empty output from (None, 2, 2, 1)"),
        ([3, 3, 1], "MaxPooling2D", {"pool_size": 4}, "MaxPooling2D would produce an empty output"),
        ([20, 20, 3], "Conv2D", {"strides": [2, 2], "dilation_rate": [2, 2]},
         "Conv2D cannot combine strides > 1 with dilation_rate > 1"),
        ([20, 20, 3], "Conv2D", {"groups": 2, "filters": 8}, "Conv2D input channels must be divisible by groups (2)"),
        ([784], "Reshape", {"target_shape": [28, 27]},
         "Reshape cannot turn (None, 784) (784 values per sample) into (28, 27) (756 values)"),
        ([10], "Reshape", {"target_shape": [3, -1]}, "10 is not divisible by 3"),
        ([3, 4], "Permute", {"dims": [1, 1]}, "Permute dims must be a reordering of 1..2"),
        ([4, 5], "RepeatVector", {}, "RepeatVector needs an input of rank 2; received (None, 4, 5)."),
        ([5, 5, 3], "Cropping2D", {"cropping": 3}, "Cropping2D would produce an empty output"),
        ([8], "RandomFlip", {}, "RandomFlip needs an input of rank 4 (samples, height, width, channels)"),
        ([None], "Dense", {}, "Dense needs a defined last axis to create its weights"),
        ([None, 8], "LSTM", {"unroll": True}, "LSTM with unroll=True needs a fixed number of steps"),
        ([4, 8, 8, 2], "ConvLSTM2D", {"filters": 2, "kernel_size": [3, 3], "strides": [1, 1]}, None),
        ([8, 8, 2], "ConvLSTM2D", {}, "ConvLSTM2D needs an input of rank 5 (samples, time, height, width, channels)"),
        ([8], "BatchNormalization", {"axis": 3}, "BatchNormalization axis 3 is out of range for an input of rank 2"),
        ([8, 8, 12], "GroupNormalization", {}, "GroupNormalization groups (32) must divide the 12 channels"),
        ([None, 4], "PReLU", {}, "PReLU needs defined sizes to create one slope per value"),
        ([None, 4], "PReLU", {"shared_axes": [1]}, None),
        ([4, 4], "Softmax", {"axis": 0}, "Softmax axis 0 is out of range"),
    ],
)
def test_shape_errors_name_layer_shapes_and_fix(shape: list[int | None], kind: str, params: dict[str, Any], message: str | None) -> None:
    out, count, error = one(shape, kind, params)
    if message is None:
        assert error is None
        return
    assert out is None and count is None
    assert error is not None and message in error, error


@pytest.mark.parametrize(
    ("kind", "shapes", "params", "message"),
    [
        ("Add", [[32], [16]], {}, "Add needs inputs of the same shape; received (None, 32), (None, 16). "
                                  "Add a Dense/Conv layer or a Reshape so the shapes match."),
        ("Average", [[4, 4], [4]], {}, "Average needs inputs of the same rank"),
        ("Concatenate", [[4, 3], [5, 3]], {}, "Concatenate needs matching shapes except on axis -1"),
        ("Concatenate", [[4], [4]], {"axis": 2}, "Concatenate axis 2 is out of range for inputs of rank 2"),
        ("Dot", [[8], [6]], {"axes": 1}, "Dot needs equal sizes on the multiplied axes"),
        ("Dot", [[8], [8]], {"axes": 0}, "the batch axis 0 cannot be used"),
        ("MultiHeadAttention", [[6, 8], [8]], {}, "MultiHeadAttention value needs an input of rank >= 3"),
        ("MultiHeadAttention", [[6, 8], [5, 4], [7, 4]], {}, "MultiHeadAttention key and value must have the same steps"),
        # Keras builds this symbolically but fails at the first batch (4 vs 3 in the score matmul).
        ("Attention", [[6, 4], [5, 3]], {}, "Attention needs query and key with the same number of features; "
                                            "received query (None, 6, 4) and key (None, 5, 3)."),
        ("AdditiveAttention", [[6, 4], [5, 4], [5, 2]], {}, "AdditiveAttention needs query and key with the same"),
    ],
)
def test_merge_errors(kind: str, shapes: list[list[int | None]], params: dict[str, Any], message: str) -> None:
    error = infer_shapes(merge(kind, shapes, params)).error("m")
    assert error is not None and message in error, error


def test_unconnected_ports_are_reported_and_downstream_stays_quiet() -> None:
    g = Graph()
    g.add_node(Node("d", "Dense", {}))
    g.add_node(Node("out", "Dense", {}))
    g.connect(Edge.of("d", "out"))
    report = infer_shapes(g)
    assert report.error("d") == "Dense has no input connected. Connect a layer into it."
    assert report.error("out") is None and report.output("out") is None

    add = merge("Add", [[4]])
    assert infer_shapes(add).error("m") == "Add needs at least 2 inputs; received 1. Connect more layers into it."


def test_multi_head_attention_value_port_must_be_connected_even_with_a_key() -> None:
    g = Graph()
    g.add_node(Node("q", "Input", {"shape": [6, 8]}))
    g.add_node(Node("k", "Input", {"shape": [5, 8]}))
    g.add_node(Node("m", "MultiHeadAttention", {}))
    g.connect(Edge.of("q", "m", dst_port=0))
    g.connect(Edge.of("k", "m", dst_port=2))
    assert infer_shapes(g).error("m") == "MultiHeadAttention input value is not connected. Connect a layer into it."


def test_error_stops_at_first_failing_node_and_totals_count_known_nodes() -> None:
    g = chain([784], ("Dense", {"units": 10}), ("Conv2D", {}), ("Dense", {"units": 2}))
    report = infer_shapes(g)
    assert report.output("l1") == (None, 10)
    assert report.error("l2") is not None
    assert report.error("l3") is None and report.output("l3") is None
    assert report.total_params == 7850
    assert list(report.errors) == ["l2"]


def test_cnn_totals() -> None:
    g = chain(
        [28, 28, 1],
        ("Rescaling", {}),
        ("Conv2D", {"filters": 32, "activation": "relu"}),
        ("BatchNormalization", {}),
        ("MaxPooling2D", {}),
        ("Flatten", {}),
        ("Dropout", {"rate": 0.5}),
        ("Dense", {"units": 10, "activation": "softmax"}),
    )
    report = infer_shapes(g)
    assert not report.errors
    assert report.output("l5") == (None, 13 * 13 * 32)
    assert report.trainable_params == 320 + 64 + 5408 * 10 + 10
    assert report.non_trainable_params == 64
    assert describe(report.output("l2")) == "(None, 26, 26, 32) · rank 4"


def test_inference_is_pure_python() -> None:
    # Checked in a fresh interpreter: in this process, earlier test packages may have imported TF.
    code = (
        "import sys; from visualnn.core.graph import Graph, Node, Edge; from visualnn.core.shapes import infer_shapes; "
        "g = Graph(); g.add_node(Node('i', 'Input', {'shape': [28, 28, 1]})); g.add_node(Node('c', 'Conv2D', {})); "
        "g.connect(Edge.of('i', 'c')); assert infer_shapes(g).output('c') == (None, 26, 26, 32); "
        "assert 'tensorflow' not in sys.modules and 'keras' not in sys.modules, 'TensorFlow was imported'"
    )
    subprocess.run([sys.executable, "-c", code], check=True, timeout=60)
