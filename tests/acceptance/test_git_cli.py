"""The git commands end to end: diff on a pull-request-like branch, --at replay, history, codeowners."""

from __future__ import annotations

import json

import pytest
from conftest import customer_data

CID = "粤IT2024001"
CONTACTS = [
    {"name": "王总监", "title": "技术总监", "role": "decision_maker", "phone": "0755-8888-1234", "phone_kind": "work"},
    {"name": "李经理", "title": "生产经理", "role": "user", "phone": "0755-8888-5678", "phone_kind": "work"},
]
LEAD = [{"stage": "lead", "on": "2024-01-05"}]
TO_PROPOSAL = [*LEAD, {"stage": "proposal", "on": "2024-04-01"}]
NEED = {"summary": "质检提效", "budget": {"status": "clear"}, "timeline": {"start": "2024-06-01"}}


@pytest.fixture
def pr(repo):
    """main: a lead (tag v1, 2024-01-05), then a proposal (2024-04-01); branch `deal`: the
    pull request moves it to negotiation, lowers the amount and logs two visits (uncommitted
    edits on top are part of the working tree). The team's language is en: these tests read the
    review's English wording (test_cli_language reads the Chinese)."""
    repo.settings("as_of: 2024-05-20\nlanguage: en\n")
    repo.customer(contacts=CONTACTS)
    repo.git_init()
    repo.commit("new lead", "2024-01-05T10:00:00+08:00")
    repo.git("tag", "v1")
    repo.customer(stage="proposal", stage_history=TO_PROPOSAL, contacts=CONTACTS, need=NEED, deal={"amount": 650000})
    repo.followup(CID, "2024-05-01 10:00", method="visit", contact="李经理")
    repo.commit("proposal", "2024-04-01T18:00:00+08:00")
    repo.git("checkout", "-q", "-b", "deal")
    repo.customer(stage="negotiation", stage_history=[*TO_PROPOSAL, {"stage": "negotiation", "on": "2024-05-19"}],
                  contacts=CONTACTS, need=NEED, deal={"amount": 620000})
    repo.followup(CID, "2024-05-18 10:00", method="visit", contact="王总监")
    repo.followup(CID, "2024-05-19 15:00", method="visit", contact="王总监",
                  next=[{"action": "发送合同草稿", "due": "2024-05-20", "owner": "zhang"}])
    repo.commit("negotiation", "2024-05-19T18:00:00+08:00")
    return repo


EXAMPLE = ("粤IT2024001 A科技有限公司: proposal → negotiation (B → A), deal ¥650,000 → ¥620,000; "
           "2 follow-ups added; next action due 2024-05-20")


def test_diff_text_against_main(pr, run):
    result = run(pr, "diff", "main")
    assert result.exit_code == 0, result.output
    lines = result.output.splitlines()
    assert lines[0] == "Records changed from main to working tree: 1 customer"
    assert lines[1] == EXAMPLE
    assert "Forecast: weighted pipeline of these customers ¥227,500 → ¥372,000 (+¥144,500)" in result.output
    assert "Funnel of these customers (all time), Negotiation: entered 0 → 1" in result.output


def test_diff_defaults_to_the_merge_base_and_includes_uncommitted_files(pr, run):
    pr.customer("粤IT2024002", name="B<b>*公司*", owner="li")  # untracked
    result = run(pr, "diff", "--format", "markdown")
    assert result.exit_code == 0, result.output
    assert "- **粤IT2024001 A科技有限公司**: proposal (Proposal) → negotiation (Negotiation) (B → A)" in result.output
    assert "**粤IT2024002 B&lt;b&gt;\\*公司\\***: new customer (lead (Lead), grade C), owner li" in result.output
    assert "- Funnel of these customers (all time), Negotiation: entered 0 → 1" in result.output
    assert "<b>" not in result.output


def test_diff_between_two_commits_as_json(pr, run):
    result = run(pr, "diff", "v1", "deal", "--format", "json")
    data = json.loads(result.output)
    (change,) = data["customers"]
    assert change["stage"] == {"before": "lead", "after": "negotiation"}
    assert change["amount"] == {"before": None, "after": 620000}
    assert [f["status"] for f in change["followups"]] == ["added"] * 3
    assert data["head_commit"] == pr.git("rev-parse", "deal").strip()


