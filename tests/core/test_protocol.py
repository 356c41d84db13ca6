"""The engine protocol: every object survives a trip over the wire; bad lines are named."""

from __future__ import annotations

import copy
import json
import math

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from visualnn.core.protocol import (
    Control,
    EvaluateRequest,
    Job,
    Message,
    PredictRequest,
    ProtocolError,
    TrainRequest,
    as_float,
    decode,
    encode,
)


@pytest.mark.parametrize(
    "obj",
    [
        Job("j1", "train", {"project": {"name": "x"}, "epochs": 2}),
        Control("j1", "stop"),
        Control("", "shutdown"),
        Message("j1", "epoch", {"epoch": 1, "logs": {"loss": 0.5}}),
        Message("", "ready", {"protocol": 1}),
    ],
)
def test_round_trip(obj: object) -> None:
    line = encode(obj)  # type: ignore[arg-type]
    assert line.endswith("\n") and line.count("\n") == 1
    assert decode(line) == obj
    assert decode(line.encode()) == obj


def test_nan_and_inf_travel_as_strings() -> None:
    line = encode(Message("j", "batch", {"logs": {"loss": float("nan"), "x": [float("inf")]}}))
    msg = decode(line)
    assert isinstance(msg, Message)
    assert math.isnan(as_float(msg.data["logs"]["loss"]))
    assert as_float(msg.data["logs"]["x"][0]) == float("inf")


_LEAVES = st.one_of(st.none(), st.booleans(), st.integers(), st.floats(), st.text(max_size=5))
_DATA = st.dictionaries(st.text(max_size=5), st.recursive(
    _LEAVES, lambda inner: st.lists(inner, max_size=3) | st.tuples(inner, inner)
    | st.dictionaries(st.text(max_size=5), inner, max_size=3), max_leaves=12), max_size=4)


@settings(max_examples=200, deadline=None)
@given(_DATA)
def test_encode_writes_what_the_copying_encoder_wrote_and_leaves_the_data_alone(data: dict[str, object]) -> None:
    """encode skips to_dict's deep copy and looks for NaN/inf only when json finds one: same line as the
    encoder that copied everything and walked every value, and the caller's data unchanged."""
    from visualnn.core.protocol import _finite

    for obj in (Message("j", "batch", data), Job("j", "train", data)):
        before = copy.deepcopy(data)
        expected = json.dumps(_finite(obj.to_dict()), separators=(",", ":")) + "\n"
        assert encode(obj) == expected
        assert repr(data) == repr(before)  # repr: NaN != NaN


@pytest.mark.parametrize(
    ("line", "needle"),
    [
        ("not json", "invalid JSON"),
        ("[1, 2]", "JSON object"),
        ('{"t": "nope"}', "'nope'"),
        ('{"t": "job", "type": "train"}', "'id'"),
        ('{"t": "control", "job_id": "j", "action": "explode"}', "explode"),
    ],
)
def test_bad_lines_are_named(line: str, needle: str) -> None:
    with pytest.raises(ProtocolError, match=needle):
        decode(line)


def test_typed_requests_round_trip_and_ignore_unknown_keys() -> None:
    req = TrainRequest(project={"name": "p"}, base_dir="/tmp", epochs=3, continue_run="run_1")
    assert TrainRequest.from_dict({**req.to_dict(), "future": 1}) == req
    ev = EvaluateRequest(project={}, base_dir=".", run_id="r")
    assert EvaluateRequest.from_dict(ev.to_dict()) == ev
    pr = PredictRequest(project={}, base_dir=".", rows=[{"a": 1}])
    assert PredictRequest.from_dict(pr.to_dict()) == pr


def test_parsed_requests_carry_the_loaded_project_and_every_other_field() -> None:
    from visualnn.core.project import Project

    wire = Project(name="p").to_dict()
    req = TrainRequest(project=wire, base_dir="/tmp", run_id="r", epochs=3, batch_size=8, seed=2, device="cpu",
                       continue_run="run_1", inline_data={"x": [[0.0]], "y": [0]}).parsed()
    assert isinstance(req.project, Project) and req.project.name == "p"
    assert req == TrainRequest(req.project, "/tmp", "r", 3, 8, 2, "cpu", "run_1", {"x": [[0.0]], "y": [0]})
    ev = EvaluateRequest(project=wire, base_dir=".", run_id="r", split="val", max_wrong=3).parsed()
    assert (ev.run_id, ev.split, ev.max_wrong, ev.project.name) == ("r", "val", 3, "p")
    pr = PredictRequest(project=wire, base_dir=".", input_path="x.csv", top_k=2).parsed()
    assert (pr.input_path, pr.top_k, pr.project.name) == ("x.csv", 2, "p")
