"""`mkdocs build` for real: the demo site, hostile records, broken records, language, overrides, nav."""

from __future__ import annotations

import json
import os
import re
import shutil
import subprocess
import sys
from pathlib import Path
from urllib.parse import quote

import pytest
from dealbook.checks.reading import open_book

ROOT = Path(__file__).resolve().parents[2]
HOSTILE = "<script>alert(1)</script> & Co"


def build(root: Path, *args: str, site_dir: Path | None = None) -> subprocess.CompletedProcess:
    command = [sys.executable, "-m", "mkdocs", "build", *args]
    if site_dir is not None:
        command += ["--site-dir", str(site_dir)]
    env = {**os.environ, "NO_MKDOCS_2_WARNING": "1"}
    env.pop("DEALBOOK_TODAY", None)
    return subprocess.run(command, cwd=root, capture_output=True, text=True, env=env, timeout=600)


def site_repo(repo) -> Path:
    """The records repo with the product's mkdocs.yml and an empty docs folder."""
    shutil.copy(ROOT / "mkdocs.yml", repo.root / "mkdocs.yml")
    (repo.root / "site").mkdir(exist_ok=True)
    return repo.root


def html_files(public: Path) -> list[Path]:
    return sorted(public.rglob("*.html"))


def nav_of(page: str) -> str:
    """The primary navigation of a built page."""
    found = re.search(r'<nav class="md-nav md-nav--primary".*?</nav>\s*</div>\s*</div>\s*</div>', page, re.S)
    assert found, "no primary nav"
    return found.group(0)


@pytest.fixture(scope="module")
def demo_site(tmp_path_factory) -> Path:
    public = tmp_path_factory.mktemp("demo") / "public"
    done = build(ROOT, "--strict", site_dir=public)
    assert done.returncode == 0, done.stderr
    return public


def test_the_demo_builds_strict_with_a_page_per_customer(demo_site: Path):
    book = open_book(str(ROOT))
    assert book.customers
    for cid in book.customers:
        page = demo_site / "customers" / cid / "index.html"
        assert page.exists(), cid
    home = (demo_site / "index.html").read_text("utf-8")
    assert '<html lang="zh"' in home
    for part in ("customers/", "agenda/", "process/", "problems/", "reports/funnel/this-month/"):
        assert f'href="{part}"' in home or f'href="./{part}"' in home, part


def test_customer_pages_are_not_in_the_nav_but_the_guide_is(demo_site: Path):
    nav = nav_of((demo_site / "index.html").read_text("utf-8"))
    customer_links = re.findall(r'href="[^"]*customers/[^"/]+/"', nav)
    assert customer_links == []
    guide = sorted((ROOT / "site" / "guide").glob("*.md"))
    for page in guide:
        assert f"guide/{page.stem}/" in nav, page.name


def test_the_search_index_keeps_follow_up_logs_out(demo_site: Path):
    index = json.loads((demo_site / "search" / "search_index.json").read_text("utf-8"))
    # With jieba installed, Material segments Chinese text with zero-width spaces.
    text = json.dumps(index, ensure_ascii=False).replace("\u200b", "")
    book = open_book(str(ROOT))
    followup = next(f for f in book.all_followups() if len(f.summary) > 12)
    customer = book.customers[followup.customer]
    assert followup.summary not in text
    assert customer.name in text  # people still find customers by name
    locations = {doc["location"] for doc in index["docs"]}
    assert not any(loc.startswith(("by/", "reports/", "problems/")) for loc in locations)


