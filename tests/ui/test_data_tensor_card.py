"""The Data panel's Tensors tab ends with the data's Tensor card: rank, axes and the TensorFlow code that makes it."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest

from visualnn.core.templates import template
from visualnn.ui.data_panel import DataPanel
from visualnn.ui.document import ProjectDocument

EXAMPLES = Path(__file__).resolve().parents[2] / "resources" / "examples"


@pytest.fixture
def panel(qtbot: Any) -> DataPanel:
    widget = DataPanel(ProjectDocument(template("mlp_classifier").build()))
    qtbot.addWidget(widget)
    return widget


def test_a_table_card_shows_the_cast(qtbot: Any, panel: DataPanel) -> None:
    with qtbot.waitSignal(panel.inspected, timeout=20000):
        panel.load_path(str(EXAMPLES / "tabular" / "penguins.csv"))
    text = panel.tensor_view.toPlainText()
    assert "Tensor card" in text
    assert "x: (None, 7) · rank 2 (samples, features) · float32 · 28 B per sample" in text
    assert "x = tf.cast(x, tf.float32)" in text


def test_an_image_card_shows_decode_resize_cast_and_stack(qtbot: Any, panel: DataPanel) -> None:
    with qtbot.waitSignal(panel.inspected, timeout=20000):
        panel.load_path(str(EXAMPLES / "images" / "shapes"))
    text = panel.tensor_view.toPlainText()
    assert "rank 4 (samples, height, width, channels)" in text.split("Tensor card")[1]
    for line in ("tf.io.decode_image", "tf.image.resize", "tf.cast(image, tf.float32)", "tf.stack(images)"):
        assert line in text, line
