"""At risk, what changed and the review pages, rendered from a real git history (hand-worked)."""

from __future__ import annotations

import datetime as dt

from dealbook.checks.reading import open_book
from dealbook.site import pages, reviews
from dealbook.site.labels import Labels
from dealbook.site.render import make_environment, render_page
from dealbook.site.urls import url_of
from dealbook.site.views import SiteData

TODAY = dt.date(2024, 5, 20)
NEED = {"summary": "MES 升级", "budget": {"status": "clear"}, "timeline": {"start": "2024-06-01"}}
HISTORY = [{"stage": "lead", "on": "2024-01-05"}, {"stage": "negotiation", "on": "2024-04-01"}]


def render(data: SiteData, src_uri: str) -> str:
    spec = {s.src_uri: s for s in pages.page_specs(data)}[src_uri]
    return render_page(make_environment(None, data.labels), spec, data, "../" * url_of(src_uri).count("/"))


def history_repo(repo):
    """粤IT2024001 (zhang): an A-grade negotiation whose amount fell 800,000 → 600,000 and close date
    slipped 05-31 → 06-30 in a commit on 05-16, with a follow-up that day (competitor objection, help
    from 技术部). 粤IT2024002 (li): lost on 05-18. 粤IT2024003 (zhang): a new lead on 05-17."""
    repo.git_init()
    repo.customer("粤IT2024001", stage="negotiation", need=NEED, stage_history=HISTORY,
                  deal={"amount": 800000, "close_by": "2024-05-31"})
    repo.customer("粤IT2024002", name="B公司", owner="li", stage="proposal", need=NEED,
                  stage_history=[{"stage": "lead", "on": "2024-01-05"}, {"stage": "proposal", "on": "2024-03-01"}])
    repo.followup("粤IT2024001", "2024-04-20 10:00", contact="王总监")
    repo.commit("start", date="2024-05-01T09:00:00+08:00")
    repo.customer("粤IT2024001", stage="negotiation", need=NEED, stage_history=HISTORY,
                  deal={"amount": 600000, "close_by": "2024-06-30"})
    repo.followup("粤IT2024001", "2024-05-16 10:00", contact="王总监", summary="谈价格,客户拿竞品报价比较",
                  objections=["competitor"], help={"from": "技术部", "detail": "出差异化分析"},
                  next=[{"action": "提交差异化分析", "due": "2024-05-17", "owner": "zhang"}])
    repo.commit("price down", date="2024-05-16T18:00:00+08:00")
    repo.customer("粤IT2024002", name="B公司", owner="li", stage="lost", need=NEED, lost={"reason": "competitor"},
                  stage_history=[{"stage": "lead", "on": "2024-01-05"}, {"stage": "proposal", "on": "2024-03-01"},
                                 {"stage": "lost", "on": "2024-05-18"}])
    repo.customer("粤IT2024003", name="C公司", created="2024-05-17", stage_history=[{"stage": "lead",
                                                                                   "on": "2024-05-17"}])
    repo.git("config", "user.name", "lina")  # li's git account (team.yaml): shown as 李娜
    repo.commit("lost and new", date="2024-05-18T18:00:00+08:00")
    book = open_book(str(repo.root), use_cache=False)
    return SiteData(book, TODAY, Labels(book.settings), str(repo.root))


def test_what_changed_and_at_risk_on_the_dashboard_and_owner_page(repo):
    data = history_repo(repo)
    kinds = {e.kind: e for e in data.feed.events}
    assert set(kinds) == {"new_lead", "lost", "amount_down", "close_date_slipped"}
    assert (kinds["amount_down"].on, kinds["amount_down"].before, kinds["amount_down"].after) == (
        dt.date(2024, 5, 16), 800000, 600000)
    home = render(data, "index.md")
    assert "最近变化" in home and "金额下调" in home and "签约日推迟" in home and "流失" in home and "新线索" in home
    # the pipeline card compares with 7 days ago: 800,000 (negotiation) + 0 (proposal) then, 600,000 now
    assert "较 7 天前 −¥200,000" in home
    # at risk: 49 days in negotiation against 30 (rotting) — on the dashboard and zhang's page, not li's
    assert "停滞过久" in home and "在「商务谈判」阶段已停留 49 天(上限 30 天)" in home
    assert "停滞过久" in render(data, "owners/zhang.md")
    assert "停滞过久" not in render(data, "owners/li.md")
    li = render(data, "owners/li.md")
    assert "B公司" in li and "流失" in li  # li's own change
    lost = next(e for e in data.feed.events if e.kind == "lost")
    assert lost.author == "lina" and "· 李娜</span>" in li  # the git author by the member's name
    assert data.author_name("Test") == "Test" and data.author_name("ZHANGWEI") == "张伟"


