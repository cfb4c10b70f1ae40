"""`dealbook digest` on the real git history of test_recent (today 2024-05-20), worked by hand:

- changes (7 days, 05-14…05-20): A to proposal 05-19; B won 05-16 (480,000); quote Q-1 for A
  05-16; C a new lead 05-15; B's amount 450,000 → 480,000 and close date 05-31 → 06-30 (git);
- at risk: none (A entered proposal yesterday, C is a 5-day-old lead, B is won and owes nothing);
- due: A's first response (grade B: 2 days after 05-02, so 05-04, 16 days late), C's (grade C:
  3 days after 05-15, 2 days late), B's weekly delivery update (signed 05-16: 05-23);
- open pipeline: A and C now with no amount; A and B (450,000, as git had it) a week before.
"""

from __future__ import annotations

import json

import pytest
from conftest import RecordRepo
from dealbook.cli.commands.digest import parse_since, webhook_body
from test_recent import TODAY, history_repo  # noqa: F401 - the shared git history

A, B, C = "粤IT2024001", "粤IT2024002", "粤IT2024003"


def test_json_digest_of_the_team(history_repo: RecordRepo, run) -> None:  # noqa: F811
    result = run(history_repo, "digest", "--format", "json")
    assert result.exit_code == 0, result.output
    d = json.loads(result.output)
    assert (d["today"], d["start"], d["days"], d["owner"]) == ("2024-05-20", "2024-05-14", 7, None)
    assert [(e["on"], e["kind"], e["customer_id"]) for e in d["changes"]["events"]] == [
        ("2024-05-19", "stage_move", A), ("2024-05-16", "won", B), ("2024-05-16", "new_quote", A),
        ("2024-05-15", "new_lead", C), ("2024-05-15", "amount_up", B), ("2024-05-15", "close_date_slipped", B)]
    assert d["at_risk"] == []
    assert [(i["customer_id"], i["kind"], i["due"], i["overdue_days"]) for i in d["due"]] == [
        (A, "first_response", "2024-05-04", 16),
        # the lead acquired 2024-05-15: no plan 12 h after assignment, no manager review within 48 h,
        # first response within 72 h
        (C, "lead_plan", "2024-05-15", 5), (C, "lead_review", "2024-05-17", 3), (C, "first_response", "2024-05-18", 2),
        (B, "delivery", "2024-05-23", 0)]
    assert d["changes"]["deltas"]["open_amount"] == {"now": 0, "before": 450000, "change": -450000}


def test_markdown_digest_of_one_owner(history_repo: RecordRepo, run) -> None:  # noqa: F811
    result = run(history_repo, "digest", "--since", "7d", "--owner", "li")
    assert result.exit_code == 0, result.output
    assert result.output.splitlines() == [
        "**dealbook · 销售周报 · 李娜 · 2024-05-14 – 2024-05-20**",
        "",
        "在途商机 0 单 ¥0(上期 1 单 ¥450,000) · 新线索 0(上期 0) · 赢单 1 单 ¥480,000(上期 ¥0)"
        " · 流失 0 次(上期 流失 0 次)",
        "> 括号内为前 7 天;金额为预计成交金额,赢单为合同金额",
        "",
        "**近 7 天变化(3)**",
        "- 05-16 B精密有限公司:成交:商务谈判 → 成交签约 ¥480,000",
        "- 05-15 B精密有限公司:预计金额 ¥450,000 → ¥480,000",
        "- 05-15 B精密有限公司:预计签约 2024-05-31 → 2024-06-30",
        "",
        "**风险商机(0)**",
        "- 无",
        "",
        "**待办:逾期及未来 7 天(1 项,涉及 1 个客户)**",
        "- 05-23 B精密有限公司:已签约待交付:每 7 天同步一次交付进度,签约于 2024-05-16",
    ]


def test_the_team_digest_names_owners_and_links_pages(history_repo: RecordRepo, run) -> None:  # noqa: F811
    result = run(history_repo, "digest", "--site-url", "https://crm.example.com/", "--limit", "2")
    out = result.output
    link = "https://crm.example.com/customers/%E7%B2%A4IT2024001/"
    assert f"- 05-19 [A科技有限公司]({link}):需求挖掘 → 方案呈现 · 张伟" in out
    assert "- ……另有 4 项" in out  # 6 changes, 2 shown
    # five items due for three customers (C has three): the heading says both, as the agenda's does
    assert "**待办:逾期及未来 7 天(5 项,涉及 3 个客户)**" in out
    assert out.rstrip().endswith("[打开网站](https://crm.example.com/)")


