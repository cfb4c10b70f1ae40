"""A lost customer re-opened as a lead (`dealbook move ID lead`) starts afresh: its due date, grade
exception, flags and open next actions count from the re-opening, never from before the loss;
`customers`, `agenda`, `show` and `grade` agree (as of 2024-05-20)."""

from __future__ import annotations

import json
import re

import pytest
from conftest import RecordRepo
from test_site_build import build, site_repo

CONTACTS = [{"name": "王总监", "title": "技术总监", "role": "decision_maker", "phone": "0755-8888-1234",
             "phone_kind": "work"}]


@pytest.fixture
def reopened(run, repo: RecordRepo) -> RecordRepo:
    """An A customer (score 6) lost on 2024-01-20 after saying "no need for now", raising a competitor
    and asking li for help, re-opened with `dealbook move` on 2024-05-16."""
    repo.settings("as_of: 2024-05-20\nlanguage: en\n")
    repo.customer(contacts=CONTACTS, need={"summary": "质检效率低", "budget": {"status": "clear"},
                                           "timeline": {"start": "2024-06-01"}},
                  review={"by": "chen", "on": "2024-01-06 10:00", "result": "ok"},
                  stage="lost", lost={"reason": "no_need", "on": "2024-01-20"},
                  stage_history=[{"stage": "lead", "on": "2024-01-05"}, {"stage": "discovery", "on": "2024-01-10"},
                                 {"stage": "lost", "on": "2024-01-20"}])
    repo.followup("粤IT2024001", "2024-01-08 10:00", contact="王总监",
                  next=[{"action": "发送方案", "due": "2024-01-12"}])
    repo.followup("粤IT2024001", "2024-01-15 10:00", contact="王总监", outcome="no_need", objections=["competitor"],
                  help={"from": "li", "detail": "需技术支持演示"},
                  next=[{"action": "三个月后回访", "due": "2024-04-15"}])
    moved = run(repo, "move", "粤IT2024001", "lead", "--on", "2024-05-16")
    assert moved.exit_code == 0, moved.output
    return repo


def _json(run, repo: RecordRepo, *args: str) -> dict:
    result = run(repo, *args, "--format", "json")
    assert result.exit_code == 0, result.output
    return json.loads(result.stdout)


def test_the_cadence_counts_from_the_re_opening_not_from_before_the_loss(run, reopened) -> None:
    row = _json(run, reopened, "customers")["customers"][0]
    # A: every 2 days from the re-opening (not 2024-01-22 from the last call before the loss, 119 days overdue)
    assert (row["stage"], row["grade"], row["next_due"], row["overdue_days"], row["due_kind"]) == (
        "lead", "A", "2024-05-18", 2, "cadence")
    assert row["due_reason"].startswith("A grade: every 2 days, re-opened 4 days ago")
    assert row["last_contact"] == "2024-01-15"  # what happened is still shown as it was

    shown = _json(run, reopened, "show", "粤IT2024001")
    assert shown["due"] == {"date": "2024-05-18", "kind": "cadence", "overdue_days": 2, "reason": row["due_reason"]}
    assert shown["next_actions"] == []  # 三个月后回访 was planned before the loss: not open any more
    assert "re-opened 4 days ago" in run(reopened, "show", "粤IT2024001").stdout


def test_nothing_from_before_the_loss_is_on_the_agenda(run, reopened) -> None:
    items = _json(run, reopened, "agenda", "--all")["items"]
    # no reassessment of the old "no need", no competitor analysis, no help request, no stale next action
    assert [(i["due"], i["kind"], i["customer_id"]) for i in items] == [("2024-05-18", "cadence", "粤IT2024001")]


def test_the_exception_before_the_loss_does_not_lower_the_grade(run, reopened) -> None:
    data = _json(run, reopened, "grade", "粤IT2024001")
    assert (data["grade"], data["score"], data["downgraded"], data["reassess_on"]) == ("A", 6, False, None)


