"""The Tensor card: ranks 0 to 5 named in the course's words, and the TensorFlow code the app applies."""

from __future__ import annotations

import pytest

from visualnn.core.tensor_card import TensorCard, activation_card, card_axes, data_card


@pytest.mark.parametrize(("rank", "kind", "axes"), [
    (0, None, ()),
    (1, None, ("samples",)),
    (2, "vector", ("samples", "features")),
    (3, "sequence", ("samples", "time steps", "features")),
    (4, "image", ("samples", "height", "width", "channels")),
    (5, "video", ("samples", "frames", "height", "width", "channels")),
    (2, "image", ("samples", "features")),  # a Dense after an image model's Flatten is features again
])
def test_every_rank_has_the_course_axis_names(rank: int, kind: str | None, axes: tuple[str, ...]) -> None:
    assert card_axes(rank, kind) == axes


def test_a_rank_beyond_five_is_refused_by_name() -> None:
    with pytest.raises(ValueError, match="ranks 0 to 5; received rank 6"):
        card_axes(6)


def test_scalar_card_reads_rank_0() -> None:
    card = TensorCard("loss", (), "float32", card_axes(0), ())
    assert card.rank_text() == "rank 0 (scalar)" and card.shape_text() == "()"


def test_data_cards_show_the_casts_the_app_applies() -> None:
    table = data_card("x", (None, 7), kind="vector", source="table")
    assert table.rank_text() == "rank 2 (samples, features)"
    assert "x = tf.cast(x, tf.float32)" in table.code[1]
    images = data_card("x", (None, 28, 28, 1), kind="image", source="images", rescale="0_1")
    assert "image = image / 255.0  # pixels in [0, 1]" in images.code
    assert images.axes == ("samples", "height", "width", "channels")
    assert any("tf.image.resize(image, (28, 28))" in c for c in images.code)
    assert any("tf.cast(image, tf.float32)" in c for c in images.code)
    assert "(None, 28, 28, 1) · rank 4 (samples, height, width, channels) · float32 · 3.1 KB per sample" \
        in images.text()
    one = data_card("y", (None,), source="table")
    assert any("tf.reshape(x, (-1, 1))" in c for c in one.code)


def test_activation_cards_name_reshape_transpose_and_squeeze() -> None:
    flat = activation_card("flatten", "Flatten", (None, 1152))
    assert flat.code[0].startswith("y = tf.reshape(x, (-1, 1152))")
    perm = activation_card("permute", "Permute", (None, 8, 5), params={"dims": [2, 1]}, kind="sequence")
    assert "tf.transpose(x, perm=(0, 2, 1))" in perm.code[0]
    conv = activation_card("conv_1", "Conv2D", (None, 26, 26, 32), kind="image")
    assert conv.code[0] == "y = conv_1(x)  # Conv2D: (None, 26, 26, 32)"
    assert "tf.squeeze(y, axis=0)" in conv.code[1] and "(26, 26, 32)" in conv.code[1]
    assert "tf.transpose(one, perm=(2, 0, 1))" in conv.code[2]
    assert TensorCard.from_dict(conv.to_dict()) == conv
