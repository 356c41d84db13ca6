"""Help page: "Sequential, functional or subclassing: which and why" (Help menu and the Code dock's style selector).

The three ways Keras defines a model, in the chapter's words, with the same small network written
each way and what VisualNN does with each (which style the Code dock offers, what the export keeps).
"""

from __future__ import annotations

from PySide6.QtCore import Qt
from PySide6.QtWidgets import QDialog, QDialogButtonBox, QTextBrowser, QVBoxLayout, QWidget

TITLE = "Sequential, functional or subclassing: which and why"

SEQUENTIAL_CODE = """model = keras.Sequential([
    keras.Input(shape=(4,)),
    layers.Dense(16, activation="relu"),
    layers.Dense(3, activation="softmax"),
])"""

FUNCTIONAL_CODE = """inputs = keras.Input(shape=(4,))
x = layers.Dense(16, activation="relu")(inputs)
outputs = layers.Dense(3, activation="softmax")(x)
model = keras.Model(inputs, outputs)"""

SUBCLASS_CODE = """class Classifier(keras.Model):
    def __init__(self):
        super().__init__()
        self.hidden = layers.Dense(16, activation="relu")
        self.out = layers.Dense(3, activation="softmax")

    def call(self, inputs):
        return self.out(self.hidden(inputs))"""


def _code(text: str) -> str:
    escaped = text.replace("&", "&amp;").replace("<", "&lt;").replace(">", "&gt;")
    return f"<pre style='background: palette(alternate-base); padding: 6px'>{escaped}</pre>"


PAGE_HTML = f"""
<h2>{TITLE}</h2>
<p>Keras is the high-level API on top of TensorFlow, and it offers three ways to define the same
network. All three give a model you <code>compile</code>, <code>fit</code>, <code>evaluate</code> and
use to <code>predict</code> in the same way, with the same layers and the same number of weights:
they differ in which networks they can describe and in how much Keras can check and save for you.
The Code dock's <b>Style</b> box writes your canvas in any style that can express it.</p>

<h3>Sequential: a stack of layers</h3>
{_code(SEQUENTIAL_CODE)}
<p><b>Which:</b> a plain stack, one input tensor and one output tensor, each layer feeding the next
(given as a list, or with <code>model.add(...)</code>).<br>
<b>Why:</b> the shortest code; Keras checks every layer's input shape as it is added, and
<code>model.summary()</code> and saving work out of the box.<br>
<b>Not for:</b> branches, skip connections, merges (Concatenate, Add), several inputs or outputs.
VisualNN greys out <i>Sequential</i> in the Style box when the canvas is not a single chain; its
tooltip says why.</p>

<h3>Functional API: a graph of layers</h3>
{_code(FUNCTIONAL_CODE)}
<p><b>Which:</b> any directed acyclic graph of layers: branches and merges, residual (skip)
connections, shared layers, several named inputs (a table and a sequence) and several outputs
(a class and a score). Every canvas can be written this way, so it is VisualNN's default style.<br>
<b>Why:</b> you call layers on tensors, as you connect cards on the canvas; Keras checks shapes at
each connection, <code>model.summary()</code> shows the connections, and a <code>.keras</code> file
holds the whole architecture, so it loads back without your code.</p>

<h3>Subclassing <code>keras.Model</code>: writing <code>call()</code></h3>
{_code(SUBCLASS_CODE)}
<p><b>Which:</b> a forward pass that plain layer graphs cannot express: Python loops or conditions
in <code>call()</code>, a different computation in training and in inference (the
<code>training</code> argument), or a research model you step through in a debugger.<br>
<b>Why:</b> the most flexible; the model is ordinary Python code.<br>
<b>The cost:</b> the layers are created in <code>__init__</code> and only connected when
<code>call()</code> first runs, so Keras knows the shapes only after the model has seen data
(<code>summary()</code> before that has no output shapes), mistakes surface when the model is first
called rather than when it is defined, and loading a saved model needs the class again (register it
with <code>keras.saving.register_keras_serializable</code> and give it a <code>get_config()</code>).</p>

<h3>In short</h3>
<ul>
<li>One input, one output, a straight chain: <b>Sequential</b>.</li>
<li>Branches, merges, skip connections, several inputs or outputs: <b>Functional</b>.</li>
<li>Control flow in the forward pass, or you want the model as a Python class: <b>Subclassing</b>.</li>
</ul>
<p>VisualNN trains and exports the same network whichever style you read: the style only changes
the code shown in the Code dock and written by File &gt; Export &gt; Python Training Script.</p>
"""


class ModelStylesDialog(QDialog):
    """The page in a window of its own (non-modal, so the Code dock stays usable beside it)."""

    def __init__(self, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.setObjectName("model_styles_help")
        self.setWindowTitle(TITLE)
        self.resize(680, 640)
        self.browser = QTextBrowser(self)
        self.browser.setObjectName("model_styles_text")
        self.browser.setOpenExternalLinks(False)
        self.browser.setHtml(PAGE_HTML)
        buttons = QDialogButtonBox(QDialogButtonBox.StandardButton.Close, self)
        buttons.rejected.connect(self.close)
        layout = QVBoxLayout(self)
        layout.addWidget(self.browser, 1)
        layout.addWidget(buttons)


def show_model_styles(parent: QWidget | None) -> ModelStylesDialog:
    """Open the page (one window per parent: asking again raises the open one)."""
    found = parent.findChild(ModelStylesDialog, "model_styles_help") if parent is not None else None
    dialog = found if isinstance(found, ModelStylesDialog) else ModelStylesDialog(parent)
    dialog.setAttribute(Qt.WidgetAttribute.WA_DeleteOnClose)
    dialog.show()
    dialog.raise_()
    dialog.activateWindow()
    return dialog


__all__ = ["PAGE_HTML", "TITLE", "ModelStylesDialog", "show_model_styles"]