def test_diff_gives_a_due_kind_only_with_a_due_date(pr, run):
    """`next_due_kind` pairs with `next_due`: null when the due date did not change, and null on the
    side that has no due date (a lost customer's is never due), in JSON, text and markdown alike."""
    data = _review(run, pr, "main")
    (change,) = data["customers"]
    assert change["next_due"] == {"before": "2024-05-08", "after": "2024-05-20"}
    assert change["next_due_kind"] == {"before": "cadence", "after": "next_action"}
    # the deal is lost: no due date after, so no kind after
    pr.customer(stage="lost", lost={"reason": "budget", "on": "2024-05-20"}, contacts=CONTACTS, need=NEED,
                stage_history=[*TO_PROPOSAL, {"stage": "negotiation", "on": "2024-05-19"},
                               {"stage": "lost", "on": "2024-05-20"}], deal={"amount": 620000})
    (change,) = _review(run, pr, "HEAD")["customers"]
    assert change["next_due"] == {"before": "2024-05-20", "after": None}
    assert change["next_due_kind"] == {"before": "next_action", "after": None}
    for fmt in ("text", "markdown"):
        shown = run(pr, "--today", "2024-05-20", "diff", "HEAD", "--format", fmt).output
        assert "no next due date" in shown and "next action due" not in shown, shown
    # a change that leaves the due date as it was: neither a date pair nor a kind
    pr.git("checkout", "-q", "--", ".")
    pr.customer(stage="negotiation", stage_history=[*TO_PROPOSAL, {"stage": "negotiation", "on": "2024-05-19"}],
                contacts=CONTACTS, need=NEED, deal={"amount": 620000}, support=["li"])
    (change,) = _review(run, pr, "HEAD")["customers"]
    assert change["fields"] == [{"field": "support", "before": None, "after": "li"}]
    assert (change["next_due"], change["next_due_kind"]) == (None, None)
    assert "next due" not in run(pr, "--today", "2024-05-20", "diff", "HEAD").output


def test_diff_reports_owner_change_removal_rename_and_new_diagnostics(pr, run):
    pr.git("mv", f"records/customers/{CID}.yaml", "records/customers/粤IT2024009.yaml")
    text = (pr.root / "records/customers/粤IT2024009.yaml").read_text()
    (pr.root / "records/customers/粤IT2024009.yaml").write_text(
        text.replace(CID, "粤IT2024009").replace("owner: zhang", "owner: ghost"))
    result = run(pr, "diff", "HEAD", "--format", "json")
    data = json.loads(result.output)
    (change,) = data["customers"]
    assert (change["status"], change["old_id"], change["id"]) == ("renamed", CID, "粤IT2024009")
    assert change["owner"] == {"before": "zhang", "after": "ghost"}
    # The follow-ups still name the old id: the rename made them dangle, which the review shows.
    assert [(d["path"], d["code"]) for d in data["new_diagnostics"]] == [
        ("records/customers/粤IT2024009.yaml", "unknown-member"),
        *((f"records/followups/{CID}/{name}.yaml", "unknown-customer")
          for name in ("2024-05-01-1000", "2024-05-18-1000", "2024-05-19-1500"))]
    text_result = run(pr, "diff", "HEAD")
    # Its follow-ups stayed in the old folder, so they no longer count: grade A → B.
    assert ("粤IT2024009 A科技有限公司: renamed from 粤IT2024001, grade A → B, owner zhang → ghost; "
            "3 follow-ups removed;") in text_result.output
    assert "unknown-member" in text_result.output


def test_replay_at_tag_commit_and_date(pr, run):
    first = pr.git("rev-list", "--max-parents=0", "HEAD").strip()
    for rev in ("v1", first, "2024-01-31"):
        data = json.loads(run(pr, "--today", "2024-05-20", "--at", rev, "customers", "--format", "json").output)
        assert [(c["id"], c["stage"]) for c in data["customers"]] == [(CID, "lead")], rev
    data = json.loads(run(pr, "--at", "main", "customers", "--format", "json").output)
    assert [c["stage"] for c in data["customers"]] == ["proposal"]


def test_replay_at_a_date_runs_as_of_that_date(pr, run):
    data = json.loads(run(pr, "--at", "2024-04-30", "customers", "--format", "json").output)
    assert data["today"] == "2024-04-30"
    data = json.loads(run(pr, "--at", "2024-04-30", "--today", "2024-05-20", "customers", "--format", "json").output)
    assert data["today"] == "2024-05-20"


def test_replay_check_agenda_funnel_and_report(pr, run):
    pr.customer(owner="ghost")  # a broken working tree does not disturb a replay
    assert run(pr, "check").exit_code == 1
    result = run(pr, "--at", "deal", "check")
    assert result.exit_code == 0, result.output
    agenda = run(pr, "--at", "deal", "agenda", "--format", "json")
    assert agenda.exit_code == 0, agenda.output
    assert CID in agenda.output
    funnel = json.loads(run(pr, "--at", "deal", "funnel", "--period", "2024-05", "--format", "json").output)
    rows = {r["stage"]: r for r in funnel["rows"]} if isinstance(funnel, dict) else {r["stage"]: r for r in funnel}
    assert rows["negotiation"]["entered"] == 1
    funnel_then = json.loads(run(pr, "--at", "main", "funnel", "--period", "2024-05", "--format", "json").output)
    rows_then = (funnel_then["rows"] if isinstance(funnel_then, dict) else funnel_then)
    assert {r["stage"]: r for r in rows_then}["negotiation"]["entered"] == 0
    report = run(pr, "--at", "deal", "report", "pipeline", "--format", "json")
    assert report.exit_code == 0, report.output
    assert "620000" in report.output.replace(",", "").replace(" ", "")


def test_at_unknown_revision_is_a_usage_error(pr, run):
    result = run(pr, "--at", "no-such-tag", "check")
    assert result.exit_code == 2
    assert "unknown revision 'no-such-tag'" in result.output


