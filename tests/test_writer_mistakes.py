"""Writer mistakes that used to pass silently or end in a traceback: each is now one exact line.

Why: a key written twice silently replaces the first, an impossible date or a stray Latin-1 byte
ended in a Python traceback, and text from facts or site configuration went into pages as raw HTML
(`R&D <Labs>` broke the page, `<script>` ran). Each case breaks one thing in a fresh copy of the
project, builds it for real, and checks the exact message and the exit status.
"""

from __future__ import annotations

import re
from pathlib import Path

import pytest
import yaml
from bs4 import BeautifulSoup

from keyguide.build import BuildResult, build_site, copy_project
from keyguide.facts import ROOT
from keyguide.platform import read_site_config
from keyguide.validate import DEPLOY_ENV, PLACEHOLDER_SITE_URL, SITE_URL_ENV, check_site_url

PAGE = "docs/create-key.md"
PREFIX = re.compile(r"^ERROR\s+-\s+")
# MkDocs' own framing around our message; not a second error.
FRAMING = re.compile(r"^(Error reading page '[^']+':|Aborted with a BuildError!)$")


def our_errors(result: BuildResult) -> list[str]:
    """The build's error lines without the `ERROR -` prefix and MkDocs' framing."""
    lines = [PREFIX.sub("", line.strip()) for line in result.output.splitlines() if line.startswith("ERROR")]
    return [line for line in lines if not FRAMING.match(line)]


def assert_fails_with(result: BuildResult, message: str) -> None:
    assert "Traceback" not in result.output, result.output[-2500:]
    assert our_errors(result) == [message], result.output[-2500:]
    assert result.returncode == 1, f"exit status {result.returncode}"


def line_of(path: Path, pattern: str, after: int = 0) -> int:
    """The 1-based number of the first line matching `pattern` after line `after`."""
    lines = path.read_text(encoding="utf-8").split("\n")
    return next(i + 1 for i, line in enumerate(lines) if i + 1 > after and re.search(pattern, line))


def insert_line(path: Path, at: int, text: str) -> None:
    """Insert `text` so that it becomes line `at` (1-based)."""
    lines = path.read_text(encoding="utf-8").split("\n")
    lines.insert(at - 1, text)
    path.write_text("\n".join(lines), encoding="utf-8")


@pytest.fixture
def project(tmp_path: Path) -> Path:
    return copy_project(tmp_path / "project")


DUPLICATE = "the second would silently replace the first"


def test_duplicate_entry_in_facts(project: Path) -> None:
    facts = project / "facts.yml"
    data = yaml.safe_load(facts.read_text(encoding="utf-8"))
    fact_id = next(iter(data["links"]))
    first = line_of(facts, rf"^  {fact_id}:")
    # A second entry with the same id at the end of the links section.
    end = line_of(facts, r"^\S", after=line_of(facts, r"^links:")) - 1
    while not facts.read_text(encoding="utf-8").split("\n")[end - 1].strip():
        end -= 1
    insert_line(facts, end + 1, f"  {fact_id}:\n    title: Another page\n    url: https://example.com/")
    message = f"facts.yml:{end + 1}: duplicate key links.{fact_id} (first at facts.yml:{first}): {DUPLICATE}"
    assert_fails_with(build_site(project), message)


def test_duplicate_key_in_front_matter(project: Path) -> None:
    page = project / PAGE
    first = line_of(page, r"^title:")
    insert_line(page, first + 1, "title: Create a key again")
    message = f"{PAGE}:{first + 1}: front matter: duplicate key title (first at {PAGE}:{first}): {DUPLICATE}"
    assert_fails_with(build_site(project), message)


def test_duplicate_key_in_mkdocs_yml(project: Path) -> None:
    config = project / "mkdocs.yml"
    first = line_of(config, r"^    name: ", after=line_of(config, r"^  platform:"))
    insert_line(config, first + 1, "    name: Another platform")
    message = f"mkdocs.yml:{first + 1}: duplicate key extra.platform.name (first at mkdocs.yml:{first}): {DUPLICATE}"
    assert_fails_with(build_site(project), message)


def test_impossible_date_in_front_matter(project: Path) -> None:
    page = project / PAGE
    at = line_of(page, r"^updated:")
    text = page.read_text(encoding="utf-8").split("\n")
    text[at - 1] = "updated: 2026-13-45"
    page.write_text("\n".join(text), encoding="utf-8")
    message = f"{PAGE}:{at}: front matter: updated: impossible date '2026-13-45' (month must be in 1..12)"
    assert_fails_with(build_site(project), message)


def test_page_that_is_not_utf8(project: Path) -> None:
    page = project / PAGE
    data = page.read_bytes()
    offset = data.index(b"\n\n", data.index(b"\n---\n") + 5) + 1  # the first empty line of the body
    page.write_bytes(data[:offset] + "Café\n".encode("latin-1") + data[offset:])
    bad = offset + 3  # "Caf" then the Latin-1 é
    line = data.count(b"\n", 0, offset) + 1
    message = f"{PAGE}:{line}: not UTF-8: byte 0xe9 at byte offset {bad}; save the file as UTF-8"
    assert_fails_with(build_site(project), message)


