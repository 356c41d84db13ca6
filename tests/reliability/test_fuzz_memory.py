"""The memory invariant of the fuzz inputs: an input under 10 MB never takes VisualNN past 1 GB of memory.

A batch of generated inputs (the fuzz strategies of :mod:`tests.reliability.fuzz_inputs`) plus hand-made
bombs runs in ONE child process (``fuzz_memory_child``), each input handed over as ``data inspect`` / the
Data panel / ``import-model`` do. The test asserts that every input was answered (success or the documented
refusal: a crash, a ``MemoryError`` or a traceback leaves an error or a missing line) and that the child's
peak resident memory (``VmHWM``) stayed under 1 GB.

The bound is on resident memory (``VmHWM``, what the input costs the machine). ``RLIMIT_AS`` is a safety net
that turns a runaway allocation into a reported ``MemoryError`` instead of a swapping CI machine; it counts
reserved address space, which runs far ahead of resident memory, so it sits above the bound:

- Data (TensorFlow-free): 2.5 GB. pyarrow's allocator reserves ~1.1 GB of address space for a 9 MB CSV value
  while its resident memory grows by 30 MB, so a 1.5 GB limit fails inputs that cost 150 MB.
- ``.keras`` archives: 4 GB (TensorFlow reserves gigabytes just to import), and the bound is on the peak above
  the memory Keras takes once imported.
"""

from __future__ import annotations

import json
import struct
import subprocess
import sys
import zipfile
import zlib
from pathlib import Path
from typing import Any

import pytest
from hypothesis import Phase, given, settings
from hypothesis import strategies as st

from tests.reliability.data_bombs import npy_header, npz_bomb, png_header_only
from tests.reliability.fuzz import long_run, nested_list
from tests.reliability.fuzz_inputs import KERAS_SEED, STRATEGIES, Case, Generated

ROOT = Path(__file__).resolve().parents[2]
MB = 1 << 20
GB = 1 << 30
MAX_INPUT = 10 * MB
CHILD_ENV = {
    "PYTHONPATH": str(ROOT), "PATH": "/usr/bin:/bin", "TF_CPP_MIN_LOG_LEVEL": "3", "KERAS_BACKEND": "tensorflow",
    # Address space is what RLIMIT_AS counts: on a many-core machine every pyarrow worker thread reserves its own
    # 64 MB malloc arena, so the reserved space would follow the core count, not the memory used. Two threads
    # and two arenas: the CI machine's two cores, on any machine.
    "OMP_NUM_THREADS": "2", "MALLOC_ARENA_MAX": "2",
}


def _generated(kinds: list[str], count: int) -> list[Generated]:
    """``count`` inputs drawn from the fuzz strategies of ``kinds`` (generation only: nothing fails here)."""
    found: list[Generated] = []

    @settings(max_examples=count * (20 if long_run() else 1), phases=[Phase.generate], database=None,
              deadline=None, suppress_health_check=list(__import__("hypothesis").HealthCheck))
    @given(generated=st.one_of(*(STRATEGIES[k] for k in kinds)))
    def collect(generated: Generated) -> None:
        found.append(generated)

    collect()
    return found


def _run_batch(cases: list[Case], folder: Path, limit_gb: float, keras: bool = False) -> tuple[int, list[dict[str, Any]]]:
    """(baseline peak in KB, one report per case) from one child process; a crash or a missing report fails."""
    listing = folder / "cases.jsonl"
    listing.write_text("\n".join(c.to_json() for c in cases), encoding="utf-8")
    command = [sys.executable, "-m", "tests.reliability.fuzz_memory_child", str(listing), "--limit-gb", str(limit_gb)]
    done = subprocess.run([*command, *(["--keras"] if keras else [])], cwd=ROOT, capture_output=True, text=True,
                          timeout=600, env=CHILD_ENV)
    lines = [json.loads(line) for line in done.stdout.splitlines() if line.startswith("{")]
    assert done.returncode == 0 and lines and "baseline_kb" in lines[0], (
        f"the child failed (exit {done.returncode}):\n{done.stderr[-4000:]}")
    reports = lines[1:]
    assert len(reports) == len(cases), (
        f"only {len(reports)} of {len(cases)} inputs were answered; the child died on {cases[len(reports)]}:\n"
        f"{done.stderr[-4000:]}")
    return int(lines[0]["baseline_kb"]), reports


