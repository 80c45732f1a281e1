"""The drift suite: `pytest checks [--target standin] [--remap FROM=TO] [--drift-report PATH]`.

The plugin (checks/drift/plugin.py) holds the options and the run's state; the fixtures here are
what the test modules ask for.
"""

from __future__ import annotations

from collections.abc import Callable, Iterator

import httpx
import pytest

from checks.drift.http import sync_client
from checks.drift.outcomes import Result
from checks.drift.plugin import PLUGIN_NAME, DriftSession, add_options, session_of
from checks.drift.plugin import settle as settle_result


def pytest_addoption(parser: pytest.Parser) -> None:
    add_options(parser)


def pytest_configure(config: pytest.Config) -> None:
    if not config.pluginmanager.has_plugin(PLUGIN_NAME):
        config.pluginmanager.register(DriftSession(config), PLUGIN_NAME)


@pytest.fixture(scope="session")
def drift(pytestconfig: pytest.Config) -> DriftSession:
    return session_of(pytestconfig)


@pytest.fixture
def settle(drift: DriftSession) -> Callable[[Result], None]:
    return lambda result: settle_result(drift, result)


@pytest.fixture(scope="session")
def api_client(drift: DriftSession) -> Iterator[httpx.Client]:
    with sync_client(drift.remapper, drift.policy) as client:
        yield client
