"""The exported script against the app: `visualnn export-code`, `visualnn train --json`, then the script's main().

Shared by every parity test (single input, .npz named parts, CSV column groups, series targets), each of
which asserts its own keys: the histories must agree to :data:`TOLERANCE` epoch by epoch.
"""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parents[2]
TOLERANCE = 1e-5
PROBE = ("import json, sys; sys.path.insert(0, '.'); import {module} as train; "
         "h = train.main(['--output', '{output}']); print('HISTORY' + json.dumps(h.history))")


def app_and_script_histories(vnn: Path, style: str | None = None) -> tuple[dict[str, Any], dict[str, Any]]:
    """Export ``vnn``'s script beside it as train.py (``--style`` when given), train the project with the CLI,
    run the script's main() there (it saves script.keras); returns (app history, script history)."""
    app, scripts = app_and_styles_histories(vnn, [style])
    return app, scripts[style]


def app_and_styles_histories(vnn: Path, styles: list[str | None]) -> tuple[dict[str, Any], dict[str, Any]]:
    """As :func:`app_and_script_histories` for several styles with one CLI training: each style's script is
    train.py (one style) or train_<style>.py and saves script.keras or script_<style>.keras; returns (app
    history, {style: script history})."""
    folder = vnn.parent
    env = dict(os.environ, CUDA_VISIBLE_DEVICES="", TF_CPP_MIN_LOG_LEVEL="3", PYTHONPATH=str(ROOT))
    cli = [sys.executable, "-m", "visualnn.cli"]
    names = {style: ("train", "script") if len(styles) == 1 else (f"train_{style}", f"script_{style}")
             for style in styles}
    for style, (module, _) in names.items():
        export = subprocess.run([*cli, "export-code", str(vnn), *(["--style", style] if style else []), "-o",
                                 str(folder / f"{module}.py")], env=env, capture_output=True, text=True)
        assert export.returncode == 0, export.stderr[-2000:]
    train = subprocess.run([*cli, "train", str(vnn), "--json"], env=env, capture_output=True, text=True, timeout=600)
    assert train.returncode == 0, train.stderr[-2000:]
    scripts = {}
    for style, (module, output) in names.items():
        probe = PROBE.format(module=module, output=f"{output}.keras")
        run = subprocess.run([sys.executable, "-c", probe], cwd=folder, env=env, capture_output=True, text=True,
                             timeout=600)
        assert run.returncode == 0, run.stderr[-2000:]
        scripts[style] = json.loads(run.stdout.split("HISTORY", 1)[1])
    return json.loads(train.stdout)["history"], scripts


def assert_same_losses(app: dict[str, Any], script: dict[str, Any], keys: Any, epochs: int = 2) -> None:
    """Each of ``keys`` has ``epochs`` values in the script's history, each within :data:`TOLERANCE` of the app's."""
    for key in keys:
        assert len(script[key]) == epochs, key
        assert all(abs(a - b) <= TOLERANCE for a, b in zip(script[key], app[key], strict=True)), (
            key, script[key], app[key])
