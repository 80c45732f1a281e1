"""The corrections of the content issue stay corrected (issue 11).

Why: each of these was wrong in the published guide and no link, UI or API check could notice: a
"none" that claims to know an undocumented error code, a missing troubleshooting row for Read Only
keys, "a hard limit guarantees the cap", a rate-limit article cited as the usage-limit one, the
phone-verification note after the step it interrupts. Each test fails on that regression. The
platform's scopes and egress addresses are site configuration: a page that types them, or a config
that lacks them, must fail.
"""

from __future__ import annotations

import re
from pathlib import Path

import pytest

from keyguide.build import build_site, copy_project
from keyguide.facts import FactsError, load_facts
from keyguide.macros import error_table
from keyguide.pages import DOCS_DIR, split_front_matter
from keyguide.platform import platform_config, site_extra
from keyguide.text import fold
from tests.test_build_errors import error_lines

ROOT = Path(__file__).resolve().parent.parent
DOCS = ROOT / "docs"
# RFC 5737 documentation ranges plus any dotted quad: a page must not type an address itself.
DOTTED_QUAD = re.compile(r"\b\d{1,3}(?:\.\d{1,3}){3}(?:/\d{1,2})?\b")


def _page(name: str) -> str:
    """A page's body (its front matter's changelog may name what was removed)."""
    _, body, _ = split_front_matter((DOCS / name).read_text(encoding="utf-8"), name)
    return str(body)


def _rows() -> dict[str, list[str]]:
    """The rendered error table, as error id → its cells."""
    rows = {}
    for line in error_table().splitlines()[2:]:
        cells = [cell.strip() for cell in line.strip("|").split("|")]
        found = re.search(r'id="error-([\w-]+)"', cells[0])
        assert found, line
        rows[found.group(1).replace("-", "_")] = cells
    return rows


# -- the troubleshooting table ---------------------------------------------------------------------


def test_an_unverified_code_reads_not_documented_never_none() -> None:
    facts = load_facts()
    rows = _rows()
    unverified = [fid for fid, fact in facts.errors.items() if "code" in fact.unverified]
    assert {"missing_api_key", "server_error"} <= set(unverified)
    for fact_id, cells in rows.items():
        assert cells[2] != "none", f"errors.{fact_id}: the code column says 'none'"
        if fact_id in unverified:
            assert cells[2] == "not documented", f"errors.{fact_id}: {cells[2]!r}"


def test_the_table_has_the_missing_scopes_row() -> None:
    fact = load_facts().errors["insufficient_permissions"]
    assert fact.status == 401 and "Missing scopes" in fact.message
    assert "insufficient_permissions" in _rows()
    # ... and the page explains it, with how to edit the key's permissions.
    page = _page("troubleshooting.md")
    assert "{ #key-lacks-a-permission }" in page
    assert 'claim("edit_key_permissions")' in page


def test_usage_limit_is_openais_approved_limit_not_one_you_set() -> None:
    fact = load_facts().errors["organization_usage_limit_exceeded"]
    assert "approved" in fact.cause and "set for it" not in fact.cause
    assert 'claim("usage_limit_meaning")' in _page("troubleshooting.md")


def test_newer_error_wordings_are_listed() -> None:
    errors = load_facts().errors
    assert errors["server_error_2026"].code == "server_error"
    assert "for organization" in errors["rate_limit_organization"].message
    assert "must be reduced" in errors["request_too_large"].message
    assert {errors["project_model_access"].status, errors["model_not_found"].status} == {403, 404}


# -- statements that contradicted OpenAI -----------------------------------------------------------


def test_no_page_promises_that_a_hard_limit_guarantees_the_cap() -> None:
    for page in DOCS.glob("*.md"):
        assert "guarantee" not in _page(page.name).lower(), page.name
    assert 'claim("hard_limit_not_instant")' in _page("spend-limits.md")
    assert "## Set a spend alert" in _page("spend-limits.md")


def test_help_5955604_is_cited_as_the_rate_limit_article() -> None:
    """Cited under its newest title (issue 19): "How can I solve 429: 'Too Many Requests' errors?" was renamed."""
    links = [link for link in load_facts().links.values() if link.url.endswith("/5955604")]
    assert links and all(link.title == "Troubleshooting API rate limits and 429 errors" for link in links)
    assert all(link.source.quote == link.title for link in links)


def test_billing_does_not_rule_out_free_credit_or_refunds() -> None:
    for name in ("billing.md", "index.md"):
        text = fold(_page(name))
        assert "no free credit" not in text and "non-refundable." not in text, name
    assert 'claim("refund_exceptions")' in _page("billing.md")


