"""Tensor cards of a dataset's named parts: one card per Input and output node, and the array that feeds it.

Shown in the Data panel's Tensors tab when the model has several Inputs or outputs and the data is an
``.npz`` (or a CSV: one card per column group and target column, chosen in the Columns tab). Each card names the array, its shape with the batch axis as None, its rank with the word the
course uses (vector, sequence, image, video), its axes and dtype, and the node it feeds; a combo box
lists the file's arrays so the user can choose the one for that node when the names differ. The view
only emits ``array_chosen``; the panel turns it into a dataset edit (one undoable command).
"""

from __future__ import annotations

from typing import Any

from PySide6.QtCore import QSignalBlocker, Signal
from PySide6.QtWidgets import QComboBox, QFrame, QGridLayout, QLabel, QVBoxLayout, QWidget

from visualnn.core.specs import fmt_shape
from visualnn.core.tensors import axis_names

CHOOSE = "(choose an array)"
_RANK_WORD = {1: "vector", 2: "vector", 3: "sequence", 4: "image", 5: "video"}


def part_facts(part: Any) -> dict[str, str]:
    """The texts one card shows for a :class:`~visualnn.services.datasets.source_info.PartInfo`."""
    feeds = f"→ Input {part.node}" if part.role == "input" else f"→ output {part.node}"
    tensor = part.tensor
    if tensor is None:
        missing = ("no such array in the file" if part.array else
                   "no feature column feeds it" if part.role == "input" else "no target column")
        return {"title": part.array or "(no columns)", "feeds": feeds, "shape": missing, "rank": "", "axes": "",
                "dtype": ""}
    shape = fmt_shape((None, *tensor.shape[1:]))
    if part.role == "input":
        word = _RANK_WORD.get(tensor.rank, "tensor")
        axes = axis_names(tensor.rank, word if tensor.rank > 1 else "vector")
        rank = f"rank {tensor.rank} · {word}"
    else:
        axes = tensor.axes
        what = {"multiclass": f"{len(part.class_names)} classes", "binary": "2 classes",
                "multilabel": f"{len(part.class_names)} labels", "regression": "numbers"}.get(part.task or "", "targets")
        rank = f"rank {tensor.rank} · targets ({what})"
    return {"title": part.array, "feeds": feeds, "shape": shape, "rank": rank,
            "axes": "axes: " + ", ".join(axes), "dtype": tensor.dtype}


class PartCards(QWidget):
    """One card per named part, in the model's order (Inputs, then outputs)."""

    array_chosen = Signal(str, str, str)  # role ("input" | "target"), node name, array name

    def __init__(self, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.setObjectName("partCards")
        self._grid = QGridLayout(self)
        self._grid.setContentsMargins(0, 0, 0, 0)
        self._grid.setHorizontalSpacing(8)
        self._grid.setVerticalSpacing(8)
        self.cards: list[QFrame] = []

    def show_parts(self, parts: list[Any], arrays: list[str]) -> None:
        """Replace the cards with ``parts``; each combo offers ``arrays`` (the file's arrays)."""
        for card in self.cards:
            self._grid.removeWidget(card)
            card.hide()
            card.deleteLater()
        self.cards = []
        columns = 4 if len(parts) >= 4 else max(1, len(parts))
        for i, part in enumerate(parts):
            card = self._card(part, arrays)
            self._grid.addWidget(card, i // columns, i % columns)
            self.cards.append(card)
        self.setVisible(bool(parts))

    def _card(self, part: Any, arrays: list[str]) -> QFrame:
        texts = part_facts(part)
        card = QFrame(self)
        card.setObjectName(f"part:{part.role}:{part.node}")
        card.setFrameShape(QFrame.Shape.StyledPanel)
        missing = part.tensor is None
        layout = QVBoxLayout(card)
        layout.setContentsMargins(10, 8, 10, 8)
        layout.setSpacing(2)
        title = QLabel(f"<b>{texts['title']}</b> &nbsp; {texts['feeds']}", card)
        title.setObjectName("title")
        layout.addWidget(title)
        shape = QLabel(texts["shape"], card)
        shape.setObjectName("shape")
        if missing:
            shape.setStyleSheet("color: #c0392b;")
        else:
            from visualnn.ui import theme

            shape.setFont(theme.mono_font(10))
        layout.addWidget(shape)
        for key in ("rank", "axes", "dtype"):
            if texts[key]:
                label = QLabel(texts[key], card)
                label.setObjectName(key)
                layout.addWidget(label)
        if not arrays:  # a CSV's column groups: the Columns tab chooses each column's node
            return card
        box = QComboBox(card)
        box.setObjectName(f"part-array:{part.role}:{part.node}")
        box.setToolTip(f"The array of the .npz that feeds {'Input' if part.role == 'input' else 'output'} {part.node}")
        blocker = QSignalBlocker(box)
        if missing:
            box.addItem(CHOOSE)
        box.addItems(arrays)
        box.setCurrentText(CHOOSE if missing else part.array)
        del blocker
        box.currentTextChanged.connect(
            lambda text, r=part.role, n=part.node: self._on_box_changed(r, n, text))
        layout.addWidget(box)
        return card

    def _on_box_changed(self, role: str, node: str, text: str) -> None:
        if text and text != CHOOSE:
            self.array_chosen.emit(role, node, text)

    def combo(self, role: str, node: str) -> QComboBox | None:
        """The combo box choosing the array of ``node`` (``role``: input | target)."""
        card = self.card(role, node)
        found = card.findChild(QComboBox, f"part-array:{role}:{node}") if card is not None else None
        return found if isinstance(found, QComboBox) else None

    def card(self, role: str, node: str) -> QFrame | None:
        """The card of ``node``."""
        return next((c for c in self.cards if c.objectName() == f"part:{role}:{node}"), None)
