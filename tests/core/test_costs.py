"""Cost analysis: analytic MACs/FLOPs per layer, the memory model, and the totals over a graph."""

from __future__ import annotations

import json
import subprocess
import sys
from typing import Any

import pytest

from tests.core.chains import chain
from visualnn.core.costs import CostReport, NodeCost, analyze_costs, optimizer_slots
from visualnn.core.graph import Edge, Graph, Node
from visualnn.core.specs import default_registry
from visualnn.core.templates import TEMPLATES
from visualnn.core.training_config import TrainingConfig


def cost(shape: list[int | None], kind: str, params: dict[str, Any] | None = None) -> NodeCost:
    """The cost of a single layer after an Input."""
    report = analyze_costs(chain(shape, (kind, params or {})))
    return next(n for n in report.nodes if n.id == "l1")


# ------------------------------------------------------------------------------------ analytic counts
def test_dense_is_inputs_times_units_plus_bias_and_activation() -> None:
    c = cost([20], "Dense", {"units": 10, "activation": "relu"})
    assert c.macs == 20 * 10
    assert c.flops == 2 * 200 + 10 + 10  # bias add and relu, one each per output value
    plain = cost([20], "Dense", {"units": 10, "use_bias": False})
    assert (plain.macs, plain.flops) == (200, 400)


def test_dense_on_a_sequence_multiplies_every_step() -> None:
    c = cost([7, 20], "Dense", {"units": 10, "use_bias": False})
    assert c.macs == 7 * 20 * 10


@pytest.mark.parametrize(
    ("shape", "kind", "params", "macs"),
    [
        # Conv1D: 98 positions (valid, k=3) x 3 taps x 4 channels x 8 filters
        ([100, 4], "Conv1D", {"filters": 8, "kernel_size": 3, "use_bias": False}, 98 * 3 * 4 * 8),
        # Conv2D: 26x26 positions x 3x3 taps x 3 channels x 16 filters
        ([28, 28, 3], "Conv2D", {"filters": 16, "kernel_size": [3, 3], "use_bias": False}, 26 * 26 * 9 * 3 * 16),
        # strided same: 14x14 positions
        ([28, 28, 3], "Conv2D", {"filters": 16, "kernel_size": [5, 5], "strides": [2, 2], "padding": "same",
                                 "use_bias": False}, 14 * 14 * 25 * 3 * 16),
        # grouped: each filter sees channels / groups
        ([10, 10, 8], "Conv2D", {"filters": 8, "kernel_size": [3, 3], "groups": 4, "use_bias": False},
         8 * 8 * 9 * 2 * 8),
        # Conv3D: 6x6x6 positions x 27 taps x 2 channels x 4 filters
        ([8, 8, 8, 2], "Conv3D", {"filters": 4, "kernel_size": [3, 3, 3], "use_bias": False}, 216 * 27 * 2 * 4),
        # DepthwiseConv2D: 30x30 positions x 9 taps x (3 channels x 2 multiplier)
        ([32, 32, 3], "DepthwiseConv2D", {"kernel_size": [3, 3], "depth_multiplier": 2, "use_bias": False},
         30 * 30 * 9 * 6),
        # SeparableConv2D: depthwise 30x30x9x3 then pointwise 30x30x3x16
        ([32, 32, 3], "SeparableConv2D", {"filters": 16, "kernel_size": [3, 3], "use_bias": False},
         30 * 30 * 9 * 3 + 30 * 30 * 3 * 16),
        # Conv2DTranspose: every input value through 3x3 taps into 4 filters, per input channel
        ([5, 5, 2], "Conv2DTranspose", {"filters": 4, "kernel_size": [3, 3], "use_bias": False}, 5 * 5 * 2 * 9 * 4),
    ],
)
def test_convolutions_match_the_textbook_count(shape: list[int], kind: str, params: dict[str, Any], macs: int) -> None:
    c = cost(shape, kind, params)
    assert c.macs == macs
    assert c.flops == 2 * macs  # no bias, linear activation: no extras


def test_conv_bias_and_activation_add_one_flop_per_output_value_each() -> None:
    c = cost([28, 28, 3], "Conv2D", {"filters": 16, "kernel_size": [3, 3], "activation": "relu"})
    outputs = 26 * 26 * 16
    assert c.flops == 2 * outputs * 27 + 2 * outputs


