"""Recovery files (pure core): naming, atomic write/read, crash detection and the summary diff."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

import pytest

from visualnn.core.dataset import DatasetSpec
from visualnn.core.graph import Edge, Node
from visualnn.core.project import Project
from visualnn.core.recovery import (
    RecoveryError,
    diff_projects,
    fallback_recovery_path,
    find_pending,
    read_recovery,
    recovery_path_for,
    untitled_recovery_path,
    write_recovery,
)
from visualnn.core.training_config import TrainingConfig


def _project() -> Project:
    p = Project(name="mlp")
    p.graph.add_node(Node("input_1", "Input", {"shape": [4]}, (0, 0)))
    p.graph.add_node(Node("dense_1", "Dense", {"units": 8, "activation": "relu"}, (0, 100)))
    p.graph.add_node(Node("dense_2", "Dense", {"units": 3, "activation": "softmax"}, (0, 200)))
    p.graph.connect(Edge.of("input_1", "dense_1"))
    p.graph.connect(Edge.of("dense_1", "dense_2"))
    return p


def test_recovery_lives_beside_the_project_and_never_is_the_project(tmp_path: Path) -> None:
    proj = tmp_path / "my model.vnn"
    assert recovery_path_for(proj) == tmp_path / ".my model.vnn.recovery"
    fb = fallback_recovery_path(proj, tmp_path / "data")
    assert fb.parent == tmp_path / "data" and fb.name.startswith("my model.vnn-") and fb != proj
    assert fallback_recovery_path(tmp_path / "a" / "m.vnn", tmp_path) != fallback_recovery_path(tmp_path / "b" / "m.vnn", tmp_path)
    assert untitled_recovery_path(tmp_path, pid=42).name.startswith("untitled-42-")


def test_write_then_read_round_trips(tmp_path: Path) -> None:
    proj = tmp_path / "m.vnn"
    proj.write_text(json.dumps(_project().to_dict()))
    rec_path = recovery_path_for(proj)
    write_recovery(rec_path, _project().to_dict(), str(proj))
    rec = read_recovery(rec_path)
    assert rec.project == _project().to_dict()
    assert rec.original_path == str(proj) and rec.pid == os.getpid()
    assert rec.original_mtime == pytest.approx(proj.stat().st_mtime)
    assert not rec.writer_alive  # our own process never counts as "another window"
    assert [p.name for p in tmp_path.iterdir()].count(rec_path.name) == 1
    assert not [p for p in tmp_path.iterdir() if p.suffix == ".tmp"]


@pytest.mark.parametrize(
    "content, fragment",
    [("{not json", "Cannot read"), ('{"format": "other"}', "not a VisualNN recovery"),
     ('{"format": "visualnn-recovery", "format_version": 99, "project": {}}', "newer VisualNN")],
)
def test_bad_recovery_files_are_refused_with_a_reason(tmp_path: Path, content: str, fragment: str) -> None:
    bad = tmp_path / ".x.vnn.recovery"
    bad.write_text(content)
    with pytest.raises(RecoveryError, match=fragment):
        read_recovery(bad)


def test_diff_names_added_removed_and_changed_things() -> None:
    saved = _project()
    edited = _project()
    edited.graph.set_param("dense_1", "units", 64)
    edited.graph.rename("dense_2", "classifier")
    edited.graph.add_node(Node("dropout_1", "Dropout", {"rate": 0.2}, (50, 150)))
    edited.graph.disconnect(Edge.of("dense_1", "dense_2"))
    edited.graph.connect(Edge.of("dense_1", "dropout_1"))
    edited.graph.connect(Edge.of("dropout_1", "dense_2"))
    edited.graph.move("input_1", (10, 10))
    edited.set_dataset(DatasetSpec("csv", "iris.csv"))
    edited.set_training(TrainingConfig(epochs=3))
    diff = diff_projects(saved.to_dict(), edited.to_dict())
    assert diff.nodes_added == ["dropout_1 (Dropout)"]
    assert diff.nodes_removed == []
    assert "dense_1: units" in diff.nodes_changed and "classifier: name" in diff.nodes_changed
    assert (diff.edges_added, diff.edges_removed, diff.nodes_moved) == (2, 1, 1)
    assert diff.dataset_changed and diff.training_changed == ["epochs"]
    text = "\n".join(diff.lines())
    assert "1 layer added: dropout_1 (Dropout)" in text
    assert "Connections: 2 added, 1 removed" in text
    assert "Training settings changed: epochs" in text
    assert diff_projects(saved.to_dict(), saved.to_dict()).is_empty
    removed = diff_projects(edited.to_dict(), saved.to_dict())
    assert removed.nodes_removed == ["dropout_1 (Dropout)"]


def test_diff_against_no_file_lists_everything_as_added() -> None:
    diff = diff_projects(None, _project().to_dict())
    assert len(diff.nodes_added) == 3 and diff.edges_added == 2
    assert not diff.training_changed and diff.name_changed is None


def test_find_pending_skips_live_writers_and_picks_the_newest(tmp_path: Path) -> None:
    proj = tmp_path / "m.vnn"
    proj.write_text(json.dumps(_project().to_dict()))
    assert find_pending(str(proj), [recovery_path_for(proj)]) is None
    # A recovery written by a process that has ended: that is a crash to offer.
    dead = subprocess.run([sys.executable, "-c", "import os; print(os.getpid())"], capture_output=True, text=True)
    dead_pid = int(dead.stdout)
    edited = _project()
    edited.graph.set_param("dense_1", "units", 99)
    write_recovery(recovery_path_for(proj), edited.to_dict(), str(proj), pid=dead_pid)
    pending = find_pending(str(proj), [recovery_path_for(proj), tmp_path / "absent.recovery"])
    assert pending is not None and pending.recovery.pid == dead_pid
    assert pending.diff.nodes_changed == ["dense_1: units"]
    assert not pending.file_is_newer
    # A recovery whose writer still runs (another window) is not offered.
    live = subprocess.Popen([sys.executable, "-c", "import time; time.sleep(30)"])
    try:
        write_recovery(recovery_path_for(proj), edited.to_dict(), str(proj), pid=live.pid)
        assert find_pending(str(proj), [recovery_path_for(proj)]) is None
    finally:
        live.kill()
        live.wait()
    assert find_pending(str(proj), [recovery_path_for(proj)]) is not None


def test_dead_processes_temp_files_are_removed_live_ones_kept(tmp_path: Path) -> None:
    from visualnn.core.recovery import remove_dead_temps, temp_prefix

    target = tmp_path / "m.vnn"
    dead = tmp_path / f".m.vnn.{_dead_pid()}.abcd1234.tmp"
    mine = tmp_path / f"{temp_prefix(target)}zzzz9999.tmp"
    other_file = tmp_path / f".other.vnn.{_dead_pid()}.abcd1234.tmp"
    unrelated = tmp_path / ".m.vnn.notapid.tmp"
    for p in (dead, mine, other_file, unrelated):
        p.write_text("partial")
    assert remove_dead_temps(target) == [dead]
    assert sorted(p.name for p in tmp_path.iterdir()) == sorted(p.name for p in (mine, other_file, unrelated))


def _dead_pid() -> int:
    done = subprocess.run([sys.executable, "-c", "import os; print(os.getpid())"], capture_output=True, text=True)
    return int(done.stdout)
