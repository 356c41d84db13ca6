"""``python -m visualnn.cli``."""

from visualnn.cli import main

raise SystemExit(main())
