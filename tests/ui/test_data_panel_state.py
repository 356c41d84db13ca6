"""The Data panel in the real window keeps no state from an earlier source or project (issue 12, item 5).

Each test drives the window as a user would: buttons clicked with the mouse (the folder/file dialogs
answer with a path), File > New and File > Open through their actions, and checks what the panel shows.
"""

from __future__ import annotations

import shutil
from pathlib import Path
from typing import Any

import pytest
from PySide6.QtCore import Qt
from PySide6.QtWidgets import QFileDialog, QMessageBox, QPushButton
from pytestqt.qtbot import QtBot

from visualnn.core.project.io import save_project
from visualnn.core.templates import template
from visualnn.services.datasets.attach import attach_dataset
from visualnn.ui.app import Shell
from visualnn.ui.data_panel import DataPanel

EXAMPLES = Path(__file__).resolve().parents[2] / "resources" / "examples"
WAIT_MS = 20_000


def _button(panel: DataPanel, text: str) -> QPushButton:
    found = [b for b in panel.findChildren(QPushButton) if b.text() == text]
    assert len(found) == 1, f"one {text!r} button"
    return found[0]


def _project_with_data(folder: Path, csv: Path, target: str, name: str) -> Path:
    """A saved project whose dataset is ``csv`` (copied beside it)."""
    folder.mkdir(parents=True, exist_ok=True)
    data = folder / csv.name
    shutil.copy(csv, data)
    project = template("mlp_classifier").build()
    project.name = name
    attach_dataset(project, str(data), target=target)
    path = folder / f"{name}.vnn"
    save_project(project, path)
    return path


def _choose_file(qtbot: QtBot, panel: DataPanel, monkeypatch: pytest.MonkeyPatch, path: Path) -> None:
    monkeypatch.setattr(QFileDialog, "getOpenFileName", lambda *a, **k: (str(path), ""))
    with qtbot.waitSignal(panel.inspected, timeout=WAIT_MS):
        qtbot.mouseClick(_button(panel, "File…"), Qt.MouseButton.LeftButton)


@pytest.fixture
def panel(shell: Shell, monkeypatch: pytest.MonkeyPatch) -> DataPanel:
    """The window's Data panel, raised; unsaved-changes questions answer Discard."""
    monkeypatch.setattr(QMessageBox, "question", lambda *a, **k: QMessageBox.StandardButton.Discard)
    shell.window.docks["data"].raise_()
    return shell.window.data_panel


def test_image_folder_after_a_projects_csv_reads_the_folder_as_images(
    qtbot: QtBot, shell: Shell, panel: DataPanel, monkeypatch: pytest.MonkeyPatch, tmp_path: Path
) -> None:
    project = _project_with_data(tmp_path / "p", EXAMPLES / "tabular" / "penguins.csv", "species", "penguins")
    with qtbot.waitSignal(panel.inspected, timeout=WAIT_MS):
        assert shell.window.open_path(str(project))
    assert panel.kind_box.currentText() == "csv"  # the project's source is a CSV
    folder = EXAMPLES / "images" / "shapes"
    monkeypatch.setattr(QFileDialog, "getExistingDirectory", lambda *a, **k: str(folder))
    with qtbot.waitSignal(panel.inspected, timeout=WAIT_MS) as blocker:
        qtbot.mouseClick(_button(panel, "Image folder…"), Qt.MouseButton.LeftButton)
    assert blocker.args[0].kind == "images"
    assert panel.kind_box.currentText() == "images"  # the choice says what it implies
    assert "is a folder" not in panel.status.text() and panel.status.text().startswith("images: 180 samples")
    assert panel.thumbs.count() == 24 and panel.tabs.isTabVisible(1) and not panel.tabs.isTabVisible(0)
    # And back to a file: the box follows the file type instead of staying on images.
    _choose_file(qtbot, panel, monkeypatch, EXAMPLES / "tabular" / "penguins.csv")
    assert panel.kind_box.currentText() == "csv" and panel.info.kind == "csv"
    assert panel.columns.rowCount() == 6


