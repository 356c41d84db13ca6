"""Compile and fit settings form, built from the settings table; emits the edited TrainingConfig.

Every row comes from :data:`visualnn.core.training_settings.FIELDS`: its widget kind, range, choices,
label and help. The settings people change most (compile, fit) sit side by side, visible without
scrolling; optimizer details and schedules, callbacks, and reproducibility/where-to-run fold away. The panel turns each emitted config into an undoable command.
"""

from __future__ import annotations

from typing import Any

from PySide6.QtCore import QEvent, QObject, Qt, Signal
from PySide6.QtWidgets import (
    QCheckBox,
    QComboBox,
    QDoubleSpinBox,
    QFormLayout,
    QGroupBox,
    QHBoxLayout,
    QLabel,
    QLineEdit,
    QListWidget,
    QListWidgetItem,
    QSpinBox,
    QToolButton,
    QVBoxLayout,
    QWidget,
)

from visualnn.core.distribution import batch_note
from visualnn.core.training_config import TrainingConfig
from visualnn.core.training_options import LOSSES, METRICS, OPTIMIZERS, SCHEDULES, Option
from visualnn.core.training_settings import (
    BOOL,
    CHOICE,
    FIELDS,
    FLOAT,
    GROUPS,
    INT,
    INT_LIST,
    MULTI,
    OUTPUTS,
    SettingField,
    applies,
    monitor_choices,
    setting_warnings,
)
from visualnn.ui import theme
from visualnn.ui.training.outputs_table import OutputsTable

CATALOGS: dict[str, tuple[Option, ...]] = {"loss": LOSSES, "optimizer": OPTIMIZERS, "schedule": SCHEDULES,
                                           "metrics": METRICS}
"""Fields whose choices are options with labels and docs (the others show their ids)."""

GROUP_TITLES = {"compile": "Compile", "fit": "Fit", "tuning": "Optimizer details and learning-rate schedule",
                "finetune": "Fine-tuning (two phases)", "callbacks": "Callbacks",
                "advanced": "Reproducibility and where to run"}
FOLDED = ("tuning", "finetune", "callbacks", "advanced")
"""Groups that fold away; the others sit side by side on top, visible without scrolling in the short dock."""

EMPTY_TEXT = {"fine_tune_learning_rate": "auto: a tenth of phase 1's", "fine_tune_from": "empty: the top layers above"}
"""What an optional field shows while empty, where "off" would mislead (the default is a value, not nothing)."""

DEFAULT_LABELS = {"loss": "Default loss", "metrics": "Default metrics"}
"""The model-wide Loss and Metrics rows' labels when the model has several outputs."""
DEFAULT_NOTE = " With several outputs: used by each output without its own row under Per-output settings."


class _WheelGuard(QObject):
    """The mouse wheel scrolls the form; it changes a value only in the field being edited (it has focus)."""

    def eventFilter(self, watched: QObject, event: QEvent) -> bool:  # noqa: N802 (Qt's name)
        if event.type() == QEvent.Type.Wheel and isinstance(watched, QWidget) and not watched.hasFocus():
            event.ignore()  # unhandled: Qt passes it on to the scroll area around the form
            return True
        return False


