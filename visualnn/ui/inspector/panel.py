"""InspectorPanel: the selected layer's name and parameters, edited through undoable commands."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from PySide6.QtCore import QSignalBlocker, Qt, Signal
from PySide6.QtWidgets import (
    QCheckBox,
    QFormLayout,
    QFrame,
    QGroupBox,
    QHBoxLayout,
    QLabel,
    QLineEdit,
    QScrollArea,
    QVBoxLayout,
    QWidget,
)

from visualnn.core.command_base import Macro
from visualnn.core.commands import Rename, SetParam
from visualnn.core.search_marks import searchable_params, searched, structural_targets, suggest_param_spec
from visualnn.core.shapes import describe
from visualnn.core.specs import ParamSpec
from visualnn.core.specs.builtin.hub import HUB_RESNET
from visualnn.ui import theme
from visualnn.ui.document import ProjectDocument
from visualnn.ui.inspector.editors import ParamEditor, make_editor
from visualnn.ui.inspector.hub_preset_editor import HubPresetEditor
from visualnn.ui.inspector.search_field import SearchField, SearchMarker
from visualnn.ui.inspector.weights_editor import WeightsEditor

NO_STRUCTURE_SEARCH = ("Input", "InputLayer")  # layers a search never skips or repeats


class _Row(QWidget):
    """An editor (with its "search" toggle when it can be searched) and its inline error line underneath."""

    def __init__(self, editor: ParamEditor, search: SearchField | None = None) -> None:
        super().__init__()
        self.editor = editor
        self.search = search
        self.error = QLabel(self)
        self.error.setWordWrap(True)
        self.error.setStyleSheet(f"color: {theme.ERROR}; font-size: 90%;")
        self.error.hide()
        lay = QVBoxLayout(self)
        lay.setContentsMargins(0, 0, 0, 0)
        lay.setSpacing(2)
        if search is None:
            lay.addWidget(editor)
        else:
            line = QHBoxLayout()
            line.setSpacing(4)
            line.addWidget(editor, 1)
            line.addWidget(search.toggle)
            lay.addLayout(line)
            lay.addWidget(search)
        lay.addWidget(self.error)

    def show_error(self, message: str | None) -> None:
        """Show (or clear) the inline message."""
        self.error.setText(message or "")
        self.error.setVisible(bool(message))


class InspectorPanel(QScrollArea):
    """Shows one selected layer; each edit becomes one SetParam/Rename (spin drags merge)."""

    param_edited = Signal(str, str, object)  # node id, param name, value (intent)

    def __init__(self, document: ProjectDocument, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.document = document
        self.node_id: str | None = None
        self.rows: dict[str, _Row] = {}
        self.name_edit: QLineEdit | None = None
        self.name_error: QLabel | None = None
        self.info: QLabel | None = None
        self.search = SearchMarker(document, self)  # the "search" toggles' intents -> MarkSearch commands
        self.optional_box: QCheckBox | None = None
        self.structure_error: QLabel | None = None
        self.setWidgetResizable(True)
        self.setFrameShape(QFrame.Shape.NoFrame)
        self._build_empty("Select a layer on the canvas to edit its parameters.")
        document.graph_changed.connect(self._on_document_graph_changed)
        document.project_replaced.connect(lambda: self.set_selection([]))
        self.param_edited.connect(self._on_param_edited)
        document.search_changed.connect(self._on_document_search_changed)

    # ------------------------------------------------------------ building
    def _build_empty(self, text: str) -> None:
        self.rows = {}
        self.search.clear()
        self.optional_box = None
        self.structure_error = None
        self.name_edit = None
        self.info = None
        label = QLabel(text)
        label.setWordWrap(True)
        label.setAlignment(Qt.AlignmentFlag.AlignCenter)
        label.setStyleSheet("color: palette(mid); padding: 24px;")
        self.setWidget(label)

    def set_selection(self, ids: list[str]) -> None:
        """Show the single selected layer (or a hint for none / several)."""
        if len(ids) == 1 and ids[0] in self.document.graph.nodes:
            if ids[0] != self.node_id or not self.rows and self.name_edit is None:
                self._build_node(ids[0])
            return
        self.node_id = None
        self._build_empty(
            f"{len(ids)} layers selected." if ids else "Select a layer on the canvas to edit its parameters."
        )

    def _build_node(self, node_id: str) -> None:
        node = self.document.graph.nodes[node_id]
        spec = self.document.registry.get(node.type)
        self.node_id = node_id
        body = QWidget()
        outer = QVBoxLayout(body)
        outer.setContentsMargins(10, 10, 10, 10)
        title = QLabel(f"<b style='font-size:120%'>{node.type}</b>")
        outer.addWidget(title)
        if spec is not None:
            doc = QLabel(f"{spec.doc} <a href='{spec.url}'>Keras docs</a>")
            doc.setWordWrap(True)
            doc.setOpenExternalLinks(True)
            doc.setStyleSheet("color: palette(mid);")
            outer.addWidget(doc)
        form = QFormLayout()
        form.setFieldGrowthPolicy(QFormLayout.FieldGrowthPolicy.AllNonFixedFieldsGrow)
        self.name_edit = QLineEdit(node.label)
        self.name_edit.setToolTip("The layer name used in the model and generated code (must be unique).")
        self.name_edit.editingFinished.connect(self._on_name_editing_finished)
        self.name_error = QLabel()
        self.name_error.setWordWrap(True)  # a refused name's message ends with the name to use: keep it in view
        self.name_error.setStyleSheet(f"color: {theme.ERROR};")
        self.name_error.hide()
        form.addRow("name", self.name_edit)
        form.addRow("", self.name_error)
        self.rows = {}
        self.search.clear()
        advanced = QFormLayout()
        params = {**spec.resolved(node.params), **spec.common_values(node.params)} if spec else dict(node.params)
        can_search = set(searchable_params(spec.params)) if spec else set()
        for p in spec.all_params if spec else ():
            backbone_weights = spec is not None and spec.category == "pretrained" and p.name == "weights"
            editor = WeightsEditor(p) if backbone_weights else make_editor(p)
            if node.type == HUB_RESNET and p.name == "preset":  # a directory sets its facts too: one undo step
                editor = HubPresetEditor(p, node.label)
                editor.chosen.connect(lambda values, nid=node_id: self._set_params(nid, values))
            editor.set_value(params.get(p.name))
            field = None
            if p.name in can_search:
                field = self.search.add(SearchField(f"{node_id}.{p.name}", self._suggestion(p)))
            row = _Row(editor, field)
            editor.edited.connect(lambda v, name=p.name: self.param_edited.emit(self.node_id or "", name, v))
            editor.invalid.connect(row.show_error)
            self.rows[p.name] = row
            label = QLabel(p.name)
            label.setToolTip(p.doc)
            (advanced if p.advanced else form).addRow(label, row)
        outer.addLayout(form)
        if advanced.rowCount():
            box = QGroupBox("Advanced")
            box.setCheckable(True)
            box.setChecked(False)
            inner = QWidget()
            inner.setLayout(advanced)
            inner.setVisible(False)
            box.toggled.connect(inner.setVisible)
            lay = QVBoxLayout(box)
            lay.addWidget(inner)
            outer.addWidget(box)
        if spec is not None and node.type not in NO_STRUCTURE_SEARCH:
            outer.addWidget(self._build_structure(node_id))
        self.info = QLabel()
        self.info.setWordWrap(True)
        self.info.setTextInteractionFlags(Qt.TextInteractionFlag.TextSelectableByMouse)
        outer.addWidget(self.info)
        outer.addStretch(1)
        self.setWidget(body)
        self._refresh_info()

    def _build_structure(self, node_id: str) -> QGroupBox:
        """The structural search choices: the layer may be skipped; it may appear several times in a row."""
        box = QGroupBox("Search the structure")
        box.setToolTip("A hyperparameter search can also try the model without this layer, or with it repeated.")
        optional_target, repeat_target = structural_targets(node_id)
        self.optional_box = QCheckBox("optional: try with and without this layer")
        self.optional_box.setObjectName(f"search_optional:{node_id}")
        self.optional_box.setChecked(searched(self.document.project, optional_target) is not None)
        self.optional_box.toggled.connect(self._on_optional_box_toggled)
        repeat = self.search.add(SearchField(repeat_target, lambda: "1..3"))
        repeat.toggle.setText("repeat")
        repeat.toggle.setToolTip("Search how many times this layer appears in a row (a range such as 1..3).")
        self.structure_error = QLabel()
        self.structure_error.setWordWrap(True)
        self.structure_error.setStyleSheet(f"color: {theme.ERROR}; font-size: 90%;")
        self.structure_error.hide()
        lay = QVBoxLayout(box)
        lay.addWidget(self.optional_box)
        line = QHBoxLayout()
        line.addWidget(QLabel("repeat count"))
        line.addStretch(1)
        line.addWidget(repeat.toggle)
        lay.addLayout(line)
        lay.addWidget(repeat)
        lay.addWidget(self.structure_error)
        return box

    def _suggestion(self, pspec: ParamSpec) -> Callable[[], str]:
        """The first SPEC the "search" toggle offers: around the parameter's value when it is switched on."""
        return lambda: suggest_param_spec(pspec, self._current(pspec.name))

    def _current(self, name: str) -> object:
        node = self.document.graph.nodes.get(self.node_id or "")
        spec = self.document.registry.get(node.type) if node else None
        return (spec.resolved(node.params) if spec else node.params).get(name) if node else None

    def _on_optional_box_toggled(self, on: bool) -> None:
        if self.node_id is None or self.structure_error is None:
            return
        target = structural_targets(self.node_id)[0]
        problems = self.search.mark(target, "yes") if on else ([] if self.search.unmark(target) else [])
        self.structure_error.setText("\n".join(problems))
        self.structure_error.setVisible(bool(problems))
        if problems and self.optional_box is not None:
            with QSignalBlocker(self.optional_box):
                self.optional_box.setChecked(False)

    def _on_document_search_changed(self) -> None:
        if self.node_id is None or self.optional_box is None:
            return
        marked = searched(self.document.project, structural_targets(self.node_id)[0]) is not None
        if self.optional_box.isChecked() != marked:
            with QSignalBlocker(self.optional_box):
                self.optional_box.setChecked(marked)

    # ------------------------------------------------------------ following the model
    def _on_document_graph_changed(self) -> None:
        if self.node_id is None:
            return
        node = self.document.graph.nodes.get(self.node_id)
        if node is None:
            self.set_selection([])
            return
        spec = self.document.registry.get(node.type)
        params = {**spec.resolved(node.params), **spec.common_values(node.params)} if spec else node.params
        for name, row in self.rows.items():
            if row.editor.value() != params.get(name):
                row.editor.set_value(params.get(name))
        if self.name_edit is not None and self.name_edit.text() != node.label and not self.name_edit.hasFocus():
            with QSignalBlocker(self.name_edit):
                self.name_edit.setText(node.label)
        self._refresh_info()

    def _refresh_info(self) -> None:
        if self.info is None or self.node_id is None:
            return
        shapes = self.document.shapes.nodes.get(self.node_id)
        lines = []
        if shapes is not None:
            ins = ", ".join(describe(s) for s in shapes.input_shapes) or "—"
            lines.append(f"<b>input</b> {ins}")
            lines.append(f"<b>output</b> {describe(shapes.output)}")
            if shapes.params is not None:
                count = shapes.params
                split = (f" ({theme.fmt_count(count.trainable)} trainable, {theme.fmt_count(count.non_trainable)} "
                         "non-trainable)") if count.non_trainable else ""
                lines.append(f"<b>params</b> {theme.fmt_count(count.total)}{split}")
            if shapes.error:
                lines.append(f"<span style='color:{theme.ERROR}'>{shapes.error}</span>")
        self.info.setText("<br>".join(lines))

    # ------------------------------------------------------------ intents -> commands
    def _on_param_edited(self, node_id: str, name: str, value: Any) -> None:
        node = self.document.graph.nodes.get(node_id)
        row = self.rows.get(name)
        if node is None:
            return
        spec = self.document.registry.get(node.type)
        if spec is not None:
            problem = spec.param(name).check(value, node.label)
            if problem:
                if row:
                    row.show_error(problem)
                return
        failures: list[str] = []
        self.document.command_failed.connect(failures.append)
        try:
            ok = self.document.push(SetParam(node_id, name, value, self.document.registry))
        finally:
            self.document.command_failed.disconnect(failures.append)
        if row:
            row.show_error(None if ok else (failures[0] if failures else "The value was refused."))

    def _set_params(self, node_id: str, values: dict[str, Any]) -> None:
        """Several settings of one node as one undo step (a KerasHub preset directory and its facts)."""
        commands = [SetParam(node_id, name, value, self.document.registry) for name, value in values.items()]
        self.document.push(Macro(f"Set {', '.join(values)}", commands))

    def _on_name_editing_finished(self) -> None:
        if self.node_id is None or self.name_edit is None or self.name_error is None:
            return
        node = self.document.graph.nodes.get(self.node_id)
        text = self.name_edit.text().strip()
        if node is None or text == node.label:
            self.name_error.hide()
            return
        failures: list[str] = []
        self.document.command_failed.connect(failures.append)
        try:
            ok = self.document.push(Rename(self.node_id, text))
        finally:
            self.document.command_failed.disconnect(failures.append)
        self.name_error.setText("" if ok else (failures[0] if failures else "The name was refused."))
        self.name_error.setVisible(not ok)
