"""Source drift: one item per fact whose source has a quote (`-m sources`, `-k values.min_purchase`).

The first item checks the whole selected batch concurrently (checks/drift/sources.py: the link
checker's fetcher, limits and browser re-check, each distinct page read once); each item then
settles its own precomputed Result, like checks/test_links.py.
"""

from __future__ import annotations

from collections.abc import Callable

import pytest

from checks.drift.links import LinkSettings
from checks.drift.outcomes import Result
from checks.drift.plugin import DriftSession, session_of
from checks.drift.sources import SourceCase, check_sources, source_cases


def pytest_generate_tests(metafunc: pytest.Metafunc) -> None:
    if "source_case" in metafunc.fixturenames:
        cases = source_cases(session_of(metafunc.config).facts)
        metafunc.parametrize("source_case", cases, ids=[case.id for case in cases])


@pytest.fixture(scope="session")
def source_results(request: pytest.FixtureRequest, drift: DriftSession) -> dict[str, Result]:
    """Every selected source, checked at once (so `-k` checks only what it selects)."""
    cases: dict[str, SourceCase] = {}
    for item in request.session.items:
        callspec = getattr(item, "callspec", None)
        case = None if callspec is None else callspec.params.get("source_case")
        if isinstance(case, SourceCase):
            cases[case.id] = case
    settings = LinkSettings.from_config(request.config)
    return check_sources(list(cases.values()), drift.remapper, drift.policy, settings)


@pytest.mark.sources
def test_source(source_case: SourceCase, source_results: dict[str, Result], settle: Callable[[Result], None]) -> None:
    settle(source_results[source_case.id])
