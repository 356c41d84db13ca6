"""Errors and warnings raised or reported by the data loaders (numpy-, pandas- and TF-free)."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any


class DataError(ValueError):
    """Data that cannot be turned into tensors; the message names the file, row/line, column and the fix."""

    def __init__(self, message: str, path: str | None = None, relocate: bool = False) -> None:
        super().__init__(message)
        self.path = path
        self.relocate = relocate  # True when the file or folder is missing: offer to relocate it


@dataclass(frozen=True)
class Problem:
    """A non-fatal finding (constant column, skipped image, missing values filled...)."""

    severity: str  # "warning" | "info"
    message: str

    def to_dict(self) -> dict[str, Any]:
        """JSON form."""
        return {"severity": self.severity, "message": self.message}


def missing_path_error(path: str, what: str = "file") -> DataError:
    """The message for data that moved since the project was saved."""
    return DataError(
        f"The data {what} {path} does not exist. It may have moved since the project was saved; "
        "choose its new location (Relocate...) or fix the path.",
        path=path,
        relocate=True,
    )
