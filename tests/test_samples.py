"""Every code sample on the "test your key" page runs, as readers copy it, against the stand-in.

The samples are taken from the built page (what a reader's copy button copies), paired with their
fenced block in docs/test-key.md so a failure names the page and line. Only the base URL changes,
through the environment variable the SDKs and the curl sample read (`OPENAI_BASE_URL`).
"""

from __future__ import annotations

import os
import re
import shutil
import subprocess
import sys
from dataclasses import dataclass
from pathlib import Path

import pytest
from bs4 import BeautifulSoup

from checks.standin import StandIn
from keyguide.facts import ROOT

PAGE = "test-key.md"
RUNNERS = {"bash": "curl", "python": "python", "javascript": "node"}
NODE_MODULES = ROOT / "tests" / "node" / "node_modules"
GOOD_KEY = "sk-standin-ok-sample-run"


@dataclass(frozen=True)
class Sample:
    language: str
    code: str
    line: int  # the fence's line in docs/test-key.md

    @property
    def where(self) -> str:
        return f"docs/{PAGE}:{self.line}"


def fenced_lines(source: str) -> list[tuple[str, int]]:
    """(language, line) of each runnable fenced block in a page source."""
    fences = re.finditer(r"^[ \t]*```(bash|python|javascript)\s*$", source, re.MULTILINE)
    return [(m.group(1), source.count("\n", 0, m.start()) + 1) for m in fences]


def page_samples(built_site: Path) -> list[Sample]:
    html = (built_site / "test-key" / "index.html").read_text(encoding="utf-8")
    article = BeautifulSoup(html, "html.parser").select_one("article")
    assert article is not None
    blocks = [
        (lang, div.select_one("code"))
        for div in article.select("div.highlight")
        for lang in RUNNERS
        if f"language-{lang}" in div.get("class", [])
    ]
    sources = fenced_lines((ROOT / "docs" / PAGE).read_text(encoding="utf-8"))
    assert [lang for lang, _ in blocks] == [lang for lang, _ in sources], "built samples and fences differ"
    return [
        Sample(lang, code.get_text(), line) for (lang, code), (_, line) in zip(blocks, sources, strict=True) if code
    ]


def run_sample(sample: Sample, tmp_path: Path, env: dict[str, str]) -> subprocess.CompletedProcess[str]:
    if sample.language == "bash":
        command = ["bash", "-c", sample.code]
    elif sample.language == "python":
        script = tmp_path / "test_key.py"
        script.write_text(sample.code, encoding="utf-8")
        command = [sys.executable, str(script)]
    else:
        # ESM resolves packages from the script's own folder, so give the script a node_modules.
        (tmp_path / "node_modules").symlink_to(NODE_MODULES, target_is_directory=True)
        script = tmp_path / "test-key.mjs"
        script.write_text(sample.code, encoding="utf-8")
        command = ["node", str(script)]
    return subprocess.run(command, env=env, cwd=tmp_path, capture_output=True, text=True, timeout=60, check=False)


def sample_env(standin: StandIn, key: str | None) -> dict[str, str]:
    env = {k: v for k, v in os.environ.items() if not k.startswith("OPENAI_")}
    env["OPENAI_BASE_URL"] = f"{standin.base_url}/api.openai.com/v1"
    if key is not None:
        env["OPENAI_API_KEY"] = key
    return env


@pytest.fixture(scope="module")
def samples(built_site: Path) -> dict[str, Sample]:
    found = page_samples(built_site)
    return {s.language: s for s in found}


def test_the_page_has_curl_python_and_node_samples(samples: dict[str, Sample]) -> None:
    assert sorted(samples) == sorted(RUNNERS), f"docs/{PAGE} should show a sample per runner: {sorted(samples)}"


def _require_runner(language: str) -> None:
    tool = RUNNERS[language]
    if shutil.which(tool) is None:
        pytest.fail(f"{tool} is not installed; `make test` installs what the samples need")
    if language == "javascript" and not (NODE_MODULES / "openai").exists():
        pytest.fail("tests/node/node_modules is missing; run `make install-test` (npm ci in tests/node)")


@pytest.mark.parametrize("language", list(RUNNERS))
def test_sample_lists_models_with_a_working_key(
    language: str, samples: dict[str, Sample], standin: StandIn, tmp_path: Path
) -> None:
    _require_runner(language)
    sample = samples[language]
    done = run_sample(sample, tmp_path, sample_env(standin, GOOD_KEY))
    output = done.stdout + done.stderr
    assert done.returncode == 0, f"{sample.where}: the {language} sample failed (exit {done.returncode}):\n{output}"
    served = standin.requests.find(method="GET", url_prefix="https://api.openai.com/v1/models")
    assert served, f"{sample.where}: the {language} sample never called GET /v1/models"
    sent = served[-1].headers.get("authorization", "")
    # The stand-in's log masks keys (prefix and last 4 characters stay).
    assert sent.startswith("Bearer sk-standin-") and sent.endswith(GOOD_KEY[-4:]), (
        f"{sample.where}: key not sent as a Bearer token ({sent!r})"
    )
    assert "gpt-" in output, f"{sample.where}: the {language} sample printed no model ids:\n{output}"


@pytest.mark.parametrize("language", list(RUNNERS))
@pytest.mark.parametrize("key", ["sk-proj-not-a-real-key-0000", None], ids=["invalid-key", "no-key"])
def test_sample_fails_loudly_without_a_valid_key(
    language: str, key: str | None, samples: dict[str, Sample], standin: StandIn, tmp_path: Path
) -> None:
    _require_runner(language)
    sample = samples[language]
    done = run_sample(sample, tmp_path, sample_env(standin, key))
    output = done.stdout + done.stderr
    assert done.returncode != 0, f"{sample.where}: the {language} sample exited 0 with a bad key:\n{output}"
    if key is not None:
        assert "401" in output or "invalid_api_key" in output or "Incorrect API key" in output, (
            f"{sample.where}: the {language} sample does not show OpenAI's error:\n{output}"
        )
