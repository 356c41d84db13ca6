"""The Data panel's inspection carries what the canvas needs to name the preprocessing (TF-free)."""

from __future__ import annotations

from pathlib import Path

import numpy as np

from tests.tiny_data import digits_pngs
from visualnn.core.dataset import DatasetSpec
from visualnn.core.preprocessing_steps import preprocessing_steps
from visualnn.services.datasets.facts import facts_of
from visualnn.services.datasets.inspect import inspect_source


def _steps(path: Path, kind: str | None = None, options: dict[str, object] | None = None) -> list[str]:
    info = inspect_source(str(path), dict(options or {}), kind=kind)
    return [s.text for s in preprocessing_steps(DatasetSpec(info.kind, str(path), info.options), facts_of(info))]


def test_a_csv_with_a_text_column_a_gap_and_a_target(tmp_path: Path) -> None:
    colours = ("red", "rose", "white", "amber")
    rows = [f"{12 + i % 5}.{i % 10},{'' if i == 3 else i % 9},{colours[i % 4]},{'yes' if i % 2 else 'no'},{'abc'[i % 3]}"
            for i in range(30)]
    (tmp_path / "wine.csv").write_text("alcohol,acid,colour,organic,target\n" + "\n".join(rows) + "\n")
    info = inspect_source(str(tmp_path / "wine.csv"))
    facts = facts_of(info)
    assert [(c.name, c.kind, c.n_unique, c.n_missing) for c in facts.columns] == [
        ("alcohol", "numeric", 10, 0), ("acid", "numeric", 9, 1), ("colour", "categorical", 4, 0),
        ("organic", "boolean", 2, 0)]  # the target is not a feature
    assert _steps(tmp_path / "wine.csv") == ["Fill missing values (1 column)",
                                             "StringLookup+CategoryEncoding: colour (4 values)",
                                             "Normalization (2 features)"]


def test_uint8_arrays_images_and_series(tmp_path: Path) -> None:
    np.savez(tmp_path / "pix.npz", x=np.zeros((12, 8, 8, 1), np.uint8), y=np.arange(12) % 3)
    assert facts_of(inspect_source(str(tmp_path / "pix.npz"))).input_dtype == "uint8"
    assert _steps(tmp_path / "pix.npz") == ["Normalization (uint8 pixels / 255)"]
    np.savez(tmp_path / "tab.npz", x=np.ones((12, 6)), y=np.arange(12) % 3)
    assert _steps(tmp_path / "tab.npz") == ["Normalization (6 features)"]
    assert _steps(digits_pngs(tmp_path)) == ["Resizing 16x16", "Rescaling 1/255"]
    (tmp_path / "w.csv").write_text("t,temp,hum\n" + "\n".join(f"{i},{i % 7}.5,{i % 5}" for i in range(60)) + "\n")
    assert _steps(tmp_path / "w.csv", "timeseries", {"window": {"length": 8, "features": ["temp", "hum"],
                                                                 "target": "temp"}}) == ["Normalization (2 features)"]
