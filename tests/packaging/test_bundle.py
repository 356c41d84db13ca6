"""Build the PyInstaller bundle and start it offscreen (opt-in: VISUALNN_PACKAGING_TEST=1).

The build takes many minutes and gigabytes (TensorFlow), so it only runs on request:
``VISUALNN_PACKAGING_TEST=1 .venv/bin/pytest -q tests/packaging/test_bundle.py``.
Set ``VISUALNN_BUNDLE=dist/visualnn`` to test an existing bundle without rebuilding it.
"""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[2]
EXAMPLE = ROOT / "resources" / "examples" / "tabular" / "tabular.vnn"

pytestmark = [
    pytest.mark.slow,
    pytest.mark.skipif(
        os.environ.get("VISUALNN_PACKAGING_TEST") != "1",
        reason="builds the PyInstaller bundle (slow); set VISUALNN_PACKAGING_TEST=1 to run",
    ),
]


@pytest.fixture(scope="module")
def bundle() -> Path:
    existing = os.environ.get("VISUALNN_BUNDLE")
    if existing:
        path = Path(existing)
        assert path.is_dir(), f"VISUALNN_BUNDLE={existing} is not a folder; build it with packaging/build.sh."
        return path
    pytest.importorskip("PyInstaller")
    done = subprocess.run(
        ["bash", str(ROOT / "packaging" / "build.sh"), "--python", sys.executable],
        cwd=ROOT,
        capture_output=True,
        text=True,
        timeout=3600,
    )
    assert done.returncode == 0, done.stdout[-4000:] + done.stderr[-4000:]
    return ROOT / "dist" / "visualnn"


def _run(bundle: Path, *args: str) -> subprocess.CompletedProcess[str]:
    exe = bundle / ("visualnn-cli.exe" if sys.platform == "win32" else "visualnn")
    env = {**os.environ, "QT_QPA_PLATFORM": "offscreen", "TF_CPP_MIN_LOG_LEVEL": "2"}
    return subprocess.run([str(exe), *args], env=env, capture_output=True, text=True, timeout=600)


def test_bundle_reports_its_version(bundle: Path) -> None:
    from visualnn import __version__

    done = _run(bundle, "--version")
    assert done.returncode == 0, done.stderr
    assert done.stdout.strip() == f"VisualNN {__version__}"


def test_bundle_summarises_the_example_project(bundle: Path) -> None:
    assert EXAMPLE.is_file(), f"the bundled example {EXAMPLE} is missing"
    done = _run(bundle, "summary", str(EXAMPLE))
    assert done.returncode == 0, done.stdout + done.stderr
    assert "Total params:" in done.stdout
    # The frozen app prints exactly what the source tree prints.
    source = subprocess.run(
        [sys.executable, "-m", "visualnn", "summary", str(EXAMPLE)], capture_output=True, text=True, timeout=600
    )
    assert done.stdout == source.stdout


def test_bundle_contains_the_examples_and_icon(bundle: Path) -> None:
    internal = bundle / "_internal" if (bundle / "_internal").is_dir() else bundle
    assert (internal / "packaging" / "icons" / "visualnn.svg").is_file()
    assert any((internal / "resources" / "examples").rglob("*.vnn"))


def test_bundle_carries_the_compiled_csv_reader(bundle: Path) -> None:
    """The bundle loads number tables with the compiled reader the install built (else through Arrow, slower)."""
    internal = bundle / "_internal" if (bundle / "_internal").is_dir() else bundle
    assert list((internal / "visualnn" / "services" / "datasets").glob("_fast_numbers*.so"))


def test_bundle_runs_the_tensorflow_engine(bundle: Path) -> None:
    """The frozen app starts its engine as ``visualnn -m visualnn.engine``; TensorFlow must work inside."""
    import json

    exe = bundle / ("visualnn-cli.exe" if sys.platform == "win32" else "visualnn")
    jobs = (
        '{"t": "job", "id": "j1", "type": "ping", "payload": {}}\n'
        '{"t": "job", "id": "j2", "type": "devices", "payload": {}}\n'
        '{"t": "control", "job_id": "", "action": "shutdown"}\n'
    )
    env = {**os.environ, "TF_CPP_MIN_LOG_LEVEL": "2"}
    done = subprocess.run(
        [str(exe), "-m", "visualnn.engine"], input=jobs, env=env, capture_output=True, text=True, timeout=600
    )
    messages = [json.loads(line) for line in done.stdout.splitlines() if line.startswith("{")]
    ready = next(m for m in messages if m["kind"] == "ready")
    assert ready["data"]["versions"]["tensorflow"].startswith("2.")
    results = {m["job_id"]: m["data"] for m in messages if m["kind"] == "result"}
    assert results["j1"]["pong"] is True
    assert results["j2"]["devices"][0]["kind"] == "CPU"


def test_bundle_opens_the_window_offscreen(bundle: Path, tmp_path: Path) -> None:
    """The frozen GUI starts and opens a project: its log says so; then the test ends it."""
    import signal
    import time

    from visualnn.core.graph import Edge, Node
    from visualnn.core.project import Project
    from visualnn.core.project.io import save_project

    project = Project(name="bundled")
    project.graph.add_node(Node("input_1", "Input", {"shape": [4]}))
    project.graph.add_node(Node("dense_1", "Dense", {"units": 3}))
    project.graph.connect(Edge.of("input_1", "dense_1"))
    path = tmp_path / "bundled.vnn"
    save_project(project, path)
    logs = tmp_path / "logs"
    env = {"XDG_CONFIG_HOME": str(tmp_path / "config"), "VISUALNN_LOG_DIR": str(logs),
           "VISUALNN_DATA_DIR": str(tmp_path / "data")}
    exe = bundle / ("visualnn.exe" if sys.platform == "win32" else "visualnn")
    proc = subprocess.Popen(
        [str(exe), str(path)], env={**os.environ, "QT_QPA_PLATFORM": "offscreen", **env},
        stdout=subprocess.DEVNULL, stderr=(tmp_path / "stderr.txt").open("w"), start_new_session=True,
    )
    shown = f"window shown with {path}"
    log_file = logs / "visualnn.log"
    try:
        deadline = time.monotonic() + 300
        while time.monotonic() < deadline and proc.poll() is None:
            if log_file.exists() and shown in log_file.read_text(encoding="utf-8"):
                break
            time.sleep(0.2)
        alive = proc.poll() is None
    finally:
        if sys.platform == "win32":
            proc.kill()
        else:
            os.killpg(proc.pid, signal.SIGKILL)  # the app and the engine it started
        proc.wait(timeout=30)
    stderr = (tmp_path / "stderr.txt").read_text()[-3000:]
    assert alive, f"the bundle exited early (code {proc.returncode}):\n{stderr}"
    assert log_file.exists() and shown in log_file.read_text(encoding="utf-8"), stderr
    assert "Uncaught exception" not in log_file.read_text(encoding="utf-8")
