"""The Data panel's Augmentation tab: one image of the attached folder as the model sees it in training.

A grid of the original (as the data pipeline reads it) and N variants drawn by the model's augmentation layers
(RandomFlip, RandomRotation ... right after the Input), computed in the engine (``augment_preview`` job) with
``training=True``. The image is chosen by its index in the folder or its file name; "Re-sample" draws new
variants (a new seed). Without image data, or without augmentation layers after the Input, the tab says what
to do instead. The window never waits: the job runs in the engine and only the latest request is shown.
"""

from __future__ import annotations

import json
import math
from typing import Any

from PySide6.QtCore import QPointF, QRectF, QSize, Qt, QTimer
from PySide6.QtGui import QImage, QPainter, QPaintEvent
from PySide6.QtWidgets import (
    QHBoxLayout,
    QLabel,
    QLineEdit,
    QProgressBar,
    QPushButton,
    QSpinBox,
    QVBoxLayout,
    QWidget,
)

from visualnn.core.augmentation import (
    DEFAULT_COUNT,
    MAX_COUNT,
    NO_IMAGES,
    augmentation_chain,
    no_augmentation_message,
    no_input_message,
    preview_payload,
)
from visualnn.ui import theme
from visualnn.ui.document import ProjectDocument
from visualnn.ui.engine_link import EngineLink
from visualnn.ui.insight.session import LatestJobSession

NO_ENGINE = "The TensorFlow engine is not available, so the augmentation preview cannot run. Restart the engine."


