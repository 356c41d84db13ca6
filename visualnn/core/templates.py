"""Starter models: each template builds a complete, valid project with a matching training config."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

from visualnn.core.graph import FUNCTIONAL, SEQUENTIAL, Edge, Graph, Node
from visualnn.core.project import Project
from visualnn.core.training_config import TrainingConfig
from visualnn.core.training_options import OutputSettings

Y_STEP = 140.0  # vertical distance between consecutive layers: a card (84) plus the layout gap (56)
X_STEP = 260.0  # horizontal distance between parallel branches: a card (220) plus a gap (40)


@dataclass(frozen=True)
class Template:
    """A named starter model: ``build()`` returns a fresh project every time."""

    name: str
    title: str
    description: str
    task: str  # classification | binary | regression | reconstruction | multi-output: what the outputs predict
    builder: Callable[[], Project]

    def build(self) -> Project:
        """A new project holding this template's model and training settings."""
        return self.builder()


class _Draft:
    """Builds a graph layer by layer with readable ids and top-to-bottom positions."""

    def __init__(self, mode: str) -> None:
        self.graph = Graph(mode)
        self.depth: dict[str, int] = {}
        self.last: str | None = None

    def add(self, type_id: str, after: str | list[str] | None = "", x: int = 0, name: str | None = None,
            **params: Any) -> str:
        """Append a layer fed by ``after`` (default: the previous layer; None: no input)."""
        if after == "":
            after = self.last
        sources = [] if after is None else [after] if isinstance(after, str) else after
        nid = self.graph.new_id(type_id)
        depth = 1 + max((self.depth[s] for s in sources), default=-1)
        self.graph.add_node(Node(nid, type_id, params, (x * X_STEP, depth * Y_STEP), name))
        for port, src in enumerate(sources):
            self.graph.connect(Edge.of(src, nid, dst_port=port))
        self.depth[nid] = depth
        self.last = nid
        return nid

    def project(self, name: str, training: TrainingConfig) -> Project:
        """The finished project."""
        return Project(self.graph, name=name, training=training)


def _cls_training(epochs: int = 20) -> TrainingConfig:
    return TrainingConfig(loss="sparse_categorical_crossentropy", metrics=("accuracy",), epochs=epochs)


def mlp_classifier() -> Project:
    """Tabular features -> two hidden Dense layers -> softmax over 3 classes."""
    d = _Draft(SEQUENTIAL)
    d.add("Input", None, shape=[4])
    d.add("Dense", units=64, activation="relu")
    d.add("Dropout", rate=0.2)
    d.add("Dense", units=32, activation="relu")
    d.add("Dense", units=3, activation="softmax")
    return d.project("MLP classifier", _cls_training(50))


def mlp_regressor() -> Project:
    """Tabular features -> two hidden Dense layers -> one linear output."""
    d = _Draft(SEQUENTIAL)
    d.add("Input", None, shape=[8])
    d.add("Dense", units=64, activation="relu")
    d.add("Dense", units=64, activation="relu")
    d.add("Dense", units=1)
    return d.project("MLP regressor", TrainingConfig(loss="mean_squared_error", metrics=("mae",), epochs=50))


def cnn_small() -> Project:
    """The classic MNIST convnet: two Conv2D/MaxPooling2D stages, Flatten, Dropout, softmax."""
    d = _Draft(SEQUENTIAL)
    d.add("Input", None, shape=[28, 28, 1])
    d.add("Conv2D", filters=32, kernel_size=[3, 3], activation="relu")
    d.add("MaxPooling2D", pool_size=[2, 2])
    d.add("Conv2D", filters=64, kernel_size=[3, 3], activation="relu")
    d.add("MaxPooling2D", pool_size=[2, 2])
    d.add("Flatten")
    d.add("Dropout", rate=0.5)
    d.add("Dense", units=10, activation="softmax")
    return d.project("Small CNN", _cls_training(10))