def test_a_hostile_record_comes_out_escaped(repo, tmp_path: Path):
    team = {"members": [{"handle": "zhang", "name": "<script>alert(2)</script>", "role": "rep"}]}
    repo.write("records/team.yaml", team)
    repo.customer("粤IT2024001", name=HOSTILE, region="| broken | table |",
                  contacts=[{"name": "[x](javascript:alert(3))", "title": "<!-- -->", "role": "decision_maker"}],
                  need={"summary": "**md** {{ jinja }}"}, tags=["<img src=x onerror=alert(4)>"])
    repo.followup("粤IT2024001", "2024-05-10 14:00", summary="**md** {{ jinja }} <i>x</i>")
    root = site_repo(repo)
    done = build(root, "--strict")
    assert done.returncode == 0, done.stderr
    public = root / "public"
    for page in html_files(public):
        text = page.read_text("utf-8")
        for raw in ("<script>alert", "<img src=x", "<i>x</i>", "<!-- -->", 'href="javascript'):
            assert raw not in text, (page, raw)
    page = (public / "customers" / "粤IT2024001" / "index.html").read_text("utf-8")
    assert "&lt;script&gt;alert(1)&lt;/script&gt; &amp; Co" in page
    assert "<title>&lt;script&gt;alert(1)&lt;/script&gt; &amp; Co" in page
    assert "**md** {{ jinja }}" in page and "<strong>md</strong>" not in page
    assert "| broken | table |" in page and "[x](javascript:alert(3))" in page
    index = (public / "search" / "search_index.json").read_text("utf-8")
    assert "<script>" not in index and "<img" not in index


def test_errors_show_a_banner_and_fail_strict(repo):
    repo.customer("粤IT2024001")
    repo.write("records/customers/粤IT2024002.yaml", "id: 粤IT2024002\nname: 坏记录\nstage: nowhere\n")
    root = site_repo(repo)
    strict = build(root, "--strict")
    assert strict.returncode != 0
    assert "records/customers/粤IT2024002.yaml" in strict.stderr
    done = build(root)
    assert done.returncode == 0, done.stderr
    home = (root / "public" / "index.html").read_text("utf-8")
    assert "db-banner" in home and 'href="problems/"' in home
    problems = (root / "public" / "problems" / "index.html").read_text("utf-8")
    assert re.search(r"<code>records/customers/粤IT2024002\.yaml:\d+:\d+</code>", problems)
    assert (root / "public" / "customers" / "粤IT2024001" / "index.html").exists()
    # the banner is on every page: it stays out of the search index instead of repeating per page
    assert "db-banner" in (root / "public" / "customers" / "粤IT2024001" / "index.html").read_text("utf-8")
    index = json.loads((root / "public" / "search" / "search_index.json").read_text("utf-8"))
    text = json.dumps(index, ensure_ascii=False).replace("\u200b", "")
    assert "坏记录" in text and "页面内容可能不完整" not in text


def test_the_site_names_the_customer_files_its_figures_leave_out(repo):
    """Before: a customer file that cannot be read was in no count and no page said so; the data quality
    page listed its YAML error among the others, not that every figure lacked the customer."""
    repo.settings("as_of: 2024-05-20\nlanguage: en\n")
    repo.customer("粤IT2024001")
    good = repo.customer("粤IT2024002").read_text(encoding="utf-8")
    repo.write("records/customers/粤IT2024002.yaml", good + "\tbad: 1\n")
    repo.write("records/customers/<b>&x.yaml", "- not a customer\n")
    root = site_repo(repo)
    done = build(root)
    assert done.returncode == 0, done.stderr
    home = (root / "public" / "index.html").read_text("utf-8")
    assert "2 customer files cannot be read and are left out of every figure." in home
    problems = (root / "public" / "problems" / "index.html").read_text("utf-8")
    assert 'id="left-out">Customer files left out of every figure <span class="db-muted">2</span>' in problems
    assert "<li><code>&lt;b&gt;&amp;x.yaml</code></li><li><code>粤IT2024002.yaml</code></li>" in problems
    assert "no page of this site counts them" in problems


