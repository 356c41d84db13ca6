"""``visualnn export-model FILE.vnn -o model.onnx``: tf2onnx conversion checked with onnxruntime on raw inputs.

Every bundled example is trained for one epoch and exported; the parity report (the same one as for
.keras/SavedModel/TFLite) must pass on raw held-out samples, and the file must run in a fresh
onnxruntime session with inputs named as the app's Inputs. A layer tf2onnx cannot convert, and a
missing ONNX package, each fail with a message naming the node or the pip command, and write no file.
"""

from __future__ import annotations

import json
import shutil
import sys
from pathlib import Path
from typing import Any

import pytest

from visualnn.cli import main

pytestmark = pytest.mark.tf

ROOT = Path(__file__).resolve().parents[2]
EXAMPLES = sorted(p.name for p in (ROOT / "resources" / "examples").iterdir() if p.is_dir())


def _example(tmp_path: Path, kind: str) -> Path:
    shutil.copytree(ROOT / "resources" / "examples" / kind, tmp_path / kind)
    return tmp_path / kind / f"{kind}.vnn"


def _json(capsys: Any) -> dict[str, Any]:
    out = capsys.readouterr().out.strip().splitlines()
    return dict(json.loads(out[-1]))


def test_every_bundled_example_is_covered() -> None:
    assert {"tabular", "images", "timeseries", "two_inputs"} <= set(EXAMPLES)


@pytest.mark.slow
@pytest.mark.parametrize("kind", EXAMPLES)
def test_trained_example_exports_to_onnx_with_parity_on_raw_inputs(kind: str, tmp_path: Path, capsys: Any) -> None:
    import numpy as np
    import onnxruntime as ort

    vnn = _example(tmp_path, kind)
    assert main(["train", str(vnn), "--epochs", "1", "--json"]) == 0
    capsys.readouterr()
    out = tmp_path / "export" / "model.onnx"
    rc = main(["export-model", str(vnn), "-o", str(out), "--samples", "64", "--json"])
    result = _json(capsys)
    report = result["report"]
    assert rc == 0, report
    assert result["ok"] and result["run"]  # the trained run's model, and its report stored in the run
    assert report["format"] == "onnx" and report["passed"]
    assert report["sample_source"].startswith("raw ")  # raw rows / image files / samples, as the user gave them
    assert 0 < report["samples"] <= 64 and report["max_abs_diff"] <= 1e-5
    classifier = kind != "timeseries"  # the weather example forecasts a temperature
    assert report["class_agreement"] == (1.0 if classifier else None)
    assert report["metric"] == ("accuracy" if classifier else "mae")
    assert report["metric_app"] == pytest.approx(report["metric_export"])
    assert any("onnxruntime" in n for n in report["notes"])
    stored = json.loads(vnn.read_text())["runs"][-1]["extra"]["exports"][-1]
    assert stored["format"] == "onnx" and stored["path"] == str(out)

    # The file stands alone: a plain onnxruntime session, inputs named as in the app.
    session = ort.InferenceSession(str(out), providers=["CPUExecutionProvider"])
    names = [i.name for i in session.get_inputs()]
    expected = {"tabular": ["features"], "images": ["image"], "timeseries": ["window"],
                "two_inputs": ["tabular", "sequence"]}[kind]
    assert sorted(names) == sorted(expected)
    feed = {}
    for i in session.get_inputs():
        shape = [d if isinstance(d, int) else (20 if kind == "images" else 2) for d in i.shape]
        feed[i.name] = np.random.default_rng(0).uniform(0, 1, shape).astype("float32")
    outputs = session.run(None, feed)
    assert all(o.shape[0] == feed[names[0]].shape[0] for o in outputs)
    if classifier:  # their (first) output is a softmax over the classes
        assert any(o.shape[-1] > 1 and np.allclose(o.sum(-1), 1.0, atol=1e-4) for o in outputs)


def _discretizing_project(tmp_path: Path) -> Path:
    """Input -> Dense 'hidden' -> a generic Discretization node 'binning' (tf2onnx has no Bucketize)."""
    from visualnn.core.graph import Edge, Graph, Node
    from visualnn.core.project import Project
    from visualnn.core.project.io import save_project
    from visualnn.core.specs.builtin.generic import config_text

    graph = Graph()
    graph.add_node(Node("input_1", "Input", {"shape": [4]}))
    graph.add_node(Node("dense_1", "Dense", {"units": 3}, name="hidden"))
    binning = {"module": "keras.layers", "class_name": "Discretization",
               "config": {"bin_boundaries": [-0.5, 0.0, 0.5], "name": "binning"}}
    graph.add_node(Node("binning", "KerasLayer", {"config": config_text(binning), "output_shape": [3]}))
    graph.connect(Edge.of("input_1", "dense_1"))
    graph.connect(Edge.of("dense_1", "binning"))
    vnn = tmp_path / "bins.vnn"
    save_project(Project(graph, name="bins"), vnn)
    return vnn


def test_a_layer_tf2onnx_cannot_convert_is_named_and_no_file_is_left(tmp_path: Path, capsys: Any) -> None:
    vnn = _discretizing_project(tmp_path)
    out = tmp_path / "bins.onnx"
    rc = main(["export-model", str(vnn), "-o", str(out), "--json"])
    error = _json(capsys)
    assert rc == 1 and not error["ok"]
    message = error["error"]
    assert "Node 'binning' (Discretization) cannot be converted to ONNX" in message
    assert "Bucketize" in message  # the TensorFlow operation tf2onnx has no conversion for
    assert "Replace or remove 'binning'" in message and ".keras" in message
    assert not out.exists() and not Path(f"{out}.part").exists()


def test_without_the_onnx_packages_the_message_names_the_pip_command(tmp_path: Path, capsys: Any,
                                                                     monkeypatch: pytest.MonkeyPatch) -> None:
    vnn = _example(tmp_path, "tabular")
    monkeypatch.setitem(sys.modules, "tf2onnx", None)  # `import tf2onnx` raises ImportError, as when not installed
    out = tmp_path / "model.onnx"
    rc = main(["export-model", str(vnn), "-o", str(out), "--json"])
    error = _json(capsys)
    assert rc == 1
    assert "ONNX export needs tf2onnx, which is not installed" in error["error"]
    assert 'pip install "visualnn[onnx]"' in error["error"]
    assert not out.exists()


def test_onnx_takes_no_quantization(tmp_path: Path, capsys: Any) -> None:
    vnn = _example(tmp_path, "tabular")
    assert main(["export-model", str(vnn), "-o", str(tmp_path / "m.onnx"), "--quantize", "int8", "--json"]) == 1
    assert "applies to TFLite only" in _json(capsys)["error"]
