"""Opening a project fits the model to the canvas, and keeps it fitted until the user zooms."""

from __future__ import annotations

from pathlib import Path
from typing import Any

from PySide6.QtCore import QPoint, QPointF, Qt
from PySide6.QtGui import QWheelEvent
from PySide6.QtWidgets import QApplication

from tests.ui.canvas_helpers import press, visible_scene_rect
from visualnn.core.project import Project
from visualnn.ui.app import Shell, build_main_window
from visualnn.ui.document import ProjectDocument
from visualnn.ui.welcome import prepare_example


def test_opened_example_is_fitted_and_stays_fitted_until_the_user_zooms(shell: Shell, qtbot: Any, tmp_path: Path) -> None:
    window = shell.window
    project = prepare_example("tabular", dest_root=tmp_path)
    assert window.open_path(str(project), ask=False)
    qtbot.wait(100)

    def all_visible() -> bool:
        seen = visible_scene_rect(window)
        return all(seen.contains(item.sceneBoundingRect()) for item in window.scene.nodes.values())

    assert len(window.scene.nodes) >= 4
    assert all_visible(), "the opened model is cut off"
    window.resize(window.width() - 300, window.height() - 250)
    qtbot.wait(100)
    assert all_visible(), "a smaller window cuts the model off before the user zoomed"
    # Once the user zooms, resizing keeps their zoom.
    vp = window.view.viewport()
    centre = QPointF(vp.width() / 2, vp.height() / 2)
    wheel = QWheelEvent(centre, QPointF(vp.mapToGlobal(centre.toPoint())), QPoint(0, 0), QPoint(0, 600),
                        Qt.MouseButton.NoButton, Qt.KeyboardModifier.NoModifier, Qt.ScrollPhase.NoScrollPhase, False)
    QApplication.sendEvent(vp, wheel)
    zoomed = window.view.zoom
    assert not all_visible(), "zooming in should have cut the model off"
    window.resize(window.width() + 200, window.height() + 100)
    qtbot.wait(100)
    assert window.view.zoom == zoomed
    # View > Fit to View (F) shows everything again.
    fit = window.actions_["fit"]
    assert fit in window.menuBar().actions()[2].menu().actions()
    press(qtbot, window, "F")
    assert all_visible()


def test_project_opened_before_the_window_shows_is_fitted_once_shown(
    fake_engine: Any, settings: Any, qtbot: Any, tmp_path: Path
) -> None:
    # Start-up opens the first project before the window is on screen (app.open_first_project).
    window = build_main_window(ProjectDocument(), fake_engine, settings).window
    qtbot.addWidget(window)
    assert window.open_path(str(prepare_example("images", dest_root=tmp_path)), ask=False)
    qtbot.wait(20)
    window.show()
    qtbot.waitExposed(window)
    qtbot.wait(50)
    seen = visible_scene_rect(window)
    assert all(seen.contains(item.sceneBoundingRect()) for item in window.scene.nodes.values())
    window.document.set_project(Project())


def test_a_fitted_card_keeps_its_name_readable(qtbot: object) -> None:
    """Below the compact zoom a card's letters grow as the zoom shrinks, shrinking only to fit the card."""
    from PySide6.QtCore import Qt
    from PySide6.QtGui import QImage, QPainter

    from visualnn.ui.canvas.items import _fit_text, _Fonts

    _Fonts.ensure()
    assert _Fonts.name is not None
    image = QImage(400, 200, QImage.Format.Format_ARGB32)
    painter = QPainter(image)
    try:
        base = _Fonts.name.pointSizeF()
        assert _fit_text(painter, _Fonts.name, "dense_1", 200, 0.5, Qt.TextElideMode.ElideRight) == "dense_1"
        assert painter.font().pointSizeF() == base / 0.5  # the normal size on screen at half zoom
        long = "max_pooling2d_12_with_a_long_name"
        shown = _fit_text(painter, _Fonts.name, long, 200, 0.5, Qt.TextElideMode.ElideRight)
        assert painter.font().pointSizeF() >= 0.7 * base / 0.5  # shrunk, never below 70 % on screen
        assert shown != long and shown.endswith("…") and painter.fontMetrics().horizontalAdvance(shown) <= 200
    finally:
        painter.end()
