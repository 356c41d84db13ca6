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

import os
import random
import signal
import subprocess
import sys
import time
from pathlib import Path

import pytest

from visualnn.core.project import Project
from visualnn.core.project.io import project_from_dict, save_project
from visualnn.core.recovery import find_pending, read_recovery, recovery_path_for, write_recovery

pytestmark = [pytest.mark.slow, pytest.mark.skipif(sys.platform == "win32", reason="SIGKILL is POSIX")]

ROUNDS = 12
LAYERS = 300

CHILD = r'''
import os
import stat
import sys
import time
from visualnn.core.graph import Edge, Graph, Node
from visualnn.core.project import Project
from visualnn.core.recovery import write_recovery


def build(name):
    graph = Graph("sequential")
    graph.add_node(Node("input_1", "Input", {"shape": [32]}, (0.0, 0.0)))
    prev = "input_1"
    for i in range(1, LAYERS + 1):
        nid = f"dense_{i}"
        graph.add_node(Node(nid, "Dense", {"units": 16 + (i + len(name)) % 7, "activation": "relu"}, (0.0, 100.0 * i)))
        graph.connect(Edge.of(prev, nid))
        prev = nid
    return Project(graph, name=name)


target, original, round_no, mode, wanted = sys.argv[1], sys.argv[2], sys.argv[3], sys.argv[4], int(sys.argv[5])
# A slow disk, so random kills often land mid-write; in "hold" mode the write after the wanted number
# stops inside its temp file's fsync (written, not yet renamed) and says so.
_real_fsync = os.fsync
count = 0


def _slow_fsync(fd):
    if stat.S_ISREG(os.fstat(fd).st_mode):
        if mode == "hold" and count >= wanted:
            print("fsync", flush=True)
            time.sleep(60)
        time.sleep(0.01)
    return _real_fsync(fd)


os.fsync = _slow_fsync
while True:
    write_recovery(target, build(f"edit {round_no}.{count + 1}").to_dict(), original)
    count += 1
    print(count, flush=True)
'''.replace("LAYERS", str(LAYERS))


def _temps(folder: Path) -> list[str]:
    return sorted(p.name for p in folder.iterdir() if p.name.endswith(".tmp"))


def test_killed_recovery_writes_leave_the_previous_or_the_new_recovery(tmp_path: Path) -> None:
    folder = tmp_path / "projects"
    folder.mkdir()
    project_file = folder / "large.vnn"
    save_project(Project(name="large"), project_file)
    target = recovery_path_for(project_file)
    script = tmp_path / "autosaver.py"
    script.write_text(CHILD, encoding="utf-8")
    rng = random.Random(20261201)
    last_whole: str | None = None  # the recovery a crash must not lose: the newest finished write
    writes = killed_mid_write = 0
    for round_no in range(ROUNDS):
        hold = round_no % 2 == 0
        wanted = 0 if round_no == 0 else rng.randint(3, 10)
        proc = subprocess.Popen(
            [sys.executable, str(script), str(target), str(project_file), str(round_no), "hold" if hold else "random",
             str(wanted)],
            stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True,
        )
        assert proc.stdout is not None
        done = 0
        while done < wanted:
            line = proc.stdout.readline()
            assert line, f"round {round_no}: the writer stopped early: {proc.stderr.read() if proc.stderr else ''}"
            done = int(line) if line.strip().isdigit() else done
        if hold:
            while (line := proc.stdout.readline().strip()) != "fsync":
                assert line, f"round {round_no}: the writer ended before its fsync"
        else:
            time.sleep(rng.uniform(0.0, 0.05))
        os.kill(proc.pid, signal.SIGKILL)
        out, _err = proc.communicate(timeout=30)
        assert proc.returncode == -signal.SIGKILL
        done = int(([str(done)] + [w for w in out.split() if w.isdigit()])[-1])
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
            assert rec.pid == proc.pid and rec.original_path == str(project_file)
            restored = project_from_dict(rec.project, str(target))
            assert len(restored.graph.nodes) == LAYERS + 1
            pending = find_pending(str(project_file), [target])
            assert pending is not None and pending.recovery.project["name"] == rec.project["name"], (
                "start-up would not offer the recovery of the killed session"
            )
            last_whole = rec.project["name"]
        leftovers = _temps(folder)
        killed_mid_write += bool(leftovers)
        assert len(leftovers) <= 1, f"round {round_no}: temp files pile up: {leftovers}"
        if hold:
            assert leftovers, f"round {round_no}: killed inside the temp file's fsync, yet no temp file is left"
    assert writes >= 40, f"only {writes} writes in {ROUNDS} rounds; the test did not exercise enough writes"
    assert killed_mid_write >= ROUNDS // 2
    # The next session's first write clears what the killed ones left.
    write_recovery(target, Project(name="after").to_dict(), str(project_file))
    assert _temps(folder) == []
    assert sorted(p.name for p in folder.iterdir()) == [".large.vnn.recovery", "large.vnn"]
