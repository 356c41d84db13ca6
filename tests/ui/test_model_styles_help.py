"""The "Sequential, functional or subclassing: which and why" page: in the Help menu, and one click from the
Code dock's style selector, in the real main window."""

from __future__ import annotations

from typing import Any

from PySide6.QtCore import Qt
from PySide6.QtWidgets import QApplication, QToolButton

from visualnn.ui.app import Shell
from visualnn.ui.model_styles_help import TITLE, ModelStylesDialog


def _open_pages() -> list[ModelStylesDialog]:
    return [w for w in QApplication.topLevelWidgets() if isinstance(w, ModelStylesDialog) and w.isVisible()]


def _page_text(dialog: ModelStylesDialog) -> str:
    return dialog.browser.toPlainText()


def test_the_code_docks_style_selector_links_to_the_page(shell: Shell, qtbot: Any) -> None:
    window = shell.window
    dock = window.docks["code"]
    dock.show()
    dock.raise_()
    panel = window.code_panel
    qtbot.waitUntil(panel.isVisible, timeout=3000)
    button = panel.findChild(QToolButton, "style_help_button")
    assert button is not None and button.isVisible() and button.text() == "Which style?"
    # It sits right after the Style box, in the same row.
    assert abs(button.geometry().center().y() - panel.style_box.geometry().center().y()) <= 4
    assert button.geometry().left() >= panel.style_box.geometry().right()
    assert not _open_pages()
    qtbot.mouseClick(button, Qt.MouseButton.LeftButton)
    qtbot.waitUntil(lambda: bool(_open_pages()), timeout=3000)
    (page,) = _open_pages()
    assert page.windowTitle() == TITLE and page.parent() is window
    text = _page_text(page)
    for words in ("keras.Sequential([", "keras.Model(inputs, outputs)", "def call(self, inputs)",
                  "directed acyclic graph", "several inputs", "register_keras_serializable", "In short"):
        assert words in text, words
    # The Style box stays usable beside it (the page is not modal), and a second click raises the same page.
    assert QApplication.activeModalWidget() is None
    qtbot.mouseClick(button, Qt.MouseButton.LeftButton)
    assert _open_pages() == [page]
    page.close()
    qtbot.waitUntil(lambda: not _open_pages(), timeout=3000)


def test_help_menu_opens_the_page(shell: Shell, qtbot: Any) -> None:
    window = shell.window
    help_actions = [a for a in window.help_menu.actions() if not a.isSeparator()]
    action = next(a for a in help_actions if a.text() == TITLE)
    assert action is shell.help.actions["helpModelStyles"]
    window.help_menu.aboutToShow.emit()
    action.trigger()
    qtbot.waitUntil(lambda: bool(_open_pages()), timeout=3000)
    (page,) = _open_pages()
    assert "Functional API: a graph of layers" in _page_text(page)
    assert shell.help.dialogs["model_styles"] is page
    page.close()
