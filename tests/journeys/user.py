"""A person at the keyboard and mouse of the real main window: the driver the journeys are written in.

Every method does what a person does, through the events a person makes: drags from the palette
(the palette's own drag data, delivered to the canvas as drag-enter/move/drop events), presses and
releases on the canvas at the ports' screen positions, clicks, typing, menu items found by their
visible text. Modal questions are answered the way the app lets them be answered: file dialogs
through the window's :class:`~visualnn.ui.choosers.FileChooser` (:class:`ScriptedChooser`), message
boxes and other modal dialogs by clicking the button with the given text once the dialog is up.

Reading state to check what happened is fine; performing the user's action by calling a panel's
method is not (that would skip the code path the person goes through).
"""

from __future__ import annotations

import os
from collections import deque
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from PySide6.QtCore import QPoint, QPointF, Qt, QTimer
from PySide6.QtGui import QAction, QDragEnterEvent, QDragMoveEvent, QDropEvent
from PySide6.QtWidgets import (
    QAbstractButton,
    QAbstractSpinBox,
    QApplication,
    QCheckBox,
    QComboBox,
    QDialog,
    QDialogButtonBox,
    QInputDialog,
    QLineEdit,
    QListWidget,
    QMenu,
    QMessageBox,
    QScrollArea,
    QTabWidget,
    QTreeWidgetItem,
    QWidget,
)
from pytestqt.exceptions import TimeoutError
from pytestqt.qtbot import QtBot

from visualnn.ui.canvas.items import NodeItem
from visualnn.ui.main_window import MainWindow
from visualnn.ui.palette import TYPE_ROLE

ROOT = Path(__file__).resolve().parents[2]
SHOTS = ROOT / "test-artifacts" / "journeys"


def _plain(text: str) -> str:
    """Menu/button text as a person reads it: no ``&`` mnemonics, no trailing ellipsis."""
    return text.replace("&", "").rstrip("…").rstrip(".").strip()


@dataclass
class ScriptedChooser:
    """The person's answers to the window's file dialogs, given in advance, used in order.

    A file dialog the journey did not expect (no answer queued) fails the test: the unexpected
    question is named in the assertion.
    """

    answers: deque[tuple[str, str | list[str]]] = field(default_factory=deque)  # (kind, answer)
    asked: list[tuple[str, str]] = field(default_factory=list)  # (kind, dialog title), every question
    cancel_unexpected: bool = False  # True: a dialog without a queued answer is cancelled instead of failing

    def will_answer(self, kind: str, answer: str | list[str]) -> None:
        """Queue the answer to the next ``kind`` dialog (open_file, open_files, save_file, folder)."""
        self.answers.append((kind, answer))

    def _next(self, kind: str, title: str) -> Any:
        self.asked.append((kind, title))
        if not self.answers and self.cancel_unexpected:
            return [] if kind == "open_files" else ""
        assert self.answers, f"unexpected {kind} dialog {title!r}: the journey queued no answer"
        expected, answer = self.answers.popleft()
        assert expected == kind, f"the {kind} dialog {title!r} opened where the journey expected a {expected} dialog"
        return answer

    def open_file(self, parent: QWidget | None, title: str, start: str, filters: str) -> str:
        """The next queued existing file."""
        return str(self._next("open_file", title))

    def open_files(self, parent: QWidget | None, title: str, start: str, filters: str) -> list[str]:
        """The next queued files."""
        return list(self._next("open_files", title))

    def save_file(self, parent: QWidget | None, title: str, start: str, filters: str) -> str:
        """The next queued file name to write."""
        return str(self._next("save_file", title))

    def folder(self, parent: QWidget | None, title: str, start: str) -> str:
        """The next queued folder."""
        return str(self._next("folder", title))


