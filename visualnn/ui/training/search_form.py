"""The study settings form of the Search view: sampler, seed, pruner, budget, metric and direction, storage, study
name, second objective; the training settings to search; the searched parameters and what stops the search.

Every edit is one :class:`~visualnn.core.search_commands.SetSearch` on the undo stack (consecutive form edits
merge, like the training settings form's); the project's ``search`` section is what the form shows.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from PySide6.QtCore import QSignalBlocker, Qt
from PySide6.QtWidgets import (
    QComboBox,
    QFormLayout,
    QGroupBox,
    QHBoxLayout,
    QLabel,
    QLineEdit,
    QSpinBox,
    QToolButton,
    QVBoxLayout,
    QWidget,
)

from visualnn.core.search_commands import SetSearch
from visualnn.core.search_marks import field_named, suggest_field_spec, training_target
from visualnn.core.search_settings import (
    SearchConfig,
    config_problems,
    default_direction,
    default_storage,
    default_study_name,
    metric_choices,
    validation_metric,
)
from visualnn.core.training_settings import SettingField
from visualnn.ui import theme
from visualnn.ui.document import ProjectDocument
from visualnn.ui.inspector.search_field import SearchField, SearchMarker

TRAINING_SEARCHABLE = ("optimizer", "learning_rate", "batch_size", "epochs", "weight_decay", "momentum", "schedule")
"""The compile/fit settings offered for search in the form (any other one: ``--space training.FIELD=SPEC``)."""
SAMPLER_TEXT = {"tpe": "TPE (Bayesian, default)", "random": "random", "grid": "grid (every combination)",
                "cmaes": "CMA-ES (numbers only)"}
PRUNER_TEXT = {"median": "median (stop trials below the median)", "hyperband": "Hyperband", "none": "none"}
SECOND_TEXT = {"": "none", "params": "parameter count (smaller is better)"}
NO_LIMIT = "no limit"


class SearchSettingsForm(QWidget):
    """Edits ``project.search``: the study settings, the training settings to search, and shows the space."""

    def __init__(self, document: ProjectDocument, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.document = document
        self.sampler = self._combo("search_sampler", SAMPLER_TEXT, "sampler")
        self.pruner = self._combo("search_pruner", PRUNER_TEXT, "pruner")
        self.second = self._combo("search_second", SECOND_TEXT, "second_objective")
        self.seed = self._spin("search_seed", 0, 2**31 - 1, "seed")
        self.trials = self._spin("search_trials", 0, 1_000_000, "trials", NO_LIMIT)
        self.timeout = self._spin("search_timeout", 0, 7 * 24 * 3600, "timeout_s", NO_LIMIT, " s")
        self.keep = self._spin("search_keep", 0, 1000, "keep_models")
        self.metric_box = _narrow(QComboBox())
        self.metric_box.setObjectName("search_metric")
        self.metric_box.setToolTip("The validation figure the search optimises (never the test split).")
        self.metric_box.activated.connect(lambda _i: self._edit(metric=str(self.metric_box.currentData())))
        self.direction = _narrow(QComboBox())
        self.direction.setObjectName("search_direction")
        self.direction.activated.connect(lambda _i: self._edit(direction=str(self.direction.currentData())))
        self.storage = QLineEdit()
        self.storage.setObjectName("search_storage")
        self.storage.setToolTip("Where the study is kept: empty for the SQLite file beside the project (stop, close "
                                "and resume later), or an Optuna RDB URL such as postgresql://user@host/db so "
                                "several machines search the same study.")
        self.storage.editingFinished.connect(lambda: self._edit(storage=self.storage.text().strip()))
        self.storage_note = QLabel()
        self.storage_note.setWordWrap(True)
        self.storage_note.setTextInteractionFlags(Qt.TextInteractionFlag.TextSelectableByMouse)
        self.storage_note.setStyleSheet("color: palette(mid); font-size: 90%;")
        self.study = QLineEdit()
        self.study.setObjectName("search_study")
        self.study.setToolTip("The study's name in the storage; a search with the same name resumes it.")
        self.study.editingFinished.connect(lambda: self._edit(study=self.study.text().strip()))
        form = QFormLayout()
        form.setFieldGrowthPolicy(QFormLayout.FieldGrowthPolicy.AllNonFixedFieldsGrow)
        form.addRow("sampler", self.sampler)
        form.addRow("seed", self.seed)
        form.addRow("pruner", self.pruner)
        form.addRow("trials", self.trials)
        form.addRow("time limit", self.timeout)
        form.addRow("metric", self.metric_box)
        form.addRow("direction", self.direction)
        form.addRow("second objective", self.second)
        form.addRow("keep models of best", self.keep)
        form.addRow("storage", self.storage)
        form.addRow("", self.storage_note)
        form.addRow("study name", self.study)
        study_box = QGroupBox("Study")
        study_box.setLayout(form)
        self.marker = SearchMarker(document, self)
        training_form = QFormLayout()
        for name in TRAINING_SEARCHABLE:
            field = field_named(name)
            if field is None:
                continue
            search = self.marker.add(SearchField(training_target(name), self._suggestion(field)))
            row = QWidget()
            lay = QVBoxLayout(row)
            lay.setContentsMargins(0, 0, 0, 0)
            lay.setSpacing(2)
            top = QHBoxLayout()
            now = QLabel()
            now.setObjectName(f"search_now:{name}")
            now.setStyleSheet("color: palette(mid);")
            top.addWidget(now, 1)
            top.addWidget(search.toggle)
            lay.addLayout(top)
            lay.addWidget(search)
            label = QLabel(field.label)
            label.setToolTip(field.doc)
            training_form.addRow(label, row)
        training_box = QGroupBox("Training settings to search")
        training_box.setToolTip("Layer parameters are marked in the Inspector: select a layer, switch 'search' on.")
        training_box.setLayout(training_form)
        self.space_label = QLabel()
        self.space_label.setObjectName("search_space")
        self.space_label.setWordWrap(True)
        self.space_label.setTextInteractionFlags(Qt.TextInteractionFlag.TextSelectableByMouse)
        self.problems_label = QLabel()
        self.problems_label.setObjectName("search_problems")
        self.problems_label.setWordWrap(True)
        self.problems_label.setStyleSheet(f"color: {theme.ERROR};")
        space_box = QGroupBox("Searched parameters")
        space_lay = QVBoxLayout(space_box)
        space_lay.addWidget(self.space_label)
        self.remove_rows = QWidget()  # one "remove" per searched parameter (also those of deleted layers)
        self.remove_lay = QVBoxLayout(self.remove_rows)
        self.remove_lay.setContentsMargins(0, 0, 0, 0)
        self.remove_lay.setSpacing(2)
        space_lay.addWidget(self.remove_rows)
        space_lay.addWidget(self.problems_label)
        outer = QVBoxLayout(self)
        outer.setContentsMargins(0, 0, 0, 0)
        outer.addWidget(space_box)
        outer.addWidget(study_box)
        outer.addWidget(training_box)
        outer.addStretch(1)
        document.search_changed.connect(self.refresh)
        document.training_changed.connect(self.refresh)
        document.graph_changed.connect(self.refresh)
        document.project_replaced.connect(self.refresh)
        document.path_changed.connect(self.refresh)
        self.refresh()

    # ------------------------------------------------------------------ building
    def _combo(self, name: str, texts: dict[str, str], key: str) -> QComboBox:
        box = _narrow(QComboBox())
        box.setObjectName(name)
        for value, text in texts.items():
            box.addItem(text, value)
        box.activated.connect(lambda _i: self._edit(**{key: str(box.currentData())}))
        return box

    def _spin(self, name: str, low: int, high: int, key: str, zero: str = "", suffix: str = "") -> QSpinBox:
        box = QSpinBox()
        box.setObjectName(name)
        box.setRange(low, high)
        box.setGroupSeparatorShown(True)
        if zero:
            box.setSpecialValueText(zero)  # 0 means "no limit" (null in the project file)
        if suffix:
            box.setSuffix(suffix)
        box.valueChanged.connect(lambda v: self._edit(**{key: (v or None) if zero else int(v)}))
        return box

    def _show_space_rows(self) -> None:
        """One row per searched parameter: its SPEC and a button that stops searching it (one undo step)."""
        while self.remove_lay.count():
            item = self.remove_lay.takeAt(0)
            widget = item.widget() if item is not None else None
            if widget is not None:
                widget.hide()  # gone from view now; deleted once the click that may have led here has returned
                widget.deleteLater()
        for param in self.document.project.search.space:
            row = QWidget()
            lay = QHBoxLayout(row)
            lay.setContentsMargins(0, 0, 0, 0)
            text = QLabel(param.describe())
            text.setObjectName(f"search_param:{param.target}")
            text.setTextInteractionFlags(Qt.TextInteractionFlag.TextSelectableByMouse)
            text.setWordWrap(True)
            remove = QToolButton()
            remove.setObjectName(f"search_remove:{param.target}")
            remove.setText("remove")
            remove.setToolTip(f"Stop searching {param.target}.")
            remove.clicked.connect(lambda _c=False, t=param.target: self.marker.unmark(t))
            lay.addWidget(text, 1)
            lay.addWidget(remove)
            self.remove_lay.addWidget(row)

    def _suggestion(self, field: SettingField) -> Callable[[], str]:
        """The first SPEC the "search" toggle offers: around the setting's value when it is switched on."""
        return lambda: suggest_field_spec(field, getattr(self.document.project.training, field.name, None))

    # ------------------------------------------------------------------ edits
    def _edit(self, **changes: Any) -> None:
        cfg = self.document.project.search
        new = cfg.with_changes(**changes)
        if new != cfg:
            self.document.push(SetSearch(new))

    # ------------------------------------------------------------------ showing the project
    def refresh(self, *_: Any) -> None:
        """Show the project's search settings (emits no edits)."""
        project = self.document.project
        cfg: SearchConfig = project.search
        path = self.document.path
        for box, value in ((self.sampler, cfg.sampler), (self.pruner, cfg.pruner), (self.second, cfg.second_objective)):
            with QSignalBlocker(box):
                index = box.findData(value)
                if index < 0:
                    box.addItem(value, value)
                    index = box.count() - 1
                box.setCurrentIndex(index)
        for spin, number in ((self.seed, cfg.seed), (self.trials, cfg.trials or 0),
                             (self.timeout, int(cfg.timeout_s or 0)), (self.keep, cfg.keep_models)):
            with QSignalBlocker(spin):
                spin.setValue(number)
        with QSignalBlocker(self.metric_box):
            self.metric_box.clear()
            choices = list(metric_choices(project.training.metrics))
            current = validation_metric(cfg.metric)
            if current not in choices:
                choices.append(current)  # shown as set; the problems line says it is not compiled
            for choice in choices:
                self.metric_box.addItem(choice, choice)
            self.metric_box.setCurrentIndex(choices.index(current))
        with QSignalBlocker(self.direction):
            self.direction.clear()
            self.direction.addItem(f"auto ({default_direction(cfg.objective)})", "")
            self.direction.addItem("minimize", "minimize")
            self.direction.addItem("maximize", "maximize")
            self.direction.setCurrentIndex(max(self.direction.findData(cfg.direction), 0))
        storage_default = default_storage(path)
        for line, value, placeholder in ((self.storage, cfg.storage, storage_default),
                                         (self.study, cfg.study, default_study_name(path))):
            line.setPlaceholderText(placeholder)
            if not line.hasFocus() and line.text() != value:
                line.setText(value)
        self.storage_note.setText(f"Default: {storage_default}" + ("" if path else " (save the project to keep the "
                                                                               "study beside it)"))
        for name in TRAINING_SEARCHABLE:
            now = self.findChild(QLabel, f"search_now:{name}")
            if now is not None:
                now.setText(f"now {_text(getattr(project.training, name, ''))}")
        space = cfg.space
        self._show_space_rows()
        self.space_label.setVisible(not space)
        self.space_label.setText("" if space else
                                 "Nothing is searched yet: select a layer and switch 'search' on beside a parameter "
                                 "in the Inspector, or search a training setting below.")
        problems = config_problems(cfg, project.graph, project.training.metrics) if space else []
        self.problems_label.setText("\n".join(problems))
        self.problems_label.setVisible(bool(problems))


def _narrow(box: QComboBox) -> QComboBox:
    """A combo box that shrinks with the form (long texts are elided, the popup shows them whole)."""
    box.setSizeAdjustPolicy(QComboBox.SizeAdjustPolicy.AdjustToMinimumContentsLengthWithIcon)
    box.setMinimumContentsLength(8)
    return box


def _text(value: Any) -> str:
    return f"{value:g}" if isinstance(value, float) else str(value)


__all__ = ["SearchSettingsForm", "TRAINING_SEARCHABLE"]
