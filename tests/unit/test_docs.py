"""The documentation covers every command, and every command's help has an example."""

from __future__ import annotations

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
    assert "Example" in result.output


def test_readme_links_every_guide_page() -> None:
    readme = (ROOT / "README.md").read_text(encoding="utf-8")
    missing = [p.name for p in (ROOT / "site" / "guide").glob("*.md") if f"site/guide/{p.name}" not in readme]
    assert missing == []
