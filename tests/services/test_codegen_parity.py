"""The exported code builds the app's model, loads the app's tensors and trains to the app's history."""

from __future__ import annotations

import importlib.util
import json
import os
import shutil
import subprocess
import sys
from pathlib import Path
from types import ModuleType
from typing import Any

import pytest

from tests.services.script_parity import app_and_script_histories, assert_same_losses
from tests.template_helpers import offline_template
from visualnn.core.codegen import generate_model_code, generate_script
from visualnn.core.sequential import sequential_problem
from visualnn.core.templates import TEMPLATES

pytestmark = pytest.mark.tf

ROOT = Path(__file__).resolve().parents[2]
EXAMPLES = ROOT / "resources" / "examples"


def load_module(code: str, path: Path) -> ModuleType:
    """Import generated code from a file (as a user would import the script)."""
    path.write_text(code)
    spec = importlib.util.spec_from_file_location(path.stem, path)
    assert spec is not None and spec.loader is not None
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


def layer_configs(model: Any) -> dict[str, str]:
    """Layer name -> config (without the name) for every non-input layer."""
    out = {}
    for layer in model.layers:
        if layer.__class__.__name__ == "InputLayer":
            continue
        cfg = {k: v for k, v in layer.get_config().items() if k != "name"}
        out[layer.name] = f"{layer.__class__.__name__} {json.dumps(cfg, sort_keys=True, default=str)}"
    return out


def styles_for(project: Any) -> list[str]:
    return ["functional", "subclass"] + (["sequential"] if sequential_problem(project.graph) is None else [])


@pytest.mark.parametrize("name", sorted(TEMPLATES))
def test_generated_model_matches_the_builder_in_every_style(name: str, tmp_path: Path) -> None:
    from visualnn.services.keras_builder import build_model

    project = offline_template(name)  # tests never download ImageNet weights: random ones build the same model
    import keras

    # Each build starts Keras's automatic layer names afresh: a nested network (a pretrained backbone) names its
    # unnamed layers from global counters, which would differ between the two builds and nothing else.
    keras.backend.clear_session()
    reference = build_model(project.graph)
    for style in styles_for(project):
        module = load_module(generate_model_code(project, style), tmp_path / f"gen_{name}_{style}.py")
        keras.backend.clear_session()
        model = module.build_model()
        assert model.count_params() == reference.count_params(), style
        assert auto_inputs(layer_configs(model)) == auto_inputs(layer_configs(reference)), style


def auto_inputs(configs: dict[str, str]) -> dict[str, str]:
    """Configs with Keras's automatic InputLayer names made equal: a nested network's own Input is numbered after
    the Inputs made before it, and the subclass style makes one more (unnamed) symbolic Input to build."""
    import re

    return {k: re.sub(r'"input_layer(_\d+)?"', '"input_layer"', v) for k, v in configs.items()}


def _example(kind: str, tmp_path: Path) -> tuple[Any, Path]:
    """A copy of a bundled example project (with its data) in ``tmp_path``."""
    from visualnn.core.project.io import load_project

    folder = tmp_path / kind
    shutil.copytree(EXAMPLES / kind, folder)
    return load_project(folder / f"{kind}.vnn"), folder


def _batches(ds: Any) -> list[tuple[Any, Any]]:
    return [(x.numpy(), y.numpy()) for x, y in ds]


@pytest.mark.parametrize("kind", ["tabular", "timeseries"])
def test_script_pipeline_yields_the_app_tensors_in_the_same_order(kind: str, tmp_path: Path) -> None:
    import numpy as np

    from visualnn.services.datasets import prepare
    from visualnn.services.script_facts import script_facts

    project, folder = _example(kind, tmp_path)
    facts = script_facts(project, str(folder), str(folder))
    module = load_module(generate_script(project, facts=facts), folder / "train_script.py")
    seed = project.training.seed
    app = prepare(project.dataset, str(folder), batch_size=16, seed=seed)
    (x_tr, y_tr), (x_va, y_va), (x_te, y_te) = module.load_data()
    assert (len(y_tr), len(y_va), len(y_te)) == (app.n_train, app.n_val, app.n_test)
    script = {"train": module.make_dataset(x_tr, y_tr, 16, training=True), "val": module.make_dataset(x_va, y_va, 16, False),
              "test": module.make_dataset(x_te, y_te, 16, False)}
    for split in ("train", "val", "test"):
        ours, theirs = _batches(script[split]), _batches(getattr(app, split))
        assert len(ours) == len(theirs), split
        for (xa, ya), (xb, yb) in zip(ours, theirs, strict=True):
            np.testing.assert_array_equal(xa, xb)
            np.testing.assert_array_equal(ya, yb)


def test_script_lists_the_same_images_and_labels(tmp_path: Path) -> None:
    import numpy as np

    from visualnn.services.datasets import prepare
    from visualnn.services.script_facts import script_facts

    project, folder = _example("images", tmp_path)
    facts = script_facts(project, str(folder), str(folder))
    module = load_module(generate_script(project, facts=facts), folder / "img_script.py")
    app = prepare(project.dataset, str(folder), batch_size=8, seed=project.training.seed)
    (f_tr, y_tr), (f_va, y_va), _ = module.load_data()
    assert (len(f_tr), len(f_va)) == (app.n_train, app.n_val)
    ours = _batches(module.make_dataset(f_va, y_va, 8, training=False))
    theirs = _batches(app.val)
    for (xa, ya), (xb, yb) in zip(ours, theirs, strict=True):
        np.testing.assert_allclose(xa, xb, atol=1e-6)
        np.testing.assert_array_equal(ya, yb)


