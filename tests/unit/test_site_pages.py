"""Generated pages from small fixture repos: where they live, the figures they show, escaping."""

from __future__ import annotations

import dataclasses
import datetime as dt
from pathlib import Path
from urllib.parse import quote

from dealbook.checks.reading import open_book
from dealbook.site import pages, urls
from dealbook.site.formats import money
from dealbook.site.labels import Labels
from dealbook.site.render import make_environment, render_page
from dealbook.site.views import SiteData, periods_for

TODAY = dt.date(2024, 5, 20)
HOSTILE = "<script>alert(1)</script> & Co"


def site_data(repo, today: dt.date = TODAY) -> SiteData:
    book = open_book(str(repo.root), use_cache=False)
    return SiteData(book, today, Labels(book.settings), str(repo.root))


def render(data: SiteData, src_uri: str, docs_dir: str | None = None) -> str:
    spec = {s.src_uri: s for s in pages.page_specs(data)}[src_uri]
    env = make_environment(docs_dir, data.labels)
    return render_page(env, spec, data, "../" * urls.url_of(src_uri).count("/"))


def deal_repo(repo):
    """Two open deals, one won this month, one won earlier this quarter, one won last year."""
    need = {"summary": "MES 升级", "budget": {"status": "clear"}}
    repo.customer("粤IT2024001", stage="proposal", need=need, deal={"amount": 100000},
                  stage_history=[{"stage": "lead", "on": "2024-01-05"}, {"stage": "proposal", "on": "2024-03-01"}])
    repo.customer("粤IT2024002", stage="negotiation", need=need, deal={"amount": 200000}, owner="li",
                  stage_history=[{"stage": "lead", "on": "2024-01-05"}, {"stage": "negotiation", "on": "2024-04-01"}])
    repo.customer("粤IT2024003", stage="won", need=need, deal={"amount": 280000},
                  contracts=[{"no": "HT-1", "amount": 300000, "signed": "2024-05-10"}],
                  stage_history=[{"stage": "lead", "on": "2024-01-05"}, {"stage": "won", "on": "2024-05-10"}])
    repo.customer("粤IT2024004", stage="won", need=need,
                  contracts=[{"no": "HT-2", "amount": 50000, "signed": "2024-04-02"}],
                  stage_history=[{"stage": "lead", "on": "2024-01-05"}, {"stage": "won", "on": "2024-04-02"}])
    repo.customer("粤IT2024005", stage="won", need=need,
                  contracts=[{"no": "HT-3", "amount": 70000, "signed": "2023-11-02"}],
                  stage_history=[{"stage": "lead", "on": "2023-01-05"}, {"stage": "won", "on": "2023-11-02"}])
    return repo


def test_slugs_and_urls():
    assert urls.slug("粤IT2024001") == "粤IT2024001"
    assert urls.slug("a/b").startswith("x-") and urls.slug("a/b") == urls.slug("a/b")
    assert urls.slug("../etc").startswith("x-") and urls.slug("").startswith("x-")
    assert urls.url_of("index.md") == ""
    assert urls.url_of("reports/index.md") == "reports/"
    assert urls.url_of("customers/粤IT2024001.md") == quote("customers/粤IT2024001") + "/"
    assert urls.Link("../../").customer("粤IT2024001") == "../../" + quote("customers/粤IT2024001") + "/"
    assert urls.Link("").agenda == "agenda/"


def test_periods_around_today():
    found = periods_for(dt.date(2024, 1, 15))
    assert found["this-month"][:2] == (dt.date(2024, 1, 1), dt.date(2024, 1, 31))
    assert found["last-month"][:2] == (dt.date(2023, 12, 1), dt.date(2023, 12, 31))
    assert found["this-quarter"][:2] == (dt.date(2024, 1, 1), dt.date(2024, 3, 31))
    assert found["trailing-12"][:2] == (dt.date(2023, 2, 1), dt.date(2024, 1, 31))


