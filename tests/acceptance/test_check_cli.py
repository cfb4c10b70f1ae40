"""`dealbook check` end to end: every bad input gives exit 1, the file, the line and a fix."""

from __future__ import annotations

import json
import os
import subprocess
import sys

import pytest
from conftest import ROOT, RecordRepo, customer_data

CID = "粤IT2024001"
CPATH = f"records/customers/{CID}.yaml"


def diagnostics(run, repo: RecordRepo, *args: str) -> tuple[int, list[dict]]:
    result = run(repo, "check", "--format", "json", *args)
    return result.exit_code, json.loads(result.stdout)["diagnostics"]


def codes(found: list[dict]) -> set[tuple[str, str]]:
    return {(d["path"], d["code"]) for d in found}


def test_clean_repo_exits_zero(run, repo: RecordRepo) -> None:
    repo.customer()
    repo.followup(CID, "2024-05-10 14:00", contact="王总监")
    result = run(repo, "check")
    assert result.exit_code == 0, result.output
    assert "检查了 3 个文件:0 个错误,0 个警告" in result.output  # the team's language (zh)


def test_schema_error_points_at_the_offending_key(run, repo: RecordRepo) -> None:
    repo.write(CPATH, "id: 粤IT2024001\nname: A科技有限公司\nindustry: I6510\nowner: zhang\ncreated: 2024-01-05\n"
               "source:\n  channel: trade_show\ncontacts: []\nstage: lead\nstage_history:\n"
               "  - stage: lead\n    on: 2024-01-05\nlead_type: prospekt\ncolour: red\n")
    result = run(repo, "check")
    assert result.exit_code == 1
    assert f"{CPATH}:13:1: error bad-value" in result.output  # lead_type on line 13
    assert "prospect" in result.output  # the allowed values are listed
    assert f"{CPATH}:14:1: error unknown-key: 未知的键 `colour`" in result.output  # in the team's language
    assert "custom:" in result.output


@pytest.mark.parametrize(("overrides", "code"), [
    ({"id": "粤IT2024002"}, "id-file-name"),
    ({"stage": "proposal"}, "stage-history"),
    ({"stage": "quote", "stage_history": [{"stage": "quote", "on": "2024-01-05"}]}, "unknown-stage"),
    ({"stage": "discovery", "stage_history": [{"stage": "lead", "on": "2024-02-05"},
                                              {"stage": "discovery", "on": "2024-01-05"}]}, "history-order"),
    ({"stage": "lead", "stage_history": [{"stage": "discovery", "on": "2024-01-05"},
                                         {"stage": "lead", "on": "2024-02-05"}]}, "stage-move"),
    ({"stage": "lost", "stage_history": [{"stage": "lead", "on": "2024-01-05"},
                                         {"stage": "lost", "on": "2024-02-05"}]}, "stage-requires"),
    ({"stage": "won", "stage_history": [{"stage": "lead", "on": "2024-01-05"},
                                        {"stage": "won", "on": "2024-02-05"}],
      "deal": {"amount": 1}}, "stage-requires"),
    ({"created": "2024-02-30"}, "bad-date"),
    ({"deal": {"amount": "65万"}}, "money"),
    ({"owner": "nobody"}, "unknown-member"),
    ({"support": ["ghost"]}, "unknown-member"),
    ({"contacts": [{"name": "王", "role": "user", "phone": "13812345678"}]}, "phone-kind"),
    ({"contacts": [{"name": "王", "role": "user", "phone": "138-1234-5678", "phone_kind": "office"}]},
     "privacy-mobile"),
    ({"custom": {"note": "身份证 44030119900101123X"}}, "privacy-id"),
])
def test_customer_errors(run, repo: RecordRepo, overrides: dict, code: str) -> None:
    repo.customer(**overrides)
    exit_code, found = diagnostics(run, repo)
    assert exit_code == 1
    assert (CPATH, code) in codes(found), found
    assert all(d["line"] >= 1 and d["message"] for d in found)


def test_money_hint_says_what_to_write(run, repo: RecordRepo) -> None:
    repo.customer(deal={"amount": "65万"})
    _, found = diagnostics(run, repo)
    assert any(d["code"] == "money" and "650000" in d["message"] for d in found)


def test_work_mobile_is_allowed(run, repo: RecordRepo) -> None:
    repo.customer(contacts=[{"name": "王总监", "role": "decision_maker", "phone": "138-1234-5678",
                             "phone_kind": "work"}])
    exit_code, found = diagnostics(run, repo)
    assert exit_code == 0 and found == []


