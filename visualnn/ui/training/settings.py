"""Compile and fit settings form: edits a TrainingConfig and emits the new one (the panel pushes a command)."""

from __future__ import annotations

from typing import Any

from PySide6.QtCore import Qt, Signal
from PySide6.QtWidgets import (
    QCheckBox,
    QComboBox,
    QDoubleSpinBox,
    QFormLayout,
    QGroupBox,
    QLabel,
    QListWidget,
    QListWidgetItem,
    QSpinBox,
    QVBoxLayout,
    QWidget,
)

from visualnn.core.compile_options import LOSS_DOC, LOSSES, METRIC_DOC, METRICS, OPTIMIZERS, SCHEDULE_OPTIONS, Option
from visualnn.core.distribution import PRECISIONS, STRATEGIES, DistributionError, batch_note, normalize_precision
from visualnn.core.training_config import TrainingConfig

MONITORS = ("val_loss", "val_accuracy", "loss", "accuracy")


def _combo(options: tuple[Option, ...], tooltip: str) -> QComboBox:
    box = QComboBox()
    for o in options:
        box.addItem(o.label, o.id)
        box.setItemData(box.count() - 1, f"{o.doc}\n{o.url}", Qt.ItemDataRole.ToolTipRole)
    box.setToolTip(tooltip)
    return box