def test_the_monday_meeting_lists_a_grade_deals_with_their_week(repo):
    data = history_repo(repo)
    view = reviews.monday(data)
    assert [(g["handle"], [d["row"]["id"] for d in g["deals"]]) for g in view["groups"]] == [
        ("zhang", ["粤IT2024001"])]  # the only open A grade: budget clear, starts in 12 days, decision maker held
    deal = view["groups"][0]["deals"][0]
    assert [e.kind for e in deal["events"]] == ["amount_down", "close_date_slipped"]
    assert [f.summary for f in deal["followups"]] == ["谈价格,客户拿竞品报价比较"]
    assert [(n.action, n.due) for n in deal["next"]] == [("提交差异化分析", dt.date(2024, 5, 17))]
    assert "协助需求: 技术部 出差异化分析" in deal["blockers"] and "异议: 竞品比较" in deal["blockers"]
    html = render(data, "reviews/monday.md")
    assert "周一销售例会" in html and "A科技有限公司" in html and "提交差异化分析" in html
    assert 'class="db-overdue-text">2024-05-17' in html  # the promised step is past due
    assert "B公司" not in html and "C公司" not in html  # lost, and a C-grade lead
    # the owner's line names the sum it shows: the amounts of the deals listed, as each deal's line does
    assert "1 个客户 · 金额 ¥600,000</span></h2>" in html


def test_the_friday_review_and_the_monthly_review(repo):
    data = history_repo(repo)
    friday = reviews.friday(data, "zhang")
    assert [f.summary for f in friday["followups"]] == ["谈价格,客户拿竞品报价比较"]
    assert {e.kind for e in friday["events"]} == {"new_lead", "amount_down", "close_date_slipped"}
    unfinished = {(i.customer_id, i.kind) for i in friday["unfinished"]}
    assert {cid for cid, _ in unfinished} == {"粤IT2024001", "粤IT2024003"}
    assert ("粤IT2024003", "lead_plan") in unfinished  # the new lead of 05-17 still has no plan
    html = render(data, "reviews/friday/zhang.md")
    assert "本周进展" in html and "未完成计划" in html and "下周关键行动" in html
    month = reviews.monthly(data)
    assert month["month"] == "2024-05" and [e.customer_id for e in month["lost"]] == ["粤IT2024002"]
    html = render(data, "reviews/month.md")
    assert "本月阶段转化(2024-05)" in html and "本月流失" in html and "B公司" in html
    assert 'class="db-print"' in html


def test_overdue_instalments_and_expiring_quotes_join_the_at_risk_list(repo):
    """The agenda's quote and instalment items (their kind is the reason) sit in the at-risk list
    beside the rules' reasons, for won customers too; an instalment merely due is not a risk."""
    from dealbook.rules.agenda import AgendaItem
    from dealbook.site.dashboard import risk_groups

    data = history_repo(repo)
    won = "粤IT2024002"
    data.agenda = [
        AgendaItem(won, "B公司", "li", dt.date(2024, 5, 10), "instalment_overdue", "第 2 期回款 ¥100,000 逾期 10 天",
                   10, "overdue"),
        AgendaItem("粤IT2024001", "A科技有限公司", "zhang", dt.date(2024, 5, 22), "quote_expiring",
                   "报价 BJ-1 将于 2024-05-22 到期", 0, "week"),
        AgendaItem("粤IT2024001", "A科技有限公司", "zhang", dt.date(2024, 5, 25), "instalment_due", "第 1 期回款", 0,
                   "week"),
    ]
    groups = {g["id"]: [r.code for r in g["reasons"]] for g in risk_groups(data)}
    assert groups[won] == ["instalment_overdue"]
    assert groups["粤IT2024001"] == ["rotting", "quote_expiring"]
    html = render(data, "at-risk.md")
    assert "回款逾期" in html and "第 2 期回款 ¥100,000 逾期 10 天" in html and "报价将到期" in html
    assert "第 1 期回款" not in html


