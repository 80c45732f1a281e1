"""Fixtures for the project's tests."""

from collections.abc import Iterator

import pytest

from checks.standin import StandIn
from tests.skips import SkipGuard


def pytest_configure(config: pytest.Config) -> None:
    """On CI, a skip not on tests/allowed-skips.txt fails the run (xdist's controller sees every report)."""
    if not hasattr(config, "workerinput"):
        config.pluginmanager.register(SkipGuard(), "keyguide-skip-guard")


@pytest.fixture(scope="session")
def standin_server() -> Iterator[StandIn]:
    """One stand-in for the whole session (starting one takes ~20 ms, but why pay it per test)."""
    with StandIn() as server:
        yield server


@pytest.fixture
def standin(standin_server: StandIn) -> Iterator[StandIn]:
    """The running stand-in, with no faults, an empty request log and no canary.

    It is shared, so a request an earlier test gave up on (a timeout against a slow answer) must be
    answered and logged before this test's log starts."""
    if not standin_server.settle():
        pytest.fail("the shared stand-in is still answering a request of an earlier test after 5 s")
    standin_server.faults.clear()
    standin_server.requests.clear()
    standin_server.canary = None
    yield standin_server
    standin_server.faults.clear()


# -- The built site (owner: site and theme) -------------------------------------------------------
# The real site is built once per session from a copy of the project (keyguide.build), so tests that
# read its output share one strict build and none of them can disturb the working tree.

from pathlib import Path  # noqa: E402

from keyguide.build import BuildResult, build_site, copy_project  # noqa: E402


@pytest.fixture(scope="session")
def site_build(tmp_path_factory: pytest.TempPathFactory) -> BuildResult:
    """The strict build of a copy of the project (built once; its output and exit code)."""
    project = copy_project(tmp_path_factory.mktemp("site-project"))
    return build_site(project)


@pytest.fixture(scope="session")
def built_site(site_build: BuildResult) -> Path:
    """The directory of the real site, built strictly; fails the requesting test if the build failed."""
    if not site_build.ok:
        tail = "\n".join(site_build.output.splitlines()[-15:])
        pytest.fail(f"`mkdocs build --strict` failed (exit {site_build.returncode}):\n{tail}", pytrace=False)
    return site_build.site_dir
