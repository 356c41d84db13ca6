"""Kill a process in the middle of hundreds of saves of a large project: the file is always whole.

A child process saves a 1,001-layer project over and over, alternating two versions, and is killed
with SIGKILL; 12 rounds. Odd rounds kill at a random moment; even rounds kill while the child is
inside the temp file's fsync (it says so on stdout), so the moment atomic saving must survive, the
temp file written but not yet renamed, is hit every run rather than by luck. After every kill the file on disk must be exactly one of
the two versions (byte for byte), load, and equal that version; temp files left by a killed save
must not pile up (the next save removes those of dead processes).
Run alone: ``.venv/bin/pytest -q tests/core/test_safe_save.py`` (about 15 s).
"""

from __future__ import annotations

import os
import random
import signal
import subprocess
import sys
import time
from pathlib import Path

import pytest

from visualnn.core.project.io import load_project

pytestmark = [pytest.mark.slow, pytest.mark.skipif(sys.platform == "win32", reason="SIGKILL is POSIX")]

ROUNDS = 12
LAYERS = 1000

CHILD = r'''
import os
import sys
import time
from visualnn.core.graph import Edge, Graph, Node
from visualnn.core.project import Project
from visualnn.core.project.io import dumps, project_to_dict, save_project
from visualnn.core.training_config import TrainingConfig


def build(version):
    graph = Graph("sequential")
    graph.add_node(Node("input_1", "Input", {"shape": [32]}, (0.0, 0.0)))
    prev = "input_1"
    for i in range(1, LAYERS + 1):
        nid = f"dense_{i}"
        units = 16 + (i % 7) + (version * 3)
        graph.add_node(Node(nid, "Dense", {"units": units, "activation": "relu" if version == 0 else "tanh"},
                            (0.0, 100.0 * i)))
        graph.connect(Edge.of(prev, nid))
        prev = nid
    return Project(graph, name=f"large v{version}", training=TrainingConfig(epochs=5 + version))


target, expected_dir, mode, wanted = sys.argv[1], sys.argv[2], sys.argv[3], int(sys.argv[4])
# Simulate a slow disk so random kills often land mid-save. In "hold" mode the save after the
# wanted number stops inside its temp file's fsync (written, not yet renamed) and says so, so the
# parent kills at exactly the moment atomic saving must survive.
import stat
_real_fsync = os.fsync
count = 0


def _slow_fsync(fd):
    if stat.S_ISREG(os.fstat(fd).st_mode):
        if mode == "hold" and count >= wanted:
            print("fsync", flush=True)
            time.sleep(60)
        time.sleep(0.012)
    return _real_fsync(fd)


os.fsync = _slow_fsync
versions = [build(0), build(1)]
for v, project in enumerate(versions):
    with open(f"{expected_dir}/v{v}.vnn", "w", encoding="utf-8", newline="\n") as fh:
        fh.write(dumps(project_to_dict(project, expected_dir)))
while True:
    save_project(versions[count % 2], target)
    count += 1
    print(count, flush=True)
'''.replace("LAYERS", str(LAYERS))


def _temps(folder: Path) -> list[str]:
    return sorted(p.name for p in folder.iterdir() if p.name.endswith(".tmp"))


def test_killed_saves_leave_the_old_or_the_new_file(tmp_path: Path) -> None:
    folder = tmp_path / "projects"
    folder.mkdir()
    target = folder / "large.vnn"
    script = tmp_path / "saver.py"
    script.write_text(CHILD, encoding="utf-8")
    rng = random.Random(20261126)
    total_saves = 0
    seen: set[str] = set()
    leftovers_max = 0
    killed_mid_save = 0
    for round_no in range(ROUNDS):
        wanted = rng.randint(6, 16)
        proc = subprocess.Popen(
            [sys.executable, str(script), str(target), str(folder), "hold" if round_no % 2 == 0 else "random", str(wanted)],
            stdout=subprocess.PIPE,
            stderr=subprocess.PIPE,
            text=True,
        )
        assert proc.stdout is not None
        # Let the saver run a random number of saves, then kill it in the next one: at a random phase
        # (odd rounds) or while its temp file is being synced (even rounds).
        saves = 0
        while saves < wanted:
            line = proc.stdout.readline()
            assert line, f"round {round_no}: the saver stopped early: {proc.stderr.read() if proc.stderr else ''}"
            saves = int(line) if line.strip().isdigit() else saves
        if round_no % 2 == 0:
            while proc.stdout.readline().strip() != "fsync":
                pass
        else:
            time.sleep(rng.uniform(0.0, 0.08))
        os.kill(proc.pid, signal.SIGKILL)
        out, _err = proc.communicate(timeout=30)
        assert proc.returncode == -signal.SIGKILL
        saves = int(([str(saves)] + [w for w in out.split() if w.isdigit()])[-1])
        total_saves += saves

        data = target.read_bytes()
        versions = {v: (folder / f"v{v}.vnn").read_bytes() for v in (0, 1)}
        matches = [v for v, text in versions.items() if data == text]
        assert matches, f"round {round_no}: after {saves} saves the file is neither version ({len(data)} bytes)"
        seen.add(f"v{matches[0]}")
        project = load_project(target)
        assert len(project.graph.nodes) == LAYERS + 1
        assert project.name == f"large v{matches[0]}"
        # A kill mid-save may leave that one save's temp file; older ones must have been cleared.
        leftovers = _temps(folder)
        leftovers_max = max(leftovers_max, len(leftovers))
        killed_mid_save += bool(leftovers)
        assert len(leftovers) <= 1, f"round {round_no}: temp files pile up: {leftovers}"
    assert total_saves >= 80, f"only {total_saves} saves in {ROUNDS} rounds; the test did not exercise enough saves"
    print(f"{total_saves} saves in {ROUNDS} rounds; {killed_mid_save} kills left a temp file mid-save")
    assert killed_mid_save >= ROUNDS // 2, "kills inside the temp file's fsync must each leave that temp file"
    assert seen == {"v0", "v1"}, f"the kills always left the same version ({seen}); timing is not random enough"
    # One clean save after all the kills: nothing but the project (and the two reference copies) remains.
    from visualnn.core.project.io import save_project

    save_project(load_project(target), target)
    assert _temps(folder) == []
    assert sorted(p.name for p in folder.iterdir()) == ["large.vnn", "v0.vnn", "v1.vnn"]


def test_saved_files_follow_the_umask_and_keep_an_existing_mode(tmp_path: Path) -> None:
    """Issue 12 (10): projects were written 0600 because the temp file's mode survived the rename."""
    import os
    import stat

    from visualnn.core.recovery import atomic_write_text

    old = os.umask(0o022)
    try:
        new = tmp_path / "new.vnn"
        atomic_write_text(new, "{}")
        assert stat.S_IMODE(new.stat().st_mode) == 0o644
        os.chmod(new, 0o640)
        atomic_write_text(new, "{}\n")
        assert stat.S_IMODE(new.stat().st_mode) == 0o640
    finally:
        os.umask(old)
