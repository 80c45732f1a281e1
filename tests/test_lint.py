"""The page lint: the real pages are clean, and each rule fires at the right file and line.

Why: the lint is what keeps labels, links and wording tied to facts.yml between builds; a rule that
never fires, or fires on the wrong line, is worse than none because writers stop trusting it.
"""

from __future__ import annotations

import shutil
import subprocess
import sys
from pathlib import Path

import pytest

from keyguide.facts import FACTS_PATH, ROOT, load_facts
from keyguide.lint import Problem, lint_pages
from keyguide.pages import DOCS_DIR
from keyguide.platform import read_site_config

FRONT = "---\ntitle: A fixture page\ndescription: A page that the lint tests write to check one rule.\n---\n"


def test_real_pages_lint_clean() -> None:
    problems = lint_pages(DOCS_DIR, FACTS_PATH, ROOT / "mkdocs.yml")
    assert not problems, "\n".join(map(str, problems))


@pytest.fixture
def docs(tmp_path: Path) -> Path:
    """An empty docs/ beside a copy of mkdocs.yml (for our platform's labels)."""
    shutil.copy(ROOT / "mkdocs.yml", tmp_path / "mkdocs.yml")
    (tmp_path / "docs").mkdir()
    return tmp_path / "docs"


def lint_one(docs: Path, body: str, rule: str) -> list[Problem]:
    """Lint one fixture page (front matter is lines 1-4, so the body starts on line 5)."""
    (docs / "page.md").write_text(FRONT + body, encoding="utf-8")
    return [p for p in lint_pages(docs, FACTS_PATH) if p.rule == rule and p.path == "docs/page.md"]


def where(problems: list[Problem]) -> list[str]:
    return [f"{p.path}:{p.line}" for p in problems]


def test_literal_bold_names_the_macro(docs: Path) -> None:
    ui_id, ui = next(iter(load_facts().ui.items()))
    body = f'Intro.\n\n1. Select **{ui.name}**.\n2. Select {{{{ ui("{ui_id}") }}}}.\n'
    problems = lint_one(docs, body, "literal-bold")
    assert where(problems) == ["docs/page.md:7"]
    assert f"literal bold '{ui.name}'" in problems[0].message
    assert f'{{{{ ui("{ui_id}") }}}}' in problems[0].message


def test_literal_bold_of_our_platform_label_names_platform_ui(docs: Path) -> None:
    config = read_site_config(docs.parent / "mkdocs.yml")  # mkdocs.yml has !ENV tags
    label_id, label = next(iter(config["extra"]["platform"]["labels"].items()))
    problems = lint_one(docs, f"Then __{label}__ it.\n", "literal-bold")
    assert where(problems) == ["docs/page.md:5"]
    assert f'platform_ui("{label_id}")' in problems[0].message


def test_bold_in_html_and_around_a_macro_is_literal_bold_too(docs: Path) -> None:
    body = 'One <strong>Thing</strong>.\n\nTwo **{{ value("default_project") }}**.\n'
    assert where(lint_one(docs, body, "literal-bold")) == ["docs/page.md:5", "docs/page.md:7"]


def test_literal_url_in_a_link_names_the_link_fact(docs: Path) -> None:
    fact_id, fact = next(iter(load_facts().links.items()))
    problems = lint_one(docs, f"Intro.\n\nRead [the guide]({fact.url}).\n", "literal-url")
    assert where(problems) == ["docs/page.md:7"]
    assert f'{{{{ link("{fact_id}") }}}}' in problems[0].message


def test_unknown_url_says_to_add_it_to_facts(docs: Path) -> None:
    problems = lint_one(docs, 'See <a href="https://unknown.invalid-host.org/x">it</a>.\n', "literal-url")
    assert where(problems) == ["docs/page.md:5"]
    assert "add it to facts.yml `links`" in problems[0].message


def test_bare_urls_in_prose(docs: Path) -> None:
    body = 'Go to https://platform.openai.com/ now.\n\nOr {{ url("api_keys") }}.\n\n[ok]({{ url("api_keys") }})\n'
    assert where(lint_one(docs, body, "bare-url")) == ["docs/page.md:5", "docs/page.md:7"]


