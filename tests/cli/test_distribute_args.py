"""`--strategy/--gpus/--mixed-precision` on `visualnn train` and `export-code` (no TensorFlow needed)."""

from __future__ import annotations

import argparse
from pathlib import Path
from typing import Any

import pytest

from visualnn.cli import build_parser, main
from visualnn.cli.distribute_args import apply_distribution_args, is_chief_run
from visualnn.core.distribution import DistributionError
from visualnn.core.project import Project
from visualnn.core.training_config import RunRecord, TrainingConfig


def _args(**values: Any) -> argparse.Namespace:
    return argparse.Namespace(**{"strategy": None, "mixed_precision": None, "gpus": None, **values})


def test_options_override_the_project_settings_in_a_copy() -> None:
    project = Project(name="p", training=TrainingConfig(batch_size=8))
    out = apply_distribution_args(project, _args(strategy="mirrored", gpus="0, 2", mixed_precision="mixed_bfloat16"))
    assert (out.training.strategy, out.training.gpus, out.training.mixed_precision) == \
        ("mirrored", (0, 2), "mixed_bfloat16")
    assert out.training.batch_size == 8 and out.graph is project.graph and out.name == "p"
    assert project.training.strategy == "auto"  # the caller's project (saved after training) is untouched
    assert apply_distribution_args(project, _args()) is project


@pytest.mark.parametrize(("values", "message"), [
    ({"strategy": "mirrored", "gpus": "0,x"}, "--gpus must be comma-separated GPU indices such as 0,1; "
                                              "received '0,x'"),
    ({"gpus": "1"}, "Choosing GPUs ([1]) needs the 'mirrored' strategy; received 'auto'"),
])
def test_bad_options_are_explained(values: dict[str, str], message: str) -> None:
    with pytest.raises(DistributionError) as info:
        apply_distribution_args(Project(), _args(**values))
    assert message in str(info.value)


def test_parsers_accept_the_options() -> None:
    parser = build_parser()
    args = parser.parse_args(["train", "p.vnn", "--strategy", "multiworker", "--mixed-precision", "mixed_float16"])
    assert (args.strategy, args.mixed_precision, args.gpus) == ("multiworker", "mixed_float16", None)
    args = parser.parse_args(["export-code", "p.vnn", "-o", "t.py", "--strategy", "mirrored"])
    assert args.strategy == "mirrored"
    with pytest.raises(SystemExit):
        parser.parse_args(["train", "p.vnn", "--strategy", "cluster"])


def test_train_reports_a_bad_gpu_list_before_loading_tensorflow(tmp_path: Path, capsys: Any) -> None:
    from visualnn.core.project import Project
    from visualnn.core.project.io import save_project

    path = tmp_path / "p.vnn"
    save_project(Project(name="p"), path)
    assert main(["train", str(path), "--strategy", "mirrored", "--gpus", "first"]) == 2  # bad usage
    assert "--gpus must be comma-separated GPU indices" in capsys.readouterr().err


def test_only_chief_records_are_kept() -> None:
    assert is_chief_run(RunRecord(id="r", started="now"))
    assert not is_chief_run(RunRecord(id="r", started="now", extra={"chief": False}))


def test_local_cluster_runs_a_verb_on_every_worker(tmp_path: Path, capsys: Any) -> None:
    logs = tmp_path / "logs"
    assert main(["local-cluster", "--workers", "2", "--logs", str(logs), "--timeout", "60", "--", "templates"]) == 0
    out = capsys.readouterr().out
    assert "worker 0: exit code 0" in out and "worker 1: exit code 0" in out
    assert (logs / "worker-0.log").read_text() and (logs / "worker-1.log").read_text()
    assert main(["local-cluster", "--workers", "2", "--logs", str(logs)]) == 2
    assert "give the command each worker runs" in capsys.readouterr().err
