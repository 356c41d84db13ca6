"""Help menu, reference with Keras links, error dialog with Copy details, Show log, About dialog."""

from __future__ import annotations

import logging
import sys
from pathlib import Path

import pytest
from PySide6.QtCore import QUrl
from PySide6.QtGui import QGuiApplication
from PySide6.QtWidgets import QMainWindow
from pytestqt.qtbot import QtBot

from tests.ui.fake_engine import DEVICES_RESULT, READY_PAYLOAD, FakeEngine
from visualnn import __version__, logs
from visualnn.ui import errors
from visualnn.ui.about import (
    DETECTING,
    NO_ENGINE,
    STARTING_ENGINE,
    AboutDialog,
    connect_engine,
    format_devices,
    show_about,
)
from visualnn.ui.app import Shell
from visualnn.ui.errors import ErrorDialog, show_error
from visualnn.ui.help import ReferenceDialog, install_help_menu, reference_entries


@pytest.fixture
def opened(monkeypatch: pytest.MonkeyPatch) -> list[str]:
    """Record URLs instead of launching a browser."""
    urls: list[str] = []

    def fake(url: str | QUrl) -> bool:
        urls.append(url.toString() if isinstance(url, QUrl) else url)
        return True

    monkeypatch.setattr(errors, "open_url", fake)
    return urls