def test_file_new_clears_the_previous_projects_data(
    qtbot: QtBot, shell: Shell, panel: DataPanel, monkeypatch: pytest.MonkeyPatch
) -> None:
    _choose_file(qtbot, panel, monkeypatch, EXAMPLES / "tabular" / "penguins.csv")
    assert panel.columns.rowCount() == 6 and panel.preview.rowCount() > 0
    shell.window.actions_["new"].trigger()
    assert shell.window.document.project.dataset is None
    assert panel.path_edit.text() == "" and panel.kind_box.currentText() == "auto"
    assert panel.spec is None and panel.info is None
    assert panel.columns.rowCount() == 0
    assert panel.preview.rowCount() == 0 and panel.preview.columnCount() == 0
    assert panel.tensor_view.toPlainText() == "" and panel.code_view.toPlainText() == ""
    assert panel.problems.count() == 0 and panel.tabs.tabText(4) == "Problems"
    assert panel.status.text() == "Choose a data source."
    assert not panel.apply_btn.isEnabled() and not panel.suggest_btn.isEnabled()
    assert panel.shape_warning.text() == ""


def test_file_open_shows_the_opened_projects_data_not_the_old_one(
    qtbot: QtBot, shell: Shell, panel: DataPanel, monkeypatch: pytest.MonkeyPatch, tmp_path: Path
) -> None:
    first = _project_with_data(tmp_path / "a", EXAMPLES / "tabular" / "penguins.csv", "species", "penguins")
    second = _project_with_data(tmp_path / "b", EXAMPLES / "timeseries" / "weather.csv", "temperature", "weather")
    with qtbot.waitSignal(panel.inspected, timeout=WAIT_MS):
        assert shell.window.open_path(str(first))
    assert panel.columns.editor("species", "role") is not None
    with qtbot.waitSignal(panel.inspected, timeout=WAIT_MS):
        assert shell.window.open_path(str(second))
    assert panel.path_edit.text() == str(tmp_path / "b" / "weather.csv")
    assert panel.columns.editor("species", "role") is None
    assert panel.columns.editor("temperature", "role") is not None
    headers = [panel.preview.horizontalHeaderItem(c).text().split("\n")[0] for c in range(panel.preview.columnCount())]
    assert "temperature" in headers and "species" not in headers
    # A project without data after one with data: nothing of the old source stays.
    empty = tmp_path / "c" / "empty.vnn"
    empty.parent.mkdir()
    save_project(template("mlp_classifier").build(), empty)
    assert shell.window.open_path(str(empty))
    assert panel.path_edit.text() == "" and panel.columns.rowCount() == 0 and panel.preview.columnCount() == 0


def test_an_inspection_still_running_when_the_project_is_replaced_is_dropped(
    qtbot: QtBot, shell: Shell, panel: DataPanel
) -> None:
    panel.load_path(str(EXAMPLES / "tabular" / "penguins.csv"))
    shell.window.actions_["new"].trigger()
    with qtbot.assertNotEmitted(panel.inspected, wait=1500):
        pass
    assert panel.columns.rowCount() == 0 and panel.info is None


