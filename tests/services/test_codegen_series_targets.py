"""The exported script of a time series with several target columns (issue 14): y is a dict per output, the
script sees the app's windows and targets, and reproduces `visualnn train`'s per-epoch losses."""

from __future__ import annotations

import importlib.util
from pathlib import Path
from types import ModuleType

import pytest

from tests.services.script_parity import app_and_script_histories, assert_same_losses
from tests.services.series_helpers import LENGTH, series_graph, series_project, write_series
from visualnn.core.codegen import generate_script
from visualnn.core.project.io import save_project

pytestmark = pytest.mark.tf


def _load(code: str, path: Path) -> ModuleType:
    path.write_text(code)
    spec = importlib.util.spec_from_file_location(path.stem, path)
    assert spec is not None and spec.loader is not None
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


@pytest.mark.parametrize("vector", [False, True])
def test_the_script_cuts_the_apps_windows_and_targets(tmp_path: Path, vector: bool) -> None:
    import numpy as np

    from visualnn.services.datasets.prepare import prepare
    from visualnn.services.script_facts import script_facts

    write_series(str(tmp_path))
    graph = series_graph(("both",), units=2) if vector else series_graph()
    project = series_project(graph=graph, targets=["temp", "hum"], outputs={} if vector else {"hum": "hum"})
    assert project.dataset is not None
    facts = script_facts(project, str(tmp_path), str(tmp_path))
    assert facts is not None and facts["targets"] == ["temp", "hum"]
    module = _load(generate_script(project, "functional", facts=facts), tmp_path / "series_script.py")
    (x, y), _, (x_test, y_test) = module.load_data()
    outs = ["both"] if vector else ["temp", "hum"]
    app = prepare(project.dataset, str(tmp_path), 16, inputs=["window"], outputs=outs)
    xs, ys = zip(*app.test.as_numpy_iterator(), strict=True)
    if vector:
        assert x.shape[1:] == (LENGTH, 3) and y.shape[1] == 2
        np.testing.assert_allclose(x_test, np.concatenate(xs), atol=1e-6)
        np.testing.assert_allclose(y_test, np.concatenate(ys), atol=1e-6)
    else:
        assert x.shape[1:] == (LENGTH, 3) and set(y) == {"temp", "hum"} and y["hum"].shape[1] == 1
        np.testing.assert_allclose(x_test, np.concatenate([b["window"] for b in xs]), atol=1e-6)
        for name in ("temp", "hum"):
            np.testing.assert_allclose(y_test[name], np.concatenate([b[name] for b in ys]), atol=1e-6)


@pytest.mark.slow
@pytest.mark.parametrize("style", ["functional", "subclass"])
def test_export_code_reproduces_the_apps_per_epoch_losses_on_a_series_with_two_targets(tmp_path: Path,
                                                                                        style: str) -> None:
    write_series(str(tmp_path))
    project = series_project(targets=["temp", "hum"])
    project.training = project.training.with_changes(deterministic=True, device="cpu", epochs=2)
    vnn = tmp_path / "series.vnn"
    save_project(project, vnn)
    app, script = app_and_script_histories(vnn, style)
    assert_same_losses(app, script, ("loss", "temp_loss", "hum_loss", "val_loss", "val_temp_loss", "val_hum_loss",
                                     "temp_mae", "hum_mae"))
    assert (tmp_path / "script.keras").exists()