def test_forecast_vs_actual(pr, run):
    won = [*TO_PROPOSAL, {"stage": "negotiation", "on": "2024-05-19"}, {"stage": "won", "on": "2024-05-20"}]
    pr.customer(stage="won", stage_history=won, contacts=CONTACTS, need=NEED, deal={"amount": 620000},
                contracts=[{"no": "HT-2024-01", "amount": 600000, "signed": "2024-05-20"}])
    result = run(pr, "--today", "2024-05-31", "diff", "--forecast", "2024-04-30", "--format", "json")
    data = json.loads(result.output)
    assert data["forecast_weighted"] == 227500 and data["won"] == 600000
    assert [(d["id"], d["outcome"]) for d in data["deals"]] == [(CID, "won")]
    text = run(pr, "--today", "2024-05-31", "diff", "--forecast", "2024-04-30").output
    assert "Forecast at 2024-04-30 (2024-04-30): ¥227,500 weighted; won since, to 2024-05-31: ¥600,000" in text


def test_history_flags_and_backfills(pr, run):
    path = pr.root / f"records/customers/{CID}.yaml"
    text = path.read_text()
    assert "- stage: proposal\n  'on': '2024-04-01'\n" in text
    path.write_text("# 重点客户\n" + text.replace("- stage: proposal\n  'on': '2024-04-01'\n", ""))
    pr.commit("history lost an entry", "2024-05-20T09:00:00+08:00")
    result = run(pr, "history", CID)
    assert result.exit_code == 1
    assert "git shows the move to Proposal on 2024-04-01" in result.output  # stages by their labels
    result = run(pr, "history", CID, "--backfill")
    assert result.exit_code == 0, result.output
    assert "added 1 stage_history entry: Proposal 2024-04-01" in result.output
    fixed = path.read_text()
    assert fixed.startswith("# 重点客户\n")
    assert "- stage: proposal\n  on: 2024-04-01\n" in fixed or "- stage: proposal\n  'on': '2024-04-01'\n" in fixed
    assert run(pr, "check").exit_code == 0
    data = json.loads(run(pr, "history", CID, "--format", "json").output)
    assert [(r["stage"], r["status"]) for r in data["timeline"]] == [
        ("lead", "ok"), ("proposal", "ok"), ("negotiation", "ok")]



def test_history_backfill_is_refused_while_the_team_file_cannot_be_read(pr, run):
    """As every edit: before, the backfill was written without the edit's check."""
    path = pr.root / f"records/customers/{CID}.yaml"
    path.write_text(path.read_text().replace("- stage: proposal\n  'on': '2024-04-01'\n", ""))
    pr.commit("history lost an entry", "2024-05-20T09:00:00+08:00")
    before = path.read_bytes()
    (pr.root / "records/team.yaml").write_text("members: [\n", encoding="utf-8")
    result = run(pr, "history", CID, "--backfill")
    assert result.exit_code == 1, result.output
    assert "records/team.yaml:" in result.output and "nothing was written" in result.output
    assert path.read_bytes() == before

def test_codeowners_writes_both_files_and_check_warns_when_stale(pr, run):
    pr.customer("粤IT2024002", name="B公司", owner="li")
    assert run(pr, "codeowners", "--check").exit_code == 1
    assert run(pr, "codeowners").exit_code == 0
    github = (pr.root / ".github/CODEOWNERS").read_text()
    assert github == (pr.root / "CODEOWNERS").read_text()
    assert github.splitlines()[3:] == [
        "/records/ @chenjing",
        "/records/team.yaml @chenjing",
        "/dealbook.yaml @chenjing",
        f"/records/customers/{CID}.yaml @zhangwei",
        f"/records/followups/{CID}/ @zhangwei",
        "/records/customers/粤IT2024002.yaml @lina",
        "/records/followups/粤IT2024002/ @lina",
    ]
    assert run(pr, "codeowners", "--check").exit_code == 0
    assert "codeowners-stale" not in run(pr, "check").output
    pr.customer("粤IT2024002", name="B公司", owner="zhang")
    result = run(pr, "check", "--format", "json")
    codes = [(d["path"], d["code"], d["severity"]) for d in json.loads(result.output)["diagnostics"]]
    assert (".github/CODEOWNERS", "codeowners-stale", "warning") in codes
    assert ("CODEOWNERS", "codeowners-stale", "warning") in codes
    assert result.exit_code == 0


def test_codeowners_falls_back_to_managers_without_a_git_handle(repo, run):
    team = {"members": [{"handle": "zhang", "name": "张伟", "role": "rep"},
                        {"handle": "chen", "name": "陈静", "role": "manager", "git": "chenjing"},
                        {"handle": "wu", "name": "吴", "role": "manager", "git": "@wuli"}]}
    repo.write("records/team.yaml", team)
    repo.customer()
    result = run(repo, "codeowners")
    assert result.exit_code == 0
    lines = (repo.root / "CODEOWNERS").read_text().splitlines()
    assert f"/records/customers/{CID}.yaml @chenjing @wuli" in lines
    assert "注意:zhang 没有 git 账号" in result.output


def _review(run, repo, *args):
    result = run(repo, "--today", "2024-05-20", "diff", *args, "--format", "json")
    assert result.exit_code == 0, result.output
    data = json.loads(result.output)
    for key in ("base", "head", "base_commit", "head_commit"):
        data.pop(key)
    return data


