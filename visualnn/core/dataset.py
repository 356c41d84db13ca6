"""Dataset *description* stored in a project (where the data is and how to turn it into tensors).

Never the data itself. Paths are stored relative to the project file.
"""

from __future__ import annotations

import copy
from dataclasses import dataclass, field
from typing import Any

SOURCE_KINDS = ("csv", "images", "numpy", "timeseries")


@dataclass(frozen=True)
class DatasetSpec:
    """Where the data lives and how it becomes tensors (roles, preprocessing, split, pipeline)."""

    kind: str  # one of SOURCE_KINDS
    path: str  # relative to the project file (POSIX separators)
    options: dict[str, Any] = field(default_factory=dict)  # loader-specific settings (JSON data)

    def to_dict(self) -> dict[str, Any]:
        """JSON form."""
        return {"kind": self.kind, "path": self.path, "options": copy.deepcopy(self.options)}

    @staticmethod
    def from_dict(data: dict[str, Any]) -> DatasetSpec:
        """Inverse of :meth:`to_dict`."""
        return DatasetSpec(str(data["kind"]), str(data["path"]), copy.deepcopy(dict(data.get("options", {}))))
