"""Which layers of an opened backbone train (no TensorFlow): the node's switch, and phase 2 of fine-tuning counted
over the frozen part in model order as ``services.finetune.unfreeze`` counts it; the job's payload and result."""

from __future__ import annotations

from typing import Any

import pytest

from visualnn.core.backbone_layers import BackboneLayersRequest, InnerLayer, LayerTable, request_for, trainable_flags
from visualnn.core.finetune import fine_tune_plan
from visualnn.core.graph import Edge, Graph, Node
from visualnn.core.training_config import TrainingConfig

TABLE = LayerTable(tuple(InnerLayer(n, t, (None, 4), 1, 1 if t == "BatchNormalization" else 0)
                         for n, t in (("a", "Conv2D"), ("a_bn", "BatchNormalization"), ("b", "Conv2D"),
                                      ("b_bn", "BatchNormalization"), ("act", "Activation"))))


def _graph(backbone: dict[str, Any], dense_frozen: bool = False) -> Graph:
    g = Graph()
    g.add_node(Node("in", "Input", {"shape": [32, 32, 3]}))
    g.add_node(Node("bb", "MobileNetV3Small", {"weights": None, **backbone}, name="backbone"))
    g.add_node(Node("mid", "Dense", {"units": 8, **({"trainable": False} if dense_frozen else {})}))
    g.add_node(Node("head", "Dense", {"units": 2}))
    for a, b in (("in", "bb"), ("bb", "mid"), ("mid", "head")):
        g.connect(Edge.of(a, b))
    return g


def _phase2(graph: Graph, **cfg: Any) -> list[bool | None]:
    plan = fine_tune_plan(graph, TrainingConfig(fine_tune=True, **cfg))
    return [f.phase2 for f in trainable_flags(graph, "bb", TABLE, plan)]


def test_a_trainable_backbone_trains_every_layer_and_a_frozen_one_none() -> None:
    flags = trainable_flags(_graph({}), "bb", TABLE, None)
    assert [(f.phase1, f.phase2) for f in flags] == [(True, None)] * 5
    flags = trainable_flags(_graph({"trainable": False}), "bb", TABLE, None)
    assert [(f.phase1, f.phase2) for f in flags] == [(False, None)] * 5


def test_phase_two_unfreezes_the_top_layers_and_keeps_batchnorm() -> None:
    graph = _graph({"trainable": False})
    assert _phase2(graph, fine_tune_layers=3) == [False, False, True, False, True]
    flags = trainable_flags(graph, "bb", TABLE, fine_tune_plan(graph, TrainingConfig(fine_tune=True, fine_tune_layers=3)))
    assert [f.kept_frozen for f in flags] == [False, False, False, True, False]
    assert _phase2(graph, fine_tune_layers=50) == [True, False, True, False, True]


def test_frozen_layers_after_the_backbone_take_the_top_first() -> None:
    graph = _graph({"trainable": False}, dense_frozen=True)
    # The frozen Dense after it is the topmost layer: 3 layers reach only 2 of the backbone's.
    assert _phase2(graph, fine_tune_layers=3) == [False, False, False, False, True]
    assert _phase2(graph, fine_tune_layers=1) == [False] * 5
    # From a named layer on: the backbone's every layer when it comes at or after it; none when it comes before.
    assert _phase2(graph, fine_tune_from="backbone") == [True, False, True, False, True]
    assert _phase2(graph, fine_tune_from="mid") == [False] * 5


def test_the_request_follows_the_node_and_round_trips() -> None:
    graph = _graph({"pooling": None})
    request = request_for(graph, "bb", (None, 32, 32, 3))
    assert request == BackboneLayersRequest("MobileNetV3Small", (32, 32, 3), None)
    assert request is not None and BackboneLayersRequest.from_dict(request.to_dict()) == request
    assert request_for(graph, "bb", None) is None and request_for(graph, "mid", (None, 8)) is None
    assert request.key() == BackboneLayersRequest("MobileNetV3Small", (32, 32, 3), None, classes=7).key()
    assert LayerTable.from_dict(TABLE.to_dict()) == TABLE
    with pytest.raises(ValueError, match=r"layers\[0\]"):
        LayerTable.from_dict({"layers": [{"name": "x"}]})