class ImageGrid(QWidget):
    """Captioned images in a grid, each drawn as large as its cell allows with crisp pixels."""

    CAPTION = 16.0

    def __init__(self, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.images: list[tuple[QImage, str]] = []
        self.setMinimumHeight(160)

    def set_images(self, images: list[tuple[QImage, str]]) -> None:
        """Show ``images`` (image, caption), the first one (the original) outlined."""
        self.images = images
        self.update()

    def sizeHint(self) -> QSize:  # noqa: N802  (Qt's name)
        return QSize(640, 360)

    def cells(self) -> list[QRectF]:
        """Where each image's cell lies (caption included), in widget coordinates."""
        n = len(self.images)
        if n == 0:
            return []
        w, h = float(self.width()), float(self.height())
        aspect = self.images[0][0].width() / max(1, self.images[0][0].height())
        best = 1
        best_side = 0.0
        for cols in range(1, n + 1):  # the column count that draws the images largest
            rows = math.ceil(n / cols)
            side = min(w / cols / aspect, h / rows - self.CAPTION)
            if side > best_side:
                best, best_side = cols, side
        cols, rows = best, math.ceil(n / best)
        cw, ch = w / cols, h / rows
        return [QRectF((i % cols) * cw, (i // cols) * ch, cw, ch) for i in range(n)]

    def paintEvent(self, event: QPaintEvent) -> None:  # noqa: N802  (Qt's name)
        painter = QPainter(self)
        painter.setRenderHint(QPainter.RenderHint.SmoothPixmapTransform, False)
        painter.setFont(theme.mono_font(8))
        for i, ((image, caption), cell) in enumerate(zip(self.images, self.cells(), strict=True)):
            box = cell.adjusted(4, self.CAPTION + 2, -4, -4)
            scale = min(box.width() / max(1, image.width()), box.height() / max(1, image.height()))
            tw, th = image.width() * scale, image.height() * scale
            target = QRectF(box.x() + (box.width() - tw) / 2, box.y() + (box.height() - th) / 2, tw, th)
            painter.drawImage(target, image)
            if i == 0:
                painter.setPen(theme.ACCENT)
                painter.drawRect(target.adjusted(-1, -1, 1, 1))
            painter.setPen(theme.muted_text_color(self.palette()) if i else self.palette().text().color())
            painter.drawText(QPointF(target.x(), target.y() - 4), caption)  # just above its image
        painter.end()


class AugmentPreview(QWidget):
    """The Augmentation tab: the sample chooser, Show / Re-sample, the grid, and the empty states."""

    def __init__(self, document: ProjectDocument, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.document = document
        self.session = LatestJobSession(document, None, "augment_preview", parent=self)
        self.session.finished.connect(self._on_session_finished)
        self.session.failed.connect(self._on_session_failed)
        self.seed = 0
        self.result: dict[str, Any] | None = None
        self._stale = True  # the chain's layers or the data changed since the grid was asked for
        self._asked: str | None = None  # what the last request depended on (see _inputs_key)
        self._refresh = QTimer(self, singleShot=True, interval=400)
        self._refresh.timeout.connect(self._refresh_if_visible)

        self.sample_edit = QLineEdit("0", self)
        self.sample_edit.setPlaceholderText("index (0, 1, …) or file name")
        self.sample_edit.setToolTip("The image: its number in the folder (class folders and files in name order), "
                                    "or its file name, e.g. cats/cat_001.png")
        self.sample_edit.setMaximumWidth(240)
        self.sample_edit.returnPressed.connect(self.show_preview)
        self.prev_btn = QPushButton("◀", self)
        self.prev_btn.setToolTip("The previous image of the folder")
        self.prev_btn.clicked.connect(lambda: self._step(-1))
        self.next_btn = QPushButton("▶", self)
        self.next_btn.setToolTip("The next image of the folder")
        self.next_btn.clicked.connect(lambda: self._step(1))
        for b in (self.prev_btn, self.next_btn):
            b.setMaximumWidth(32)
        self.count_box = QSpinBox(self)
        self.count_box.setRange(1, MAX_COUNT)
        self.count_box.setValue(DEFAULT_COUNT)
        self.count_box.setToolTip("How many augmented variants to draw")
        self.show_btn = QPushButton("Show", self)
        self.show_btn.setToolTip("Run the image through the augmentation layers (training=True)")
        self.show_btn.clicked.connect(self.show_preview)
        self.resample_btn = QPushButton("Re-sample", self)
        self.resample_btn.setToolTip("Draw new random variants of the same image")
        self.resample_btn.clicked.connect(self.resample)
        row = QHBoxLayout()
        for w in (QLabel("Image:", self), self.sample_edit, self.prev_btn, self.next_btn,
                  QLabel("Variants:", self), self.count_box, self.show_btn, self.resample_btn):
            row.addWidget(w)
        row.addStretch(1)

        self.progress = QProgressBar(self)
        self.progress.setRange(0, 0)
        self.progress.setMaximumHeight(10)
        self.progress.hide()
        self.status = QLabel("", self)
        self.status.setWordWrap(True)
        self.status.setTextInteractionFlags(Qt.TextInteractionFlag.TextSelectableByMouse)
        self.chain_label = QLabel("", self)
        self.chain_label.setWordWrap(True)
        self.notes = QLabel("", self)
        self.notes.setWordWrap(True)
        self.notes.setStyleSheet(f"color: {theme.WARNING};")
        self.notes.hide()
        self.grid = ImageGrid(self)

        layout = QVBoxLayout(self)
        layout.addLayout(row)
        layout.addWidget(self.progress)
        layout.addWidget(self.status)
        layout.addWidget(self.chain_label)
        layout.addWidget(self.notes)
        layout.addWidget(self.grid, 1)
        document.graph_changed.connect(self._on_document_changed)
        document.dataset_changed.connect(self._on_document_changed)
        document.project_replaced.connect(self._on_document_changed)
        self._update_state()

    # ------------------------------------------------------------------ state
    def set_engine(self, engine: EngineLink | None) -> None:
        """The engine that runs the ``augment_preview`` jobs (the window's)."""
        self.session.engine = engine

    def empty_reason(self) -> str | None:
        """Why there is nothing to preview (no image data, no augmentation layer), or None."""
        project = self.document.project
        spec = project.dataset
        if spec is None or spec.kind != "images":
            return NO_IMAGES
        chain = augmentation_chain(project.graph, spec, self.document.registry)
        if chain.input is None:
            return no_input_message(self.document.registry)
        if chain.empty:
            message = no_augmentation_message(self.document.registry)
            if chain.elsewhere:
                names = ", ".join(project.graph.nodes[n].label for n in chain.elsewhere)
                message += f" ({names} is not directly after the Input, so the preview leaves it out.)"
            return message
        return None

    def _update_state(self) -> None:
        reason = self.empty_reason()
        ready = reason is None
        for w in (self.sample_edit, self.prev_btn, self.next_btn, self.count_box, self.show_btn, self.resample_btn):
            w.setEnabled(ready)
        if not ready:
            self.result = None
            self._asked = None
            self.grid.set_images([])
            self.chain_label.clear()
            self.notes.hide()
            self._say(str(reason), None)
        elif self.result is None and not self.session.busy:
            self._say("Press Show to see one image as the model sees it in training: the original and "
                      f"{self.count_box.value()} variants drawn by its augmentation layers.", None)

    def _say(self, text: str, color: str | None) -> None:
        self.status.setText(text)
        self.status.setStyleSheet(f"color: {color};" if color else "")

    def _inputs_key(self) -> str:
        """What the preview depends on: the data's description, the Input and the chain's layers (an edit of a
        layer further down the model changes nothing here)."""
        project = self.document.project
        graph = project.graph
        chain = augmentation_chain(graph, project.dataset, self.document.registry)
        nodes = [graph.nodes[n] for n in (chain.input, *chain.nodes) if n is not None]
        parts = [self.document.path, project.dataset.to_dict() if project.dataset is not None else None,
                 [[n.id, n.type, n.label, n.params] for n in nodes]]
        return json.dumps(parts, sort_keys=True, default=str)

    def _on_document_changed(self) -> None:
        self._update_state()
        if self._inputs_key() == self._asked:
            return
        self._stale = True
        if self.result is not None and self.empty_reason() is None:
            self._refresh.start()  # the chain or the data changed: redraw what is shown, same seed

    def _refresh_if_visible(self) -> None:
        if self.isVisible() and self._stale and self.empty_reason() is None:
            self.show_preview()

    def showEvent(self, event: Any) -> None:  # noqa: N802  (Qt's name)
        super().showEvent(event)
        if self._stale and self.empty_reason() is None and not self.session.busy:
            self.show_preview()

    # ------------------------------------------------------------------ requests
    def _sample(self) -> tuple[int, str | None]:
        text = self.sample_edit.text().strip()
        if text.lstrip("-").isdigit():
            return int(text), None
        return 0, text or None

    def _step(self, delta: int) -> None:
        index, name = self._sample()
        if name is not None and self.result is not None:
            index = int(self.result["index"])
        top = int(self.result["n_images"]) - 1 if self.result is not None else None
        index = max(0, index + delta)
        self.sample_edit.setText(str(min(index, top) if top is not None else index))
        self.show_preview()

    def show_preview(self) -> str | None:
        """Ask the engine for the chosen image and its variants (the current seed); returns the job id."""
        reason = self.empty_reason()
        if reason is not None:
            self._update_state()
            return None
        if self.session.engine is None:
            self._say(NO_ENGINE, theme.ERROR)
            return None
        index, name = self._sample()
        count = self.count_box.value()
        self._stale = False
        self._asked = self._inputs_key()
        what = f"image {name}" if name else f"image {index}"
        job = self.session.submit(preview_payload(index, name, count, self.seed),
                                  f"Augmenting {what} {count} times (seed {self.seed})…")
        if job is not None:
            self.progress.show()
            self._say(f"Augmenting {what} {count} times (seed {self.seed})…", None)
        return job

    def resample(self) -> str | None:
        """New random variants of the same image (the next seed)."""
        self.seed += 1
        return self.show_preview()

    # ------------------------------------------------------------------ results
    def _on_session_failed(self, message: str) -> None:
        self.progress.hide()
        self._say(message, theme.ERROR)

    def _on_session_finished(self, result: dict[str, Any]) -> None:
        from visualnn.services.augment_images import decode_image
        from visualnn.ui.insight.drawing import rgb_image

        self.progress.hide()
        self.result = result
        try:
            images = [(rgb_image(decode_image(result["original"])), "original")]
            images += [(rgb_image(decode_image(v)), f"#{i + 1}") for i, v in enumerate(result["variants"])]
        except (KeyError, TypeError, ValueError) as exc:
            self._say(f"The engine's preview could not be drawn: {exc}", theme.ERROR)
            return
        self.grid.set_images(images)
        if self.sample_edit.text().strip() != result["file"]:
            self.sample_edit.setText(str(result["index"]))
        first = decode_image(result["original"]).shape
        last = int(result["n_images"]) - 1
        self._say(f"Image {result['index']} (of 0–{last}): {result['file']} (class {result['class_name']}), "
                  f"{first[1]}x{first[0]} as the data pipeline reads it, then {len(result['variants'])} draws of "
                  f"the augmentation layers with training=True (seed {result['seed']}).", None)
        steps = [f"{layer['label']} ({layer['type']})" for layer in result.get("layers", [])]
        stop = f" → {result['stop']} and on: not applied" if result.get("stop") else ""
        self.chain_label.setText("Input → " + " → ".join(steps) + stop)
        notes = [str(n) for n in result.get("notes", [])]
        self.notes.setText("\n".join(notes))
        self.notes.setVisible(bool(notes))


__all__ = ["AugmentPreview", "ImageGrid"]
