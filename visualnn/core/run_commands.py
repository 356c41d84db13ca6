"""Undoable edits of a project's run records (kept settings of a trained model, not the model's graph)."""

from __future__ import annotations

from dataclasses import replace

from visualnn.core.command_base import Command, CommandError
from visualnn.core.decision import with_threshold
from visualnn.core.project import Project
from visualnn.core.training_config import RunRecord


class SetRunThreshold(Command):
    """Keep a decision threshold for one binary output of a run (None or 0.5: decide at the default again)."""

    def __init__(self, run_id: str, output: str, threshold: float | None) -> None:
        self.run_id, self.output, self.threshold = run_id, output, threshold
        self.text = (f"Decide {output!r} at {threshold:g} for {run_id}" if threshold is not None
                     else f"Decide {output!r} at the default for {run_id}")
        self._old: RunRecord | None = None

    def redo(self, project: Project) -> None:
        """Record the threshold in the run's ``extra`` (see :mod:`visualnn.core.decision`)."""
        run = next((r for r in project.runs if r.id == self.run_id), None)
        if run is None:
            raise CommandError(f"There is no run {self.run_id!r} in the project; it may have been deleted.")
        try:
            extra = with_threshold(run.extra, self.output, self.threshold)
        except ValueError as exc:
            raise CommandError(str(exc)) from exc
        self._old = project.replace_run(replace(run, extra=extra))

    def undo(self, project: Project) -> None:
        """Restore the run's former record."""
        assert self._old is not None
        project.replace_run(self._old)


__all__ = ["SetRunThreshold"]
