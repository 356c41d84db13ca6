"""What both CSV parsers (Arrow's, in ``tables``, and the compiled one, in ``fast_numbers``) share: where a file
is cut into pieces, its first lines, and the memory pool of the columns they keep.

No TensorFlow, no Qt; pyarrow is imported when a function needs it.
"""

from __future__ import annotations

import os
from typing import Any

_TABLE_POOL: list[Any] = []


def table_pool() -> Any:
    """The Arrow memory pool of the columns the streaming loader keeps (narrowed float32): jemalloc, which hands
    freed pages straight back to the system (decay 0), else Arrow's default pool.

    The table is freed block by block while the tensors fill, and that memory must leave the process for the
    peak to stay low. The parser's scratch memory stays in the default pool (mimalloc), where it is recycled
    from piece to piece; kept columns allocated there too lie among the scratch pages and pin some 40 MB of
    them (1M x 20). Only the loader allocates from jemalloc, so its decay setting is the loader's own.
    """
    import pyarrow as pa

    if not _TABLE_POOL:
        try:
            pa.jemalloc_set_decay_ms(0)  # before the first allocation: it applies to the arenas made from now on
            pool = pa.jemalloc_memory_pool()
            # The arena jemalloc made when it started (by the call above) keeps the default decay of a second,
            # and the first thread that allocates is given it. Let that be this thread, which allocates little:
            # the parsing threads would otherwise free pages that stay a second after every release.
            pa.allocate_buffer(64, memory_pool=pool)
            _TABLE_POOL.append(pool)
        except NotImplementedError:
            _TABLE_POOL.append(pa.default_memory_pool())
    return _TABLE_POOL[0]


def release() -> None:
    """Hand the loader's freed memory back to the system now (the parser's scratch and the kept columns)."""
    import pyarrow as pa

    pa.default_memory_pool().release_unused()
    table_pool().release_unused()


def piece_cuts(path: str, start: int, piece_bytes: int) -> list[int]:
    """Offsets cutting ``path`` from ``start`` to its end into pieces of about ``piece_bytes``, each at a line start."""
    size = os.path.getsize(path)
    cuts = [start]
    while cuts[-1] < size:
        cuts.append(line_start(path, cuts[-1] + piece_bytes) if cuts[-1] + piece_bytes < size else size)
    return cuts


def line_start(path: str, offset: int) -> int:
    """The offset of the first line that starts at or after ``offset``."""
    with open(path, "rb") as fh:
        fh.seek(max(0, offset - 1))
        fh.readline()  # the rest of the line ``offset`` falls in (nothing when it starts a line)
        return fh.tell()


def head_bytes(path: str, n_lines: int) -> bytes:
    """The first ``n_lines`` lines of ``path``, line breaks included."""
    out = bytearray()
    with open(path, "rb") as fh:
        for _ in range(n_lines):
            line = fh.readline()
            if not line:
                break
            out += line
    return bytes(out)