def test_english_site_edit_links_and_guide_nav(repo):
    repo.settings("as_of: 2024-05-20\nlanguage: en\nsite:\n  title: Acme sales\n")
    repo.customer("粤IT2024001")
    root = site_repo(repo)
    (root / "site" / "guide").mkdir()
    (root / "site" / "guide" / "zeta.md").write_text("# Zeta guide\n", "utf-8")
    (root / "site" / "guide" / "alpha.md").write_text("# Alpha guide\n", "utf-8")
    (root / "site" / "guide" / "zh").mkdir()
    (root / "site" / "guide" / "zh" / "alpha.md").write_text("# 阿尔法指南 {#alpha-guide}\n", "utf-8")
    done = build(root, "--strict")
    assert done.returncode == 0, done.stderr
    home = (root / "public" / "index.html").read_text("utf-8")
    assert '<html lang="en"' in home and "Open pipeline" in home and "Acme sales" in home
    nav = nav_of(home)
    assert nav.index("guide/alpha/") < nav.index("guide/zeta/")
    assert "Guide" in nav and "Customers" in nav and "Team agenda" in nav
    # an English site shows the English guide; the Chinese twins are no pages of their own
    alpha = (root / "public" / "guide" / "alpha" / "index.html").read_text("utf-8")
    assert '<h1 id="alpha-guide">Alpha guide' in alpha and "阿尔法" not in alpha
    assert 'href="https://git.example.com/sales/dealbook/edit/main/site/guide/alpha.md"' in alpha
    assert not (root / "public" / "guide" / "zh").exists() and "guide/zh" not in nav
    assert "阿尔法" not in (root / "public" / "search" / "search_index.json").read_text("utf-8")
    page = (root / "public" / "customers" / "粤IT2024001" / "index.html").read_text("utf-8")
    edit = "https://git.example.com/sales/dealbook/edit/main/" + quote("records/customers/粤IT2024001.yaml")
    assert f'href="{edit}"' in page


def test_a_chinese_site_serves_the_guides_chinese_twins_at_the_english_addresses(repo):
    repo.customer("粤IT2024001")
    root = site_repo(repo)
    guide = root / "site" / "guide"
    (guide / "zh").mkdir(parents=True)
    (guide / "alpha.md").write_text("# Alpha guide\n\n## Targets\n\nEnglish text.\n", "utf-8")
    (guide / "zeta.md").write_text("# Zeta guide\n\nSee [targets](alpha.md#targets).\n", "utf-8")
    (guide / "zh" / "alpha.md").write_text("# 阿尔法指南 {#alpha-guide}\n\n## 目标 {#targets}\n\n中文正文。\n"
                                           "\n见 [Zeta](zeta.md)。\n", "utf-8")
    done = build(root, "--strict")
    assert done.returncode == 0, done.stderr
    public = root / "public"
    alpha = (public / "guide" / "alpha" / "index.html").read_text("utf-8")
    assert '<h1 id="alpha-guide">阿尔法指南' in alpha and '<h2 id="targets">目标' in alpha and "中文正文" in alpha
    assert "English text" not in alpha and 'href="../zeta/"' in alpha
    assert 'href="https://git.example.com/sales/dealbook/edit/main/site/guide/zh/alpha.md"' in alpha
    zeta = (public / "guide" / "zeta" / "index.html").read_text("utf-8")  # no twin: served in English
    assert '<h1 id="zeta-guide">Zeta guide' in zeta and 'href="../alpha/#targets"' in zeta
    assert 'href="https://git.example.com/sales/dealbook/edit/main/site/guide/zeta.md"' in zeta
    assert not (public / "guide" / "zh").exists()
    nav = nav_of((public / "index.html").read_text("utf-8"))
    assert nav.index("guide/alpha/") < nav.index("guide/zeta/") and "guide/zh" not in nav
    index = json.loads((public / "search" / "search_index.json").read_text("utf-8"))
    found = {doc["location"] for doc in index["docs"] if "中文正文" in doc["text"].replace("\u200b", "")}
    assert found and all(location.startswith("guide/alpha/") for location in found)
    assert not any("English text" in doc["text"] for doc in index["docs"])


def test_a_template_in_site_overrides_wins(repo):
    repo.customer("粤IT2024001")
    root = site_repo(repo)
    override = root / "site" / "overrides" / "dealbook"
    override.mkdir(parents=True)
    (override / "customer.html").write_text("<h1>{{ title }}</h1><p>OUR CUSTOMER {{ c.id }}</p>", "utf-8")
    done = build(root, "--strict")
    assert done.returncode == 0, done.stderr
    page = (root / "public" / "customers" / "粤IT2024001" / "index.html").read_text("utf-8")
    assert "OUR CUSTOMER 粤IT2024001" in page
    assert not (root / "public" / "overrides").exists()