class TrainingSettingsForm(QWidget):
    """Every training setting, one row per field of the settings table."""

    config_edited = Signal(object)  # TrainingConfig

    def __init__(self, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self._cfg = TrainingConfig()
        self._updating = True  # filling the widgets emits their change signals: not edits
        self._n_gpus = 0
        self._output_names: list[str] = []
        self._devices_known = False  # until the engine lists its devices, only an explicit 'cpu' counts as a CPU
        self.widgets: dict[str, QWidget] = {}
        self.sections: dict[str, QWidget] = {}
        self.toggles: dict[str, QToolButton] = {}
        self._wheel_guard = _WheelGuard(self)
        outer = QVBoxLayout(self)
        outer.setContentsMargins(0, 0, 0, 0)
        common = QHBoxLayout()  # compile beside fit: the settings changed most fit the short dock's height
        outer.addLayout(common)
        forms: dict[str, QFormLayout] = {}
        for group in GROUPS:
            title = GROUP_TITLES[group]
            box = QGroupBox(title if group not in FOLDED else "")
            forms[group] = QFormLayout(box)
            forms[group].setFieldGrowthPolicy(QFormLayout.FieldGrowthPolicy.AllNonFixedFieldsGrow)
            self.sections[group] = box
            if group not in FOLDED:
                common.addWidget(box, 0 if group == "fit" else 1, Qt.AlignmentFlag.AlignTop)
                continue
            toggle = QToolButton()
            toggle.setText(title)
            toggle.setCheckable(True)
            toggle.setToolButtonStyle(Qt.ToolButtonStyle.ToolButtonTextBesideIcon)
            toggle.setArrowType(Qt.ArrowType.RightArrow)
            toggle.setStyleSheet("QToolButton { border: none; font-weight: bold; }")
            toggle.toggled.connect(lambda on, g=group: self.set_section_open(g, on))
            self.toggles[group] = toggle
            outer.addWidget(toggle)
            box.setVisible(False)
            outer.addWidget(box)
        outer.addStretch(1)

        for f in FIELDS:
            widget = self._make_widget(f)
            widget.setToolTip(f.doc)
            self.widgets[f.name] = widget
            setattr(self, f.name, widget)  # form.epochs, form.loss ... for tests and scripting
            form = forms[f.group]
            if f.kind == BOOL:
                form.addRow("", widget)
            elif f.kind == OUTPUTS:  # a table: the box's whole width, under its title
                heading = QLabel(f.label)
                heading.setToolTip(f.doc)
                form.addRow(heading)
                form.addRow(widget)
            else:
                form.addRow(f.label, widget)
            if f.name == "batch_size":  # per-replica and global batch under the chosen strategy
                self.batch_note = QLabel()
                self.batch_note.setWordWrap(True)
                self.batch_note.setVisible(False)
                form.addRow("", self.batch_note)
                # The split belongs to the data description (Data tab); shown here because it shapes the fit.
                self.validation_split = QLabel()
                self.validation_split.setToolTip("The share of the data held out to validate each epoch; "
                                                 "change it under Split in the Data tab.")
                form.addRow("Validation", self.validation_split)
            if f.name == "mixed_precision":  # works, but costs something here (a CPU): said before training
                self.precision_note = QLabel()
                self.precision_note.setWordWrap(True)
                self.precision_note.setStyleSheet(f"color: {theme.WARNING};")
                self.precision_note.setVisible(False)
                form.addRow("", self.precision_note)
        self._updating = False
        self.set_config(self._cfg)
        self.set_validation_split(None)

    # --- widgets from the table -----------------------------------------------------------------

    def _make_widget(self, f: SettingField) -> QWidget:
        widget: QWidget
        if f.kind == BOOL:
            box = QCheckBox(f.label)
            box.toggled.connect(self._on_widget_changed)
            return box
        if f.kind == INT:
            spin = QSpinBox(minimum=int(f.minimum if f.minimum is not None else -(2**31)),
                            maximum=int(f.maximum if f.maximum is not None else 2**31 - 1))
            spin.valueChanged.connect(self._on_widget_changed)
            widget = spin
        elif f.kind == FLOAT:
            low = f.minimum if f.minimum is not None else -1e12
            high = f.maximum if f.maximum is not None else 1e12
            tick = 10.0 ** -f.decimals
            dspin = QDoubleSpinBox(decimals=f.decimals, minimum=low + (tick if f.open_min else 0.0),
                                   maximum=high - (tick if f.open_max else 0.0), singleStep=f.step)
            if f.nullable:
                dspin.setSpecialValueText(EMPTY_TEXT.get(f.name, "off"))  # the minimum shows so, stored as null
            dspin.valueChanged.connect(self._on_widget_changed)
            widget = dspin
        elif f.kind == CHOICE:
            combo = QComboBox()
            for o in CATALOGS.get(f.name, ()):
                combo.addItem(o.label, o.id)
                combo.setItemData(combo.count() - 1, f"{o.doc}\n{o.url}", Qt.ItemDataRole.ToolTipRole)
            if f.name not in CATALOGS:
                for choice in f.choices:
                    combo.addItem(choice, choice)
            combo.currentIndexChanged.connect(self._on_widget_changed)
            widget = combo
        elif f.kind == MULTI:
            checks = QListWidget()
            for o in CATALOGS[f.name]:
                item = QListWidgetItem(o.label)
                item.setData(Qt.ItemDataRole.UserRole, o.id)
                item.setToolTip(f"{o.doc} {f.doc}")
                item.setFlags(item.flags() | Qt.ItemFlag.ItemIsUserCheckable)
                item.setCheckState(Qt.CheckState.Unchecked)
                checks.addItem(item)
            checks.setFlow(QListWidget.Flow.LeftToRight)
            checks.setWrapping(True)
            checks.setResizeMode(QListWidget.ResizeMode.Adjust)
            checks.setMaximumHeight(84)  # every metric visible at the default width (three rows)
            checks.setMinimumHeight(84)
            checks.itemChanged.connect(self._on_widget_changed)
            return checks
        elif f.kind == OUTPUTS:
            table = OutputsTable(self._wheel_guard)
            table.edited.connect(self._on_widget_changed)
            return table
        elif f.kind == INT_LIST:
            line = QLineEdit()
            line.setPlaceholderText("all")
            line.editingFinished.connect(self._on_widget_changed)
            return line
        else:  # text with suggestions
            text = QComboBox()
            text.setEditable(True)
            text.addItems(list(f.suggestions))
            line_edit = text.lineEdit()
            if f.nullable and line_edit is not None:
                line_edit.setPlaceholderText(EMPTY_TEXT.get(f.name, "empty: not set"))
            text.currentTextChanged.connect(self._on_widget_changed)
            widget = text
        widget.setFocusPolicy(Qt.FocusPolicy.StrongFocus)  # not wheel focus: a scroll never selects a field
        widget.installEventFilter(self._wheel_guard)
        return widget

    def _read(self, f: SettingField) -> Any:
        w = self.widgets[f.name]
        if isinstance(w, OutputsTable):
            return w.value()
        if isinstance(w, QCheckBox):
            return w.isChecked()
        if isinstance(w, QSpinBox):
            return w.value()
        if isinstance(w, QDoubleSpinBox):
            return None if f.nullable and w.value() == w.minimum() else w.value()
        if isinstance(w, QListWidget):
            return [w.item(i).data(Qt.ItemDataRole.UserRole) for i in range(w.count())
                    if w.item(i).checkState() == Qt.CheckState.Checked]
        if isinstance(w, QLineEdit):
            parts = [p.strip() for p in w.text().replace(";", ",").split(",") if p.strip()]
            return [int(p) for p in parts if p.isdigit()]
        assert isinstance(w, QComboBox)
        if f.kind == CHOICE:
            return w.currentData()
        if f.nullable:  # an empty optional text (fine_tune_from) means "not set"
            return w.currentText().strip() or None
        return w.currentText().strip() or getattr(self._cfg, f.name)

    def _show(self, f: SettingField, value: Any) -> None:
        w = self.widgets[f.name]
        if isinstance(w, OutputsTable):
            w.set_value(value)
        elif isinstance(w, QCheckBox):
            w.setChecked(bool(value))
        elif isinstance(w, QSpinBox):
            w.setValue(int(value))
        elif isinstance(w, QDoubleSpinBox):
            w.setValue(w.minimum() if value is None else float(value))
        elif isinstance(w, QListWidget):
            for i in range(w.count()):
                item = w.item(i)
                on = item.data(Qt.ItemDataRole.UserRole) in value
                item.setCheckState(Qt.CheckState.Checked if on else Qt.CheckState.Unchecked)
        elif isinstance(w, QLineEdit):
            w.setText(", ".join(str(v) for v in value))
        elif isinstance(w, QComboBox) and f.kind == CHOICE:
            _select(w, str(value))
        elif isinstance(w, QComboBox):
            w.setCurrentText("" if value is None else str(value))

    # --- model to view, view to model -------------------------------------------------------------

    def config(self) -> TrainingConfig:
        """The settings shown now."""
        return self._cfg.with_changes(**{f.name: self._read(f) for f in FIELDS})

    def set_config(self, cfg: TrainingConfig) -> None:
        """Show ``cfg`` without emitting ``config_edited`` (model-to-view update)."""
        self._updating = True
        try:
            self._cfg = cfg
            self._offer_monitors(cfg)
            for f in FIELDS:
                # A field already showing the value keeps its text: the echo of an edit typed one
                # keystroke at a time ("0" of "0.00001") must not reformat it under the cursor.
                if self._read(f) != getattr(cfg, f.name):
                    self._show(f, getattr(cfg, f.name))
            self._sync_enabled()
        finally:
            self._updating = False

    def set_output_names(self, names: list[str]) -> None:
        """The model's outputs (their layer names, in model order): one per-output row each.

        With several outputs the model-wide Loss and Metrics rows say they are the outputs' default.
        """
        self._output_names = list(names)
        self.outputs_table.set_output_names(self._output_names)
        multi = self.outputs_table.is_multi()
        form = self.sections["compile"].layout()
        assert isinstance(form, QFormLayout)
        for name, default_label in DEFAULT_LABELS.items():
            field = next(f for f in FIELDS if f.name == name)
            label = form.labelForField(self.widgets[name])
            if isinstance(label, QLabel):
                label.setText(default_label if multi else field.label)
            self.widgets[name].setToolTip(field.doc + (DEFAULT_NOTE if multi else ""))

    def set_frozen_layers(self, names: list[str]) -> None:
        """Offer the frozen layers (model order) as the layers phase 2 of fine-tuning may unfreeze from."""
        box = self.widgets["fine_tune_from"]
        assert isinstance(box, QComboBox)
        if [box.itemText(i) for i in range(box.count())] == names:
            return
        self._updating = True
        try:
            text = box.currentText()
            box.clear()
            box.addItems(names)
            box.setCurrentText(text)  # the choice stays (or stays empty: the top layers)
        finally:
            self._updating = False

    @property
    def outputs_table(self) -> OutputsTable:
        """The per-output loss, weight and metrics table."""
        table = self.widgets["outputs"]
        assert isinstance(table, OutputsTable)
        return table

    def set_devices(self, device_ids: list[str]) -> None:
        """Offer the engine's devices (``cpu``, ``gpu:0`` ...) besides ``auto``."""
        self._updating = True
        try:
            device = self.widgets["device"]
            assert isinstance(device, QComboBox)
            current = device.currentText()
            device.clear()
            device.addItems(["auto", *[d for d in device_ids if d != "auto"]])
            device.setCurrentText(current)
            self._n_gpus = sum(1 for d in device_ids if d.lower().startswith("gpu"))
            self._devices_known = True
            self._sync_enabled()
        finally:
            self._updating = False

    def set_validation_split(self, fraction: float | None) -> None:
        """Show the data's validation fraction (None: no data chosen yet)."""
        if fraction is None:
            self.validation_split.setText("no data yet (Data tab)")
        else:
            self.validation_split.setText(f"{fraction:.0%} (Data tab)" if fraction else "none (Data tab)")

    def set_section_open(self, group: str, shown: bool) -> None:
        """Unfold (or fold) the callbacks or where-to-run settings."""
        toggle = self.toggles[group]
        if toggle.isChecked() != shown:
            toggle.setChecked(shown)  # re-enters through the toggled signal
            return
        toggle.setArrowType(Qt.ArrowType.DownArrow if shown else Qt.ArrowType.RightArrow)
        self.sections[group].setVisible(shown)

    def _offer_monitors(self, cfg: TrainingConfig) -> None:
        monitor = self.widgets["monitor"]
        assert isinstance(monitor, QComboBox)
        wanted = list(monitor_choices(cfg.metrics))
        if [monitor.itemText(i) for i in range(monitor.count())] != wanted:
            text = monitor.currentText()
            monitor.blockSignals(True)
            monitor.clear()
            monitor.addItems(wanted)
            monitor.setCurrentText(text)
            monitor.blockSignals(False)

    def _sync_enabled(self) -> None:
        shown = self._cfg  # always current here: every caller stores the config it shows first
        self.outputs_table.set_defaults(shown.loss, tuple(shown.metrics))  # what rows without their own entry show
        for f in FIELDS:
            self.widgets[f.name].setEnabled(applies(f.name, shown))
        note = batch_note(shown.strategy, shown.batch_size, shown.gpus, self._n_gpus)
        self.batch_note.setText(note)
        # On one device the note only repeats the batch size: the row stays free for the settings below.
        self.batch_note.setVisible(bool(note) and shown.strategy != "auto")
        warning = setting_warnings(shown, self._n_gpus if self._devices_known else None).get("mixed_precision", "")
        self.precision_note.setText(warning)
        self.precision_note.setVisible(bool(warning))

    def _on_widget_changed(self, *_: Any) -> None:
        if self._updating:
            return
        cfg = self.config()
        if cfg != self._cfg:
            self._cfg = cfg
            self._updating = True
            try:
                self._offer_monitors(cfg)
                self._sync_enabled()
            finally:
                self._updating = False
            self.config_edited.emit(cfg)


def _select(box: QComboBox, data: str) -> None:
    index = box.findData(data)
    if index < 0:  # a value from a newer app or a hand-edited file: show it rather than lose it
        box.addItem(data, data)
        index = box.count() - 1
    box.setCurrentIndex(index)