def test_mobile_in_free_text_is_an_error(run, repo: RecordRepo) -> None:
    repo.customer()
    repo.followup(CID, "2024-05-10 14:00", summary="客户让我打他手机 13912345678")
    _, found = diagnostics(run, repo)
    assert ("records/followups/粤IT2024001/2024-05-10-1400.yaml", "privacy-mobile") in codes(found)


def test_id_rule(run, repo: RecordRepo) -> None:
    repo.customer("ACME-1")
    _, found = diagnostics(run, repo)
    assert ("records/customers/ACME-1.yaml", "id-rule") in codes(found)


def test_duplicate_ids(run, repo: RecordRepo) -> None:
    repo.customer()
    repo.write("records/customers/粤IT2024002.yaml", customer_data(CID))
    _, found = diagnostics(run, repo)
    assert any(d["code"] == "duplicate-id" for d in found)


def test_followup_folder_and_unknown_customer(run, repo: RecordRepo) -> None:
    repo.customer()
    repo.write("records/followups/粤IT2024001/2024-05-10-1400.yaml",
               {"customer": "粤IT2024009", "at": "2024-05-10 14:00", "method": "phone", "by": "zhang", "summary": "x"})
    repo.followup("京MF2023001", "2024-05-11 10:00")
    _, found = diagnostics(run, repo)
    assert ("records/followups/粤IT2024001/2024-05-10-1400.yaml", "followup-folder") in codes(found)
    assert ("records/followups/京MF2023001/2024-05-11-1000.yaml", "unknown-customer") in codes(found)


def test_followup_people_and_contact(run, repo: RecordRepo) -> None:
    repo.customer()
    path = repo.followup(CID, "2024-05-10 14:00", by="ghost", contact="刘经理",
                         next=[{"action": "回访", "due": "2024-05-20", "owner": "nobody"}])
    exit_code, found = diagnostics(run, repo)
    relative = path.relative_to(repo.root).as_posix()
    assert exit_code == 1
    got = [(d["code"], d["severity"], d["line"]) for d in found if d["path"] == relative]
    assert ("unknown-member", "error", 4) in got  # by: is the 4th key
    assert any(c == "unknown-member" and line > 4 for c, _, line in got)  # next[0].owner
    assert ("unknown-contact", "warning") in {(c, s) for c, s, _ in got}


def test_need_summary_warning_and_strict(run, repo: RecordRepo) -> None:
    repo.customer(need={"summary": "很长" * 101})
    result = run(repo, "check")
    assert result.exit_code == 0 and "warning need-too-long" in result.output
    assert run(repo, "check", "--strict").exit_code == 1


def test_unreadable_files_are_reported_and_the_rest_still_checked(run, repo: RecordRepo) -> None:
    repo.customer()
    (repo.root / "records/customers/粤IT2024002.yaml").write_bytes("id: 粤IT2024002\nname: 乙公司\n".encode("gbk"))
    repo.write("records/customers/粤IT2024003.yaml", "id: 粤IT2024003\nname: [oops\n")
    repo.write("records/customers/粤IT2024004.yaml", "id: 粤IT2024004\nid: 粤IT2024004\n")
    repo.customer("粤IT2024005", owner="ghost")
    _, found = diagnostics(run, repo)
    got = codes(found)
    assert ("records/customers/粤IT2024002.yaml", "encoding") in got
    assert ("records/customers/粤IT2024003.yaml", "yaml-syntax") in got
    assert ("records/customers/粤IT2024004.yaml", "duplicate-key") in got
    assert ("records/customers/粤IT2024005.yaml", "unknown-member") in got


def test_paths_are_checked_against_the_whole_repo(run, repo: RecordRepo) -> None:
    repo.customer()
    repo.customer("粤IT2024002", name="乙制造股份有限公司", owner="ghost")  # broken, but not among the paths
    fu = repo.followup(CID, "2024-05-10 14:00", contact="王总监")
    os.chdir(repo.root)
    exit_code, found = diagnostics(run, repo, str(fu.relative_to(repo.root)))
    assert exit_code == 0 and found == []  # the customer and team were found outside the paths
    exit_code, found = diagnostics(run, repo, "records/customers/")
    assert exit_code == 1 and codes(found) == {("records/customers/粤IT2024002.yaml", "unknown-member")}


def test_a_team_change_checks_everything(run, repo: RecordRepo) -> None:
    repo.customer(owner="li")
    repo.write("records/team.yaml", {"members": [{"handle": "zhang", "name": "张伟", "role": "rep"}]})
    os.chdir(repo.root)
    exit_code, found = diagnostics(run, repo, "records/team.yaml")
    assert exit_code == 1 and (CPATH, "unknown-member") in codes(found)


