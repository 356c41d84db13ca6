"""The exported script of a time series with several target columns (issue 14): y is a dict per output, the
script sees the app's windows and targets, and reproduces `visualnn train`'s per-epoch losses."""

from __future__ import annotations

import importlib.util
import json
import os
import subprocess
import sys
from pathlib import Path
from types import ModuleType

import pytest

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
    root = Path(__file__).resolve().parents[2]
    write_series(str(tmp_path))
    project = series_project(targets=["temp", "hum"])
    project.training = project.training.with_changes(deterministic=True, device="cpu", epochs=2)
    vnn = tmp_path / "series.vnn"
    save_project(project, vnn)
    env = dict(os.environ, CUDA_VISIBLE_DEVICES="", TF_CPP_MIN_LOG_LEVEL="3", PYTHONPATH=str(root))
    cli = [sys.executable, "-m", "visualnn.cli"]
    export = subprocess.run([*cli, "export-code", str(vnn), "--style", style, "-o", str(tmp_path / "train.py")],
                            env=env, capture_output=True, text=True)
    assert export.returncode == 0, export.stderr[-2000:]
    train = subprocess.run([*cli, "train", str(vnn), "--json"], env=env, capture_output=True, text=True, timeout=600)
    assert train.returncode == 0, train.stderr[-2000:]
    app = json.loads(train.stdout)["history"]
    probe = ("import json, sys; sys.path.insert(0, '.'); import train; "
             "h = train.main(['--output', 'script.keras']); print('HISTORY' + json.dumps(h.history))")
    run = subprocess.run([sys.executable, "-c", probe], cwd=tmp_path, env=env, capture_output=True, text=True,
                         timeout=600)
    assert run.returncode == 0, run.stderr[-2000:]
    script = json.loads(run.stdout.split("HISTORY", 1)[1])
    for key in ("loss", "temp_loss", "hum_loss", "val_loss", "val_temp_loss", "val_hum_loss", "temp_mae", "hum_mae"):
        assert len(script[key]) == 2, key
        assert all(abs(a - b) <= 1e-5 for a, b in zip(script[key], app[key], strict=True)), (key, script[key], app[key])
    assert (tmp_path / "script.keras").exists()
