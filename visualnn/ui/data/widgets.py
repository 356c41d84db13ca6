"""Views of the data panel: column roles table, preview table, thumbnail grid, split/pipeline form.

Views are thin: they show a SourceInfo / DatasetSpec and emit intent signals; the panel turns
intent into a new working DatasetSpec and, on Apply, into a SetDataset command.
"""

from __future__ import annotations

from typing import Any

from PySide6.QtCore import QSignalBlocker, QSize, Qt, Signal
from PySide6.QtGui import QIcon, QPixmap
from PySide6.QtWidgets import (
    QCheckBox,
    QComboBox,
    QDoubleSpinBox,
    QFormLayout,
    QGroupBox,
    QHeaderView,
    QListView,
    QListWidget,
    QListWidgetItem,
    QSpinBox,
    QStyle,
    QTableWidget,
    QTableWidgetItem,
    QVBoxLayout,
    QWidget,
)

from visualnn.core.dataset import (
    CATEGORICAL_ENCODINGS,
    COLOR_MODES,
    COLUMN_KINDS,
    MISSING_STRATEGIES,
    RESCALES,
    ROLES,
    SCALINGS,
    TASKS,
    DatasetSpec,
)
from visualnn.ui.data.image_table import ImageTableForm

AUTO_TASK = "auto"


class ColumnsTable(QTableWidget):
    """One row per column: name, type, missing, distinct, and editors for role, kind and encoding."""

    column_edited = Signal(str, str, object)  # column name, field (role|kind|encoding), value

    HEADERS = ("Column", "Type", "Missing", "Unique", "Role", "Kind", "Encoding")
    FEEDS = "Feeds"  # the extra column of a model with several Inputs or outputs: the node a column feeds
    CHOOSE_INPUT = "(choose an Input)"
    CHOOSE_OUTPUT = "(choose an output)"

    def __init__(self, parent: QWidget | None = None) -> None:
        super().__init__(0, len(self.HEADERS), parent)
        self.setHorizontalHeaderLabels(self.HEADERS)
        self.verticalHeader().setVisible(False)
        self.horizontalHeader().setSectionResizeMode(QHeaderView.ResizeMode.ResizeToContents)

    def show_columns(self, info: Any, spec: DatasetSpec, inputs: tuple[str, ...] = (),
                     outputs: tuple[str, ...] = ()) -> None:
        """Fill from a SourceInfo (detected values) and the working spec (chosen roles/kinds).

        With ``inputs``/``outputs`` (a model with several, on a CSV) each feature row also chooses the
        Input it feeds (its column group) and each target row the output it is compared with.
        """
        blocker = QSignalBlocker(self)
        parts = bool(inputs or outputs)
        headers = (*self.HEADERS, self.FEEDS) if parts else self.HEADERS
        self.setColumnCount(len(headers))
        self.setHorizontalHeaderLabels(headers)
        self.setRowCount(len(info.columns))
        for row, col in enumerate(info.columns):
            role = "target" if col.name in info.targets else "feature" if col.name in info.features else "ignore"
            for c, text in enumerate((col.name, col.dtype, str(col.n_missing), str(col.n_unique))):
                item = QTableWidgetItem(text)
                if col.problems:
                    item.setToolTip("\n".join(p.message for p in col.problems))
                self.setItem(row, c, item)
            chosen = spec.column(col.name)
            self._combo(row, 4, col.name, "role", ROLES, role)
            kind = chosen.kind or col.kind
            self._combo(row, 5, col.name, "kind", COLUMN_KINDS, kind)
            if role == "feature" and kind == "categorical":
                self._combo(row, 6, col.name, "encoding", CATEGORICAL_ENCODINGS, chosen.encoding)
            else:
                self._no_encoding(row, role, kind, spec.target_encoding())
            if parts:
                self._feeds(row, col.name, role, chosen.input, chosen.output, inputs, outputs)
        del blocker

    def _no_encoding(self, row: int, role: str, kind: str, labels: str) -> None:
        """A column without a categorical encoding of its own: a dash that says where its values are handled
        (the combo box showed "onehot" beside numbers and beside a target trained with index labels)."""
        self.removeCellWidget(row, 6)
        if role == "target":
            why = f"The target's labels are encoded by Labels in Split & pipeline (now: {labels})."
        elif role == "ignore":
            why = "Ignored columns do not reach the model."
        elif kind == "boolean":
            why = "Boolean columns are not encoded: they go in as 0 and 1."
        else:
            why = "Numeric columns are not encoded: they are scaled (Scaling in Split & pipeline)."
        item = QTableWidgetItem("—")
        item.setFlags(item.flags() & ~Qt.ItemFlag.ItemIsEditable)
        item.setToolTip(why)
        self.setItem(row, 6, item)

    def _feeds(self, row: int, name: str, role: str, chosen_input: str | None, chosen_output: str | None,
               inputs: tuple[str, ...], outputs: tuple[str, ...]) -> None:
        """The Input a feature column feeds, or the output a target column is compared with (nothing when ignored)."""
        if role == "feature":
            current = chosen_input or (inputs[0] if len(inputs) == 1 else self.CHOOSE_INPUT)
            values, field, choose = inputs, "input", self.CHOOSE_INPUT
        elif role == "target":
            default = name if name in outputs else outputs[0] if len(outputs) == 1 else self.CHOOSE_OUTPUT
            current = chosen_output or default
            values, field, choose = outputs, "output", self.CHOOSE_OUTPUT
        else:
            self.removeCellWidget(row, 7)
            self.setItem(row, 7, QTableWidgetItem(""))
            return
        shown = values if current in values else (current, *values)
        box = QComboBox(self)
        box.addItems(list(shown))
        box.setCurrentText(current)
        box.setObjectName(f"{field}:{name}")
        box.setToolTip(f"The {'Input' if field == 'input' else 'output'} node column {name!r} feeds")
        box.currentTextChanged.connect(
            lambda text, n=name, f=field, c=choose: self.column_edited.emit(n, f, text) if text != c else None)
        self.setCellWidget(row, 7, box)

    def _combo(self, row: int, column: int, name: str, field: str, values: tuple[str, ...], current: str) -> None:
        box = QComboBox(self)
        box.addItems(list(values))
        box.setCurrentText(current)
        box.setObjectName(f"{field}:{name}")
        box.currentTextChanged.connect(lambda text, n=name, f=field: self.column_edited.emit(n, f, text))
        self.setCellWidget(row, column, box)

    def editor(self, name: str, field: str) -> QComboBox | None:
        """The combo box editing ``field`` of column ``name`` (for tests and keyboard focus)."""
        found = self.findChild(QComboBox, f"{field}:{name}")
        return found if isinstance(found, QComboBox) else None