def _text(page: Path) -> str:
    return re.sub(r"\s+", " ", re.sub(r"<[^>]+>", " ", page.read_text("utf-8")))


def test_customer_pages_show_quotes_with_margin_and_approval_and_contracts_with_payments(demo_site: Path):
    quote = _text(demo_site / "customers" / "渝MF2024001" / "index.html")
    assert "BJ-2024-0515 2024-05-15 草稿 ¥390,000 26.0% 低于底线 2024-06-14 待 销售主管, 总经理 审批" in quote
    contract = _text(demo_site / "customers" / "鲁MF2024001" / "index.html")
    assert "HT-2024-0510 · ¥320,000" in contract
    assert "销售主管审核 陈静 2024-05-06; 法务审核 孙立 2024-05-07" in contract
    assert "2024-05-15 已逾期 ¥128,000 — ¥0 ¥128,000 签约 40%" in contract
    assert "回款逾期 5 天:合同 HT-2024-0510 应于 2024-05-15 收款 ¥128,000" in contract
    accepted = _text(demo_site / "customers" / "京IT2023004" / "index.html")
    assert "验收合格 · 2024-04-20 · 12 个核心指标看板上线并通过业务验收" in accepted


def test_the_customer_page_names_its_open_next_actions_for_what_they_are(repo):
    """Before: the heading over the latest follow-up's open next steps read 待办事项 (to-dos) and said
    无 (none) while the same page's next due date and the agenda held a cadence item for the customer."""
    repo.customer("粤IT2024001")
    repo.followup("粤IT2024001", "2024-05-01 10:00", contact="王总监")  # no next step; due by the cadence
    root = site_repo(repo)
    done = build(root)
    assert done.returncode == 0, done.stderr
    page = _text(root / "public" / "customers" / "粤IT2024001" / "index.html")
    assert "未完成的下一步 无" in page and "待办事项" not in page, page


def test_the_dashboard_shows_receivables_due_and_quotes_awaiting_approval(demo_site: Path):
    home = _text(demo_site / "index.html")
    assert "逾期应收回款 ¥164,000 逾期 2 期;7 天内到期 1 期 ¥225,000;未收合计 8 期 ¥1,273,000" in home
    assert "待审批报价 1 毛利率低于底线 30.0%,尚未审批 重庆渝江汽车配件有限公司 BJ-2024-0515" in home


def _funnel_chart(html: str) -> list[tuple[str, int, str]]:
    """(stage label, customers, step text) per row of the page's first funnel chart."""
    figure = re.search(r'<figure class="db-chart db-chart-funnel".*?</figure>', html, re.S)
    assert figure, "no funnel chart"
    rows = re.findall(r'<span class="db-bar-label">([^<]*)</span>.*?data-v="([^"]*)">[^<]*'
                      r'(?: <span class="db-funnel-step">([^<]*)</span>)?</span>', figure.group(0), re.S)
    return [(label, int(value.replace(",", "")), step) for label, value, step in rows]


def _cli_reach(*period: str) -> list[tuple[str, int, str]]:
    env = {**os.environ}
    env.pop("DEALBOOK_TODAY", None)
    done = subprocess.run([sys.executable, "-m", "dealbook", "report", "stage-reach", *period, "--format", "json"],
                          cwd=ROOT, capture_output=True, text=True, env=env, timeout=120)
    assert done.returncode == 0, done.stderr
    report = json.loads(done.stdout)
    from dealbook.records.settings import load_settings

    label = load_settings(str(ROOT)).stage_label
    return [(label(r["stage"]), r["reached"], f"上一阶段的 {r['step'] * 100:.1f}%" if r["step"] is not None else "")
            for r in report["rows"]]


