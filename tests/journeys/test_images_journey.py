"""Journey: a folder of images and a template from the welcome page to a trained, saved, reopened, exported model.

First launch -> the welcome page -> the "Small CNN" template card -> Image folder… in the Data
panel picks 40 tiny PNGs in two class folders -> Apply -> "Use suggested input and output" -> one
epoch, batch 8 -> Train -> File > Save As -> File > Open -> File > Export .keras, .tflite, script.
"""

from __future__ import annotations

from pathlib import Path

import pytest
from PIL import Image, ImageDraw
from PySide6.QtCore import Qt
from PySide6.QtWidgets import QListWidget
from pytestqt.qtbot import QtBot

from tests.journeys.conftest import Launch
from tests.journeys.steps import export_all
from visualnn.core.project.io import load_project
from visualnn.ui.engine_client import EngineClient
from visualnn.ui.training.settings import TrainingSettingsForm
from visualnn.ui.welcome import WelcomeDialog

pytestmark = [pytest.mark.tf, pytest.mark.slow]


def write_images(root: Path, per_class: int = 20) -> Path:
    """Two classes of 16×16 grayscale PNGs: a bright square, or a bright bar, on black."""
    for cls in ("square", "bar"):
        (root / cls).mkdir(parents=True)
        for i in range(per_class):
            image = Image.new("L", (16, 16), 0)
            draw = ImageDraw.Draw(image)
            o = i % 5
            draw.rectangle((2 + o, 2 + o, 8 + o, 8 + o) if cls == "square" else (o, 6, 15, 8), fill=255)
            image.save(root / cls / f"{cls}_{i:02d}.png")
    return root


def test_image_folder_and_template_to_trained_saved_reopened_and_exported_model(
    launch: Launch, tf_engine: EngineClient, tmp_path: Path, qtbot: QtBot
) -> None:
    session, user = launch(tf_engine, welcome=True)
    window = session.window
    document = window.document
    chooser = user.chooser
    folder = write_images(tmp_path / "shapes")

    # The welcome page on first launch: click the "Small CNN" template card, press Enter.
    user.wait_until(lambda: isinstance(session.greeting, WelcomeDialog) and session.greeting.isVisible(),
                    "the welcome page")
    welcome = session.greeting
    assert isinstance(welcome, WelcomeDialog)
    user.screenshot("images-0-welcome")
    cards = welcome.findChild(QListWidget, "templates")
    assert cards is not None
    card = next(cards.item(i) for i in range(cards.count()) if cards.item(i).data(Qt.ItemDataRole.UserRole) == "cnn_small")
    cards.scrollToItem(card)
    rect = cards.visualItemRect(card)
    qtbot.mouseClick(cards.viewport(), Qt.MouseButton.LeftButton, pos=rect.center())
    assert cards.currentItem() is card
    qtbot.keyClick(cards.viewport(), Qt.Key.Key_Return)
    user.wait_until(lambda: not welcome.isVisible(), "the welcome page to close")
    assert any(n.type == "Conv2D" for n in document.graph) and document.path is None

    # Data: Image folder… -> the class folders; Apply; fit the model's ends to the data.
    user.show_dock("data")
    data = window.data_panel
    chooser.will_answer("folder", str(folder))
    user.click("Image folder…", data)
    user.wait_until(lambda: data.info is not None and not data.progress.isVisible(),
                    lambda: f"reading the image folder (the Data panel says {data.status.text()!r})", timeout_ms=30_000)
    user.click("Apply to project", data)
    assert document.project.dataset is not None and document.project.dataset.kind == "images"
    user.open_tab(data.tabs, "Tensors")
    user.click("Use suggested input and output", data)
    assert not [i for i in document.issues if i.severity == "error"], [i.message for i in document.issues]
    user.screenshot("images-1-data")

    # One short epoch.
    user.show_dock("training")
    form = window.training_panel.findChild(TrainingSettingsForm)
    assert form is not None
    user.set_setting(form, "epochs", 1)
    user.set_setting(form, "batch_size", 8)
    user.click(window.training_panel.train_button)
    user.wait_until(lambda: bool(document.project.runs) and not window.training_panel.running,
                    "one epoch of training", timeout_ms=300_000)
    run = document.project.runs[-1]
    assert run.status == "finished" and run.epochs_done == 1, (run.status, run.error)
    user.screenshot("images-2-trained")

    saved = tmp_path / "work" / "shapes_cnn.vnn"
    saved.parent.mkdir()
    chooser.will_answer("save_file", str(saved))
    user.menu("File", "Save As…")
    assert saved.exists() and document.path == str(saved) and not document.is_dirty
    # The template gave the project its name, which stays; the title names the file it now lives in.
    assert document.display_name == "Small CNN"
    assert "(shapes_cnn.vnn)" in window.windowTitle(), window.windowTitle()
    on_disk = load_project(str(saved)).to_dict()
    assert on_disk == document.project.to_dict()
    chooser.will_answer("open_file", str(saved))
    user.menu("File", "Open…")
    assert document.project.to_dict() == on_disk and not document.is_dirty

    loaded = export_all(user, session.shell.export, tmp_path / "exports", "cnn")
    # Two classes: the suggested output is one sigmoid unit.
    # Raw pixels of any size: both take (batch, height, width, 1) and resize inside the model.
    assert loaded["keras_in"] == [[None, None, None, 1]] and loaded["tflite_in"][-1] == 1, loaded
    assert loaded["tflite_out"][-1] == 1, loaded
    assert not chooser.answers, f"file dialogs that never opened: {list(chooser.answers)}"