# -- every string from facts or site configuration is shown as text, never parsed as HTML ------------

PLATFORM = "R&D <Labs>"
QUOTED = 'Create "secret" key'
SCRIPT = "<script>alert('kg')</script>"


def _set_platform(config: Path) -> None:
    text = config.read_text(encoding="utf-8")
    text = text.replace("    name: Relay\n", f"    name: '{PLATFORM}'\n", 1)
    text = text.replace("      save: Save\n", f"      save: 'Save {SCRIPT.replace(chr(39), chr(39) * 2)}'\n", 1)
    assert PLATFORM in text and "alert(''kg'')" in text
    config.write_text(text, encoding="utf-8")


def _set_facts(facts: Path) -> tuple[str, str]:
    """A ui label with quotes, a link title and an error fix with a script; returns (link id, error id)."""
    data = yaml.safe_load(facts.read_text(encoding="utf-8"))
    data["ui"]["create_key_button"]["name"] = QUOTED
    link_id = "api_keys"
    data["links"][link_id]["title"] = f"API keys {SCRIPT}"
    error_id = next(iter(data["errors"]))
    data["errors"][error_id]["fix"] = f"Retry & see {SCRIPT} then {PLATFORM}."
    facts.write_text(yaml.safe_dump(data, sort_keys=False, allow_unicode=True), encoding="utf-8")
    return link_id, error_id


def test_strings_from_facts_and_config_are_escaped(project: Path) -> None:
    _set_platform(project / "mkdocs.yml")
    _set_facts(project / "facts.yml")
    result = build_site(project)
    assert result.ok, result.output[-2500:]
    site = result.site_dir
    for html in site.rglob("*.html"):
        soup = BeautifulSoup(html.read_text(encoding="utf-8"), "html.parser")
        injected = [tag for tag in soup.find_all("script") if "alert(" in tag.get_text()]
        assert not injected, f"{html.relative_to(site)}: a fact's <script> became a tag"
        assert not soup.find_all("labs"), f"{html.relative_to(site)}: the platform name became a tag"

    def text_of(page: str) -> str:
        return BeautifulSoup((site / page / "index.html").read_text(encoding="utf-8"), "html.parser").get_text()

    connect = text_of("connect")
    assert f"In {PLATFORM}, go to" in connect  # {{ platform.name }} and platform_path()
    assert f"Select Save {SCRIPT}." in connect  # platform_ui()
    create = text_of("create-key")
    assert f"Select {QUOTED}" in create  # ui()
    assert f"API keys {SCRIPT}" in create  # link() title
    troubleshooting = text_of("troubleshooting")
    assert f"Retry & see {SCRIPT} then {PLATFORM}." in troubleshooting  # error_table() cell
    raw = (site / "connect" / "index.html").read_text(encoding="utf-8")
    assert "R&amp;D &lt;Labs&gt;" in raw


# -- the published address ------------------------------------------------------------------------------


def test_deploy_build_refuses_the_placeholder_site_url(project: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    """Deployed with the placeholder, every canonical link and the sitemap would name someone else's site."""
    monkeypatch.delenv(SITE_URL_ENV, raising=False)
    monkeypatch.setenv(DEPLOY_ENV, "1")
    message = (
        f"mkdocs.yml: site_url is still the placeholder {PLACEHOLDER_SITE_URL} in a deploy build (KEYGUIDE_DEPLOY=1): "
        "set KEYGUIDE_SITE_URL to the published address (deploy.yml takes it from actions/configure-pages)"
    )
    assert_fails_with(build_site(project), message)


def test_deploy_build_uses_the_address_it_is_given(project: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv(DEPLOY_ENV, "1")
    monkeypatch.setenv(SITE_URL_ENV, "https://acme.github.io/openai-key-guide")  # configure-pages: no trailing /
    result = build_site(project)
    assert result.ok, result.output[-2500:]
    page = (result.site_dir / "create-key" / "index.html").read_text(encoding="utf-8")
    assert '<link rel="canonical" href="https://acme.github.io/openai-key-guide/create-key/">' in page
    assert PLACEHOLDER_SITE_URL not in (result.site_dir / "sitemap.xml").read_text(encoding="utf-8")


def test_preview_and_tests_build_with_the_placeholder(monkeypatch: pytest.MonkeyPatch) -> None:
    """Offline builds (make preview, the tests) need no address; mkdocs.yml's default is the guarded one."""
    monkeypatch.delenv(SITE_URL_ENV, raising=False)
    monkeypatch.delenv(DEPLOY_ENV, raising=False)
    assert read_site_config(ROOT / "mkdocs.yml")["site_url"] == PLACEHOLDER_SITE_URL
    check_site_url(PLACEHOLDER_SITE_URL, "mkdocs.yml")  # no error without KEYGUIDE_DEPLOY
