"""The Data panel's Augmentation tab with a fake engine: the empty states (no image data, no augmentation layer),
the job it sends when the tab is opened, the grid it draws from the engine's answer, Re-sample's new seed, a file
name as the sample, and the engine's failure shown as its message."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import numpy as np
from PySide6.QtCore import Qt

from tests.augment_helpers import chain_graph, image_project, write_folder
from visualnn.core.augmentation import NO_IMAGES
from visualnn.core.commands import SetParam
from visualnn.core.project import Project
from visualnn.services.augment_images import encode_image
from visualnn.ui.app import Shell
from visualnn.ui.data.augment_preview import AugmentPreview


def open_tab(shell: Shell, qtbot: Any) -> AugmentPreview:
    window = shell.window
    window.docks["data"].raise_()
    panel = window.data_panel
    qtbot.waitUntil(panel.isVisible)
    index = panel.tabs.indexOf(panel.augment)
    bar = panel.tabs.tabBar()
    assert panel.tabs.tabText(index) == "Augmentation"
    qtbot.mouseClick(bar, Qt.MouseButton.LeftButton, pos=bar.tabRect(index).center())
    qtbot.waitUntil(panel.augment.isVisible)
    return panel.augment


def answer(n: int, seed: int, notes: list[str] | None = None) -> dict[str, Any]:
    rng = np.random.default_rng(0)  # the same image; the variants depend on the seed
    image = rng.integers(0, 256, (12, 16, 3), dtype=np.uint8)
    return {"file": "dogs/dogs_1.png", "index": 4, "n_images": 6, "class_name": "dogs", "seed": seed,
            "original": encode_image(image),
            "variants": [encode_image(image[:, ::-1] if (i + seed) % 2 else image) for i in range(n)],
            "layers": [{"node": "flip", "label": "flip", "type": "RandomFlip", "random": True}],
            "stop": "flatten", "clipped": None, "notes": notes or []}


def test_without_image_data_the_tab_says_to_attach_a_folder(shell: Shell, qtbot: Any) -> None:
    shell.window.document.set_project(Project(chain_graph([("flip", "RandomFlip", {})])))
    view = open_tab(shell, qtbot)
    assert view.status.text() == NO_IMAGES and view.status.isVisible()
    assert not view.show_btn.isEnabled() and not view.resample_btn.isEnabled()
    assert "augment_preview" not in shell.window.engine.job_types()  # type: ignore[attr-defined]


def test_without_augmentation_layers_the_tab_says_what_to_add(shell: Shell, qtbot: Any, tmp_path: Path) -> None:
    folder = write_folder(tmp_path / "pets")
    project = image_project(chain_graph([("conv", "Conv2D", {"filters": 2, "kernel_size": [3, 3]}),
                                         ("flip", "RandomFlip", {})]), folder)
    shell.window.document.set_project(project, str(tmp_path / "p.vnn"))
    view = open_tab(shell, qtbot)
    text = view.status.text()
    assert "Add RandomFlip, RandomRotation" in text and "palette's Preprocessing group" in text
    assert "flip is not directly after the Input" in text
    assert not view.show_btn.isEnabled()
    assert "augment_preview" not in shell.window.engine.job_types()  # type: ignore[attr-defined]


def test_the_tab_sends_the_job_draws_the_grid_and_resamples(shell: Shell, qtbot: Any, tmp_path: Path) -> None:
    folder = write_folder(tmp_path / "pets")
    window = shell.window
    engine: Any = window.engine
    window.document.set_project(image_project(chain_graph([("flip", "RandomFlip", {"mode": "horizontal"})]),
                                              folder), str(tmp_path / "p.vnn"))
    view = open_tab(shell, qtbot)
    job_id, job_type, payload = engine.jobs[-1]  # opening the tab asks for the first image
    assert job_type == "augment_preview"
    assert (payload["index"], payload["file"], payload["count"], payload["seed"]) == (0, None, 11, 0)
    assert payload["project"]["dataset"]["kind"] == "images" and payload["base_dir"] == str(tmp_path)
    assert view.progress.isVisible() and "Augmenting image 0 11 times" in view.status.text()
    engine.finish(job_id, answer(11, 0))
    assert not view.progress.isVisible()
    assert len(view.grid.images) == 12 and view.grid.images[0][1] == "original"
    assert "Image 4 (of 0–5): dogs/dogs_1.png (class dogs)" in view.status.text()
    assert view.chain_label.text() == "Input → flip (RandomFlip) → flatten and on: not applied"
    assert view.sample_edit.text() == "4" and not view.notes.isVisible()
    before = [img.bits().tobytes() for img, _ in view.grid.images]

    qtbot.mouseClick(view.resample_btn, Qt.MouseButton.LeftButton)
    job_id, job_type, payload = engine.jobs[-1]
    assert job_type == "augment_preview" and payload["seed"] == 1 and payload["index"] == 4
    engine.finish(job_id, answer(11, 1, ["After flip the values leave the pixel range"]))
    after = [img.bits().tobytes() for img, _ in view.grid.images]
    assert after[0] == before[0] and after[1:] != before[1:]  # the same image, new variants
    assert view.notes.isVisible() and "leave the pixel range" in view.notes.text()

    view.sample_edit.clear()
    qtbot.keyClicks(view.sample_edit, "cats_2.png")
    view.count_box.setValue(3)
    qtbot.keyClick(view.sample_edit, Qt.Key.Key_Return)
    job_id, _type, payload = engine.jobs[-1]
    assert (payload["file"], payload["count"]) == ("cats_2.png", 3)
    engine.fail(job_id, "There is no image 'cats_2.png' in /x. Type a file name or a path relative to the folder")
    assert "There is no image 'cats_2.png'" in view.status.text() and "D64541" in view.status.styleSheet()

    qtbot.mouseClick(view.next_btn, Qt.MouseButton.LeftButton)  # from the image shown last: 4 -> 5
    assert engine.jobs[-1][2]["index"] == 5 and view.sample_edit.text() == "5"


def test_an_edit_of_the_chain_redraws_the_preview_and_removing_the_layer_empties_it(
    shell: Shell, qtbot: Any, tmp_path: Path
) -> None:
    folder = write_folder(tmp_path / "pets")
    window = shell.window
    engine: Any = window.engine
    document = window.document
    document.set_project(image_project(chain_graph([("flip", "RandomFlip", {})]), folder), str(tmp_path / "p.vnn"))
    view = open_tab(shell, qtbot)
    engine.finish(engine.jobs[-1][0], answer(11, 0))
    sent = len(engine.jobs)
    document.push(SetParam("out", "units", 5))  # a layer after the chain: nothing to redraw
    qtbot.wait(600)
    assert len(engine.jobs) == sent
    document.push(SetParam("flip", "mode", "vertical"))
    qtbot.waitUntil(lambda: len(engine.jobs) > sent, timeout=3000)
    assert engine.jobs[-1][1] == "augment_preview" and engine.jobs[-1][2]["project"]["graph"]["nodes"][1][
        "params"]["mode"] == "vertical"
    document.set_project(image_project(chain_graph([]), folder), str(tmp_path / "p.vnn"))
    assert "no augmentation layer" in view.status.text() and view.grid.images == []


def test_without_an_engine_the_tab_says_so(shell: Shell, tmp_path: Path) -> None:
    folder = write_folder(tmp_path / "pets")
    shell.window.document.set_project(image_project(chain_graph([("flip", "RandomFlip", {})]), folder),
                                      str(tmp_path / "p.vnn"))
    view = shell.window.data_panel.augment
    view.set_engine(None)
    assert view.show_preview() is None and "engine is not available" in view.status.text()
