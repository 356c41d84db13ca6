"""Tensor vocabulary: axis names per rank, sizes, task detection and output suggestions."""

from __future__ import annotations

import pytest

from visualnn.core.tensors import TensorInfo, axis_names, detect_task, human_bytes, rank_phrase, suggest_output


@pytest.mark.parametrize(
    ("rank", "kind", "names"),
    [
        (1, None, ("samples",)),
        (2, None, ("samples", "features")),
        (3, None, ("samples", "time steps", "features")),
        (4, None, ("samples", "height", "width", "channels")),
        (5, None, ("samples", "frames", "height", "width", "channels")),
        (3, "image", ("samples", "height", "width")),
        (6, None, ("samples", "axis 1", "axis 2", "axis 3", "axis 4", "axis 5")),
    ],
)
def test_axis_names_follow_the_course(rank: int, kind: str | None, names: tuple[str, ...]) -> None:
    assert axis_names(rank, kind) == names


def test_rank_phrase() -> None:
    assert rank_phrase(2) == "rank 2 (samples, features)"
    assert rank_phrase(0) == "rank 0 (scalar)"


def test_tensor_info_describes_shape_rank_dtype_and_memory() -> None:
    info = TensorInfo("x_train", (480, 7), "float32", "vector")
    assert info.rank == 2
    assert info.nbytes == 480 * 7 * 4
    assert info.sample_shape == (7,)
    assert info.describe() == "x_train: (480, 7) · rank 2 (samples, features) · float32 · 13.1 KB"
    labels = TensorInfo("y", (10,), "int32", "labels")
    assert labels.describe() == "y: (10,) · rank 1 (samples) · int32 · 40 B"
    assert TensorInfo("x", (None, 3)).nbytes == 0
    assert info.to_dict()["axes"] == ["samples", "features"]


def test_human_bytes() -> None:
    assert human_bytes(512) == "512 B"
    assert human_bytes(2048) == "2.0 KB"
    assert human_bytes(3 * 1024**3) == "3.0 GB"


@pytest.mark.parametrize(
    ("args", "task"),
    [
        (("str", 2), "binary"),
        (("str", 5), "multiclass"),
        (("bool", 2), "binary"),
        (("int", 3), "multiclass"),
        (("int", 50), "regression"),
        (("float", 3), "regression"),
        (("float", 0, 3, True), "multilabel"),
        (("float", 0, 2, False), "regression"),
    ],
)
def test_detect_task(args: tuple, task: str) -> None:  # type: ignore[type-arg]
    assert detect_task(*args) == task


def test_suggest_output_matches_keras_conventions() -> None:
    assert suggest_output("binary").to_dict() == {
        "task": "binary", "units": 1, "activation": "sigmoid", "loss": "binary_crossentropy", "metrics": ["accuracy"]
    }
    multi = suggest_output("multiclass", n_classes=4)
    assert (multi.units, multi.activation, multi.loss) == (4, "softmax", "sparse_categorical_crossentropy")
    assert suggest_output("multiclass", 4, target_encoding="onehot").loss == "categorical_crossentropy"
    assert suggest_output("multilabel", n_outputs=5).units == 5
    reg = suggest_output("regression", n_outputs=2)
    assert (reg.units, reg.activation, reg.loss, reg.metrics) == (2, "linear", "mse", ("mae",))
    with pytest.raises(ValueError, match="received 'clustering'"):
        suggest_output("clustering")


def test_value_text_keeps_the_digits_a_person_acts_on() -> None:
    from visualnn.core.tensors import figure_text

    assert figure_text(533_312.44) == "533,312.4"  # ".4g" showed this predicted price as 5.333e+05
    assert figure_text(151_721.7766, sign=True) == "+151,721.8"
    assert figure_text(9665.8832) == "9,665.9"
    assert figure_text(0.25341) == "0.2534" and figure_text(-0.03, sign=True) == "-0.03" and figure_text(0.0) == "0"
    assert figure_text(19.5) == "19.5" and figure_text(123.456) == "123.456" and figure_text(12_000.0) == "12,000"
    assert figure_text(0.00012345) == "0.0001234" and figure_text(1.25e-6) == "1.25e-06"
    assert figure_text(3e17) == "3.0000e+17"
    assert figure_text(float("nan")) == "nan" and figure_text(float("-inf")) == "-inf"


def test_rare_classes_among_many_carry_the_two_class_rule_over() -> None:
    from visualnn.core.tensors import rare_class, rare_classes

    assert rare_class((80, 20)) is None and rare_class((81, 19)) == 1  # two classes: under 20 %
    assert rare_classes((152, 68, 124)) == []  # the bundled penguins: 20 % of three classes is not rare
    assert rare_classes((295, 181, 24)) == [2]  # under 13.3 % of three classes
    assert rare_classes((100,) * 8 + (3, 2)) == [9, 8]  # under 4 % of ten, rarest first
    assert rare_classes((48, 48, 48)) == [] and rare_classes((5, 1)) == [] and rare_classes(()) == []
