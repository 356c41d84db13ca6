"""Journey: every menu action and every dialog the window can open, once, with nothing uncaught.

The menu walk of ``tests/ui/test_menus.py`` runs on the app as ``start_session`` builds it; then
every button that opens a file dialog is clicked (the person cancels each). The journey fails on
any exception that reaches the event loop (pytest-qt records it; the app's ErrorReporter shows it,
and the ``launch`` fixture fails on every failure the reporter saw) and on any error dialog.
"""

from __future__ import annotations

import pytest
from pytestqt.qtbot import QtBot

from tests.journeys.conftest import Launch
from tests.ui.fake_engine import FakeEngine
from tests.ui.test_menus import ModalCloser, Walk, walk_menus
from visualnn.ui import errors

# Buttons that open a file dialog: (panel key, button text, the dialog's kind).
FILE_BUTTONS = (
    ("data", "File…", "open_file"),
    ("data", "Image folder…", "folder"),
    ("training", "Export CSV…", "save_file"),
    ("predict", "Open…", "open_files"),
    ("code", "Save…", "save_file"),
)


def test_every_menu_action_and_file_dialog_opens_without_an_uncaught_exception(
    launch: Launch, qtbot: QtBot, monkeypatch: pytest.MonkeyPatch
) -> None:
    urls: list[str] = []
    monkeypatch.setattr(errors, "open_url", lambda url: urls.append(str(url)) or True)  # no browser
    session, user = launch(FakeEngine())
    user.chooser.cancel_unexpected = True  # the person cancels every file dialog
    record = Walk()
    closer = ModalCloser(record)
    try:
        walk_menus(session, record, qtbot)
        window = session.window
        for key, text, kind in FILE_BUTTONS:
            user.show_dock(key)
            panel = window.docks[key].widget()
            buttons = [b for b in panel.findChildren(type(window.training_panel.train_button))
                       if b.text().replace("&", "").startswith(text.rstrip("…")) and b.isVisible()]
            if not buttons:
                pytest.fail(f"the {key} panel shows no {text!r} button")
            asked = len(user.chooser.asked)
            if buttons[0].isEnabled():
                user.click(buttons[0])
                assert len(user.chooser.asked) == asked + 1 and user.chooser.asked[-1][0] == kind, user.chooser.asked
    finally:
        closer.timer.stop()
    assert len(record.triggered) > 30, record.triggered
    assert not [d for d in record.dialogs if d.endswith("ErrorDialog")] and "ErrorDialog" not in record.modal
    assert session.errors.reported == []
    titles = {title for _, title in user.chooser.asked}
    assert {"Choose data", "Choose an image folder (one sub-folder per class)", "Save training script"} <= titles, titles
    assert ("open_file", "Open project") in user.chooser.asked and ("save_file", "Save project") in user.chooser.asked