def test_diff_of_two_commits_says_what_the_books_say(pr, run):
    """The commit-to-commit review (cached per-customer sides) gives the working-tree review's
    answer for the same change: a rename, an owner change, dangling follow-ups, new diagnostics."""
    pr.git("mv", f"records/customers/{CID}.yaml", "records/customers/粤IT2024009.yaml")
    text = (pr.root / "records/customers/粤IT2024009.yaml").read_text()
    (pr.root / "records/customers/粤IT2024009.yaml").write_text(
        text.replace(CID, "粤IT2024009").replace("owner: zhang", "owner: ghost"))
    pr.customer("粤IT2024002", name="B公司", owner="li")
    from_books = _review(run, pr, "HEAD")
    pr.commit("rename", "2024-05-20T09:00:00+08:00")
    from_sides = _review(run, pr, "HEAD~1", "HEAD")
    assert from_sides == from_books
    assert [c["status"] for c in from_sides["customers"]] == ["renamed", "added"]
    assert ("records/customers/粤IT2024009.yaml", "unknown-member") in [
        (d["path"], d["code"]) for d in from_sides["new_diagnostics"]]
    assert _review(run, pr, "HEAD~1", "HEAD") == from_sides  # the second run answers from the side cache
    assert (pr.root / ".dealbook-cache" / "review.sqlite").exists()


def test_diff_of_two_commits_checks_names_against_the_whole_revision(pr, run):
    """A new customer named like one the change does not touch is a new likely duplicate; a
    follow-up whose file changed but whose data did not is no change."""
    pr.git("checkout", "-q", "main")
    pr.git("merge", "-q", "deal")
    pr.customer("粤IT2024003", name="A科技有限公司", owner="li")
    pr.commit("another A", "2024-05-20T09:00:00+08:00")
    data = _review(run, pr, "HEAD~1", "HEAD")
    assert [(c["id"], c["status"]) for c in data["customers"]] == [("粤IT2024003", "added")]
    assert [(d["path"], d["code"]) for d in data["new_diagnostics"]] == [
        ("records/customers/粤IT2024003.yaml", "likely-duplicate")]
    assert f"looks like {CID} `A科技有限公司`" in data["new_diagnostics"][0]["message"]
    text = run(pr, "--today", "2024-05-20", "diff", "HEAD~1", "HEAD").output
    assert "Funnel of these customers (all time), Lead: entered 0 → 1" in text
    path = pr.root / f"records/followups/{CID}/2024-05-01-1000.yaml"
    path.write_text("# 补充说明\n" + path.read_text())
    pr.commit("a comment", "2024-05-20T10:00:00+08:00")
    data = _review(run, pr, "HEAD~1", "HEAD")
    assert data["customers"] == [] and data["new_diagnostics"] == [] and data["funnel"] == []


def test_diff_of_the_working_tree_checks_ids_and_names_against_the_whole_base(pr, run):
    """Before: the working-tree review compared the touched customers of BASE only with each
    other, but the working tree's with every customer on disk, so a duplicate id or a look-alike
    name BASE already had was listed as new once its file was edited. Both sides now compare with
    every customer of their own revision, as the commit-to-commit review does; a look-alike added
    in the working tree is still new."""
    pr.customer("粤IT2024003", name="A科技有限公司", owner="li")  # looks like CID
    pr.write("records/customers/粤IT2024005.yaml", customer_data(CID, name="E公司"))  # CID's id again
    pr.commit("a look-alike and a copy", "2024-05-20T09:00:00+08:00")
    pr.customer("粤IT2024003", name="A科技有限公司", owner="chen")
    pr.write("records/customers/粤IT2024005.yaml", customer_data(CID, name="E公司", owner="li"))
    assert _review(run, pr, "HEAD")["new_diagnostics"] == []
    pr.customer("粤IT2024006", name="A科技有限公司", owner="li")  # a new look-alike
    found = _review(run, pr, "HEAD")["new_diagnostics"]
    assert [(d["path"], d["code"]) for d in found] == [("records/customers/粤IT2024006.yaml", "likely-duplicate")]
    pr.commit("owners", "2024-05-20T10:00:00+08:00")
    assert _review(run, pr, "HEAD~1", "HEAD")["new_diagnostics"] == found


def test_diff_of_the_working_tree_reads_a_customer_file_named_yml(pr, run):
    """Before: the working-tree review read only `<id>.yaml`, so an edit of a customer kept as
    `<id>.yml` (which check reads) showed 0 customers; the commit-to-commit review showed it."""
    pr.git("mv", f"records/customers/{CID}.yaml", f"records/customers/{CID}.yml")
    pr.commit("the .yml ending", "2024-05-20T09:00:00+08:00")
    path = pr.root / f"records/customers/{CID}.yml"
    path.write_text(path.read_text(encoding="utf-8").replace("owner: zhang", "owner: li"), encoding="utf-8")
    working = _review(run, pr, "HEAD")
    assert [(c["id"], c["owner"]) for c in working["customers"]] == [(CID, {"before": "zhang", "after": "li"})]
    pr.commit("owner", "2024-05-20T10:00:00+08:00")
    assert _review(run, pr, "HEAD~1", "HEAD")["customers"] == working["customers"]


