"""Templates against Keras itself: parameter counts and every layer's output shape agree."""

from __future__ import annotations

import pytest

from tests.core.test_templates import EXPECTED_PARAMS
from tests.template_helpers import offline_template
from visualnn.core.shapes import infer_shapes


@pytest.mark.tf
@pytest.mark.parametrize("name", sorted(EXPECTED_PARAMS))
def test_template_matches_keras(name: str) -> None:
    from visualnn.services.keras_builder import build_model

    project = offline_template(name)  # tests never download ImageNet weights: the counts are the same
    model = build_model(project.graph)
    assert model.count_params() == EXPECTED_PARAMS[name]
    report = infer_shapes(project.graph)
    for layer in model.layers:
        node_id = next((n.id for n in project.graph if n.label == layer.name), None)
        if node_id is None or project.graph.nodes[node_id].type == "Input":
            continue
        assert tuple(layer.output.shape) == report.output(node_id), layer.name
