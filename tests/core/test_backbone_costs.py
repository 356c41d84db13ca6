"""The pretrained backbones' cost from the generated table, in pure Python: the table against the catalog's own
description of each family, every catalog layer with a formula, and the memory model around a backbone (frozen or
not, the inference peak inside it). The table against Keras itself: tests/services/test_backbone_costs.py."""

from __future__ import annotations

import pytest

from tests.core.chains import chain
from tests.template_helpers import offline_template
from visualnn.core.costs import analyze_costs
from visualnn.core.specs.builtin.backbone_cost_model import apply_chain, evaluate
from visualnn.core.specs.builtin.backbone_costs_table import TABLE
from visualnn.core.specs.builtin.pretrained import FAMILIES, backbone_cost
from visualnn.core.templates import TEMPLATES

SIZES = [(32, 32), (96, 96), (97, 131), (224, 224), (300, 200)]


def test_size_operations() -> None:
    assert [apply_chain(("c2",), s) for s in (7, 8)] == [4, 4]  # a stride-2 'same' conv rounds up
    assert [apply_chain(("v3/2",), s) for s in (7, 8)] == [3, 3]  # a valid 3-wide window, stride 2, rounds down
    assert apply_chain(("p6",), 10) == 16
    assert [apply_chain(("q1",), s) for s in (9, 10)] == [11, 11]  # correct_pad: 2 pixels on odd, 1 on even
    assert apply_chain(("c2", "1"), 50) == 1
    with pytest.raises(ValueError, match="unknown size operation"):
        apply_chain(("z",), 3)


def test_every_family_has_a_row_and_its_feature_map_matches_the_catalog() -> None:
    """The generated chains and the hand-written down-sampling stages of each Family agree on the feature map."""
    assert set(TABLE) == {f.name for f in FAMILIES}
    for family in FAMILIES:
        assert set(TABLE[family.name]) == {None, "avg", "max"}
        for pooling, entry in TABLE[family.name].items():
            for h, w in SIZES:
                cost = evaluate(entry, h, w)
                where = (family.name, pooling, h, w)
                assert (cost.height, cost.width) == (family.spatial(h), family.spatial(w)), where
                assert cost.macs > 0 and cost.kept > 0 and cost.peak > 0, where
            assert entry["output_channels"] == family.channels, (family.name, pooling)


@pytest.mark.parametrize("family", FAMILIES, ids=lambda f: f.name)
def test_costs_grow_with_the_image_and_pooling_adds_little(family: object) -> None:
    small = backbone_cost(family, {"pooling": None}, (None, 96, 96, 3))  # type: ignore[arg-type]
    big = backbone_cost(family, {"pooling": None}, (None, 224, 224, 3))  # type: ignore[arg-type]
    ratio = big.macs / small.macs
    assert 4.0 < ratio < 7.0, ratio  # about the area ratio (5.4), give or take the rounding of small maps
    assert big.kept > small.kept and big.peak > small.peak
    for pooling in ("avg", "max"):
        pooled = backbone_cost(family, {"pooling": pooling}, (None, 224, 224, 3))  # type: ignore[arg-type]
        assert abs(pooled.macs - big.macs) < 0.01 * big.macs
        assert pooled.extras > 0 and pooled.peak >= big.peak


def test_a_kerashub_backbone_is_listed_without_a_formula_not_counted_as_zero() -> None:
    graph = chain([64, 64, 3], ("KerasHubResNet", {"preset": "resnet_18_imagenet"}), ("Dense", {"units": 2}))
    report = analyze_costs(graph, batch_size=1)
    assert [n.type for n in report.without_formula] == ["KerasHubResNet"]
    assert "no analytic formula" in (report.without_formula[0].note or "")


@pytest.mark.parametrize("name", list(TEMPLATES))
def test_every_template_has_a_formula_for_every_node(name: str) -> None:
    project = offline_template(name)
    report = analyze_costs(project.graph, project.training, batch_size=4)
    assert report.without_formula == [] and report.unknown == []
    assert report.macs > 0 and report.inference_peak_bytes > 0


