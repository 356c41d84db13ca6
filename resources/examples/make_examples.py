"""Generate the bundled example data and projects (deterministic; our own synthetic data, CC0).

    python resources/examples/make_examples.py [OUTPUT_DIR]

Writes tabular/ (a 3-class table with a categorical column), images/ (3 classes of drawn shapes,
32x32 PNG), timeseries/ (an hourly seasonal signal) and two_inputs/ (named arrays for a model with
two Inputs and two outputs), each with a ``.vnn`` project whose Input and output layer are adapted
to the data. Running it twice gives identical files.
"""

from __future__ import annotations

import csv
import math
import os
import sys
import zipfile
from pathlib import Path

import numpy as np

HERE = Path(__file__).resolve().parent
SEED = 20240601
SPECIES = ("adelie", "chinstrap", "gentoo")
ISLANDS = ("biscoe", "dream", "torgersen")


def make_tabular(out: Path, n_per_class: int = 200) -> Path:
    """A penguin-like table: four measurements, an island (categorical) and the species (target)."""
    rng = np.random.default_rng(SEED)
    # Class means far enough apart (in units of the noise) for a small MLP to reach > 0.9 accuracy.
    means = {
        "adelie": (38.8, 18.3, 190.0, 3700.0),
        "chinstrap": (48.8, 18.4, 196.0, 3730.0),
        "gentoo": (47.5, 15.0, 217.0, 5080.0),
    }
    spread = (2.6, 1.1, 6.5, 420.0)
    island_p = {"adelie": (0.3, 0.35, 0.35), "chinstrap": (0.05, 0.9, 0.05), "gentoo": (0.9, 0.05, 0.05)}
    rows = []
    for species in SPECIES:
        for _ in range(n_per_class):
            vals = [round(float(rng.normal(m, s)), 1) for m, s in zip(means[species], spread, strict=True)]
            vals[3] = int(round(vals[3], -1))
            island = ISLANDS[int(rng.choice(3, p=island_p[species]))]
            rows.append([*vals, island, species])
    order = rng.permutation(len(rows))
    rows = [rows[i] for i in order]
    # A few missing measurements, as in real field data (filled with the training mean by default).
    for i in rng.choice(len(rows), 6, replace=False):
        rows[int(i)][int(rng.integers(0, 3))] = ""
    path = out / "tabular" / "penguins.csv"
    path.parent.mkdir(parents=True, exist_ok=True)
    with open(path, "w", newline="", encoding="utf-8") as fh:
        writer = csv.writer(fh, lineterminator="\n")
        writer.writerow(["bill_length_mm", "bill_depth_mm", "flipper_length_mm", "body_mass_g", "island", "species"])
        writer.writerows(rows)
    return path


def _draw(shape: str, rng: np.random.Generator, size: int = 32) -> object:
    from PIL import Image, ImageDraw

    bg = tuple(int(v) for v in rng.integers(0, 90, 3))
    fg = tuple(int(v) for v in rng.integers(150, 256, 3))
    img = Image.new("RGB", (size, size), bg)
    draw = ImageDraw.Draw(img)
    r = int(rng.integers(7, 13))
    cx, cy = (int(v) for v in rng.integers(r + 1, size - r - 1, 2))
    if shape == "circle":
        draw.ellipse((cx - r, cy - r, cx + r, cy + r), fill=fg)
    elif shape == "square":
        draw.rectangle((cx - r, cy - r, cx + r, cy + r), fill=fg)
    else:
        angle = float(rng.uniform(0, 2 * math.pi))
        pts = [(cx + r * math.cos(angle + k * 2 * math.pi / 3), cy + r * math.sin(angle + k * 2 * math.pi / 3))
               for k in range(3)]
        draw.polygon(pts, fill=fg)
    return img


def make_images(out: Path, per_class: int = 60) -> Path:
    """Three classes of simple shapes (circle, square, triangle), 32x32 RGB PNG."""
    rng = np.random.default_rng(SEED + 1)
    root = out / "images" / "shapes"
    for shape in ("circle", "square", "triangle"):
        folder = root / shape
        folder.mkdir(parents=True, exist_ok=True)
        for i in range(per_class):
            _draw(shape, rng).save(folder / f"{shape}_{i:03d}.png", optimize=False)  # type: ignore[attr-defined]
    return root


def make_timeseries(out: Path, n: int = 24 * 90) -> Path:
    """Hourly temperature with a daily and a slower weekly cycle plus noise, and a related humidity."""
    rng = np.random.default_rng(SEED + 2)
    t = np.arange(n)
    temp = 12 + 6 * np.sin(2 * np.pi * (t - 6) / 24) + 3 * np.sin(2 * np.pi * t / (24 * 7)) + rng.normal(0, 0.6, n)
    hum = 70 - 2.5 * (temp - 12) + rng.normal(0, 2.0, n)
    path = out / "timeseries" / "weather.csv"
    path.parent.mkdir(parents=True, exist_ok=True)
    with open(path, "w", newline="", encoding="utf-8") as fh:
        writer = csv.writer(fh, lineterminator="\n")
        writer.writerow(["hour", "temperature", "humidity"])
        for i in range(n):
            writer.writerow([i, f"{temp[i]:.2f}", f"{hum[i]:.1f}"])
    return path


