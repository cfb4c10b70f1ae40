"""A customer lost, re-opened and lost again keeps each loss's own reason: `dealbook move` writes the
earlier loss's reason (and note) on its stage_history entry when the customer is re-opened or lost
again, `check` checks those reasons, and win/loss, `show`, `history` and the site count and show
each loss once under its own reason, the customer once (as of 2024-05-20)."""

from __future__ import annotations

import json
import re

import pytest
from conftest import RecordRepo
from test_site_build import build, site_repo

CID = "粤IT2024001"
PATH = f"records/customers/{CID}.yaml"


def _json(run, repo: RecordRepo, *args: str) -> dict:
    result = run(repo, *args, "--format", "json")
    assert result.exit_code == 0, result.output
    return json.loads(result.stdout)


def _text(html: str) -> str:
    return re.sub(r"\s+", " ", re.sub(r"<[^>]+>", " ", html))


def _moved(run, repo: RecordRepo, *args: str) -> None:
    result = run(repo, "move", CID, *args)
    assert result.exit_code == 0, result.output


@pytest.fixture
def twice(run, repo: RecordRepo) -> RecordRepo:
    """A discovery-stage deal of 300,000 lost for budget on 2024-04-02, re-opened on 2024-04-15 and
    lost to a competitor on 2024-05-10, all with `dealbook move`; the file has a comment of its own."""
    repo.settings("as_of: 2024-05-20\nlanguage: en\n")
    path = repo.customer(deal={"amount": 300000}, stage="discovery", stage_history=[
        {"stage": "lead", "on": "2024-03-01"}, {"stage": "discovery", "on": "2024-03-10"}])
    path.write_text("# 重点客户,张伟负责\n" + path.read_text("utf-8"), encoding="utf-8")
    _moved(run, repo, "lost", "--reason", "budget", "--note", "预算冻结到明年", "--on", "2024-04-02")
    _moved(run, repo, "lead", "--on", "2024-04-15")
    _moved(run, repo, "lost", "--reason", "competitor", "--on", "2024-05-10")
    return repo


def test_each_loss_keeps_its_reason_on_its_own_entry(run, twice) -> None:
    text = (twice.root / PATH).read_text("utf-8")
    assert text.startswith("# 重点客户,张伟负责\n")  # the file's own comment is kept
    data = _json(run, twice, "show", CID)
    assert [(e["stage"], e["on"], e.get("reason"), e.get("note")) for e in data["stage_history"]] == [
        ("lead", "2024-03-01", None, None), ("discovery", "2024-03-10", None, None),
        ("lost", "2024-04-02", "budget", "预算冻结到明年"), ("lead", "2024-04-15", None, None),
        ("lost", "2024-05-10", "competitor", None)]
    assert data["lost"] == {"reason": "competitor", "on": "2024-05-10"}  # the lost block: the latest loss
    checked = _json(run, twice, "check")
    assert checked["diagnostics"] == []
    shown = " ".join(run(twice, "show", CID).stdout.split())
    assert "2024-04-02 Lost lost Budget — 预算冻结到明年" in shown, shown
    assert "2024-05-10 Lost lost Competitor" in shown


def test_win_loss_counts_each_loss_under_its_own_reason_and_the_customer_once(run, twice) -> None:
    """Before: both losses were counted under the latest reason (competitor 2, value 600,000 for one deal)."""
    report = _json(run, twice, "report", "win-loss", "--period", "2024")
    rows = [(r["reason"], r["lost"], r["customers"], r["value"], r["from_lead"], r["from_discovery"])
            for r in report["rows"]]
    assert rows == [("budget", 1, 1, 0, 0, 1), ("competitor", 1, 1, 300000, 1, 0)]
    assert (report["totals"]["lost"], report["totals"]["customers"], report["totals"]["value"]) == (2, 1, 300000)
    assert any("counts once per loss but is one customer" in n for n in report["notes"]), report["notes"]
    assert any("1 of these losses is not the customer's latest" in n for n in report["notes"]), report["notes"]
    text = run(twice, "report", "win-loss", "--period", "2024").stdout
    lines = {line.split()[0]: line.split()[1:] for line in text.splitlines() if line.strip()}
    assert lines["Budget"][:3] == ["1", "1", "0"] and lines["Competitor"][:3] == ["1", "1", "300,000"], text
    assert lines["Total"][:3] == ["2", "1", "300,000"], text
    assert "Losses" in text and "Customers" in text
    # the export's stage_history table gives each loss its own reason (what a BI tool counts)
    out = twice.root.parent / "export.json"
    assert run(twice, "export", "--format", "json", "--out", str(out)).exit_code == 0
    rows = json.loads(out.read_text("utf-8"))["stage_history"]
    assert [(r["on"], r["lost_reason"]) for r in rows if r["stage"] == "lost"] == [
        ("2024-04-02", "budget"), ("2024-05-10", "competitor")]
    # the funnel counts each move once: one loss from discovery, one from lead
    funnel = {r["stage"]: r["lost"] for r in _json(run, twice, "funnel", "--period", "2024")["rows"]}
    assert (funnel["lead"], funnel["discovery"]) == (1, 1)