class TrainingSettingsForm(QWidget):
    """Loss, optimizer, learning rate, schedule, metrics, fit settings and callbacks."""

    config_edited = Signal(object)  # TrainingConfig

    def __init__(self, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self._cfg = TrainingConfig()
        self._updating = False
        outer = QVBoxLayout(self)
        outer.setContentsMargins(0, 0, 0, 0)

        compile_box = QGroupBox("Compile")
        form = QFormLayout(compile_box)
        self.loss = _combo(LOSSES, LOSS_DOC)
        self.optimizer = _combo(OPTIMIZERS, "How the weights are changed to lower the loss.")
        self.learning_rate = QDoubleSpinBox(decimals=6, minimum=1e-6, maximum=10.0, singleStep=0.0005)
        self.learning_rate.setToolTip("Step size of each weight update. Too high: the loss jumps or becomes NaN; "
                                      "too low: it barely moves. 0.001 suits Adam.")
        self.momentum = QDoubleSpinBox(decimals=3, minimum=0.0, maximum=0.999, singleStep=0.05)
        self.momentum.setToolTip("SGD/RMSprop: keeps part of the previous step (0.9 is common).")
        self.nesterov = QCheckBox("Nesterov")
        self.nesterov.setToolTip("SGD: look-ahead momentum.")
        self.weight_decay = QDoubleSpinBox(decimals=5, minimum=0.0, maximum=1.0, singleStep=0.001)
        self.weight_decay.setToolTip("Shrinks the weights a little every step (0 = off; AdamW default 0.004).")
        self.schedule = _combo(SCHEDULE_OPTIONS, "How the learning rate changes during training.")
        self.decay_steps = QSpinBox(minimum=1, maximum=10_000_000)
        self.decay_steps.setToolTip("Exponential/cosine: batches over which the rate decays.")
        self.metrics = QListWidget()
        self.metrics.setToolTip(METRIC_DOC)
        for o in METRICS:
            item = QListWidgetItem(o.label)
            item.setData(Qt.ItemDataRole.UserRole, o.id)
            item.setToolTip(f"{o.doc} {METRIC_DOC}")
            item.setFlags(item.flags() | Qt.ItemFlag.ItemIsUserCheckable)
            item.setCheckState(Qt.CheckState.Unchecked)
            self.metrics.addItem(item)
        self.metrics.setMaximumHeight(120)
        form.addRow("Loss", self.loss)
        form.addRow("Optimizer", self.optimizer)
        form.addRow("Learning rate", self.learning_rate)
        form.addRow("Momentum", self.momentum)
        form.addRow("", self.nesterov)
        form.addRow("Weight decay", self.weight_decay)
        form.addRow("LR schedule", self.schedule)
        form.addRow("Decay steps", self.decay_steps)
        form.addRow("Metrics", self.metrics)
        outer.addWidget(compile_box)

        fit_box = QGroupBox("Fit")
        fit = QFormLayout(fit_box)
        self.epochs = QSpinBox(minimum=1, maximum=100_000)
        self.epochs.setToolTip("Full passes over the training data.")
        self.batch_size = QSpinBox(minimum=1, maximum=1_000_000)
        self.batch_size.setToolTip("Samples per weight update.")
        self.batch_note = QLabel()  # per-replica and global batch under the chosen strategy
        self.batch_note.setWordWrap(True)
        self._n_gpus = 0
        self.seed = QSpinBox(minimum=0, maximum=2**31 - 1)
        self.seed.setToolTip("Random seed: the same seed gives the same start weights and shuffles.")
        self.shuffle = QCheckBox("Shuffle each epoch")
        self.deterministic = QCheckBox("Deterministic (same seed → identical curves; slower)")
        self.early_stopping = QCheckBox("Early stopping")
        self.early_stopping.setToolTip("Stop when the monitored value has not improved for 'patience' epochs.")
        self.monitor = QComboBox()
        self.monitor.addItems(MONITORS)
        self.monitor.setEditable(True)
        self.patience = QSpinBox(minimum=0, maximum=10_000)
        self.restore_best = QCheckBox("Restore best weights")
        self.plateau_factor = QDoubleSpinBox(decimals=3, minimum=0.01, maximum=0.99, singleStep=0.05)
        self.plateau_factor.setToolTip("Reduce on plateau: multiply the learning rate by this factor.")
        self.terminate_on_nan = QCheckBox("Stop when the loss is NaN")
        self.checkpoint_best = QCheckBox("Save the best model (checkpoint)")
        self.tensorboard = QCheckBox("TensorBoard logs in the run folder")
        self.device = QComboBox()
        self.device.setEditable(True)
        self.device.addItems(["auto", "cpu"])
        self.device.setToolTip("Where to train: auto uses a GPU when there is one.")
        self.mixed_precision = QComboBox()
        self.mixed_precision.addItems(list(PRECISIONS))
        self.mixed_precision.setToolTip("Mixed precision computes in 16-bit floats on GPUs with tensor cores: "
                                        "faster and lighter; 'none' keeps float32 everywhere.")
        self.strategy = QComboBox()
        self.strategy.addItems(list(STRATEGIES))
        self.strategy.setToolTip("auto: one device; mirrored: copy the model on every local GPU; "
                                 "multiworker: several machines (TF_CONFIG).")
        for label, widget in (("Epochs", self.epochs), ("Batch size", self.batch_size), ("", self.batch_note),
                              ("Seed", self.seed),
                              ("", self.shuffle), ("", self.deterministic), ("", self.early_stopping),
                              ("Monitor", self.monitor), ("Patience", self.patience), ("", self.restore_best),
                              ("Plateau factor", self.plateau_factor), ("", self.terminate_on_nan),
                              ("", self.checkpoint_best), ("", self.tensorboard), ("Device", self.device),
                              ("Precision", self.mixed_precision), ("Strategy", self.strategy)):
            fit.addRow(label, widget)
        outer.addWidget(fit_box)
        outer.addStretch(1)

        for w in (self.loss, self.optimizer, self.schedule, self.mixed_precision, self.strategy):
            w.currentIndexChanged.connect(self._on_widget_changed)
        for s in (self.learning_rate, self.momentum, self.weight_decay, self.plateau_factor):
            s.valueChanged.connect(self._on_widget_changed)
        for i in (self.decay_steps, self.epochs, self.batch_size, self.seed, self.patience):
            i.valueChanged.connect(self._on_widget_changed)
        for c in (self.nesterov, self.shuffle, self.deterministic, self.early_stopping, self.restore_best,
                  self.terminate_on_nan, self.checkpoint_best, self.tensorboard):
            c.toggled.connect(self._on_widget_changed)
        self.monitor.currentTextChanged.connect(self._on_widget_changed)
        self.device.currentTextChanged.connect(self._on_widget_changed)
        self.metrics.itemChanged.connect(self._on_widget_changed)
        self.set_config(self._cfg)

    def set_devices(self, device_ids: list[str]) -> None:
        """Offer the engine's devices (``cpu``, ``gpu:0`` ...) besides ``auto``."""
        self._updating = True
        try:
            current = self.device.currentText()
            self.device.clear()
            self.device.addItems(["auto", *device_ids])
            self.device.setCurrentText(current)
            self._n_gpus = sum(1 for d in device_ids if d.lower().startswith("gpu"))
            self._sync_enabled()
        finally:
            self._updating = False

    def config(self) -> TrainingConfig:
        """The settings shown now."""
        metrics = [self.metrics.item(i).data(Qt.ItemDataRole.UserRole) for i in range(self.metrics.count())
                   if self.metrics.item(i).checkState() == Qt.CheckState.Checked]
        return self._cfg.with_changes(
            loss=self.loss.currentData(), optimizer=self.optimizer.currentData(),
            learning_rate=self.learning_rate.value(), momentum=self.momentum.value(),
            nesterov=self.nesterov.isChecked(), weight_decay=self.weight_decay.value() or None,
            schedule=self.schedule.currentData(), decay_steps=self.decay_steps.value(), metrics=metrics,
            epochs=self.epochs.value(), batch_size=self.batch_size.value(), seed=self.seed.value(),
            shuffle=self.shuffle.isChecked(), deterministic=self.deterministic.isChecked(),
            early_stopping=self.early_stopping.isChecked(), monitor=self.monitor.currentText() or "val_loss",
            patience=self.patience.value(), restore_best=self.restore_best.isChecked(),
            plateau_factor=self.plateau_factor.value(), terminate_on_nan=self.terminate_on_nan.isChecked(),
            checkpoint_best=self.checkpoint_best.isChecked(), tensorboard=self.tensorboard.isChecked(),
            device=self.device.currentText() or "auto", mixed_precision=self.mixed_precision.currentText(),
            strategy=self.strategy.currentText(),
        )

    def set_config(self, cfg: TrainingConfig) -> None:
        """Show ``cfg`` without emitting ``config_edited`` (model-to-view update)."""
        self._updating = True
        try:
            self._cfg = cfg
            _select(self.loss, cfg.loss)
            _select(self.optimizer, cfg.optimizer)
            _select(self.schedule, cfg.schedule)
            self.learning_rate.setValue(cfg.learning_rate)
            self.momentum.setValue(cfg.momentum)
            self.nesterov.setChecked(cfg.nesterov)
            self.weight_decay.setValue(cfg.weight_decay or 0.0)
            self.decay_steps.setValue(cfg.decay_steps)
            for i in range(self.metrics.count()):
                item = self.metrics.item(i)
                on = item.data(Qt.ItemDataRole.UserRole) in cfg.metrics
                item.setCheckState(Qt.CheckState.Checked if on else Qt.CheckState.Unchecked)
            self.epochs.setValue(cfg.epochs)
            self.batch_size.setValue(cfg.batch_size)
            self.seed.setValue(cfg.seed)
            self.shuffle.setChecked(cfg.shuffle)
            self.deterministic.setChecked(cfg.deterministic)
            self.early_stopping.setChecked(cfg.early_stopping)
            self.monitor.setCurrentText(cfg.monitor)
            self.patience.setValue(cfg.patience)
            self.restore_best.setChecked(cfg.restore_best)
            self.plateau_factor.setValue(cfg.plateau_factor)
            self.terminate_on_nan.setChecked(cfg.terminate_on_nan)
            self.checkpoint_best.setChecked(cfg.checkpoint_best)
            self.tensorboard.setChecked(cfg.tensorboard)
            self.device.setCurrentText(cfg.device)
            try:
                precision = normalize_precision(cfg.mixed_precision)
            except DistributionError:  # shown as is; the Train button reports the problem
                precision = str(cfg.mixed_precision)
            self.mixed_precision.setCurrentText(precision)
            self.strategy.setCurrentText(cfg.strategy)
            self._sync_enabled()
        finally:
            self._updating = False

    def _sync_enabled(self) -> None:
        opt = self.optimizer.currentData()
        self.momentum.setEnabled(opt in ("sgd", "rmsprop"))
        self.nesterov.setEnabled(opt == "sgd")
        self.decay_steps.setEnabled(self.schedule.currentData() in ("exponential", "cosine"))
        self.plateau_factor.setEnabled(self.schedule.currentData() == "plateau")
        for w in (self.monitor, self.patience, self.restore_best):
            w.setEnabled(self.early_stopping.isChecked() or self.schedule.currentData() == "plateau")
        self.batch_note.setText(batch_note(self.strategy.currentText(), self.batch_size.value(), self._cfg.gpus,
                                           self._n_gpus))

    def _on_widget_changed(self, *_: Any) -> None:
        if self._updating:
            return
        self._sync_enabled()
        cfg = self.config()
        if cfg != self._cfg:
            self._cfg = cfg
            self.config_edited.emit(cfg)


def _select(box: QComboBox, data: str) -> None:
    index = box.findData(data)
    if index < 0:  # a value from a newer app or a hand-edited file: show it rather than lose it
        box.addItem(data, data)
        index = box.count() - 1
    box.setCurrentIndex(index)