def test_dashboard_figures(repo):
    deal_repo(repo)
    repo.customer("粤IT2024006", stage="lead", stage_history=[{"stage": "lead", "on": "2024-05-02"}])  # no amount
    data = site_data(repo)
    dash = pages.dashboard(data)
    assert dash["open"] == {"deals": 3, "priced": 2, "unpriced": 1, "amount": 300000,
                            "weighted": round(100000 * 0.35 + 200000 * 0.6)}
    assert dash["won_month"] == (1, 300000)  # the contract amount wins over deal.amount
    assert dash["won_quarter"] == (2, 350000)
    assert [n for _, _, n, _ in dash["stages"]] == [1, 0, 1, 1, 3, 0, 0]
    assert sum(dash["grades"].values()) == 3  # the three open deals; the three won customers have no grade
    html = render(data, "index.md")
    assert "¥300,000" in html and "¥155,000" in html and "¥350,000" in html
    # the card says what it counts, links the deals without an amount and names the probabilities
    assert "3 单在途,其中 2 单有金额" in html and "另 1 单未填金额" in html
    assert 'href="problems/#missing-amount"' in html
    assert "金额 × 各阶段设定赢率" in html and "方案呈现 35.0%" in html and "商务谈判 60.0%" in html
    assert 'href="customers/"' in html and 'href="agenda/"' in html
    # the month's stage conversion table, not a chart of entries
    assert "本月阶段转化(2024-05)" in html and "转化/进入" in html and "db-chart-bar" not in html
    assert "转化率" not in html.split("本月阶段转化")[1].split("</table>")[0]  # two groups' counts, no one group's rate
    assert "所以不是同一批客户的转化率,可能超过 100%" in html  # and the note under it says why
    # the one chart is the funnel of a cohort, named as such
    assert html.count("db-chart-funnel") == 1 and "销售漏斗:近 12 个月建档的客户" in html


def test_every_page_is_specified_once_and_customers_stay_out_of_the_nav(repo):
    data = site_data(deal_repo(repo))
    specs = pages.page_specs(data)
    uris = [s.src_uri for s in specs]
    assert len(uris) == len(set(uris))
    customer_specs = [s for s in specs if s.template == "customer.html"]
    assert len(customer_specs) == 5
    assert all(s.nav is None for s in customer_specs)
    assert all(s.edit_path == f"records/customers/{s.src_uri[10:-3]}.yaml" for s in customer_specs)
    assert {"index.md", "customers/index.md", "agenda.md", "process.md", "problems.md"} <= set(uris)
    assert {"owners/zhang.md", "owners/li.md", "owners/chen.md"} <= set(uris)
    assert "by/stage/won.md" in uris and "by/industry/I65.md" in uris  # industries by GB/T 4754 大类
    assert "reports/funnel/this-month.md" in uris and "reports/funnel/trailing-12.md" in uris
    assert "board.md" in uris


def test_periods_only_for_reports_that_use_them(repo):
    data = site_data(deal_repo(repo))
    uris = {s.src_uri for s in pages.page_specs(data)}
    for snapshot in ("pipeline", "slowest-deals", "value-tiers"):
        assert [u for u in uris if u.startswith(f"reports/{snapshot}/")] == [f"reports/{snapshot}/index.md"]
    assert sorted(u for u in uris if u.startswith("reports/forecast/")) == [
        "reports/forecast/next-quarter.md", "reports/forecast/this-quarter.md"]
    html = render(data, "reports/pipeline/index.md")
    assert "截至 2024-05-20 的状态" in html and "db-periods" not in html


def test_customers_index_lists_every_customer_sortable(repo):
    data = site_data(deal_repo(repo))
    html = render(data, "customers/index.md")
    assert html.count("<tr") == 1 + 5
    assert 'class="db-table db-sortable db-customers" id="db-customers"' in html
    assert 'class="db-filter" data-table="db-customers"' in html
    assert f'href="../{quote("customers/粤IT2024003")}/"' in html  # from customers/ up to the root


def test_overdue_customers_are_marked(repo):
    repo.customer("粤IT2024001")  # a C lead created 2024-01-05 with no follow-up: due 2024-01-08
    data = site_data(repo)
    row = pages.customer_row(data, data.book.customers["粤IT2024001"])
    assert row["next_due"] == dt.date(2024, 1, 8)
    assert row["overdue_days"] == (TODAY - dt.date(2024, 1, 8)).days
    html = render(data, "customers/index.md")
    assert '<tr class="db-overdue">' in html and "db-overdue-text" in html