def test_the_cohort_reports_count_a_customer_lost_twice_once_and_a_re_opened_one_as_open(run, twice) -> None:
    """Before: a customer lost and re-opened, open again, was counted lost ("the others are still open")."""
    cohort = _json(run, twice, "report", "cohort", "--period", "2024")
    assert [(r["month"], r["customers"], r["lost"]) for r in cohort["rows"] if r["customers"]] == [("2024-01", 1, 1)]
    reach = _json(run, twice, "report", "stage-reach", "--period", "2024")
    assert any("0 have been won, 1 are lost today and 0 are open" in n for n in reach["notes"]), reach["notes"]
    _moved(run, twice, "lead", "--on", "2024-05-15")  # re-opened once more: open
    cohort = _json(run, twice, "report", "cohort", "--period", "2024")
    assert [(r["month"], r["customers"], r["lost"]) for r in cohort["rows"] if r["customers"]] == [("2024-01", 1, 0)]
    reach = _json(run, twice, "report", "stage-reach", "--period", "2024")
    assert any("0 have been won, 0 are lost today and 1 are open" in n for n in reach["notes"]), reach["notes"]
    # each earlier loss still counts once under its own reason, the last one's from the lost block
    rows = _json(run, twice, "report", "win-loss", "--period", "2024")["rows"]
    assert [(r["reason"], r["lost"]) for r in rows] == [("budget", 1), ("competitor", 1)]


def test_history_and_the_digest_name_each_loss_s_reason(run, twice) -> None:
    twice.git_init()
    twice.commit("the customer, lost twice", date="2024-05-10T18:00:00+08:00")
    data = _json(run, twice, "history", CID)
    assert [(r["stage"], r["recorded_on"], r.get("reason")) for r in data["timeline"] if r["stage"] == "lost"] == [
        ("lost", "2024-04-02", "budget"), ("lost", "2024-05-10", "competitor")]
    lines = [" ".join(line.split()) for line in run(twice, "history", CID).stdout.splitlines()]
    assert any(line.startswith("Lost") and "2024-04-02" in line and line.endswith("Budget") for line in lines), lines
    digest = run(twice, "digest", "--since", "2024-04-01").stdout  # what changed: before, both said Competitor
    assert "04-02 A科技有限公司: lost in Discovery: Budget" in digest, digest
    assert "05-10 A科技有限公司: lost in Lead: Competitor" in digest, digest


def test_the_customer_page_and_the_win_loss_page_show_each_loss_s_reason(run, twice) -> None:
    twice.customer("粤IT2024002", stage="lead", lost={"reason": "other"}, stage_history=[
        {"stage": "lead", "on": "2024-03-01"}, {"stage": "lost", "on": "2024-03-05", "reason": "other",
                                                "note": "<script>alert(1)</script>"},
        {"stage": "lead", "on": "2024-04-01"}])
    root = site_repo(twice)
    done = build(root)
    assert done.returncode == 0, done.stderr
    other = (root / "public/customers/粤IT2024002/index.html").read_text("utf-8")
    assert "<script>alert(1)" not in other and "&lt;script&gt;alert(1)&lt;/script&gt;" in other
    page = _text((root / "public/customers" / CID / "index.html").read_text("utf-8"))
    assert "Lost 2024-04-02 · 13 days · Lost reason Budget · 预算冻结到明年" in page, page
    assert "Lost 2024-05-10 · Lost reason Competitor" in page, page
    report = _text((root / "public/reports/win-loss/this-quarter/index.html").read_text("utf-8"))
    assert "Budget 1 1 ¥0 0 1 " in report and "Competitor 1 1 ¥300,000 1 0 " in report, report
    assert "Total 2 1 ¥300,000 1 1 " in report, report
    assert "counts once per loss but is one customer" in report


def test_a_record_from_before_keeps_working(run, repo: RecordRepo) -> None:
    """One `lost` block and a re-opening written by hand before entries held a reason: the block is
    the latest loss's. Lost again by hand, the earlier reason is not in the record: win/loss counts it
    as not recorded and `check` warns where to add it (no error: nothing to migrate)."""
    repo.settings("as_of: 2024-05-20\nlanguage: en\n")
    history = [{"stage": "lead", "on": "2024-03-01"}, {"stage": "lost", "on": "2024-04-02"},
               {"stage": "lead", "on": "2024-04-15"}]
    repo.customer(stage="lead", lost={"reason": "budget"}, stage_history=history)
    rows = _json(run, repo, "report", "win-loss", "--period", "2024")["rows"]
    assert [(r["reason"], r["lost"]) for r in rows] == [("budget", 1)]
    assert _json(run, repo, "check")["diagnostics"] == []
    assert _json(run, repo, "show", CID)["stage_history"][1]["reason"] == "budget"

    repo.customer(stage="lost", lost={"reason": "competitor"},
                  stage_history=[*history, {"stage": "lost", "on": "2024-05-10"}])
    report = _json(run, repo, "report", "win-loss", "--period", "2024")
    assert [(r["reason"], r["lost"], r["customers"]) for r in report["rows"]] == [("competitor", 1, 1), ("", 1, 1)]
    assert report["totals"]["customers"] == 1
    text = run(repo, "report", "win-loss", "--period", "2024").stdout
    assert "(not recorded)" in text and "`dealbook check` names each one" in text
    result = run(repo, "check")
    assert result.exit_code == 0
    assert f"{PATH}:" in result.output and "warning loss-reason-missing: the loss on 2024-04-02" in result.output
    diagnostics = _json(run, repo, "check")["diagnostics"]
    assert [(d["code"], d["severity"], d["line"]) for d in diagnostics] == [("loss-reason-missing", "warning", 21)]
    assert "not recorded" in run(repo, "show", CID).stdout


