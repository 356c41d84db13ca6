"""Journey: edit, crash before saving, relaunch, Restore: nothing is lost, the training settings included.

The crash happens in this process: once autosave has written its recovery file, the first app is
abandoned exactly as a killed process leaves it: no close, no save, no clean-up code runs (its
window is hidden and its process-wide hooks let go, as a dead process holds none), and the recovery
file's writer is recorded as a process that has ended. The second app
is started by ``start_session`` with the saved project on its command line, like a relaunch; the
recovery question is answered "Restore" through the app's prompter seam. (``tests/ui/
test_crash_recovery.py`` covers a real ``kill -9`` of a separate process.)
"""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

from PySide6.QtWidgets import QApplication
from pytestqt.qtbot import QtBot

from tests.journeys.conftest import Launch
from tests.ui.fake_engine import FakeEngine
from visualnn.core.recovery import read_recovery, write_recovery
from visualnn.ui.recovery_dialog import RESTORE
from visualnn.ui.training.settings import TrainingSettingsForm


def test_edits_and_training_settings_survive_a_crash(launch: Launch, tmp_path: Path, qtbot: QtBot) -> None:
    first, user = launch(FakeEngine())
    window = first.window
    document = window.document

    # A small saved project: File > New from Template > MLP classifier, File > Save As.
    user.menu("File", "New from Template", "MLP classifier")
    saved = tmp_path / "crashy.vnn"
    user.chooser.will_answer("save_file", str(saved))
    user.menu("File", "Save As…")
    assert saved.exists() and not document.is_dirty

    # Unsaved edits: a layer dropped onto the canvas (a Sequential chain wires it in), a unit count typed, training settings changed.
    dense = next(n.id for n in document.graph if n.type == "Dense")
    user.select_layer(dense)
    user.type_into(user.inspector_field("units"), "48")
    user.fit()
    view = window.view
    seen = view.mapToScene(view.viewport().rect()).boundingRect()
    free = (seen.right() - seen.width() * 0.12, seen.center().y())
    dropout = user.drag_layer("Dropout", to=free)
    assert document.graph.mode == "sequential" and document.graph.in_edges(dropout), "the template's chain took it in"
    user.show_dock("training")
    form = window.training_panel.findChild(TrainingSettingsForm)
    assert form is not None
    user.set_setting(form, "optimizer", "rmsprop")
    user.set_setting(form, "momentum", 0.25)
    user.set_setting(form, "batch_size", 24)
    user.set_setting(form, "shuffle", False)
    assert document.is_dirty
    before = document.project.to_dict()
    user.screenshot("crash-1-before")

    # Autosave writes the recovery file once the edits pause.
    recovery: list[str] = []
    first.autosave.autosaved.connect(recovery.append)
    user.wait_until(lambda: bool(recovery), "the autosave", timeout_ms=10_000)
    written = read_recovery(Path(recovery[-1]))
    assert written.project == before, "the recovery file holds the edits"

    # The crash: nothing more runs in the first app.
    first.errors.uninstall()
    app = QApplication.instance()
    assert app is not None
    app.removeEventFilter(first.file_open)
    window.hide()
    # What the crash changes on disk: the recovery file's writer is gone. (Recovery files whose
    # writer still runs belong to a live window and are never offered; this process lives on, so
    # the file is marked as written by a process that has ended, its content untouched.)
    ended = subprocess.Popen([sys.executable, "-c", "pass"])
    ended.wait()
    write_recovery(recovery[-1], written.project, written.original_path, pid=ended.pid)
    assert read_recovery(Path(recovery[-1])).project == before

    # Relaunch on the project; "Restore" is the answer.
    second, user2 = launch(FakeEngine(), argv=[str(saved)], answer=RESTORE)
    asked = user2.recovery_questions  # type: ignore[attr-defined]
    assert len(asked) == 1 and asked[0].recovery.original_path == str(saved), asked
    assert second.recovery_choice == RESTORE
    restored = second.window.document
    assert restored.project.to_dict() == before
    assert restored.path == str(saved) and restored.is_dirty, "restored edits are unsaved until the person saves"
    shown = second.window.training_panel.findChild(TrainingSettingsForm)
    assert shown is not None and shown.config() == restored.project.training
    assert (shown.config().optimizer, shown.config().momentum, shown.config().batch_size, shown.config().shuffle) == (
        "rmsprop", 0.25, 24, False)
    user2.screenshot("crash-2-restored")
