"""ui drift checks (in progress)."""

from __future__ import annotations

import pytest


def add_options(group: pytest.OptionGroup) -> None:
    """Command-line options of the ui checks; called by the drift plugin."""
