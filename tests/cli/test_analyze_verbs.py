"""``visualnn analyze`` end to end (in-process CLI): every template, an imported keras.applications model, the
TFLite precheck with a layer that needs Flex ops, and the refusals."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import pytest

from visualnn.cli import main
from visualnn.core.costs import analyze_costs
from visualnn.core.graph import Edge, Graph, Node
from visualnn.core.project import Project
from visualnn.core.project.io import load_project, save_project
from visualnn.core.templates import TEMPLATES


def _analyze(capsys: pytest.CaptureFixture[str], *args: str) -> tuple[int, dict[str, Any]]:
    rc = main(["analyze", *args, "--json"])
    return rc, json.loads(capsys.readouterr().out)


@pytest.mark.parametrize("name", list(TEMPLATES))
def test_every_template_gets_analytic_flops_and_a_memory_estimate(
        name: str, tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    path = tmp_path / f"{name}.vnn"
    project = TEMPLATES[name].build()
    save_project(project, path)
    rc, data = _analyze(capsys, str(path), "--batch-size", "16")
    assert rc == 0
    expected = analyze_costs(project.graph, project.training, batch_size=16)
    assert [row["id"] for row in data["layers"]] == [n.id for n in expected.nodes]
    for row, node in zip(data["layers"], expected.nodes, strict=True):
        assert (row["macs"], row["flops"], row["weight_bytes"], row["activation_bytes"]) == (
            node.macs, node.flops, node.weight_bytes, node.activation_bytes)
        assert row["macs"] is not None and row["formula"], row  # backbones too: the generated table
    assert data["without_formula"] == [] and data["unknown"] == []
    total = data["total"]
    assert total["flops"] == sum(r["flops"] for r in data["layers"]) > 0
    assert total["params"] == sum(r["params"] for r in data["layers"])
    assert total["training_peak_bytes"] > total["inference_peak_bytes"] > total["params"] * 4 > 0
    assert data["batch_size"] == 16


def test_batch_size_defaults_to_the_projects_and_scales_activations(
        tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    path = tmp_path / "cnn.vnn"
    save_project(TEMPLATES["cnn_small"].build(), path)
    _, default = _analyze(capsys, str(path))
    _, big = _analyze(capsys, str(path), "--batch-size", "64")
    assert default["batch_size"] == load_project(path).training.batch_size
    one = {r["id"]: r["activation_bytes"] for r in default["layers"]}
    for row in big["layers"]:
        assert row["activation_bytes"] * default["batch_size"] == one[row["id"]] * 64


def test_text_output_names_the_peaks(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    path = tmp_path / "mlp.vnn"
    save_project(TEMPLATES["mlp_classifier"].build(), path)
    assert main(["analyze", str(path)]) == 0
    out = capsys.readouterr().out
    assert "Training peak (estimate)" in out and "FLOPs per sample" in out and "dense" in out


def test_refusals(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    rc, data = _analyze(capsys, str(tmp_path / "missing.vnn"))
    assert rc == 2 and not data["ok"] and "missing.vnn" in data["error"]
    path = tmp_path / "mlp.vnn"
    save_project(TEMPLATES["mlp_classifier"].build(), path)
    rc, data = _analyze(capsys, str(path), "--batch-size", "0")
    assert rc == 2 and "--batch-size" in data["error"]


def test_shape_errors_exit_1_and_name_the_layer(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    project = TEMPLATES["cnn_small"].build()
    project.graph.set_param("input_1", "shape", [28, 28])  # rank 3 into Conv2D
    path = tmp_path / "bad.vnn"
    save_project(project, path)
    rc, data = _analyze(capsys, str(path))
    assert rc == 1 and not data["ok"]
    assert any("rank 4" in msg for msg in data["errors"].values())


def test_imported_keras_application_is_analysed(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    import keras  # type: ignore[import-untyped]

    model = keras.applications.MobileNetV2(weights=None, input_shape=(96, 96, 3), classes=10, alpha=0.35)
    src = tmp_path / "mobilenet.keras"
    model.save(src)
    vnn = tmp_path / "mobilenet.vnn"
    assert main(["import-model", str(src), "-o", str(vnn)]) == 0
    capsys.readouterr()
    rc, data = _analyze(capsys, str(vnn), "--batch-size", "8")
    assert rc == 0
    assert data["total"]["params"] == model.count_params()
    assert data["without_formula"] == [] and data["unknown"] == []
    # Keras applications' own conv layers: the analytic MACs of the first convolution (stride 2, 3x3, 3 -> 16)
    first = next(r for r in data["layers"] if r["type"] == "Conv2D")
    layer = model.get_layer(first["name"])
    h, w, c = layer.output.shape[1:]
    assert first["macs"] == h * w * c * 9 * 3
    # every conv/dense layer of the model has a count; the total is in the tens of MFLOPs for alpha=0.35 at 96 px
    assert 5e6 < data["total"]["flops"] < 2e8


def test_deploy_precheck_flags_a_variable_length_lstm_as_needing_flex(
        tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    project = TEMPLATES["lstm_classifier"].build()
    project.graph.set_param("input_1", "shape", [None, 8])  # no fixed steps: export cannot unroll the loop
    path = tmp_path / "lstm.vnn"
    save_project(project, path)
    rc, data = _analyze(capsys, str(path), "--deploy")
    assert rc == 0
    deploy = data["deploy"]
    assert deploy["status"] == "flex"
    by_id = {n["id"]: n for n in deploy["nodes"]}
    assert by_id["lstm_1"]["status"] == "flex"
    assert any(op.startswith("FlexTensorList") for op in by_id["lstm_1"]["ops"])
    assert "Select TF ops" in by_id["lstm_1"]["message"]
    assert by_id["dense_1"]["status"] == "builtin" and "FULLY_CONNECTED" in by_id["dense_1"]["ops"]
    assert "lstm_1" in deploy["message"]


def test_deploy_precheck_names_the_layer_tflite_cannot_convert(
        tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    graph = Graph()
    for nid, kind, params in [("input_1", "Input", {"shape": [28, 28, 1]}),
                              ("conv2d_1", "Conv2D", {"filters": 8, "kernel_size": [3, 3]}),
                              ("shrink", "Resizing", {"height": 13, "width": 13, "interpolation": "area"}),
                              ("flatten_1", "Flatten", {}), ("dense_1", "Dense", {"units": 10})]:
        graph.add_node(Node(nid, kind, params))
    for a, b in [("input_1", "conv2d_1"), ("conv2d_1", "shrink"), ("shrink", "flatten_1"), ("flatten_1", "dense_1")]:
        graph.connect(Edge.of(a, b))
    path = tmp_path / "area.vnn"
    save_project(Project(graph=graph), path)
    rc, data = _analyze(capsys, str(path), "--deploy")
    assert rc == 1  # a model TFLite cannot convert
    deploy = data["deploy"]
    assert deploy["status"] == "fails"
    failing = [n for n in deploy["nodes"] if n["status"] == "fails"]
    assert [n["id"] for n in failing] == ["shrink"]
    assert "ResizeArea" in failing[0]["ops"] and "bilinear" in failing[0]["message"]
    assert "shrink" in deploy["message"]
    assert next(n for n in deploy["nodes"] if n["id"] == "conv2d_1")["status"] == "builtin"


def test_deploy_precheck_of_a_cnn_is_builtin_with_sizes(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    project = TEMPLATES["cnn_small"].build()
    path = tmp_path / "cnn.vnn"
    save_project(project, path)
    rc, data = _analyze(capsys, str(path), "--deploy")
    assert rc == 0
    deploy = data["deploy"]
    assert deploy["status"] == "builtin"
    assert all(n["status"] == "builtin" for n in deploy["nodes"])
    assert "CONV_2D" in next(n for n in deploy["nodes"] if n["id"] == "conv2d_1")["ops"]
    weights = data["total"]["params"] * 4
    sizes = deploy["sizes"]
    assert weights < sizes["fp32"] < weights * 1.5  # the float32 file is mostly its weights
    assert sizes["fp32"] > sizes["fp16"] > sizes["int8"] > 0


@pytest.mark.tf
@pytest.mark.slow
@pytest.mark.parametrize(("family", "size"), [("MobileNetV3Small", 96), ("EfficientNetV2B0", 64), ("ConvNeXtTiny", 64)])
def test_imported_applications_with_keras_operations_are_analysed(
        family: str, size: int, tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    # The families whose configs hold Keras operations (x + 3.0), hard_silu, LayerScale, a fixed Normalization, nested
    # Sequentials and configured initializers: the written project opens again and every node has a formula.
    import keras  # type: ignore[import-untyped]

    model = getattr(keras.applications, family)(weights=None, include_top=False, input_shape=(size, size, 3),
                                                pooling="avg")
    src = tmp_path / f"{family}.keras"
    model.save(src)
    vnn = tmp_path / f"{family}.vnn"
    assert main(["import-model", str(src), "-o", str(vnn)]) == 0
    capsys.readouterr()
    rc, data = _analyze(capsys, str(vnn), "--batch-size", "4")
    assert rc == 0, data
    assert data["without_formula"] == [] and data["unknown"] == []
    assert all(row["macs"] is not None and row["formula"] for row in data["layers"])
    total = data["total"]
    assert total["params"] == model.count_params()
    assert total["flops"] > 2 * total["macs"] > 0
    assert total["training_peak_bytes"] > total["inference_peak_bytes"] > 0