class User:
    """Drives one main window with real input events (pytest-qt's ``qtbot``) and real drag data."""

    def __init__(self, window: MainWindow, qtbot: QtBot, chooser: ScriptedChooser) -> None:
        self.window = window
        self.qtbot = qtbot
        self.chooser = chooser
        self._prompt_timers: list[QTimer] = []
        self.answered: list[str] = []  # "Dialog title: button" for every modal dialog answered
        self.read: list[str] = []  # what each answered message box said (its text), in order

    # ------------------------------------------------------------ canvas
    def drag_layer(self, type_id: str, to: QPointF | tuple[float, float]) -> str:
        """Drag ``type_id`` from the Layers palette and drop it on the canvas at scene point ``to``; returns its id.

        The press selects the palette row; the drag data is what the palette's view builds when
        Qt starts the drag (``model().mimeData`` of the selected rows, which calls the palette's
        ``mimeData``); it reaches the canvas viewport as drag-enter, drag-move and drop events.
        (``QDrag.exec`` runs a nested platform event loop that no test can step through, so the
        events it would deliver are sent instead.)
        """
        palette = self.window.palette_panel
        self.show_dock("palette")
        item = self._palette_item(type_id)
        tree = palette.tree
        tree.scrollToItem(item)
        rect = tree.visualItemRect(item)
        self.qtbot.mouseClick(tree.viewport(), Qt.MouseButton.LeftButton, pos=rect.center())
        assert tree.currentItem() is item, f"clicking the palette row {type_id} did not select it"
        indexes = tree.selectionModel().selectedIndexes()
        mime = tree.model().mimeData(indexes)
        assert mime is not None and mime.formats(), f"the palette gives no drag data for {type_id}"
        view = self.window.view
        viewport = view.viewport()
        point = to if isinstance(to, QPointF) else QPointF(*to)
        target = view.mapFromScene(point)
        assert viewport.rect().contains(target), f"{point} is not on screen in the canvas ({viewport.rect()})"
        before = set(self.window.document.graph.nodes)
        actions = Qt.DropAction.CopyAction | Qt.DropAction.MoveAction
        buttons = Qt.MouseButton.LeftButton
        none = Qt.KeyboardModifier.NoModifier
        enter = QDragEnterEvent(target, actions, mime, buttons, none)
        QApplication.sendEvent(viewport, enter)
        assert enter.isAccepted(), f"the canvas refused the drag of {type_id} ({mime.formats()})"
        QApplication.sendEvent(viewport, QDragMoveEvent(target, actions, mime, buttons, none))
        drop = QDropEvent(QPointF(target), actions, mime, buttons, none)
        QApplication.sendEvent(viewport, drop)
        assert drop.isAccepted(), f"the canvas did not take the drop of {type_id}"
        self.qtbot.wait(10)
        added = set(self.window.document.graph.nodes) - before
        assert len(added) == 1, f"dropping {type_id} added {sorted(added)}; status: {self.status()}"
        return added.pop()

    def _palette_item(self, type_id: str) -> QTreeWidgetItem:
        tree = self.window.palette_panel.tree
        for i in range(tree.topLevelItemCount()):
            top = tree.topLevelItem(i)
            for j in range(top.childCount()):
                child = top.child(j)
                if child.data(0, TYPE_ROLE) == type_id and not child.isHidden():
                    return child
        raise AssertionError(f"the Layers palette shows no {type_id}")

    def node_item(self, node_id: str) -> NodeItem:
        """The card of a layer on the canvas."""
        item = self.window.scene.nodes.get(node_id)
        assert item is not None, f"no card for {node_id} on the canvas"
        return item

    def _viewport_point(self, scene_point: QPointF) -> QPoint:
        view = self.window.view
        point = view.mapFromScene(scene_point)
        assert view.viewport().rect().contains(point), f"{scene_point} is off screen; fit the view first"
        return point

    def connect(self, src: str, dst: str, port: int = 0) -> None:
        """Press on ``src``'s output port, move to ``dst``'s input port ``port`` and release there."""
        self.fit()
        a = self._viewport_point(self.node_item(src).output_pos())
        b = self._viewport_point(self.node_item(dst).input_pos(port))
        viewport = self.window.view.viewport()
        edges = len(self.window.document.graph.edges)
        self.qtbot.mousePress(viewport, Qt.MouseButton.LeftButton, pos=a)
        middle = QPoint((a.x() + b.x()) // 2, (a.y() + b.y()) // 2)
        for p in (middle, b):
            self.qtbot.mouseMove(viewport, pos=p)
        self.qtbot.mouseRelease(viewport, Qt.MouseButton.LeftButton, pos=b)
        self.qtbot.wait(10)
        assert len(self.window.document.graph.edges) == edges + 1, f"dragging {src} -> {dst} made no connection ({self.status()!r})"

    def select_layer(self, node_id: str) -> None:
        """Click on a layer's card (its title area), selecting it and showing it in the Inspector."""
        self.fit()
        card = self.node_item(node_id).sceneBoundingRect()
        point = self._viewport_point(QPointF(card.center().x(), card.top() + card.height() * 0.35))
        self.qtbot.mouseClick(self.window.view.viewport(), Qt.MouseButton.LeftButton, pos=point)
        assert self.window.scene.selected_ids() == [node_id], f"clicking {node_id} selected {self.window.scene.selected_ids()}"

    def fit(self) -> None:
        """View > Fit to View (the whole model on screen)."""
        self.menu("View", "Fit to View")

    def inspector_field(self, name: str) -> QWidget:
        """The editor of parameter ``name`` in the Inspector (its spin box, line edit, combo or check box)."""
        rows = getattr(self.window.inspector, "rows", {}) or {}
        assert name in rows, f"the Inspector shows no {name!r} (it shows {sorted(rows)})"
        editor = rows[name].editor if hasattr(rows[name], "editor") else rows[name]
        for kind in (QAbstractSpinBox, QLineEdit, QComboBox, QCheckBox):
            found = editor.findChild(kind)
            if found is not None:
                return found
        raise AssertionError(f"no input widget for {name!r} in the Inspector")

    # ------------------------------------------------------------ widgets
    def type_into(self, field: QWidget, text: str, enter: bool = True) -> None:
        """Click into ``field``, select what is there, type ``text`` and (by default) press Enter."""
        self.scroll_to(field)
        target: QWidget = field
        if isinstance(field, QAbstractSpinBox):
            target = field.findChild(QLineEdit) or field
        elif isinstance(field, QComboBox) and field.isEditable():
            target = field.lineEdit()
        self.qtbot.mouseClick(target, Qt.MouseButton.LeftButton)
        field.setFocus(Qt.FocusReason.MouseFocusReason)
        self.qtbot.keyClick(target, Qt.Key.Key_A, Qt.KeyboardModifier.ControlModifier)
        self.qtbot.keyClick(target, Qt.Key.Key_Delete)
        self.qtbot.keyClicks(target, text)
        if enter:
            self.qtbot.keyClick(target, Qt.Key.Key_Return)
        self.qtbot.wait(5)

    def click(self, button: QAbstractButton | str, within: QWidget | None = None) -> None:
        """Click a button (or the visible, enabled button with that text in ``within``, default the window)."""
        if isinstance(button, str):
            button = self.find_button(button, within or self.window)
        self.scroll_to(button)
        assert button.isEnabled(), f"the {_plain(button.text())!r} button is disabled"
        self.qtbot.mouseClick(button, Qt.MouseButton.LeftButton, pos=button.rect().center())
        self.qtbot.wait(5)

    def find_button(self, text: str, within: QWidget) -> QAbstractButton:
        """The visible button reading ``text`` (mnemonics and ellipses ignored)."""
        found = [b for b in within.findChildren(QAbstractButton) if _plain(b.text()) == _plain(text) and b.isVisible()]
        assert found, f"no visible {text!r} button in {type(within).__name__}"
        return found[0]

    def check(self, box: QCheckBox, on: bool) -> None:
        """Click a check box (on its indicator) until it shows ``on``."""
        self.scroll_to(box)
        if box.isChecked() != on:
            self.qtbot.mouseClick(box, Qt.MouseButton.LeftButton, pos=QPoint(8, box.height() // 2))
        assert box.isChecked() == on, f"clicking {box.text()!r} did not toggle it"

    def choose(self, combo: QComboBox, text: str) -> None:
        """Open a drop-down and click the entry reading ``text``."""
        self.scroll_to(combo)
        index = combo.findText(text)
        assert index >= 0, f"{text!r} is not offered ({[combo.itemText(i) for i in range(combo.count())]})"
        if index == combo.currentIndex():
            return
        self.qtbot.mouseClick(combo, Qt.MouseButton.LeftButton)
        view = combo.view()
        self.qtbot.waitUntil(view.isVisible, timeout=2000)
        # The open list ignores a release within a double-click interval of opening (a person's click
        # that opened it); a person reads the list first.
        self.qtbot.wait(QApplication.doubleClickInterval() + 50)
        model_index = view.model().index(index, combo.modelColumn(), view.rootIndex())
        view.scrollTo(model_index)
        # The item's rectangle can reach past a narrow list (a combo box of short words): click its visible part.
        rect = view.visualRect(model_index).intersected(view.viewport().rect())
        self.qtbot.mouseClick(view.viewport(), Qt.MouseButton.LeftButton, pos=rect.center())
        self.qtbot.waitUntil(lambda: not view.isVisible(), timeout=2000)
        assert combo.currentText() == text, f"clicking {text!r} in the list left {combo.currentText()!r}"

    def toggle_list_item(self, listing: QListWidget, data: Any) -> None:
        """Click the row whose data is ``data`` in a check list, and press Space to flip its check box."""
        self.scroll_to(listing)
        for i in range(listing.count()):
            item = listing.item(i)
            if item.data(Qt.ItemDataRole.UserRole) == data:
                listing.scrollToItem(item)
                rect = listing.visualItemRect(item)
                self.qtbot.mouseClick(listing.viewport(), Qt.MouseButton.LeftButton, pos=rect.center())
                before = item.checkState()
                self.qtbot.keyClick(listing.viewport(), Qt.Key.Key_Space)
                assert item.checkState() != before, f"Space did not toggle {data!r}"
                return
        raise AssertionError(f"no {data!r} in the list")

    def scroll_to(self, widget: QWidget) -> None:
        """Scroll the nearest scroll area so ``widget`` is on screen (as a person scrolls to it)."""
        parent = widget.parentWidget()
        while parent is not None:
            if isinstance(parent, QScrollArea):
                parent.ensureWidgetVisible(widget)
            parent = parent.parentWidget()
        QApplication.processEvents()

    def show_dock(self, key: str) -> None:
        """Click the panel's tab (View > Panels shows it when it is hidden)."""
        dock = self.window.docks[key]
        if not dock.isVisible():
            self.menu("View", "Panels", dock.windowTitle())
        dock.raise_()
        self.qtbot.waitUntil(dock.widget().isVisible, timeout=2000)

    def open_tab(self, tabs: QTabWidget, title: str) -> None:
        """Click the tab reading ``title``."""
        bar = tabs.tabBar()
        titles = [_plain(bar.tabText(i)).replace("&&", "&") for i in range(bar.count())]
        wanted = _plain(title)
        assert wanted in titles, f"no {title!r} tab (tabs: {titles})"
        self.qtbot.mouseClick(bar, Qt.MouseButton.LeftButton, pos=bar.tabRect(titles.index(wanted)).center())
        assert tabs.currentIndex() == titles.index(wanted), f"clicking the {title!r} tab did not open it"

    def set_setting(self, form: QWidget, name: str, value: Any) -> None:
        """Change training setting ``name`` in the Training panel's form to ``value``, with the input its row offers.

        Numbers are typed, check boxes clicked, drop-downs opened and an entry clicked (``value`` is
        the entry's id; its label is what gets clicked), check lists get the row ``value`` toggled.
        """
        widget = form.widgets[name]  # type: ignore[attr-defined]
        assert widget.isEnabled(), f"the {name} setting is greyed out"
        if isinstance(widget, QCheckBox):
            self.check(widget, bool(value))
        elif isinstance(widget, QAbstractSpinBox):  # as a person writes numbers: 0.00001, not 1e-05
            self.type_into(widget, f"{value:.10f}".rstrip("0").rstrip(".") if isinstance(value, float) else str(value))
        elif isinstance(widget, QComboBox) and not widget.isEditable():
            index = widget.findData(value)
            assert index >= 0, f"{value!r} is not offered for {name}"
            self.choose(widget, widget.itemText(index))
        elif isinstance(widget, QListWidget):
            self.toggle_list_item(widget, value)
        elif isinstance(widget, (QLineEdit, QComboBox)):
            self.type_into(widget, str(value))
        else:
            raise AssertionError(f"no way to edit {name} ({type(widget).__name__})")

    # ------------------------------------------------------------ menus and prompts
    def menu(self, *path: str) -> QAction:
        """Choose Menu > (submenu >) Action from the menu bar by visible text; returns the action triggered."""
        menu: QMenu | None = None
        actions = self.window.menuBar().actions()
        for depth, label in enumerate(path):
            match = [a for a in actions if not a.isSeparator() and _plain(a.text()) == _plain(label)]
            shown = [_plain(a.text()) for a in actions if not a.isSeparator()]
            assert match, f"no {label!r} in {' > '.join(path[:depth]) or 'the menu bar'} (it has {shown})"
            action = match[0]
            if depth == len(path) - 1:
                assert action.isEnabled(), f"{' > '.join(path)} is disabled"
                if menu is not None:
                    menu.aboutToShow.emit()  # what opening the menu does (some menus fill themselves then)
                action.trigger()
                self.qtbot.wait(10)
                return action
            menu = action.menu()
            assert isinstance(menu, QMenu), f"{label!r} is not a menu"
            menu.aboutToShow.emit()
            actions = menu.actions()
        raise AssertionError("menu() needs a path")

    def answer_next_prompt(self, button: str, choose: str | None = None, timeout_ms: int = 120_000) -> None:
        """When the next modal dialog opens, pick ``choose`` in its list (input dialogs) and click ``button``."""
        timer = QTimer()
        timer.setInterval(20)
        deadline = [timeout_ms // 20]

        def tick() -> None:
            deadline[0] -= 1
            dialog = QApplication.activeModalWidget()
            if not isinstance(dialog, QDialog) or not dialog.isVisible():
                if deadline[0] <= 0:
                    timer.stop()
                return
            timer.stop()
            if choose is not None:
                assert isinstance(dialog, QInputDialog), f"{dialog.windowTitle()!r} offers no list to choose from"
                assert choose in dialog.comboBoxItems(), f"{choose!r} not offered: {dialog.comboBoxItems()}"
                box = dialog.findChild(QComboBox)
                assert box is not None
                box.setCurrentText(choose)
            buttons = [b for box in dialog.findChildren(QDialogButtonBox) for b in box.buttons()] or \
                dialog.findChildren(QAbstractButton)
            target = [b for b in buttons if _plain(b.text()) == _plain(button) and b.isVisible()]
            assert target, f"{dialog.windowTitle()!r} has no {button!r} button ({[b.text() for b in buttons]})"
            self.answered.append(f"{dialog.windowTitle()}: {button}")
            self.read.append(dialog.text() if isinstance(dialog, QMessageBox) else "")
            self.qtbot.mouseClick(target[0], Qt.MouseButton.LeftButton, pos=target[0].rect().center())

        timer.timeout.connect(tick)
        timer.start()
        self._prompt_timers.append(timer)

    def wait_until(self, condition: Callable[[], bool], what: str | Callable[[], str], timeout_ms: int = 10_000) -> None:
        """Let the event loop run until ``condition`` holds (fails naming ``what``, read at the time, and the status bar)."""
        try:
            self.qtbot.waitUntil(condition, timeout=timeout_ms)
        except (AssertionError, TimeoutError) as exc:
            said = what() if callable(what) else what
            raise AssertionError(f"{said} did not happen within {timeout_ms} ms; status bar: {self.status()!r}") from exc

    def status(self) -> str:
        """What the status bar says now."""
        return self.window.statusBar().currentMessage()

    # ------------------------------------------------------------ screenshots
    def screenshot(self, name: str) -> Path | None:
        """Save the window as test-artifacts/journeys/NAME.png when a display is present (for people to look at)."""
        if not os.environ.get("DISPLAY"):
            return None
        SHOTS.mkdir(parents=True, exist_ok=True)
        QApplication.processEvents()
        path = SHOTS / f"{name}.png"
        assert self.window.grab().save(str(path)), f"could not write {path}"
        return path


__all__ = ["SHOTS", "ScriptedChooser", "User"]