def test_diff_lists_a_customer_whose_file_holds_another_id(pr, run):
    """Before: the touched customers were looked up by file name, but kept by the id inside, so a
    copied customer file (`zz-copy.yaml` holding CID) counted in the funnel lines and was missing
    from the customer list, and an edit of such a file showed "0 customers" beside a funnel change."""
    pr.git("checkout", "-q", "main")
    pr.git("merge", "-q", "deal")
    pr.write("records/customers/zz-copy.yaml", (pr.root / f"records/customers/{CID}.yaml").read_text())
    working = _review(run, pr, "HEAD")
    pr.commit("a copy", "2024-05-20T09:00:00+08:00")
    data = _review(run, pr, "HEAD~1", "HEAD")
    assert data == working
    assert [(c["id"], c["status"]) for c in data["customers"]] == [(CID, "added")]
    assert [f["stage"] for f in data["funnel"]] and all(f["entered_before"] == 0 for f in data["funnel"])
    assert ("records/customers/zz-copy.yaml", "id-file-name") in [
        (d["path"], d["code"]) for d in data["new_diagnostics"]]
    path = pr.root / "records/customers/zz-copy.yaml"
    path.write_text(path.read_text(encoding="utf-8").replace("owner: zhang", "owner: li"), encoding="utf-8")
    pr.commit("the copy's owner", "2024-05-20T10:00:00+08:00")
    data = _review(run, pr, "HEAD~1", "HEAD")
    assert [(c["id"], c["status"], c["owner"]) for c in data["customers"]] == [
        (CID, "changed", {"before": "zhang", "after": "li"})]


def test_a_finding_of_a_file_the_change_left_alone_is_not_new_when_its_words_change(pr, run):
    """Before: findings were compared by message, and some messages name other records (the
    customer's contacts, the team's handles), so adding a contact listed an old unknown-contact
    warning of an untouched follow-up as a new finding; a changed follow-up's is still new."""
    pr.followup(CID, "2024-05-02 10:00", method="visit", contact="赵六")
    pr.commit("a visit with someone not on file", "2024-05-19T19:00:00+08:00")
    steps = [*TO_PROPOSAL, {"stage": "negotiation", "on": "2024-05-19"}]
    more = [*CONTACTS, {"name": "孙七", "title": "采购", "role": "user"}]
    pr.customer(stage="negotiation", stage_history=steps, contacts=more, need=NEED, deal={"amount": 620000})
    assert _review(run, pr, "HEAD")["new_diagnostics"] == []
    pr.commit("a new contact", "2024-05-20T09:00:00+08:00")
    data = _review(run, pr, "HEAD~1", "HEAD")
    assert [c["id"] for c in data["customers"]] == [CID] and data["new_diagnostics"] == []
    pr.followup(CID, "2024-05-02 10:00", method="visit", contact="钱八")
    found = _review(run, pr, "HEAD")["new_diagnostics"]
    assert [(d["path"], d["code"]) for d in found] == [
        (f"records/followups/{CID}/2024-05-02-1000.yaml", "unknown-contact")]
    assert "钱八" in found[0]["message"]


WON = [*LEAD, {"stage": "won", "on": "2024-02-01"}, {"stage": "after_sales", "on": "2024-03-01"}]


def _with_contract(repo, cid: str, name: str, number: str, owner: str = "zhang") -> None:
    repo.customer(cid, name=name, owner=owner, stage="after_sales", stage_history=WON, contracts=[
        {"no": number, "amount": 100000, "signed": "2024-02-01", "delivered": "2024-03-01",
         "guide_sent": "2024-03-05"}])


def test_diff_checks_contract_numbers_against_the_whole_revision(pr, run):
    """Before: a review compared the contract numbers of the touched customers of a revision only
    with each other, so `diff A B` never reported a new contract number another customer already
    used, and `diff BASE` listed a duplicate BASE already had as new once the file was edited (the
    working tree's side is checked against every customer on disk). Both sides now compare with
    every customer of their own revision, as for ids and names, in `check`'s words."""
    _with_contract(pr, "粤IT2024003", "C公司", "HT-7")
    pr.commit("C signs HT-7", "2024-05-20T08:00:00+08:00")
    _with_contract(pr, "粤IT2024004", "D公司", "HT-7")  # another customer, the same number
    pr.commit("D copies HT-7", "2024-05-20T09:00:00+08:00")
    said = "contract number `HT-7` is already used by records/customers/粤IT2024003.yaml: contract numbers are unique"
    checked = run(pr, "check", str(pr.root / "records/customers/粤IT2024004.yaml"))
    assert f"粤IT2024004.yaml:26:3: error duplicate-contract: {said}" in checked.output, checked.output
    for args in (["HEAD~1", "HEAD"], ["HEAD~1"]):
        found = [(d["path"], d["line"], d["message"]) for d in _review(run, pr, *args)["new_diagnostics"]
                 if d["code"] == "duplicate-contract"]
        assert found == [("records/customers/粤IT2024004.yaml", 26, said)], (args, found)
    _with_contract(pr, "粤IT2024004", "D公司", "HT-7", owner="li")  # edited: the duplicate is not new
    assert _review(run, pr, "HEAD")["new_diagnostics"] == []
    pr.commit("D to li", "2024-05-20T09:30:00+08:00")
    assert _review(run, pr, "HEAD~1", "HEAD")["new_diagnostics"] == []
    _with_contract(pr, "粤IT2024002", "B公司", "HT-7")  # first in path order: it names a later holder
    found = _review(run, pr, "HEAD")["new_diagnostics"]
    assert [d["message"] for d in found if d["code"] == "duplicate-contract"] == [said], found
    assert {d["path"] for d in found} == {"records/customers/粤IT2024002.yaml"}
    pr.commit("B too", "2024-05-20T10:00:00+08:00")
    assert _review(run, pr, "HEAD~1", "HEAD")["new_diagnostics"] == found


