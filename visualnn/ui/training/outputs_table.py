"""The per-output compile table of the Training settings: each output's loss, loss weight and metrics.

One row per output node of the model (its name is the node's label, as Keras names the output). A row
shows the output's effective settings: its own entry of ``TrainingConfig.outputs``, or the model-wide
loss and metrics with weight 1. Editing a row stores an entry for that output; a row edited back to
the model-wide settings drops its entry, so the model-wide Loss and Metrics keep applying to it.
Entries for outputs the model no longer has are kept (a file round-trips unchanged) and named under
the table, with a button to forget them.
"""

from __future__ import annotations

from PySide6.QtCore import QObject, Qt, Signal
from PySide6.QtGui import QAction, QMouseEvent
from PySide6.QtWidgets import (
    QAbstractItemView,
    QComboBox,
    QDoubleSpinBox,
    QHBoxLayout,
    QHeaderView,
    QLabel,
    QMenu,
    QPushButton,
    QTableWidget,
    QTableWidgetItem,
    QToolButton,
    QVBoxLayout,
    QWidget,
)

from visualnn.core.training_config import TrainingConfig
from visualnn.core.training_options import LOSSES, METRICS, OutputSettings, find, output_settings
from visualnn.ui import theme

COLUMNS = ("Output", "Loss", "Weight", "Metrics")
MAX_WEIGHT = 1000.0
SINGLE_OUTPUT_NOTE = ("This model has one output: the Loss and Metrics above apply to it. "
                      "A model with several outputs sets each output's loss, weight and metrics here.")


class _StayOpenMenu(QMenu):
    """A menu of check boxes that stays open while boxes are ticked (several metrics in one visit)."""

    def mouseReleaseEvent(self, event: QMouseEvent) -> None:  # noqa: N802 (Qt's name)
        action = self.activeAction()
        if action is not None and action.isCheckable() and action.isEnabled():
            action.trigger()
            return
        super().mouseReleaseEvent(event)


