"""Fuzz the compiled CSV number reader under AddressSanitizer and UndefinedBehaviorSanitizer.

    python scripts/fuzz_fast_numbers.py [--cases 60000] [--seed 1]

Builds ``visualnn/services/datasets/_fast_numbers.c`` with ``-fsanitize=address,undefined`` into a temporary
folder, then parses random short texts (digits, signs, points, exponents, delimiters, quotes, CR and LF, spaces,
letters) in a child Python that runs with the sanitizers preloaded and the system allocator (``PYTHONMALLOC=
malloc``), every input and output in a NumPy array of exactly its size: a read or write one byte past any of
them stops the child with the sanitizer's report. Exits non-zero on any report. Needs gcc with libasan and
libubsan (Debian: ``apt-get install gcc``). Not part of the test suite: it takes a compiler run and a minute.
"""

from __future__ import annotations

import argparse
import os
import subprocess
import sys
import sysconfig
import tempfile

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
SOURCE = os.path.join(ROOT, "visualnn", "services", "datasets", "_fast_numbers.c")

CHILD = r"""
import random, sys
import numpy as np
sys.path.insert(0, sys.argv[1])
import _fast_numbers as reader
random.seed(int(sys.argv[2]))
alphabet = b"0123456789-+.eE,;\t\n\r \"x"
for case in range(int(sys.argv[3])):
    text = bytes(random.choice(alphabet) for _ in range(random.randint(0, 80)))
    data = np.frombuffer(text, dtype=np.uint8).copy() if text else text
    kinds = bytes(random.choice(b"fd") for _ in range(random.randint(1, 4)))
    capacity = reader.lines(data)
    outs = [np.empty(capacity, dtype=np.float32 if k == ord("f") else np.float64) for k in kinds]
    valid = [np.empty((capacity + 7) // 8, dtype=np.uint8) for _ in kinds]
    rows, flags, failed = reader.parse(data, ",", ".", kinds, outs, valid, capacity)
    assert 0 <= rows <= capacity and len(flags) == len(kinds), (text, rows, capacity)
print(f"{sys.argv[3]} random texts parsed, no sanitizer report")
"""


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--cases", type=int, default=60000)
    parser.add_argument("--seed", type=int, default=1)
    args = parser.parse_args()
    with tempfile.TemporaryDirectory() as folder:
        target = os.path.join(folder, "_fast_numbers" + sysconfig.get_config_var("EXT_SUFFIX"))
        subprocess.run(["gcc", "-O1", "-g", "-fsanitize=address,undefined", "-fno-sanitize-recover=undefined",
                        "-fno-omit-frame-pointer", "-fPIC", "-shared", f"-I{sysconfig.get_paths()['include']}",
                        SOURCE, "-o", target], check=True)
        preload = ":".join(subprocess.run(["gcc", f"-print-file-name={lib}"], capture_output=True, text=True,
                                          check=True).stdout.strip() for lib in ("libasan.so", "libubsan.so"))
        env = dict(os.environ, LD_PRELOAD=preload, PYTHONMALLOC="malloc", ASAN_OPTIONS="detect_leaks=0")
        done = subprocess.run([sys.executable, "-c", CHILD, folder, str(args.seed), str(args.cases)], env=env)
    return done.returncode


if __name__ == "__main__":
    sys.exit(main())
