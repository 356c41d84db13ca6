"""Types of the compiled reader of plain-number tables (``_fast_numbers.c``; see ``fast_numbers.py``).

``data`` and each of ``outs`` and ``valid`` is any object with the buffer protocol (bytes, a pyarrow Buffer;
``outs`` and ``valid`` writable).
"""

from collections.abc import Sequence
from typing import Any

FRACTION: int
LONG_INT: int
MISSING: int

def lines(data: Any, /) -> int: ...
def parse(
    data: Any, delimiter: str, decimal: str, kinds: bytes, outs: Sequence[Any], valid: Sequence[Any], capacity: int, /
) -> tuple[int, bytes, int]: ...