def test_the_dashboard_cards_compare_with_the_book_of_7_days_ago(repo):
    """Week-over-week deltas, worked by hand on the history above (today 05-20, window 05-14…05-20,
    "7 days ago" = the end of 05-13, the window before = 05-07…05-13):
    - open deals: now 粤IT2024001 (negotiation) and 粤IT2024003 (lead, created 05-17); then 001 and
      002 (proposal, lost only on 05-18) → 2 vs 2;
    - new leads: 003 in this window, none in the one before; won: none in either;
    - overdue: now 5 — 001's differentiation analysis (competitor raised 05-16, due 05-17), its next
      step (05-17) and the help asked of 技术部 (3 days → 05-19); 003's plan (12 h → 05-17) and
      manager review (48 h → 05-19). Then 3 — 002's first response (never contacted, due 01-07),
      001's A cadence (last contact 04-20, every 2 days → 04-22) and A grade untouched (7 days → 04-27)."""
    from dealbook.git.replay import book_on, overdue_count
    from dealbook.git.store import book_at
    from dealbook.site.dashboard import dashboard

    data = history_repo(repo)
    then = dt.date(2024, 5, 13)
    replayed = book_on(data.book, data.changelog, then)
    assert sorted(replayed.customers) == ["粤IT2024001", "粤IT2024002"]
    assert replayed.customers["粤IT2024002"].stage == "proposal"
    assert replayed.customers["粤IT2024001"].deal_amount == 800000  # git's amount of that day
    assert [f.at.date() for f in replayed.followups_of("粤IT2024001")] == [dt.date(2024, 4, 20)]
    # the replay agrees with the records as committed then (the commit of 05-01 is the last before 05-14)
    as_committed = book_at(str(repo.root), "HEAD~2")
    assert overdue_count(replayed, then) == overdue_count(as_committed, then) == 3
    figures = dashboard(data)
    assert figures["overdue"] == 5 and figures["overdue_delta"] == {"now": 5, "before": 3, "change": 2}
    deltas = figures["changes"]["deltas"]
    assert (deltas["open_deals"].now, deltas["open_deals"].before) == (2, 2)
    assert (deltas["new_lead"].now, deltas["new_lead"].before) == (1, 0)
    assert (deltas["won"].now, deltas["won_amount"].now, deltas["won"].before) == (0, 0, 0)
    home = render(data, "index.md")
    assert "5 项,涉及 2 个客户 · <span" in home and "较 7 天前 +2</span>" in home
    assert "未结商机 较 7 天前 ±0" in home
    assert "新线索" in home and "近 7 天 1 个;再往前 7 天 0 个" in home
    assert "成交: <span" in home and "近 7 天 0 单 ¥0;再往前 7 天 0 单 ¥0" in home
    assert 'title="现在 5,7 天前 3"' in home


