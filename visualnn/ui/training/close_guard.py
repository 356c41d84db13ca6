"""What happens to a training run when the window closes, or File > New / Open replaces the project, mid-training.

The user is asked by a :data:`TrainingPrompter` (the app's is :func:`ask_with_message_box`; tests inject one
that answers) and chooses: wait for the run to finish and keep it, stop it and keep what it has learnt so far,
discard it (stopped, its folder deleted), or cancel. Waiting and stopping keep the run in the project before
the close goes on, so its model file is never left on disk with no record of it; the close then continues
with the usual unsaved-changes question.
"""

from __future__ import annotations

import logging
from collections.abc import Callable
from dataclasses import dataclass

from PySide6.QtCore import QObject, QTimer, Signal
from PySide6.QtWidgets import QMessageBox, QWidget

from visualnn.ui.training.session import TrainingSessionController

log = logging.getLogger(__name__)

WAIT = "wait"  # let it finish, record it, then go on
STOP = "stop"  # stop after the current batch, record the partial run, then go on
DISCARD = "discard"  # stop, delete its folder, record nothing, then go on
CANCEL = "cancel"  # keep training and keep the project open
ANSWERS = (WAIT, STOP, DISCARD, CANCEL)


@dataclass(frozen=True)
class RunningTraining:
    """What the question says: what the user is about to do, the project, and how far training has got."""

    action: str  # "close VisualNN", "open another project", "start a new project"
    project: str  # the project's display name
    progress: str  # the progress bar's text ("Epoch 3/10 · batch 5/20")


# Asks what to do with a running training job: returns one of ANSWERS.
TrainingPrompter = Callable[[RunningTraining, QWidget | None], str]


def ask_with_message_box(question: RunningTraining, parent: QWidget | None) -> str:
    """The app's prompter: a question box with the three ways to end the run, and Cancel."""
    box = QMessageBox(parent)
    box.setObjectName("TrainingRunningBox")
    box.setIcon(QMessageBox.Icon.Question)
    box.setWindowTitle("Training is running")
    box.setText(f"“{question.project}” is still training ({question.progress}). "
                f"What should happen to this run before you {question.action}?")
    box.setInformativeText("Waiting or stopping keeps the run (and its model) in the project; "
                           "discarding deletes what it has trained so far.")
    choices = [
        (box.addButton("Wait and keep the run", QMessageBox.ButtonRole.AcceptRole), WAIT),
        (box.addButton("Stop and keep the run so far", QMessageBox.ButtonRole.AcceptRole), STOP),
        (box.addButton("Discard the run", QMessageBox.ButtonRole.DestructiveRole), DISCARD),
    ]
    cancel = box.addButton(QMessageBox.StandardButton.Cancel)
    box.setDefaultButton(cancel)
    box.setEscapeButton(cancel)
    box.exec()
    clicked = box.clickedButton()
    return next((answer for button, answer in choices if button is clicked), CANCEL)


class TrainingCloseGuard(QObject):
    """Stands between "replace or close the project" and a running training job."""

    message = Signal(str)  # status-bar text while a close waits for training to end

    def __init__(self, session: TrainingSessionController, parent_widget: QWidget,
                 prompter: TrainingPrompter = ask_with_message_box) -> None:
        super().__init__(parent_widget)
        self.session = session
        self.prompter = prompter
        self._widget = parent_widget
        self._then: Callable[[], object] | None = None
        session.state_changed.connect(self._on_session_state_changed)

    @property
    def waiting(self) -> bool:
        """True while an action waits for the training job to end."""
        return self._then is not None

    def settle(self, action: str, then: Callable[[], object]) -> bool:
        """True when no training runs (go on now). Otherwise ask; False means cancelled, or ``then`` is run
        again once the job has ended (recorded, or discarded)."""
        if not self.session.running:
            return True
        question = RunningTraining(action, self.session.document.display_name, self.session.progress.text)
        answer = self.prompter(question, self._widget)
        if answer not in ANSWERS:
            raise ValueError(f"A training prompter must answer one of {', '.join(ANSWERS)}; received {answer!r}.")
        log.info("training runs while the user wants to %s: %s", action, answer)
        if answer == CANCEL:
            return False
        if answer == STOP:
            self.session.stop()
        elif answer == DISCARD:
            self.session.discard()
        self._then = then
        verb = {WAIT: "once training has finished", STOP: "once training has stopped",
                DISCARD: "once the run is discarded"}[answer]
        self.message.emit(f"Going on to {action} {verb}…")
        return False

    def _on_session_state_changed(self) -> None:
        if self._then is not None and not self.session.running:
            then, self._then = self._then, None
            QTimer.singleShot(0, then)  # after the run is recorded and every view has heard of it


__all__ = ["ANSWERS", "CANCEL", "DISCARD", "STOP", "WAIT", "RunningTraining", "TrainingCloseGuard",
           "TrainingPrompter", "ask_with_message_box"]
