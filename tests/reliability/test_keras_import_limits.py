"""Hostile ``.keras`` archives: config bombs, weights bombs, deep nesting and look-alike modules are refused.

Every archive is built here in ``tmp_path``. The memory tests run the real import
(:func:`~visualnn.services.export_project.import_project`, the path of ``visualnn import-model`` and of the
engine's import job) in a child process (``keras_import_child``) under an address-space limit and read the
child's peak resident memory.
"""

from __future__ import annotations

import json
import struct
import subprocess
import sys
import threading
import zipfile
from pathlib import Path
from typing import Any

import pytest

from visualnn.cli import main
from visualnn.core.dataset import DatasetSpec
from visualnn.core.graph import Edge, Graph, Node
from visualnn.core.project import Project
from visualnn.core.project.io import save_project
from visualnn.core.specs.builtin.generic import config_text
from visualnn.core.training_config import TrainingConfig

ROOT = Path(__file__).resolve().parents[2]
MB = 1 << 20

SMALL = {
    "class_name": "Sequential",
    "config": {
        "name": "small",
        "layers": [
            {"class_name": "InputLayer", "config": {"batch_shape": [None, 4], "name": "x"}},
            {"module": "keras.layers", "class_name": "Dense", "config": {"name": "out", "units": 2}},
        ],
    },
}

# 464 bytes on disk: a Dense(10000) over 100,000 features whose initializer keeps it a generic node.
# Building it would allocate its 1,000,010,000 float32 weights (4 GB; 8.8 GB RSS before the fix).
WIDE = {
    "class_name": "Sequential",
    "config": {
        "name": "wide",
        "layers": [
            {"class_name": "InputLayer", "config": {"batch_shape": [None, 100_000], "name": "x"}},
            {
                "module": "keras.layers",
                "class_name": "Dense",
                "config": {
                    "name": "huge",
                    "units": 10_000,
                    "kernel_initializer": {"module": "keras.initializers", "class_name": "Orthogonal",
                                           "config": {"seed": 3}},
                },
            },
        ],
    },
}
WIDE_PARAMS = 100_000 * 10_000 + 10_000


def _archive(path: Path, config: Any, pad: int = 0, weights: bytes | None = None) -> Path:
    """A ``.keras`` zip whose ``config.json`` is ``config`` followed by ``pad`` spaces (deflated chunk by chunk)."""
    with zipfile.ZipFile(path, "w", zipfile.ZIP_DEFLATED) as zf:
        with zf.open("config.json", "w", force_zip64=pad > 1 << 30) as fh:
            fh.write(config.encode() if isinstance(config, str) else json.dumps(config).encode())
            chunk = b" " * (4 * MB)
            while pad > 0:
                fh.write(chunk[: min(pad, len(chunk))])
                pad -= min(pad, len(chunk))
        if weights is not None:
            zf.writestr("model.weights.h5", weights)
    return path


def _child(*models: Path, weights: tuple[Path, ...] = (), limit_gb: float = 4.0) -> list[dict[str, Any]]:
    """The real import of each model (``weights``: with weights) in one child process under RLIMIT_AS.

    Its JSON reports, in that order; a crash or a traceback fails the test.
    """
    proc = subprocess.run(
        [sys.executable, "-m", "tests.reliability.keras_import_child", *map(str, models), "--weights",
         *map(str, weights), "--limit-gb", str(limit_gb)],
        cwd=ROOT, capture_output=True, text=True, timeout=300,
    )
    reports = [json.loads(line) for line in proc.stdout.splitlines() if line.startswith("{")]
    assert proc.returncode == 0 and len(reports) == len(models) + len(weights), (
        f"the import crashed (exit {proc.returncode}):\n{proc.stderr[-4000:]}"
    )
    return reports


# ---------------------------------------------------------------------------------------------- config size
def test_a_config_bomb_is_refused_from_its_declared_size_before_inflating(tmp_path: Path) -> None:
    # 64 MB of config.json in a ~0.1 MB archive (the 1 GB bomb imported at 2 GB RSS).
    bomb = _archive(tmp_path / "bomb.keras", SMALL, pad=64 * MB)
    assert bomb.stat().st_size < MB
    [report] = _child(bomb, limit_gb=3.0)
    assert not report["ok"], "a 64 MB config must be refused"
    assert "bomb.keras" in report["error"] and "config.json" in report["error"]
    assert "64.0 MB" in report["error"] and "16 MB" in report["error"]
    assert report["maxrss_mb"] < 300, f"the refusal inflated the config: {report['maxrss_mb']:.0f} MB peak"


