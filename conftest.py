"""Shared by the drift suite (checks/) and the project's tests (tests/): which Chromium to launch."""

from typing import Any

import pytest

from checks.drift.browser import launch_options


@pytest.fixture(scope="session")
def browser_type_launch_args(browser_type_launch_args: dict[str, Any]) -> dict[str, Any]:
    """pytest-playwright's launch arguments, plus the system Chromium and quiet flags where needed."""
    return {**browser_type_launch_args, **launch_options()}