def test_serve_replays_the_week_old_book_again_only_for_customers_whose_files_changed(repo, monkeypatch):
    """Under `mkdocs serve` each customer's share of "overdue 7 days ago" is kept by what its own
    records are made of (their files' stamps): after an edit only that customer is replayed again;
    each figure is a fresh replay's, and the shares add up to the whole replay's figure."""
    from dealbook.checks.reading import scan
    from dealbook.git import replay
    from dealbook.site.reuse import customer_inputs

    history_repo(repo)
    runs: list[list[str] | None] = []
    real = replay.overdue_counts

    def counted(book, changelog, day, ids=None):
        runs.append(None if ids is None else sorted(ids))
        return real(book, changelog, day, ids)

    monkeypatch.setattr(replay, "overdue_counts", counted)
    kept: dict = {}

    def rebuilt() -> SiteData:
        book = open_book(str(repo.root), use_cache=False)
        fresh = SiteData(book, TODAY, Labels(book.settings), str(repo.root))
        inputs = customer_inputs(book, scan(str(repo.root)), "")
        served = SiteData(book, TODAY, Labels(book.settings), str(repo.root), replays=kept, inputs=inputs)
        assert served.overdue_before == fresh.overdue_before  # (the fresh one replays the whole book)
        return served

    assert rebuilt().overdue_before == 3 and runs == [None]
    assert rebuilt().overdue_before == 3 and runs == [None]  # nothing changed: nothing replayed
    repo.followup("粤IT2024001", "2024-05-19 15:00", contact="王总监", summary="再谈价格")  # this week
    assert rebuilt().overdue_before == 3 and runs[1:] == [["粤IT2024001"]]
    repo.followup("粤IT2024002", "2024-05-10 09:00", contact="张经理", summary="首次联系")  # before the window
    served = rebuilt()
    assert runs[2:] == [["粤IT2024002"]]
    assert served.overdue_before == 2  # 002 was contacted then: its first response is done
    assert sum(count for _inputs, count in kept["counts"].values()) == 2
    book = open_book(str(repo.root), use_cache=False)
    day = TODAY - dt.timedelta(days=8)
    assert sum(real(book, {}, day).values()) == replay.overdue_on(book, {}, day)
    assert real(book, {}, day, ["粤IT2024002", "nobody"]) == {"粤IT2024002": real(book, {}, day)["粤IT2024002"]}


def test_the_monthly_review_counts_losses_and_the_customers_lost(repo):
    """A customer lost 05-06, re-opened 05-08 and lost again 05-15: two losses of one customer; a
    bare 2 beside 本月流失 reads as two customers lost."""
    repo.git_init()
    repo.customer("粤IT2024002", name="B公司", owner="li", stage="lost", lost={"reason": "budget"}, need=NEED,
                  stage_history=[{"stage": "lead", "on": "2024-01-05"}, {"stage": "lost", "on": "2024-05-06"},
                                 {"stage": "lead", "on": "2024-05-08"}, {"stage": "lost", "on": "2024-05-15"}])
    repo.commit("seed", date="2024-05-01T09:00:00+08:00")
    book = open_book(str(repo.root), use_cache=False)
    data = SiteData(book, TODAY, Labels(book.settings), str(repo.root))
    assert [e.customer_id for e in reviews.monthly(data)["lost"]] == ["粤IT2024002"] * 2
    html = render(data, "reviews/month.md")
    assert '本月流失 <span class="db-muted">流失 2 次,涉及 1 个客户</span>' in html, html
    # the counts per kind (流失 2) beside it, on the dashboard and the what-changed page count events
    note = "各数字统计的是变化次数,不是客户数:一个客户流失、重新激活后再次流失,计 2 次。"
    assert note in html
    for page in ("index.md", "changes.md"):
        assert note in render(data, page), page


def test_the_friday_review_counts_items_and_the_customers_they_are_for(repo):
    """Unfinished plans and next week's actions are agenda items: one customer can have several, so
    a bare count beside the heading reads as customers behind; it names both, as the agenda does."""
    data = history_repo(repo)
    friday = reviews.friday(data, "zhang")
    late = friday["unfinished"]
    assert len(late) > len({i.customer_id for i in late}) == 2, late
    html = render(data, "reviews/friday/zhang.md")
    assert (f'未完成计划 <span class="db-muted db-group-count">{len(late)} 项,涉及 2 个客户</span></h2>'
            in html), html


def test_the_amount_column_of_agenda_and_risk_tables_says_what_amount_it_is(repo):
    """A won customer's overdue instalment sits in a row whose amount is the contract value, the
    instalment's own money in its text: the page says which amount the column holds."""
    data = history_repo(repo)
    note = "金额:未成交商机为预计成交金额,已成交客户为合同金额;报价或回款的金额写在该事项自己的说明里。"
    for page in ("agenda.md", "at-risk.md", "owners/zhang.md"):
        assert f'title="{note}"' in render(data, page), page
    assert "<p class=\"db-muted\">金额:未成交商机为预计成交金额" in render(data, "agenda.md")
    assert "条原因 金额:未成交商机为预计成交金额" in render(data, "at-risk.md")
