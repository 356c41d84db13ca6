"""The six steps of the Keras workflow as a clickable bar: Data, Model, Compile, Fit, Evaluate, Predict."""

from __future__ import annotations

from PySide6.QtCore import Qt, Signal
from PySide6.QtWidgets import QButtonGroup, QHBoxLayout, QLabel, QToolButton, QWidget

STEPS = ("Data", "Model", "Compile", "Fit", "Evaluate", "Predict")
TIPS = {
    "Data": "Choose the dataset, the input and target columns, and the train/validation split.",
    "Model": "Build the network: layers on the canvas, shapes checked as you go.",
    "Compile": "Pick the loss, optimizer and metrics (model.compile).",
    "Fit": "Train the model and watch the curves (model.fit).",
    "Evaluate": "Measure the trained model on held-out data (model.evaluate).",
    "Predict": "Run the trained model on new samples (model.predict).",
}


class StepBar(QWidget):
    """Shows where the learner is in the workflow; clicking a step opens its panel."""

    step_activated = Signal(str)

    def __init__(self, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.buttons: dict[str, QToolButton] = {}
        self.group = QButtonGroup(self)
        self.group.setExclusive(True)
        lay = QHBoxLayout(self)
        lay.setContentsMargins(8, 4, 8, 4)
        lay.setSpacing(2)
        for i, step in enumerate(STEPS):
            if i:
                arrow = QLabel("›")
                arrow.setStyleSheet("color: palette(mid); font-size: 14px; padding: 0 4px;")
                lay.addWidget(arrow)
            button = QToolButton(self)
            button.setText(f"{i + 1}  {step}")
            button.setCheckable(True)
            button.setAutoRaise(True)
            button.setToolTip(TIPS[step])
            button.setCursor(Qt.CursorShape.PointingHandCursor)
            button.clicked.connect(lambda _c=False, s=step: self.step_activated.emit(s))
            self.group.addButton(button)
            self.buttons[step] = button
            lay.addWidget(button)
        lay.addStretch(1)
        self.set_current("Model")

    def set_current(self, step: str) -> None:
        """Mark a step as the current one (without emitting)."""
        if step in self.buttons:
            self.buttons[step].setChecked(True)

    def current(self) -> str:
        """The checked step."""
        return next((s for s, b in self.buttons.items() if b.isChecked()), "Model")
