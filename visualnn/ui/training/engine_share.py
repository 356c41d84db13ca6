"""One engine, two long jobs: a training run (Training tab) and a hyperparameter search (Runs tab › Search).

The engine runs its jobs one at a time, so a Train pressed during a search (or a Search pressed during training)
would only queue behind the other job, with a progress bar that does not move. :class:`EngineShare` keeps the
window coherent instead: while one of the two runs, the other's start buttons are disabled and their tooltip says
which job holds the engine and where to stop it, and the controllers refuse a start from anywhere else (a menu,
a shortcut) with the same sentence. Each Stop button stays with its own job: it stops that job's handle only.
"""

from __future__ import annotations

from PySide6.QtCore import QObject
from PySide6.QtWidgets import QPushButton

from visualnn.ui.training.panel import TrainingPanel
from visualnn.ui.training.search_view import SearchPanel

SEARCH_HOLDS_PREFIX = "A hyperparameter search is using the engine"


def search_holds_engine(progress: str) -> str:
    """Why Train waits while a search runs (``progress``: "trial 5 of 20")."""
    return f"{SEARCH_HOLDS_PREFIX} ({progress}). Stop it in Runs › Search, or wait for it to end, then train."


TRAINING_HOLDS_ENGINE = ("Training is using the engine. Stop it in the Training tab, or wait for the run to "
                         "end, then search.")


class EngineShare(QObject):
    """Disables the start buttons of the job that must wait, with a tooltip naming the job that runs."""

    def __init__(self, training: TrainingPanel, search: SearchPanel, parent: QObject | None = None) -> None:
        super().__init__(parent)
        self.training = training
        self.search = search
        self._tips = {b: b.toolTip() for b in (training.train_button, training.continue_button, search.search_btn)}
        self._status_before: str | None = None  # the Training tab's status line before a search took the engine
        training.controller.engine_busy = self.training_waits_for
        search.controller.engine_busy = self.search_waits_for
        # Connected after the panels' own slots, so these run last and win over the panels' enabling.
        training.controller.state_changed.connect(self.update_buttons)
        search.controller.running_changed.connect(self.update_buttons)
        search.controller.trials_changed.connect(self.update_buttons)  # the tooltip's trial number
        self.update_buttons()

    def training_waits_for(self) -> str:
        """Why Train cannot start now ("" when it can)."""
        search = self.search.controller
        return search_holds_engine(search.progress_text) if search.running else ""

    def search_waits_for(self) -> str:
        """Why Search cannot start now ("" when it can)."""
        return TRAINING_HOLDS_ENGINE if self.training.controller.running else ""

    def update_buttons(self, *_: object) -> None:
        """Disable (with the reason as tooltip) or restore the start buttons of the job that would wait."""
        waiting = self.training_waits_for()
        status = self.training.status
        if waiting:
            for button in (self.training.train_button, self.training.continue_button):
                self._block(button, waiting)
            if self._status_before is None:  # the Training tab's status line says why too, not "Press Train"
                self._status_before = status.text()
            status.setText(waiting)
        else:
            self._restore(self.training.train_button, not self.training.controller.running)
            self._restore(self.training.continue_button, self.training.controller.can_continue)
            if self._status_before is not None:  # the lines that gave the search as the reason go back
                refused = self.training.hints.text().startswith(SEARCH_HOLDS_PREFIX)  # a start was refused
                if refused:
                    self.training.hints.setText("")
                if refused or status.text().startswith(SEARCH_HOLDS_PREFIX):
                    status.setText(self._status_before)
                self._status_before = None
        waiting = self.search_waits_for()
        if waiting:
            self._block(self.search.search_btn, waiting)
        else:
            self._restore(self.search.search_btn, not self.search.controller.running)

    def _block(self, button: QPushButton, reason: str) -> None:
        button.setEnabled(False)
        button.setToolTip(reason)

    def _restore(self, button: QPushButton, enabled: bool) -> None:
        if button.toolTip() != self._tips[button]:  # it was blocked: the panel's own state decides again
            button.setToolTip(self._tips[button])
            button.setEnabled(enabled)


__all__ = ["SEARCH_HOLDS_PREFIX", "TRAINING_HOLDS_ENGINE", "EngineShare", "search_holds_engine"]
