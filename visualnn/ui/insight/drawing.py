"""Painting tensors and explanations with QPainter: feature-map grids, heat strips, bars, heatmap overlays.

Pure drawing from the JSON the engine returns (nested lists); numpy shapes it into images.
"""

from __future__ import annotations

import math
from typing import Any

import numpy as np
from PySide6.QtCore import QPointF, QRectF, Qt
from PySide6.QtGui import QColor, QImage, QPainter, QPen

from visualnn.core.tensors import figure_text
from visualnn.services.explain_render import heat_colors, overlay
from visualnn.ui import theme

BAR = QColor(76, 120, 168)
NEGATIVE = QColor(228, 87, 86)
DEAD = QColor(200, 60, 60)


def rgb_image(rgb: Any) -> QImage:
    """An (H, W, 3) uint8 array as a QImage (copied: the array may go)."""
    a = np.ascontiguousarray(np.asarray(rgb, dtype=np.uint8)[:, :, :3])
    return QImage(a.data, a.shape[1], a.shape[0], a.strides[0], QImage.Format.Format_RGB888).copy()


def scaled_colors(values: Any, lo: float, hi: float) -> QImage:
    """A 2-D array as a colour image, ``lo``..``hi`` mapped onto the heat ramp."""
    a = np.asarray(values, dtype=np.float64)
    norm = (a - lo) / (hi - lo) if hi > lo else np.zeros_like(a)
    return rgb_image(heat_colors(norm))


def _fit(painter: QPainter, image: QImage, rect: QRectF) -> QRectF:
    """Draw ``image`` as large as fits ``rect`` keeping its aspect, crisp pixels; returns where it went."""
    if image.width() == 0 or image.height() == 0:
        return QRectF()
    scale = min(rect.width() / image.width(), rect.height() / image.height())
    w, h = image.width() * scale, image.height() * scale
    target = QRectF(rect.x() + (rect.width() - w) / 2, rect.y() + (rect.height() - h) / 2, w, h)
    painter.setRenderHint(QPainter.RenderHint.SmoothPixmapTransform, False)
    painter.drawImage(target, image)
    return target