def test_every_page_with_time_relative_figures_says_the_day_they_were_computed_for(repo):
    # CI builds the site on push and people read it days later: "overdue 5", "days in stage 40",
    # "this quarter" and "today" are only right with the day they were counted on beside them
    deal_repo(repo)
    repo.customer("粤IT2024006", owner="li")  # overdue: a C lead with no follow-up
    data = site_data(repo)
    timeless = {"process.md", "reviews/index.md"}  # the settings, and a list of links
    specs = [s for s in pages.page_specs(data) if s.src_uri not in timeless]
    assert {"agenda.md", "at-risk.md", "board.md", "problems.md", "owners/index.md", "owners/li.md",
            "customers/index.md", "customers/粤IT2024006.md", "by/stage/proposal.md", "reports/index.md",
            "reports/funnel/this-month.md", "reports/win-loss/this-quarter.md"} <= {s.src_uri for s in specs}
    # at the top: in the title or the first paragraph ("数据日期: 2024-05-20", "2024-05-14 to 2024-05-20")
    undated = [s.src_uri for s in specs if "2024-05-20" not in render(data, s.src_uri).split("</p>", 1)[0]]
    assert undated == []
    assert '<p class="db-muted db-as-of" data-search-exclude>数据日期: 2024-05-20</p>' in render(data, "agenda.md")


def test_customer_page_sections(repo):
    repo.customer("粤IT2024001", stage="discovery", need={"summary": "提升质检效率", "goal": "质检时间缩短30%"},
                  stage_history=[{"stage": "lead", "on": "2024-01-05"}, {"stage": "discovery", "on": "2024-02-01"}],
                  decision_chain="技术部评估 → 财务审批 → 总经理签字",
                  needs=[{"need": "自动质检", "priority": "high", "solution": "视觉检测", "value": "省 2 人"}])
    repo.followup("粤IT2024001", "2024-05-01 10:00", summary="第一次", contact="王总监")
    repo.followup("粤IT2024001", "2024-05-10 14:00", summary="第二次", method="visit",
                  next=[{"action": "发送报价", "due": "2024-05-15", "owner": "zhang"}])
    data = site_data(repo)
    view = pages.customer_page(data, data.book.customers["粤IT2024001"])
    assert [f.summary for f in view["followups"]] == ["第二次", "第一次"]  # newest first
    assert [(n.action, n.due) for n in view["next_actions"]] == [("发送报价", dt.date(2024, 5, 15))]
    assert [(h["stage"], h["days"]) for h in view["history"]] == [("lead", 27), ("discovery", 109)]
    html = render(data, "customers/粤IT2024001.md")
    assert "<h1>A科技有限公司</h1>" in html
    # the stage timeline says how long each stage lasted ("27 天", not "27 天数": days, not a label)
    assert '2024-01-05 <span class="db-muted">· 27 天</span>' in html and "天数</span>" not in html
    assert html.index("第二次") < html.index("第一次")
    assert "技术部评估 → 财务审批 → 总经理签字" in html and "视觉检测" in html
    assert "<section data-search-exclude>" in html
    assert html.index("data-search-exclude") < html.index("第二次")  # the log is not indexed
    assert html.index("视觉检测") < html.index("<section data-search-exclude>")  # needs are
    assert "拜访" in html and "张伟" in html  # method label and member name, zh
    assert "2024-05-15" in html and "db-overdue-text" in html  # the promised quote is overdue


def test_mask_contacts(repo):
    repo.settings("as_of: 2024-05-20\nsite:\n  mask_contacts: true\n")
    repo.customer("粤IT2024001", contacts=[{"name": "王总监", "title": "技术总监", "role": "decision_maker",
                                           "phone": "0755-8888-1234", "phone_kind": "work",
                                           "email": "wang@example.com"}])
    data = site_data(repo)
    html = render(data, "customers/粤IT2024001.md")
    assert "0755-8888-1234" not in html and "wang@example.com" not in html
    assert "075" + "•" * 9 + "34" in html and "wan" + "•" * 11 + "om" in html


def test_mask_contacts_masks_numbers_and_mail_inside_follow_up_text(repo):
    repo.settings("as_of: 2024-05-20\nsite:\n  mask_contacts: true\n")
    repo.customer("粤IT2024001", need={"summary": "对接人座机 0755-8888-1234"})
    repo.followup("粤IT2024001", "2024-05-10 14:00", summary="留了手机 138.1234.5678，邮箱 li123@qq.com",
                  feedback="约 2024-05-20 再谈，报价 1200000 元",
                  next=[{"action": "打 １３８ １２３４ ５６７８ 确认", "due": "2024-05-22", "owner": "zhang"}])
    html = render(site_data(repo), "customers/粤IT2024001.md")
    for hidden in ("138.1234.5678", "li123@qq.com", "１３８ １２３４ ５６７８", "0755-8888-1234"):
        assert hidden not in html
    assert "138" + "•" * 8 + "78" in html
    assert "2024-05-20" in html and "1200000" in html  # dates and amounts are not phone numbers


