"""The documentation covers every command, and every command's help has an example."""

from __future__ import annotations

import re

import pytest
from click.testing import CliRunner
from conftest import ROOT
from dealbook.cli import COMMANDS, cli


def docs_text() -> str:
    pages = [ROOT / "README.md", *sorted((ROOT / "site" / "guide").glob("*.md"))]
    return "\n".join(p.read_text(encoding="utf-8") for p in pages)


@pytest.mark.parametrize("name", sorted(COMMANDS))
def test_every_command_is_documented(name: str) -> None:
    assert f"dealbook {name}" in docs_text()


@pytest.mark.parametrize("name", sorted(COMMANDS))
def test_every_command_has_help_with_an_example(name: str) -> None:
    result = CliRunner().invoke(cli, [name, "--help"])
    assert result.exit_code == 0, result.output
    assert "Example:" in result.output or "示例:" in result.output  # the help is in the team's language


def test_readme_links_every_guide_page() -> None:
    readme = (ROOT / "README.md").read_text(encoding="utf-8")
    missing = [p.name for p in (ROOT / "site" / "guide").glob("*.md") if f"site/guide/{p.name}" not in readme]
    assert missing == []


SOURCE_CITATION = re.compile(r"(?<![\w.])0\d\d\s*§|§\s*\d|\bseeds?[- ]?0\d\d\b|shared/(?:domain|design|seeds)", re.I)


def test_the_project_stands_alone_without_citing_its_source_documents() -> None:
    """Rules are explained in the project's own guide; nothing a user reads points at the
    documents they were distilled from (by path, by number or by section)."""
    files = [ROOT / "README.md", ROOT / "dealbook.yaml", ROOT / "mkdocs.yml", *(ROOT / "site").rglob("*.md"),
             *(p for p in (ROOT / "tools" / "dealbook").rglob("*") if p.is_file() and p.suffix in
               (".py", ".md", ".html", ".yaml", ".yml", ".json", ".j2", ".po", ".js", ".css"))]
    found = [f"{p.relative_to(ROOT)}:{n}: {line.strip()}" for p in files
             for n, line in enumerate(p.read_text(encoding="utf-8").splitlines(), 1) if SOURCE_CITATION.search(line)]
    assert found == []


def test_the_citation_pattern_catches_what_it_is_for() -> None:
    for text in ("refused (000 §1)", "seed 003: weekly", "see shared/domain.md", "seed-004 preset", "§2.4"):
        assert SOURCE_CITATION.search(text), text
    for text in ("粤IT2024001", "2024-05-20 14:00", "amount: 1000000", "visits [7, 30, 90, 180]"):
        assert not SOURCE_CITATION.search(text), text