def test_user_text_is_escaped_in_markdown_and_html(repo: RecordRepo, run) -> None:
    hostile = "<img src=x onerror=alert(1)> *Co* [x](javascript:alert(2)) @all"
    repo.customer(A, name=hostile, created="2024-05-18", stage_history=[{"stage": "lead", "on": "2024-05-18"}])
    markdown = run(repo, "digest").output
    assert "<img" not in markdown
    assert "&lt;img src=x onerror=alert(1)&gt; \\*Co\\* \\[x\\](javascript:alert(2)) @\u200ball" in markdown
    html = run(repo, "digest", "--format", "html").output
    assert html.startswith("<!DOCTYPE html>") and "<img" not in html
    assert "&lt;img src=x onerror=alert(1)&gt; *Co* [x](javascript:alert(2)) @all" in html


def test_webhook_bodies_fit_their_chat(history_repo: RecordRepo, run) -> None:  # noqa: F811
    wecom = json.loads(run(history_repo, "digest", "--webhook", "wecom").output)
    assert wecom["msgtype"] == "markdown" and wecom["markdown"]["content"].startswith("**dealbook · 销售周报")
    dingtalk = json.loads(run(history_repo, "digest", "--webhook", "dingtalk").output)
    assert dingtalk["markdown"]["title"] == "dealbook · 销售周报"
    feishu = json.loads(run(history_repo, "digest", "--webhook", "feishu").output)
    assert feishu["card"]["elements"][0]["tag"] == "markdown"
    slack = json.loads(run(history_repo, "digest", "--webhook", "slack").output)
    assert slack["blocks"][0]["type"] == "markdown"
    assert webhook_body("wecom", "t", "x") == {"msgtype": "markdown", "markdown": {"content": "x"}}


def test_the_site_title_is_plain_where_a_chat_reads_plain_text_and_escaped_where_it_reads_markup(
        repo: RecordRepo, run) -> None:
    """Slack's top-level `text` (the notification, and the fallback) is mrkdwn: the title went there as
    is, so a title `<!here>` pinged the whole channel and `&` or `<b>` arrived garbled."""
    repo.settings("as_of: 2024-05-20\nsite:\n  title: \"T&C <b>Sales</b> <!here> @all\"\n")
    repo.customer(A, name="A&B <x>", created="2024-05-18", stage_history=[{"stage": "lead", "on": "2024-05-18"}])
    slack = json.loads(run(repo, "digest", "--webhook", "slack").output)
    assert slack["text"] == "T&amp;C &lt;b&gt;Sales&lt;/b&gt; &lt;!here&gt; @\u200ball · 销售周报"
    assert slack["blocks"][0]["text"].startswith("**T&amp;C &lt;b&gt;Sales&lt;/b&gt; &lt;!here&gt; @\u200ball · ")
    assert "A&amp;B &lt;x&gt;" in slack["blocks"][0]["text"]
    # 钉钉's title and 飞书's plain_text header are shown as typed: escaping them would show "&amp;"
    dingtalk = json.loads(run(repo, "digest", "--webhook", "dingtalk").output)
    assert dingtalk["markdown"]["title"] == "T&C <b>Sales</b> <!here> @all · 销售周报"
    feishu = json.loads(run(repo, "digest", "--webhook", "feishu").output)
    assert feishu["card"]["header"]["title"]["content"] == "T&C <b>Sales</b> <!here> @all · 销售周报"


def test_a_long_digest_is_shortened_to_fit_wecom(demo_repo: RecordRepo, run) -> None:
    body = json.loads(run(demo_repo, "digest", "--since", "60d", "--limit", "50", "--webhook", "wecom").output)
    text = body["markdown"]["content"]
    assert len(text.encode("utf-8")) <= 4000 and "另有" in text


@pytest.mark.parametrize("kind", ["wecom", "dingtalk"])
def test_a_name_of_thousands_of_characters_is_cut_so_the_message_still_fits(repo: RecordRepo, run,
                                                                            kind: str) -> None:
    """One line per section was the least it sent: with a name of 9,000 characters the body was still
    too long for the chat, which refuses the whole message (the digest was never seen)."""
    repo.customer(A, name="中" * 3000 + "公司", created="2024-05-18",
                  stage_history=[{"stage": "lead", "on": "2024-05-18"}])
    result = run(repo, "digest", "--webhook", kind)
    assert result.exit_code == 0, result.output
    body = json.loads(result.output)
    text = body["markdown"]["content" if kind == "wecom" else "text"]
    assert len(text.encode("utf-8")) <= {"wecom": 4000, "dingtalk": 18000}[kind]
    assert "中中中中中" in text and "中…" in text and "公司" not in text


