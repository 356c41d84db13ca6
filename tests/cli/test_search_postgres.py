"""Two `visualnn search` processes on one PostgreSQL study (a throwaway cluster this test starts).

Needs Debian's ``postgresql`` package (initdb, pg_ctl). PostgreSQL refuses to run as root, so as root (CI) the
server runs as the ``postgres`` user the package creates; the test skips, saying why, only when the binaries
or that user are missing.
"""

from __future__ import annotations

import glob
import json
import os
import pwd
import shutil
import socket
import subprocess
import tempfile
from collections.abc import Iterator
from pathlib import Path

import pytest

from tests.cli.search_helpers import SPACE, last_json, start_cli, study_trials, tiny_project

pytestmark = [pytest.mark.tf, pytest.mark.slow]


def _binaries() -> str | None:
    found = shutil.which("initdb") or next(iter(sorted(glob.glob("/usr/lib/postgresql/*/bin/initdb"))), None)
    return os.path.dirname(found) if found else None


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        port: int = s.getsockname()[1]
        return port


@pytest.fixture
def postgres_url() -> Iterator[str]:
    bindir = _binaries()
    if bindir is None:
        pytest.skip("PostgreSQL server binaries (initdb, pg_ctl) are not installed: apt-get install postgresql")
    try:
        import psycopg2  # noqa: F401
    except ImportError:
        pytest.skip("the psycopg2 driver is not installed (pip install psycopg2-binary; the test extra has it)")
    as_user: list[str] = []
    folder = tempfile.mkdtemp(prefix="vnn-pg-")
    if os.geteuid() == 0:  # the server refuses root: run it as the package's postgres user
        try:
            user = pwd.getpwnam("postgres")
        except KeyError:
            shutil.rmtree(folder)
            pytest.skip("running as root and there is no 'postgres' user to run the server (apt-get install postgresql)")
        os.chown(folder, user.pw_uid, user.pw_gid)
        as_user = ["runuser", "-u", "postgres", "--"] if shutil.which("runuser") else ["su", "postgres", "-c"]
    data, port = os.path.join(folder, "data"), _free_port()

    def run(*cmd: str) -> None:
        argv = [*as_user, " ".join(cmd)] if as_user[:1] == ["su"] else [*as_user, *cmd]
        subprocess.run(argv, check=True, capture_output=True, timeout=120)

    try:
        run(os.path.join(bindir, "initdb"), "-D", data, "-U", "postgres", "--auth=trust", "-E", "UTF8")
        run(os.path.join(bindir, "pg_ctl"), "-D", data, "-l", os.path.join(folder, "log"), "-w", "-o",
            f"-p {port} -k {folder} -c listen_addresses=127.0.0.1 -c max_connections=50", "start")
    except subprocess.CalledProcessError as exc:
        shutil.rmtree(folder, ignore_errors=True)
        raise AssertionError(f"could not start PostgreSQL: {exc.stderr!r}") from exc
    try:
        yield f"postgresql://postgres@127.0.0.1:{port}/postgres"
    finally:
        try:
            run(os.path.join(bindir, "pg_ctl"), "-D", data, "-m", "immediate", "stop")
        finally:
            shutil.rmtree(folder, ignore_errors=True)


def test_two_processes_share_one_postgresql_study(tmp_path: Path, postgres_url: str) -> None:
    path = tiny_project(tmp_path)
    args = ["search", str(path), *SPACE, "--trials", "6", "--pruner", "none", "--storage", postgres_url,
            "--study", "pg-study", "--json"]
    procs = [start_cli(*args) for _ in range(2)]
    outs = [p.communicate(timeout=400) for p in procs]
    for proc, (stdout, stderr) in zip(procs, outs, strict=True):
        assert proc.returncode == 0, stdout[-1000:] + stderr[-2000:]
    ran = [last_json(stdout)["ran"] for stdout, _ in outs]
    trials = study_trials(postgres_url, "pg-study")
    finished = [t for t in trials if t.state.name == "COMPLETE"]
    assert len(finished) == 6 and len({t.number for t in finished}) == 6
    runs = [r for r in json.loads(path.read_text())["runs"] if "search" in r.get("extra", {})]
    assert sorted(r["id"] for r in runs) == sorted(t.user_attrs["visualnn"]["run_id"] for t in finished) == sorted(sum(ran, []))
    assert not (tmp_path / "wine.search.db").exists()  # the RDB URL, not the default SQLite file
