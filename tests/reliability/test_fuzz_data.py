"""Fuzzing data sources: damaged CSV bytes, ``.npy``/``.npz`` headers and zips, image headers and bytes are
inspected or refused with :class:`DataError`, never another exception.

Each example writes its input into a fresh folder (:mod:`tests.reliability.fuzz_inputs`) and hands it to
``inspect_source``, the reader behind ``visualnn data inspect``, ``new --data`` and the Data panel (which also
draws the image thumbnails). The ``@example`` inputs are the failures fuzzing found, kept as regressions.
The memory bound on the same inputs is checked in ``test_fuzz_memory.py``.
"""

from __future__ import annotations

import io
import tempfile
import zipfile
from pathlib import Path

from hypothesis import example, given

from tests.reliability.data_bombs import npy_header
from tests.reliability.fuzz import fuzz_settings
from tests.reliability.fuzz_inputs import STRATEGIES, Generated, run_case

TABLE = b"a,b,label\n1,2,x\n3,4,y\n5,6,x\n7,8,y\n"


def _run(generated: Generated) -> None:
    with tempfile.TemporaryDirectory(prefix="fuzz-") as folder:
        run_case(generated.write(Path(folder)))


def _csv(options: dict[str, object]) -> Generated:
    return Generated("csv", "data.csv", {"data.csv": TABLE}, options, "csv")


def _npy_with_header_text(text: bytes) -> bytes:
    body = text + b" " * (64 - (10 + len(text) + 1) % 64) + b"\n"
    return b"\x93NUMPY\x01\x00" + len(body).to_bytes(2, "little") + body


def _npz(**arrays: object) -> bytes:
    import numpy as np

    buf = io.BytesIO()
    np.savez(buf, **arrays)  # type: ignore[arg-type]
    return buf.getvalue()


def _npz_with_a_corrupt_deflate_stream() -> bytes:
    buf = io.BytesIO()
    with zipfile.ZipFile(buf, "w", zipfile.ZIP_DEFLATED) as zf:
        zf.writestr("x.npy", npy_header((64,)) + bytes(512))
    raw = bytearray(buf.getvalue())
    start = 30 + len("x.npy")  # the first local header, then the deflate stream
    raw[start:start + 4] = b"\xff\xff\xff\xff"
    return bytes(raw)


@fuzz_settings(40)
@given(generated=STRATEGIES["csv"])
# Dataset options of the wrong JSON type or an unusable CSV setting: TypeError, AttributeError, LookupError and
# pyarrow's ValueError escaped data inspect (and `check` of a project holding them).
@example(generated=_csv({"split": {"val": "0.2"}}))
@example(generated=_csv({"columns": 1.5}))
@example(generated=_csv({"csv": {"delimiter": True}}))
@example(generated=_csv({"csv": {"delimiter": "\x80"}}))
@example(generated=_csv({"csv": {"encoding": ""}}))
@example(generated=_csv({"csv": {"encoding": "rot13"}}))
@example(generated=_csv({"split": {"val": 10**400}}))
# Invalid UTF-8 in the header of a file the options say is UTF-8 (the bundled examples say so): pyarrow's
# UnicodeDecodeError escaped while reading the column names.
@example(generated=Generated("csv", "data.csv", {"data.csv": b"a,b,\x80\n1,2,3\n4,5,6\n"},
                             {"csv": {"encoding": "utf-8"}}, "csv"))
def test_damaged_csv_is_inspected_or_refused(generated: Generated) -> None:
    _run(generated)


@fuzz_settings(40)
@given(generated=STRATEGIES["numpy"])
# A .npy starting like a zip was opened as an .npz by np.load (BadZipFile); a garbled header raised
# tokenize.TokenError; a corrupt deflate stream in an .npz raised zlib.error.
@example(generated=Generated("numpy", "data.npy", {"data.npy": b"PK\x03\x04XX" + bytes(100)}))
@example(generated=Generated("numpy", "data.npy", {"data.npy": _npy_with_header_text(b"{")}))
@example(generated=Generated("numpy", "data.npz", {"data.npz": _npz_with_a_corrupt_deflate_stream()}))
# A header whose shape holds true/false (numpy's header check takes a bool for an int): TypeError in the memory map.
@example(generated=Generated("numpy", "data.npy", {"data.npy": _npy_with_header_text(
    b"{'descr': '<f8', 'fortran_order': False, 'shape': (True,)}") + bytes(8)}))
# An 880-byte .npy declaring 8 TB: loading it for training allocated the declared size first (MemoryError).
@example(generated=Generated("numpy", "data.npy", {"data.npy": npy_header((10**12,)) + bytes(800)},
                             {"max_bytes": 1 << 50}))
# Text targets with several values per sample, or forced to regression: numpy's ValueError ("could not convert
# string to float") escaped encode_array_targets.
@example(generated=Generated("numpy", "data.npz", {"data.npz": _npz(x=[[1.0], [2.0], [3.0]], y=[["a", "b"]] * 3)}))
@example(generated=Generated("numpy", "data.npz", {"data.npz": _npz(x=[[1.0], [2.0]], y=["a", "b"])},
                             {"task": "regression"}))
def test_damaged_numpy_files_are_inspected_or_refused(generated: Generated) -> None:
    _run(generated)
    if generated.path.endswith(".npy"):  # the training path reads it whole, not memory-mapped
        from visualnn.core.dataset import ArrayOptions
        from visualnn.services.datasets.arrays import load_arrays
        from visualnn.services.datasets.errors import DataError

        with tempfile.TemporaryDirectory(prefix="fuzz-") as folder:
            case = generated.write(Path(folder))
            try:
                load_arrays(case.path, ArrayOptions(), max_bytes=1 << 50)
            except DataError as exc:
                assert str(exc).strip()


@fuzz_settings(25)
@given(generated=STRATEGIES["images"])
def test_damaged_images_are_inspected_or_skipped(generated: Generated) -> None:
    _run(generated)
