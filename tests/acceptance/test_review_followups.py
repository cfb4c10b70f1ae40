"""Reviews that show what was said: each added or changed follow-up in `dealbook diff` text,
markdown and JSON: when, method, contact, the summary's first line, next steps and their dates."""

from __future__ import annotations

import json

from test_git_cli import CID, pr  # noqa: F401 - the pull-request-like branch, shared fixture

HOSTILE = "确认演示 *时间* <b>@all</b> [x](javascript:alert(1))\n第二行不显示"


def add_followup(repo) -> None:
    repo.followup(CID, "2024-05-20 09:30", method="phone", contact="王总监", summary=HOSTILE,
                  next=[{"action": "现场演示 | 带样机", "due": "2024-05-27"}, {"action": "准备报价"}])


def test_text_lists_what_was_said(pr, run):  # noqa: F811
    add_followup(pr)
    result = run(pr, "diff", "main")
    assert result.exit_code == 0, result.output
    lines = result.output.splitlines()
    assert "  follow-up added 2024-05-18 10:00 · Visit · 王总监: 电话沟通" in lines
    assert "  follow-up added 2024-05-19 15:00 · Visit · 王总监: 电话沟通" in lines
    assert "    next: 发送合同草稿 (due 2024-05-20)" in lines
    assert f"  follow-up added 2024-05-20 09:30 · Phone · 王总监: {HOSTILE.splitlines()[0]}" in lines
    assert "    next: 现场演示 | 带样机 (due 2024-05-27); 准备报价 (no due date)" in lines
    assert "第二行不显示" not in result.output


def test_markdown_escapes_what_was_said(pr, run):  # noqa: F811
    add_followup(pr)
    result = run(pr, "diff", "main", "--format", "markdown")
    assert result.exit_code == 0, result.output
    out = result.output
    assert ("  - follow-up added **2024-05-20 09:30 · Phone · 王总监**: "
            "确认演示 \\*时间\\* &lt;b&gt;@\u200ball&lt;/b&gt; \\[x\\](javascript:alert(1))") in out
    assert "    - next: 现场演示 \\| 带样机 — due 2024-05-27" in out
    assert "    - next: 准备报价 — no due date" in out
    assert "<b>" not in out and "第二行不显示" not in out


def test_json_carries_method_contact_first_line_and_next_steps(pr, run):  # noqa: F811
    add_followup(pr)
    data = json.loads(run(pr, "diff", "main", "--format", "json").output)
    (change,) = data["customers"]
    latest = change["followups"][-1]
    assert latest["status"] == "added" and latest["at"] == "2024-05-20 09:30"
    assert (latest["method"], latest["contact"]) == ("phone", "王总监")
    assert latest["summary"] == HOSTILE and latest["first_line"] == HOSTILE.splitlines()[0]
    assert latest["next"] == [{"action": "现场演示 | 带样机", "due": "2024-05-27"}, {"action": "准备报价", "due": None}]


def test_a_changed_follow_up_shows_its_new_words_between_commits(pr, run):  # noqa: F811
    pr.followup(CID, "2024-05-19 15:00", method="meeting", contact="李经理", summary="改为会议纪要",
                next=[{"action": "发送合同草稿", "due": "2024-05-22", "owner": "zhang"}])
    pr.commit("edit the visit", "2024-05-20T10:00:00+08:00")
    result = run(pr, "diff", "HEAD~1", "HEAD")
    assert result.exit_code == 0, result.output
    assert "  follow-up changed 2024-05-19 15:00 · Meeting · 李经理: 改为会议纪要" in result.output.splitlines()
    assert "    next: 发送合同草稿 (due 2024-05-22)" in result.output.splitlines()


def test_a_hostile_file_name_in_a_new_diagnostic_stays_inside_its_code_span(pr, run):  # noqa: F811
    """A diagnostic's path is a file name anyone can choose: its backticks cannot close the code
    span and let the rest through as markup (a link, an image, raw HTML) in a pull-request comment."""
    name = "a`<img src=x onerror=alert(1)>[x](javascript:alert(1))``.yaml"
    pr.write(f"records/followups/{CID}/{name}", (pr.root / f"records/followups/{CID}/2024-05-18-1000.yaml")
             .read_text(encoding="utf-8"))
    result = run(pr, "diff", "main", "--format", "markdown")
    assert result.exit_code == 0, result.output
    lines = [line for line in result.output.splitlines() if "<img" in line]
    assert lines, result.output
    for line in lines:  # `- ⚠️ ```…``` code: message`: the whole path within one fence of three backticks
        start = line.index("```records/")
        assert line[start:].startswith(f"```records/followups/{CID}/{name}:"), line
        assert "<img" not in line[line.index("```", start + 3):], line