def _check(cases: list[Case], reports: list[dict[str, Any]], ceiling_kb: int) -> None:
    errors = [(cases[r["i"]], r["error"], r["traceback"]) for r in reports if "error" in r]
    assert not errors, "inputs ended in an exception that is not the documented refusal:\n" + "\n\n".join(
        f"{case}\n{error}\n{tb}" for case, error, tb in errors[:3])
    worst = max(reports, key=lambda r: r["peak_kb"])
    assert worst["peak_kb"] < ceiling_kb, (
        f"peak memory {worst['peak_kb'] // 1024} MB (ceiling {ceiling_kb // 1024} MB) by the time "
        f"{cases[worst['i']]} was answered")


# --------------------------------------------------------------------------------------------- bombs
def _png_of_zeros(path: Path, side: int) -> Path:
    """A real, decodable ``side`` x ``side`` RGB PNG of black pixels: a few hundred KB, ``3 * side**2`` bytes decoded."""
    def chunk(kind: bytes, data: bytes) -> bytes:
        return struct.pack(">I", len(data)) + kind + data + struct.pack(">I", zlib.crc32(kind + data) & 0xFFFFFFFF)

    pack = zlib.compressobj(9)
    row = bytes(1 + 3 * side)  # filter byte 0, then the pixels
    body = b"".join(pack.compress(row) for _ in range(side)) + pack.flush()
    ihdr = struct.pack(">IIBBBBB", side, side, 8, 2, 0, 0, 0)
    path.write_bytes(b"\x89PNG\r\n\x1a\n" + chunk(b"IHDR", ihdr) + chunk(b"IDAT", body) + chunk(b"IEND", b""))
    return path


def _data_bombs(folder: Path) -> list[Case]:
    """Inputs under 10 MB built to take memory: each must be refused (or read) without it."""
    cases: list[Case] = []

    def new(name: str) -> Path:
        path = folder / "bombs" / name
        path.parent.mkdir(parents=True, exist_ok=True)
        return path

    # An .npz inflating past the default 1 GB limit (~1.2 GB of zeros in ~1.2 MB), refused from its headers.
    cases.append(Case("numpy", str(npz_bomb(new("bomb.npz"), {"x": (12_000, 12_500), "y": (12_000,)}))))
    # A .npy whose header declares 8 GB in under a kilobyte: refused before anything is allocated.
    big = new("liar.npy")
    big.write_bytes(npy_header((10**9,)) + bytes(800))
    cases.append(Case("numpy", str(big), {"max_bytes": 1 << 40}))
    # A CSV with 150,000 one-letter columns (300 KB; ~1.5 GB parsed before the column cap) and one 9 MB value.
    wide = new("wide.csv")
    wide.write_text(",".join("a" for _ in range(150_000)) + "\n" + ",".join("1" for _ in range(150_000)) + "\n")
    cases.append(Case("csv", str(wide)))
    cell = new("cell.csv")
    cell.write_text('a,b\n"' + "x" * (9 * MB) + ",1\n")
    cases.append(Case("csv", str(cell)))
    # Image folders: a header declaring 20000x20000 (skipped by the pixel cap), and a real 8192x8192 PNG at the
    # cap, decoded for its thumbnail (200 MB of pixels, ~650 MB peak with the RGB copy, then freed).
    for name, make in (("declared", lambda p: png_header_only(p, 20_000, 20_000)), ("real", lambda p: _png_of_zeros(p, 8192))):
        root = folder / "bombs" / name
        for cls in ("a", "b"):
            (root / cls).mkdir(parents=True)
            _png_of_zeros(root / cls / "small.png", 8)
        make(root / "a" / "big.png")
        cases.append(Case("images", str(root), None, "images"))
    return cases