@pytest.mark.parametrize(
    ("shape", "kind", "params", "extra"),
    [
        ([28, 28, 8], "MaxPooling2D", {"pool_size": [2, 2]}, 14 * 14 * 8 * 4),
        ([28, 28, 8], "AveragePooling2D", {"pool_size": [2, 2]}, 14 * 14 * 8 * 4),
        ([28, 28, 8], "MaxPooling2D", {"pool_size": [3, 3], "strides": [1, 1]}, 26 * 26 * 8 * 9),
        ([100, 4], "MaxPooling1D", {"pool_size": 4}, 25 * 4 * 4),
        ([8, 8, 8, 2], "AveragePooling3D", {"pool_size": [2, 2, 2]}, 4 * 4 * 4 * 2 * 8),
        ([28, 28, 8], "GlobalAveragePooling2D", {}, 28 * 28 * 8),
        ([50, 6], "GlobalMaxPooling1D", {}, 50 * 6),
    ],
)
def test_pooling_reads_each_window_tap_once(shape: list[int], kind: str, params: dict[str, Any], extra: int) -> None:
    c = cost(shape, kind, params)
    assert (c.macs, c.flops) == (0, extra)


@pytest.mark.parametrize(("kind", "gates"), [("SimpleRNN", 1), ("LSTM", 4), ("GRU", 3)])
def test_recurrent_layers_count_gates_times_units_times_inputs_plus_state_per_step(kind: str, gates: int) -> None:
    steps, features, units = 12, 5, 8
    params: dict[str, Any] = {"units": units}
    c = cost([steps, features], kind, params)
    macs = steps * gates * units * (features + units)
    biases = 2 if kind == "GRU" else 1  # GRU's reset_after (the Keras default) has an input and a recurrent bias
    assert c.macs == macs
    assert c.flops == 2 * macs + steps * gates * units * biases
    no_bias = cost([steps, features], kind, {"units": units, "use_bias": False})
    assert no_bias.flops == 2 * macs


def test_bidirectional_is_two_wrapped_layers_and_the_merge() -> None:
    c = cost([10, 4], "Bidirectional", {"layer": "GRU", "units": 6, "merge_mode": "sum"})
    one = 10 * 3 * 6 * (4 + 6)
    assert c.macs == 2 * one
    assert c.flops == 2 * (2 * one + 10 * 3 * 6 * 2) + 6


def test_a_recurrent_layer_over_unknown_steps_has_an_unknown_cost_with_the_reason() -> None:
    c = cost([None, 5], "LSTM", {"units": 8})
    assert c.macs is None and c.formula
    assert c.note and "fixed number of steps" in c.note


def test_layers_without_a_formula_count_zero_and_are_listed() -> None:
    generic = {"config": '{"class_name": "CategoryEncoding", "config": {"num_tokens": 3}}',
               "output_shape": [32, 32, 3]}
    report = analyze_costs(chain([32, 32, 3], ("KerasLayer", generic), ("Flatten", {}), ("Dense", {"units": 2})))
    missing = report.without_formula
    assert [n.id for n in missing] == ["l1"]
    assert missing[0].macs == 0 and "no analytic formula" in (missing[0].note or "")
    assert report.to_dict()["without_formula"] == ["l1"]
    flatten = next(n for n in report.nodes if n.id == "l2")
    assert flatten.formula and flatten.macs == 0  # moving values is free, and known to be


def test_every_builtin_layer_declares_its_cost_except_the_listed_ones() -> None:
    lacking = sorted(spec.type for spec in default_registry() if spec.count_cost is None)
    # A Block's cost is its inner layers' (core.costs recurses into its definition). Pretrained backbones count
    # from their generated table (tests/core/test_backbone_costs.py); generic layers by their Keras class (below).
    # KerasHubResNet has no formula yet: its architecture comes from a preset (a local folder's config.json too),
    # which the generated table cannot hold; analyze lists it under without_formula (test_backbone_costs.py).
    assert lacking == ["Block", "KerasHubResNet"]


def _generic(class_name: str, config: dict[str, object], shape: list[int]) -> dict[str, object]:
    return {"config": json.dumps({"class_name": class_name, "config": config}), "output_shape": shape}


def test_a_generic_layer_of_a_known_elementwise_class_counts_its_arithmetic() -> None:
    # The classes keras.applications leave outside the catalog: ConvNeXt's LayerScale (x * gamma per channel, a
    # multiply and no accumulate), a Normalization with fixed statistics (one scale and shift a value), an
    # Activation whose function the catalog lacks (one operation a value) and Identity (free).
    values = 8 * 8 * 16
    cases: dict[str, tuple[dict[str, object], int, int]] = {
        "LayerScale": ({"init_values": 1e-6, "projection_dim": 16}, 0, values),
        "Normalization": ({"axis": [-1], "mean": [0.5] * 16, "variance": [0.25] * 16}, values, 0),
        "Activation": ({"activation": "celu"}, 0, values),
        "Identity": ({}, 0, 0),
    }
    for cls, (config, macs, extra) in cases.items():
        report = analyze_costs(chain([8, 8, 16], ("KerasLayer", _generic(cls, config, [8, 8, 16]))))
        node = report.nodes[1]
        assert node.formula and node.note is None, cls
        assert (node.macs, node.flops) == (macs, 2 * macs + extra), cls
        assert report.without_formula == [] and report.unknown == [], cls
    linear = analyze_costs(chain([8, 8, 16], ("KerasLayer", _generic("Activation", {"activation": "linear"},
                                                                      [8, 8, 16])))).nodes[1]
    assert linear.formula and linear.flops == 0