def test_without_mask_contacts_follow_up_text_is_shown_as_written(repo):
    repo.customer("粤IT2024001")
    repo.followup("粤IT2024001", "2024-05-10 14:00", summary="座机 0755-8888-1234")
    assert "座机 0755-8888-1234" in render(site_data(repo), "customers/粤IT2024001.md")


def test_hostile_strings_come_out_as_text(repo):
    repo.customer("粤IT2024001", name=HOSTILE, region="| broken | table |",
                  contacts=[{"name": "[x](javascript:alert(1))", "title": "<!-- -->", "role": "user"}],
                  need={"summary": "**md** {{ jinja }} {% raw %}"}, tags=["<img src=x onerror=alert(1)>"])
    repo.followup("粤IT2024001", "2024-05-10 14:00", summary="**md** {{ jinja }} <b>bold</b>")
    data = site_data(repo)
    for uri in ("customers/粤IT2024001.md", "customers/index.md", "index.md", "owners/zhang.md"):
        html = render(data, uri)
        assert "<script>" not in html and "<img" not in html and "<b>bold" not in html and "<!-- -->" not in html
    html = render(data, "customers/粤IT2024001.md")
    assert "<h1>&lt;script&gt;alert(1)&lt;/script&gt; &amp; Co</h1>" in html
    assert "**md** {{ jinja }} {% raw %}" in html and "**md** {{ jinja }} &lt;b&gt;bold&lt;/b&gt;" in html
    assert "[x](javascript:alert(1))" in html and 'href="javascript' not in html
    assert "&lt;!-- --&gt;" in html and "| broken | table |" in html


def test_english_labels_and_money():
    from dealbook.records.settings import Settings, default_settings, merge

    en = Labels(Settings(merge(default_settings().raw, {"language": "en"})))
    zh = Labels(default_settings())
    assert en.listing("stage") == "Stage" and zh.listing("stage") == "阶段"
    assert en.period("this-month") == "This month" and zh.period("this-month") == "本月"
    assert en.text.pgettext("navigation", "Customers") == "Customers"
    assert zh.text.pgettext("navigation", "Customers") == "客户"
    assert zh.enum("due_kind", "differentiation_due") == "差异化竞争分析"
    assert en.enum("stage", "proposal") == "Proposal" and zh.enum("stage", "proposal") == "方案呈现"
    assert en.enum("method", "visit") == "Visit" and en.enum("method", "telepathy") == "telepathy"
    assert en.enum("channel", "trade_show") == "Trade show"
    assert money(1234567) == "¥1,234,567" and money(1234567, "XYZ") == "1,234,567 XYZ" and money(None) == "—"


def test_deal_counts_read_right_in_english_and_chinese(repo):
    # "1 deals" on the dashboard's won cards, the owner's target cards and the board's columns
    deal_repo(repo)
    repo.settings("language: en\n")
    data = site_data(repo)
    home = render(data, "index.md")
    assert "1 deal · " in home and "2 deals · " in home and "1 deals" not in home
    board = render(data, "board.md")
    assert ">1 deal</span>" in board and "1 deals" not in board
    repo.settings("language: zh\n")
    assert "1 单 · " in render(site_data(repo), "index.md")


def test_a_team_template_overrides_the_packaged_one(repo, tmp_path: Path):
    repo.customer("粤IT2024001")
    docs = tmp_path / "docs"
    (docs / "overrides" / "dealbook").mkdir(parents=True)
    (docs / "overrides" / "dealbook" / "process.html").write_text("<h1>OUR PROCESS {{ title }}</h1>", "utf-8")
    data = site_data(repo)
    assert render(data, "process.md", str(docs)) == "<h1>OUR PROCESS 销售流程</h1>"
    assert "OUR PROCESS" not in render(data, "agenda.md", str(docs))  # other templates stay packaged


def test_owner_page_agenda_and_grades(repo):
    repo.customer("粤IT2024001", owner="li")
    repo.customer("粤IT2024002", owner="zhang")
    data = site_data(repo)
    view = pages.owner_page(data, "li")
    assert view["count"] == 1 and view["name"] == "李娜"
    assert [r["id"] for rows in view["by_grade"].values() for r in rows] == ["粤IT2024001"]
    assert view["money"] == {"open": 1, "priced": 0, "amount": 0, "weighted": 0}
    assert {i.customer_id for i in view["agenda"]["overdue"]} == {"粤IT2024001"}
    html = render(data, "owners/li.md")
    assert "<h1>李娜</h1>" in html and "粤IT2024002" not in html