@pytest.fixture
def log_dir(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    monkeypatch.setenv(logs.LOG_DIR_ENV, str(tmp_path / "logs"))
    return tmp_path / "logs"


def test_every_layer_loss_optimizer_and_metric_has_a_doc_and_a_keras_link() -> None:
    from visualnn.core import training_options as co
    from visualnn.core.specs import default_registry

    entries = reference_entries()
    kinds = {e.kind for e in entries}
    assert {"Layers", "Losses", "Optimizers", "Metrics"} <= kinds
    assert {e.name for e in entries if e.kind == "Layers"} == {s.type for s in default_registry()}
    assert len([e for e in entries if e.kind == "Losses"]) == len(co.LOSSES)
    for entry in entries:
        assert entry.doc.strip(), f"{entry.kind} {entry.name} has no doc line"
        assert entry.url.startswith("https://keras.io/"), f"{entry.kind} {entry.name} links to {entry.url!r}"
        assert " " not in entry.url
    generic = [e.name for e in entries if e.kind == "Layers" and e.group != "generic"
               and e.url.rstrip("/") == "https://keras.io/api/layers"]
    assert generic == [], f"these layers link to the generic layers page instead of their own: {generic}"


def test_reference_dialog_searches_and_opens_the_keras_page(qtbot: QtBot, opened: list[str]) -> None:
    dialog = ReferenceDialog()
    qtbot.addWidget(dialog)
    dialog.search.setText("dense")
    assert "Dense" in dialog.visible_names() and "Adam" not in dialog.visible_names()
    dialog.search.setText("")
    assert "Adam" in dialog.visible_names()
    assert dialog.select("Dense")
    assert "Dense" in dialog.detail.text() and "keras.io" in dialog.detail.text()
    dialog.open_button.click()
    from visualnn.core.specs import default_registry

    assert opened == [default_registry()["Dense"].url]
    assert dialog.select("Adam")
    dialog.open_button.click()
    assert opened[-1] == "https://keras.io/api/optimizers/adam/"


def test_error_dialog_copies_a_report_with_versions(qtbot: QtBot, log_dir: Path) -> None:
    dialog = show_error(None, "Could not load data", "iris.csv has no column 'species'; choose the label column.",
                        "Traceback (most recent call last):\n  KeyError: 'species'")
    qtbot.addWidget(dialog)
    assert isinstance(dialog, ErrorDialog) and dialog.isVisible()
    assert not dialog.details.isVisible()
    dialog.details_button.click()
    assert dialog.details.isVisible() and "KeyError" in dialog.details.toPlainText()
    dialog.copy_button.click()
    copied = QGuiApplication.clipboard().text()
    assert copied.startswith("Could not load data: iris.csv has no column 'species'")
    assert f"VisualNN {__version__}" in copied and "KeyError: 'species'" in copied
    assert str(log_dir) in copied
    assert dialog.isVisible()  # copying does not close the dialog
    assert dialog.copy_button.text().startswith("Copied")


def test_show_error_logs_the_details(qtbot: QtBot, log_dir: Path) -> None:
    logs.setup_logging("visualnn")
    try:
        dialog = show_error(None, "Export failed", "Cannot write model.keras; the folder is read-only.", "PermissionError")
        qtbot.addWidget(dialog)
        for handler in logging.getLogger().handlers:
            handler.flush()
        text = (log_dir / "visualnn.log").read_text(encoding="utf-8")
        assert "Export failed: Cannot write model.keras" in text and "PermissionError" in text
    finally:
        logs.teardown_logging()


def test_show_log_opens_the_file_or_its_folder(log_dir: Path, opened: list[str]) -> None:
    errors.show_log()
    assert opened == [QUrl.fromLocalFile(str(log_dir)).toString()]
    assert log_dir.is_dir()
    (log_dir / "visualnn.log").write_text("x")
    errors.show_log()
    assert opened[-1] == QUrl.fromLocalFile(str(log_dir / "visualnn.log")).toString()


def test_help_menu_actions(qtbot: QtBot, opened: list[str], log_dir: Path) -> None:
    window = QMainWindow()
    qtbot.addWidget(window)
    engine = FakeEngine()
    engine.start()
    help_menu = install_help_menu(window.menuBar().addMenu("&Help"), window, engine)
    actions = {a.objectName(): a for a in help_menu.menu.actions() if a.objectName()}
    assert {"helpLayerReference", "helpCompileReference", "helpShowLog", "helpAbout", "helpTour"} <= set(actions)
    assert [a.text() for a in help_menu.menu.actions()].count("About VisualNN") == 1
    actions["helpShowLog"].trigger()
    assert opened and opened[-1].startswith("file://")
    actions["helpKerasDocs"].trigger()
    assert opened[-1] == "https://keras.io/api/"
    actions["helpAbout"].trigger()
    about = help_menu.dialogs["about"]
    assert isinstance(about, AboutDialog) and about.isVisible()
    assert about.value("tensorflow") == "2.21.0" and about.value("keras") == "3.15.1"
    qtbot.waitUntil(lambda: about.value("devices").startswith("CPU · Xeon"), timeout=2000)
    actions["helpCompileReference"].trigger()
    ref = help_menu.dialogs["reference"]
    assert isinstance(ref, ReferenceDialog) and ref.isVisible() and ref._groups["Losses"].isExpanded()


def test_help_about_in_the_window_shows_versions_and_devices(
    shell: Shell, fake_engine: FakeEngine, qtbot: QtBot
) -> None:
    """Help > About used to raise AttributeError (format_devices on the ready payload's device ids)
    and show nothing; now it shows the engine's versions and devices."""
    fake_engine.start()  # the engine is up: its ready payload lists device ids, not records
    shell.help.actions["helpAbout"].trigger()
    about = shell.help.dialogs["about"]
    assert isinstance(about, AboutDialog) and about.isVisible()
    assert about.value("tensorflow") == "2.21.0" and about.value("keras") == "3.15.1"
    assert about.value("devices") == READY_PAYLOAD["device"]  # the ready summary at once...
    qtbot.waitUntil(lambda: about.value("devices") == format_devices(DEVICES_RESULT["devices"]), timeout=2000)
    assert about.value("devices") == "CPU · Xeon (2 cores) · 8,000 MB\nGPU · NVIDIA H200 · 139,000 MB"  # ...then the records
    assert fake_engine.job_types() == ["devices"]
    about.close()


def test_about_before_the_engine_started_says_so(shell: Shell, fake_engine: FakeEngine, qtbot: QtBot) -> None:
    fake_engine.answer_devices = False
    about = shell.help.about()
    qtbot.addWidget(about)
    assert isinstance(about, AboutDialog)
    assert about.value("tensorflow") == about.value("devices") == STARTING_ENGINE
    fake_engine.start()
    assert about.value("tensorflow") == "2.21.0" and about.value("devices") == READY_PAYLOAD["device"]
    without = show_about(None, None)
    qtbot.addWidget(without)
    assert without.value("tensorflow") == without.value("devices") == NO_ENGINE


def test_about_with_a_dead_engine_says_why(qtbot: QtBot) -> None:
    engine = FakeEngine()
    engine.die()
    about = show_about(None, engine)
    qtbot.addWidget(about)
    assert about.value("devices").startswith("unavailable (the engine stopped")
    assert engine.jobs == []  # a dead engine is not restarted behind the user's back


def test_format_devices_takes_records_and_bare_ids() -> None:
    assert format_devices(["cpu", "gpu:0"]) == "cpu\ngpu:0"
    assert format_devices([{"kind": "GPU", "name": "A100", "memory_mb": 40000}]) == "GPU · A100 · 40,000 MB"
    assert format_devices([]) == "CPU only"


def test_about_shows_local_versions_and_waits_for_the_engine(qtbot: QtBot) -> None:
    from PySide6.QtCore import qVersion

    dialog = AboutDialog()
    qtbot.addWidget(dialog)
    assert dialog.value("visualnn") == __version__
    assert dialog.value("qt").startswith(qVersion())
    assert dialog.value("python").startswith(f"{sys.version_info.major}.{sys.version_info.minor}")
    assert dialog.value("tensorflow") == dialog.value("keras") == dialog.value("devices") == DETECTING
    dialog.set_devices({"devices": [{"kind": "CPU", "name": "Xeon (2 cores)", "memory_mb": 24000},
                                    {"kind": "GPU", "name": "NVIDIA H100", "memory_mb": 81559}]})
    assert dialog.value("devices") == "CPU · Xeon (2 cores) · 24,000 MB\nGPU · NVIDIA H100 · 81,559 MB"
    assert dialog.value("tensorflow") == DETECTING
    dialog.set_engine_unavailable("engine exited with code 1")
    assert dialog.value("tensorflow") == "unavailable (engine exited with code 1)"
    assert dialog.value("devices").startswith("CPU")
    dialog.copy_versions()
    text = QGuiApplication.clipboard().text()
    assert f"VisualNN: {__version__}" in text and "Devices: CPU · Xeon (2 cores) · 24,000 MB; GPU" in text


def test_about_follows_an_engine_client(qtbot: QtBot) -> None:
    client = FakeEngine(answer_devices=False)
    client.info = {"versions": {"tensorflow": "2.21.0"}}
    client._state = "starting"
    other = client.submit("devices", {})  # another panel's devices job, in flight too
    dialog = AboutDialog()
    qtbot.addWidget(dialog)
    connect_engine(dialog, client)
    assert client.job_types() == ["devices", "devices"] and dialog.devices_job is client.handles["job-2"]
    assert dialog.value("tensorflow") == "2.21.0" and dialog.value("keras") == STARTING_ENGINE
    client.ready.emit({"versions": {"tensorflow": "2.21.0", "keras": "3.15.1"}})
    assert dialog.value("keras") == "3.15.1"
    client.finish(other.id, {"devices": [{"kind": "GPU", "name": "other"}]})  # not the dialog's job
    assert dialog.value("devices") == STARTING_ENGINE
    client.finish("job-2", {"devices": [{"kind": "CPU", "name": "Xeon", "memory_mb": 1024}]})
    assert dialog.value("devices") == "CPU · Xeon · 1,024 MB"

    second = AboutDialog()
    qtbot.addWidget(second)
    connect_engine(second, client)
    client.engine_died.emit("The training engine exited with code 1.")
    assert second.value("devices") == "unavailable (The training engine exited with code 1.)"
    client._state = "starting"
    third = AboutDialog()
    qtbot.addWidget(third)
    connect_engine(third, client)
    assert third.devices_job is not None
    client.fail(third.devices_job.id, "No module named tensorflow")
    assert third.value("devices") == "unavailable (No module named tensorflow)"
    assert dialog.value("devices") == "CPU · Xeon · 1,024 MB"  # another dialog's failed job is not this one's
    fourth = AboutDialog()
    connect_engine(fourth, client)
    assert fourth.devices_job is not None
    pending = fourth.devices_job
    third.deleteLater()
    fourth.deleteLater()
    qtbot.wait(10)
    client.ready.emit({"versions": {"keras": "3.15.1"}})  # no crash once a dialog is gone...
    client.fail(pending.id, "The engine was stopped before the job ended.")  # ...nor when its job ends after it


def test_about_with_the_real_engine_client_class(qtbot: QtBot) -> None:
    """The real EngineClient fits the About box (no process is started: a fake program never runs)."""
    from visualnn.ui.engine_client import EngineClient

    client = EngineClient(program="/nonexistent/engine")
    client.info = dict(READY_PAYLOAD)  # what the engine's ready message carries
    dialog = AboutDialog()
    qtbot.addWidget(dialog)
    connect_engine(dialog, client)
    assert dialog.value("keras") == "3.15.1" and dialog.value("devices") == READY_PAYLOAD["device"]
    qtbot.waitUntil(lambda: client.state == "dead", timeout=5000)
    client.kill()


def test_the_ui_modules_do_not_import_tensorflow() -> None:
    import subprocess

    code = (
        "import sys; import visualnn.ui.app, visualnn.ui.help, visualnn.ui.about, visualnn.ui.errors; "
        "print('tensorflow' in sys.modules, 'keras' in sys.modules)"
    )
    done = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, timeout=120)
    assert done.stdout.split() == ["False", "False"], done.stderr


def test_file_open_events_open_projects(qtbot: QtBot) -> None:
    from PySide6.QtGui import QFileOpenEvent
    from PySide6.QtWidgets import QApplication

    from visualnn.ui.file_open import install_file_open_handler

    app = QApplication.instance()
    assert app is not None
    opened: list[str] = []
    handler = install_file_open_handler(app, opened.append)
    try:
        QApplication.sendEvent(app, QFileOpenEvent("/tmp/model.vnn"))
        QApplication.sendEvent(app, QFileOpenEvent("/tmp/picture.png"))
        assert opened == ["/tmp/model.vnn"]
    finally:
        app.removeEventFilter(handler)


