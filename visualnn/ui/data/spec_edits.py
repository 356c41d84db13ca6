"""The Data panel's edits of its working spec: a column's role, kind or encoding, a setting.

These methods of :class:`~visualnn.ui.data_panel.DataPanel` change the working copy that "Apply to project"
stores, and have the data read again where the shapes, the suggestion or the warnings may change.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from visualnn.core.dataset import DatasetSpec
from visualnn.core.model_io import output_names
from visualnn.ui.data.widgets import apply_setting
from visualnn.ui.document import ProjectDocument


class SpecEdits:
    """Mixed into the Data panel (which provides the attributes below)."""

    spec: DatasetSpec | None
    info: Any
    document: ProjectDocument

    if TYPE_CHECKING:
        def _parts(self) -> tuple[tuple[str, ...], tuple[str, ...]]: ...
        def _set_column_option(self, name: str, field: str, value: Any) -> None: ...
        def _tick_series_target(self, column: str, ticked: bool) -> None: ...
        def _update_code(self) -> None: ...
        def _read_again(self) -> None: ...

    def _on_columns_column_edited(self, name: str, field: str, value: Any) -> None:
        if self.spec is None:
            return
        if field in ("input", "output"):
            self._set_column_option(name, field, value)
            return
        if field == "role" and value == "target" and self.spec.kind == "csv" and len(self._parts()[1]) > 1:
            self.spec = self.spec.with_column(name, role="target")  # several outputs: one target column each
        elif field == "role" and value == "target" and self.spec.kind == "csv":
            # One target by default: the previous implicit target becomes a feature again.
            spec = self.spec
            for other in self.info.targets if self.info is not None else []:
                if other != name:
                    spec = spec.with_column(other, role="feature")
            self.spec = spec.with_column(name, role="target")
        elif field == "role" and self.spec.kind == "timeseries" and len(output_names(self.document.graph)) > 1:
            self._tick_series_target(name, value == "target")
            return
        elif field == "role" and self.spec.kind == "timeseries" and value == "target":
            self.spec = apply_setting(self.spec, "window.target", name)
        else:
            self.spec = self.spec.with_column(name, **{field: value})
        self._read_again()

    def _on_settings_edited(self, key: str, value: Any) -> None:
        if self.spec is None:
            return
        if key.startswith("image.") and value is None:  # "auto" / no table: the setting leaves the file
            image = {k: v for k, v in dict(self.spec.options.get("image") or {}).items() if k != key[6:]}
            self.spec = self.spec.with_options(image=image)
        else:
            self.spec = apply_setting(self.spec, key, value)
        self._update_code()
        if key.startswith(("image.", "window.", "arrays.", "target_encoding", "split.", "task")):
            self._read_again()  # shapes, suggestion or class-size warnings may change


__all__ = ["SpecEdits"]
