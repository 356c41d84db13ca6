"""``python -m visualnn.engine``: start the TensorFlow engine serving protocol jobs on stdin/stdout."""

from __future__ import annotations

import sys

from visualnn.engine.server import main

if __name__ == "__main__":
    sys.exit(main())
