"""The plugin's wiring: configuration from dealbook.yaml, edit links, the sidebar, serve watching."""

from __future__ import annotations

import shutil
from pathlib import Path

from mkdocs.config import load_config

ROOT = Path(__file__).resolve().parents[2]


def configured(repo, mkdocs_yml: str | None = None):
    if mkdocs_yml is None:
        shutil.copy(ROOT / "mkdocs.yml", repo.root / "mkdocs.yml")
    else:
        (repo.root / "mkdocs.yml").write_text(mkdocs_yml, "utf-8")
    (repo.root / "site").mkdir(exist_ok=True)
    config = load_config(config_file=str(repo.root / "mkdocs.yml"))
    config.plugins.on_startup(command="build", dirty=False)
    config = config.plugins.on_config(config)
    return config, config.plugins["dealbook"]


def test_language_title_and_assets_come_from_settings(repo):
    repo.settings("as_of: 2024-05-20\nlanguage: en\nsite:\n  title: <b>Acme</b> & Co\n")
    config, plugin = configured(repo)
    assert config.theme["language"] == "en"
    assert config.site_name == "&lt;b&gt;Acme&lt;/b&gt; &amp; Co"  # themes print it unescaped
    assert "assets/dealbook/dealbook.css" in [str(x) for x in config.extra_css]
    assert "assets/dealbook/dealbook.js" in [str(x) for x in config.extra_javascript]
    assert plugin.repo == str(repo.root)


def test_edit_links_point_at_the_record_file(repo):
    config, plugin = configured(repo)
    url = plugin._edit_url("records/customers/粤IT2024001.yaml", config)
    assert url == "https://git.example.com/sales/dealbook/edit/main/records/customers/%E7%B2%A4IT2024001.yaml"
    assert plugin._edit_url(None, config) is None


def test_serve_watches_records_and_settings(repo):
    repo.customer("粤IT2024001")
    config, plugin = configured(repo)

    class Server:
        def __init__(self) -> None:
            self.watched: list[str] = []

        def watch(self, path: str) -> None:
            self.watched.append(path)

    server = Server()
    plugin.on_serve(server, config=config, builder=None)
    assert server.watched == [str(repo.root / "records"), str(repo.root / "dealbook.yaml")]


def test_the_sidebar_holds_index_pages_and_every_guide_page(repo):
    from mkdocs.structure.files import get_files

    repo.customer("粤IT2024001")
    config, _ = configured(repo)
    (repo.root / "site" / "guide").mkdir()
    for name in ("b.md", "a.md"):
        (repo.root / "site" / "guide" / name).write_text("# x\n", "utf-8")
    (repo.root / "site" / "notes.md").write_text("# notes\n", "utf-8")
    files = config.plugins.on_files(get_files(config), config=config)
    assert config.nav == [
        {"销售看板": "index.md"}, {"客户": "customers/index.md"}, {"商机看板": "board.md"},
        {"团队跟进日程": "agenda.md"}, {"风险商机": "at-risk.md"}, {"最近变化": "changes.md"},
        {"复盘": "reviews/index.md"}, {"周一销售例会": "reviews/monday.md"}, {"月度复盘": "reviews/month.md"},
        {"负责人": "owners/index.md"}, {"报表": "reports/index.md"}, {"销售流程": "process.md"},
        {"数据质量": "problems.md"}, {"使用指南": ["guide/a.md", "guide/b.md"]}, "notes.md",
    ]
    customer = files.get_file_from_path("customers/粤IT2024001.md")
    assert customer is not None and not customer.inclusion.is_in_nav()
    assert files.get_file_from_path("assets/dealbook/dealbook.js") is not None


def test_a_nav_in_mkdocs_yml_wins(repo):
    config, _ = configured(repo, "site_name: x\ndocs_dir: site\nsite_dir: public\ntheme: {name: material}\n"
                                      "plugins: [search, dealbook]\nnav: [index.md]\n")
    from mkdocs.structure.files import get_files

    config.plugins.on_files(get_files(config), config=config)
    assert config.nav == ["index.md"]



def test_mkdocs_build_freezes_what_is_left_at_exit_once(monkeypatch) -> None:
    """`mkdocs build` (and gh-deploy) registers one gc.freeze at exit, however many builds the process
    runs; `mkdocs serve`, which lives on, registers none."""
    import gc

    from dealbook.site import plugin as module

    registered: list[object] = []
    monkeypatch.setattr(module.atexit, "register", registered.append)
    monkeypatch.setattr(module, "_EXIT_FROZEN", [])
    module.DealbookPlugin().on_startup(command="serve", dirty=False)
    assert registered == []
    module.DealbookPlugin().on_startup(command="build", dirty=False)
    module.DealbookPlugin().on_startup(command="gh-deploy", dirty=False)
    assert registered == [gc.freeze]
