"""Look: the one category colour table, status colours and fonts, for light and dark palettes."""

from __future__ import annotations

from PySide6.QtGui import QColor, QFont, QFontDatabase, QIcon, QPalette
from PySide6.QtWidgets import QApplication

# Muted hues that stay distinguishable on light and dark backgrounds (tune them here only).
CATEGORY_COLORS: dict[str, str] = {
    "input": "#4C8C6B",  # green: where data enters / leaves
    "core": "#4A78B5",  # blue
    "convolution": "#8A5BB0",  # violet
    "pooling": "#B0679A",  # plum
    "normalization": "#B0873F",  # ochre (normalization & regularization)
    "recurrent": "#3E9AA3",  # teal
    "attention": "#C0614E",  # brick
    "merge": "#6E7F3A",  # olive
    "reshaping": "#5F6F8A",  # slate
    "preprocessing": "#3F8F8F",  # sea
    "pretrained": "#A0522D",  # sienna: whole pretrained networks
    "generic": "#7C7C7C",  # grey
    "blocks": "#3B3B98",  # indigo: a nested model drawn as one card (a stack of cards)
}
CATEGORY_TITLES: dict[str, str] = {
    "input": "Input / Output",
    "core": "Core",
    "convolution": "Convolution",
    "pooling": "Pooling",
    "normalization": "Normalization & Regularization",
    "recurrent": "Recurrent",
    "attention": "Attention",
    "merge": "Merge",
    "reshaping": "Reshaping",
    "preprocessing": "Preprocessing",
    "pretrained": "Pretrained",
    "generic": "Other",
    "blocks": "Blocks",
}
ERROR = "#D64541"
WARNING = "#E0A030"
ACCENT = "#2F80ED"


def category_color(category: str) -> QColor:
    """The header colour of a layer category (grey for unknown categories)."""
    return QColor(CATEGORY_COLORS.get(category, CATEGORY_COLORS["generic"]))


def is_dark(palette: QPalette | None = None) -> bool:
    """True when the window background is dark (system dark mode)."""
    pal = palette or QApplication.palette()
    return pal.color(QPalette.ColorRole.Window).lightness() < 128


def node_fill(palette: QPalette | None = None) -> QColor:
    """Card body colour: slightly lifted from the canvas background."""
    return QColor("#2E3238") if is_dark(palette) else QColor("#FFFFFF")


def canvas_background(palette: QPalette | None = None) -> QColor:
    """Canvas background colour."""
    return QColor("#1F2226") if is_dark(palette) else QColor("#F3F4F6")


def grid_color(palette: QPalette | None = None) -> QColor:
    """Dot grid colour on the canvas."""
    return QColor("#2C3036") if is_dark(palette) else QColor("#DDE0E5")


def text_color(palette: QPalette | None = None) -> QColor:
    """Main text colour on cards."""
    return QColor("#E8EAED") if is_dark(palette) else QColor("#1F2328")


def muted_text_color(palette: QPalette | None = None) -> QColor:
    """Secondary text (layer type, shapes)."""
    return QColor("#A0A6AE") if is_dark(palette) else QColor("#5F6873")


def edge_color(palette: QPalette | None = None) -> QColor:
    """Edge stroke colour."""
    return QColor("#8A929C") if is_dark(palette) else QColor("#8C959F")


def mono_font(point_size: float = 8.0) -> QFont:
    """The system fixed-width font (shapes and parameter counts)."""
    font = QFontDatabase.systemFont(QFontDatabase.SystemFont.FixedFont)
    font.setPointSizeF(point_size)
    return font


def fmt_count(n: int) -> str:
    """Parameter counts with thousands separators: 1,234,567."""
    return f"{n:,}"


def resources_dir() -> str:
    """The repository's resources/ folder (icons, examples)."""
    import os

    here = os.path.dirname(os.path.abspath(__file__))
    return os.path.normpath(os.path.join(here, "..", "..", "resources"))


_ICONS: dict[str, object] = {}


def icon(name: str) -> QIcon:
    """An SVG icon from resources/icons (cached); an empty icon when the file is missing."""
    import os

    cached = _ICONS.get(name)
    if isinstance(cached, QIcon):
        return cached
    path = os.path.join(resources_dir(), "icons", f"{name}.svg")
    result = QIcon(path) if os.path.exists(path) else QIcon()
    _ICONS[name] = result
    return result
