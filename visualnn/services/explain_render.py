"""Explanations as files (TF-free: numpy and Pillow): a heatmap over its image as PNG, the numbers as CSV,
permutation importance as a bar chart. The CLI writes these; the window exports the same files."""

from __future__ import annotations

import csv
import io
from typing import Any

from visualnn.core.explain_protocol import importance_effect
from visualnn.core.tensors import figure_text

BAR_COLOR = (66, 133, 244)
TEXT_COLOR = (30, 30, 30)


def heat_colors(heat: Any) -> Any:
    """A [0, 1] heatmap as RGB (0-255) with a blue-to-red ramp ("jet"-like, readable over grey images)."""
    import numpy as np

    h = np.clip(np.asarray(heat, dtype="float64"), 0.0, 1.0)
    r = np.clip(1.5 - np.abs(4 * h - 3), 0, 1)
    g = np.clip(1.5 - np.abs(4 * h - 2), 0, 1)
    b = np.clip(1.5 - np.abs(4 * h - 1), 0, 1)
    return np.round(np.stack([r, g, b], axis=-1) * 255).astype("uint8")


def overlay(image: Any, heat: Any, alpha: float = 0.45) -> Any:
    """The image (H x W or H x W x C of 0-255) with the heatmap blended over it, as an RGB uint8 array."""
    import numpy as np

    img = np.asarray(image, dtype="float64")
    if img.ndim == 3 and img.shape[-1] == 1:
        img = img[..., 0]
    if img.ndim == 2:
        img = np.stack([img] * 3, axis=-1)
    colors = heat_colors(heat).astype("float64")
    if colors.shape[:2] != img.shape[:2]:
        from PIL import Image

        colors = np.asarray(Image.fromarray(colors.astype("uint8")).resize((img.shape[1], img.shape[0])), "float64")
    out = (1 - alpha) * img[..., :3] + alpha * colors
    return np.clip(np.round(out), 0, 255).astype("uint8")


def overlay_png(report: dict[str, Any], scale: int = 0) -> bytes:
    """A Grad-CAM/saliency report as PNG bytes: the image and its heatmap side by side, then blended."""
    import numpy as np
    from PIL import Image

    image = np.asarray(report["image"], dtype="float64")
    heat = np.asarray(report["heatmap"], dtype="float64")
    blend = overlay(image, heat)
    plain = overlay(image, np.zeros_like(heat), alpha=0.0)
    strip = np.concatenate([plain, np.full((blend.shape[0], 4, 3), 255, "uint8"), blend], axis=1)
    pic = Image.fromarray(strip)
    factor = scale or max(1, 256 // max(1, blend.shape[0]))
    if factor > 1:
        pic = pic.resize((pic.width * factor, pic.height * factor), Image.Resampling.NEAREST)
    buf = io.BytesIO()
    pic.save(buf, format="PNG")
    return buf.getvalue()


def bars_png(report: dict[str, Any], width: int = 640) -> bytes:
    """Permutation importance as a horizontal bar chart (largest drop on top) in PNG bytes."""
    from PIL import Image, ImageDraw

    rows = report["importances"]
    row_h, label_w, pad = 22, 160, 10
    pic = Image.new("RGB", (width, pad * 3 + row_h * (len(rows) + 1)), (255, 255, 255))
    draw = ImageDraw.Draw(pic)
    effect = importance_effect(report)
    draw.text((pad, pad), f"{effect[:1].upper()}{effect[1:]} when a column is shuffled "
                          f"(baseline {report['baseline']:.3f}, {report['n_samples']} samples)", fill=TEXT_COLOR)
    top = max([abs(r["drop"]) for r in rows] + [1e-12])
    texts = [figure_text(r["drop"], sign=True) for r in rows]
    span = width - label_w - 12 - int(max(draw.textlength(t) for t in texts))  # the widest figure fits after its bar
    for i, r in enumerate(rows):
        y = pad * 2 + row_h * (i + 1)
        draw.text((pad, y + 4), str(r["column"])[:24], fill=TEXT_COLOR)
        length = int(span * max(0.0, r["drop"]) / top)
        draw.rectangle((label_w, y + 3, label_w + max(1, length), y + row_h - 3), fill=BAR_COLOR)
        draw.text((label_w + length + 6, y + 4), texts[i], fill=TEXT_COLOR)
    buf = io.BytesIO()
    pic.save(buf, format="PNG")
    return buf.getvalue()


def report_csv(report: dict[str, Any]) -> str:
    """The numbers as CSV: ``column,<metric>_<drop|increase>,std`` rows for permutation importance, the heatmap's rows otherwise."""
    buf = io.StringIO()
    writer = csv.writer(buf, lineterminator="\n")
    if report["method"] == "permutation":
        writer.writerow(["column", f"{report['metric']}_{report.get('effect', 'drop')}", "std"])  # mae_increase
        for r in report["importances"]:
            writer.writerow([r["column"], f"{r['drop']:.6f}", f"{r['std']:.6f}"])
    else:
        for row in report["heatmap"]:
            writer.writerow([f"{v:.4f}" for v in row])
    return buf.getvalue()


def report_png(report: dict[str, Any]) -> bytes:
    """The PNG of any explanation report."""
    return bars_png(report) if report["method"] == "permutation" else overlay_png(report)