def test_urls_in_code(docs: Path) -> None:
    body = (
        "```bash\n"
        'curl {{ api("models") }}\n'  # rendered by a macro: fine
        "curl http://localhost:8000/v1 https://api.example.com/x\n"  # local and example hosts: fine
        "curl https://api.openai.com/v1/models\n"  # typed in: line 8
        "```\n\n"
        "Call `https://api.openai.com/v1/models` or `http://127.0.0.1:9/x`.\n"  # line 11
    )
    problems = lint_one(docs, body, "literal-url")
    assert where(problems) == ["docs/page.md:8", "docs/page.md:11"]
    assert 'api("models")' in problems[0].message


def test_style_rules_fire_on_their_lines(docs: Path) -> None:
    body = (
        "Click on the button.\n"  # 5
        "Please enter a name.\n"  # 6
        "The menu in the upper-right corner.\n"  # 7
        "Use the left pane, as shown above.\n"  # 8
        "Keep spending below $50 and above 10 requests; pick the right project.\n"  # 9: no problem
    )
    (docs / "page.md").write_text(FRONT + body, encoding="utf-8")
    found = {(p.rule, p.line) for p in lint_pages(docs, FACTS_PATH) if p.path == "docs/page.md"}
    assert found == {("click-on", 5), ("please", 6), ("directional", 7), ("directional", 8)}


def test_style_rules_skip_code_macros_comments_and_allowed_lines(docs: Path) -> None:
    body = (
        "```text\nPlease click on the button below. **Bold** https://evil.invalid/\n```\n"  # 5-7
        "    ~~~\n    please **x**\n    ~~~\n"  # 8-10: indented fence (inside a list or tab)
        "Type `please click on **this**` here.\n"  # 11
        '{{ error("invalid_api_key", "message") }} and <!-- please see below -->\n'  # 12
        "{# lint: allow directional #}\n"  # 13
        "The table below lists them.\n"  # 14: allowed by the line before
        "And the one above too.\n"  # 15: not allowed
    )
    (docs / "page.md").write_text(FRONT + body, encoding="utf-8")
    found = [(p.rule, p.line) for p in lint_pages(docs, FACTS_PATH) if p.path == "docs/page.md"]
    assert found == [("directional", 15)]


def test_every_fact_is_used_secret_patterns_exempt(tmp_path: Path) -> None:
    facts = tmp_path / "facts.yml"
    lines = FACTS_PATH.read_text(encoding="utf-8").rstrip("\n").split("\n")
    at = next(i for i, line in enumerate(lines) if line.startswith("links:")) + 1
    entry = [
        "  lint_fixture_unused:",
        "    url: https://platform.openai.com/docs/lint-fixture",
        "    title: A link no page uses",
        '    source: {ref: "tests/test_lint.py", confidence: Inf}',
    ]
    facts.write_text("\n".join(lines[:at] + entry + lines[at:]) + "\n", encoding="utf-8")
    problems = [p for p in lint_pages(DOCS_DIR, facts, ROOT / "mkdocs.yml") if p.rule == "unused-fact"]
    assert [str(p) for p in problems] == [
        f"facts.yml:{at + 1}: links.lint_fixture_unused is stated by no page: use it with "
        '{{ link("lint_fixture_unused") }} or remove it from facts.yml'
    ]
    assert load_facts(facts).secret_patterns, "the exemption is only proven while secret_patterns exist"


def test_cli_prints_file_line_and_exits_1(docs: Path) -> None:
    (docs / "page.md").write_text(FRONT + "Please select it.\n", encoding="utf-8")
    result = subprocess.run(
        [sys.executable, "-m", "keyguide.lint", str(docs)], capture_output=True, text=True, cwd=ROOT, check=False
    )
    assert result.returncode == 1
    assert "docs/page.md:5: 'Please': drop it" in result.stdout
    clean = subprocess.run(
        [sys.executable, "-m", "keyguide.lint"], capture_output=True, text=True, cwd=ROOT, check=False
    )
    assert clean.returncode == 0, clean.stdout + clean.stderr
