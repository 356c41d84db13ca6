"""Data files built to exhaust memory: refused from their headers, before anything is inflated or decoded.

The memory tests run ``visualnn data inspect`` in a child process and read its peak resident memory
(``VmHWM``: see :mod:`tests.reliability.peak_memory`) after the imports the command needs, so the figure is what the input cost.
"""

from __future__ import annotations

import json
import subprocess
import sys
import textwrap
from pathlib import Path

import numpy as np
import pytest

from tests.reliability.data_bombs import npz_bomb, png_header_only
from visualnn.cli import main
from visualnn.core.dataset import ArrayOptions
from visualnn.services.datasets.arrays import load_arrays, load_named_arrays
from visualnn.services.datasets.errors import DataError
from visualnn.services.datasets.inspect import inspect_source

ROOT = Path(__file__).resolve().parents[2]
MB = 1 << 20

_RUNNER = textwrap.dedent("""
    import json, sys
    from tests.reliability.peak_memory import peak_rss_kb
    import numpy, pandas, pyarrow, PIL.Image  # what data inspect imports, in the baseline
    from visualnn.cli import main
    import visualnn.services.datasets.inspect, visualnn.services.datasets.arrays, visualnn.services.datasets.tables
    before = peak_rss_kb()
    code = main(sys.argv[1:])
    after = peak_rss_kb()
    print(json.dumps({"code": code, "grew_kb": after - before}), file=sys.stdout)
""")


def _inspect_in_child(*args: str) -> tuple[int, int, str]:
    """(exit code, peak memory growth in bytes, stderr) of ``visualnn data inspect ARGS`` in a fresh process."""
    done = subprocess.run([sys.executable, "-c", _RUNNER, "data", "inspect", *args], capture_output=True, text=True,
                          cwd=ROOT, env={"PYTHONPATH": str(ROOT), "PATH": "/usr/bin:/bin"}, timeout=120)
    assert done.stdout.strip(), done.stderr
    result = json.loads(done.stdout.strip().splitlines()[-1])
    return int(result["code"]), int(result["grew_kb"]) * 1024, done.stderr


def test_an_npz_bomb_is_refused_from_its_headers_without_inflating(tmp_path: Path) -> None:
    # ~2 MB on disk, 384 MB inflated: over a 64 MB limit. Before the fix the limit was checked against the
    # compressed size and every array was inflated twice (peak ~770 MB here).
    path = npz_bomb(tmp_path / "bomb.npz", {"x": (6_000, 8_000), "y": (6_000,)})
    assert path.stat().st_size < 4 * MB
    code, grew, err = _inspect_in_child(str(path), "--options", json.dumps({"max_bytes": 64 * MB}))
    assert code == 2, err
    assert grew < 200 * MB, f"data inspect grew by {grew // MB} MB on a {path.stat().st_size // 1024} KB file"
    assert "Traceback" not in err
    assert "bomb.npz" in err and "array 'x'" in err and "(6000, 8000) float64" in err, err


def test_an_npz_is_inflated_once_and_only_the_arrays_used(tmp_path: Path) -> None:
    # Two arrays used (x, y) and one bigger unused one: inspecting costs x and y once, never the unused array
    # (before the fix: x twice, then the unused array while listing shapes, ~240 MB here).
    path = npz_bomb(tmp_path / "data.npz", {"x": (2_000, 5_000), "y": (2_000,), "unused": (4_000, 5_000)})
    code, grew, err = _inspect_in_child(str(path), "--json", "--options", json.dumps({"task": "regression"}))
    assert code == 0, err
    x_bytes = 2_000 * 5_000 * 8  # 80 MB
    assert grew < x_bytes + 60 * MB, f"data inspect grew by {grew // MB} MB for a {x_bytes // MB} MB array"


def test_npz_size_limit_counts_inflated_bytes_and_names_the_array(tmp_path: Path) -> None:
    path = tmp_path / "small.npz"
    np.savez_compressed(path, x=np.zeros((1000, 100)), y=np.zeros(1000))
    assert path.stat().st_size < 20_000  # compressed: far under the limit below
    with pytest.raises(DataError) as caught:
        load_arrays(str(path), ArrayOptions(), max_bytes=500_000)
    message = str(caught.value)
    assert "small.npz" in message and "array 'x'" in message and "(1000, 100) float64" in message
    assert "781.2 KB" in message and "488.3 KB limit" in message
    assert "limit" in message and "max_bytes" in message
    with pytest.raises(DataError, match=r"array 'x' \(1000, 100\) float64"):
        load_named_arrays(str(path), ArrayOptions(), ["x"], ["y"], max_bytes=500_000)
    with pytest.raises(DataError, match=r"array 'x' \(1000, 100\) float64"):
        inspect_source(str(path), {"max_bytes": 500_000}, inputs=["x", "x2"], outputs=["y"])
    assert load_arrays(str(path), ArrayOptions(), max_bytes=900_000).x.shape == (1000, 100)


