"""What happens to a running hyperparameter search when the window closes, or File > New / Open replaces the project.

The user is asked by a :data:`SearchPrompter` (the app's is :func:`ask_with_message_box`; tests set the guard's
``prompter`` to one that answers) and chooses: stop the search and go on, or cancel. Stopping ends the search after
the current batch; the trial that was training is recorded as it ends, and every finished trial stays in the study's
storage, so pressing Search later resumes the study. The close goes on once the search has ended, then asks the
usual unsaved-changes question (the recorded trials are runs of the project).
"""

from __future__ import annotations

import logging
from collections.abc import Callable
from dataclasses import dataclass

from PySide6.QtCore import QObject, QTimer, Signal
from PySide6.QtWidgets import QMessageBox, QWidget

from visualnn.core.search_settings import masked_url
from visualnn.ui.training.search_session import SearchController

log = logging.getLogger(__name__)

STOP = "stop"  # stop after the current batch, keep the finished trials in the study, then go on
CANCEL = "cancel"  # keep searching and keep the project open
ANSWERS = (STOP, CANCEL)


@dataclass(frozen=True)
class RunningSearch:
    """What the question says: what the user is about to do, how far the search has got, where its trials are."""

    action: str  # "close VisualNN", "open another project", "start a new project"
    progress: str  # "trial 5 of 20"
    storage: str  # the study's storage URL (password masked)
    study: str

    @property
    def question(self) -> str:
        """The question itself."""
        return f"A search is running ({self.progress}). Stop it and {self.action}?"

    @property
    def details(self) -> str:
        """What stopping keeps."""
        return (f"The finished trials are kept in {self.storage} (study {self.study}); you can resume the search "
                f"later by pressing Search.")


SearchPrompter = Callable[[RunningSearch, QWidget | None], str]
"""Asks what to do with a running search: returns one of :data:`ANSWERS`."""


def ask_with_message_box(question: RunningSearch, parent: QWidget | None) -> str:
    """The app's prompter: a question box with "Stop the search" and Cancel."""
    box = QMessageBox(parent)
    box.setObjectName("SearchRunningBox")
    box.setIcon(QMessageBox.Icon.Question)
    box.setWindowTitle("A search is running")
    box.setText(question.question)
    box.setInformativeText(question.details)
    stop = box.addButton(f"Stop the search and {question.action}", QMessageBox.ButtonRole.AcceptRole)
    cancel = box.addButton(QMessageBox.StandardButton.Cancel)
    box.setDefaultButton(cancel)
    box.setEscapeButton(cancel)
    box.exec()
    return STOP if box.clickedButton() is stop else CANCEL


class SearchCloseGuard(QObject):
    """Stands between "replace or close the project" and a running search job."""

    message = Signal(str)  # status-bar text while a close waits for the search to end

    def __init__(self, controller: SearchController, parent_widget: QWidget,
                 prompter: SearchPrompter = ask_with_message_box) -> None:
        super().__init__(parent_widget)
        self.controller = controller
        self.prompter = prompter
        self._widget = parent_widget
        self._then: Callable[[], object] | None = None
        controller.running_changed.connect(self._on_controller_running_changed)

    @property
    def waiting(self) -> bool:
        """True while an action waits for the search to end."""
        return self._then is not None

    def settle(self, action: str, then: Callable[[], object]) -> bool:
        """True when no search runs (go on now). Otherwise ask; False means cancelled, or ``then`` runs again
        once the search has stopped and its last trial is recorded."""
        c = self.controller
        if not c.running:
            return True
        question = RunningSearch(action, c.progress_text, masked_url(c.storage), c.study)
        answer = self.prompter(question, self._widget)
        if answer not in ANSWERS:
            raise ValueError(f"A search prompter must answer one of {', '.join(ANSWERS)}; received {answer!r}.")
        log.info("a search runs (%s) while the user wants to %s: %s", question.progress, action, answer)
        if answer == CANCEL:
            return False
        self._then = then
        c.stop()
        self.message.emit(f"Stopping the search; going on to {action} once it has stopped…")
        return False

    def _on_controller_running_changed(self, running: bool) -> None:
        if self._then is not None and not running:
            then, self._then = self._then, None
            QTimer.singleShot(0, then)  # after the last trial is recorded and every view has heard of it


__all__ = ["ANSWERS", "CANCEL", "STOP", "RunningSearch", "SearchCloseGuard", "SearchPrompter",
           "ask_with_message_box"]
