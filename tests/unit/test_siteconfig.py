"""mkdocs.yml read for links: site_url, repo_url, the dealbook plugin's options, !ENV, unknown tags."""

from __future__ import annotations

from pathlib import Path

import pytest
from dealbook.records.siteconfig import customer_page, guess_host_kind, read_site_config, site_config, slug


def test_the_demo_mkdocs_yml() -> None:
    config = read_site_config(str(Path(__file__).resolve().parents[2]))
    assert config.site_url == "https://sales.example.com/dealbook/"
    assert (config.repo_url, config.repo_kind, config.branch) == (
        "https://git.example.com/sales/dealbook/", "github", "main")
    assert config.customer_link("粤IT2024001") == "https://sales.example.com/dealbook/customers/%E7%B2%A4IT2024001/"


def test_env_tags_other_tags_and_plugin_options(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    (tmp_path / "mkdocs.yml").write_text(
        "site_name: x\nsite_url: !ENV [SITE_URL, 'https://fallback.example.com']\n"
        "repo_url: https://code.example.com/team/book\n"
        "markdown_extensions:\n  - pymdownx.emoji:\n"
        "      emoji_index: !!python/name:material.extensions.emoji.twemoji\n"
        "plugins:\n  - search\n  - dealbook:\n      repo_kind: forgejo\n      branch: records\n", encoding="utf-8")
    config = read_site_config(str(tmp_path))
    assert config.site_url == "https://fallback.example.com/"
    assert (config.repo_url, config.repo_kind, config.branch) == ("https://code.example.com/team/book/", "forgejo",
                                                                  "records")
    monkeypatch.setenv("SITE_URL", "https://crm.example.com/sales")
    assert read_site_config(str(tmp_path)).site_url == "https://crm.example.com/sales/"


def test_missing_or_broken_mkdocs_yml(tmp_path: Path) -> None:
    assert read_site_config(str(tmp_path)) == site_config(None, None)
    (tmp_path / "mkdocs.yml").write_text("site_url: [unclosed\n", encoding="utf-8")
    config = read_site_config(str(tmp_path))
    assert config.site_url is None and config.customer_link("x") is None and config.branch == "main"


def test_host_kinds_are_guessed_only_for_public_hosts() -> None:
    assert guess_host_kind("https://github.com/acme/book") == "github"
    assert guess_host_kind("https://gitlab.com/acme/book") == "gitlab"
    assert guess_host_kind("https://gitlab.acme.cn/sales/book") == "gitlab"
    assert guess_host_kind("https://codeberg.org/acme/book") == "forgejo"
    assert guess_host_kind("https://git.acme.cn/sales/book") is None
    assert site_config(None, "https://git.acme.cn/x", {"repo_kind": "bitbucket"}).repo_kind is None


def test_page_paths() -> None:
    assert customer_page("粤IT2024001") == "customers/粤IT2024001.md"
    assert slug("../etc").startswith("x-") and slug("zhang.wei") == "zhang.wei"
