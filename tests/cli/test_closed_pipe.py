"""A verb whose reader stops reading (``visualnn check x.vnn | head -1``) ends quietly with 141, as shells report a
process ended by SIGPIPE: it said "stopped on an unexpected internal error ([Errno 32] Broken pipe). This is a bug"."""

from __future__ import annotations

import os
import subprocess
import sys


def test_a_closed_output_pipe_is_no_bug() -> None:
    read_end, write_end = os.pipe()
    os.close(read_end)  # the reader is gone before the first line is written
    try:
        done = subprocess.run([sys.executable, "-m", "visualnn", "templates"], stdout=write_end,
                              stderr=subprocess.PIPE, timeout=120)
    finally:
        os.close(write_end)
    assert (done.returncode, done.stderr.decode()) == (141, "")
    from visualnn.cli.exit_codes import MEANING, ExitCode

    assert "nothing is wrong" in MEANING[ExitCode(141)]  # in the table visualnn --help prints