def test_a_branch_that_changes_the_language_makes_no_finding_new(pr, run):
    """Before: a branch changing `language:` listed every finding of the customers it touched as
    new (the base's said in one language, the head's in the other, compared by message): here the
    unknown contact and the owner not in the team both sides have, then a likely duplicate both
    commits have. A new finding of the same code in the same file (another unknown member) is
    still new."""
    pr.followup(CID, "2024-05-10 10:00", contact="赵六")  # not one of the contacts
    pr.customer("粤IT2024003", name="C公司", owner="ghost")  # no member ghost
    pr.commit("findings", "2024-05-19T19:00:00+08:00")
    pr.settings("as_of: 2024-05-20\nlanguage: zh\n")
    pr.customer("粤IT2024003", name="C公司", owner="ghost", support=["nobody"])
    pr.followup(CID, "2024-05-20 09:00", contact="王总监")  # touches CID, no finding of its own
    from_books = _review(run, pr, "HEAD")["new_diagnostics"]
    assert [(d["path"], d["code"]) for d in from_books] == [("records/customers/粤IT2024003.yaml", "unknown-member")]
    assert "`nobody` 不是团队成员" in from_books[0]["message"], from_books
    pr.commit("language", "2024-05-20T09:30:00+08:00")
    assert _review(run, pr, "HEAD~1", "HEAD")["new_diagnostics"] == from_books
    # a customer named like CID (`likely-duplicate`, checked against the whole revision) and back to English
    pr.customer("粤IT2024004", name="A科技有限公司", owner="li")
    pr.commit("a look-alike", "2024-05-20T10:00:00+08:00")
    pr.settings("as_of: 2024-05-20\nlanguage: en\n")
    pr.customer("粤IT2024004", name="A科技有限公司", owner="chen")
    pr.commit("English again", "2024-05-20T10:30:00+08:00")
    data = _review(run, pr, "HEAD~1", "HEAD")
    assert [c["id"] for c in data["customers"]] == ["粤IT2024004"] and data["new_diagnostics"] == [], data


def test_a_customer_file_left_unreadable_is_not_reviewed_as_removed(pr, run):
    """A merge conflict left in a customer file: the review, the check and `show` say the file
    cannot be read (and where), not that the customer and its follow-ups were removed."""
    path = pr.root / f"records/customers/{CID}.yaml"
    text = path.read_text()
    assert "amount: 620000\n" in text
    path.write_text(text.replace("amount: 620000\n", "<<<<<<< HEAD\n  amount: 620000\n=======\n"
                                                     "  amount: 700000\n>>>>>>> main\n"))
    for args in (["main"], ["main", "HEAD"]):
        data = _review(run, pr, *args)
        assert [(c["id"], c["status"], c["followups"]) for c in data["customers"]] == [(CID, "unreadable", [])]
        assert data["forecast"] is None or data["forecast"]["change"] == 0
        assert data["funnel"] == []
        assert ("records/customers/粤IT2024001.yaml", "yaml-syntax") in {
            (d["path"], d["code"]) for d in data["new_diagnostics"]}
        text_out = run(pr, "--today", "2024-05-20", "diff", *args).output
        assert f"{CID} A科技有限公司: the file cannot be read (see the new diagnostics)" in text_out
        assert "removed" not in text_out
        if args == ["main"]:  # then the same, committed
            pr.commit("merge with the conflict left in", "2024-05-20T09:00:00+08:00")
    check = run(pr, "check").output
    assert f"customer `{CID}` cannot be read: records/customers/{CID}.yaml has an error" in check
    assert "does not exist" not in check
    shown = run(pr, "show", CID)
    assert shown.exit_code == 1
    assert f"records/customers/{CID}.yaml:" in shown.output
    assert "cannot be shown until the file is fixed" in shown.output
    assert "did you mean" not in shown.output
    # the fix: readable again, not a new customer with all its follow-ups added
    path.write_text(text)
    data = _review(run, pr, "HEAD")
    assert [(c["id"], c["status"], c["followups"]) for c in data["customers"]] == [(CID, "repaired", [])]
    assert data["funnel"] == [] and (data["forecast"] is None or data["forecast"]["change"] == 0)
    pr.commit("conflict resolved", "2024-05-20T10:00:00+08:00")
    data = _review(run, pr, "HEAD~1", "HEAD")
    assert [(c["id"], c["status"]) for c in data["customers"]] == [(CID, "repaired")]
    assert "the file could not be read before and reads again" in run(
        pr, "--today", "2024-05-20", "diff", "HEAD~1", "HEAD").output


