"""Link drift: one item per external link (`-m links`, `-k links.quickstart`).

Items are made at collection time from a fresh strict build of the guide (or `--link-site DIR`) plus
every `links.*` fact. The first item checks the whole selected batch concurrently (one client, the
session's remapper, polite limits); each item then settles its own precomputed Result.
"""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path

import pytest

from checks.drift.links import Collected, LinkCache, LinkSettings, LinkTarget, check_links, collect
from checks.drift.outcomes import Result
from checks.drift.plugin import DriftSession, session_of

COLLECTED = pytest.StashKey[Collected]()


def collected(config: pytest.Config) -> Collected:
    """The guide's links, collected once per run."""
    if COLLECTED not in config.stash:
        site = config.getoption("link_site")
        config.stash[COLLECTED] = collect(session_of(config).facts, Path(site) if site else None)
    return config.stash[COLLECTED]


def marker_selectable(config: pytest.Config, marker: str) -> bool:
    """Whether `-m` can select an item that carries only `marker` (True when unsure)."""
    expression = config.option.markexpr
    if not expression:
        return True
    try:
        from _pytest.mark.expression import Expression  # pytest's own `-m` grammar (pinned pytest)

        return Expression.compile(expression).evaluate(lambda name, /, **kwargs: name == marker and not kwargs)
    except Exception:  # a newer pytest moved it: collect, and let pytest deselect
        return True


def pytest_generate_tests(metafunc: pytest.Metafunc) -> None:
    if "link" in metafunc.fixturenames:
        # `-m ui` (or "not links") selects no link: don't build the guide just to deselect them.
        targets = collected(metafunc.config).targets if marker_selectable(metafunc.config, "links") else []
        metafunc.parametrize("link", targets, ids=[t.id for t in targets])


@pytest.fixture(scope="session")
def link_results(request: pytest.FixtureRequest, drift: DriftSession) -> dict[str, Result]:
    """Every selected link, checked at once (so `-k` checks only what it selects)."""
    targets: list[LinkTarget] = []
    for item in request.session.items:
        callspec = getattr(item, "callspec", None)
        if callspec is not None and isinstance(callspec.params.get("link"), LinkTarget):
            targets.append(callspec.params["link"])
    config = request.config
    cache_path = config.getoption("link_cache")
    cache = LinkCache(Path(cache_path), config.getoption("link_cache_max_age")) if cache_path else None
    settings = LinkSettings.from_config(config)
    # With a usable session (--storage-state, or the stand-in's own), links behind sign-in are
    # re-checked in a signed-in browser instead of staying inconclusive.
    ui_options = request.getfixturevalue("ui_options") if targets else None
    session = ui_options.storage_state if ui_options and ui_options.session_problem is None else None
    unique = list({t.id: t for t in targets}.values())
    return check_links(unique, drift.remapper, drift.policy, settings, cache, session=session)


@pytest.mark.links
def test_link(link: LinkTarget, link_results: dict[str, Result], settle: Callable[[Result], None]) -> None:
    settle(link_results[link.id])


@pytest.mark.links
def test_site_links_collected(pytestconfig: pytest.Config) -> None:
    """The site's links can only be checked if the guide builds; the facts' links are checked regardless."""
    problem = collected(pytestconfig).build_error
    if problem:
        pytest.fail(problem, pytrace=False)
