"""The engine's ``import_model`` job on real Keras files: layer progress, weights kept beside the project, stop, errors."""

from __future__ import annotations

import threading
from pathlib import Path
from typing import Any

import numpy as np
import pytest

from visualnn.engine import JobContext, handler_for

pytestmark = pytest.mark.tf


def _model(layers: int = 3) -> Any:
    import keras

    keras.utils.set_random_seed(3)
    inputs = keras.Input((4,), name="features")
    x = inputs
    for i in range(layers):
        x = keras.layers.Dense(3 + i, activation="relu", name=f"hidden_{i}")(x)
    return keras.Model(inputs, keras.layers.Dense(2, name="out")(x), name="tiny")


def _run(payload: dict[str, Any], stop_after: int | None = None) -> tuple[dict[str, Any], list[tuple[str, dict[str, Any]]]]:
    import visualnn.engine.handlers_export  # noqa: F401  (registers the handlers)

    handler = handler_for("import_model")
    assert handler is not None
    messages: list[tuple[str, dict[str, Any]]] = []
    stop = threading.Event()

    def sink(kind: str, data: dict[str, Any]) -> None:
        messages.append((kind, data))
        if stop_after is not None and data.get("done") == stop_after:
            stop.set()  # what the server does when the window's Cancel sends "stop"

    return handler(JobContext("job-1", payload, sink, stop=stop)), messages


@pytest.mark.parametrize("suffix", [".keras", ".h5"])
def test_import_reports_each_layer_and_keeps_the_weights_beside_the_project(tmp_path: Path, suffix: str) -> None:
    import keras

    from visualnn.core.project.io import project_from_dict

    model = _model()
    source = tmp_path / f"tiny{suffix}"
    model.save(source)
    project_path = tmp_path / "proj" / "tiny.vnn"
    result, messages = _run({"path": str(source), "weights": True, "project_path": str(project_path)})

    counted = [d for kind, d in messages if kind == "status" and "done" in d]
    assert [d["done"] for d in counted] == [1, 2, 3, 4, 5] and {d["total"] for d in counted} == {5}
    assert counted[0]["layer"] == "features" and counted[-1]["layer"] == "out"
    assert any("Loading the weights of" in d["text"] for _k, d in messages)
    project = project_from_dict(result["project"], "test")
    assert [n.label for n in project.graph][-1] == "out" and len(project.graph) == 5
    (run,) = project.runs
    assert run.status == "imported" and run.model_path is not None
    saved = project_path.parent / run.model_path
    assert saved.is_file() and saved.parent.parent == project_path.parent / "runs"
    x = np.random.default_rng(0).normal(size=(6, 4)).astype("float32")
    np.testing.assert_allclose(keras.saving.load_model(saved).predict(x, verbose=0), model.predict(x, verbose=0),
                               rtol=1e-5, atol=1e-6)
    assert any(run.id in note for note in result["notes"])


def test_import_without_weights_writes_nothing(tmp_path: Path) -> None:
    source = tmp_path / "tiny.keras"
    _model().save(source)
    result, _ = _run({"path": str(source), "weights": False, "project_path": str(tmp_path / "p" / "x.vnn")})
    assert result["project"]["runs"] == [] and not (tmp_path / "p").exists()


def test_a_stopped_import_ends_between_layers(tmp_path: Path) -> None:
    source = tmp_path / "deep.keras"
    _model(layers=30).save(source)
    with pytest.raises(Exception, match="Import of deep.keras cancelled") as info:
        _run({"path": str(source), "weights": True, "project_path": str(tmp_path / "p" / "x.vnn")}, stop_after=5)
    assert type(info.value).__name__ == "ImportCancelled"
    assert not (tmp_path / "p").exists()  # no weights written for a cancelled import


def test_errors_name_the_file_and_the_fix(tmp_path: Path) -> None:
    import keras

    text = tmp_path / "notes.keras"
    text.write_text("not a model")
    with pytest.raises(ValueError, match=r"Cannot read notes.keras: .*Expected a .keras or .h5 file"):
        _run({"path": str(text)})
    corrupt = tmp_path / "broken.keras"
    _model().save(corrupt)
    corrupt.write_bytes(corrupt.read_bytes()[:200])
    with pytest.raises(ValueError, match=r"broken.keras"):
        _run({"path": str(corrupt)})
    weights_only = tmp_path / "only.weights.h5"
    _model().save_weights(weights_only)
    with pytest.raises(ValueError, match=r"only.weights.h5 holds weights only.*model.save\('model.keras'\)"):
        _run({"path": str(weights_only)})
    inputs = keras.Input((4,))
    lam = keras.Model(inputs, keras.layers.Lambda(lambda t: t * 2, name="double")(inputs))
    lam_path = tmp_path / "lambda.keras"
    lam.save(lam_path)
    with pytest.raises(ValueError, match=r"'double' is a Lambda layer.*Replace it with built-in layers"):
        _run({"path": str(lam_path)})