def test_owners_index_counts_what_each_owner_page_lists(repo):
    repo.customer("粤IT2024001", owner="li")
    repo.customer("粤IT2024002", owner="zhang")
    repo.customer("粤IT2024003", owner="zhang", next_action={"due": "2024-05-22", "what": "visit"})

    def overdue_counts(data: SiteData) -> dict[str, int]:
        rows = {row["handle"]: row for row in pages.owners_index(data)["owners"]}
        for handle in ("li", "zhang"):
            groups = pages.owner_page(data, handle)["agenda"]
            assert rows[handle]["overdue"] == len(groups.get("overdue", ())) >= 1
            assert rows[handle]["week"] == len(groups.get("today", ())) + len(groups.get("week", ())) >= 0
        return {handle: rows[handle]["overdue"] for handle in ("li", "zhang")}

    before = overdue_counts(site_data(repo))
    data = site_data(repo)
    item = next(i for i in data.agenda if i.group == "overdue")
    # one more overdue item for two people, one of them named twice: on each one's page once, counted once
    data.agenda.append(dataclasses.replace(item, who=("zhang", "li", "zhang")))
    assert overdue_counts(data) == {handle: n + 1 for handle, n in before.items()}


def test_an_item_on_a_members_agenda_for_a_customer_they_do_not_own_shows_its_amount_and_stage(repo):
    # li is to act on zhang's customer (help asked of her): her page and her Friday review list the
    # item; its amount and stage are the customer's, as on the team agenda, not "—" and blank
    repo.customer("粤IT2024001", owner="zhang", stage="negotiation", deal={"amount": 280000},
                  stage_history=[{"stage": "lead", "on": "2024-01-05"}, {"stage": "negotiation", "on": "2024-05-01"}])
    repo.followup("粤IT2024001", "2024-05-15 10:00", by="zhang",
                  help={"from": "li", "detail": "审批再降 8%", "due": "2024-05-21"})
    repo.customer("粤IT2024002", owner="li")  # a rep of her own: she has a Friday review
    data = site_data(repo)
    assert any(i.customer_id == "粤IT2024001" for i in data.agenda_of("li"))
    cells = '<td class="db-num" data-v="280000">¥280,000</td><td class="db-wide">商务谈判</td>'
    assert cells in render(data, "agenda.md")
    for page in ("owners/li.md", "reviews/friday/li.md"):
        html = render(data, page)
        row = next(r for r in html.split("<tr") if "审批再降 8%" in r)
        assert cells in row, page


def test_the_agendas_this_week_says_which_days_it_covers(repo):
    # "this week" is the 7 days after today, not the calendar week: read on a Friday, a bare "本周内"
    # would be taken for the two days left; the dashboard's card counts today and the same 7 days
    repo.customer("粤IT2024001", owner="li")
    data = site_data(repo)
    heading = '本周内 <small class="db-muted">(2024-05-21 – 2024-05-27)</small> <span class="db-muted db-group-count">'
    assert heading in render(data, "agenda.md") and heading in render(data, "owners/li.md")


def test_problems_page_lists_diagnostics_with_file_and_line(repo):
    repo.write("records/customers/粤IT2024009.yaml", "id: 粤IT2024009\nname: X\nstage: nowhere\n")
    data = site_data(repo)
    assert data.errors
    html = render(data, "problems.md")
    first = data.errors[0]
    assert f"<code>{first.path}:{first.line}:{first.column}</code>" in html
    assert "records/customers/粤IT2024009.yaml" in html


def test_sections_are_left_out_with_a_note_when_a_module_is_missing(repo, monkeypatch):
    from dealbook.site import views

    real = views.optional
    monkeypatch.setattr(views, "optional", lambda name: None if name in (
        "dealbook.rules.state", "dealbook.rules.agenda", "dealbook.reports") else real(name))
    repo.customer("粤IT2024001")
    data = site_data(repo)
    assert data.states is None and data.agenda is None and data.reports is None
    assert not any(s.src_uri.startswith("reports/") for s in pages.page_specs(data))
    html = render(data, "customers/粤IT2024001.md")
    assert "dealbook.rules.state.evaluate" in html and "<h1>A科技有限公司</h1>" in html
    assert "dealbook.rules.agenda.agenda_items" in render(data, "agenda.md")
    home = render(data, "index.md")
    assert "dealbook.reports" in home and "db-chart" not in home