def test_exported_script_trains_to_the_app_history(tmp_path: Path) -> None:
    """Same seed, deterministic ops, CPU: `visualnn train` and the script give the same history."""
    from visualnn.core.project.io import save_project

    project, folder = _example("tabular", tmp_path)
    project.training = project.training.with_changes(epochs=2, deterministic=True, device="cpu")
    vnn = folder / "tabular.vnn"
    save_project(project, vnn)
    app_history, script_history = app_and_script_histories(vnn)
    assert set(script_history) <= set(app_history) | {"learning_rate"}
    assert_same_losses(app_history, script_history, script_history)


@pytest.mark.parametrize("pixels", [True, False])
def test_numpy_script_matches_the_app(tmp_path: Path, pixels: bool) -> None:
    import numpy as np

    from visualnn.core.dataset import DatasetSpec
    from visualnn.services.datasets import prepare
    from visualnn.services.script_facts import script_facts

    rng = np.random.default_rng(5)
    x = rng.integers(0, 256, (120, 6, 6, 1)).astype("uint8") if pixels else rng.standard_normal((120, 5))
    y = rng.integers(0, 3, 120)
    np.savez(tmp_path / "arrays.npz", x=x, y=y)
    project = TEMPLATES["cnn_small" if pixels else "mlp_classifier"].build()
    project.dataset = DatasetSpec("numpy", "arrays.npz", {"split": {"val": 0.25, "test": 0.1, "seed": 3}})
    facts = script_facts(project, str(tmp_path), str(tmp_path))
    module = load_module(generate_script(project, facts=facts), tmp_path / f"np_script_{pixels}.py")
    app = prepare(project.dataset, str(tmp_path), batch_size=16, seed=project.training.seed)
    splits = module.load_data()
    for (xs, ys), split, training in zip(splits, ("train", "val", "test"), (True, False, False), strict=True):
        ours = _batches(module.make_dataset(xs, ys, 16, training))
        theirs = _batches(getattr(app, split))
        assert len(ours) == len(theirs)
        for (xa, ya), (xb, yb) in zip(ours, theirs, strict=True):
            np.testing.assert_array_equal(xa, xb)
            np.testing.assert_array_equal(ya, yb)


def test_evaluate_json_and_the_script_name_the_same_split_and_agree(tmp_path: Path) -> None:
    """`visualnn new --data` -> train -> `evaluate --json` and the exported script: same split name, same loss.

    12 rows per class are too few for a test split, so both score validation and must say so (the case
    that printed "test" before). The script's test-split wording is checked in tests/core/test_codegen_script.py.
    """
    rows_per_class = 12
    import numpy as np

    from visualnn.core.dataset import NO_TEST_LABEL
    from visualnn.core.project.io import load_project, save_project

    rng = np.random.default_rng(3)
    lines = ["f0,f1,f2,label"]
    for k, name in enumerate(("a", "b", "c")):
        for _ in range(rows_per_class):
            f = rng.normal(size=3) + 2.5 * np.eye(3)[k]
            lines.append(f"{f[0]:.4f},{f[1]:.4f},{f[2]:.4f},{name}")
    (tmp_path / "data.csv").write_text("\n".join(lines) + "\n")
    env = dict(os.environ, CUDA_VISIBLE_DEVICES="", TF_CPP_MIN_LOG_LEVEL="3", PYTHONPATH=str(ROOT))
    vnn = tmp_path / "p.vnn"

    def cli(*args: str) -> str:
        done = subprocess.run([sys.executable, "-m", "visualnn.cli", *args], env=env, capture_output=True, text=True,
                              timeout=600)
        assert done.returncode == 0, done.stderr[-2000:]
        return done.stdout

    cli("new", "--template", "mlp_classifier", "--data", str(tmp_path / "data.csv"), "--target", "label", "-o", str(vnn))
    project = load_project(vnn)
    project.training = project.training.with_changes(epochs=2, deterministic=True, device="cpu")
    save_project(project, vnn)
    cli("export-code", str(vnn), "-o", str(tmp_path / "train.py"))
    cli("train", str(vnn))
    report = json.loads(cli("evaluate", str(vnn), "--json"))
    probe = "import sys; sys.path.insert(0, '.'); import train; train.main(['--output', 'script_model.keras'])"
    run = subprocess.run([sys.executable, "-c", probe], cwd=tmp_path, env=env, capture_output=True, text=True,
                         timeout=600)
    assert run.returncode == 0, run.stderr[-2000:]
    (line,) = [x for x in run.stdout.splitlines() if x.startswith("Evaluation on the ")]
    label, metrics = line[len("Evaluation on the "):].split(": ", 1)
    expected = NO_TEST_LABEL if rows_per_class < 20 else "test split"
    assert report["split_label"] == label == expected
    assert report["split"] == ("val" if rows_per_class < 20 else "test")
    scores = dict((kv.rsplit(" ", 1)[0], float(kv.rsplit(" ", 1)[1])) for kv in metrics.split(", "))
    assert abs(scores["loss"] - report["metrics"]["loss"]) <= 1e-3, (scores, report["metrics"])
    assert abs(scores["accuracy"] - report["metrics"]["accuracy"]) <= 1e-3
