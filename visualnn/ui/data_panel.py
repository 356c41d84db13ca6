"""The Data panel: choose a source, preview it, set roles and preprocessing, see the tensors and tf.data code.

Loading runs off the UI thread (``InspectJob`` on a QThreadPool) with a busy bar and Cancel. The
panel edits a *working* DatasetSpec; "Apply to project" pushes it as one SetDataset command, and
"Use suggested input/output" pushes the Input shape, output layer and loss/metrics as one macro.
When an inspection describes the project's own dataset, the panel hands its facts to the document,
so the status bar, the canvas and the Problems list check the model against the data.
A model with several Inputs or outputs reads an ``.npz`` as named parts: the Tensors tab then shows
one card per part and the node it feeds, with the array for each node to choose (one undoable edit).
An image folder may come with a per-image table (Images settings: the table, its key column, the nodes the
images and class folders feed); the Columns tab then lists the table's columns and the node each feeds.
The UI never imports TensorFlow: it only uses the TF-free inspection in services.datasets, imported
where an inspection's result is used (they are not needed for the window's first paint).
"""

from __future__ import annotations

import logging
import os
from typing import Any

from PySide6.QtCore import QSignalBlocker, QThreadPool, QTimer, Signal, SignalInstance
from PySide6.QtWidgets import (
    QComboBox,
    QHBoxLayout,
    QLabel,
    QLineEdit,
    QListWidget,
    QPlainTextEdit,
    QProgressBar,
    QPushButton,
    QScrollArea,
    QSplitter,
    QTabWidget,
    QVBoxLayout,
    QWidget,
)

from visualnn.core.commands import Macro, SetDataset
from visualnn.core.dataset import SOURCE_KINDS, DatasetSpec
from visualnn.core.model_io import input_names, output_names
from visualnn.core.paths import outside_folder_notice
from visualnn.core.project.io import relative_data_path, resolve_data_path
from visualnn.ui.choosers import chooser_for
from visualnn.ui.data.augment_preview import AugmentPreview
from visualnn.ui.data.fitting import (
    adaptation_commands,
    adaptation_for,
    fit_commands,
    inserted_notes,
    suggestion_notes,
    suggestion_text,
)
from visualnn.ui.data.image_table import choices_of
from visualnn.ui.data.part_edits import PartEdits
from visualnn.ui.data.parts import PartCards
from visualnn.ui.data.spec_edits import SpecEdits
from visualnn.ui.data.tensor_text import pipeline_text, summary_text, tensor_lines
from visualnn.ui.data.widgets import ColumnsTable, PreviewTable, SettingsForm, ThumbnailGrid
from visualnn.ui.data.worker import InspectJob
from visualnn.ui.document import ProjectDocument
from visualnn.ui.theme import muted_text_color

log = logging.getLogger(__name__)
AUTO = "auto"