def test_a_generic_layer_of_an_unknown_class_keeps_no_formula_even_as_a_merge() -> None:
    g = chain([8, 8, 16], ("Dense", {"units": 16}))
    g.add_node(Node("m", "KerasMergeLayer", _generic("Dot", {"axes": -1}, [8, 8, 8])))
    g.connect(Edge.of("in", "m"))
    g.connect(Edge.of("l1", "m", dst_port=1))
    node = next(n for n in analyze_costs(g).nodes if n.id == "m")
    assert not node.formula and node.macs == 0
    assert node.note == "Dot is a generic layer with no analytic formula; counted as 0 MACs"


# ------------------------------------------------------------------------------------- memory model
def test_weights_gradients_and_adam_slots() -> None:
    g = chain([100], ("Dense", {"units": 10}))  # 1010 weights
    report = analyze_costs(g, TrainingConfig(optimizer="adam", batch_size=8))
    assert report.params == 1010
    assert report.weight_bytes == 1010 * 4
    assert report.gradient_bytes == 1010 * 4
    assert report.optimizer_bytes == 2 * 1010 * 4
    assert report.cast_bytes == 0
    # kept for backprop at batch 8: the input, which Dense's gradient reads (100 floats a sample); the linear
    # output is read by no gradient
    assert report.kept_activation_bytes == 8 * 100 * 4
    # the sparse loss (the default): integer labels and the output's gradient
    assert report.loss_bytes == 8 * 4 + 8 * 10 * 4
    assert report.backprop_bytes == 8 * 10 * 4  # the output's gradient (an Input gets none)
    assert report.training_peak_bytes == 1010 * 4 * 4 + 8 * 100 * 4 + 8 * 4 + 8 * 10 * 4 + 8 * 10 * 4
    assert report.inference_peak_bytes == 1010 * 4 + 8 * 110 * 4


def test_only_what_a_gradient_reads_is_kept() -> None:
    g = chain([8, 8, 4], ("Conv2D", {"filters": 4, "padding": "same", "activation": "relu"}),
              ("Flatten", {}), ("Dense", {"units": 3}))
    report = analyze_costs(g, batch_size=1)
    kept = {n.id: n.kept_bytes for n in report.nodes}
    # the conv's relu reads its output (and Dense reads it through Flatten, which shares its buffer)
    assert kept == {"in": 256 * 4, "l1": 256 * 4, "l2": 0, "l3": 0}


def test_recurrent_layers_keep_their_gates_and_states_at_every_step() -> None:
    report = analyze_costs(chain([10, 3], ("LSTM", {"units": 5})), batch_size=2)
    lstm = next(n for n in report.nodes if n.id == "l1")
    assert lstm.kept_bytes == 2 * 10 * (4 + 3) * 5 * 4  # no reader of the output: only the internal part


def test_a_regression_loss_holds_five_outputs_worth() -> None:
    # target, difference, square, the broadcast loss gradient and the output's gradient
    g = chain([20], ("Dense", {"units": 7}))
    report = analyze_costs(g, TrainingConfig(loss="mean_squared_error"), batch_size=4)
    assert report.loss_bytes == 5 * 4 * 7 * 4


@pytest.mark.parametrize(
    ("optimizer", "momentum", "slots"),
    [("adam", 0.0, 2), ("adamw", 0.0, 2), ("sgd", 0.0, 0), ("sgd", 0.9, 1), ("rmsprop", 0.0, 1),
     ("rmsprop", 0.9, 2), ("adagrad", 0.0, 1), ("nadam", 0.0, 2), ("adamax", 0.0, 2)],
)
def test_optimizer_slots_follow_the_training_settings(optimizer: str, momentum: float, slots: int) -> None:
    assert optimizer_slots(TrainingConfig(optimizer=optimizer, momentum=momentum)) == slots


