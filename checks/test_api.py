"""API drift: one item per API fact (`-m api`, `-k invalid_api_key`)."""

from collections.abc import Callable

import httpx
import pytest

from checks.drift.api import ApiCase, api_cases
from checks.drift.outcomes import Result
from checks.drift.plugin import DriftSession
from keyguide.facts import load_facts

CASES = api_cases(load_facts())


@pytest.mark.api
@pytest.mark.parametrize("case", CASES, ids=[case.id for case in CASES])
def test_api(case: ApiCase, api_client: httpx.Client, drift: DriftSession, settle: Callable[[Result], None]) -> None:
    settle(case.run(api_client, drift.policy))