def test_a_follow_up_after_the_re_opening_sets_the_clock_again(run, reopened) -> None:
    reopened.followup("粤IT2024001", "2024-05-19 15:00", contact="王总监",
                      next=[{"action": "现场演示", "due": "2024-05-24"}])
    row = _json(run, reopened, "customers")["customers"][0]
    assert (row["next_due"], row["due_kind"], row["last_contact"]) == ("2024-05-21", "cadence", "2024-05-19")
    assert row["due_reason"].startswith("A grade: every 2 days, last contact 1 day ago")
    shown = _json(run, reopened, "show", "粤IT2024001")
    assert [n["action"] for n in shown["next_actions"]] == ["现场演示"]



def test_a_re_opened_lead_never_reviewed_is_reviewed_within_48_h_of_the_re_opening(run, repo) -> None:
    """Not 48 h after it was first created, months before (on the manager's agenda 134 days overdue)."""
    repo.settings("as_of: 2024-05-20\nlanguage: en\n")
    repo.customer(stage="lost", lost={"reason": "timing", "on": "2024-01-20"}, created="2024-01-05",
                  stage_history=[{"stage": "lead", "on": "2024-01-05"}, {"stage": "lost", "on": "2024-01-20"}])
    assert run(repo, "move", "粤IT2024001", "lead", "--on", "2024-05-19").exit_code == 0
    items = _json(run, repo, "agenda", "--owner", "chen")["items"]
    assert [(i["due"], i["kind"], i["overdue_days"]) for i in items] == [("2024-05-21", "lead_review", 0)]
    assert items[0]["reason"] == ("re-opened lead to review (review): re-opened 2024-05-19, review within 48 h, "
                                  "by 2024-05-21")
    # a team adopting intake on 2024-05-01 reviews the leads re-opened since, though created before
    repo.settings("as_of: 2024-05-20\nlanguage: en\nintake: {since: 2024-05-01}\n")
    assert [i["kind"] for i in _json(run, repo, "agenda", "--owner", "chen")["items"]] == ["lead_review"]


def test_a_churned_customer_re_opened_is_not_asked_for_the_old_contract_s_renewal_or_hand_over(run, repo) -> None:
    """A customer who left (won, then lost: churn) and comes back as a lead is a new deal: the old
    contract's renewal talk and user-guide hand-over are not due (they were 122 days overdue the
    day of the re-opening); money still owed on it is."""
    repo.settings("as_of: 2024-05-20\nlanguage: en\n")
    contract = {"no": "HT-2023-0925", "amount": 86000, "signed": "2023-09-25", "delivered": "2023-12-20",
                "service_term": "1 年维保", "service_end": "2024-06-30", "decision_maker": "王总监",
                "payments": [{"due": "2024-01-31", "amount": 20000}]}
    repo.customer(contacts=CONTACTS, stage="lost", lost={"reason": "churn", "on": "2024-03-01"},
                  stage_history=[{"stage": "lead", "on": "2023-09-01"}, {"stage": "won", "on": "2023-09-25"},
                                 {"stage": "lost", "on": "2024-03-01"}],
                  contracts=[contract])
    assert run(repo, "move", "粤IT2024001", "lead", "--on", "2024-05-19").exit_code == 0
    kinds = {i["kind"] for i in _json(run, repo, "agenda", "--all")["items"]}
    assert "instalment_overdue" in kinds
    assert not kinds & {"renewal_due", "guide_handover"}, kinds
    # a contract signed after the re-opening asks for them again
    repo.customer(contacts=CONTACTS, stage="won", lost=None,
                  stage_history=[{"stage": "lead", "on": "2023-09-01"}, {"stage": "won", "on": "2023-09-25"},
                                 {"stage": "lost", "on": "2024-03-01"}, {"stage": "lead", "on": "2024-05-01"},
                                 {"stage": "won", "on": "2024-05-05"}],
                  contracts=[contract, {**contract, "no": "HT-2024-0505", "signed": "2024-05-05",
                                        "delivered": "2024-05-10", "payments": []}])
    kinds = {i["kind"] for i in _json(run, repo, "agenda", "--all")["items"]}
    assert {"guide_handover", "renewal_due"} <= kinds, kinds


