"""Run VisualNN with ``python -m visualnn``."""

from visualnn.cli import main

raise SystemExit(main())