def _keras_archive(path: Path, config: Any, pad: int = 0) -> Path:
    with zipfile.ZipFile(path, "w", zipfile.ZIP_DEFLATED) as zf:
        with zf.open("config.json", "w") as fh:
            fh.write(config.encode() if isinstance(config, str) else json.dumps(config).encode())
            fh.write(b" " * pad)
    return path


def _keras_bombs(folder: Path) -> list[Case]:
    folder.mkdir(parents=True, exist_ok=True)
    wide = json.loads(json.dumps(KERAS_SEED))
    wide["config"]["layers"][0]["config"]["batch_shape"] = [None, 100_000]  # 100,000 x 10,000 weights: 4 GB
    wide["config"]["layers"][1]["config"]["units"] = 10_000
    wide["config"]["layers"][1]["config"]["kernel_initializer"] = {
        "module": "keras.initializers", "class_name": "Orthogonal", "config": {"seed": 3}}
    return [
        Case("keras", str(_keras_archive(folder / "config-bomb.keras", KERAS_SEED, pad=64 * MB))),
        Case("keras", str(_keras_archive(folder / "wide.keras", wide))),
        Case("keras", str(_keras_archive(folder / "deep.keras", "[" * 5000 + "]" * 5000))),
    ]


def _write(generated: list[Generated], folder: Path) -> list[Case]:
    cases = []
    for i, g in enumerate(generated):
        cases.append(g.write(folder / f"in{i}"))
    return cases


def _sizes_ok(cases: list[Case]) -> None:
    for case in cases:
        path = Path(case.path)
        size = sum(p.stat().st_size for p in path.rglob("*") if p.is_file()) if path.is_dir() else path.stat().st_size
        assert size < MAX_INPUT, f"{path} is {size / MB:.1f} MB: not an input under 10 MB"


# --------------------------------------------------------------------------------------------- tests
def test_data_inputs_under_10_mb_stay_under_1_gb(tmp_path: Path) -> None:
    cases = _data_bombs(tmp_path) + _write(_generated(["csv", "numpy", "images"], 45), tmp_path)
    _sizes_ok(cases)
    _baseline, reports = _run_batch(cases, tmp_path, limit_gb=2.5)
    _check(cases, reports, ceiling_kb=GB // 1024)
    bombs = reports[:6]
    assert [r["outcome"] for r in bombs[:4]] == ["refused"] * 4, bombs  # the data bombs are refused...
    assert [r["outcome"] for r in bombs[4:]] == ["ok", "ok"], bombs  # ...the image folders read, the big file skipped


def test_options_nested_as_deep_as_the_fuzz_draws_them_reach_the_child(tmp_path: Path) -> None:
    """Mutated options may hold :data:`~tests.reliability.fuzz.DEEP` lists; the batch file once failed to write them
    (a RecursionError in the test, not in VisualNN) in the runs whose draws happened to include one."""
    table = tmp_path / "in" / "data.csv"
    table.parent.mkdir()
    table.write_text("a,b\n1,2\n3,4\n", encoding="utf-8")
    cases = [Case("csv", str(table), {"columns": nested_list(levels)}) for levels in (99, 2500)]
    _baseline, reports = _run_batch(cases, tmp_path, limit_gb=2.5)
    _check(cases, reports, ceiling_kb=GB // 1024)
    assert all(Case.from_json(c.to_json()).to_json() == c.to_json() for c in cases)


@pytest.mark.tf
def test_keras_archives_under_10_mb_stay_under_1_gb(tmp_path: Path) -> None:
    cases = _keras_bombs(tmp_path / "bombs") + _write(_generated(["keras"], 15), tmp_path)
    _sizes_ok(cases)
    baseline, reports = _run_batch(cases, tmp_path, limit_gb=4.0, keras=True)
    _check(cases, reports, ceiling_kb=baseline + GB // 1024)
    assert [r["outcome"] for r in reports[:3]] == ["refused", "ok", "refused"], reports[:3]
