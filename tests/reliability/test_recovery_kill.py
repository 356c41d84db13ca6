"""Kill a process while it writes recovery files: the recovery on disk is always whole, never lost.

A child process writes the recovery file of a 300-layer project over and over (each write a newer
edit, as autosave does) and is killed with SIGKILL; 12 rounds. Odd rounds kill at a random moment;
even rounds kill while the child is inside the temp file's fsync (it prints ``fsync``), the moment the
new recovery is written but not yet renamed, so that window is hit every run, not by luck. The first
round is killed inside its very first write. After every kill the recovery file must be absent only
if no write ever finished, otherwise parse, hold the last finished write (or the one being written, if
the kill came after its rename), and be offered by start-up's search for crashed sessions; temp files
of killed writes must not pile up. Issue 15 (kill tests extended to recovery files).
"""

from __future__ import annotations

import random
import sys
from pathlib import Path

import pytest

from tests.kill_rounds import child_script, kill_one_round, temp_files
from visualnn.core.project import Project
from visualnn.core.project.io import project_from_dict, save_project
from visualnn.core.recovery import find_pending, read_recovery, recovery_path_for, write_recovery

pytestmark = [pytest.mark.slow, pytest.mark.skipif(sys.platform == "win32", reason="SIGKILL is POSIX")]

ROUNDS = 12
LAYERS = 300

CHILD = r'''
from visualnn.core.project import Project
from visualnn.core.recovery import write_recovery


def build(name):
    return Project(chain(lambda i: 16 + (i + len(name)) % 7), name=name)


target, original, round_no = sys.argv[1], sys.argv[2], sys.argv[3]
while True:
    write_recovery(target, build(f"edit {round_no}.{count + 1}").to_dict(), original)
    count += 1
    print(count, flush=True)
'''


def test_killed_recovery_writes_leave_the_previous_or_the_new_recovery(tmp_path: Path) -> None:
    folder = tmp_path / "projects"
    folder.mkdir()
    project_file = folder / "large.vnn"
    save_project(Project(name="large"), project_file)
    target = recovery_path_for(project_file)
    script = child_script(tmp_path / "autosaver.py", CHILD, LAYERS, 0.01)
    rng = random.Random(20261201)
    last_whole: str | None = None  # the recovery a crash must not lose: the newest finished write
    writes = killed_mid_write = 0
    for round_no in range(ROUNDS):
        hold = round_no % 2 == 0
        wanted = 0 if round_no == 0 else rng.randint(3, 10)
        done, pid = kill_one_round(script, [str(target), str(project_file), str(round_no)], hold, wanted, rng, 0.05,
                                   round_no)
        writes += done

        # What the next launch finds.
        if done:
            last_whole = f"edit {round_no}.{done}"
        allowed = {last_whole} if hold else {last_whole, f"edit {round_no}.{done + 1}"}
        if last_whole is None:
            assert not target.exists(), "the first write was killed before its rename, yet a recovery file exists"
            assert find_pending(str(project_file), [target]) is None
        else:
            rec = read_recovery(target)  # raises on a torn or truncated file
            assert rec.project["name"] in allowed, (
                f"round {round_no}: after {done} finished writes the recovery holds {rec.project['name']!r}, "
                f"not one of {sorted(a for a in allowed if a)}"
            )
            assert rec.pid == pid and rec.original_path == str(project_file)
            restored = project_from_dict(rec.project, str(target))
            assert len(restored.graph.nodes) == LAYERS + 1
            pending = find_pending(str(project_file), [target])
            assert pending is not None and pending.recovery.project["name"] == rec.project["name"], (
                "start-up would not offer the recovery of the killed session"
            )
            last_whole = rec.project["name"]
        leftovers = temp_files(folder)
        killed_mid_write += bool(leftovers)
        assert len(leftovers) <= 1, f"round {round_no}: temp files pile up: {leftovers}"
        if hold:
            assert leftovers, f"round {round_no}: killed inside the temp file's fsync, yet no temp file is left"
    assert writes >= 40, f"only {writes} writes in {ROUNDS} rounds; the test did not exercise enough writes"
    assert killed_mid_write >= ROUNDS // 2
    # The next session's first write clears what the killed ones left.
    write_recovery(target, Project(name="after").to_dict(), str(project_file))
    assert temp_files(folder) == []
    assert sorted(p.name for p in folder.iterdir()) == [".large.vnn.recovery", "large.vnn"]
