"""A writer's mistake fails the build with one line that names the file and the field or line.

Why: writers run `mkdocs build` or `mkdocs serve`, not Python. A traceback, or a silently blank value,
leaves them guessing; one line such as `docs/create-key.md:14: unknown macro or variable 'lnk'` does
not. Each case breaks one thing in a fresh copy of the project and builds it for real.
"""

from __future__ import annotations

import re
from collections.abc import Callable
from pathlib import Path

import pytest
import yaml

from keyguide.build import build_site, copy_project
from keyguide.pages import split_front_matter

PAGE = "docs/create-key.md"  # any page works; this one is in the nav and uses ui() and link()
# MkDocs' own framing around our message; not a second error.
FRAMING = re.compile(r"^(ERROR\s+-\s+Error reading page '[^']+':|Aborted with a BuildError!)$")


def _edit(path: Path, change: Callable[[str], str]) -> None:
    text = path.read_text(encoding="utf-8")
    changed = change(text)
    assert changed != text, f"the fixture did not change {path.name}"
    path.write_text(changed, encoding="utf-8")


def _front_matter(project: Path, change: Callable[[dict[str, object]], None]) -> None:
    """Rewrite the page's front matter as YAML after `change`, keeping its body."""
    page = project / PAGE
    data, body, _ = split_front_matter(page.read_text(encoding="utf-8"), PAGE)
    change(data)
    page.write_text(f"---\n{yaml.safe_dump(data, sort_keys=False, allow_unicode=True)}---\n{body}", encoding="utf-8")


def _add_line(project: Path, line: str) -> int:
    """Append a paragraph to the page; return its line number in the file."""
    page = project / PAGE
    text = page.read_text(encoding="utf-8").rstrip("\n") + "\n\n"
    page.write_text(text + line + "\n", encoding="utf-8")
    return text.count("\n") + 1


def _facts(project: Path, change: Callable[[dict[str, dict[str, dict[str, object]]]], str]) -> str:
    """Change facts.yml as data; `change` returns the `section.id.field` it broke."""
    path = project / "facts.yml"
    data = yaml.safe_load(path.read_text(encoding="utf-8"))
    where = change(data)
    path.write_text(yaml.safe_dump(data, sort_keys=False, allow_unicode=True), encoding="utf-8")
    return where


def _first(section: dict[str, dict[str, object]], **match: object) -> str:
    return next(k for k, v in section.items() if all(v.get(f) == x for f, x in match.items()))


def _platform_line(project: Path, key: str) -> None:
    """Remove `key:` from extra.platform (or its labels) in mkdocs.yml, by line, keeping the rest as written."""
    lines = (project / "mkdocs.yml").read_text(encoding="utf-8").split("\n")
    start = next(i for i, line in enumerate(lines) if re.match(r"^\s+platform:\s*$", line))
    indent = len(lines[start]) - len(lines[start].lstrip())
    for i in range(start + 1, len(lines)):
        current = len(lines[i]) - len(lines[i].lstrip())
        if lines[i].strip() and current <= indent:
            break
        if lines[i].strip().startswith(f"{key}:"):
            del lines[i]
            (project / "mkdocs.yml").write_text("\n".join(lines), encoding="utf-8")
            return
    raise AssertionError(f"mkdocs.yml has no extra.platform {key}")


# -- the cases -------------------------------------------------------------------------------------
# Each returns what the one error line must contain (file, and field or line).


def bad_yaml_front_matter(project: Path) -> tuple[str, ...]:
    _edit(project / PAGE, lambda text: text.replace("---\n", "---\nsummary: one: two\n", 1))
    return ("create-key.md:2", "front matter is not valid YAML")


def missing_updated(project: Path) -> tuple[str, ...]:
    _front_matter(project, lambda data: data.pop("updated"))
    return ("create-key.md", "front matter: updated", "Field required")


def version_changelog_mismatch(project: Path) -> tuple[str, ...]:
    _front_matter(project, lambda data: data.update(version=int(str(data["version"])) + 1))
    return ("create-key.md", "front matter", "version is", "newest changelog entry")


def unknown_macro(project: Path) -> tuple[str, ...]:
    line = _add_line(project, 'See {{ lnk("api_keys") }}.')
    return (f"docs/create-key.md:{line}", "unknown macro or variable 'lnk'", "did you mean 'link'")


def unknown_fact_id(project: Path) -> tuple[str, ...]:
    line = _add_line(project, 'Select {{ ui("no_such_button") }}.')
    return (f"docs/create-key.md:{line}", "no fact ui.no_such_button")


def unknown_platform_label(project: Path) -> tuple[str, ...]:
    line = _add_line(project, 'Select {{ platform_ui("no_such_label") }}.')
    return (f"docs/create-key.md:{line}", "no_such_label")


def facts_bad_role(project: Path) -> tuple[str, ...]:
    def change(data: dict[str, dict[str, dict[str, object]]]) -> str:
        fact_id = _first(data["ui"], role="button")
        data["ui"][fact_id]["role"] = "buton"
        return f"ui.{fact_id}.role"

    return ("facts.yml", _facts(project, change))


def facts_missing_url(project: Path) -> tuple[str, ...]:
    def change(data: dict[str, dict[str, dict[str, object]]]) -> str:
        fact_id = next(iter(data["links"]))
        del data["links"][fact_id]["url"]
        return f"links.{fact_id}.url"

    return ("facts.yml", _facts(project, change), "Field required")


def facts_bad_yaml(project: Path) -> tuple[str, ...]:
    path = project / "facts.yml"
    lines = path.read_text(encoding="utf-8").split("\n")
    at = next(i for i, line in enumerate(lines) if line.startswith("links:")) + 1
    lines.insert(at, "  broken: entry: here")
    path.write_text("\n".join(lines), encoding="utf-8")
    return (f"facts.yml:{at + 1}", "not valid YAML")