def test_the_funnel_charts_show_the_stage_reach_report(demo_site: Path):
    """The funnel on the funnel report's page (this quarter's cohort) and on the dashboard (the
    last 12 months' cohort) draw `dealbook report stage-reach`'s own numbers and step rates."""
    quarter = (demo_site / "reports" / "funnel" / "this-quarter" / "index.html").read_text("utf-8")
    assert _funnel_chart(quarter) == _cli_reach("--period", "2024-Q2")
    assert "销售阶段转化分析" in quarter and "统计对象:本期建档的" in quarter  # the conversion table stays
    home = (demo_site / "index.html").read_text("utf-8")
    chart = _funnel_chart(home)
    assert chart == _cli_reach("--from", "2023-06-01", "--to", "2024-05-31")
    assert [n for _, n, _ in chart] == sorted((n for _, n, _ in chart), reverse=True) and chart[0][1] > 30
    assert "销售漏斗:近 12 个月建档的客户" in home


def test_each_at_risk_reason_is_listed_once(demo_site: Path):
    """The rules list overdue instalments and expired quotes as at-risk reasons; the agenda's own
    items for them must not add the same reason a second time."""
    page = (demo_site / "at-risk" / "index.html").read_text("utf-8")
    rows = re.findall(r"<tr>.*?</tr>", page, re.S)
    assert rows
    for row in rows:
        reasons = re.findall(r"<li>(.*?)</li>", row, re.S)
        assert len(reasons) == len(set(reasons)), reasons
    assert "报价已过期" in page and "回款逾期" in page


def _trend(html: str) -> dict[str, list[int]]:
    """{legend name: the value of each month} read back from the reports page's line chart: each
    polyline's y is 100 - 100 × value / the top value printed on the axis."""
    figure = re.search(r'<figure class="db-chart db-chart-line".*?</figure>', html, re.S)
    assert figure, "no trend chart"
    names = re.findall(r'<span class="db-swatch"></span>([^<]*)</span>', figure.group(0))
    top = float(re.search(r'class="db-chart-value">([\d,.]+)</text>', figure.group(0)).group(1).replace(",", ""))
    lines = re.findall(r'<polyline [^>]*points="([^"]*)"', figure.group(0))
    return {name: [round((100 - float(p.split(",")[1])) * top / 100) for p in points.split()]
            for name, points in zip(names, lines, strict=True)}


def test_the_trend_counts_a_deal_won_re_opened_and_won_again_once(repo):
    """Before: the reports page's 12-month trend drew the funnel's entries into the first stage and into
    won, so the deal won in March, re-opened and won again in April made two wins, and the customer lost
    and re-opened as a lead in April a second new lead."""
    repo.settings("as_of: 2024-05-20\nlanguage: en\ntransitions:\n  allow_backward: true\n")
    repo.customer("粤IT2024001", created="2024-02-01", stage="won",
                  contracts=[{"no": "HT-1", "amount": 90000, "signed": "2024-03-04"}],
                  stage_history=[{"stage": "lead", "on": "2024-02-01"}, {"stage": "negotiation", "on": "2024-02-20"},
                                 {"stage": "won", "on": "2024-03-04"}, {"stage": "negotiation", "on": "2024-03-20"},
                                 {"stage": "won", "on": "2024-04-15"}])
    repo.customer("粤IT2024002", created="2024-02-03", stage="lead",
                  stage_history=[{"stage": "lead", "on": "2024-02-03"}, {"stage": "lost", "on": "2024-02-10"},
                                 {"stage": "lead", "on": "2024-04-01"}])
    root = site_repo(repo)
    done = build(root)
    assert done.returncode == 0, done.stderr
    page = (root / "public" / "reports" / "index.html").read_text("utf-8")
    months = ["2023-06", "2023-07", "2023-08", "2023-09", "2023-10", "2023-11", "2023-12",
              "2024-01", "2024-02", "2024-03", "2024-04", "2024-05"]
    zeros = dict.fromkeys(months, 0)
    trend = {name: dict(zip(months, values, strict=True)) for name, values in _trend(page).items()}
    assert list(trend.values()) == [{**zeros, "2024-02": 2}, {**zeros, "2024-03": 1}]
    assert list(trend) == ["New customers (created)", "Deals won (first win)"]
    assert "Last 12 months: new customers and deals won" in page
    assert "a deal won, re-opened and won again counts once, in the month of its first win." in page
