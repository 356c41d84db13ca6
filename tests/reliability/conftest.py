"""The window fixtures of tests/ui (``shell``: the real MainWindow with a fake engine) for the reliability tests."""

from tests.ui.conftest import client, fake_engine, settings, shell

__all__ = ["client", "fake_engine", "settings", "shell"]
