"""The "Tensor" card, pure Python: a tensor as the chapter shows it, and the TensorFlow code that makes it.

A card names the tensor's rank (0 to 5) and its axes in the course's words (samples, features, time
steps, height, width, channels, frames, see :mod:`visualnn.core.tensors`), and lists the lines of
TensorFlow that produce it where the app applies them: ``tf.cast`` where data becomes float32,
``tf.reshape``/``tf.transpose`` where a layer (Flatten, Reshape, Permute) moves values between axes,
``tf.squeeze``/``tf.transpose`` where the Activations view takes one sample and lays its channels out
as a grid of maps.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from math import prod
from typing import Any

from visualnn.core.tensors import DTYPE_BYTES, axis_names, human_bytes

MAX_RANK = 5
_KIND_RANKS = {"vector": (1, 2), "sequence": (2, 3), "image": (3, 4), "video": (5,)}


@dataclass(frozen=True)
class TensorCard:
    """One tensor for the card: its name, shape (samples first), dtype, axis names and the code behind it."""

    name: str
    shape: tuple[int | None, ...]
    dtype: str
    axes: tuple[str, ...]
    code: tuple[str, ...]
    note: str = ""

    @property
    def rank(self) -> int:
        """Number of axes (0: a scalar)."""
        return len(self.shape)

    def shape_text(self) -> str:
        """``(None, 28, 28, 1)``; ``()`` for a scalar."""
        dims = ", ".join("None" if d is None else str(d) for d in self.shape)
        return f"({dims},)" if self.rank == 1 else f"({dims})"

    def rank_text(self) -> str:
        """``rank 4 (samples, height, width, channels)`` or ``rank 0 (scalar)``."""
        return f"rank {self.rank} ({', '.join(self.axes)})" if self.axes else "rank 0 (scalar)"

    def per_sample_bytes(self) -> int:
        """Bytes of one sample (the shape without its samples axis), 0 when a size is unknown."""
        dims = self.shape[1:] if self.rank else ()
        if any(d is None for d in dims):
            return 0
        return DTYPE_BYTES.get(self.dtype, 4) * prod(int(d) for d in dims if d is not None)

    def text(self) -> str:
        """The whole card as plain text (the view's copy and the CLI's output)."""
        size = self.per_sample_bytes()
        lines = [f"{self.name}: {self.shape_text()} · {self.rank_text()} · {self.dtype}"
                 + (f" · {human_bytes(size)} per sample" if size else "")]
        if self.note:
            lines.append(self.note)
        lines += ["", *self.code]
        return "\n".join(lines)

    def to_dict(self) -> dict[str, Any]:
        """JSON form (the engine sends it with each activation)."""
        return {"name": self.name, "shape": list(self.shape), "rank": self.rank, "dtype": self.dtype,
                "axes": list(self.axes), "code": list(self.code), "note": self.note}

    @staticmethod
    def from_dict(data: Mapping[str, Any]) -> TensorCard:
        """Inverse of :meth:`to_dict`."""
        return TensorCard(str(data["name"]), tuple(data["shape"]), str(data.get("dtype", "float32")),
                          tuple(str(a) for a in data.get("axes", ())), tuple(str(c) for c in data.get("code", ())),
                          str(data.get("note", "")))


def card_axes(rank: int, kind: str | None = None) -> tuple[str, ...]:
    """Axis names of a batch of ``rank`` (0-5): the data's kind when it has that rank, else the usual guess."""
    if rank < 0 or rank > MAX_RANK:
        raise ValueError(f"A Tensor card shows ranks 0 to {MAX_RANK}; received rank {rank}.")
    if kind in _KIND_RANKS and rank in _KIND_RANKS[kind]:
        return axis_names(rank, kind)
    return axis_names(rank)


def _dims(shape: tuple[int | None, ...]) -> str:
    inner = ", ".join("None" if d is None else str(d) for d in shape)
    return f"({inner},)" if len(shape) == 1 else f"({inner})"