def make_two_inputs(out: Path, n: int = 600) -> Path:
    """Named arrays for the two-input template: ``tabular`` (n, 8) and ``sequence`` (n, 12, 3) in, ``kind``
    (3 classes) and ``score`` (a number) out. Both targets need both inputs: the class is cut from a mix of
    the tabular features and the sequence's trend, the score is a smooth function of the two plus noise.
    """
    rng = np.random.default_rng(SEED + 3)
    tabular = rng.normal(0.0, 1.0, (n, 8)).astype(np.float32)
    mix = tabular @ np.array([0.9, -0.7, 0.5, 0.0, 0.4, 0.0, -0.3, 0.0], dtype=np.float32)
    trend = rng.normal(0.0, 1.0, n).astype(np.float32)
    t = np.linspace(0.0, 1.0, 12, dtype=np.float32)
    phase = rng.uniform(0.0, 2 * np.pi, n).astype(np.float32)
    sequence = np.stack([
        trend[:, None] * t[None, :] * 2.0 + rng.normal(0.0, 0.1, (n, 12)),  # a rising or falling line
        np.sin(2 * np.pi * t[None, :] + phase[:, None]),  # a wave whose phase carries nothing
        rng.normal(0.0, 0.3, (n, 12)),  # pure noise
    ], axis=-1).astype(np.float32)
    z = mix + 1.2 * trend
    kind = np.digitize(z, np.quantile(z, [1 / 3, 2 / 3])).astype(np.int64)  # three equal-sized classes
    score = (np.tanh(mix) + 0.5 * trend ** 2 + 0.3 * tabular[:, 3] + rng.normal(0.0, 0.1, n)).astype(np.float32)
    path = out / "two_inputs" / "two_inputs.npz"
    path.parent.mkdir(parents=True, exist_ok=True)
    _save_npz(path, {"tabular": tabular, "sequence": sequence, "kind": kind, "score": score})
    return path


def _save_npz(path: Path, arrays: dict[str, np.ndarray]) -> None:
    """``numpy.savez`` with fixed zip timestamps, so the file is the same byte for byte on every run."""
    with zipfile.ZipFile(path, "w", zipfile.ZIP_STORED) as zf:
        for name, array in arrays.items():
            info = zipfile.ZipInfo(f"{name}.npy", date_time=(1980, 1, 1, 0, 0, 0))
            with zf.open(info, "w", force_zip64=True) as fh:
                np.lib.format.write_array(fh, np.ascontiguousarray(array), allow_pickle=False)


def make_projects(out: Path, tabular: Path, images: Path, series: Path, two_inputs: Path | None = None) -> None:
    """Projects with the data attached (relative paths) and the model adapted to it."""
    from dataclasses import replace

    from visualnn.core.project.io import save_project
    from visualnn.core.templates import template
    from visualnn.services.datasets.attach import attach_dataset

    p = template("mlp_classifier").build()
    attach_dataset(p, str(tabular), target="species",
                   options={"split": {"val": 0.2, "test": 0.1, "seed": 42, "stratify": True}})
    p.set_training(replace(p.training, epochs=30, batch_size=32, learning_rate=0.005))
    p.set_name("Penguin species (MLP)")
    save_project(p, out / "tabular" / "tabular.vnn")

    p = template("cnn_small").build()
    attach_dataset(p, str(images), options={"image": {"image_size": [32, 32], "color_mode": "rgb", "rescale": "0_1"},
                                            "split": {"val": 0.2, "test": 0.0, "seed": 42}})
    p.set_training(replace(p.training, epochs=20, batch_size=32, learning_rate=0.002))
    p.set_name("Shapes (small CNN)")
    save_project(p, out / "images" / "images.vnn")

    p = template("conv1d_regressor").build()
    attach_dataset(p, str(series), target="temperature", kind="timeseries",
                   options={"window": {"length": 24, "stride": 1, "horizon": 1},
                            "split": {"val": 0.2, "test": 0.1, "seed": 42}})
    p.set_training(replace(p.training, epochs=20, batch_size=32, learning_rate=0.005))
    p.set_name("Next-hour temperature (Conv1D)")
    save_project(p, out / "timeseries" / "timeseries.vnn")

    if two_inputs is not None:
        from visualnn.core.dataset import DatasetSpec

        # The arrays are named after the template's Input and output nodes, so no mapping is needed.
        p = template("two_input").build()
        p.set_dataset(DatasetSpec("numpy", str(two_inputs),
                                  {"split": {"val": 0.15, "test": 0.15, "seed": 42, "stratify": True}}))
        p.set_training(replace(p.training, epochs=15, batch_size=32, learning_rate=0.005))
        p.set_name("Kind and score from two inputs")
        save_project(p, out / "two_inputs" / "two_inputs.vnn")


def main(argv: list[str]) -> int:
    """Generate everything into ``argv[0]`` (default: this folder)."""
    out = Path(argv[0]).resolve() if argv else HERE
    os.makedirs(out, exist_ok=True)
    tabular = make_tabular(out)
    images = make_images(out)
    series = make_timeseries(out)
    two_inputs = make_two_inputs(out)
    make_projects(out, tabular, images, series, two_inputs)
    print(f"Wrote examples to {out}")
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
