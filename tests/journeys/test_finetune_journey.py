"""Journey: two-phase fine-tuning of the pretrained MobileNetV3 template in the window, with the real engine.

File > New from Template > "Image classifier from a pretrained MobileNetV3" -> Image folder… picks 24 tiny RGB
PNGs in two class folders -> Apply -> "Use suggested input and output" -> the Resizing layer typed down to
32×32 (Keras's smallest size, to keep the run short) -> the backbone's weights set to "Random weights (None)"
in the Inspector (ImageNet weights cannot be downloaded here) -> its trainable box unticked (the Summary's
counts move the backbone's weights to non-trainable) -> Training: 1 epoch, fine-tune on, unfreeze the top 5
layers, phase 2 learning rate 0.00001, 1 more epoch -> Train. Then what the person sees: one loss curve of two
epochs with the phase boundary drawn after epoch 1 (live, and again when the run is clicked in Runs), the learning
rate dropping at the boundary, the run record (saved with the project) holding both phases' epochs and what phase 2
unfroze.
"""

from __future__ import annotations

import json
import re
from pathlib import Path

import pytest
from PIL import Image, ImageDraw
from PySide6.QtCore import Qt
from pytestqt.qtbot import QtBot

from tests.journeys.conftest import Launch
from tests.journeys.steps import set_training, train_to_the_end
from tests.journeys.user import User
from visualnn.ui.engine_client import EngineClient
from visualnn.ui.inspector.weights_editor import RANDOM_TEXT

pytestmark = [pytest.mark.tf, pytest.mark.slow]

SIZE = 32  # the smallest image the keras.applications families take
TEMPLATE = "Image classifier from a pretrained MobileNetV3"
BACKBONE_TRAINABLE, BACKBONE_FIXED = 927_008, 12_112  # MobileNetV3Small without its top (Keras's counts)
HEAD = 576 + 1  # Dense(1, sigmoid) on the backbone's 576 pooled features (two classes)


def write_photos(root: Path, per_class: int = 12) -> Path:
    """Two classes of 32×32 RGB PNGs: a red disc or a blue bar on grey."""
    for cls in ("disc", "bar"):
        (root / cls).mkdir(parents=True)
        for i in range(per_class):
            image = Image.new("RGB", (SIZE, SIZE), (120, 120, 120))
            draw = ImageDraw.Draw(image)
            o = i % 6
            if cls == "disc":
                draw.ellipse((4 + o, 4 + o, 18 + o, 18 + o), fill=(220, 30, 30))
            else:
                draw.rectangle((o, 12, 31, 18), fill=(30, 30, 220))
            image.save(root / cls / f"{cls}_{i:02d}.png")
    return root


def summary_counts(user: User) -> tuple[int, int]:
    """The Summary tab's "Trainable: … · Non-trainable: …" line, read as two numbers."""
    summary = user.window.summary_panel
    user.show_dock("summary")
    summary.refresh()
    text = summary.totals.text()
    found = re.search(r"Trainable: ([\d,]+).*Non-trainable: ([\d,]+)", text)
    assert found, f"the Summary shows no trainable/non-trainable split: {text!r}"
    return int(found[1].replace(",", "")), int(found[2].replace(",", ""))


def node_of_type(user: User, type_id: str) -> str:
    found = [nid for nid, node in user.window.document.graph.nodes.items() if node.type == type_id]
    assert len(found) == 1, f"the template should have one {type_id}: {found}"
    return found[0]


