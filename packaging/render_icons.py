"""Render packaging/icons/visualnn.svg to the PNG sizes, .ico and .icns the installers need.

Run with the project's venv: ``python packaging/render_icons.py`` (Qt renders offscreen; Pillow
packs the Windows .ico and macOS .icns). Outputs are generated, not committed by hand.
"""

from __future__ import annotations

import os
import sys
from pathlib import Path

HERE = Path(__file__).resolve().parent
SVG = HERE / "icons" / "visualnn.svg"
OUT = HERE / "icons"
SIZES = (16, 24, 32, 48, 64, 128, 256, 512)


def render(svg: Path = SVG, out: Path = OUT, sizes: tuple[int, ...] = SIZES) -> list[Path]:
    """Write ``visualnn-<n>.png`` for each size plus ``visualnn.ico`` and ``visualnn.icns``; returns the paths."""
    os.environ.setdefault("QT_QPA_PLATFORM", "offscreen")
    from PySide6.QtCore import Qt
    from PySide6.QtGui import QGuiApplication, QImage, QPainter
    from PySide6.QtSvg import QSvgRenderer

    app = QGuiApplication.instance() or QGuiApplication(sys.argv[:1])
    renderer = QSvgRenderer(str(svg))
    if not renderer.isValid():
        raise SystemExit(f"render_icons: {svg} is not a valid SVG; fix the file and run again.")
    out.mkdir(parents=True, exist_ok=True)
    written: list[Path] = []
    for size in sizes:
        image = QImage(size, size, QImage.Format.Format_ARGB32_Premultiplied)
        image.fill(Qt.GlobalColor.transparent)
        painter = QPainter(image)
        painter.setRenderHint(QPainter.RenderHint.Antialiasing)
        painter.setRenderHint(QPainter.RenderHint.SmoothPixmapTransform)
        renderer.render(painter)
        painter.end()
        path = out / f"visualnn-{size}.png"
        if not image.save(str(path), "PNG"):
            raise SystemExit(f"render_icons: could not write {path}.")
        written.append(path)
    del app  # keep the instance alive until here; Qt needs it for rendering
    from PIL import Image

    biggest = Image.open(out / f"visualnn-{max(sizes)}.png").convert("RGBA")
    ico = out / "visualnn.ico"
    biggest.save(ico, sizes=[(s, s) for s in sizes if s <= 256])
    icns = out / "visualnn.icns"
    biggest.save(icns)
    written += [ico, icns]
    return written


if __name__ == "__main__":
    for p in render():
        print(p.relative_to(HERE.parent))
