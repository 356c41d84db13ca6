"""``services.export_onnx`` through ``export_model``: names, several inputs and outputs, the unconverted-op check."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest

from tests.template_helpers import offline_template

pytestmark = pytest.mark.tf


def _two_in_two_out() -> Any:
    import keras

    left = keras.Input((5,), name="left")
    right = keras.Input((6, 2), name="right")
    x = keras.layers.Concatenate(name="joined")([left, keras.layers.Flatten(name="flat")(right)])
    x = keras.layers.Normalization(mean=0.5, variance=4.0, name="scaled")(x)  # constants, not variables
    kind = keras.layers.Dense(3, activation="softmax", name="kind")(x)
    score = keras.layers.Dense(1, name="score")(x)
    return keras.Model([left, right], [kind, score], name="two_heads")


def test_each_input_and_output_keeps_its_name_and_parity_holds(tmp_path: Path) -> None:
    import onnxruntime as ort

    from visualnn.services.export import export_model

    model = _two_in_two_out()
    out = tmp_path / "two.onnx"
    report = export_model(model, out, n_random=16)
    assert report.format == "onnx" and report.passed, report.summary()
    assert report.sample_source == "random" and report.samples == 16 and report.max_abs_diff <= 1e-5
    session = ort.InferenceSession(str(out), providers=["CPUExecutionProvider"])
    assert [i.name for i in session.get_inputs()] == ["left", "right"]
    assert [o.name for o in session.get_outputs()] == ["kind", "score"]
    # The Normalization's mean and variance are inside the file, not inputs a caller would have to feed.
    assert [list(i.shape)[1:] for i in session.get_inputs()] == [[5], [6, 2]]


def test_the_culprit_is_found_inside_the_wrapped_model_with_keras_scope_suffixes() -> None:
    import keras

    from visualnn.services.export_onnx import culprit, layer_paths

    inner = _two_in_two_out()
    a, b = keras.Input((5,), name="a"), keras.Input((6, 2), name="b")
    scaled = keras.layers.Rescaling(2.0, name="rescaling")(a)
    wrapped = keras.Model([a, b], inner([scaled, b]), name="with_preprocessing")
    paths = {name: canvas for name, _, canvas in layer_paths(wrapped)}
    assert paths["rescaling"] is False and paths["kind"] is True  # a preprocessing step vs a canvas node
    assert culprit(wrapped, "with_preprocessing_1/two_heads_1/scaled_1/Sub") == ("scaled", "Normalization", True)
    assert culprit(wrapped, "with_preprocessing_1/rescaling_1/Mul") == ("rescaling", "Rescaling", False)
    assert culprit(wrapped, "StatefulPartitionedCall/Identity") is None


def test_missing_packages_are_named_with_the_pip_command(monkeypatch: pytest.MonkeyPatch) -> None:
    import sys

    from visualnn.services.export_onnx import OnnxExportError, require_onnx

    require_onnx()  # installed here (the test extra)
    monkeypatch.setitem(sys.modules, "onnxruntime", None)
    monkeypatch.setitem(sys.modules, "onnx", None)
    with pytest.raises(OnnxExportError, match=r'needs onnx, onnxruntime, which are not installed.*pip install "visualnn\[onnx\]"'):
        require_onnx()


@pytest.mark.slow
def test_every_template_untrained_sequential_or_functional_exports_with_parity(tmp_path: Path) -> None:
    """Sequential models have no ``input`` structure nor ``output_names`` until called: both are handled."""
    import onnxruntime as ort

    from visualnn.core.templates import TEMPLATES
    from visualnn.services.export import export_model
    from visualnn.services.keras_builder import build_model

    modes = set()
    for name in TEMPLATES:
        graph = offline_template(name).graph  # pretrained backbones with random weights (no download)
        modes.add(graph.mode)
        model = build_model(graph)
        out = tmp_path / f"{name}.onnx"
        report = export_model(model, out, n_random=8)
        assert report.passed and report.max_abs_diff <= 1e-5, (name, report.summary())
        session = ort.InferenceSession(str(out), providers=["CPUExecutionProvider"])
        inputs = [n.label for n in graph if n.type == "Input"]
        assert sorted(i.name for i in session.get_inputs()) == sorted(inputs), name
        sinks = [graph.nodes[nid].label for nid in graph.sinks() if graph.nodes[nid].type != "Input"]
        assert [o.name for o in session.get_outputs()] == sinks, name
    assert modes == {"sequential", "functional"}


def test_the_engine_job_fails_with_the_node_named_as_the_window_shows_it(tmp_path: Path) -> None:
    """File > Export > ONNX sends ``export_model``; its error (the engine sends ``str(exc)``) names the node."""
    import visualnn.engine.handlers_export  # noqa: F401  (registers the handlers)
    from tests.cli.test_onnx_export import _discretizing_project
    from visualnn.core.project.io import load_project
    from visualnn.engine import JobContext, handler_for
    from visualnn.services.export import ExportError

    project = load_project(_discretizing_project(tmp_path))
    handler = handler_for("export_model")
    assert handler is not None
    out = tmp_path / "bins.onnx"
    payload = {"project": project.to_dict(), "base_dir": str(tmp_path), "out": str(out), "samples": 8}
    with pytest.raises(ExportError) as failed:
        handler(JobContext("job-1", payload, lambda kind, data: None))
    assert str(failed.value).startswith("ONNX export failed. Node 'binning' (Discretization) cannot be converted")
    assert not out.exists()