def paint_feature_maps(painter: QPainter, rect: QRectF, maps: Any, dead: list[int]) -> None:
    """A grid of (channels, height, width) maps, one colour scale for all, dead channels marked."""
    a = np.asarray(maps, dtype=np.float64)
    n = a.shape[0]
    if n == 0:
        return
    cols = math.ceil(math.sqrt(n * rect.width() / max(1.0, rect.height())))
    cols = max(1, min(n, cols))
    rows = math.ceil(n / cols)
    cw, ch = rect.width() / cols, rect.height() / rows
    lo, hi = float(a.min()), float(a.max())
    painter.setFont(theme.mono_font(7))
    for i in range(n):
        cell = QRectF(rect.x() + (i % cols) * cw, rect.y() + (i // cols) * ch, cw, ch).adjusted(2, 12, -2, -2)
        _fit(painter, scaled_colors(a[i], lo, hi), cell)
        painter.setPen(DEAD if i in dead else theme.muted_text_color())
        painter.drawText(QPointF(cell.x(), cell.y() - 2), f"{i}{' dead' if i in dead else ''}")


def paint_heat_strip(painter: QPainter, rect: QRectF, values: Any) -> None:
    """A (time steps, features) tensor as a strip: time steps left to right, one row per feature."""
    a = np.asarray(values, dtype=np.float64)
    inner = rect.adjusted(70, 4, -4, -18)
    _fit(painter, scaled_colors(a.T, float(a.min()), float(a.max())), inner)
    painter.setPen(theme.muted_text_color())
    painter.drawText(QPointF(inner.x(), inner.bottom() + 14), "time steps →")
    painter.drawText(QPointF(rect.x(), inner.y() + 12), "features ↓")


def paint_bars(painter: QPainter, rect: QRectF, values: Any, labels: list[str] | None = None) -> None:
    """A vector as vertical bars from a zero line (negative values below it, in red)."""
    a = np.asarray(values, dtype=np.float64).reshape(-1)
    if a.size == 0:
        return
    inner = rect.adjusted(4, 8, -4, -18)
    top, bottom = max(0.0, float(a.max())), min(0.0, float(a.min()))
    span = top - bottom or 1.0
    zero_y = inner.y() + inner.height() * top / span
    width = inner.width() / a.size
    painter.setPen(Qt.PenStyle.NoPen)
    for i, v in enumerate(a):
        h = inner.height() * abs(v) / span
        painter.setBrush(BAR if v >= 0 else NEGATIVE)
        y = zero_y - h if v >= 0 else zero_y
        painter.drawRect(QRectF(inner.x() + i * width + width * 0.1, y, max(1.0, width * 0.8), h))
    painter.setPen(QPen(theme.muted_text_color()))
    painter.drawLine(QPointF(inner.x(), zero_y), QPointF(inner.right(), zero_y))
    painter.drawText(QPointF(inner.x(), inner.bottom() + 14), f"features 0 … {a.size - 1}" if not labels else "")


def paint_overlay(painter: QPainter, rect: QRectF, image: Any, heat: Any) -> None:
    """The image, then the same image with the heatmap over it, side by side and captioned, then the colour key."""
    img = np.asarray(image, dtype=np.float64)
    plain = rgb_image(overlay(img, np.zeros(np.asarray(heat).shape), alpha=0.0))
    blended = rgb_image(overlay(img, heat))
    gap, caption, key_w = 16.0, 16.0, 60.0
    side = max(1.0, min(rect.height() - caption, (rect.width() - 2 * gap - key_w) / 2))
    left = rect.x() + (rect.width() - 2 * side - 2 * gap - key_w) / 2
    painter.setPen(theme.muted_text_color())
    for i, (pic, title) in enumerate(((plain, "input"), (blended, "heatmap over the input"))):
        box = QRectF(left + i * (side + gap), rect.y() + caption, side, side)
        _fit(painter, pic, box)
        painter.drawText(QPointF(box.x(), rect.y() + caption - 4), title)
    key = QRectF(left + 2 * (side + gap), rect.y() + caption, 12, side)
    ramp = np.linspace(1.0, 0.0, 64)[:, None]
    painter.drawImage(key, rgb_image(heat_colors(np.repeat(ramp, 2, axis=1))))
    painter.drawText(QPointF(key.right() + 4, key.y() + 10), "high")
    painter.drawText(QPointF(key.right() + 4, key.bottom()), "low")


def paint_importance(painter: QPainter, rect: QRectF, rows: list[dict[str, Any]], effect: str) -> None:
    """Permutation importance as horizontal bars, the column whose shuffling hurts most on top, each with its value
    (``effect``: what the figures measure, :func:`~visualnn.core.explain_protocol.importance_effect`)."""
    if not rows:
        return
    row_h = min(26.0, (rect.height() - 20) / len(rows))
    label_w = min(180.0, rect.width() * 0.3)
    top = max([abs(float(r["drop"])) for r in rows] + [1e-12])
    texts = [figure_text(float(r["drop"]), sign=True) for r in rows]
    # Room for the widest figure after its bar: a fixed 80 px cut "+151,721.8" off at the panel's edge.
    span = rect.width() - label_w - 12 - max(painter.fontMetrics().horizontalAdvance(t) for t in texts)
    painter.setPen(theme.text_color())
    painter.drawText(QPointF(rect.x() + 4, rect.y() + 14), f"{effect} when the column is shuffled")
    for i, r in enumerate(rows):
        y = rect.y() + 20 + i * row_h
        painter.setPen(theme.text_color())
        painter.drawText(QRectF(rect.x() + 4, y, label_w - 8, row_h), Qt.AlignmentFlag.AlignVCenter
                         | Qt.AlignmentFlag.AlignRight, str(r["column"]))
        length = span * max(0.0, float(r["drop"])) / top
        painter.setPen(Qt.PenStyle.NoPen)
        painter.setBrush(BAR)
        painter.drawRect(QRectF(rect.x() + label_w, y + row_h * 0.2, max(1.0, length), row_h * 0.6))
        painter.setPen(theme.muted_text_color())
        painter.drawText(QPointF(rect.x() + label_w + length + 6, y + row_h * 0.65), texts[i])
