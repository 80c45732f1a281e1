"""Source drift: one item per fact whose source has a quote (`-m sources`, `-k values.min_purchase`).

The first item checks the whole selected batch concurrently (checks/drift/sources.py: the link
checker's fetcher, limits and browser re-check, each distinct page read once, together with the
pages the page baselines read: checks/conftest.py `documents`); each item then settles its own
precomputed Result, like checks/test_links.py.
"""

from __future__ import annotations

from collections.abc import Callable

import pytest

from checks.drift.outcomes import Result
from checks.drift.plugin import session_of
from checks.drift.reading import Batch
from checks.drift.sources import SourceCase, source_cases


def pytest_generate_tests(metafunc: pytest.Metafunc) -> None:
    if "source_case" in metafunc.fixturenames:
        cases = source_cases(session_of(metafunc.config).facts)
        metafunc.parametrize("source_case", cases, ids=[case.id for case in cases])


@pytest.fixture(scope="session")
def source_results(documents: Batch) -> dict[str, Result]:
    """Every selected source, checked at once (so `-k` checks only what it selects)."""
    return documents.sources


@pytest.mark.sources
def test_source(source_case: SourceCase, source_results: dict[str, Result], settle: Callable[[Result], None]) -> None:
    settle(source_results[source_case.id])