def test_a_failed_load_clears_what_the_previous_source_showed(
    qtbot: QtBot, shell: Shell, panel: DataPanel, monkeypatch: pytest.MonkeyPatch, tmp_path: Path
) -> None:
    shell.window.new_from_template("mlp_classifier")
    _choose_file(qtbot, panel, monkeypatch, EXAMPLES / "tabular" / "penguins.csv")
    assert panel.tabs.tabText(4) != "Problems" or panel.problems.count() == 0
    assert panel.suggest_btn.isEnabled()  # the template's Input disagrees with the data
    empty = tmp_path / "empty.csv"
    empty.write_text("")
    monkeypatch.setattr(QFileDialog, "getOpenFileName", lambda *a, **k: (str(empty), ""))
    with qtbot.waitSignal(panel.inspection_failed, timeout=WAIT_MS):
        qtbot.mouseClick(_button(panel, "File…"), Qt.MouseButton.LeftButton)
    assert "empty (0 bytes)" in panel.status.text()
    assert panel.columns.rowCount() == 0 and panel.preview.columnCount() == 0
    assert panel.tensor_view.toPlainText() == "" and panel.code_view.toPlainText() == ""
    assert not panel.suggest_btn.isEnabled() and panel.shape_warning.text() == ""
    assert panel.tabs.tabText(4) == "Problems (1)" and panel.problems.item(0).text().startswith("error: ")
    # The next good load replaces the error everywhere.
    _choose_file(qtbot, panel, monkeypatch, EXAMPLES / "tabular" / "penguins.csv")
    assert "empty" not in panel.status.text()
    assert not any("empty (0 bytes)" in panel.problems.item(i).text() for i in range(panel.problems.count()))


def test_the_error_of_the_last_load_does_not_survive_file_new(
    qtbot: QtBot, shell: Shell, panel: DataPanel, tmp_path: Path
) -> None:
    empty = tmp_path / "empty.csv"
    empty.write_text("")
    with qtbot.waitSignal(panel.inspection_failed, timeout=WAIT_MS):
        panel.load_path(str(empty))
    shell.window.actions_["new"].trigger()
    assert panel.status.text() == "Choose a data source." and panel.problems.count() == 0
    assert panel.relocate_btn.isHidden()


def test_preview_headers_show_long_column_names_in_full(
    qtbot: QtBot, panel: DataPanel, monkeypatch: pytest.MonkeyPatch, tmp_path: Path
) -> None:
    names = ["sepal length (cm)", "sepal width (cm)", "petal length (cm)", "petal width (cm)", "species"]
    rows = [f"{5 + i % 3}.1,3.{i % 5},1.{i % 4},0.{i % 3},{'abc'[i % 3]}" for i in range(30)]
    data = tmp_path / "iris.csv"
    data.write_text(",".join(names) + "\n" + "\n".join(rows) + "\n")
    _choose_file(qtbot, panel, monkeypatch, data)
    header = panel.preview.horizontalHeader()
    metrics = header.fontMetrics()
    for col, name in enumerate(names):
        text = panel.preview.horizontalHeaderItem(col).text()
        assert text.split("\n")[0] == name
        needed = max(metrics.horizontalAdvance(line) for line in text.split("\n"))
        assert header.sectionSize(col) >= needed, f"{name!r}: {header.sectionSize(col)} px < {needed} px"


def test_a_header_too_wide_for_the_panel_is_elided_with_its_full_name_in_a_tooltip(
    qtbot: QtBot, panel: DataPanel, monkeypatch: pytest.MonkeyPatch, tmp_path: Path
) -> None:
    long_name = "the concentration of dissolved oxygen measured at the surface in milligrams per litre"
    data = tmp_path / "long.csv"
    data.write_text(f"{long_name},y\n" + "\n".join(f"{i / 10},{i % 2}" for i in range(20)) + "\n")
    _choose_file(qtbot, panel, monkeypatch, data)
    header = panel.preview.horizontalHeader()
    item: Any = panel.preview.horizontalHeaderItem(0)
    metrics = header.fontMetrics()
    assert header.sectionSize(0) < metrics.horizontalAdvance(long_name)  # capped, not the full width
    shown = item.text().split("\n")[0]
    assert shown.endswith("…") and long_name.startswith(shown[:-1]) and len(shown) > 10  # elided at the end
    assert metrics.horizontalAdvance(shown) <= header.sectionSize(0)
    assert long_name in item.toolTip()
    header.resizeSection(0, metrics.horizontalAdvance(long_name) + 40)  # the user widens the column
    assert item.text().split("\n")[0] == long_name and not item.toolTip()
    short: Any = panel.preview.horizontalHeaderItem(1)
    assert short.text().startswith("y\n") and not short.toolTip()  # shown in full: no tooltip needed
