"""Welcome page (examples ready to train, templates, recents) and the dismissible six-step tour."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
from PySide6.QtCore import QSettings
from PySide6.QtWidgets import QDialog
from pytestqt.qtbot import QtBot

from visualnn.ui import welcome
from visualnn.ui.document import ProjectDocument
from visualnn.ui.welcome import (
    EXAMPLES,
    TOUR,
    TourDialog,
    WelcomeDialog,
    WelcomePage,
    available_examples,
    prepare_example,
    show_tour,
    show_welcome_if_first_run,
    tour_dismissed,
)


@pytest.fixture
def settings(tmp_path: Path) -> QSettings:
    return QSettings(str(tmp_path / "settings.ini"), QSettings.Format.IniFormat)


@pytest.fixture
def user_examples(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    monkeypatch.setenv(welcome.EXAMPLES_ENV, str(tmp_path / "examples"))
    return tmp_path / "examples"


class FakeWindow:
    """A WelcomeHost: records what the welcome page and the tour ask of the window."""

    def __init__(self, recent: list[str] | None = None) -> None:
        self.calls: list[tuple[str, tuple[object, ...]]] = []
        self.steps: list[str] = []
        self._recent = recent or []

    def recent_files(self) -> list[str]:
        return self._recent

    def open_path(self, path: str, ask: bool = True) -> bool:
        self.calls.append(("open_path", (path,)))
        return True

    def new_project(self) -> None:
        self.calls.append(("new_project", ()))

    def new_from_template(self, name: str) -> None:
        self.calls.append(("new_from_template", (name,)))

    def open_dialog(self) -> None:
        self.calls.append(("open_dialog", ()))

    def show_step(self, step: str) -> None:
        self.steps.append(step)


def test_the_four_bundled_examples_ship() -> None:
    assert [ex.key for ex in available_examples()] == ["tabular", "images", "timeseries", "two_inputs"]


@pytest.mark.parametrize("key", [ex.key for ex in EXAMPLES])
def test_each_example_opens_ready_to_train(qtbot: QtBot, user_examples: Path, key: str) -> None:
    path = prepare_example(key)
    assert path == user_examples / key / f"{key}.vnn" and path.is_file()
    doc = ProjectDocument()
    doc.load(str(path))
    project = doc.project
    assert project.dataset is not None, f"the {key} example has no dataset"
    data = path.parent / project.dataset.path
    assert data.exists(), f"the {key} example's data {data} is missing from the copy"
    assert len(project.graph.nodes) >= 3 and project.training.epochs >= 1
    errors = [i for i in doc.issues if getattr(i, "severity", "") == "error"]
    assert errors == [], f"the {key} example has errors: {[i.message for i in errors]}"


def test_prepare_example_keeps_the_users_edits(user_examples: Path) -> None:
    path = prepare_example("tabular")
    data = json.loads(path.read_text())
    data["name"] = "My penguins"
    path.write_text(json.dumps(data))
    assert prepare_example("tabular") == path
    assert json.loads(path.read_text())["name"] == "My penguins"
    with pytest.raises(KeyError, match="There is no example 'mnist'; the examples are tabular, images, timeseries, two_inputs"):
        prepare_example("mnist")


def test_welcome_page_lists_examples_templates_and_existing_recents(
    qtbot: QtBot, settings: QSettings, tmp_path: Path
) -> None:
    from visualnn.core.templates import TEMPLATES

    real = tmp_path / "mine.vnn"
    real.write_text("{}")
    page = WelcomePage([str(real), str(tmp_path / "deleted.vnn")], settings)
    qtbot.addWidget(page)
    assert page.examples.count() == 4
    assert page.templates.count() == len(TEMPLATES)
    assert page.recent.count() == 1 and page.recent.item(0).toolTip() == str(real)
    with qtbot.waitSignal(page.recent_requested) as blocker:
        page.recent.itemActivated.emit(page.recent.item(0))
    assert blocker.args == [str(real)]
    page.show_on_startup.setChecked(False)
    assert settings.value(welcome.SHOW_ON_STARTUP, type=bool) is False


def test_welcome_dialog_opens_examples_templates_and_recents(
    qtbot: QtBot, settings: QSettings, user_examples: Path
) -> None:
    from visualnn.core.templates import TEMPLATES

    window = FakeWindow(["/nonexistent.vnn"])
    dialog = WelcomeDialog(window, None, settings)
    qtbot.addWidget(dialog)
    dialog.page.examples.itemActivated.emit(dialog.page.examples.item(1))
    assert window.calls == [("open_path", (str(user_examples / "images" / "images.vnn"),))]
    dialog.page.templates.itemActivated.emit(dialog.page.templates.item(0))
    assert window.calls[-1] == ("new_from_template", (next(iter(TEMPLATES)),))
    dialog.page.new_requested.emit()
    assert window.calls[-1] == ("new_project", ())
    dialog.page.tour_requested.emit()
    assert isinstance(dialog.tour, TourDialog)
    qtbot.addWidget(dialog.tour)


def test_tour_walks_the_six_steps_and_finishing_dismisses_it(qtbot: QtBot, settings: QSettings) -> None:
    window = FakeWindow()
    tour = show_tour(None, settings=settings, show_step=window.show_step)
    assert isinstance(tour, TourDialog)
    qtbot.addWidget(tour)
    assert [s.step for s in TOUR] == ["Data", "Model", "Compile", "Fit", "Evaluate", "Predict"]
    seen = [tour.current_step]
    for _ in range(5):
        tour.next_button.click()
        seen.append(tour.current_step)
    assert seen == ["Data", "Model", "Compile", "Fit", "Evaluate", "Predict"]
    assert window.steps == seen  # the tour points the window's step bar at each step
    assert tour.next_button.text() == "Finish"
    tour.back_button.click()
    assert tour.current_step == "Evaluate"
    tour.go(5)
    tour.next_button.click()
    assert tour.result() == QDialog.DialogCode.Accepted
    assert tour_dismissed(settings)
    assert show_tour(None, settings=settings) is None  # gone for good
    forced = show_tour(None, settings=settings, force=True)  # Help > Guided tour still works
    assert forced is not None
    qtbot.addWidget(forced)


def test_skipping_the_tour_shows_it_again_unless_ticked(qtbot: QtBot, settings: QSettings) -> None:
    tour = TourDialog(None, settings)
    qtbot.addWidget(tour)
    tour.skip_button.click()
    assert not tour_dismissed(settings)
    again = TourDialog(None, settings)
    qtbot.addWidget(again)
    again.never_again.setChecked(True)
    again.skip_button.click()
    assert tour_dismissed(settings)


def test_start_up_shows_welcome_then_tour_then_nothing(qtbot: QtBot, settings: QSettings) -> None:
    window = FakeWindow()
    assert show_welcome_if_first_run(window, None, ["model.vnn"], settings) is None
    first = show_welcome_if_first_run(window, None, [], settings)
    assert isinstance(first, WelcomeDialog)
    qtbot.addWidget(first)
    settings.setValue(welcome.SHOW_ON_STARTUP, False)
    second = show_welcome_if_first_run(window, None, [], settings)
    assert isinstance(second, TourDialog)
    qtbot.addWidget(second)
    second.next_button.click()
    assert window.steps == ["Data", "Model"]
    settings.setValue(welcome.TOUR_DISMISSED, True)
    assert show_welcome_if_first_run(window, None, [], settings) is None


def test_an_example_that_cannot_be_copied_says_why(
    qtbot: QtBot, settings: QSettings, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    blocker = tmp_path / "examples-is-a-file"
    blocker.write_text("not a folder")
    monkeypatch.setenv(welcome.EXAMPLES_ENV, str(blocker))
    window = FakeWindow()
    dialog = WelcomeDialog(window, None, settings)
    qtbot.addWidget(dialog)
    dialog.page.examples.itemActivated.emit(dialog.page.examples.item(0))
    from visualnn.ui.errors import ErrorDialog

    shown = dialog.findChild(ErrorDialog)
    assert isinstance(shown, ErrorDialog) and shown.windowTitle() == "Cannot open the example"
    assert shown.copy_button.text() == "Copy details"
    assert window.calls == []
    shown.close()
