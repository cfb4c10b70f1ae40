"""mkdocs.yml read for links: site_url, repo_url, the dealbook plugin's options, !ENV, unknown tags."""

from __future__ import annotations

from pathlib import Path

import pytest
from dealbook.records.siteconfig import (
    base_url,
    customer_page,
    guess_host_kind,
    read_site_config,
    site_config,
    site_config_problems,
    slug,
    url_problem,
)


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


@pytest.mark.parametrize(("written", "base"), [
    ("https://sales.example.com/dealbook", "https://sales.example.com/dealbook/"),
    (" HTTPS://Sales.Example.com ", "https://sales.example.com/"),
    ("https://sales.example.com/销售 部/", "https://sales.example.com/%E9%94%80%E5%94%AE%20%E9%83%A8/"),
    ('https://x.example.com/a "q" (1)/', "https://x.example.com/a%20%22q%22%20%281%29/"),
    ("https://x.example.com/50%/a%20b/", "https://x.example.com/50%25/a%20b/"),
    ("https://销售.例子.中国/crm", "https://xn--nyr189l.xn--fsqu00a.xn--fiqs8s/crm/"),
    ("http://[::1]:8000/crm", "http://[::1]:8000/crm/"),
])
def test_an_address_is_percent_encoded_where_a_url_cannot_hold_a_character(written: str, base: str) -> None:
    """site_url went into links as typed: a space, a Chinese folder or a quote made an ICS URL and a
    digest link that is no URL (a Markdown link ends at the space)."""
    assert url_problem(written) is None and base_url(written) == base
    config = site_config(written, written)
    assert config.site_url == config.repo_url == base
    assert config.customer_link("粤IT2024001") == base + "customers/%E7%B2%A4IT2024001/"


@pytest.mark.parametrize("written", [
    "https://sales.example.com/crm/\nX-EVIL:1", "https://sales.example.com/crm\t/", "sales.example.com/crm",
    "ftp://sales.example.com/", "https://sales.example.com/crm/?page=1", "https://sales.example.com/crm/#top",
    "https://sales example.com/", "https://sales.example.com:80x/", 42,
])
def test_an_address_links_cannot_start_from_is_not_used(written: object) -> None:
    assert url_problem(written) and base_url(written) is None
    assert site_config(written, written).customer_link("x") is None and site_config(None, written).repo_url is None


def test_a_bad_address_is_an_error_at_its_line_in_mkdocs_yml(tmp_path: Path) -> None:
    path = tmp_path / "mkdocs.yml"
    path.write_text("site_name: x\n\nsite_url: \"https://crm.example.com/a\\nb\"\nrepo_url: https://git.example.com/a?b\n",
                    encoding="utf-8")
    found = list(site_config_problems(str(path)).values())
    assert [(d.path, d.line, d.severity, d.code) for d in found] == [
        ("mkdocs.yml", 3, "error", "bad-url"), ("mkdocs.yml", 4, "error", "bad-url")]
    assert "line break" in found[0].message and "? or a #" in found[1].message
    assert site_config_problems(str(path), keys=("site_url",)) == {"site_url": found[0]}
    path.write_text("site_url: https://crm.example.com/销售 部/\n", encoding="utf-8")
    assert site_config_problems(str(path)) == {} and site_config_problems(str(tmp_path / "none.yml")) == {}