def test_npz_header_that_claims_more_than_the_entry_holds(tmp_path: Path) -> None:
    import zipfile

    from tests.reliability.data_bombs import npy_header

    path = tmp_path / "liar.npz"
    with zipfile.ZipFile(path, "w") as zf:
        zf.writestr("x.npy", npy_header((1_000_000, 1000)) + bytes(80))  # claims 8 GB, holds 80 bytes
        zf.writestr("y.npy", npy_header((1_000_000,)) + bytes(80))
    with pytest.raises(DataError) as caught:
        load_arrays(str(path), ArrayOptions(), max_bytes=1 << 40)
    message = str(caught.value)
    assert "liar.npz" in message and "array 'x'" in message and "(1000000, 1000) float64" in message
    assert "holds only" in message


def test_npz_that_is_not_a_zip_or_holds_other_files(tmp_path: Path) -> None:
    junk = tmp_path / "junk.npz"
    junk.write_bytes(b"PK\x03\x04 not really a zip")
    with pytest.raises(DataError, match="junk.npz is not a readable NumPy file"):
        load_arrays(str(junk), ArrayOptions())
    import zipfile

    odd = tmp_path / "odd.npz"
    with zipfile.ZipFile(odd, "w") as zf:
        zf.writestr("readme.txt", "hello")
    with pytest.raises(DataError, match="odd.npz holds no arrays"):
        load_arrays(str(odd), ArrayOptions())


# ----------------------------------------------------------------------------------------------- images
def _image_folder(tmp_path: Path) -> Path:
    from PIL import Image

    root = tmp_path / "pics"
    for cls in ("cats", "dogs"):
        (root / cls).mkdir(parents=True)
        for i in range(3):
            Image.new("RGB", (32, 32), (i * 40, 0, 0)).save(root / cls / f"{i}.png")
    return root


def test_an_image_over_the_pixel_cap_is_skipped_and_named(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    root = _image_folder(tmp_path)
    png_header_only(root / "cats" / "huge.png", 20_000, 20_000)
    assert main(["data", "inspect", str(root)]) == 0
    out = capsys.readouterr().out
    assert "cats/huge.png" in out and "20000x20000" in out and "cap" in out
    assert "samples: 6" in out
    info = inspect_source(str(root))
    assert str(root / "cats" / "huge.png") not in info.examples["cats"]


def test_new_with_an_image_folder_holding_a_bomb(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    root = _image_folder(tmp_path)
    png_header_only(root / "dogs" / "huge.png", 20_000, 20_000)
    out = tmp_path / "p.vnn"
    assert main(["new", "--template", "cnn_small", "--data", str(root), "-o", str(out)]) == 0, \
        capsys.readouterr().err
    assert out.exists()


def test_header_sizes_are_read_without_decoding(tmp_path: Path) -> None:
    from PIL import Image

    from visualnn.services.datasets.images import image_dimensions

    for ext in ("png", "jpg", "gif", "bmp"):
        Image.new("RGB", (37, 21)).save(tmp_path / f"a.{ext}")
        assert image_dimensions(str(tmp_path / f"a.{ext}")) == (37, 21), ext
    assert image_dimensions(str(png_header_only(tmp_path / "big.png", 20_000, 30_000))) == (20_000, 30_000)


def test_the_tensorflow_decoder_refuses_an_image_over_the_cap_from_its_header(tmp_path: Path) -> None:
    tf = pytest.importorskip("tensorflow")
    from PIL import Image

    from visualnn.core.dataset import ImageOptions
    from visualnn.services.datasets.images_tf import decode_fn

    opts = ImageOptions(image_size=(8, 8))
    for ext in ("png", "jpg", "gif", "bmp"):
        path = tmp_path / f"wide.{ext}"
        Image.new("RGB", (120, 50), (10, 200, 30)).save(path)
        assert decode_fn(opts, max_pixels=6000)(tf.constant(str(path))).shape == (8, 8, 3)
        with pytest.raises(tf.errors.InvalidArgumentError) as caught:
            decode_fn(opts, max_pixels=5999)(tf.constant(str(path)))
        message = str(caught.value)
        assert f"The image {path} is 120x50 pixels, over the cap of 5999 pixels" in message, ext
        assert "cap" in message


def test_predict_reads_npy_and_npz_through_their_headers(tmp_path: Path) -> None:
    """``visualnn predict``'s reader sizes arrays from their headers too (it called np.load, which inflates)."""
    import zipfile

    from tests.reliability.data_bombs import npy_header
    from visualnn.services.predict import read_raw

    liar = tmp_path / "new.npz"  # a header declaring 3.2 GB of float64, and nothing behind it
    with zipfile.ZipFile(liar, "w", zipfile.ZIP_DEFLATED) as zf:
        zf.writestr("x.npy", npy_header((20_000, 20_000)))
        zf.writestr("y.npy", npy_header((20_000, 20_000)))
    for inputs in (None, ["x", "y"]):
        with pytest.raises(DataError, match="new.npz"):
            read_raw(str(liar), inputs)
    single = tmp_path / "new.npy"
    single.write_bytes(npy_header((20_000, 20_000)))
    with pytest.raises(DataError, match="new.npy"):
        read_raw(str(single))
    good = tmp_path / "ok.npz"
    np.savez(good, x=np.ones((3, 2)), y=np.zeros((3, 1)))
    assert read_raw(str(good)).shape == (3, 2)
    assert sorted(read_raw(str(good), ["x", "y"])) == ["x", "y"]