def data_card(name: str, shape: tuple[int | None, ...], dtype: str = "float32", kind: str | None = None,
              source: str = "table", rescale: str = "none") -> TensorCard:
    """The card of the data the model receives: ``shape`` with the samples axis (None or a count) first.

    ``source`` says how the app reads it: ``table`` (CSV columns), ``images`` (files decoded and
    resized), ``arrays`` (.npy/.npz) or ``series`` (windows cut from a long series). ``rescale`` is the image
    option (``0_1``, ``-1_1`` or ``none``) the data panel applies after the cast.
    """
    axes = card_axes(len(shape), kind)
    sample = tuple(shape[1:])
    code: list[str]
    if source == "images" and len(sample) == 3:
        h, w, c = sample
        code = [f"image = tf.io.decode_image(tf.io.read_file(path), channels={c}, expand_animations=False)",
                f"image = tf.image.resize(image, ({h}, {w}))  # every image to the Input's size",
                "image = tf.cast(image, tf.float32)  # uint8 pixels -> float32"]
        if rescale == "0_1":
            code.append("image = image / 255.0  # pixels in [0, 1]")
        elif rescale == "-1_1":
            code.append("image = image / 127.5 - 1.0  # pixels in [-1, 1]")
        code.append(f"x = tf.stack(images)  # {_dims(shape)}: a new first axis, samples")
    elif source == "series" and len(sample) == 2:
        t, f = sample
        code = ["series = tf.cast(values, tf.float32)  # (time steps, features) of the whole file",
                f"x = tf.signal.frame(series, frame_length={t}, frame_step=1, axis=0)  # windows: {_dims(shape)}"]
        if f == 1:
            code.append("# one feature: the last axis stays, of size 1 (tf.squeeze(x, -1) would drop it)")
    else:
        code = ["x = tf.constant(values)  # the table's numbers, one row per sample" if source == "table"
                else "x = tf.constant(np.load(path))",
                "x = tf.cast(x, tf.float32)  # the model computes in float32"]
        if len(sample) == 0:
            code.append("x = tf.reshape(x, (-1, 1))  # one value per sample becomes rank 2 (samples, features)")
    return TensorCard(name, shape, dtype, axes, tuple(code))


SOURCE_READS = {"csv": "table", "images": "images", "numpy": "arrays", "timeseries": "series"}
"""How each dataset kind (``DatasetSpec.kind``) is read, in :func:`data_card`'s words."""


def source_data_card(source_kind: str | None, sample_shape: tuple[int, ...] | list[int], rescale: str = "none",
                     name: str = "x") -> TensorCard:
    """The card of a dataset of kind ``source_kind`` as the model receives it (``sample_shape``: one sample)."""
    shape: tuple[int | None, ...] = (None, *(int(d) for d in sample_shape))
    kind = {1: "vector", 2: "sequence", 3: "image", 4: "video"}.get(len(sample_shape))
    return data_card(name, shape, "float32", kind, SOURCE_READS.get(source_kind or "", "arrays"), rescale)


def activation_card(name: str, layer_type: str, shape: tuple[int | None, ...], dtype: str = "float32",
                    kind: str | None = None, params: Mapping[str, Any] | None = None) -> TensorCard:
    """The card of a node's output ``shape`` (samples first), with the code of the layer and of the view."""
    params = params or {}
    rank = len(shape)
    axes = card_axes(rank, kind)
    var = "y"
    if layer_type == "Flatten":
        size = prod(int(d) for d in shape[1:] if d is not None)
        code = [f"{var} = tf.reshape(x, (-1, {size}))  # Flatten: every axis but samples into one"]
    elif layer_type == "Reshape":
        target = ", ".join(str(d) for d in shape[1:])
        code = [f"{var} = tf.reshape(x, (-1, {target}))  # Reshape keeps the samples axis"]
    elif layer_type == "Permute":
        dims = params.get("dims") or list(range(1, rank))
        perm = ", ".join(str(int(d)) for d in [0, *dims])
        code = [f"{var} = tf.transpose(x, perm=({perm}))  # Permute: axis 0 (samples) stays first"]
    elif layer_type == "Input":
        code = ["y = x  # an Input passes the sample on unchanged"]
    else:
        code = [f"{var} = {name}(x)  # {layer_type}: {_dims(shape)}"]
    code.append(f"one = tf.squeeze({var}, axis=0)  # the view shows one sample: {_dims(tuple(shape[1:]))}")
    note = ""
    if rank == 4:
        code.append("maps = tf.transpose(one, perm=(2, 0, 1))  # channels first: one map per channel")
        note = "Each channel is a feature map of height x width; the view draws them as a grid."
    elif rank == 5:
        code.append("frame = one[one.shape[0] // 2]  # the middle frame")
    elif rank == 3 and axes[1] == "time steps":
        note = "Rows of the strip are time steps, columns features."
    return TensorCard(name, shape, dtype, axes, tuple(code), note)