def test_missing_path_and_usage_errors(run, repo: RecordRepo) -> None:
    os.chdir(repo.root)
    exit_code, found = diagnostics(run, repo, "records/customers/nope.yaml")
    assert exit_code == 1 and found[0]["code"] == "no-file"
    assert run(repo, "check", "--format", "xml").exit_code == 2


def test_paths_outside_the_repo_and_missing_files_are_said_in_the_team_language(run, repo: RecordRepo) -> None:
    repo.customer()
    os.chdir(repo.root)
    for outside in ("..", "../elsewhere", str(repo.root.parent)):
        result = run(repo, "check", outside)
        assert result.exit_code == 1, (outside, result.output)
        assert f"{outside}:1:1: error outside-repo: {outside} 不在记录仓库 {repo.root} 里" in result.output
    result = run(repo, "check", "records/customers/nope.yaml")
    assert "records/customers/nope.yaml:1:1: error no-file: records/customers/nope.yaml:没有这个文件" in result.output
    (repo.root / "notes.txt").write_text("x", encoding="utf-8")
    result = run(repo, "check", "notes.txt")
    assert (result.exit_code, result.output) == (0, "dealbook:给出的路径中没有记录文件\n")
    repo.settings("as_of: 2024-05-20\nlanguage: en\n")
    result = run(repo, "check", "..")
    assert f"..:1:1: error outside-repo: .. is outside the records repo {repo.root}; pass --repo or cd into it" \
        in result.output
    assert run(repo, "check", "notes.txt").output == "dealbook: no record files among the given paths\n"


def test_github_format_and_auto_detection(run, repo: RecordRepo) -> None:
    repo.customer(owner="ghost")
    result = run(repo, "check", env={"GITHUB_ACTIONS": "true"})
    assert result.exit_code == 1
    line = next(x for x in result.stdout.splitlines() if x.startswith("::error"))
    assert line.startswith(f"::error file={CPATH},line=") and "title=dealbook unknown-member::" in line


def test_json_shape_is_the_contract(run, repo: RecordRepo) -> None:
    repo.customer(owner="ghost")
    result = run(repo, "check", "--format", "json")
    payload = json.loads(result.stdout)
    assert set(payload) >= {"diagnostics"}
    assert set(payload["diagnostics"][0]) == {"path", "line", "column", "severity", "code", "message"}


def test_a_crashing_rule_becomes_a_diagnostic(run, repo: RecordRepo, monkeypatch) -> None:
    import dealbook.checks.filechecks as filechecks

    def boom(*args, **kwargs):
        raise RuntimeError("boom")

    monkeypatch.setitem(filechecks._RULES, "customer", boom)
    repo.customer()
    repo.customer("粤IT2024002")
    exit_code, found = diagnostics(run, repo)
    assert exit_code == 1
    assert {d["path"] for d in found if d["code"] == "internal"} == {CPATH, "records/customers/粤IT2024002.yaml"}


def test_cache_sees_edits(run, repo: RecordRepo) -> None:
    repo.customer()
    assert diagnostics(run, repo)[0] == 0
    assert (repo.root / ".dealbook-cache").is_dir()
    repo.customer(owner="ghost")
    exit_code, found = diagnostics(run, repo)
    assert exit_code == 1 and (CPATH, "unknown-member") in codes(found)


def test_installed_console_script_never_prints_a_traceback(repo: RecordRepo) -> None:
    (repo.root / "dealbook.yaml").write_text("stages: [oops\n", encoding="utf-8")
    script = os.path.join(os.path.dirname(sys.executable), "dealbook")
    done = subprocess.run([script, "--repo", str(repo.root), "check"], capture_output=True, text=True)
    assert "Traceback" not in done.stderr + done.stdout
    assert done.returncode in (1, 2)
    assert "dealbook.yaml" in done.stdout + done.stderr


def test_root_schemas_link_resolves() -> None:
    assert (ROOT / "schemas" / "customer.schema.json").is_file()


def test_a_folder_that_is_not_a_records_repo_is_a_usage_error(run, tmp_path, monkeypatch) -> None:
    empty = tmp_path / "elsewhere"
    empty.mkdir()
    monkeypatch.chdir(empty)  # no team's settings anywhere: said in English
    for command in (["check"], ["customers"], ["agenda"]):
        result = run(empty, *command)
        assert result.exit_code == 2, command
        assert "is not a dealbook records repo" in result.output and "dealbook init" in result.output
