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
import sys
from pathlib import Path

import pytest

from tests.kill_rounds import child_script, kill_one_round, temp_files
from visualnn.core.project.io import load_project

pytestmark = [pytest.mark.slow, pytest.mark.skipif(sys.platform == "win32", reason="SIGKILL is POSIX")]

ROUNDS = 12
LAYERS = 1000

CHILD = r'''
from visualnn.core.project import Project
from visualnn.core.project.io import dumps, project_to_dict, save_project
from visualnn.core.training_config import TrainingConfig


def build(version):
    graph = chain(lambda i: 16 + (i % 7) + (version * 3), "relu" if version == 0 else "tanh")
    return Project(graph, name=f"large v{version}", training=TrainingConfig(epochs=5 + version))


target, expected_dir = sys.argv[1], sys.argv[2]
versions = [build(0), build(1)]
for v, project in enumerate(versions):
    with open(f"{expected_dir}/v{v}.vnn", "w", encoding="utf-8", newline="\n") as fh:
        fh.write(dumps(project_to_dict(project, expected_dir)))
while True:
    save_project(versions[count % 2], target)
    count += 1
    print(count, flush=True)
'''


def test_killed_saves_leave_the_old_or_the_new_file(tmp_path: Path) -> None:
    folder = tmp_path / "projects"
    folder.mkdir()
    target = folder / "large.vnn"
    script = child_script(tmp_path / "saver.py", CHILD, LAYERS, 0.012)
    rng = random.Random(20261126)
    total_saves = 0
    seen: set[str] = set()
    leftovers_max = 0
    killed_mid_save = 0
    for round_no in range(ROUNDS):
        wanted = rng.randint(6, 16)
        # Let the saver run a random number of saves, then kill it in the next one: at a random phase
        # (odd rounds) or while its temp file is being synced (even rounds).
        saves, _pid = kill_one_round(script, [str(target), str(folder)], round_no % 2 == 0, wanted, rng, 0.08, round_no)
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
        leftovers = temp_files(folder)
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
    assert temp_files(folder) == []
    assert sorted(p.name for p in folder.iterdir()) == ["large.vnn", "v0.vnn", "v1.vnn"]


def test_saved_files_follow_the_umask_and_keep_an_existing_mode(tmp_path: Path) -> None:
    """Issue 12 (10): projects were written 0600 because the temp file's mode survived the rename."""
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