def test_a_failing_report_is_noted_and_logged(repo, monkeypatch, caplog):
    import dealbook.reports

    def broken(*args, **kwargs):
        raise RuntimeError("boom")

    monkeypatch.setattr(dealbook.reports, "run_report", broken)
    repo.customer("粤IT2024001")
    data = site_data(repo)
    html = render(data, "reports/funnel/this-month.md")
    assert "dealbook.reports.run_report" in html
    assert any("RuntimeError: boom" in r.getMessage() and r.levelname == "WARNING" for r in caplog.records)
    assert data.failures and "boom" in render(data, "problems.md")


REWON = [{"stage": "lead", "on": "2024-02-01"}, {"stage": "negotiation", "on": "2024-02-20"},
         {"stage": "won", "on": "2024-03-04"}, {"stage": "negotiation", "on": "2024-03-20"},
         {"stage": "won", "on": "2024-04-15"}]
RELEAD = [{"stage": "lead", "on": "2024-02-03"}, {"stage": "lost", "on": "2024-02-10"},
          {"stage": "lead", "on": "2024-04-01"}]


def test_monthly_trend_counts_new_customers_and_each_deal_won_once(repo, monkeypatch):
    """Before: the series were the funnel's entries into the first stage and into won, so a deal won,
    re-opened and won again counted as two wins (March and April) and a customer lost and re-opened as
    a lead as two new leads (February and April); a customer created this month and won after today
    counted as won too."""
    repo.settings("as_of: 2024-05-20\ntransitions:\n  allow_backward: true\n")
    deal_repo(repo)  # all created 2024-01-05; first wins 2024-05-10, 2024-04-02, 2023-11-02
    repo.customer("粤IT2024006", created="2024-02-01", stage="won", stage_history=REWON,
                  contracts=[{"no": "HT-6", "amount": 90000, "signed": "2024-03-04"}])
    repo.customer("粤IT2024007", created="2024-02-03", stage="lead", stage_history=RELEAD)
    repo.customer("粤IT2024008", created="2024-05-25", stage="won",  # dated after today: not yet counted
                  stage_history=[{"stage": "lead", "on": "2024-05-25"}, {"stage": "won", "on": "2024-05-28"}])
    seen = {}

    def capture(labels, series, title="", empty=""):
        seen.update(labels=labels, series=series, title=title)
        return "chart"

    monkeypatch.setattr(pages.charts, "line_chart", capture)
    data = site_data(repo)
    assert pages.monthly_trend(data) == "chart"
    assert seen["labels"][0] == "2023-06" and seen["labels"][-1] == "2024-05" and len(seen["labels"]) == 12
    (new_label, new), (won_label, wins) = seen["series"]
    zeros = dict.fromkeys(seen["labels"], 0)
    assert dict(zip(seen["labels"], new, strict=True)) == {**zeros, "2024-01": 5, "2024-02": 2}
    assert dict(zip(seen["labels"], wins, strict=True)) == {**zeros, "2023-11": 1, "2024-03": 1, "2024-04": 1,
                                                            "2024-05": 1}
    assert (new_label, won_label) == ("新客户(建档)", "成交客户(首次成交)")
    assert seen["title"] == "近12个月趋势:新客户与成交客户"


def test_the_trend_share_is_one_customers_months_and_the_chart_the_sum(repo):
    """`trend_share` is what `mkdocs serve` keeps per customer: the re-won customer's first win only."""
    repo.settings("as_of: 2024-05-20\ntransitions:\n  allow_backward: true\n")
    repo.customer("粤IT2024006", created="2024-02-01", stage="won", stage_history=REWON)
    data = site_data(repo)
    customer = data.book.customers["粤IT2024006"]
    assert pages.trend_share(data.settings, customer, dt.date(2023, 6, 1), TODAY) == {"2024-02": [1, 0],
                                                                                      "2024-03": [0, 1]}
    assert pages.trend_share(data.settings, customer, dt.date(2024, 4, 1), TODAY) == {}  # the re-win: no win