def facts_unchecked_value(project: Path) -> tuple[str, ...]:
    """A fact with no quote and no reason a person must check it: nothing would ever verify it."""

    def change(data: dict[str, dict[str, dict[str, object]]]) -> str:
        fact_id = next(iter(data["values"]))
        data["values"][fact_id]["source"] = {"ref": "a blog post", "confidence": "Inf"}
        return f"values.{fact_id}"

    return ("facts.yml", f"{_facts(project, change)}: nothing verifies this fact")


def facts_value_not_in_quote(project: Path) -> tuple[str, ...]:
    def change(data: dict[str, dict[str, dict[str, object]]]) -> str:
        fact_id = next(k for k, v in data["values"].items() if v["source"].get("quote"))
        data["values"][fact_id]["value"] = "a value no quote says"
        return f"values.{fact_id}.source.quote"

    return ("facts.yml", _facts(project, change), "does not contain the value")


def platform_missing_name(project: Path) -> tuple[str, ...]:
    _platform_line(project, "name")
    return ("mkdocs.yml", "extra.platform.name")


def platform_missing_label(project: Path) -> tuple[str, ...]:
    _platform_line(project, "save")
    return ("mkdocs.yml", "extra.platform.labels", "save")


def platform_missing_key_storage(project: Path) -> tuple[str, ...]:
    """What the platform does with a customer's key is on the reader's page: its absence stops the build."""
    _platform_line(project, "storage")
    return ("mkdocs.yml", "extra.platform.key_handling.storage", "where the platform stores")


def platform_missing_revoke(project: Path) -> tuple[str, ...]:
    _platform_line(project, "revoke")
    return ("mkdocs.yml", "extra.platform.key_handling.revoke", "missing")


def platform_empty_key_access(project: Path) -> tuple[str, ...]:
    _edit(project / "mkdocs.yml", lambda text: re.sub(r"(?m)^(      access:).*$", r"\1 ''", text, count=1))
    return ("mkdocs.yml", "extra.platform.key_handling.access")


def platform_missing_regional_hosts(project: Path) -> tuple[str, ...]:
    _platform_line(project, "regional_hosts")
    return ("mkdocs.yml", "extra.platform.regional_hosts", "regional API hosts")


def platform_bad_regional_host(project: Path) -> tuple[str, ...]:
    _edit(project / "mkdocs.yml", lambda text: text.replace("regional_hosts: []", "regional_hosts: [eu.example]"))
    return ("mkdocs.yml", "extra.platform.regional_hosts", "eu.example")


CASES = [
    facts_unchecked_value,
    facts_value_not_in_quote,
    bad_yaml_front_matter,
    missing_updated,
    version_changelog_mismatch,
    unknown_macro,
    unknown_fact_id,
    unknown_platform_label,
    facts_bad_role,
    facts_missing_url,
    facts_bad_yaml,
    platform_missing_name,
    platform_missing_label,
    platform_missing_key_storage,
    platform_missing_revoke,
    platform_empty_key_access,
    platform_missing_regional_hosts,
    platform_bad_regional_host,
]


def error_lines(output: str) -> list[str]:
    """The build's error lines, without MkDocs' framing around ours."""
    lines = [line.strip() for line in output.splitlines()]
    return [line for line in lines if line.startswith("ERROR") and not FRAMING.match(line)]


@pytest.mark.parametrize("break_it", CASES, ids=[case.__name__ for case in CASES])
def test_broken_project_fails_with_one_clear_line(break_it: Callable[[Path], tuple[str, ...]], tmp_path: Path) -> None:
    project = copy_project(tmp_path / "project")
    must_name = break_it(project)
    result = build_site(project)
    assert result.returncode != 0, f"the build passed despite {break_it.__name__}"
    assert "Traceback" not in result.output, f"a traceback instead of an error line:\n{result.output[-2000:]}"
    errors = error_lines(result.output)
    assert len(errors) == 1, "expected exactly one error line, got:\n" + "\n".join(errors or [result.output[-1500:]])
    for part in must_name:
        assert part in errors[0], f"the error line does not name {part!r}: {errors[0]}"


def test_error_line_filter_keeps_our_line_only() -> None:
    """The filter above must not hide a second real error behind MkDocs' framing."""
    output = (
        "ERROR   -  Error reading page 'a.md':\nERROR   -  docs/a.md:3: unknown macro\n"
        "ERROR   -  docs/b.md:1: another\n\nAborted with a BuildError!\n"
    )
    assert error_lines(output) == ["ERROR   -  docs/a.md:3: unknown macro", "ERROR   -  docs/b.md:1: another"]


@pytest.mark.parametrize(
    "link",
    ["create-key.md#no-such-section", "no-such-page.md", "#no-such-anchor"],
    ids=["anchor-on-another-page", "missing-page", "anchor-on-this-page"],
)
def test_broken_link_fails_the_strict_build(link: str, tmp_path: Path) -> None:
    """Link and anchor validation (mkdocs.yml `validation:`) turn a dead link into a failed build."""
    project = copy_project(tmp_path / "project")
    _add_line(project, f"See [this]({link}).")
    result = build_site(project)
    assert result.returncode != 0, f"the build passed with a link to {link}"
    warnings = [line for line in result.output.splitlines() if line.startswith("WARNING")]
    assert len(warnings) == 1, "\n".join(warnings or [result.output[-1500:]])
    assert "create-key.md" in warnings[0] and link in warnings[0], warnings[0]