def test_mixed_precision_keeps_float32_weights_and_halves_the_activations() -> None:
    g = chain([28, 28, 1], ("Conv2D", {"filters": 8}), ("Flatten", {}), ("Dense", {"units": 10}))
    full = analyze_costs(g, TrainingConfig(batch_size=16))
    mixed = analyze_costs(g, TrainingConfig(batch_size=16, mixed_precision="mixed_float16"))
    assert mixed.weight_bytes == full.weight_bytes  # Keras keeps the variables in float32
    trainable = sum(n.trainable for n in full.nodes)
    assert mixed.cast_bytes == 2 * trainable  # the float16 copies layers read during a step
    assert mixed.optimizer_bytes == full.optimizer_bytes and mixed.gradient_bytes == full.gradient_bytes
    inp = 28 * 28 * 16 * 4  # the Input keeps float32
    assert mixed.kept_activation_bytes - inp == (full.kept_activation_bytes - inp) // 2


def test_batch_size_scales_activations_only() -> None:
    g = chain([64], ("Dense", {"units": 32}))
    small = analyze_costs(g, TrainingConfig(batch_size=10))
    big = analyze_costs(g, batch_size=100)
    assert big.batch_size == 100
    assert big.kept_activation_bytes == 10 * small.kept_activation_bytes
    assert big.weight_bytes == small.weight_bytes


def test_inference_frees_a_tensor_after_its_last_consumer() -> None:
    # in -> a (big) -> b (small) -> c (small): a's output is freed once b has run
    g = chain([1000], ("Dense", {"units": 1000}), ("Dense", {"units": 10}), ("Dense", {"units": 10}))
    report = analyze_costs(g, batch_size=1)
    # the largest moment holds the input and a (1000 + 1000 floats), never all four tensors
    assert report.inference_activation_bytes == (1000 + 1000) * 4
    # training keeps what the Dense gradients read: in, a and b (c's linear output is read by none)
    assert report.kept_activation_bytes == (1000 + 1000 + 10) * 4


def test_the_skip_branch_stays_alive_until_the_merge() -> None:
    g = Graph()
    g.add_node(Node("in", "Input", {"shape": [100]}))
    for nid in ("a", "b"):
        g.add_node(Node(nid, "Dense", {"units": 100}))
    g.add_node(Node("add", "Add", {}))
    g.connect(Edge.of("in", "a"))
    g.connect(Edge.of("a", "b"))
    g.connect(Edge.of("in", "add", dst_port=0))
    g.connect(Edge.of("b", "add", dst_port=1))
    report = analyze_costs(g, batch_size=1)
    assert report.inference_activation_bytes == 3 * 100 * 4  # in, b and add (a is freed after b)
    add = next(n for n in report.nodes if n.id == "add")
    assert (add.macs, add.flops) == (0, 100)


def test_shape_errors_leave_the_cost_unknown_with_the_message() -> None:
    report = analyze_costs(chain([10], ("Conv2D", {"filters": 4})))
    conv = next(n for n in report.nodes if n.id == "l1")
    assert conv.macs is None and conv.note and "rank 4" in conv.note
    assert [n.id for n in report.unknown] == ["l1"]


def test_every_template_has_a_full_analytic_cost() -> None:
    for template in TEMPLATES.values():
        project = template.build()
        report: CostReport = analyze_costs(project.graph, project.training)
        assert not report.unknown, template.name
        assert not report.without_formula, template.name
        assert report.flops > 0 and report.training_peak_bytes > report.inference_peak_bytes > 0
        data = report.to_dict()
        assert {"id", "macs", "flops", "weight_bytes", "activation_bytes"} <= set(data["layers"][0])
        assert {"macs", "flops", "params", "training_peak_bytes", "inference_peak_bytes"} <= set(data["total"])


def test_cost_analysis_imports_no_heavy_library() -> None:
    code = ("import sys; import visualnn.core.costs as c; from visualnn.core.templates import TEMPLATES; "
            "p = TEMPLATES['cnn_small'].build(); c.analyze_costs(p.graph, p.training); "
            "bad = [m for m in ('tensorflow', 'keras', 'numpy', 'PySide6') if m in sys.modules]; print(bad)")
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True).stdout
    assert out.strip() == "[]"


def test_a_block_costs_what_its_layers_cost() -> None:
    from visualnn.core.blocks import make_block
    from visualnn.core.commands import UndoStack

    project = TEMPLATES["cnn_small"].build()
    before = analyze_costs(project.graph, project.training)
    parts = {n.id: n for n in before.nodes}
    UndoStack(project).push(make_block(project, ["conv2d_2", "max_pooling2d_2"], "features"))
    after = analyze_costs(project.graph, project.training)
    block = next(n for n in after.nodes if n.type == "Block")
    assert block.flops == parts["conv2d_2"].flops + parts["max_pooling2d_2"].flops
    assert block.params == parts["conv2d_2"].params
    assert after.flops == before.flops and after.params == before.params
    assert not after.unknown and not after.without_formula
