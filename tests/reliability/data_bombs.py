"""Crafted data files for the limit tests: zip bombs of .npy arrays, images whose header claims a huge size.

Each file is built without ever holding its inflated content in memory (zeros are deflated chunk by chunk).
"""

from __future__ import annotations

import struct
import zipfile
import zlib
from pathlib import Path

import numpy as np


def npy_header(shape: tuple[int, ...], dtype: str = "<f8") -> bytes:
    """A version 1.0 ``.npy`` header for a C-ordered array of ``shape`` and ``dtype``."""
    header = {"descr": dtype, "fortran_order": False, "shape": shape}
    import io

    out = io.BytesIO()
    np.lib.format.write_array_header_1_0(out, header)
    return out.getvalue()


def npz_bomb(path: Path, arrays: dict[str, tuple[int, ...]], chunk: int = 1 << 22) -> Path:
    """An ``.npz`` whose float64 arrays of zeros (``name: shape``) inflate to their full size but compress to ~0.1 %."""
    zeros = bytes(chunk)
    with zipfile.ZipFile(path, "w", zipfile.ZIP_DEFLATED, compresslevel=1) as zf:
        for name, shape in arrays.items():
            size = int(np.prod(shape)) * 8
            with zf.open(f"{name}.npy", "w", force_zip64=True) as fh:
                fh.write(npy_header(shape))
                left = size
                while left:
                    fh.write(zeros[: min(chunk, left)])
                    left -= min(chunk, left)
    return path


def png_header_only(path: Path, width: int, height: int) -> Path:
    """A tiny, valid-looking PNG (signature, IHDR, one empty IDAT, IEND) declaring ``width`` x ``height`` pixels."""

    def chunk(kind: bytes, data: bytes) -> bytes:
        return struct.pack(">I", len(data)) + kind + data + struct.pack(">I", zlib.crc32(kind + data) & 0xFFFFFFFF)

    ihdr = struct.pack(">IIBBBBB", width, height, 8, 2, 0, 0, 0)  # 8-bit RGB
    png = b"\x89PNG\r\n\x1a\n" + chunk(b"IHDR", ihdr) + chunk(b"IDAT", zlib.compress(b"")) + chunk(b"IEND", b"")
    path.write_bytes(png)
    return path