class MetricsButton(QToolButton):
    """A multi-select of metrics: a button naming the chosen ones, with a menu of check boxes."""

    changed = Signal()

    def __init__(self, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.setPopupMode(QToolButton.ToolButtonPopupMode.InstantPopup)
        self.setToolButtonStyle(Qt.ToolButtonStyle.ToolButtonTextOnly)
        menu = _StayOpenMenu(self)
        self.actions_by_id: dict[str, QAction] = {}
        for o in METRICS:
            action = menu.addAction(o.label)
            action.setCheckable(True)
            action.setData(o.id)
            action.setToolTip(o.doc)
            action.toggled.connect(self._on_action_toggled)
            self.actions_by_id[o.id] = action
        menu.setToolTipsVisible(True)
        self.setMenu(menu)
        self._show_text()

    def chosen(self) -> tuple[str, ...]:
        """The ticked metrics' ids, in the catalog's order."""
        return tuple(i for i, a in self.actions_by_id.items() if a.isChecked())

    def set_chosen(self, metric_ids: tuple[str, ...]) -> None:
        """Tick exactly ``metric_ids`` (without emitting ``changed``)."""
        for metric_id, action in self.actions_by_id.items():
            action.blockSignals(True)
            action.setChecked(metric_id in metric_ids)
            action.blockSignals(False)
        self._show_text()

    def _on_action_toggled(self, _on: bool) -> None:
        self._show_text()
        self.changed.emit()

    def _show_text(self) -> None:
        chosen = self.chosen()
        self.setText(", ".join(chosen) if chosen else "none")
        self.setToolTip("Metrics of this output (watched and reported, not trained on): "
                        + (", ".join(self.actions_by_id[m].text() for m in chosen) if chosen else "none"))


class OutputsTable(QWidget):
    """Each output's loss, loss weight and metrics; its value is ``TrainingConfig.outputs``."""

    edited = Signal()

    def __init__(self, wheel_guard: QObject | None = None, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self._wheel_guard = wheel_guard
        self._names: list[str] = []
        self._value: tuple[OutputSettings, ...] = ()
        self._default_loss = ""
        self._default_metrics: tuple[str, ...] = ()
        self._filling = False
        self.note = QLabel(SINGLE_OUTPUT_NOTE)
        self.note.setWordWrap(True)
        self.note.setStyleSheet("color: palette(mid);")
        self.table = QTableWidget(0, len(COLUMNS))
        self.table.setHorizontalHeaderLabels(list(COLUMNS))
        self.table.verticalHeader().setVisible(False)
        self.table.setSelectionMode(QAbstractItemView.SelectionMode.NoSelection)
        self.table.setFocusPolicy(Qt.FocusPolicy.NoFocus)
        self.table.setVerticalScrollBarPolicy(Qt.ScrollBarPolicy.ScrollBarAlwaysOff)
        self.table.setHorizontalScrollBarPolicy(Qt.ScrollBarPolicy.ScrollBarAlwaysOff)
        header = self.table.horizontalHeader()
        for column, mode in enumerate((QHeaderView.ResizeMode.ResizeToContents, QHeaderView.ResizeMode.Stretch,
                                       QHeaderView.ResizeMode.ResizeToContents,
                                       QHeaderView.ResizeMode.ResizeToContents)):
            header.setSectionResizeMode(column, mode)
        tips = ("The output layer's name (rename the layer on the canvas).",
                "What training minimises for this output.",
                "This output's share of the total loss: total = sum of weight × output loss.",
                "Metrics reported for this output (they do not change how it learns).")
        for column, tip in enumerate(tips):
            item = self.table.horizontalHeaderItem(column)
            if item is not None:
                item.setToolTip(tip)
        self.stale = QLabel()
        self.stale.setWordWrap(True)
        self.stale.setStyleSheet(f"color: {theme.WARNING};")
        self.forget_button = QPushButton("Forget them")
        self.forget_button.setToolTip("Remove the settings of outputs this model no longer has (undoable).")
        self.forget_button.clicked.connect(self._on_forget_clicked)
        stale_row = QHBoxLayout()
        stale_row.addWidget(self.stale, 1)
        stale_row.addWidget(self.forget_button, 0, Qt.AlignmentFlag.AlignTop)
        layout = QVBoxLayout(self)
        layout.setContentsMargins(0, 0, 0, 0)
        layout.addWidget(self.note)
        layout.addWidget(self.table)
        layout.addLayout(stale_row)
        self._rebuild()

    # --- model to view ---------------------------------------------------------------------------

    @property
    def names(self) -> list[str]:
        """The model's output names, one row each."""
        return list(self._names)

    def set_output_names(self, names: list[str]) -> None:
        """The model's outputs changed (added, removed, renamed): one row per output, in model order."""
        if list(names) != self._names:
            self._names = list(names)
            self._rebuild()

    def set_defaults(self, loss: str, metrics: tuple[str, ...]) -> None:
        """The model-wide loss and metrics: what rows without their own entry show."""
        if (loss, tuple(metrics)) != (self._default_loss, self._default_metrics):
            self._default_loss, self._default_metrics = loss, tuple(metrics)
            self._fill()

    def set_value(self, value: tuple[OutputSettings, ...]) -> None:
        """Show ``TrainingConfig.outputs`` (without emitting ``edited``)."""
        self._value = tuple(value)
        self._fill()

    def value(self) -> tuple[OutputSettings, ...]:
        """The entries shown: the stored ones, with the user's edits."""
        return self._value

    def is_multi(self) -> bool:
        """Whether the model has several outputs (the table is shown)."""
        return len(self._names) > 1

    def loss_box(self, row: int) -> QComboBox:
        """The loss chooser of output ``row``."""
        box = self.table.cellWidget(row, 1)
        assert isinstance(box, QComboBox)
        return box

    def weight_box(self, row: int) -> QDoubleSpinBox:
        """The loss-weight box of output ``row``."""
        box = self.table.cellWidget(row, 2)
        assert isinstance(box, QDoubleSpinBox)
        return box

    def metrics_button(self, row: int) -> MetricsButton:
        """The metrics multi-select of output ``row``."""
        button = self.table.cellWidget(row, 3)
        assert isinstance(button, MetricsButton)
        return button

    # --- rows ------------------------------------------------------------------------------------

    def _rebuild(self) -> None:
        multi = self.is_multi()
        self.note.setVisible(not multi)
        self.table.setVisible(multi)
        self.table.setRowCount(len(self._names) if multi else 0)
        for row, name in enumerate(self._names if multi else []):
            item = QTableWidgetItem(name)
            item.setFlags(Qt.ItemFlag.ItemIsEnabled)  # the name is the layer's: read-only here
            self.table.setItem(row, 0, item)
            loss = QComboBox()
            loss.setSizeAdjustPolicy(QComboBox.SizeAdjustPolicy.AdjustToMinimumContentsLengthWithIcon)
            loss.setMinimumContentsLength(14)
            for o in LOSSES:
                loss.addItem(o.label, o.id)
                loss.setItemData(loss.count() - 1, f"{o.doc}\n{o.url}", Qt.ItemDataRole.ToolTipRole)
            loss.currentIndexChanged.connect(lambda _i, r=row: self._on_row_edited(r))
            weight = QDoubleSpinBox(decimals=3, minimum=0.0, maximum=MAX_WEIGHT, singleStep=0.1)
            weight.valueChanged.connect(lambda _v, r=row: self._on_row_edited(r))
            metrics = MetricsButton()
            metrics.changed.connect(lambda r=row: self._on_row_edited(r))
            for widget in (loss, weight, metrics):
                widget.setFocusPolicy(Qt.FocusPolicy.StrongFocus)  # a scroll over the form never selects one
                if self._wheel_guard is not None:
                    widget.installEventFilter(self._wheel_guard)
            self.table.setCellWidget(row, 1, loss)
            self.table.setCellWidget(row, 2, weight)
            self.table.setCellWidget(row, 3, metrics)
        self._fill()
        self.table.resizeRowsToContents()
        rows = sum(self.table.rowHeight(r) for r in range(self.table.rowCount()))
        self.table.setFixedHeight(self.table.horizontalHeader().sizeHint().height() + rows
                                  + 2 * self.table.frameWidth())

    def _fill(self) -> None:
        """Show each row's effective settings and name the entries of outputs the model no longer has."""
        self._filling = True
        try:
            if self.is_multi():
                shown = output_settings(self._fallback_config(), self._names)
                for row, settings in enumerate(shown):
                    # A box already showing the value keeps its text: the echo of an edit typed one keystroke
                    # at a time ("0" of "0.5") must not reformat it under the cursor.
                    if self.loss_box(row).currentData() != settings.loss:
                        _select(self.loss_box(row), settings.loss)
                    if self.weight_box(row).value() != float(settings.weight):
                        self.weight_box(row).setValue(float(settings.weight))
                    if set(self.metrics_button(row).chosen()) != set(settings.metrics):
                        self.metrics_button(row).set_chosen(settings.metrics)
                    own = any(o.name == settings.name for o in self._value)
                    item = self.table.item(row, 0)
                    if item is not None:
                        font = item.font()
                        font.setBold(own)
                        item.setFont(font)
                        item.setToolTip(f"{settings.name}: its own settings" if own else
                                        f"{settings.name}: the model-wide loss and metrics, weight 1")
        finally:
            self._filling = False
        stale = [o.name for o in self._value if o.name not in self._names]
        self.stale.setText(f"Settings for outputs this model does not have: {', '.join(stale)}. Training "
                           "refuses them: forget them, or give the output layer that name again." if stale else "")
        self.stale.setVisible(bool(stale))
        self.forget_button.setVisible(bool(stale))

    def _fallback_config(self) -> TrainingConfig:
        return TrainingConfig().with_changes(loss=self._default_loss, metrics=self._default_metrics,
                                             outputs=self._value)

    # --- view to model ---------------------------------------------------------------------------

    def _on_row_edited(self, row: int) -> None:
        if self._filling:
            return
        name = self._names[row]
        loss = self.loss_box(row).currentData()
        edited = OutputSettings(name, str(loss), float(self.weight_box(row).value()),
                                self.metrics_button(row).chosen())
        default = (edited.loss == self._default_loss and edited.weight == 1.0
                   and set(edited.metrics) == set(self._default_metrics))
        entries = {o.name: o for o in self._value}
        if default:
            entries.pop(name, None)
        else:
            entries[name] = edited
        # Entries in the model's output order, then those of outputs it no longer has (kept as they were).
        ordered = [entries[n] for n in self._names if n in entries]
        ordered += [o for o in self._value if o.name not in self._names]
        self._value = tuple(ordered)
        self._fill()
        self.edited.emit()

    def _on_forget_clicked(self) -> None:
        self._value = tuple(o for o in self._value if o.name in self._names)
        self._fill()
        self.edited.emit()


def _select(box: QComboBox, loss_id: str) -> None:
    option = find(LOSSES, loss_id)
    index = box.findData(option.id if option is not None else loss_id)
    if index < 0:  # a loss from a newer app or a hand-edited file: show it rather than lose it
        box.addItem(loss_id, loss_id)
        index = box.count() - 1
    box.setCurrentIndex(index)
