"""The "Recover unsaved changes?" dialog shown after a crash: what changed, when, restore or discard."""

from __future__ import annotations

from datetime import UTC, datetime

from PySide6.QtCore import Qt
from PySide6.QtWidgets import (
    QDialog,
    QDialogButtonBox,
    QLabel,
    QListWidget,
    QPushButton,
    QVBoxLayout,
    QWidget,
)

from visualnn.core.recovery import PendingRecovery

RESTORE = "restore"
DISCARD = "discard"
LATER = "later"


def describe_age(then: datetime, now: datetime | None = None) -> str:
    """``"3 min ago"``-style age of a timestamp (for the dialog's timestamps)."""
    now = now or datetime.now(UTC)
    seconds = max(0, int((now - then).total_seconds()))
    if seconds < 5:
        return "just now"
    if seconds < 60:
        return f"{seconds} s ago"
    if seconds < 3600:
        return f"{seconds // 60} min ago"
    if seconds < 86400:
        return f"{seconds // 3600} h {seconds % 3600 // 60} min ago"
    return f"{seconds // 86400} days ago"


def local_time(moment: datetime) -> str:
    """A timestamp in the user's local time zone, to the second."""
    return moment.astimezone().strftime("%Y-%m-%d %H:%M:%S")


class RecoveryDialog(QDialog):
    """Offers to restore an autosaved project; :attr:`choice` is ``restore``, ``discard`` or ``later``."""

    def __init__(self, pending: PendingRecovery, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.pending = pending
        self.choice = LATER
        rec = pending.recovery
        name = str(rec.project.get("name") or "Untitled")
        self.setWindowTitle("Recover unsaved changes?")
        self.setObjectName("RecoveryDialog")
        self.setMinimumWidth(480)
        layout = QVBoxLayout(self)
        where = rec.original_path or "a project that was never saved"
        headline = QLabel(
            f"<b>VisualNN closed without saving “{name}”.</b><br>"
            f"Changes autosaved {describe_age(rec.saved_at)} ({local_time(rec.saved_at)}) can be restored.<br>"
            f"<span style='color: palette(dark)'>Project: {where}</span>"
        )
        headline.setTextFormat(Qt.TextFormat.RichText)
        headline.setWordWrap(True)
        layout.addWidget(headline)
        if pending.file_mtime is not None:
            saved = QLabel(f"The project file was last saved {local_time(pending.file_mtime)}.")
            saved.setObjectName("savedTime")
            layout.addWidget(saved)
        if pending.file_is_newer:
            warn = QLabel(
                "⚠ The project file was saved after this autosave; restoring would bring back older work. "
                "Restore only if the file is not what you expected."
            )
            warn.setObjectName("newerWarning")
            warn.setWordWrap(True)
            layout.addWidget(warn)
        layout.addWidget(QLabel("Changes compared with the saved file:"))
        self.changes = QListWidget()
        self.changes.setObjectName("changes")
        lines = pending.diff.lines() or ["No differences from the saved file (only the autosave time differs)."]
        self.changes.addItems(lines)
        self.changes.setMinimumHeight(min(220, 26 * len(lines) + 12))
        layout.addWidget(self.changes)
        buttons = QDialogButtonBox()
        self.restore_button = QPushButton("Restore changes")
        self.discard_button = QPushButton("Discard changes")
        self.later_button = QPushButton("Decide later")
        self.restore_button.setDefault(True)
        self.discard_button.setToolTip("Delete the autosaved copy and keep the project file as it is.")
        self.later_button.setToolTip("Keep the autosaved copy; VisualNN asks again next time.")
        buttons.addButton(self.restore_button, QDialogButtonBox.ButtonRole.AcceptRole)
        buttons.addButton(self.discard_button, QDialogButtonBox.ButtonRole.DestructiveRole)
        buttons.addButton(self.later_button, QDialogButtonBox.ButtonRole.RejectRole)
        self.restore_button.clicked.connect(lambda: self._finish(RESTORE))
        self.discard_button.clicked.connect(lambda: self._finish(DISCARD))
        self.later_button.clicked.connect(lambda: self._finish(LATER))
        layout.addWidget(buttons)

    def _finish(self, choice: str) -> None:
        self.choice = choice
        if choice == RESTORE:
            self.accept()
        else:
            self.reject()