def test_a_quote_from_before_the_loss_asks_for_nothing_after_the_re_opening(run, repo) -> None:
    """The lost deal's quotes (one sent and expired, the latest a draft below the margin floor never
    approved) were on the re-opened lead's agenda, "quote awaiting approval" 66 days overdue on the
    approvers' agendas, and on the home page's quotes awaiting approval; a quote made after the
    re-opening asks again."""
    repo.settings("as_of: 2024-05-20\nlanguage: en\n")
    def quote(no: str, date: str, until: str, margin: float, **more: str) -> dict:  # fresh dicts: no YAML alias
        return {"no": no, "date": date, "valid_until": until, "total": 100000, "margin": margin, **more,
                "lines": [{"item": "工位", "quantity": 1, "unit_price": 100000, "amount": 100000}]}

    old = [quote("BJ-1", "2024-02-01", "2024-03-01", 0.4),
           quote("BJ-2", "2024-03-15", "2024-04-14", 0.2, status="draft")]
    repo.customer(contacts=CONTACTS, need={"summary": "质检", "budget": {"status": "clear"}},
                  stage="lost", lost={"reason": "competitor", "on": "2024-04-01"},
                  stage_history=[{"stage": "lead", "on": "2024-01-05"}, {"stage": "proposal", "on": "2024-02-01"},
                                 {"stage": "lost", "on": "2024-04-01"}],
                  quotes=old)
    assert run(repo, "move", "粤IT2024001", "lead", "--on", "2024-05-16").exit_code == 0
    items = _json(run, repo, "agenda", "--all")["items"]
    assert not [i for i in items if i["kind"].startswith("quote")], items
    assert [i["kind"] for i in _json(run, repo, "agenda", "--owner", "chen")["items"]] == ["lead_review"]
    root = site_repo(repo)
    done = build(root)
    assert done.returncode == 0, done.stderr
    home = re.sub(r"\s+", " ", re.sub(r"<[^>]+>", " ", (root / "public" / "index.html").read_text("utf-8")))
    assert "Quotes awaiting approval 0 " in home, home

    repo.customer(contacts=CONTACTS, need={"summary": "质检", "budget": {"status": "clear"}},
                  stage_history=[{"stage": "lead", "on": "2024-01-05"}, {"stage": "proposal", "on": "2024-02-01"},
                                 {"stage": "lost", "on": "2024-04-01"}, {"stage": "lead", "on": "2024-05-16"}],
                  lost={"reason": "competitor", "on": "2024-04-01"},
                  quotes=[quote("BJ-1", "2024-02-01", "2024-03-01", 0.4),
                          quote("BJ-2", "2024-03-15", "2024-04-14", 0.2, status="draft"),
                          quote("BJ-3", "2024-05-18", "2024-06-17", 0.2, status="draft")])
    items = _json(run, repo, "agenda", "--owner", "chen")["items"]
    assert [(i["kind"], i["due"]) for i in items] == [("lead_review", "2024-05-18"), ("quote_approval", "2024-05-18")]


def test_losing_a_re_opened_customer_again_asks_for_this_loss_s_reason(run, reopened) -> None:
    """Before: `dealbook move ID lost` without --reason took the reason of the loss before the
    re-opening (no_need) and wrote it as this loss's, so the win-loss report counted it under the
    wrong reason; `show` and the customer page listed that old reason as if the lead were lost."""
    path = reopened.root / "records/customers/粤IT2024001.yaml"
    shown = " ".join(run(reopened, "show", "粤IT2024001").stdout.split())
    assert "Lost before No need (on 2024-01-20; re-opened since)" in shown, shown
    root = site_repo(reopened)
    assert build(root).returncode == 0
    page = re.sub(r"\s+", " ", re.sub(r"<[^>]+>", " ", (root / "public/customers/粤IT2024001/index.html")
                                      .read_text("utf-8")))
    assert "Lost reason No need (an earlier loss; re-opened since)" in page, page

    before = path.read_text("utf-8")
    result = run(reopened, "move", "粤IT2024001", "lost", "--on", "2024-05-20")
    assert result.exit_code == 2 and "needs --reason" in result.output, result.output
    assert path.read_text("utf-8") == before
    assert run(reopened, "move", "粤IT2024001", "lost", "--reason", "budget", "--on", "2024-05-20").exit_code == 0
    assert _json(run, reopened, "show", "粤IT2024001")["lost"] == {"reason": "budget", "on": "2024-05-20"}
    assert "Lost           Budget" in run(reopened, "show", "粤IT2024001").stdout