def vgg_blocks() -> Project:
    """Two VGG blocks (two same-padded 3×3 convs then pooling) and a Dense head, for 32×32 RGB images."""
    d = _Draft(SEQUENTIAL)
    d.add("Input", None, shape=[32, 32, 3])
    for filters in (32, 64):
        d.add("Conv2D", filters=filters, kernel_size=[3, 3], padding="same", activation="relu")
        d.add("Conv2D", filters=filters, kernel_size=[3, 3], padding="same", activation="relu")
        d.add("MaxPooling2D", pool_size=[2, 2])
    d.add("Flatten")
    d.add("Dense", units=128, activation="relu")
    d.add("Dropout", rate=0.5)
    d.add("Dense", units=10, activation="softmax")
    return d.project("VGG-style blocks", _cls_training(20))


def resnet_blocks() -> Project:
    """A stem conv and two residual blocks (conv-conv + skip connection, Add, ReLU), then global pooling."""
    d = _Draft(FUNCTIONAL)
    d.add("Input", None, shape=[32, 32, 3])
    skip = d.add("Conv2D", filters=32, kernel_size=[3, 3], padding="same", activation="relu")
    for _ in range(2):
        d.add("Conv2D", skip, x=1, filters=32, kernel_size=[3, 3], padding="same", activation="relu")
        branch = d.add("Conv2D", x=1, filters=32, kernel_size=[3, 3], padding="same")
        d.add("Add", [skip, branch])
        skip = d.add("Activation", activation="relu")
    d.add("GlobalAveragePooling2D")
    d.add("Dense", units=10, activation="softmax")
    return d.project("Residual blocks", _cls_training(20))


def lstm_classifier() -> Project:
    """Sequences of 30 steps × 8 features -> LSTM -> Dense -> softmax over 3 classes."""
    d = _Draft(SEQUENTIAL)
    d.add("Input", None, shape=[30, 8])
    d.add("LSTM", units=64)
    d.add("Dense", units=32, activation="relu")
    d.add("Dense", units=3, activation="softmax")
    return d.project("LSTM sequence classifier", _cls_training(20))


def conv1d_regressor() -> Project:
    """Windows of 64 time steps -> Conv1D/pooling -> global pooling -> one forecast value."""
    d = _Draft(SEQUENTIAL)
    d.add("Input", None, shape=[64, 1])
    d.add("Conv1D", filters=32, kernel_size=3, activation="relu")
    d.add("MaxPooling1D", pool_size=2)
    d.add("Conv1D", filters=64, kernel_size=3, activation="relu")
    d.add("GlobalAveragePooling1D")
    d.add("Dense", units=32, activation="relu")
    d.add("Dense", units=1)
    return d.project("Conv1D time-series regressor", TrainingConfig(loss="mean_squared_error", metrics=("mae",), epochs=30))


def autoencoder() -> Project:
    """784 inputs squeezed through a 32-unit code and reconstructed (a dense autoencoder)."""
    d = _Draft(SEQUENTIAL)
    d.add("Input", None, shape=[784])
    d.add("Dense", units=128, activation="relu")
    d.add("Dense", units=32, activation="relu", name="code")
    d.add("Dense", units=128, activation="relu")
    d.add("Dense", units=784, activation="sigmoid", name="reconstruction")
    return d.project("Autoencoder", TrainingConfig(loss="mean_squared_error", metrics=("mae",), epochs=20))


def _pretrained(family: str, title: str) -> Callable[[], Project]:
    """Transfer learning: images resized to the network's ImageNet size, the pretrained network (its own
    preprocessing inside, so it takes raw pixels), Dropout and a softmax head; the Input and the head follow the
    attached image folder."""

    def build() -> Project:
        d = _Draft(SEQUENTIAL)
        d.add("Input", None, shape=[224, 224, 3])
        d.add("Resizing", height=224, width=224)
        d.add(family, name="backbone", weights="imagenet", pooling="avg")
        d.add("Dropout", rate=0.2)
        d.add("Dense", units=10, activation="softmax")
        return d.project(title, _cls_training(10))

    return build


# The two heads of the multi-output templates: a class out of three and a score, each with its own loss.
_HEADS = (
    OutputSettings("kind", "sparse_categorical_crossentropy", 1.0, ("accuracy",)),
    OutputSettings("score", "mean_squared_error", 0.5, ("mae",)),
)