def test_followups_show_when_they_were_recorded_and_late_entries(repo):
    """Issue 6: a follow-up shows when it happened and when it was recorded (first committed);
    later than entry_deadlines.followup_hours (2 h) is marked late."""
    repo.git_init()
    repo.customer("粤IT2024001")
    repo.commit("customer", date="2024-05-01T09:00:00+08:00")
    repo.followup("粤IT2024001", "2024-05-10 14:00", summary="准时")
    repo.commit("on time", date="2024-05-10T15:30:00+08:00")  # 1.5 h later
    repo.followup("粤IT2024001", "2024-05-11 09:00", summary="补录")
    repo.commit("late", date="2024-05-11T18:00:00+08:00")  # 9 h later
    data = site_data(repo)
    view = pages.customer_page(data, data.book.customers["粤IT2024001"])
    recorded = {path.rsplit("/", 1)[1]: (r["when"], r["late"]) for path, r in view["recorded"].items()}
    assert recorded == {"2024-05-10-1400.yaml": (dt.datetime(2024, 5, 10, 15, 30), False),
                        "2024-05-11-0900.yaml": (dt.datetime(2024, 5, 11, 18, 0), True)}
    html = render(data, "customers/粤IT2024001.md")
    assert "录入于 2024-05-10 15:30" in html and "录入于 2024-05-11 18:00" in html
    assert html.count("超过录入时限") == 1


def test_history_before_entry_deadlines_since_shows_no_recorded_time(repo):
    """A conversation before entry_deadlines.since was brought in at adoption: its commit time is
    not a recording time, so the page does not show one (the team-activity report agrees)."""
    repo.git_init()
    repo.settings("entry_deadlines:\n  since: 2024-05-11\n")
    repo.customer("粤IT2024001")
    repo.followup("粤IT2024001", "2024-05-10 14:00", summary="旧记录")
    repo.followup("粤IT2024001", "2024-05-12 09:00", summary="新记录")
    repo.commit("adoption", date="2024-05-20T09:00:00+08:00")
    data = site_data(repo)
    view = pages.customer_page(data, data.book.customers["粤IT2024001"])
    assert [path.rsplit("/", 1)[1] for path in view["recorded"]] == ["2024-05-12-0900.yaml"]
    html = render(data, "customers/粤IT2024001.md")
    assert html.count("录入于") == 1 and "录入于 2024-05-20 09:00 (超过录入时限)" in html


def test_a_board_column_shows_the_largest_deals_and_counts_them_all(repo, monkeypatch):
    from dealbook.site import dashboard

    monkeypatch.setattr(dashboard, "BOARD_CARDS", 1)
    deal_repo(repo)
    repo.customer("粤IT2024006", stage="proposal", deal={"amount": 5000},
                  stage_history=[{"stage": "lead", "on": "2024-01-05"}, {"stage": "proposal", "on": "2024-03-01"}])
    data = site_data(repo)
    proposal = next(c for c in dashboard.board(data)["columns"] if c["stage"] == "proposal")
    assert (proposal["count"], proposal["amount"], proposal["more"]) == (2, 105000, 1)
    assert [r["id"] for r in proposal["cards"]] == ["粤IT2024001"]  # 100,000 before 5,000
    html = render(data, "board.md")
    assert "另 1 单(金额较小)" in html and 'href="../by/stage/proposal/"' in html
    # the head's sum says what it is, as on the customers page: the open pipeline, not one deal's amount
    assert "3 单在途,其中 3 单有金额 · 在途商机金额 ¥305,000</p>" in html


def test_a_yes_no_report_column_shows_a_mark_not_python_words(repo):
    repo.customer("粤IT2024001", stage="proposal", need={"summary": "x", "budget": {"status": "clear"}},
                  deal={"amount": 1000, "close_by": "2024-05-01"},
                  stage_history=[{"stage": "lead", "on": "2024-01-05"}, {"stage": "proposal", "on": "2024-03-01"}])
    html = render(site_data(repo), "reports/slowest-deals/index.md")
    assert "True" not in html and "False" not in html and '<td data-v="1">✓</td>' in html


def test_process_page_shows_the_intake_exception_hygiene_and_entry_settings(repo):
    repo.settings("as_of: 2024-05-20\nintake: {lead_review_hours: 36, plan_hours: 8, first_response_hours: {A: 12}}\n"
                  "exceptions: {mode: pause, reassess_days: 60}\nhygiene: {max_contacts_per_day: 3}\n"
                  "help: {due_days: 5}\ncadence: {methods: {A: {zh: 上门拜访}}}\n")
    repo.customer()
    html = render(site_data(repo), "process.md")
    for text in ("12 小时内", "48 小时内", "72 小时内", "建档后 36 小时内", "分配后 8 小时内", "上门拜访",
                 "企业IM+邮件",
                 "暂停跟进,60 天后重新评估", "最多联系 3 次", "跟进后 5 天",
                 "沟通后 2 小时内", "老客户转介绍 → A", "线索必填:客户名称,联系人,联系电话,来源渠道",
                 "角色为 销售主管 的成员", "#exceptions-missed-appointments-and-no-need-for-now"):
        assert text in html, text
    assert "exceptions.mode" not in html and "<code>contacts.phone</code>" not in html
    en = repo.settings("as_of: 2024-05-20\nlanguage: en\n")
    assert en
    html = render(site_data(repo), "process.md")
    for text in ("within 24 h", "Manager review: within 48 h", "the cadence drops one grade", "phone + visit",
                 "At most 2 contacts of one customer on one day"):
        assert text in html, text