def test_resizing_counts_its_interpolation_taps() -> None:
    def macs(interpolation: str) -> int | None:
        graph = chain([64, 48, 3], ("Resizing", {"height": 32, "width": 16, "interpolation": interpolation}))
        return analyze_costs(graph).nodes[1].macs

    out = 32 * 16 * 3
    assert macs("nearest") == 0
    assert macs("bilinear") == out * 4
    assert macs("bicubic") == out * 16
    assert macs("lanczos3") == out * 36
    assert macs("area") == out * 2 * 3  # 64/32 rows and 48/16 columns fall in each output pixel


def _backbone(trainable: bool = True, conv_first: bool = False, pooling: str | None = "avg") -> object:
    layers: list[tuple[str, dict[str, object]]] = []
    if conv_first:
        layers.append(("Conv2D", {"filters": 3, "kernel_size": 1}))
    layers.append(("MobileNetV2", {"weights": None, "pooling": pooling, "trainable": trainable}))
    layers.append(("Dense", {"units": 10, "activation": "softmax"}))
    return chain([96, 96, 3], *layers)


def test_a_trainable_backbone_keeps_its_inner_activations_for_backprop() -> None:
    inner = backbone_cost(FAMILIES[2], {"pooling": "avg"}, (None, 96, 96, 3))
    assert FAMILIES[2].name == "MobileNetV2"
    node = analyze_costs(_backbone(), batch_size=8).nodes[1]  # type: ignore[arg-type]
    assert node.macs == inner.macs and node.flops == 2 * inner.macs + inner.extras
    # its pooled output (1280 values) is read by the Dense after it; inside, what the table keeps
    assert node.kept_bytes == 8 * 4 * (inner.kept + 1280)


def test_a_frozen_backbone_keeps_nothing_inside_unless_a_trainable_layer_sits_before_it() -> None:
    frozen = analyze_costs(_backbone(trainable=False), batch_size=8).nodes[1]  # type: ignore[arg-type]
    assert frozen.kept_bytes == 8 * 4 * 1280  # its output only (the Dense's input)
    behind = analyze_costs(_backbone(trainable=False, conv_first=True), batch_size=8)  # type: ignore[arg-type]
    trainable = analyze_costs(_backbone(conv_first=True), batch_size=8)  # type: ignore[arg-type]
    assert behind.nodes[2].kept_bytes == trainable.nodes[2].kept_bytes > frozen.kept_bytes
    assert behind.training_peak_bytes < trainable.training_peak_bytes  # no gradients nor slots for its weights
    # backprop through a trainable backbone holds its inner layers' gradients at once; through a frozen one none
    alone = analyze_costs(_backbone(trainable=False), batch_size=8)  # type: ignore[arg-type]
    assert alone.backprop_bytes < analyze_costs(_backbone(), batch_size=8).backprop_bytes  # type: ignore[arg-type]


def test_the_inference_peak_includes_the_backbone_inside() -> None:
    graph = _backbone(pooling=None)
    inner = backbone_cost(FAMILIES[2], {"pooling": None}, (None, 96, 96, 3))
    report = analyze_costs(graph, batch_size=2)  # type: ignore[arg-type]
    image = 96 * 96 * 3
    assert report.inference_activation_bytes == 2 * 4 * (image + inner.peak)
    assert inner.peak > 2 * image  # far more than the input and the output side by side


def test_the_table_file_is_exactly_what_the_generator_writes() -> None:
    """No hand edits: the file is the generator's rendering of its own data (regenerate, never patch)."""
    from scripts.gen_backbone_costs import OUT, render

    assert OUT.read_text(encoding="utf-8") == render(TABLE)
    assert "GENERATED by scripts/gen_backbone_costs.py" in OUT.read_text(encoding="utf-8")
