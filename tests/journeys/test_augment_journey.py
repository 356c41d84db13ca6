"""Journey: an image folder, a model with RandomFlip and RandomRotation dragged onto the canvas, the Data panel's
Augmentation tab showing one image as the model sees it in training (the real engine), and Re-sample drawing new
variants of it.

Image folder… picks 12 small RGB PNGs in two class folders -> Apply -> Input, RandomFlip, RandomRotation, Flatten
and Dense dragged down the canvas and connected -> "Use suggested input and output" -> the Augmentation tab ->
the grid (the original and 11 variants) -> Re-sample -> other variants of the same image.
"""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pytest
from PIL import Image
from pytestqt.qtbot import QtBot

from tests.journeys.conftest import Launch
from visualnn.ui.engine_client import EngineClient

pytestmark = [pytest.mark.tf, pytest.mark.slow]


def write_images(root: Path, per_class: int = 6) -> Path:
    """Two classes of 24x24 RGB PNGs: a coloured corner block on a gradient (no symmetry, so a flip shows)."""
    for k, cls in enumerate(("red", "blue")):
        (root / cls).mkdir(parents=True)
        for i in range(per_class):
            a = np.zeros((24, 24, 3), np.uint8)
            a[..., 1] = np.linspace(0, 200, 24, dtype=np.uint8)[None, :]
            a[2:10 + i, 2:12, 0 if k == 0 else 2] = 255
            Image.fromarray(a).save(root / cls / f"{cls}_{i}.png")
    return root


def test_augmentation_preview_of_a_dragged_model_and_resample(
    launch: Launch, tf_engine: EngineClient, tmp_path: Path, qtbot: QtBot
) -> None:
    session, user = launch(tf_engine)
    window = session.window
    document = window.document
    folder = write_images(tmp_path / "colours")
    user.menu("File", "New")
    assert not document.graph.nodes and document.path is None

    # Data: Image folder… -> the class folders; Apply.
    user.show_dock("data")
    data = window.data_panel
    user.chooser.will_answer("folder", str(folder))
    user.click("Image folder…", data)
    user.wait_until(lambda: data.info is not None and not data.progress.isVisible(),
                    lambda: f"reading the image folder (the Data panel says {data.status.text()!r})", timeout_ms=30_000)
    user.click("Apply to project", data)
    assert document.project.dataset is not None and document.project.dataset.kind == "images"

    # Before any model, the tab says what to add.
    user.open_tab(data.tabs, "Augmentation")
    view = data.augment
    assert "Add an Input, then RandomFlip, RandomRotation" in view.status.text()
    assert "palette's Preprocessing group" in view.status.text() and not view.resample_btn.isEnabled()

    # The model: five layers dragged down the canvas, connected one to the next.
    canvas = window.view
    kinds = ("Input", "RandomFlip", "RandomRotation", "Flatten", "Dense")
    ids = []
    for i, t in enumerate(kinds):  # aimed at what the canvas shows now: a drop may scroll it or resize the docks
        seen = canvas.mapToScene(canvas.viewport().rect()).boundingRect()
        ids.append(user.drag_layer(t, to=(seen.left() + seen.width() * (0.2 + 0.15 * i),
                                          seen.top() + seen.height() * (0.1 + 0.2 * i))))
    for a, b in zip(ids, ids[1:], strict=False):
        user.connect(a, b)
    user.show_dock("data")
    user.open_tab(data.tabs, "Tensors")
    user.wait_until(lambda: data.suggest_btn.isEnabled(),
                    lambda: f"the suggestion to be ready (the Data panel says {data.status.text()!r})", timeout_ms=30_000)
    user.click("Use suggested input and output", data)
    assert document.graph.nodes[ids[0]].params["shape"] == [24, 24, 3]
    assert not [i for i in document.issues if i.severity == "error"], [i.message for i in document.issues]

    # The Augmentation tab asks the engine at once: the original and 11 variants.
    user.open_tab(data.tabs, "Augmentation")
    user.wait_until(lambda: view.result is not None and not view.progress.isVisible(),
                    lambda: f"the augmentation preview (it says {view.status.text()!r})", timeout_ms=120_000)
    result = view.result
    assert result is not None and result["seed"] == 0 and result["file"] == "blue/blue_0.png"
    assert [layer["type"] for layer in result["layers"]] == ["RandomFlip", "RandomRotation"]
    assert len(view.grid.images) == 12 and view.grid.images[0][1] == "original"
    assert "Image 0 (of 0–11): blue/blue_0.png" in view.status.text()
    original = np.asarray(Image.open(folder / "blue" / "blue_0.png"))
    first = [img.bits().tobytes() for img, _ in view.grid.images]
    assert first[0] == view.grid.images[0][0].bits().tobytes()
    user.screenshot("augment-1-preview")

    # Re-sample: new variants of the same image.
    user.click(view.resample_btn)
    user.wait_until(lambda: view.result is not None and view.result["seed"] == 1 and not view.progress.isVisible(),
                    lambda: f"the re-sampled preview (it says {view.status.text()!r})", timeout_ms=120_000)
    second = [img.bits().tobytes() for img, _ in view.grid.images]
    assert second[0] == first[0] and second[1:] != first[1:]
    from visualnn.services.augment_images import decode_image

    assert np.array_equal(decode_image(view.result["original"]), original)
    assert all(not np.array_equal(decode_image(v), original) for v in view.result["variants"])  # rotated, all
    user.screenshot("augment-2-resampled")
