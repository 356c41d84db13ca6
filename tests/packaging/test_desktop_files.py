"""Desktop integration files: the .desktop entry, the .vnn MIME type, icons and the install script."""

from __future__ import annotations

import configparser
import os
import shutil
import subprocess
import xml.etree.ElementTree as ET
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[2]
PKG = ROOT / "packaging"
MIME = "application/x-visualnn-project"
SIZES = (16, 24, 32, 48, 64, 128, 256, 512)


def _desktop_entry(path: Path) -> configparser.SectionProxy:
    parser = configparser.ConfigParser(interpolation=None, delimiters=("=",))
    parser.optionxform = str  # type: ignore[assignment,method-assign]  # keys are case-sensitive
    parser.read(path, encoding="utf-8")
    return parser["Desktop Entry"]


def test_desktop_entry_opens_vnn_files() -> None:
    entry = _desktop_entry(PKG / "linux" / "visualnn.desktop")
    assert entry["Type"] == "Application"
    assert entry["Icon"] == "visualnn"
    assert entry["Exec"].endswith("%f")  # the double-clicked file is passed to the app
    assert MIME in entry["MimeType"].split(";")


def test_mime_definition_globs_vnn() -> None:
    ns = {"m": "http://www.freedesktop.org/standards/shared-mime-info"}
    root = ET.parse(PKG / "linux" / "visualnn-mime.xml").getroot()
    mime = root.find("m:mime-type", ns)
    assert mime is not None and mime.get("type") == MIME
    assert [g.get("pattern") for g in mime.findall("m:glob", ns)] == ["*.vnn"]
    match = mime.find("m:magic/m:match", ns)
    assert match is not None and match.get("value") == '"visualnn-project"'


def test_icons_are_square_pngs_of_every_size() -> None:
    from PIL import Image

    for size in SIZES:
        with Image.open(PKG / "icons" / f"visualnn-{size}.png") as img:
            assert img.size == (size, size) and img.mode == "RGBA"
            # The tile's corners are transparent and its centre is drawn.
            assert img.getpixel((0, 0))[3] == 0
            assert img.getpixel((size // 2, size // 2))[3] > 200
    ET.parse(PKG / "icons" / "visualnn.svg")  # well-formed


def test_install_and_uninstall_into_a_data_dir(tmp_path: Path) -> None:
    data = tmp_path / "share"
    env = {**os.environ, "XDG_DATA_HOME": str(data), "HOME": str(tmp_path)}
    script = PKG / "linux" / "install-desktop.sh"
    done = subprocess.run(
        ["bash", str(script), "--exec", "/opt/Visual NN/visualnn"], env=env, capture_output=True, text=True, timeout=60
    )
    assert done.returncode == 0, done.stderr
    entry = _desktop_entry(data / "applications" / "visualnn.desktop")
    assert entry["Exec"] == '"/opt/Visual NN/visualnn" %f'
    assert (data / "mime" / "packages" / "visualnn-mime.xml").is_file()
    assert (data / "icons" / "hicolor" / "48x48" / "apps" / "visualnn.png").is_file()
    assert (data / "icons" / "hicolor" / "scalable" / "mimetypes" / "application-x-visualnn-project.svg").is_file()
    if shutil.which("update-mime-database"):
        globs = (data / "mime" / "globs2").read_text(encoding="utf-8")
        assert f"{MIME}:*.vnn" in globs  # the desktop now maps *.vnn to our type
    gone = subprocess.run(["bash", str(script), "--uninstall"], env=env, capture_output=True, text=True, timeout=60)
    assert gone.returncode == 0, gone.stderr
    assert not (data / "applications" / "visualnn.desktop").exists()
    assert not (data / "icons" / "hicolor" / "48x48" / "apps" / "visualnn.png").exists()


def test_spec_and_entry_point_are_valid_python() -> None:
    compile((PKG / "visualnn.spec").read_text(encoding="utf-8"), "visualnn.spec", "exec")
    compile((PKG / "visualnn_main.py").read_text(encoding="utf-8"), "visualnn_main.py", "exec")


@pytest.mark.parametrize("module", ["os", "visualnnx.evil"])
def test_frozen_entry_runs_only_our_modules(module: str) -> None:
    import subprocess as sp
    import sys

    done = sp.run(
        [sys.executable, str(PKG / "visualnn_main.py"), "-m", module], capture_output=True, text=True, timeout=60
    )
    assert done.returncode == 2
    assert "only the app's own modules" in done.stderr


def test_frozen_entry_emulates_dash_m() -> None:
    import sys

    done = subprocess.run(
        [sys.executable, str(PKG / "visualnn_main.py"), "-m", "visualnn", "--version"],
        capture_output=True,
        text=True,
        timeout=120,
    )
    assert done.returncode == 0, done.stderr
    assert done.stdout.startswith("VisualNN ")