def test_a_moved_follow_up_whose_content_changed_is_shown_with_its_content(pr, run):
    """A follow-up renamed and edited in one change (its time corrected, its summary rewritten) is
    listed with what it now says, not hidden behind `1 follow-up moved`."""
    old = pr.root / f"records/followups/{CID}/2024-05-01-1000.yaml"
    new = old.with_name("2024-05-01-1100.yaml")
    pr.git("mv", str(old), str(new))
    new.write_text(new.read_text().replace("2024-05-01 10:00", "2024-05-01 11:00").replace("电话沟通", "客户要求降价"))
    pr.commit("corrected the time of the call", "2024-05-20T09:00:00+08:00")
    data = _review(run, pr, "HEAD~1", "HEAD")
    assert [(f["status"], f["old_path"], f["at"], f["summary"]) for c in data["customers"] for f in c["followups"]] == [
        ("changed", f"records/followups/{CID}/2024-05-01-1000.yaml", "2024-05-01 11:00", "客户要求降价")]
    text = run(pr, "--today", "2024-05-20", "diff", "HEAD~1", "HEAD").output
    assert "follow-up changed (moved from 2024-05-01-1000.yaml) 2024-05-01 11:00 · Visit · 李经理: 客户要求降价" in text
    markdown = run(pr, "--today", "2024-05-20", "diff", "HEAD~1", "HEAD", "--format", "markdown").output
    assert "- follow-up changed (moved from 2024-05-01-1000.yaml) **2024-05-01 11:00 · Visit · 李经理**" in markdown
    pr.git("mv", str(new), str(old.with_name("2024-05-01-1101.yaml")))  # the same content, another name
    pr.commit("renamed only", "2024-05-20T10:00:00+08:00")
    data = _review(run, pr, "HEAD~1", "HEAD")
    assert [f["status"] for c in data["customers"] for f in c["followups"]] == ["moved"]


def test_history_after_a_merge_sees_no_move_back(pr, run):
    """main edits another field of the customer while the branch moves it on; once main is merged
    into the branch, main's commit is no move back to proposal (nothing to flag or backfill)."""
    pr.git("checkout", "-q", "main")
    path = pr.root / f"records/customers/{CID}.yaml"
    path.write_text(path.read_text().replace("region: 广东 深圳", "region: 广东 广州"))
    pr.commit("the customer moved", "2024-05-19T20:00:00+08:00")
    pr.git("checkout", "-q", "deal")
    pr.git("merge", "-q", "--no-edit", "main")
    assert "广东 广州" in path.read_text()
    before = path.read_bytes()
    result = run(pr, "history", CID, "--format", "json")
    assert result.exit_code == 0, result.output
    assert [(r["stage"], r["status"]) for r in json.loads(result.output)["timeline"]] == [
        ("lead", "ok"), ("proposal", "ok"), ("negotiation", "ok")]
    assert run(pr, "history", CID, "--backfill").exit_code == 0
    assert path.read_bytes() == before


def test_diff_against_a_base_branch_that_moved_on_reviews_only_the_branch(pr, run):
    """main gains a customer after the branch forked: `dealbook diff main` (and `main deal`) review
    what the branch changed since it forked, as a pull request shows it, not main's new customer
    reported as removed by the branch."""
    pr.git("checkout", "-q", "main")
    pr.customer("粤IT2024002", name="B科技有限公司", owner="li")
    fork = pr.git("merge-base", "main", "deal").strip()
    pr.commit("a new lead on main", "2024-05-19T20:00:00+08:00")
    pr.git("checkout", "-q", "deal")
    for args, head in ((["main"], "working tree"), (["main", "deal"], "deal")):
        data = _review(run, pr, *args)
        assert [(c["id"], c["status"]) for c in data["customers"]] == [(CID, "changed")], args
        text = run(pr, "--today", "2024-05-20", "diff", *args).output
        assert text.splitlines()[0] == f"Records changed from main (merge base {fork[:8]}) to {head}: 1 customer"
    assert run(pr, "diff", "main", "--format", "json").output.count(fork) == 1  # base_commit
    assert [c["id"] for c in _review(run, pr, "HEAD~1")["customers"]] == [CID]  # an ancestor: itself
    assert run(pr, "--today", "2024-05-20", "diff", "HEAD~1").output.startswith("Records changed from HEAD~1 to")


def test_markdown_header_shows_the_revisions_as_typed(pr, run):
    """The revisions are in code spans, where a backslash escape would be shown as is."""
    pr.customer("粤IT2024002", name="B公司", owner="li")
    pr.commit("another lead", "2024-05-20T09:00:00+08:00")
    output = run(pr, "--today", "2024-05-20", "diff", "HEAD~1", "HEAD", "--format", "markdown").output
    assert output.startswith("### dealbook review: `HEAD~1` → `HEAD`\n"), output