def test_losing_a_customer_re_opened_by_hand_keeps_the_earlier_reason(run, repo: RecordRepo) -> None:
    """Re-opened by editing the file (no reason on the entry): `dealbook move ID lost` writes the
    earlier loss's reason, still in the `lost` block, on its entry before the block is rewritten."""
    repo.settings("as_of: 2024-05-20\nlanguage: en\n")
    repo.customer(stage="lead", lost={"reason": "budget", "note": "预算冻结"},
                  stage_history=[{"stage": "lead", "on": "2024-03-01"}, {"stage": "lost", "on": "2024-04-02"},
                                 {"stage": "lead", "on": "2024-04-15"}])
    _moved(run, repo, "lost", "--reason", "timing", "--on", "2024-05-10")
    history = _json(run, repo, "show", CID)["stage_history"]
    assert [(e["on"], e.get("reason"), e.get("note")) for e in history if e["stage"] == "lost"] == [
        ("2024-04-02", "budget", "预算冻结"), ("2024-05-10", "timing", None)]
    rows = _json(run, repo, "report", "win-loss", "--period", "2024")["rows"]
    assert sorted((r["reason"], r["lost"]) for r in rows) == [("budget", 1), ("timing", 1)]


def test_an_import_that_loses_a_re_opened_customer_again_keeps_the_earlier_reason(run, repo: RecordRepo) -> None:
    """The sheet's status 流失 with its 流失原因 rewrites the `lost` block: the earlier loss's reason,
    in the block until then, is written on its entry first (before: it was gone)."""
    repo.settings("as_of: 2024-05-20\nlanguage: en\n")
    repo.customer(stage="lead", lost={"reason": "budget"},
                  stage_history=[{"stage": "lead", "on": "2024-03-01"}, {"stage": "lost", "on": "2024-04-02"},
                                 {"stage": "lead", "on": "2024-04-15"}])
    (repo.root / "in.csv").write_text(f"客户编号,客户状态,流失原因\n{CID},流失,选择竞品\n", encoding="utf-8")
    result = run(repo, "import", str(repo.root / "in.csv"), "--apply")
    assert result.exit_code == 0, result.output
    history = _json(run, repo, "show", CID)["stage_history"]
    assert [(e["on"], e.get("reason")) for e in history if e["stage"] == "lost"] == [
        ("2024-04-02", "budget"), ("2024-05-20", "competitor")]
    assert _json(run, repo, "check")["diagnostics"] == []


@pytest.mark.parametrize(("history", "lost", "code", "line"), [
    # a reason on an entry that is no loss
    ([{"stage": "lead", "on": "2024-03-01", "reason": "budget"}, {"stage": "lost", "on": "2024-04-02"}],
     {"reason": "budget"}, "loss-reason-misplaced", 21),
    # the latest loss's entry and lost.reason disagree
    ([{"stage": "lead", "on": "2024-03-01"}, {"stage": "lost", "on": "2024-04-02", "reason": "timing"}],
     {"reason": "budget"}, "loss-reason-differs", 23),
    # a reason that is none of lost_reasons
    ([{"stage": "lead", "on": "2024-03-01"}, {"stage": "lost", "on": "2024-04-02", "reason": "price"},
      {"stage": "lead", "on": "2024-04-15"}], None, "bad-value", 23),
    # churn is for a won customer only
    ([{"stage": "lead", "on": "2024-03-01"}, {"stage": "lost", "on": "2024-04-02", "reason": "churn"},
      {"stage": "lead", "on": "2024-04-15"}], None, "churn-reason", 23),
])
def test_check_refuses_a_loss_reason_that_does_not_fit(run, repo: RecordRepo, history, lost, code, line) -> None:
    repo.settings("as_of: 2024-05-20\nlanguage: en\n")
    repo.customer(stage=history[-1]["stage"], lost=lost, stage_history=history)
    result = run(repo, "check", "--format", "json")
    assert result.exit_code == 1, result.output
    found = [(d["code"], d["severity"], d["line"]) for d in json.loads(result.stdout)["diagnostics"]]
    assert found == [(code, "error", line)], found