def test_the_config_cap_admits_exactly_its_size_and_refuses_one_byte_more(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    from visualnn.services import keras_config

    monkeypatch.setattr(keras_config, "MAX_CONFIG_BYTES", 64 * 1024)
    text = json.dumps(SMALL)
    under = _archive(tmp_path / "under.keras", SMALL, pad=64 * 1024 - len(text))
    assert keras_config.read_config(under)["config"]["name"] == "small"
    over = _archive(tmp_path / "over.keras", SMALL, pad=64 * 1024 - len(text) + 1)
    with pytest.raises(keras_config.ModelImportError, match=r"over\.keras: its config\.json inflates to 0\.1 MB"):
        keras_config.read_config(over)
    # The same cap holds for a plain Keras JSON file.
    plain = tmp_path / "over.json"
    plain.write_text(text + " " * (64 * 1024 - len(text) + 1))
    with pytest.raises(keras_config.ModelImportError, match=r"over\.json: its model config is 0\.1 MB"):
        keras_config.read_config(plain)


def test_a_config_entry_that_lies_about_its_size_is_read_no_further_than_declared(tmp_path: Path) -> None:
    from visualnn.services.importing import ModelImportError, read_config

    liar = _archive(tmp_path / "liar.keras", SMALL, pad=8 * MB)
    data = bytearray(liar.read_bytes())
    central = data.index(b"PK\x01\x02")
    struct.pack_into("<I", data, central + 24, 100)  # the central directory now claims 100 bytes
    liar.write_bytes(bytes(data))
    with pytest.raises(ModelImportError, match=r"Cannot read liar\.keras"):
        read_config(liar)


# ---------------------------------------------------------------------------------------------- weights
@pytest.fixture(scope="module")
def weight_bombs(tmp_path_factory: pytest.TempPathFactory) -> dict[str, dict[str, Any]]:
    """The weight-bomb archives imported in one child (one TensorFlow start): name -> the child's report."""
    folder = tmp_path_factory.mktemp("weight_bombs")
    wide = _archive(folder / "wide.keras", WIDE)
    assert wide.stat().st_size < 600
    # A weights entry of 256 MB of zeros deflated to ~0.25 MB, for a model whose 100,001,000 weights it could hold.
    narrower = json.loads(json.dumps(WIDE))
    narrower["config"]["layers"][1]["config"]["units"] = 1_000
    inflating = _archive(folder / "inflating.keras", narrower)
    with zipfile.ZipFile(inflating, "a", zipfile.ZIP_DEFLATED) as zf, zf.open(
        "model.weights.h5", "w", force_zip64=True
    ) as fh:
        for _ in range(64):
            fh.write(bytes(4 * MB))
    with_weights = {
        "missing": _archive(folder / "noweights.keras", WIDE),
        "tiny": _archive(folder / "tiny.keras", WIDE, weights=b"\0" * 4096),
        "inflated": inflating,
    }
    reports = _child(wide, weights=tuple(with_weights.values()))
    return dict(zip(["wide", *with_weights], reports, strict=True))


@pytest.mark.tf
def test_a_wide_generic_layer_is_imported_without_building_its_weights(weight_bombs: dict[str, Any]) -> None:
    report = weight_bombs["wide"]
    assert report["ok"], report.get("error")
    assert report["nodes"][1] == ["huge", "KerasLayer", [10_000], WIDE_PARAMS]
    assert not [n for n in report["notes"] if "could not compute" in n], report["notes"]
    assert report["maxrss_mb"] < 1024, f"the import built the weights: {report['maxrss_mb']:.0f} MB peak"


@pytest.mark.tf
def test_importing_weights_is_refused_before_building_when_the_archive_cannot_hold_them(
    weight_bombs: dict[str, Any],
) -> None:
    missing, tiny, inflated = weight_bombs["missing"], weight_bombs["tiny"], weight_bombs["inflated"]
    assert not missing["ok"] and "noweights.keras holds no model.weights.h5" in missing["error"]
    assert not tiny["ok"]
    assert f"{WIDE_PARAMS:,} weights" in tiny["error"] and "4,096 bytes" in tiny["error"], tiny["error"]
    assert "tiny.keras" in tiny["error"] and "without weights" in tiny["error"]
    assert not inflated["ok"]
    assert "inflating.keras: its model.weights.h5 inflates from" in inflated["error"], inflated["error"]
    assert f"to {256 * MB:,} bytes, more than 20 times" in inflated["error"]
    # The child's peak so far, after all four imports: no model was built, no weight allocated.
    assert inflated["maxrss_mb"] < 1024, f"a model was built: {inflated['maxrss_mb']:.0f} MB peak"


# ---------------------------------------------------------------------------------------------- deep nesting
def _deep(depth: int) -> str:
    """A Sequential config whose one layer carries a value nested ``depth`` lists deep."""
    text = json.dumps(SMALL)
    return text.replace('"units": 2', '"units": 2, "junk": ' + "[" * depth + "]" * depth)


@pytest.mark.parametrize("depth", [300, 50_000])
def test_a_deeply_nested_config_is_refused_naming_the_file(tmp_path: Path, depth: int) -> None:
    from visualnn.services.importing import ModelImportError, import_model

    path = _archive(tmp_path / "deep.keras", _deep(depth))
    with pytest.raises(ModelImportError, match=r"deep\.keras: its model config is nested more than 100 levels deep"):
        import_model(path)


def test_import_model_cli_refuses_deep_nesting_with_exit_2_and_no_traceback(tmp_path: Path, capsys: Any) -> None:
    path = _archive(tmp_path / "deep.keras", _deep(50_000))
    assert main(["import-model", str(path), "-o", str(tmp_path / "deep.vnn")]) == 2
    err = capsys.readouterr().err
    assert "deep.keras: its model config is nested more than 100 levels deep" in err
    assert "Traceback" not in err and "RecursionError" not in err
    assert not (tmp_path / "deep.vnn").exists()


def test_the_engine_import_job_refuses_deep_nesting_with_the_message(tmp_path: Path) -> None:
    import visualnn.engine.handlers_export  # noqa: F401  (registers the handlers)
    from visualnn.engine import JobContext, handler_for
    from visualnn.services.importing import ModelImportError

    handler = handler_for("import_model")
    assert handler is not None
    path = _archive(tmp_path / "deep.keras", _deep(50_000))
    ctx = JobContext("job-1", {"path": str(path)}, lambda kind, data: None, stop=threading.Event())
    with pytest.raises(ModelImportError, match=r"deep\.keras: its model config is nested"):
        handler(ctx)


# ---------------------------------------------------------------------------------------------- allow list
@pytest.mark.parametrize("module", ["keras", "keras.layers", "keras.src.layers.core.dense", None])
def test_the_safety_check_admits_keras_and_its_submodules(module: str | None) -> None:
    from visualnn.services.generic_layers import check_safe

    check_safe({"module": module, "class_name": "Dense", "config": {"name": "d"}})


@pytest.mark.parametrize("module", ["kerasevil", "kerasevil.layers", "keras_evil.layers", "keras_hub.layers", "os"])
def test_the_safety_check_refuses_look_alike_packages(module: str) -> None:
    from visualnn.services.generic_layers import UnsafeConfigError, check_safe

    with pytest.raises(UnsafeConfigError, match=f"'d' uses the custom object 'Dense' \\(module '{module}'\\)"):
        check_safe({"module": module, "class_name": "Dense", "config": {"name": "d"}})


def test_an_archive_naming_a_look_alike_module_is_refused(tmp_path: Path) -> None:
    from visualnn.services.importing import ModelImportError, import_model

    config = json.loads(json.dumps(SMALL))
    config["config"]["layers"][1]["module"] = "kerasevil.layers"
    with pytest.raises(ModelImportError, match=r"'out' uses the custom object 'Dense' \(module 'kerasevil\.layers'\)"):
        import_model(_archive(tmp_path / "evil.keras", config))


def _project_with_unsafe_generic_node(folder: Path) -> Path:
    """A CSV project: Input(4) -> generic ``penalty`` (module kerasevil.layers) -> Dense(3), as a crafted file holds it."""
    rows = ["f0,f1,f2,f3,label"] + [f"{i % 3},{i % 5},{i % 7},{i % 2},{'abc'[i % 3]}" for i in range(60)]
    (folder / "data.csv").write_text("\n".join(rows) + "\n")
    g = Graph()
    g.add_node(Node("input_1", "Input", {"shape": [4]}))
    stored = {"module": "kerasevil.layers", "class_name": "ActivityRegularization",
              "config": {"name": "penalty", "l1": 0.5}}
    g.add_node(Node("penalty", "KerasLayer", {"config": config_text(stored), "output_shape": [4]}))
    g.add_node(Node("dense_1", "Dense", {"units": 3, "activation": "softmax"}))
    g.connect(Edge.of("input_1", "penalty"))
    g.connect(Edge.of("penalty", "dense_1"))
    project = Project(g, name="unsafe", dataset=DatasetSpec("csv", "data.csv", {"columns": {"label": {"role": "target"}}}),
                      training=TrainingConfig(epochs=1, batch_size=16))
    path = folder / "unsafe.vnn"
    save_project(project, path)
    return path


def test_check_reports_an_imported_node_whose_module_is_outside_the_allow_list(tmp_path: Path, capsys: Any) -> None:
    path = _project_with_unsafe_generic_node(tmp_path)
    assert main(["check", str(path)]) == 1
    out = capsys.readouterr().out
    assert "penalty" in out and "custom object 'ActivityRegularization' (module 'kerasevil.layers')" in out


def test_export_code_refuses_an_imported_node_whose_module_is_outside_the_allow_list(tmp_path: Path, capsys: Any) -> None:
    path = _project_with_unsafe_generic_node(tmp_path)
    script = tmp_path / "train.py"
    assert main(["export-code", str(path), "-o", str(script)]) == 1  # the model has errors (exit-code contract)
    err = capsys.readouterr().err
    assert "penalty: " in err and "module 'kerasevil.layers'" in err
    assert not script.exists()


@pytest.mark.tf
def test_train_refuses_an_imported_node_whose_module_is_outside_the_allow_list(tmp_path: Path, capsys: Any) -> None:
    path = _project_with_unsafe_generic_node(tmp_path)
    assert main(["train", str(path), "--epochs", "1"]) != 0
    err = capsys.readouterr().err
    assert "penalty: 'penalty' uses the custom object 'ActivityRegularization' (module 'kerasevil.layers')" in err
    assert not list(tmp_path.glob("runs/*/model.keras"))
