"""Every pipeline the app trains on, and every exported script's ``make_dataset()``, runs with tf.data's
autotuner off: its tuning thread held up the end of a third of MobileNetV3Small's epochs for 5 s with no CPU
spent (both sides of ``bench/bench_transfer.py``), so app and script must carry the same fixed settings."""

from __future__ import annotations

import contextlib
import importlib.util
import io
import shutil
import sys
from pathlib import Path

import pytest

from visualnn.core.model_io import input_names, output_names
from visualnn.core.project.io import load_project
from visualnn.services.datasets.pipeline_code import pipeline_code
from visualnn.services.script_export import export_script, write_script
from visualnn.services.training_data import load_data

EXAMPLES = Path(__file__).resolve().parents[2] / "resources" / "examples"
CASES = ["images/images.vnn", "tabular/tabular.vnn", "timeseries/timeseries.vnn", "two_inputs/two_inputs.vnn"]


def _example(tmp_path: Path, case: str) -> Path:
    folder = tmp_path / "ex"
    shutil.copytree(EXAMPLES / case.split("/")[0], folder)
    return folder / case.split("/")[1]


@pytest.mark.parametrize("case", CASES)
def test_app_pipelines_run_without_the_autotuner(tmp_path: Path, case: str) -> None:
    vnn = _example(tmp_path, case)
    project = load_project(vnn)
    data = load_data(project.dataset, str(vnn.parent), 16, 7, inputs=input_names(project.graph),
                     outputs=output_names(project.graph))
    splits = {k: getattr(data, k) for k in ("train", "val", "test") if getattr(data, k) is not None}
    assert "train" in splits and "val" in splits
    for name, ds in splits.items():
        assert ds.options().autotune.enabled is False, (case, name)
    next(iter(data.train))  # the settings do not stop the pipeline from yielding a batch


@pytest.mark.parametrize("case", CASES)
def test_exported_make_dataset_runs_without_the_autotuner(tmp_path: Path, case: str,
                                                          monkeypatch: pytest.MonkeyPatch) -> None:
    vnn = _example(tmp_path, case)
    project = load_project(vnn)
    script = vnn.parent / "train_steady.py"
    write_script(export_script(project, "functional", str(vnn.parent), str(vnn.parent)), str(script))
    assert "options.autotune.enabled = False" in script.read_text()
    monkeypatch.chdir(vnn.parent)
    spec = importlib.util.spec_from_file_location(f"train_steady_{vnn.stem}", script)
    assert spec is not None and spec.loader is not None
    module = importlib.util.module_from_spec(spec)
    with contextlib.redirect_stdout(io.StringIO()):
        spec.loader.exec_module(module)
        (x_train, y_train), (x_val, y_val), _ = module.load_data()
    sys.modules.pop(module.__name__, None)
    for training, (x, y) in ((True, (x_train, y_train)), (False, (x_val, y_val))):
        ds = module.make_dataset(x, y, 16, training=training)
        assert ds.options().autotune.enabled is False, (case, training)
    next(iter(module.make_dataset(x_train, y_train, 16, training=True)))


def test_the_data_panels_pipeline_code_shows_the_same_settings() -> None:
    from visualnn.core.dataset import PipelineOptions

    code = pipeline_code(PipelineOptions(), 100, 42)
    assert "options.autotune.enabled = False" in code
    assert code.index("prefetch") < code.index("with_options(options)")
