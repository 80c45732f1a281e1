"""Page drift by addition: one item per page a fact cites (`-m pages`) and per watched page (`-m watch`),
compared with its baseline: new, removed or reworded sentences no quote relies on, and new changelog
entries that name a keyword, are review (checks/drift/sentences.py, watch.py).

The documents are read in the same batch as the source checks' (checks/conftest.py `documents`),
so no page is fetched twice from a rate-limited site.
"""

from __future__ import annotations

import pytest

from checks.drift.plugin import DriftSession, session_of, settle_compared
from checks.drift.reading import Batch, check_page, check_watch
from checks.drift.sentences import PageCase
from checks.drift.watch import WatchCase
from keyguide.baselines import pages


def pytest_generate_tests(metafunc: pytest.Metafunc) -> None:
    facts = session_of(metafunc.config).facts
    if "page_case" in metafunc.fixturenames:
        cases = [PageCase.of(page) for page in pages(facts)]
        metafunc.parametrize("page_case", cases, ids=[case.id for case in cases])
    if "watch_case" in metafunc.fixturenames:
        watched = [WatchCase.of(watch_id, page) for watch_id, page in facts.watch.items()]
        metafunc.parametrize("watch_case", watched, ids=[case.id for case in watched])


@pytest.mark.pages
def test_page(page_case: PageCase, documents: Batch, drift: DriftSession) -> None:
    settle_compared(drift, check_page(page_case, documents, drift.baselines))


@pytest.mark.watch
def test_watched_page(watch_case: WatchCase, documents: Batch, drift: DriftSession) -> None:
    settle_compared(drift, check_watch(watch_case, documents, drift.baselines))