def _two_heads(d: _Draft, trunk: str) -> None:
    """A classification head ``kind`` (3-way softmax) and a regression head ``score`` on ``trunk``."""
    d.add("Dense", trunk, name="kind", units=3, activation="softmax")
    d.add("Dense", trunk, x=1, name="score", units=1)


def _heads_training(epochs: int) -> TrainingConfig:
    return TrainingConfig(loss="sparse_categorical_crossentropy", metrics=("accuracy",), epochs=epochs,
                          outputs=_HEADS)


def two_input() -> Project:
    """A tabular branch and a sequence branch joined by Concatenate, with a class head and a score head."""
    d = _Draft(FUNCTIONAL)
    tab = d.add("Input", None, name="tabular", shape=[8])
    tab = d.add("Dense", tab, units=32, activation="relu")
    seq = d.add("Input", None, x=1, name="sequence", shape=[12, 3])
    seq = d.add("LSTM", seq, x=1, units=16)
    d.add("Concatenate", [tab, seq])
    trunk = d.add("Dense", units=32, activation="relu")
    _two_heads(d, trunk)
    return d.project("Two-input model", _heads_training(15))


def multi_output() -> Project:
    """One tabular input, a shared Dense trunk, then a classification head and a regression head."""
    d = _Draft(FUNCTIONAL)
    d.add("Input", None, name="features", shape=[8])
    d.add("Dense", units=64, activation="relu")
    trunk = d.add("Dense", units=32, activation="relu")
    _two_heads(d, trunk)
    return d.project("Multi-output model", _heads_training(15))


TEMPLATES: dict[str, Template] = {
    t.name: t
    for t in (
        Template("mlp_classifier", "MLP classifier", "Dense layers classifying tabular rows into 3 classes.",
                 "classification", mlp_classifier),
        Template("mlp_regressor", "MLP regressor", "Dense layers predicting one number from tabular rows.",
                 "regression", mlp_regressor),
        Template("cnn_small", "Small CNN", "Two Conv2D + MaxPooling2D stages for 28×28 grayscale images, 10 classes.",
                 "classification", cnn_small),
        Template("vgg_blocks", "VGG-style blocks", "Stacked 3×3 convolution blocks for 32×32 RGB images, 10 classes.",
                 "classification", vgg_blocks),
        Template("resnet_blocks", "Residual blocks", "Residual (skip + Add) blocks for 32×32 RGB images, 10 classes.",
                 "classification", resnet_blocks),
        Template("lstm_classifier", "LSTM sequence classifier", "An LSTM reading 30×8 sequences, 3 classes.",
                 "classification", lstm_classifier),
        Template("conv1d_regressor", "Conv1D time-series regressor", "1-D convolutions over 64-step windows, one output.",
                 "regression", conv1d_regressor),
        Template("autoencoder", "Autoencoder", "Compresses 784 inputs to a 32-unit code and reconstructs them.",
                 "reconstruction", autoencoder),
        Template("pretrained_mobilenetv3", "Image classifier from a pretrained MobileNetV3",
                 "MobileNetV3Small with ImageNet weights and a new head: small and fast, for phones; raw pixels in.",
                 "classification", _pretrained("MobileNetV3Small", "Image classifier from a pretrained MobileNetV3")),
        Template("pretrained_efficientnetv2", "Image classifier from a pretrained EfficientNetV2",
                 "EfficientNetV2B0 with ImageNet weights and a new head: more accurate, still compact; raw pixels in.",
                 "classification", _pretrained("EfficientNetV2B0", "Image classifier from a pretrained EfficientNetV2")),
        Template("two_input", "Two-input model",
                 "Tabular (8) and sequence (12×3) inputs merged with Concatenate; a 3-class head and a score head.",
                 "multi-output", two_input),
        Template("multi_output", "Multi-output model",
                 "One tabular input, a shared trunk, a 3-class head (kind) and a regression head (score).",
                 "multi-output", multi_output),
    )
}
"""Every template by name, in menu order."""


def template(name: str) -> Template:
    """The template called ``name`` (KeyError listing the names when unknown)."""
    try:
        return TEMPLATES[name]
    except KeyError:
        raise KeyError(f"There is no template {name!r}; choose one of {', '.join(TEMPLATES)}.") from None
