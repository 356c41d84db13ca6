"""prepare(): tf.data pipelines for every source; x/y pairs survive shuffling; code text matches settings."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

import numpy as np
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from visualnn.core.dataset import DatasetSpec, PipelineOptions
from visualnn.services.datasets.errors import DataError
from visualnn.services.datasets.pipeline_code import pipeline_code

ROOT = Path(__file__).resolve().parents[2]
EXAMPLES = ROOT / "resources" / "examples"


def test_inspect_module_does_not_import_tensorflow() -> None:
    code = (
        "import sys; from visualnn.services.datasets.inspect import inspect_source; "
        f"inspect_source({str(EXAMPLES / 'tabular' / 'penguins.csv')!r}); "
        "from visualnn.services.datasets.attach import attach_dataset; "
        "assert 'tensorflow' not in sys.modules and 'keras' not in sys.modules, 'TF imported'"
    )
    subprocess.run([sys.executable, "-c", code], check=True, cwd=ROOT)


def test_pipeline_code_uses_course_vocabulary() -> None:
    text = pipeline_code(PipelineOptions(batch_size=16, repeat=True, cache=True), n_train=480, seed=3)
    assert "tf.data.Dataset.from_tensor_slices(x_train)" in text
    assert "tf.data.Dataset.zip((ds_x, ds_y))" in text
    assert "shuffle(buffer_size=480, seed=3" in text  # default buffer: the number of training examples
    assert ".batch(16)" in text and ".repeat()" in text and ".cache()" in text
    assert "prefetch(tf.data.AUTOTUNE)" in text
    assert "steps_per_epoch = 30  # ceil(480 training samples / batch 16)" in text  # Repeat makes it endless
    assert "steps_per_epoch" not in pipeline_code(PipelineOptions(batch_size=16), n_train=480)
    assert "buffer_size=10," in pipeline_code(PipelineOptions(shuffle_buffer=10), n_train=480)
    assert "shuffle" not in pipeline_code(PipelineOptions(shuffle=False), 5)
    compile(text, "<pipeline>", "exec")


@pytest.mark.tf
@given(
    n=st.integers(1, 60),
    width=st.integers(1, 4),
    batch=st.integers(1, 17),
    seed=st.integers(0, 1000),
    buffer=st.one_of(st.none(), st.integers(1, 70)),
)
@settings(max_examples=15, deadline=None, suppress_health_check=[HealthCheck.too_slow])
def test_shuffling_keeps_every_x_with_its_y(n: int, width: int, batch: int, seed: int, buffer: int | None) -> None:
    from visualnn.services.datasets.pipeline import make_dataset

    # Each x row encodes its own index, so its y must equal that index after any shuffle.
    x = np.repeat(np.arange(n, dtype=np.float32)[:, None], width, axis=1) + np.arange(width) * 1000
    y = np.arange(n, dtype=np.int64)
    ds = make_dataset(x, y, PipelineOptions(batch_size=batch, shuffle_buffer=buffer), training=True, seed=seed)
    seen = []
    for xb, yb in ds:
        np.testing.assert_array_equal(xb.numpy()[:, 0].astype(np.int64), yb.numpy())
        seen += yb.numpy().tolist()
    assert sorted(seen) == list(range(n))  # nothing lost or duplicated


@pytest.mark.tf
def test_prepare_bundled_tabular_example() -> None:
    from visualnn.core.project.io import load_project
    from visualnn.services.datasets import prepare

    project = load_project(EXAMPLES / "tabular" / "tabular.vnn")
    assert project.dataset is not None
    data = prepare(project.dataset, str(EXAMPLES / "tabular"), batch_size=64, seed=1)
    assert data.input_shape == (7,) and data.task == "multiclass"
    assert data.class_names == ["adelie", "chinstrap", "gentoo"] and data.n_outputs == 3
    assert (data.n_train, data.n_val, data.n_test) == (420, 120, 60)
    xb, yb = next(iter(data.train))
    assert tuple(xb.shape) == (64, 7) and xb.dtype.name == "float32" and yb.dtype.name == "int32"
    assert data.suggestion.loss == "sparse_categorical_crossentropy"
    assert "buffer_size=420" in data.code
    first = next(iter(data.val))[0].numpy()[0]
    assert data.transform  # callable for predict
    assert np.isfinite(first).all()
    again = prepare(project.dataset, str(EXAMPLES / "tabular"), batch_size=64, seed=1)
    np.testing.assert_array_equal(next(iter(again.val))[1].numpy(), next(iter(data.val))[1].numpy())


@pytest.mark.tf
def test_prepare_images_streams_rescaled_batches(tmp_path: Path) -> None:
    from visualnn.services.datasets import prepare

    spec = DatasetSpec("images", "images/shapes", {"image": {"image_size": [16, 16], "rescale": "-1_1"},
                                                   "split": {"val": 0.2}})
    data = prepare(spec, str(EXAMPLES), batch_size=8, seed=0)
    assert data.input_shape == (16, 16, 3) and data.class_names == ["circle", "square", "triangle"]
    assert (data.n_train, data.n_val) == (144, 36)
    xb, yb = next(iter(data.train))
    assert tuple(xb.shape) == (8, 16, 16, 3) and -1.0 <= float(xb.numpy().min()) and float(xb.numpy().max()) <= 1.0
    one = data.transform([str(EXAMPLES / "images" / "shapes" / "circle" / "circle_000.png")])
    assert one.shape == (1, 16, 16, 3)


@pytest.mark.tf
def test_prepare_numpy_and_timeseries(tmp_path: Path) -> None:
    from visualnn.services.datasets import prepare

    rng = np.random.default_rng(0)
    np.savez(tmp_path / "seq.npz", x=rng.normal(size=(40, 6, 2)).astype(np.float32), y=np.arange(40) % 2)
    data = prepare(DatasetSpec("numpy", "seq.npz"), str(tmp_path), batch_size=10)
    assert data.input_shape == (6, 2) and data.task == "binary" and data.n_outputs == 1
    assert data.tensors[0].axes == ("samples", "time steps", "features")
    spec = DatasetSpec("timeseries", "timeseries/weather.csv", {"window": {"length": 24, "target": "temperature"},
                                                               "split": {"val": 0.2, "test": 0.1}})
    data = prepare(spec, str(EXAMPLES), batch_size=32)
    assert data.input_shape == (24, 3) and data.task == "regression"
    n = 2160
    assert data.n_train == int(n * 0.7 + 0.5) - 24  # windows inside the training segment only
    xb, yb = next(iter(data.train))
    assert tuple(xb.shape) == (32, 24, 3) and tuple(yb.shape) == (32, 1)


@pytest.mark.tf
def test_prepare_missing_path_and_normalization_layer(tmp_path: Path) -> None:
    from visualnn.services.datasets import prepare

    with pytest.raises(DataError, match="does not exist"):
        prepare(DatasetSpec("csv", "nowhere.csv"), str(tmp_path))
    (tmp_path / "t.csv").write_text("a,b,y\n" + "".join(f"{i},{i * 2},{i % 2}\n" for i in range(50)))
    data = prepare(DatasetSpec("csv", "t.csv", {"scaling": "layer"}), str(tmp_path))
    layer = data.normalization_layer()
    assert layer is not None
    x = data.transform([[10, 20]])
    assert x.tolist() == [[10.0, 20.0]]  # raw values: the layer does the scaling inside the model


@pytest.mark.tf
def test_mixed_image_folder_is_resized_converted_and_skips_bad_files(tmp_path: Path) -> None:
    from PIL import Image

    from visualnn.services.datasets import prepare

    rng = np.random.default_rng(1)
    root = tmp_path / "mixed"
    formats = ["png", "jpeg", "bmp", "gif"]
    for c, name in enumerate(("a", "b")):
        (root / name).mkdir(parents=True)
        for i in range(8):
            size = (10 + 3 * i, 20 - i)
            mode = "L" if (i + c) % 2 else "RGB"
            shape = (size[1], size[0]) if mode == "L" else (size[1], size[0], 3)
            Image.fromarray(rng.integers(0, 255, shape, dtype=np.uint8), mode).save(root / name / f"{i}.{formats[i % 4]}")
    good = (root / "a" / "0.png").read_bytes()
    (root / "a" / "cut.png").write_bytes(good[:40])
    (root / "b" / "notes.txt").write_text("not an image")
    spec = DatasetSpec("images", "mixed", {"image": {"image_size": [12, 14], "color_mode": "grayscale"},
                                           "split": {"val": 0.25}})
    data = prepare(spec, str(tmp_path), batch_size=4)
    assert data.input_shape == (12, 14, 1)
    assert data.n_train + data.n_val == 16
    assert [p for p, _ in data.stats["skipped"]] == [str(root / "a" / "cut.png"), str(root / "b" / "notes.txt")]
    seen = 0
    for ds in (data.train, data.val):
        for xb, yb in ds:
            assert tuple(xb.shape[1:]) == (12, 14, 1) and 0.0 <= float(xb.numpy().min())
            assert float(xb.numpy().max()) <= 1.0 and xb.shape[0] == yb.shape[0]
            seen += int(xb.shape[0])
    assert seen == 16