def test_the_test_page_says_a_read_only_key_passes_it() -> None:
    page = _page("test-key.md")
    assert 'ui("permissions_read_only")' in page and "also succeeds" in page
    assert '=== "Windows PowerShell"' in page


def test_phone_verification_comes_before_the_first_step_it_interrupts() -> None:
    page = _page("create-key.md")
    assert page.index('ui("start_verification")') < page.index('ui("create_key_button")')


def test_the_invalid_key_fix_does_not_assume_a_kept_copy() -> None:
    page = _page("troubleshooting.md")
    section = page[page.index("{ #invalid-api-key }") : page.index("{ #no-api-key-sent }")]
    assert "If you have no copy" in section


def test_service_accounts_are_not_sent_to_the_default_project() -> None:
    assert 'claim("default_project_no_service_accounts")' in _page("create-key.md")
    assert 'the {{ value("default_project") }} is enough' not in _page("sign-up.md")


# -- claims carry their source ---------------------------------------------------------------------


def test_every_claim_is_quoted_and_rendered() -> None:
    facts = load_facts()
    assert len(facts.claims) >= 35
    pages = "\n".join(path.read_text(encoding="utf-8") for path in DOCS_DIR.glob("*.md"))
    for claim_id, claim in facts.claims.items():
        assert claim.source.url and claim.source.quote
        assert f'claim("{claim_id}")' in pages, f"claims.{claim_id} is on no page"


# -- the platform's scopes and egress addresses come from extra.platform ---------------------------


def test_no_page_types_an_ip_address() -> None:
    for page in DOCS.glob("*.md"):
        assert not DOTTED_QUAD.search(_page(page.name)), f"{page.name} types an address"


def test_a_bad_egress_address_is_a_clear_error() -> None:
    extra = site_extra(ROOT / "mkdocs.yml")
    platform = dict(extra["platform"], egress_addresses=["192.0.2.300"])
    with pytest.raises(FactsError, match=r"mkdocs\.yml: extra\.platform\.egress_addresses.*192\.0\.2\.300"):
        platform_config({"platform": platform}, "mkdocs.yml")


def _set_platform(project: Path, key: str, value: str) -> None:
    """Replace the one line `key: …` inside extra.platform of the copy's mkdocs.yml."""
    path = project / "mkdocs.yml"
    text, count = re.subn(rf"(?m)^(    {key}:).*$", rf"\1 {value}", path.read_text(encoding="utf-8"))
    assert count == 1, f"mkdocs.yml has no single extra.platform {key}"
    path.write_text(text, encoding="utf-8")


def _drop_platform(project: Path, key: str) -> None:
    """Remove `key:` and its indented block from extra.platform of the copy's mkdocs.yml."""
    path = project / "mkdocs.yml"
    lines = path.read_text(encoding="utf-8").split("\n")
    start = next(i for i, line in enumerate(lines) if line.startswith(f"    {key}:"))
    end = start + 1
    while end < len(lines) and lines[end].startswith("      "):
        end += 1
    del lines[start:end]
    path.write_text("\n".join(lines), encoding="utf-8")


def test_scopes_and_addresses_render_from_site_config(tmp_path: Path) -> None:
    project = copy_project(tmp_path / "project")
    _set_platform(project, "egress_addresses", "[203.0.113.99]")
    _drop_platform(project, "scopes")
    text = (project / "mkdocs.yml").read_text(encoding="utf-8")
    scopes = "    scopes:\n      - {resource: Files, permission: Read}\n"
    text = text.replace("    egress_addresses:", scopes + "    egress_addresses:")
    (project / "mkdocs.yml").write_text(text, encoding="utf-8")
    result = build_site(project)
    assert result.returncode == 0, result.output[-2000:]
    connect = (result.site_dir / "connect" / "index.html").read_text(encoding="utf-8")
    create = (result.site_dir / "create-key" / "index.html").read_text(encoding="utf-8")
    assert "203.0.113.99" in connect and "192.0.2.10" not in connect
    assert re.search(r"<td>Files</td>\s*<td>Read</td>", create)
    assert "Model capabilities" not in create


@pytest.mark.parametrize("field", ["scopes", "egress_addresses"])
def test_a_missing_platform_field_is_one_clear_build_error(field: str, tmp_path: Path) -> None:
    project = copy_project(tmp_path / "project")
    _drop_platform(project, field)
    result = build_site(project)
    assert result.returncode != 0
    assert "Traceback" not in result.output, result.output[-2000:]
    errors = error_lines(result.output)
    assert len(errors) == 1, "\n".join(errors or [result.output[-1500:]])
    assert "mkdocs.yml" in errors[0] and f"extra.platform.{field}" in errors[0], errors[0]