def test_pretrained_template_fine_tunes_in_two_phases_in_the_window(
    launch: Launch, tf_engine: EngineClient, tmp_path: Path, qtbot: QtBot
) -> None:
    import pyqtgraph as pg

    session, user = launch(tf_engine)
    window = session.window
    document = window.document
    folder = write_photos(tmp_path / "photos")

    # File > New from Template > the MobileNetV3 classifier.
    user.menu("File", "New from Template", TEMPLATE)
    backbone = node_of_type(user, "MobileNetV3Small")
    assert document.display_name == TEMPLATE

    # Data: the image folder; Apply; the template's ends follow the data (3 channels in, two classes: one
    # sigmoid unit out).
    user.show_dock("data")
    data = window.data_panel
    user.chooser.will_answer("folder", str(folder))
    user.click("Image folder…", data)
    user.wait_until(lambda: data.info is not None and not data.progress.isVisible(),
                    lambda: f"reading the image folder (the Data panel says {data.status.text()!r})", timeout_ms=30_000)
    user.click("Apply to project", data)
    assert document.project.dataset is not None and document.project.dataset.kind == "images"
    user.open_tab(data.tabs, "Tensors")
    user.wait_until(lambda: data.suggest_btn.isEnabled(), "the suggestion to be ready", timeout_ms=30_000)
    user.click("Use suggested input and output", data)
    head = node_of_type(user, "Dense")
    assert document.graph.nodes[head].params["units"] == 1, document.graph.nodes[head].params

    # The template resizes to ImageNet's 224×224; this person wants a quick first try at 32×32.
    resizing = node_of_type(user, "Resizing")
    user.select_layer(resizing)
    user.type_into(user.inspector_field("height"), str(SIZE))
    user.type_into(user.inspector_field("width"), str(SIZE))
    assert (document.graph.nodes[resizing].params["height"], document.graph.nodes[resizing].params["width"]) == (SIZE, SIZE)

    # No ImageNet download here: the backbone's weights drop-down -> "Random weights (None)".
    user.select_layer(backbone)
    weights = user.inspector_field("weights")
    user.choose(weights, RANDOM_TEXT)  # type: ignore[arg-type]
    assert document.graph.nodes[backbone].params["weights"] is None
    assert not [i for i in document.issues if i.severity == "error"], [i.message for i in document.issues]

    # Everything trains at first; unticking the backbone's trainable box moves its weights to non-trainable.
    assert summary_counts(user) == (BACKBONE_TRAINABLE + HEAD, BACKBONE_FIXED)
    user.select_layer(backbone)
    user.check(user.inspector_field("trainable"), False)  # type: ignore[arg-type]
    assert document.graph.nodes[backbone].params["trainable"] is False
    assert user.node_item(backbone).view.frozen
    assert summary_counts(user) == (HEAD, BACKBONE_TRAINABLE + BACKBONE_FIXED)

    # Training: phase 1 one epoch; phase 2 unfreezes the top 5 layers, learning rate 1e-5, one more epoch.
    set_training(user, epochs=1, batch_size=8, fine_tune=True)
    set_training(user, fine_tune_layers=5, fine_tune_learning_rate=0.00001, fine_tune_epochs=1)
    run = train_to_the_end(user, timeout_ms=600_000)
    assert run.status == "finished", (run.status, run.error)

    # The record: two epochs in one history, the boundary after epoch 1, the lower rate in phase 2.
    assert run.epochs_done == 2 and len(run.history["loss"]) == 2, run.history
    fine = run.extra["fine_tune"]
    assert fine["boundary"] == 1 and fine["epochs"] == 1 and fine["layers"] == 5, fine
    assert len(fine["unfrozen"]) >= 1 and all("bn" not in name.lower() for name in fine["unfrozen"]), fine
    assert fine["learning_rate"] == pytest.approx(1e-5), fine
    # The learning rate drops to phase 2's at the boundary: live (what the plot drew) and in the record.
    rates = window.training_panel.controller.history["lr"]
    assert len(rates) == 2 and rates[1] == pytest.approx(1e-5) and rates[0] > rates[1], rates
    assert run.history["lr"] == pytest.approx(rates), run.history

    # The plots: one continuous loss curve over both phases, the dashed boundary after epoch 1.
    plots = window.training_panel.plots
    xs, ys = plots.curve("loss", "train").view()
    assert list(xs) == [1.0, 2.0] and list(ys) == pytest.approx(run.history["loss"]), (xs, ys)
    for metric in ("loss", "learning rate"):
        marks = [i.value() for i in plots.plots[metric].getPlotItem().items if isinstance(i, pg.InfiniteLine)]
        assert marks == [1.0], (metric, marks)
    user.screenshot("finetune-1-trained")

    # Runs: clicking the finished run draws its history with the same boundary.
    user.show_dock("runs")
    runs = window.runs_panel
    row = [r.id for r in runs.runs].index(run.id)
    table = runs.table
    qtbot.mouseClick(table.viewport(), Qt.MouseButton.LeftButton, pos=table.visualRect(table.model().index(row, 1)).center())
    user.wait_until(lambda: any(isinstance(i, pg.InfiniteLine) for i in runs.plots.plots["loss"].getPlotItem().items),
                    "the selected run's phase boundary on the Runs plots")
    assert {i.value() for p in runs.plots.plots.values() for i in p.getPlotItem().items
            if isinstance(i, pg.InfiniteLine)} == {1.0}

    # The Summary still describes the document: the backbone frozen (phase 2 unfreezes only while training).
    assert summary_counts(user) == (HEAD, BACKBONE_TRAINABLE + BACKBONE_FIXED)

    # Saved: the run record on disk keeps both phases' epochs and the fine-tuning entry.
    saved = tmp_path / "work" / "finetune.vnn"
    saved.parent.mkdir()
    user.chooser.will_answer("save_file", str(saved))
    user.menu("File", "Save As…")
    on_disk = json.loads(saved.read_text())["runs"][-1]
    assert len(on_disk["history"]["loss"]) == 2 and on_disk["epochs_done"] == 2, on_disk["history"]
    assert on_disk["extra"]["fine_tune"]["boundary"] == 1 and len(on_disk["history"]["lr"]) == 2, on_disk
    assert not user.chooser.answers, f"file dialogs that never opened: {list(user.chooser.answers)}"
