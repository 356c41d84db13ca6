"""The TFLite precheck's "fails" verdict on a real catalog layer: Resizing with ``area`` or ``lanczos``
interpolation becomes ResizeArea / ScaleAndTranslate, which TFLite has no kernel for, built-in or Flex. The
precheck ties the failure to that node (not to the whole model) and says how to fix it."""

from __future__ import annotations

import pytest

from tests.services.parity_helpers import chain_graph
from visualnn.core.project import Project
from visualnn.services.deploy_check import BUILTIN, FAILS, deploy_check

pytestmark = pytest.mark.tf


def _project(interpolation: str) -> Project:
    return Project(graph=chain_graph([16, 16, 3], [
        ("Conv2D", {"filters": 4, "kernel_size": 3}),
        ("Resizing", {"height": 8, "width": 8, "interpolation": interpolation}),
        ("Flatten", {}),
        ("Dense", {"units": 2}),
    ]))


@pytest.mark.parametrize(("interpolation", "op"), [("area", "ResizeArea"), ("lanczos3", "ScaleAndTranslate")])
def test_a_resizing_without_a_tflite_kernel_fails_on_its_own_node(interpolation: str, op: str) -> None:
    report = deploy_check(_project(interpolation))
    assert report.status == FAILS
    by_id = {n.id: n for n in report.nodes}
    resize = by_id["n2_resizing"]
    assert resize.status == FAILS and op in resize.ops
    assert resize.message.startswith("n2_resizing: TFLite has no kernel for " + op)
    assert "bilinear" in resize.message  # the fix: an interpolation TFLite has
    assert by_id["n1_conv2d"].status == BUILTIN and "CONV_2D" in by_id["n1_conv2d"].ops
    assert [n.id for n in report.nodes if n.status == FAILS] == ["n2_resizing"]
    assert "n2_resizing" in report.message and op in report.message
    assert report.sizes == {}  # no .tflite, no size


def test_the_same_layer_with_bilinear_interpolation_converts() -> None:
    report = deploy_check(_project("bilinear"))
    assert report.status == BUILTIN
    assert {n.status for n in report.nodes} == {BUILTIN}