def test_the_agenda_groups_and_the_owners_table_say_they_count_items_not_customers(repo):
    # one customer with two overdue items (a next action and an instalment): a bare "2" beside
    # 逾期 reads as two customers behind; the heading names both figures, the owners' table its unit
    repo.customer("粤IT2024001", owner="li", stage="after_sales",
                  stage_history=[{"stage": "lead", "on": "2024-01-05"}, {"stage": "won", "on": "2024-02-01"},
                                 {"stage": "after_sales", "on": "2024-03-01"}],
                  contracts=[{"no": "HT-1", "amount": 100000, "signed": "2024-02-01",
                              "payments": [{"due": "2024-05-01", "amount": 100000}]}])
    repo.followup("粤IT2024001", "2024-05-02 10:00", next=[{"action": "回访", "due": "2024-05-10"}])
    data = site_data(repo)
    late = [i for i in data.agenda if i.group == "overdue"]
    assert len(late) == 2 and {i.customer_id for i in late} == {"粤IT2024001"}, late
    for page in ("agenda.md", "owners/li.md"):
        assert '<span class="db-muted db-group-count">2 项,涉及 1 个客户</span>' in render(data, page), page
    owners = render(data, "owners/index.md")
    assert "<th data-type=\"num\" class=\"db-num\">逾期待办</th>" in owners and "本周待办" in owners
    assert "一个客户可能有多项" in owners
    repo.settings("language: en\n")
    assert '<span class="db-muted db-group-count">2 items for 1 customer</span>' in render(site_data(repo), "agenda.md")


def test_the_customers_table_count_and_the_industry_facet_say_what_they_count(repo):
    # a bare 5 beside the filter box, a bare 1 beside 按行业: customers, and industries (not customers)
    data = site_data(deal_repo(repo))
    html = render(data, "customers/index.md")
    assert '<span class="db-count" data-table="db-customers">5</span> <span class="db-muted">个客户</span>' in html
    assert "<strong>按行业</strong> <span class=\"db-muted\">1 个行业</span>" in html, html
    repo.settings("as_of: 2024-05-20\nlanguage: en\n")
    html = render(site_data(repo), "customers/index.md")
    assert '<span class="db-count" data-table="db-customers">5</span> <span class="db-muted">customers</span>' in html
    assert "<strong>By industry</strong> <span class=\"db-muted\">1 industry</span>" in html


def test_the_due_this_week_card_counts_items_and_customers(repo):
    # a next step and an instalment of one customer due this week: the card's figure is items, for 1 customer
    repo.customer("粤IT2024001", stage="after_sales",
                  stage_history=[{"stage": "lead", "on": "2024-01-05"}, {"stage": "won", "on": "2024-02-01"},
                                 {"stage": "after_sales", "on": "2024-03-01"}],
                  contracts=[{"no": "HT-1", "amount": 100000, "signed": "2024-02-01",
                              "payments": [{"due": "2024-05-23", "amount": 100000}]}])
    repo.followup("粤IT2024001", "2024-05-19 10:00", next=[{"action": "回访", "due": "2024-05-22"}])
    data = site_data(repo)
    soon = [i for i in data.agenda if i.group in ("today", "week")]
    assert len(soon) >= 2 and {i.customer_id for i in soon} == {"粤IT2024001"}, soon
    html = render(data, "index.md")
    assert f"{len(soon)} 项,涉及 1 个客户 · 今天及未来 7 天到期的跟进项" in html, html


def test_the_owner_targets_name_one_open_deal_in_the_singular(repo):
    repo.settings("as_of: 2024-05-20\nlanguage: en\ntargets:\n  zhang: {month: 300000, quarter: 900000}\n")
    repo.customer("粤IT2024001", stage="proposal", deal={"amount": 100000, "close_by": "2024-05-31"},
                  need={"summary": "MES 升级", "budget": {"status": "clear"}},
                  stage_history=[{"stage": "lead", "on": "2024-01-05"}, {"stage": "proposal", "on": "2024-03-01"}])
    html = render(site_data(repo), "owners/zhang.md")
    assert "1 open deal expected to close in the period: ¥100,000" in html, html
