"""The backbone cost table against Keras: for every family, core's figures for Input -> backbone equal a layer-by-
layer walk of the model VisualNN builds (scripts/backbone_walk.py, the catalog's rules on Keras's own shapes), at
sizes the generator never built (square and not) and with each pooling option; and a keras.applications model
imported through VisualNN's importer analyzes with a formula for every node and the same MACs as the node."""

from __future__ import annotations

from pathlib import Path

import pytest

from scripts.backbone_walk import Walker
from scripts.gen_backbone_costs import SIZES as GENERATED_SIZES
from scripts.gen_backbone_costs import node_model
from tests.core.chains import chain
from visualnn.core.costs import CostReport, analyze_costs
from visualnn.core.graph import Edge, Graph, Node
from visualnn.core.specs.builtin.pretrained import FAMILIES, FAMILY_BY_NAME, preprocessing_calls
from visualnn.services.importing import import_model

pytestmark = [pytest.mark.tf, pytest.mark.slow]

CASES = [((96, 96), None), ((224, 224), "avg"), ((100, 150), "max")]
"""(height, width), pooling: none of these sizes is one the table was generated from."""


def _graph(family: str, h: int, w: int, pooling: str | None) -> Graph:
    graph = Graph()
    graph.add_node(Node("in", "Input", {"shape": [h, w, 3]}))
    graph.add_node(Node("backbone", family, {"weights": None, "pooling": pooling}))
    graph.connect(Edge.of("in", "backbone"))
    return graph


def test_the_cases_are_new_sizes() -> None:
    assert not {size for size, _ in CASES} & set(GENERATED_SIZES)


@pytest.mark.parametrize("family", [f.name for f in FAMILIES])
def test_core_equals_the_layer_walk_of_the_built_model(family: str) -> None:
    for (h, w), pooling in CASES:
        walk = Walker().walk(node_model(family, h, w, pooling))
        report = analyze_costs(_graph(family, h, w, pooling), batch_size=1)
        node = report.nodes[1]
        where = f"{family} {h}x{w} pooling={pooling}"
        assert node.formula and node.note is None, where
        assert (node.macs, node.flops) == (walk.macs, walk.flops), where
        (out,) = walk.outputs
        kept = walk.kept + (out.elements if out.reads_own_output else 0)
        assert node.kept_bytes == 4 * kept, where
        assert report.inference_activation_bytes == 4 * walk.peak, where


@pytest.mark.parametrize(("family", "size"), [("MobileNetV2", (96, 96)), ("ResNet50V2", (72, 88)),
                                              ("MobileNetV3Small", (96, 96)), ("EfficientNetV2B0", (64, 64)),
                                              ("ConvNeXtTiny", (64, 64))])
def test_an_imported_keras_application_analyzes_like_the_backbone_node(
        family: str, size: tuple[int, int], tmp_path: Path) -> None:
    import keras  # type: ignore[import-untyped]

    h, w = size
    model = getattr(keras.applications, family)(weights=None, include_top=False, input_shape=(h, w, 3),
                                                pooling="avg")
    path = tmp_path / f"{family}.keras"
    model.save(path)
    imported = import_model(path).graph
    report = analyze_costs(imported, batch_size=1)
    assert report.without_formula == [] and report.unknown == []
    assert report.params == model.count_params()
    node = analyze_costs(_graph(family, h, w, "avg"), batch_size=1).nodes[1]
    # The node also runs the family's preprocess_input as layers (a Rescaling: one MAC per input value).
    preprocessing = len(preprocessing_calls(FAMILY_BY_NAME[family], 3)) * h * w * 3
    # MobileNetV3's hard sigmoid computes x + 3 and x * (1/6) as Keras operations: one operation a value in the
    # table. The import makes each a Rescaling (x * 1 + 3, x * (1/6) + 0: the same float32 values), and a Rescaling
    # runs one multiply-accumulate a value: one MAC more than the table and one FLOP more (2 for a MAC, not 1).
    operations = {e["name"] for e in model.get_config()["layers"] if e.get("module", "").startswith("keras.src.ops")}
    scalar_ops = sum(_values(report, n.id) for n in imported if n.type == "Rescaling" and n.label in operations)
    assert (scalar_ops > 0) == (family == "MobileNetV3Small")
    assert node.macs == report.macs + preprocessing - scalar_ops
    assert node.flops == report.flops + 2 * preprocessing - scalar_ops
    assert report.training_peak_bytes > report.inference_peak_bytes > 0


def _values(report: CostReport, nid: str) -> int:
    return next(n.activation_bytes for n in report.nodes if n.id == nid) // 4


def test_a_grayscale_input_adds_no_arithmetic() -> None:
    rgb = analyze_costs(chain([96, 96, 3], ("MobileNetV3Small", {"weights": None})), batch_size=1).nodes[1]
    gray = analyze_costs(chain([96, 96, 1], ("MobileNetV3Small", {"weights": None})), batch_size=1).nodes[1]
    walk = Walker().walk(node_model("MobileNetV3Small", 96, 96, "avg", channels=1))
    assert gray.macs == rgb.macs == walk.macs
