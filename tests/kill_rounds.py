"""Shared by the kill tests (saves, recovery files): the child's slow disk and the parent's kill of one round.

A child script starts with :data:`CHILD_PRELUDE` (``LAYERS`` and ``PAUSE`` replaced by :func:`child_script`):
it gives ``chain(name, units)``, a Sequential chain of Dense layers, and replaces ``os.fsync`` by a slow one
that, in "hold" mode, stops inside the fsync after ``wanted`` finished writes and prints ``fsync``. The
child's loop increments the global ``count`` and prints it after each finished write.
"""

from __future__ import annotations

import os
import random
import signal
import subprocess
import sys
from pathlib import Path

CHILD_PRELUDE = r'''
import os
import stat
import sys
import time
from visualnn.core.graph import Edge, Graph, Node


def chain(units, activation="relu"):
    """Input(32) and LAYERS Dense layers in a row; ``units(i)`` for layer i (1-based)."""
    graph = Graph("sequential")
    graph.add_node(Node("input_1", "Input", {"shape": [32]}, (0.0, 0.0)))
    prev = "input_1"
    for i in range(1, LAYERS + 1):
        nid = f"dense_{i}"
        graph.add_node(Node(nid, "Dense", {"units": units(i), "activation": activation}, (0.0, 100.0 * i)))
        graph.connect(Edge.of(prev, nid))
        prev = nid
    return graph


mode, wanted = sys.argv[-2], int(sys.argv[-1])
# A slow disk, so random kills often land mid-write; in "hold" mode the write after the wanted number
# stops inside its temp file's fsync (written, not yet renamed) and says so.
_real_fsync = os.fsync
count = 0


def _slow_fsync(fd):
    if stat.S_ISREG(os.fstat(fd).st_mode):
        if mode == "hold" and count >= wanted:
            print("fsync", flush=True)
            time.sleep(60)
        time.sleep(PAUSE)
    return _real_fsync(fd)


os.fsync = _slow_fsync
'''


def child_script(path: Path, body: str, layers: int, pause: float) -> Path:
    """Write the prelude (``layers`` Dense layers, ``pause`` seconds per fsync) followed by ``body`` to ``path``."""
    prelude = CHILD_PRELUDE.replace("LAYERS", str(layers)).replace("PAUSE", repr(pause))
    path.write_text(prelude + body, encoding="utf-8")
    return path


def kill_one_round(script: Path, args: list[str], hold: bool, wanted: int, rng: random.Random,
                   max_sleep: float, round_no: int) -> tuple[int, int]:
    """Run ``script args MODE WANTED``; after ``wanted`` finished writes kill it with SIGKILL inside its next
    fsync (``hold``) or after a random sleep of at most ``max_sleep`` s. Returns (finished writes, child pid)."""
    proc = subprocess.Popen([sys.executable, str(script), *args, "hold" if hold else "random", str(wanted)],
                            stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
    assert proc.stdout is not None
    done = 0
    while done < wanted:
        line = proc.stdout.readline()
        assert line, f"round {round_no}: the child stopped early: {proc.stderr.read() if proc.stderr else ''}"
        done = int(line) if line.strip().isdigit() else done
    if hold:
        while (line := proc.stdout.readline().strip()) != "fsync":
            assert line, f"round {round_no}: the child ended before its fsync"
    else:
        import time

        time.sleep(rng.uniform(0.0, max_sleep))
    os.kill(proc.pid, signal.SIGKILL)
    out, _err = proc.communicate(timeout=30)
    assert proc.returncode == -signal.SIGKILL
    return int(([str(done)] + [w for w in out.split() if w.isdigit()])[-1]), proc.pid


def temp_files(folder: Path) -> list[str]:
    """The temp files atomic writes leave in ``folder`` when killed."""
    return sorted(p.name for p in folder.iterdir() if p.name.endswith(".tmp"))