def test_since_and_owner_are_checked(history_repo: RecordRepo, run) -> None:  # noqa: F811
    assert parse_since("7d", TODAY) == 7 and parse_since("2w", TODAY) == 14 and parse_since("3", TODAY) == 3
    assert parse_since("2024-05-13", TODAY) == 8
    bad = run(history_repo, "digest", "--since", "last week")
    assert bad.exit_code == 2 and "请写成 7d、2w、14" in bad.output  # the team's language (zh)
    assert run(history_repo, "digest", "--since", "2024-06-01").exit_code == 2
    unknown = run(history_repo, "digest", "--owner", "ghost")
    assert unknown.exit_code == 2 and "ghost" in unknown.output


@pytest.mark.parametrize("since", ["99999999d", "999999999", "99999999999w", "0001-01-01"])
def test_a_window_reaching_before_year_one_is_a_usage_error(repo: RecordRepo, run, since: str) -> None:
    repo.customer(A)
    result = run(repo, "digest", "--since", since)
    assert result.exit_code == 2, result.output
    assert "--since" in result.output and "最多 369513 天" in result.output  # the team's language (zh)


@pytest.mark.parametrize("fmt", ["markdown", "html", "json"])
def test_without_git_the_digest_still_works(repo: RecordRepo, run, fmt: str) -> None:
    repo.customer(A)
    assert run(repo, "digest", "--format", fmt).exit_code == 0


def test_losses_say_they_are_losses_and_each_risk_amount_says_what_it_is(repo: RecordRepo, run) -> None:
    """One customer lost 05-14, re-opened 05-15 and lost again 05-17: two losses of one customer,
    not two customers lost. Another, 40 days in proposal with a deal amount of 1,380,000 and a quote
    of 1,340,000 that expired 05-18: two risk lines for one customer, each amount named."""
    repo.git_init()
    repo.customer(A, stage="lost", lost={"reason": "budget"},
                  stage_history=[{"stage": "lead", "on": "2024-04-01"}, {"stage": "lost", "on": "2024-05-14"},
                                 {"stage": "lead", "on": "2024-05-15"}, {"stage": "lost", "on": "2024-05-17"}])
    repo.customer(B, name="B精密有限公司", stage="proposal", deal={"amount": 1380000},
                  need={"summary": "MES 升级", "budget": {"status": "clear"}},
                  stage_history=[{"stage": "lead", "on": "2024-03-01"}, {"stage": "proposal", "on": "2024-04-10"}],
                  quotes=[{"no": "BJ-1", "date": "2024-04-18", "total": 1340000, "valid_days": 30}])
    repo.followup(B, "2024-05-19 10:00", next=[{"action": "回访", "due": "2024-05-25"}])
    repo.commit("seed", date="2024-05-01T09:00:00+08:00")
    out = run(repo, "digest").output
    assert "流失 2 次,涉及 1 个客户(上期 流失 0 次)" in out, out
    assert "B精密有限公司 预计成交金额 ¥1,380,000:在「方案呈现」阶段已停留 40 天" in out, out
    assert "B精密有限公司 报价金额 ¥1,340,000:报价已过期" in out, out
    assert "**风险商机(2 项,涉及 1 个客户)**" in out, out
    html = run(repo, "digest", "--format", "html").output
    assert "风险商机(2 项,涉及 1 个客户)</h3>" in html and "报价金额 ¥1,340,000: " in html, html
    at_risk = json.loads(run(repo, "digest", "--format", "json").output)["at_risk"]
    assert sorted((r["code"], r["amount"], r["amount_kind"]) for r in at_risk) == [
        ("quote_expired", 1340000, "quote"), ("rotting", 1380000, "deal")]
    repo.settings("as_of: 2024-05-20\nlanguage: en\n")
    out = run(repo, "digest").output
    assert "2 losses of 1 customer (previous 0 losses)" in out, out
    assert "deal amount ¥1,380,000" in out and "quote total ¥1,340,000" in out, out
