"""Tiny data sets written on the fly for the data-aware checks: digit-like PNGs, mixed sizes, video, a 3-class CSV."""

from __future__ import annotations

from pathlib import Path

import numpy as np
from PIL import Image


def digits_pngs(root: Path, classes: int = 3, per_class: int = 4, size: int = 16) -> Path:
    """A folder of ``size``×``size`` grayscale PNGs, one sub-folder per class (like scikit-learn's digits)."""
    rng = np.random.default_rng(0)
    folder = root / "digits_png"
    for c in range(classes):
        (folder / str(c)).mkdir(parents=True)
        for i in range(per_class):
            Image.fromarray(rng.integers(0, 16, (size, size), dtype=np.uint8) * 16).save(folder / str(c) / f"{i}.png")
    return folder


def mixed_size_pngs(root: Path) -> Path:
    """Two classes of RGB PNGs in several sizes (7×12, 16×16, 20×10)."""
    rng = np.random.default_rng(1)
    folder = root / "mixed_png"
    for c in ("cat", "dog"):
        (folder / c).mkdir(parents=True)
        for i, (w, h) in enumerate([(7, 12), (16, 16), (16, 16), (20, 10)]):
            Image.fromarray(rng.integers(0, 255, (h, w, 3), dtype=np.uint8)).save(folder / c / f"{i}.png")
    return folder


def video_npz(root: Path) -> Path:
    """``video5d.npz``: x of rank 5 (samples, frames, height, width, channels), y three class numbers."""
    rng = np.random.default_rng(2)
    path = root / "video5d.npz"
    np.savez(path, x=rng.random((12, 4, 8, 8, 3), dtype=np.float32), y=np.arange(12) % 3)
    return path


def three_class_csv(root: Path) -> Path:
    """Four numeric features and a string target with three classes (iris-like)."""
    path = root / "flowers.csv"
    rows = [f"{i % 7}.{i % 10},{i % 5}.5,{(i * 3) % 11}.0,{i % 3}.2,{('setosa', 'versicolor', 'virginica')[i % 3]}"
            for i in range(30)]
    path.write_text("sepal_length,sepal_width,petal_length,petal_width,species\n" + "\n".join(rows) + "\n")
    return path


def price_csv(path: Path, n: int = 600) -> Path:
    """House prices in the hundreds of thousands from area, rooms and city (a few values missing)."""
    rng = np.random.default_rng(0)
    area, rooms = rng.uniform(40, 200, n), rng.integers(1, 6, n)
    city = rng.choice(["Lyon", "Paris", "Nice"], n)
    price = area * 3000 + rooms * 10_000 + np.where(city == "Paris", 150_000, 0) + rng.normal(0, 10_000, n)
    rows = [f"{a:.1f},{r},{c},{p:.0f}" for a, r, c, p in zip(area, rooms, city, price, strict=True)]
    rows[7] = rows[7].rsplit(",", 1)[0] + ","  # a row without a price: training drops it, so do the statistics
    path.write_text("area,rooms,city,price\n" + "\n".join(rows) + "\n")
    return path


def fraud_csv(path: Path, n: int = 600) -> Path:
    """A yes/no table whose 'yes' is rare (66 of 600 rows) and learnable from the first three of six features."""
    rng = np.random.default_rng(3)
    x = rng.normal(size=(n, 6))
    chance = 1 / (1 + np.exp(-(1.2 * x[:, 0] - 1.0 * x[:, 1] + 0.8 * x[:, 2] * x[:, 3] - 3.2)))
    fraud = rng.random(n) < chance
    rows = [",".join(f"{v:.4f}" for v in row) + ("," + ("yes" if f else "no")) for row, f in zip(x, fraud, strict=True)]
    path.write_text(",".join(f"f{i}" for i in range(6)) + ",fraud\n" + "\n".join(rows) + "\n")
    return path


def churn_csv(path: Path, n: int = 200) -> Path:
    """A yes/no table with an identifier column (a different code in every row) and a date column (a different day in
    every row) beside three usable features: a number, a category and a count."""
    rng = np.random.default_rng(5)
    fee = rng.normal(50, 15, n)
    plan = rng.choice(["basic", "pro", "enterprise"], n)
    calls = rng.poisson(2, n)
    churn = (calls - 2) * 0.8 + (plan == "basic") - (fee - 50) / 30 + rng.normal(0, 1, n) > 1.0
    days = np.datetime64("2022-01-01") + np.arange(n)
    rows = [f"C{i:05d},{d},{f:.2f},{p},{c},{'Yes' if y else 'No'}"
            for i, (d, f, p, c, y) in enumerate(zip(days, fee, plan, calls, churn, strict=True))]
    path.write_text("customer_id,signup_date,monthly_fee,plan,support_calls,churn\n" + "\n".join(rows) + "\n")
    return path


def quality_csv(path: Path, n: int = 300) -> Path:
    """Four features and a wine-quality-like score: whole numbers 3..8, most of them 5 and 6."""
    rng = np.random.default_rng(2)
    x = rng.normal(size=(n, 4))
    score = np.clip(np.round(5.6 + 0.8 * x[:, 0] - 0.5 * x[:, 1] + rng.normal(0, 0.6, n)), 3, 8).astype(int)
    rows = [",".join(f"{v:.3f}" for v in row) + f",{s}" for row, s in zip(x, score, strict=True)]
    path.write_text("alcohol,acid,sulphates,ph,quality\n" + "\n".join(rows) + "\n")
    return path


def shop_csv(path: Path, n: int = 400) -> Path:
    """A table for the multi_output template: an id, four features, a yes/no column named ``kind`` and a number
    named ``score`` (the template's two outputs), 'yes' in about a third of the rows."""
    rng = np.random.default_rng(2)
    x = rng.normal(size=(n, 4))
    kind = np.where(x[:, 0] - x[:, 1] + rng.normal(size=n) * 0.5 > 0.8, "yes", "no")
    score = 3 * x[:, 2] + x[:, 3] + rng.normal(size=n) * 0.1
    rows = [f"u{i},{x[i, 0]:.3f},{x[i, 1]:.3f},{x[i, 2]:.3f},{x[i, 3]:.3f},{kind[i]},{score[i]:.3f}" for i in range(n)]
    path.write_text("id,a,b,c,d,kind,score\n" + "\n".join(rows) + "\n")
    return path
