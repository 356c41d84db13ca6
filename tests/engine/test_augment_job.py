"""The augment_preview job through the engine's server: the images on the wire, a malformed project refused at the
boundary naming its JSON path, and a model without augmentation as the job's error saying what to add."""

from __future__ import annotations

import io
from pathlib import Path

import numpy as np
import pytest

import visualnn.engine.handlers_augment  # noqa: F401  (registers the handler)
from tests.augment_helpers import chain_graph, image_project, write_folder
from visualnn.core.augmentation import preview_payload
from visualnn.core.project.io import ProjectFileError
from visualnn.core.protocol import Control, Job, Message, decode, encode
from visualnn.engine import HANDLER_MODULES, JobContext, handler_for
from visualnn.engine.server import EngineServer

pytestmark = pytest.mark.tf


def _serve(*jobs: Job) -> dict[str, list[Message]]:
    lines = "".join(encode(j) for j in jobs) + encode(Control("", "shutdown"))
    out = io.StringIO()
    EngineServer(io.StringIO(lines), out).serve()
    by_job: dict[str, list[Message]] = {}
    for line in out.getvalue().splitlines():
        msg = decode(line)
        if isinstance(msg, Message) and msg.job_id:
            by_job.setdefault(msg.job_id, []).append(msg)
    return by_job


def test_the_job_is_served_and_its_images_cross_the_wire(tmp_path: Path) -> None:
    from visualnn.services.augment_preview import decode_image

    assert "visualnn.engine.handlers_augment" in HANDLER_MODULES
    folder = write_folder(tmp_path / "pets")
    flip = image_project(chain_graph([("flip", "RandomFlip", {"mode": "vertical"})]), folder).to_dict()
    plain = image_project(chain_graph([("scale", "Rescaling", {})]), folder).to_dict()
    payload = preview_payload(1, None, 4, 7)
    handler = handler_for("augment_preview")
    assert handler is not None
    sent: list[str] = []
    direct = handler(JobContext("j", {"project": flip, "base_dir": str(tmp_path), **payload},
                                lambda kind, data: sent.append(kind)))
    assert sent == ["status"]
    wire = _serve(Job("a", "augment_preview", {"project": flip, "base_dir": str(tmp_path), **payload}),
                  Job("b", "augment_preview", {"project": plain, "base_dir": str(tmp_path), **payload}))
    assert [m.kind for m in wire["a"]] == ["started", "status", "result"]
    result = wire["a"][-1].data
    assert result == direct  # seeded: the same request gives the same images
    original = decode_image(result["original"])
    assert result["file"] == "cats/cats_1.png" and result["seed"] == 7 and len(result["variants"]) == 4
    for v in result["variants"]:
        image = decode_image(v)
        assert np.array_equal(image, original) or np.array_equal(image, original[::-1])
    assert [m.kind for m in wire["b"]] == ["started", "status", "error"]
    assert "Add RandomFlip, RandomRotation" in wire["b"][-1].data["message"]


def test_a_malformed_project_fails_at_the_boundary(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    folder = write_folder(tmp_path / "pets")
    project = image_project(chain_graph([("flip", "RandomFlip", {})]), folder).to_dict()
    project["graph"]["nodes"][1]["params"]["seed"] = "forty-two"
    called: list[str] = []
    monkeypatch.setattr("visualnn.services.augment_preview.augment_preview", lambda *a, **k: called.append("x"))
    handler = handler_for("augment_preview")
    assert handler is not None
    with pytest.raises(ProjectFileError, match=r"the augment_preview job's project: graph.nodes\[1\].params.seed"):
        handler(JobContext("j", {"project": project, "base_dir": str(tmp_path)}, lambda kind, data: None))
    assert called == []