class DataPanel(QWidget, PartEdits, SpecEdits):
    """Source picker, preview, column roles, tensor view, split/pipeline settings and equivalent code."""

    inspected = Signal(object)  # SourceInfo, after a successful inspection
    inspection_failed = Signal(str)

    def __init__(self, document: ProjectDocument, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.document = document
        self.pool = QThreadPool.globalInstance()
        self.spec: DatasetSpec | None = None  # working copy (absolute path), applied on demand
        self.info: Any = None
        self._job = 0
        self._busy = False
        self._added_note = ""  # what the panel just did (layers added, columns ignored), kept past an inspection
        self._new_source = False  # a source picked afresh: attaching's first choices are made once it is read
        self._job_spec: DatasetSpec | None = None  # what the latest inspection was asked to read
        self._info_specs: tuple[DatasetSpec, ...] = ()  # the specs ``info`` describes (as asked, as completed)
        self._job_parts: tuple[tuple[str, ...], tuple[str, ...]] = ((), ())  # the node names the inspection read
        self._job_shapes: dict[str, tuple[int | None, ...] | None] = {}  # the Inputs' declared shapes it read
        self._holding = False  # inspections wait (hold_inspections) until the window has painted
        self._held: InspectJob | None = None
        self._reinspect = QTimer(self, singleShot=True, interval=250)
        self._reinspect.timeout.connect(self.inspect)
        self._build()
        document.dataset_changed.connect(self._on_document_dataset_changed)
        document.project_replaced.connect(self._on_document_project_replaced)
        document.graph_changed.connect(self._update_suggestion)
        document.graph_changed.connect(self._on_document_graph_changed)
        document.path_changed.connect(self._on_document_path_changed)
        self._on_document_dataset_changed()

    # ------------------------------------------------------------------ layout
    def _build(self) -> None:
        top = QHBoxLayout()
        self.path_edit = QLineEdit(self)
        self.path_edit.setPlaceholderText("A CSV/TSV file, an image folder (one sub-folder per class), or .npy/.npz")
        self.path_edit.returnPressed.connect(lambda: self.load_path(self.path_edit.text()))
        self.kind_box = QComboBox(self)
        self.kind_box.addItems([AUTO, *SOURCE_KINDS])
        self.kind_box.setToolTip("How to read the source (auto: by file type; timeseries: windows over CSV rows)")
        self.kind_box.currentTextChanged.connect(lambda text: self.load_path(self.path_edit.text(), text))
        file_btn = QPushButton("File…", self)
        file_btn.clicked.connect(self._on_file_clicked)
        folder_btn = QPushButton("Image folder…", self)
        folder_btn.clicked.connect(self._on_folder_clicked)
        for w in (QLabel("Source:", self), self.path_edit, self.kind_box, file_btn, folder_btn):
            top.addWidget(w)

        self.progress = QProgressBar(self)
        self.progress.setRange(0, 0)  # busy indicator: inspection is one call
        self.progress.setMaximumHeight(12)
        self.cancel_btn = QPushButton("Cancel", self)
        self.cancel_btn.clicked.connect(self.cancel)
        self.status = QLabel("Choose a data source.", self)
        self.status.setWordWrap(True)
        self.relocate_btn = QPushButton("Relocate…", self)
        self.relocate_btn.clicked.connect(self._on_relocate_clicked)
        status_row = QHBoxLayout()
        status_widgets: tuple[QWidget, ...] = (self.progress, self.cancel_btn, self.status, self.relocate_btn)
        for sw in status_widgets:
            status_row.addWidget(sw, 1 if sw is self.status else 0)
        self.progress.hide()  # not busy (the buttons _set_busy also refreshes come later)
        self.cancel_btn.hide()
        self.relocate_btn.hide()
        self.location_note = QLabel("", self)  # data outside the project folder: a notice, not a problem
        self.location_note.setObjectName("dataLocationNote")
        self.location_note.setWordWrap(True)
        self.location_note.setStyleSheet(f"color: {muted_text_color(self.palette()).name()};")
        small = self.location_note.font()
        small.setPointSizeF(small.pointSizeF() * 0.9)
        self.location_note.setFont(small)
        self.location_note.hide()

        self.tabs = QTabWidget(self)
        self.columns = ColumnsTable(self)
        self.columns.column_edited.connect(self._on_columns_column_edited)
        self.preview = PreviewTable(self)
        self.thumbs = ThumbnailGrid(self)
        table_tab = QSplitter(self)
        table_tab.addWidget(self.columns)
        table_tab.addWidget(self.preview)
        self.tabs.addTab(table_tab, "Columns && preview")
        self.tabs.addTab(self.thumbs, "Images")

        tensor_tab = QWidget(self)
        tl = QVBoxLayout(tensor_tab)
        self.part_cards = PartCards(self)
        self.part_cards.array_chosen.connect(self._on_part_cards_array_chosen)
        self.part_cards.hide()
        tl.addWidget(self.part_cards)
        self.tensor_view = QPlainTextEdit(self)
        self.tensor_view.setReadOnly(True)
        self.shape_warning = QLabel("", self)
        self.shape_warning.setWordWrap(True)
        self.shape_warning.setStyleSheet("color: #b26a00;")
        self.suggest_btn = QPushButton("Use suggested input and output", self)
        self.suggest_btn.setToolTip("Set the Input shape, the output layer's units/activation and the loss/metrics")
        self.suggest_btn.clicked.connect(self.apply_suggestion)
        tl.addWidget(self.tensor_view, 1)
        tl.addWidget(self.shape_warning)
        tl.addWidget(self.suggest_btn)
        self.tabs.addTab(tensor_tab, "Tensors")

        settings_tab = QSplitter(self)
        self.settings = SettingsForm(self)
        self.settings.edited.connect(self._on_settings_edited)
        self.settings.image_table.choose_table.connect(self._on_choose_table)
        scroll = QScrollArea(self)
        scroll.setWidgetResizable(True)
        scroll.setWidget(self.settings)
        self.code_view = QPlainTextEdit(self)
        self.code_view.setReadOnly(True)
        self.code_view.setLineWrapMode(QPlainTextEdit.LineWrapMode.NoWrap)
        self._mono(self.code_view)
        self._mono(self.tensor_view)
        settings_tab.addWidget(scroll)
        settings_tab.addWidget(self.code_view)
        self.tabs.addTab(settings_tab, "Split && pipeline")
        self.problems = QListWidget(self)
        self.tabs.addTab(self.problems, "Problems")
        self.augment = AugmentPreview(self.document, self)  # the model's augmentation layers on one image
        self.tabs.addTab(self.augment, "Augmentation")

        bottom = QHBoxLayout()
        bottom.addStretch(1)
        self.apply_btn = QPushButton("Apply to project", self)
        self.apply_btn.clicked.connect(self.apply)
        bottom.addWidget(self.apply_btn)

        layout = QVBoxLayout(self)
        layout.addLayout(top)
        layout.addLayout(status_row)
        layout.addWidget(self.location_note)
        layout.addWidget(self.tabs, 1)
        layout.addLayout(bottom)
        self._refresh_buttons()

    @staticmethod
    def _mono(widget: QPlainTextEdit) -> None:
        try:
            from visualnn.ui import theme

            widget.setFont(theme.mono_font(10))
        except Exception:  # the theme is optional for this panel
            pass

    # ------------------------------------------------------------------ loading
    def load_path(self, path: str, kind: str | None = None) -> None:
        """Start inspecting ``path`` as ``kind``, one of the format box's choices (None: the box, for the same source).

        ``auto`` reads by file type. The working options are kept when the path is the same source; another source starts afresh, and
        the format box shows the format it implies (a CSV format chosen for the old source must not make
        a folder fail as "not a CSV").
        """
        path = path.strip()
        if not path:
            return
        from visualnn.services.datasets.inspect import guess_kind

        same = self.spec is not None and os.path.abspath(self.spec.path) == os.path.abspath(path)
        if kind is None:
            kind = self.kind_box.currentText() if same else guess_kind(path)
        if kind != AUTO:
            self._show_kind(kind)
        keep = same and self.spec is not None and kind in (AUTO, self.spec.kind)
        options = dict(self.spec.options) if keep and self.spec is not None else {}
        self.spec = DatasetSpec(guess_kind(path) if kind == AUTO else kind, os.path.abspath(path), options)
        self._new_source = not keep
        self.inspect()

    def _show_kind(self, kind: str) -> None:
        blocker = QSignalBlocker(self.kind_box)
        self.kind_box.setCurrentText(kind)
        del blocker

    def inspect(self) -> None:
        """Inspect the working spec on the thread pool; a newer request supersedes an older one."""
        if self.spec is None:
            return
        self._update_location_note()
        self._job += 1
        self._job_spec = self.spec
        self._job_parts = self._parts()
        self._job_shapes = self._shapes()
        job = InspectJob(self._job, self.spec.path, self._resolved_options(self.spec), self.spec.kind,
                         list(self._job_parts[0]), list(self._job_parts[1]), self._job_shapes)
        job.signals.finished.connect(self._on_job_finished)
        job.signals.failed.connect(self._on_job_failed)
        reading = f"Reading {os.path.basename(self.spec.path) or self.spec.path}…"
        self._set_busy(True, "\n".join(t for t in (reading, self._added_note) if t))  # what was just done stays said
        if self._holding:
            self._held = job  # supersedes any held before it
        else:
            self.pool.start(job)

    def hold_inspections(self, until: SignalInstance) -> None:
        """Queue inspections until ``until`` is emitted, then start the newest (start-up passes the window's
        ``first_painted``: reading the data imports pyarrow and pandas on a worker thread, which would slow
        the first paint down by holding the interpreter lock)."""
        self._holding = True
        until.connect(self._release_inspections)

    def _release_inspections(self) -> None:
        if not self._holding:
            return
        self._holding = False
        job, self._held = self._held, None
        if job is not None and job.job_id == self._job:  # not cancelled or superseded meanwhile
            self.pool.start(job)

    def _update_location_note(self) -> None:
        """Say (one small line) when the source lies outside the project's folder; nothing for an unsaved project."""
        notice = outside_folder_notice(self.spec.path, self.document.project.path) if self.spec is not None else None
        self.location_note.setText(notice or "")
        self.location_note.setVisible(notice is not None)

    def _on_document_graph_changed(self) -> None:
        """Inputs or outputs added, removed or renamed: the data's parts must be read again."""
        if self.spec is not None and (self._parts() != self._job_parts or self._shapes() != self._job_shapes):
            self._read_again()

    def cancel(self) -> None:
        """Stop waiting for the running inspection; its result is ignored when it arrives."""
        self._job += 1
        self._set_busy(False, "Cancelled.")
        if self.document.data_pending:
            self.document.set_data_facts(None, error="reading it was cancelled; load it again in the Data panel.")

    def _set_busy(self, busy: bool, text: str | None = None) -> None:
        self._busy = busy
        self.progress.setVisible(busy)
        self.cancel_btn.setVisible(busy)
        if text is not None:
            self.status.setText(text)
        # While another source (or the same with other settings) is read, Apply would mix it with the inspection on
        # screen: Apply and "Use suggested" wait. Reading the same again (the model's parts changed) leaves them be.
        self._refresh_buttons()
        if self._reading_another():
            self.suggest_btn.setEnabled(False)

    def _reading_another(self) -> bool:
        """Whether the working data is not what the inspection on screen describes and a reading of it is under way
        or due (another file, or other settings, waiting the 250 ms before they are read)."""
        spec = self.spec
        if not (self._busy or self._reinspect.isActive()):
            return False
        return spec is None or not any((s.kind, s.path, s.options) == (spec.kind, spec.path, spec.options)
                                       for s in self._info_specs)

    def _read_again(self) -> None:
        """Read the working data again shortly (edits in a row make one reading); Apply waits for it."""
        self._reinspect.start()
        self._refresh_buttons()
        if self._reading_another():
            self.suggest_btn.setEnabled(False)

    def _on_job_finished(self, job_id: int, info: Any, thumbs: dict[str, list[Any]]) -> None:
        if job_id != self._job or self.spec is None:
            return  # cancelled or superseded
        from visualnn.services.datasets.facts import facts_of  # with the first result, not with the window

        if self._new_source and self._first_choices(info):
            return  # read again as chosen
        self.info = info
        options = dict(info.options)
        stored = self._job_spec.image().table if self._job_spec is not None and info.kind == "images" else None
        if stored is not None:  # the inspection read the table resolved; the spec keeps it as the project stores it
            options["image"] = {**dict(options.get("image") or {}), "table": stored}
        self.spec = DatasetSpec(info.kind, self.spec.path, options)
        self._info_specs = tuple(s for s in (self._job_spec, self.spec) if s is not None)
        # What the panel just did (layers added by Apply or "Use suggested", identifier columns ignored) outlives
        # an inspection that ends after it.
        self._set_busy(False, "\n".join(t for t in (summary_text(info), self._added_note) if t))
        if not self._reinspect.isActive():  # another reading due (the model changed meanwhile): it says it too
            self._added_note = ""
        self.relocate_btn.hide()
        self._show(info, thumbs)
        if self._describes_project_data(self._info_specs):
            self.document.set_data_facts(facts_of(info))
        elif self.document.data_pending:  # edited again before the applied data was read: it stays unchecked
            self.document.set_data_facts(None, error="the data source was changed in the Data panel and not applied "
                                                     "again; Apply to project to check the model against it.")
        self.inspected.emit(info)

    def _first_choices(self, info: Any) -> bool:
        """On a source picked afresh, make the choices ``visualnn new --data`` makes (identifier columns ignored,
        whole-number scores read as numbers for a model that predicts one) and read the data again; the notes saying
        so come with that reading. False when there was nothing to choose."""
        from visualnn.services.datasets.attach import attach_choices

        assert self.spec is not None
        self._new_source = False
        options, notes = attach_choices(self.document.graph, info, dict(info.options))
        if not notes:
            return False
        self.spec = DatasetSpec(info.kind, self.spec.path, options)
        self._added_note = " ".join(notes)
        self.inspect()
        return True

    def _on_job_failed(self, job_id: int, message: str, relocate: bool) -> None:
        if job_id != self._job:
            return
        self.info = None
        self._info_specs = ()
        if self._job_spec is not None and self._describes_project_data((self._job_spec,)):
            self.document.set_data_facts(None, error=message)
        self._clear_views()  # nothing of the previous source may stand beside this error
        self._set_busy(False, message)
        self.relocate_btn.setVisible(relocate)
        self.problems.addItem(f"error: {message}")
        self.tabs.setTabText(4, "Problems (1)")
        self.inspection_failed.emit(message)

    # ------------------------------------------------------------------ showing
    def _clear_views(self) -> None:
        """Empty every view of a source: tables, thumbnails, tensors, code, problems, the suggestion."""
        self.columns.setRowCount(0)
        self.preview.show_nothing()
        self.thumbs.clear()
        self.tensor_view.clear()
        self.part_cards.show_parts([], [])
        self.code_view.clear()
        self.problems.clear()
        self.tabs.setTabText(4, "Problems")
        self._update_suggestion()
        self._refresh_buttons()

    def _show(self, info: Any, thumbs: dict[str, list[Any]]) -> None:
        assert self.spec is not None
        table = info.kind in ("csv", "timeseries") or bool(info.kind == "images" and info.columns)
        self.tabs.setTabVisible(0, table)
        self.tabs.setTabVisible(1, info.kind == "images")
        if table:
            groups = self._job_parts if info.kind in ("csv", "images") else ((), ())
            self.columns.show_columns(info, self.spec, *groups)
            self.preview.show_preview(info)
        if info.kind == "images":
            self.thumbs.show_thumbnails(info.classes, thumbs)
            graph = self.document.graph
            self.settings.image_table.set_choices(choices_of(info), input_names(graph), output_names(graph))
        self.settings.set_array_names(list(info.arrays))
        self.settings.show_spec(self.spec, self._table_path(self.spec))
        self.problems.clear()
        for p in info.problems:
            self.problems.addItem(f"{p.severity}: {p.message}")
        self.tabs.setTabText(4, f"Problems ({len(info.problems)})" if info.problems else "Problems")
        self._show_tensors(info)
        self._update_code()
        self._update_suggestion()
        self._refresh_buttons()

    def _show_tensors(self, info: Any) -> None:
        if info.kind == "timeseries" and info.parts:
            self._show_series_cards(info)
        else:
            self.part_cards.show_parts(list(info.parts), list(info.arrays) if info.kind == "numpy" else [])
        self.tensor_view.setPlainText("\n".join(tensor_lines(info, self.spec)))

    def _update_code(self) -> None:
        if self.spec is None or self.info is None:
            self.code_view.setPlainText("")
            return
        self.code_view.setPlainText(pipeline_text(self.spec, self.info))

    def _update_suggestion(self) -> None:
        """Warn when the Input layer disagrees with the data, and enable the one-click fix."""
        info = self.info
        if info is None or info.parts:  # named parts: the Problems list names each node and array
            self.shape_warning.setText("")
            self.suggest_btn.setEnabled(False)
            return
        text, enabled = suggestion_text(self.document, info)
        self.shape_warning.setText(text)
        self.suggest_btn.setEnabled(enabled and not self._reading_another())

    def _refresh_buttons(self) -> None:
        self.apply_btn.setEnabled(self.spec is not None and self.info is not None and not self._reading_another())

    # ------------------------------------------------------------------ commands
    def apply(self) -> bool:
        """Store the working spec in the project; the Input shape follows the data (one undo step).

        The path is stored relative to the project file (absolute until the project is first saved).
        """
        if self.spec is None:
            return False
        project = self.document.project
        path = relative_data_path(project, self.spec.path) if project.path else self.spec.path
        commands: list[Any] = [SetDataset(self.spec.with_path(path))]
        notes = ""
        if self.info is not None:
            adaptation = adaptation_for(self.document, self.info, suggest=False)
            commands += adaptation_commands(self.document, adaptation)
            notes = inserted_notes(adaptation)
        done = self.document.push(commands[0] if len(commands) == 1 else Macro("Use data", commands))
        if done and notes:
            self._say_added(notes)
        return done

    def apply_suggestion(self) -> bool:
        """Set the Input shape, output units/activation and loss/metrics to fit the data, as one undo step."""
        if self.info is None:
            return False
        commands, adaptation = fit_commands(self.document, self.info)
        if not commands:
            return False
        done = self.document.push(Macro("Fit model to data", commands))
        notes = suggestion_notes(self.document, self.info, adaptation)  # an added layer, a rare class: say why
        if done and notes:
            self._say_added(notes)
        return done

    def _say_added(self, notes: str) -> None:
        """Why layers the person did not place were added; kept past an inspection still on its way."""
        self.status.setText(notes)
        self._added_note = notes if self._busy or self._reinspect.isActive() else ""

    # ------------------------------------------------------------------ document -> panel
    def _on_document_project_replaced(self) -> None:
        """Another project (New, Open, a template, an import): rebuild the whole panel from its dataset."""
        self._job += 1  # an inspection still running for the old project is dropped when it arrives
        self._reinspect.stop()
        self._added_note = ""
        self.spec = None
        self.info = None
        self._show_kind(AUTO)
        blocker = QSignalBlocker(self.path_edit)
        self.path_edit.clear()
        del blocker
        self._set_busy(False, "Choose a data source.")
        self.relocate_btn.hide()
        self._update_location_note()
        self.tabs.setTabVisible(0, True)
        self.tabs.setTabVisible(1, True)
        self._clear_views()
        self._on_document_dataset_changed()

    def _on_document_path_changed(self, _path: str) -> None:
        """Saved under another name or folder: the data may now lie inside or outside it."""
        self._update_location_note()

    def _on_document_dataset_changed(self) -> None:
        spec = self.document.project.dataset
        if spec is None:
            self.document.set_data_facts(None)
            return
        path = resolve_data_path(self.document.project, spec.path)
        spec = _with_split(spec)  # the split this project really uses; inspection suggests one only for new data
        if self.spec is not None and self.spec.path == path and self.spec.options == spec.options:
            # Our own Apply coming back: the inspection on screen is of this data, unless a newer one is on its way.
            ready = self.info is not None and not self._busy and not self._reinspect.isActive()
            if ready:
                from visualnn.services.datasets.facts import facts_of

                self.document.set_data_facts(facts_of(self.info))
            else:
                self.document.set_data_facts(None, pending=True)
            return
        self.document.set_data_facts(None, pending=True)
        self.spec = spec.with_path(path)
        self._new_source = False  # the project's data as it is set up
        self._show_kind(spec.kind)
        self.path_edit.setText(path)
        self.inspect()

    def _describes_project_data(self, specs: tuple[DatasetSpec, ...]) -> bool:
        """Whether an inspection of ``specs`` is an inspection of the project's dataset (same kind, file, options)."""
        dataset = self.document.project.dataset
        if dataset is None:
            return False
        want = (dataset.kind, resolve_data_path(self.document.project, dataset.path), _with_split(dataset).options)
        return any((s.kind, s.path, s.options) == want for s in specs)

    def _on_choose_table(self) -> None:
        """Choose the per-image table: stored relative to the project, as the folder's path is on Apply."""
        if self.spec is None:
            return
        start = os.path.dirname(self.spec.path)
        path = chooser_for(self).open_file(self, "Choose the per-image table (one row per image)", start,
                                           "Tables (*.csv *.tsv *.txt);;All files (*)")
        if path:
            project = self.document.project
            self._on_settings_edited("image.table", relative_data_path(project, path) if project.path else path)

    def _on_file_clicked(self) -> None:
        path = chooser_for(self).open_file(
            self, "Choose data", "", "Data (*.csv *.tsv *.txt *.npy *.npz);;All files (*)"
        )
        if path:
            from visualnn.services.datasets.inspect import guess_kind

            self.path_edit.setText(path)
            self.load_path(path, guess_kind(path))

    def _on_folder_clicked(self) -> None:
        path = chooser_for(self).folder(self, "Choose an image folder (one sub-folder per class)", "")
        if path:
            self.path_edit.setText(path)
            self.load_path(path, "images")

    def _on_relocate_clicked(self) -> None:
        if self.spec is None:
            return
        if self.spec.kind == "images":
            path = chooser_for(self).folder(self, f"Where is {os.path.basename(self.spec.path)} now?", "")
        else:
            path = chooser_for(self).open_file(self, f"Where is {os.path.basename(self.spec.path)} now?", "", "")
        if path:
            self.relocate(path)

    def relocate(self, path: str) -> None:
        """Point the working spec (same options) at the data's new location, re-inspect and apply it."""
        if self.spec is None:
            return
        self.spec = self.spec.with_path(os.path.abspath(path))
        self.path_edit.setText(self.spec.path)
        if self.document.project.dataset is not None:
            self.apply()
        self.inspect()


def _with_split(spec: DatasetSpec) -> DatasetSpec:
    """``spec`` with the split it really uses written out (a project saved without one uses the defaults)."""
    return spec if "split" in spec.options else spec.with_options(split=spec.split())