def test_a_renamed_customer_moves_its_follow_ups_without_changing_them(pr, run):
    """A new id rewrites `customer:` in every follow-up it moves: that is the move itself, not an
    edit for the reviewer to read through."""
    new_id = "粤IT2024009"
    old_file = pr.root / f"records/customers/{CID}.yaml"
    pr.git("mv", str(old_file), str(old_file.with_name(f"{new_id}.yaml")))
    pr.git("mv", str(pr.root / f"records/followups/{CID}"), str(pr.root / f"records/followups/{new_id}"))
    for path in [pr.root / f"records/customers/{new_id}.yaml", *(pr.root / f"records/followups/{new_id}").iterdir()]:
        path.write_text(path.read_text().replace(CID, new_id))
    pr.commit("new id", "2024-05-20T09:00:00+08:00")
    data = _review(run, pr, "HEAD~1", "HEAD")
    assert [(c["id"], c["status"], c["old_id"]) for c in data["customers"]] == [(new_id, "renamed", CID)]
    assert {f["status"] for f in data["customers"][0]["followups"]} == {"moved"}
    assert "3 follow-ups moved" in run(pr, "--today", "2024-05-20", "diff", "HEAD~1", "HEAD").output


@pytest.mark.parametrize("folder,edit", [(False, False), (True, False), (True, True)])
def test_a_rename_not_yet_staged_is_reported_as_the_staged_one(pr, run, folder: bool, edit: bool):
    """A customer file (and its follow-up folder) moved with a plain `mv`, the ids rewritten: git sees
    a removed file and an untracked one, never a rename, until `git add`. The review is the same
    before and after staging: a rename (with its edits), not a removal and a new customer."""
    import os

    new_id = "粤IT2024009"
    old_file = pr.root / f"records/customers/{CID}.yaml"
    os.rename(old_file, old_file.with_name(f"{new_id}.yaml"))
    moved = [pr.root / f"records/customers/{new_id}.yaml"]
    if folder:
        os.rename(pr.root / f"records/followups/{CID}", pr.root / f"records/followups/{new_id}")
        moved += sorted((pr.root / f"records/followups/{new_id}").iterdir())
    for path in moved:
        path.write_text(path.read_text().replace(CID, new_id))
    if edit:  # renamed and edited: a new owner, and one follow-up's summary rewritten
        moved[0].write_text(moved[0].read_text().replace("owner: zhang", "owner: li"))
        moved[1].write_text(moved[1].read_text().replace("summary: 电话沟通", "summary: 现场拜访,确认需求"))
    assert pr.git("status", "--porcelain", "--untracked-files=all").count("??") == len(moved)
    unstaged = _review(run, pr, "HEAD")
    text = run(pr, "--today", "2024-05-20", "diff", "HEAD").output
    pr.git("add", "-A")
    staged = _review(run, pr, "HEAD")
    assert [(c["id"], c["status"], c["old_id"]) for c in staged["customers"]] == [(new_id, "renamed", CID)]
    assert unstaged == staged
    assert text == run(pr, "--today", "2024-05-20", "diff", "HEAD").output
    assert f"{new_id} A科技有限公司: renamed from {CID}" in text
    assert ": removed" not in text and "new customer" not in text
    if edit:
        assert staged["customers"][0]["owner"] == {"before": "zhang", "after": "li"}
        assert [f["status"] for f in staged["customers"][0]["followups"]] == ["changed", "moved", "moved"]


def test_a_removed_customer_and_an_unrelated_untracked_one_are_not_paired(pr, run):
    (pr.root / f"records/customers/{CID}.yaml").unlink()
    pr.customer("粤IT2024002", name="B公司", owner="li")  # untracked, nothing in common with the removed one
    data = _review(run, pr, "HEAD")
    assert sorted((c["id"], c["status"]) for c in data["customers"]) == [(CID, "removed"), ("粤IT2024002", "added")]


def test_markdown_review_shortened_to_fit_a_comment(pr, run):
    """A big change (an import of thirty leads) gives a review longer than a pull-request comment
    takes; --max-chars leaves out the follow-ups' details, then the customers beyond, and says so."""
    for n in range(30):
        cid = f"粤IT2024{100 + n}"
        pr.customer(cid, name=f"导入客户{n}有限公司", owner="li")
        pr.followup(cid, "2024-05-10 10:00", contact="王总监", summary="首次电话沟通,介绍公司与典型案例")
    whole = run(pr, "--today", "2024-05-20", "diff", "main", "--format", "markdown").output
    assert len(whole) > 3000 and "left out" not in whole
    assert run(pr, "--today", "2024-05-20", "diff", "main", "--format", "markdown",
               "--max-chars", str(len(whole))).output == whole
    short = run(pr, "--today", "2024-05-20", "diff", "main", "--format", "markdown", "--max-chars", "3000").output
    assert len(short) <= 3000
    assert short.startswith("### dealbook review: `main` → `working tree`\n\n**31 customers changed**")
    assert "  - follow-up added" not in short and "Follow-up details are left out to fit a comment" in short
    shown = short.count("\n- **")
    assert 0 < shown < 31 and f"- … {31 - shown} more (left out to fit a comment: run `dealbook diff`)" in short
    funnel = [line for line in whole.splitlines() if line.startswith(("- Funnel", "- Forecast"))]
    assert funnel and funnel == [line for line in short.splitlines() if line.startswith(("- Funnel", "- Forecast"))]