class PreviewTable(QTableWidget):
    """The first rows of a table, with type and missing count in each header.

    Columns fit their header and values; a column wider than :attr:`MAX_COLUMN_WIDTH` is capped and its
    header elided, with the full name in the header's tooltip (also after the user resizes the column).
    """

    MAX_COLUMN_WIDTH = 320

    def __init__(self, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self._labels: list[str] = []
        self.horizontalHeader().sectionResized.connect(self._on_header_section_resized)

    def show_preview(self, info: Any) -> None:
        """Fill from a SourceInfo's preview rows."""
        self.clear()
        cols = info.columns
        self.setColumnCount(len(cols))
        self.setRowCount(len(info.preview))
        self._labels = [f"{c.name}\n{c.dtype} · {c.n_missing} missing" for c in cols]
        self.setHorizontalHeaderLabels(self._labels)
        for r, row in enumerate(info.preview):
            for c, value in enumerate(row):
                self.setItem(r, c, QTableWidgetItem("" if value is None else str(value)))
        self.resizeColumnsToContents()
        header = self.horizontalHeader()
        for c in range(len(cols)):
            if header.sectionSize(c) > self.MAX_COLUMN_WIDTH:
                header.resizeSection(c, self.MAX_COLUMN_WIDTH)
            self._fit_header(c)

    def show_nothing(self) -> None:
        """No source: no rows, no columns."""
        self._labels = []
        self.clear()
        self.setRowCount(0)
        self.setColumnCount(0)

    def _on_header_section_resized(self, column: int, _old: int, _new: int) -> None:
        self._fit_header(column)

    def _fit_header(self, column: int) -> None:
        """Show the header in full when it fits its section, else elided line by line with a tooltip."""
        item = self.horizontalHeaderItem(column)
        if item is None or column >= len(self._labels):
            return
        full = self._labels[column]
        header = self.horizontalHeader()
        margin = self.style().pixelMetric(QStyle.PixelMetric.PM_HeaderMargin, None, header)
        room = header.sectionSize(column) - 2 * margin
        metrics = header.fontMetrics()
        lines = full.split("\n")
        if all(metrics.horizontalAdvance(line) <= room for line in lines):
            text, tip = full, ""
        else:
            text = "\n".join(metrics.elidedText(line, Qt.TextElideMode.ElideRight, max(room, 0)) for line in lines)
            tip = full
        if item.text() != text:
            item.setText(text)
        item.setToolTip(tip)


class ThumbnailGrid(QListWidget):
    """A few thumbnails per class, labelled with the class name and its image count."""

    def __init__(self, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.setViewMode(QListView.ViewMode.IconMode)
        self.setIconSize(QSize(56, 56))
        self.setResizeMode(QListView.ResizeMode.Adjust)
        self.setMovement(QListView.Movement.Static)

    def show_thumbnails(self, counts: dict[str, int], thumbs: dict[str, list[Any]]) -> None:
        """Replace the grid with ``thumbs`` (QImages per class)."""
        self.clear()
        for name, images in thumbs.items():
            for i, img in enumerate(images):
                label = f"{name} ({counts.get(name, 0)})" if i == 0 else ""
                item = QListWidgetItem(QIcon(QPixmap.fromImage(img)), label)
                item.setToolTip(f"class {name}: {counts.get(name, 0)} images")
                self.addItem(item)


class SettingsForm(QWidget):
    """Split, preprocessing, pipeline, image and window settings; emits ``edited(key, value)``.

    Keys are dotted option paths: ``split.val``, ``pipeline.batch_size``, ``scaling``, ``image.color_mode``...
    """

    edited = Signal(str, object)

    def __init__(self, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.editors: dict[str, QWidget] = {}
        self.boxes: dict[str, QGroupBox] = {}
        layout = QVBoxLayout(self)
        layout.setContentsMargins(0, 0, 0, 0)
        split = self._group(layout, "Split (train / validation / test)")
        self._fraction(split, "split.val", "Validation fraction")
        self._fraction(split, "split.test", "Test fraction")
        self._int(split, "split.seed", "Seed (same seed, same split)", 0, 2**31 - 1)
        self._check(split, "split.stratify", "Stratify by class")
        prep = self._group(layout, "Preprocessing (statistics from the training split only)")
        self._choice(prep, "scaling", "Scale numeric features", SCALINGS)
        self._choice(prep, "missing.strategy", "Missing values", MISSING_STRATEGIES)
        self._choice(prep, "task", "Task (auto: detected from the target)", (AUTO_TASK, *TASKS))
        self._choice(prep, "target_encoding", "Labels", CATEGORICAL_ENCODINGS)
        pipe = self._group(layout, "tf.data pipeline")
        self._int(pipe, "pipeline.batch_size", "Batch size", 1, 65536)
        self._check(pipe, "pipeline.shuffle", "Shuffle")
        self._int(pipe, "pipeline.shuffle_buffer", "Shuffle buffer (0 = number of training examples)", 0, 10**9)
        self._check(pipe, "pipeline.repeat", "Repeat")
        self._check(pipe, "pipeline.cache", "Cache")
        self._check(pipe, "pipeline.prefetch", "Prefetch (AUTOTUNE)")
        self.image_group = self._group(layout, "Images")
        self._int(self.image_group, "image.height", "Height", 1, 4096)
        self._int(self.image_group, "image.width", "Width", 1, 4096)
        self._choice(self.image_group, "image.color_mode", "Colour mode", COLOR_MODES)
        self._choice(self.image_group, "image.rescale", "Rescale to", RESCALES)
        self.image_table = ImageTableForm(self.image_group, self)
        self.image_table.edited.connect(self.edited)
        arrays = self._group(layout, "NumPy arrays (.npz)")
        self._choice(arrays, "arrays.features", "Features (x)", ())
        self._choice(arrays, "arrays.targets", "Targets (y)", ())
        self.window_group = self._group(layout, "Time-series window")
        self._int(self.window_group, "window.length", "Window length (time steps)", 1, 100000)
        self._int(self.window_group, "window.stride", "Stride", 1, 100000)
        self._int(self.window_group, "window.horizon", "Horizon (steps ahead)", 1, 100000)
        layout.addStretch(1)

    # ---- construction helpers
    def _group(self, layout: QVBoxLayout, title: str) -> QFormLayout:
        box = QGroupBox(title, self)
        self.boxes[title] = box
        form = QFormLayout(box)
        layout.addWidget(box)
        return form

    def _fraction(self, form: QFormLayout, key: str, label: str) -> None:
        spin = QDoubleSpinBox(self)
        spin.setRange(0.0, 0.9)
        spin.setSingleStep(0.05)
        spin.setDecimals(2)
        spin.valueChanged.connect(lambda v, k=key: self.edited.emit(k, round(float(v), 4)))
        self._add(form, key, label, spin)

    def _int(self, form: QFormLayout, key: str, label: str, lo: int, hi: int) -> None:
        spin = QSpinBox(self)
        spin.setRange(lo, hi)
        spin.valueChanged.connect(lambda v, k=key: self.edited.emit(k, int(v)))
        self._add(form, key, label, spin)

    def _check(self, form: QFormLayout, key: str, label: str) -> None:
        box = QCheckBox(self)
        box.toggled.connect(lambda v, k=key: self.edited.emit(k, bool(v)))
        self._add(form, key, label, box)

    def _choice(self, form: QFormLayout, key: str, label: str, values: tuple[str, ...]) -> None:
        box = QComboBox(self)
        box.addItems(list(values))
        box.currentTextChanged.connect(lambda v, k=key: self.edited.emit(k, v))
        self._add(form, key, label, box)

    def _add(self, form: QFormLayout, key: str, label: str, widget: QWidget) -> None:
        widget.setObjectName(key)
        self.editors[key] = widget
        form.addRow(label, widget)

    # ---- model -> widgets (never echoes)
    def show_spec(self, spec: DatasetSpec, table_path: str | None = None) -> None:
        """Show ``spec``'s settings without emitting ``edited`` (``table_path``: its per-image table, resolved)."""
        split, pipe, image, window = spec.split(), spec.pipeline(), spec.image(), spec.window()
        values: dict[str, Any] = {
            "split.val": split.val, "split.test": split.test, "split.seed": split.seed, "split.stratify": split.stratify,
            "scaling": spec.scaling(), "missing.strategy": spec.missing().strategy,
            "task": spec.task() or AUTO_TASK, "target_encoding": spec.target_encoding(),
            "pipeline.batch_size": pipe.batch_size,
            "pipeline.shuffle": pipe.shuffle, "pipeline.shuffle_buffer": pipe.shuffle_buffer or 0,
            "pipeline.repeat": pipe.repeat, "pipeline.cache": pipe.cache, "pipeline.prefetch": pipe.prefetch,
            "image.height": image.image_size[0], "image.width": image.image_size[1],
            "image.color_mode": image.color_mode, "image.rescale": image.rescale,
            "window.length": window.length, "window.stride": window.stride, "window.horizon": window.horizon,
        }
        for key, value in values.items():
            widget = self.editors[key]
            blocker = QSignalBlocker(widget)
            if isinstance(widget, QCheckBox):
                widget.setChecked(bool(value))
            elif isinstance(widget, QComboBox):
                widget.setCurrentText(str(value))
            elif isinstance(widget, (QSpinBox, QDoubleSpinBox)):
                widget.setValue(value)
            del blocker
        arrays = spec.arrays()
        for key, value in (("arrays.features", arrays.features), ("arrays.targets", arrays.targets)):
            box = self.editors[key]
            if isinstance(box, QComboBox) and value is not None:
                blocker = QSignalBlocker(box)
                box.setCurrentText(value)
                del blocker
        self.boxes["NumPy arrays (.npz)"].setVisible(spec.kind == "numpy" and spec.path.lower().endswith(".npz"))
        self.boxes["Images"].setVisible(spec.kind == "images")
        self.image_table.show_spec(spec, table_path)
        self.boxes["Time-series window"].setVisible(spec.kind == "timeseries")


    def set_array_names(self, names: list[str]) -> None:
        """Offer the arrays of an ``.npz`` as features/targets choices (keeps the current choice)."""
        for key in ("arrays.features", "arrays.targets"):
            box = self.editors[key]
            if not isinstance(box, QComboBox):
                continue
            blocker = QSignalBlocker(box)
            current = box.currentText()
            box.clear()
            box.addItems(names)
            if current in names:
                box.setCurrentText(current)
            del blocker


def apply_setting(spec: DatasetSpec, key: str, value: Any) -> DatasetSpec:
    """A copy of ``spec`` with one dotted setting changed (``pipeline.shuffle_buffer`` 0 means automatic)."""
    if key == "pipeline.shuffle_buffer" and not value:
        value = None
    if key == "task" and value in (AUTO_TASK, None):  # detected: the setting leaves the file
        return DatasetSpec(spec.kind, spec.path, {k: v for k, v in spec.options.items() if k != "task"})
    if "." not in key:
        return spec.with_options(**{key: value})
    group, name = key.split(".", 1)
    current = dict(spec.options.get(group) or {})
    if group == "image" and name in ("height", "width"):
        size = list(spec.image().image_size)
        size[0 if name == "height" else 1] = int(value)
        current["image_size"] = size
    else:
        current[name] = value
    return spec.with_options(**{group: current})
