"""`visualnn check` on a model with several Inputs/outputs: each problem with its .npz's parts names the node and array."""

from __future__ import annotations

import json
from pathlib import Path

import numpy as np
import pytest

from tests.services.test_inspect_parts import EXAMPLE, write_npz, write_project
from visualnn.cli import main


def test_check_is_clean_on_the_bundled_example(capsys: pytest.CaptureFixture[str]) -> None:
    code = main(["check", str(EXAMPLE / "two_inputs.vnn")])
    out = capsys.readouterr().out
    assert code == 0 and "0 error(s), 0 warning(s) (checked against the data in two_inputs.npz)" in out


def test_check_names_the_node_and_the_array(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    npz = write_npz(tmp_path / "d.npz", sequence=None, seq=np.zeros((60, 12, 3), np.float32),
               tabular=np.zeros((60, 10), np.float32), score=np.zeros(50, np.float32))
    code = main(["check", str(write_project(tmp_path, npz, {"inputs": {"gone": "kind"}}))])
    out = capsys.readouterr().out
    assert code == 1, out
    assert "error   [part-missing] input_2: Input sequence has no array in d.npz" in out
    assert "Input tabular declares (None, 8), but the array 'tabular' of d.npz gives samples of (None, 10)" in out
    assert "'score' (output score) has 50 samples but 'tabular' (Input tabular) has 60" in out
    assert "maps the array 'kind' to the Input 'gone'" in out
    code = main(["check", "--json", str(write_project(tmp_path, npz))])
    data = json.loads(capsys.readouterr().out)
    assert code == 1 and {"part-missing", "part-shape", "part-samples"} <= {i["code"] for i in data["issues"]}
