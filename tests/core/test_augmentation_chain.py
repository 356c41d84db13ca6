"""Which layers the augmentation preview applies: the random ones after the image Input, in graph order, through
Rescaling/Resizing/CenterCrop, stopping at the first other layer or a branch; random layers elsewhere are named."""

from __future__ import annotations

from tests.augment_helpers import chain_graph
from visualnn.core.augmentation import (
    AugmentPreviewRequest,
    augmentation_chain,
    augmentation_types,
    no_augmentation_message,
    no_input_message,
    preview_payload,
)
from visualnn.core.graph import Edge, Graph, Node
from visualnn.core.specs import default_registry


def test_the_random_layers_of_the_catalog_are_the_training_only_ones() -> None:
    names = augmentation_types()
    assert {"RandomFlip", "RandomRotation", "RandomZoom", "RandomContrast", "RandomCrop"} <= set(names)
    registry = default_registry()
    assert not {"Rescaling", "Resizing", "CenterCrop", "Normalization"} & set(names)
    assert all(registry[n].category == "preprocessing" for n in names)
    message = no_augmentation_message()
    assert "RandomFlip, RandomRotation" in message and "Preprocessing group" in message


def test_the_chain_runs_from_the_input_through_rescaling_up_to_the_first_other_layer() -> None:
    g = chain_graph([("flip", "RandomFlip", {}), ("scale", "Rescaling", {}), ("rot", "RandomRotation", {}),
                     ("conv", "Conv2D", {"filters": 2, "kernel_size": [3, 3]}), ("zoom", "RandomZoom", {})])
    chain = augmentation_chain(g)
    assert chain.input == "input_1"
    assert chain.nodes == ("flip", "scale", "rot") and chain.random == ("flip", "rot")
    assert chain.stop == "conv" and chain.elsewhere == ("zoom",) and not chain.empty


def test_no_random_layer_after_the_input_is_an_empty_chain() -> None:
    g = chain_graph([("scale", "Rescaling", {}), ("norm", "Normalization", {}), ("flip", "RandomFlip", {})])
    chain = augmentation_chain(g)
    assert chain.empty and chain.nodes == ("scale",) and chain.stop == "norm" and chain.elsewhere == ("flip",)
    assert augmentation_chain(chain_graph([])).empty
    no_input = augmentation_chain(Graph())
    assert no_input.input is None and no_input.empty
    assert "Add an Input, then RandomFlip, RandomRotation" in no_input_message()


def test_a_branch_ends_the_chain() -> None:
    g = chain_graph([("flip", "RandomFlip", {})], head=False)
    g.add_node(Node("rot", "RandomRotation", {}))
    g.add_node(Node("zoom", "RandomZoom", {}))
    g.connect(Edge.of("flip", "rot"))
    g.connect(Edge.of("flip", "zoom"))
    chain = augmentation_chain(g)
    assert chain.nodes == ("flip",) and chain.stop is None and set(chain.elsewhere) == {"rot", "zoom"}


def test_the_request_round_trips_and_its_payload_has_no_project() -> None:
    payload = preview_payload(3, "cats/cats_1.png", 5, 9)
    assert payload == {"index": 3, "file": "cats/cats_1.png", "count": 5, "seed": 9}
    req = AugmentPreviewRequest.from_dict({"project": {}, "base_dir": "/x", "unknown": 1, **payload})
    assert req.to_dict() == {"project": {}, "base_dir": "/x", **payload}
