"""Forward compatibility: the guide built with Zensical keeps every page's steps, labels and metadata line.

The comparison itself is tested on hand-made HTML (always runs). The real comparison builds the guide
with MkDocs and with Zensical; it is skipped, with the reason, where Zensical is not installed.
"""

from __future__ import annotations

from pathlib import Path

import pytest

from keyguide.build import copy_project
from keyguide.pages import DOCS_DIR
from keyguide.zensical_check import Comparison, build_zensical, compare, compare_sites, extract, zensical_command

VERIFICATION = Path(__file__).parent / "fixtures" / "verification.json"

PAGE = """<html><body><article class="md-content__inner md-typeset">
<h1 id="page-title">How to create a key</h1>
<p class="guide-meta" data-guide-meta><span class="guide-meta__item">Last updated 2026-11-26</span>
<span aria-hidden="true">·</span><span class="guide-meta__item">Version 2</span>
<span data-guide-verified="no"><span>Not yet verified against OpenAI</span></span></p>
<h2 id="create">Create the key<a class="headerlink" href="#create">¶</a></h2>
<ol><li>Select <strong>Create new secret key</strong>.</li><li>Select <strong>Done</strong>.</li></ol>
<details class="guide-history"><ol><li>Version 2 · 2026-11-26</li></ol></details>
</article></body></html>"""


def test_extract_reads_what_a_reader_gets() -> None:
    page = extract(PAGE)
    assert page.title == ["How to create a key"]
    assert page.meta == ["Last updated 2026-11-26 · Version 2"]
    assert page.stamp == ["no: Not yet verified against OpenAI"]
    assert page.steps == ["Select Create new secret key.", "Select Done."]  # not the history list
    assert page.labels == ["Create new secret key", "Done"]
    assert page.headings == ["Create the key"]


def test_comparison_fails_on_lost_steps_labels_or_metadata(tmp_path: Path) -> None:
    mkdocs, zensical = tmp_path / "a", tmp_path / "b"
    built = {
        mkdocs: {"create-key/index.html": PAGE, "index.html": PAGE},
        zensical: {
            "create-key/index.html": PAGE.replace("<strong>Done</strong>", "Done"),
            "index.html": PAGE.replace("Version 2</span>", "Version 3</span>"),
        },
    }
    for site, files in built.items():
        for name, html in files.items():
            (site / name).parent.mkdir(parents=True, exist_ok=True)
            (site / name).write_text(html, encoding="utf-8")
    same, lost_meta, not_built = compare_sites(mkdocs, zensical, ["create-key.md", "index.md", "sign-up.md"])
    assert same.missing == {"labels": ["Done"]} and same.failed  # a label rendered as plain text is lost
    assert lost_meta.missing == {"meta": ["Last updated 2026-11-26 · Version 2"]}
    assert lost_meta.extra == {"meta": ["Last updated 2026-11-26 · Version 3"]}
    assert not_built.failed and "not built" in not_built.missing["page"][0]


@pytest.fixture(scope="module")
def comparison(tmp_path_factory: pytest.TempPathFactory) -> Comparison:
    command = zensical_command()
    if command is None:
        pytest.skip("Zensical is not installed: pip install -e '.[zensical]' (or set KEYGUIDE_ZENSICAL)")
    workdir = tmp_path_factory.mktemp("zensical")
    # A recorded run with drift on create-key.md, so stamps of every kind and the notices are compared.
    return compare(command, workdir, verification=VERIFICATION)


def test_zensical_keeps_steps_labels_and_metadata(comparison: Comparison) -> None:
    report = "\n".join(comparison.report())
    print(report)  # the per-page differences, shown with -s or on failure
    assert comparison.mkdocs.ok and comparison.zensical.ok, report
    assert comparison.diffs and not [d.page for d in comparison.diffs if d.failed], report


def test_zensical_shows_the_stamp_notices_history_and_whats_new(comparison: Comparison) -> None:
    """The parts that once came from MkDocs hooks: the stamp under every title, the drift notices on
    drifted steps, each page's history and the What's new list."""
    assert not [d.page for d in comparison.diffs if {"stamp", "notices", "history", "lists"} & set(d.missing)]
    mkdocs_site = comparison.mkdocs.site_dir
    create_key = extract((mkdocs_site / "create-key" / "index.html").read_text(encoding="utf-8"))
    assert create_key.stamp and create_key.stamp[0].startswith("drift:")
    assert create_key.notices and create_key.history
    whats_new = extract((mkdocs_site / "whats-new" / "index.html").read_text(encoding="utf-8"))
    assert len(whats_new.lists) >= len(list(DOCS_DIR.rglob("*.md")))


def test_zensical_path_refuses_a_broken_facts_file_with_one_line(tmp_path: Path) -> None:
    command = zensical_command()
    if command is None:
        pytest.skip("Zensical is not installed: pip install -e '.[zensical]' (or set KEYGUIDE_ZENSICAL)")
    project = copy_project(tmp_path / "project")
    facts = project / "facts.yml"
    facts.write_text(facts.read_text(encoding="utf-8").replace("    role: button\n", "    role: buton\n", 1))
    result = build_zensical(project, command)
    assert not result.ok
    errors = [line for line in result.output.splitlines() if line.startswith("error:")]
    assert len(errors) == 1 and errors[0].startswith("error: facts.yml: ui.") and ".role: Input should be" in errors[0]
    assert "Traceback" not in result.output
