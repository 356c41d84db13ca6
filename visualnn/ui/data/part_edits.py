"""The Data panel's named parts: which Inputs and outputs the data feeds, and the edits that choose them.

A model with several Inputs or outputs (or an image folder with a per-image table) reads its data as
named parts: an ``.npz`` array per node, a CSV column group per Input and target column per output, a
time series' target columns, an image table's columns. These methods of :class:`~visualnn.ui.data_panel.DataPanel`
name the nodes an inspection must read and turn the cards' and columns' choices into dataset edits: one
undoable ``SetDataset`` when the panel shows the project's data, else an edit of the working copy that
"Apply to project" stores.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from PySide6.QtCore import QTimer

from visualnn.core.commands import SetDataset
from visualnn.core.dataset import DatasetSpec
from visualnn.core.model_io import declared_inputs, input_names, is_multi_io, output_names
from visualnn.core.project.io import resolve_data_path
from visualnn.ui.data.parts import PartCards
from visualnn.ui.document import ProjectDocument


class PartEdits:
    """Mixed into the Data panel (which provides the attributes below)."""

    spec: DatasetSpec | None
    document: ProjectDocument
    part_cards: PartCards
    _reinspect: QTimer
    _info_specs: tuple[DatasetSpec, ...]

    if TYPE_CHECKING:
        def _describes_project_data(self, specs: tuple[DatasetSpec, ...]) -> bool: ...
        def _read_again(self) -> None: ...

    def _parts(self) -> tuple[tuple[str, ...], tuple[str, ...]]:
        """The Input and output names the data must feed as named parts; empty for a one-input, one-output model
        (unless its images come with a per-image table: then the table feeds a node)."""
        graph = self.document.graph
        if not is_multi_io(graph) and not self._image_table():
            return (), ()
        return tuple(input_names(graph)), tuple(output_names(graph))

    def _shapes(self) -> dict[str, tuple[int | None, ...] | None]:
        """The Inputs' declared sample shapes, which tell the Input of an image folder's images."""
        return dict(declared_inputs(self.document.graph)) if self.spec is not None and self.spec.kind == "images" else {}

    def _image_table(self) -> bool:
        return self.spec is not None and self.spec.kind == "images" and self.spec.image().table is not None

    def _table_path(self, spec: DatasetSpec) -> str | None:
        """The per-image table of ``spec`` as a path this process can open (stored relative to the project)."""
        table = spec.image().table if spec.kind == "images" else None
        return None if table is None else resolve_data_path(self.document.project, table)

    def _resolved_options(self, spec: DatasetSpec) -> dict[str, Any]:
        """``spec``'s options with its per-image table resolved for the inspection."""
        options = dict(spec.options)
        table = self._table_path(spec)
        if table is not None:
            options["image"] = {**dict(options.get("image") or {}), "table": table}
        return options

    def _set_column_option(self, name: str, field: str, node: str) -> None:
        """Feed column ``name`` to Input/output ``node``: an undoable edit of the project's dataset when this is it."""
        self._edit_dataset(lambda base: base.with_column(name, **{field: node}))

    def _edit_window(self, edit: Any) -> None:
        """Change the time-series window settings with ``edit(dict) -> dict``: an undoable edit of the project's
        dataset when the panel shows it, else of the working copy (then Apply stores it)."""
        self._edit_dataset(lambda base: base.with_options(window=edit(dict(base.options.get("window") or {}))))

    def _edit_dataset(self, change: Any) -> None:
        """``change(spec) -> spec`` on the project's dataset (one undoable edit) when the panel shows it, else on
        the working copy (then Apply stores it)."""
        assert self.spec is not None
        project = self.document.project
        applied = self._describes_project_data(self._info_specs) and project.dataset is not None
        base = project.dataset if applied and project.dataset is not None else self.spec
        spec = change(base)
        if applied:
            self.document.push(SetDataset(spec))  # the document's dataset_changed reads the data again
        else:
            self.spec = spec
            self._read_again()

    def _tick_series_target(self, column: str, ticked: bool) -> None:
        """A model with several outputs: the Columns tab's role ticks ``column`` as one of the target columns
        (each output predicts the column of its name, or the one chosen on its card), or unticks it."""
        from visualnn.core.window_parts import target_columns

        assert self.spec is not None
        current = target_columns(self.spec.window(), output_names(self.document.graph))

        def edit(window: dict[str, Any]) -> dict[str, Any]:
            targets = [c for c in current if c != column] + ([column] if ticked else [])
            outputs = {k: v for k, v in (window.get("outputs") or {}).items() if ticked or v != column}
            return {**window, "targets": targets, "outputs": outputs}

        self._edit_window(edit)

    def _on_series_column_chosen(self, node: str, column: str) -> None:
        """The card of output ``node`` chose the column it predicts (a target column from then on)."""
        from visualnn.core.window_parts import target_columns

        assert self.spec is not None
        current = target_columns(self.spec.window(), output_names(self.document.graph))

        def edit(window: dict[str, Any]) -> dict[str, Any]:
            outputs = dict(window.get("outputs") or {})
            previous = outputs.get(node, node)
            if column == node:
                outputs.pop(node, None)  # the column named like the output is the default
            else:
                outputs[node] = column
            targets = [column if c == previous else c for c in current]
            return {**window, "targets": list(dict.fromkeys([*targets, column])), "outputs": outputs}

        self._edit_window(edit)

    def _show_series_cards(self, info: Any) -> None:
        """A time series feeding several outputs: each output's card chooses a numeric column, the Input's shows
        the windows (no choice)."""
        numeric = [c.name for c in info.columns if c.kind == "numeric" and not c.all_missing]
        self.part_cards.show_parts(list(info.parts), numeric)
        for part in info.parts:
            box = self.part_cards.combo(part.role, part.node)
            if box is None:
                continue
            box.setVisible(part.role == "target")
            box.setToolTip(f"The column of the time series that output {part.node} predicts, "
                           f"{self.spec.window().horizon if self.spec else 1} step(s) after each window")

    def _on_part_cards_array_chosen(self, role: str, node: str, array: str) -> None:
        """Feed ``node`` from ``array``: an undoable edit of the project's dataset when this is it, else of the working copy."""
        if self.spec is None:
            return
        if self.spec.kind == "timeseries":
            if role == "target":
                self._on_series_column_chosen(node, array)
            return
        key = "inputs" if role == "input" else "outputs"
        project = self.document.project
        applied = self._describes_project_data(self._info_specs) and project.dataset is not None
        base = project.dataset if applied and project.dataset is not None else self.spec
        arrays = dict(base.options.get("arrays") or {})
        chosen = dict(arrays.get(key) or {})
        if array == node:
            chosen.pop(node, None)  # the node's own name is the default: keep the file free of it
        else:
            chosen[node] = array
        if chosen:
            arrays[key] = chosen
        else:
            arrays.pop(key, None)
        spec = base.with_options(arrays=arrays)
        if applied:
            self.document.push(SetDataset(spec))  # the document's dataset_changed reads the data again
        else:
            self.spec = spec
            self._read_again()


__all__ = ["PartEdits"]
