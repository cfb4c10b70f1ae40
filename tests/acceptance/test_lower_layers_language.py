"""Messages made below the commands — a sheet `dealbook import` cannot read, an address in mkdocs.yml
links cannot start from, a symbolic link in the way of a write, the report list, the export's
progress, a git problem — are said in the team's language: with `language: zh` in Chinese (what the
system or git says stays as it is), with `language: en` exactly the English they always were."""

from __future__ import annotations

from pathlib import Path

import openpyxl
import pytest
from conftest import RecordRepo

ZH = "as_of: 2024-05-20\n"  # the default language is zh
EN = "as_of: 2024-05-20\nlanguage: en\n"


def _workbook(path: Path, sheets: dict[str, list[list]]) -> Path:
    book = openpyxl.Workbook()
    book.remove(book.active)
    for name, rows in sheets.items():
        sheet = book.create_sheet(name)
        for row in rows:
            sheet.append(row)
    book.save(path)
    return path


# --- import: a sheet that cannot be read ------------------------------------------------------------

def _import(run, repo: RecordRepo, settings: str, *args: str) -> str:
    repo.settings(settings)
    result = run(repo, "import", *args)
    assert result.exit_code == 1 and "Traceback" not in result.output, result.output
    return result.output


@pytest.fixture
def sheets(here: Path) -> dict[str, Path]:
    (here / "not-a-workbook.xlsx").write_text("hello", encoding="utf-8")
    (here / "latin.csv").write_bytes(b"\x81\xff\xfe\x80")
    return {
        "broken": here / "not-a-workbook.xlsx",
        "latin": here / "latin.csv",
        "one": _workbook(here / "one.xlsx", {"客户": [["客户名称", "所属行业", "负责人"],
                                                      ["甲公司", "C3970", "zhang"]]}),
        "twice": _workbook(here / "twice.xlsx", {"Sheet": [["客户名称", "公司名称", "负责人"], ["x", "y", "zhang"]]}),
        "empty": _workbook(here / "empty.xlsx", {"空": [], "other": []}),
        "no-name": _workbook(here / "no-name.xlsx", {"Sheet": [["foo", "bar"], ["x", "y"]]}),
    }


def test_a_chinese_team_reads_why_a_sheet_cannot_be_imported_in_chinese(repo, run, here, sheets) -> None:
    said = _import(run, repo, ZH, str(sheets["broken"]))
    assert "not-a-workbook.xlsx:无法打开工作簿(ZipError: " in said  # calamine's own words stay
    assert "它真的是 .xlsx 文件吗?请用 Excel 或 WPS 重新保存" in said and "cannot open" not in said
    said = _import(run, repo, ZH, str(sheets["one"]), "--sheet", "Nope")
    assert "one.xlsx:没有名为「Nope」的工作表;工作表有:客户" in said
    said = _import(run, repo, ZH, str(sheets["twice"]))
    assert ("twice.xlsx:工作表「Sheet」有两列都对应字段 `name`:A 列 `客户名称` 和 B 列 `公司名称`(表头在第 1 行);"
            "没有导入任何内容。") in said
    said = _import(run, repo, ZH, str(sheets["empty"]))
    assert "empty.xlsx:工作表「空」是空的;这个工作簿的工作表有:空、other(可用 --sheet NAME 指定)" in said
    said = _import(run, repo, ZH, str(sheets["no-name"]))
    assert "no-name.xlsx:工作表「Sheet」没有 客户名称 (name)或客户编号 (id) 列(第 1 行的表头有:foo、bar)" in said
    said = _import(run, repo, ZH, str(sheets["latin"]))
    assert "latin.csv:文件既不是 UTF-8 也不是 GBK 文本;请用 Excel 或 WPS 另存为“CSV UTF-8”" in said
    (here / "old.xls").write_text("x", encoding="utf-8")
    said = _import(run, repo, ZH, str(here / "old.xls"))
    assert "old.xls:不读取旧的 .xls 工作簿;请另存为 .xlsx(Excel/WPS:另存为 → .xlsx)" in said


def test_an_english_team_reads_why_a_sheet_cannot_be_imported_as_before(repo, run, here, sheets) -> None:
    said = _import(run, repo, EN, str(sheets["broken"]))
    assert f"Error: {sheets['broken']}: cannot open the workbook (ZipError: invalid Zip archive: Could not find " \
           "EOCD); is it really an .xlsx file? Save it again from Excel or WPS\n" in said
    said = _import(run, repo, EN, str(sheets["one"]), "--sheet", "Nope")
    assert f"Error: {sheets['one']}: no sheet named 'Nope'; the sheets are: 客户\n" in said
    said = _import(run, repo, EN, str(sheets["twice"]))
    assert f"Error: {sheets['twice']}: sheet 'Sheet' has two columns for the field `name`: column A `客户名称` and " \
           "column B `公司名称` (header row 1); nothing was imported. Keep one: delete the other column, or rename " \
           "its header (a --map file can then map it to another field or to `ignore`)\n" in said
    said = _import(run, repo, EN, str(sheets["empty"]))
    assert f"Error: {sheets['empty']}: sheet '空' is empty; the workbook's sheets are: 空, other (use --sheet NAME)\n" \
        in said
    said = _import(run, repo, EN, str(sheets["no-name"]))
    assert f"Error: {sheets['no-name']}: sheet 'Sheet' has no 客户名称 (name) or 客户编号 (id) column (row 1 has: " \
           "foo, bar); rename the header or give a --map file\n" in said
    said = _import(run, repo, EN, str(sheets["latin"]))
    assert f"Error: {sheets['latin']}: the file is neither UTF-8 nor GBK text; save it as CSV UTF-8 from Excel or " \
           "WPS\n" in said
    (here / "old.xls").write_text("x", encoding="utf-8")
    said = _import(run, repo, EN, str(here / "old.xls"))
    assert f"Error: {here / 'old.xls'}: old .xls workbooks are not read; save it as .xlsx (Excel/WPS: Save As → " \
           ".xlsx)\n" in said


def test_the_notes_on_how_a_sheet_was_read_are_in_the_teams_language(repo, run, here: Path) -> None:
    path = _workbook(here / "two.xlsx", {"客户": [["客户名称", "所属行业", "负责人"], ["甲公司", "C3970", "zhang"]],
                                         "旧数据": [["x"]]})
    repo.settings(ZH)
    said = run(repo, "import", str(path)).output
    assert "注意:读取了工作表「客户」;未读取其他工作表:旧数据(可用 --sheet NAME 指定)" in said, said
    repo.settings(EN)
    said = run(repo, "import", str(path)).output
    assert "note: read sheet '客户'; other sheets not read: 旧数据 (use --sheet NAME)\n" in said, said


# --- mkdocs.yml's site_url ------------------------------------------------------------------------------

BAD_URLS = {
    "ftp://x/": ("必须以 http:// 或 https:// 加主机名开头,例如 https://sales.example.com/crm/",
                 "must start with http:// or https:// and a host name, like https://sales.example.com/crm/"),
    "https://a.example.com/x?y=1": (
        "含有 ? 或 #(查询或片段):页面路径会接在它后面,所有链接都会指向同一个页面;只写网站所在的目录",
        "holds a ? or a # (a query or a fragment): the pages' paths are added after it, so every link would "
        "point at the same page; write the site's folder only"),
}


@pytest.mark.parametrize("url", BAD_URLS)
@pytest.mark.parametrize("language", ["zh", "en"])
def test_check_says_a_bad_site_url_in_the_teams_language(demo_repo: RecordRepo, run, url: str,
                                                         language: str) -> None:
    settings = demo_repo.root / "dealbook.yaml"
    settings.write_text(settings.read_text("utf-8").replace("\nlanguage: zh\n", f"\nlanguage: {language}\n"),
                        encoding="utf-8")
    demo_repo.write("mkdocs.yml", f"site_name: x\nsite_url: {url}\n")
    result = run(demo_repo, "check")
    assert result.exit_code == 1, result.output
    zh, en = BAD_URLS[url]
    expected = (f"mkdocs.yml:2:1: error bad-url: site_url '{url}' {zh}(修正之前,指向网站页面的链接会被省略)\n"
                if language == "zh" else
                f"mkdocs.yml:2:1: error bad-url: site_url '{url}' {en} (links to the site's pages are left out until "
                "it is fixed)\n")
    assert expected in result.output, result.output


@pytest.mark.parametrize("url", BAD_URLS)
@pytest.mark.parametrize("language", ["zh", "en"])
def test_the_read_commands_say_a_bad_site_url_and_a_bad_site_url_option_in_the_teams_language(
        demo_repo: RecordRepo, run, url: str, language: str) -> None:
    """Before: both were English for a zh team (worded where the command line reads them)."""
    settings = demo_repo.root / "dealbook.yaml"
    settings.write_text(settings.read_text("utf-8").replace("\nlanguage: zh\n", f"\nlanguage: {language}\n"),
                        encoding="utf-8")
    zh, en = BAD_URLS[url]
    result = run(demo_repo, "agenda", "--format", "ics", "--site-url", url)
    assert result.exit_code == 2
    assert (f"错误:--site-url 的值无效:'{url}' {zh}\n" if language == "zh" else
            f"Error: Invalid value for --site-url: '{url}' {en}\n") in result.output, result.output
    demo_repo.write("mkdocs.yml", f"site_name: x\nsite_url: {url}\n")
    result = run(demo_repo, "agenda", "--format", "ics")
    assert result.exit_code == 0 and result.stdout.startswith("BEGIN:VCALENDAR"), result.output
    assert (f"警告:mkdocs.yml:2: site_url '{url}' {zh}(修正之前,指向网站页面的链接会被省略)\n" if language == "zh" else
            f"warning: mkdocs.yml:2: site_url '{url}' {en} (links to the site's pages are left out until it is "
            "fixed)\n") in result.stderr, result.stderr


# --- a symbolic link in the way of a write; the system's own errors ------------------------------------------

def _linked_customers(repo: RecordRepo, settings: str, tmp_path: Path) -> None:
    repo.settings(settings)
    repo.customer()
    customers = repo.root / "records" / "customers"
    moved = tmp_path / "moved"
    customers.rename(moved)
    customers.symlink_to(moved)


def test_a_symbolic_link_in_the_way_is_said_in_chinese_with_its_path(run, repo: RecordRepo, tmp_path: Path) -> None:
    _linked_customers(repo, ZH, tmp_path)
    result = run(repo, "set", "粤IT2024001", "tags=重点")
    assert result.exit_code == 1, result.output
    assert ("无法写入 records/customers:是符号链接:dealbook 只把记录和缓存写进仓库自己的文件夹(records/ 下的链接由 "
            "`dealbook check` 报告;作为链接的 .dealbook-cache 请删除);没有写入任何内容") in result.output, result.output


def test_a_symbolic_link_in_the_way_is_said_in_english_as_before(run, repo: RecordRepo, tmp_path: Path) -> None:
    _linked_customers(repo, EN, tmp_path)
    result = run(repo, "set", "粤IT2024001", "tags=重点")
    assert result.exit_code == 1, result.output
    assert ("Error: cannot write records/customers: is a symbolic link: dealbook writes records and caches only into "
            "the repo's own folders (`dealbook check` reports a link under records/; delete a linked "
            ".dealbook-cache); nothing was written\n") in result.output, result.output


def _unreadable(*args, **kwargs):
    raise PermissionError(13, "Permission denied", "/book/records/customers/粤IT2024001.yaml")


@pytest.mark.parametrize("command", [["set", "粤IT2024001", "tags=重点"],
                                     ["set", "tags=重点", "--where", "owner=zhang", "--yes"]])
def test_a_record_the_system_will_not_open_gets_a_lead_in_the_teams_language(
        run, repo: RecordRepo, monkeypatch: pytest.MonkeyPatch, command: list[str]) -> None:
    """The system's words (`[Errno 13] Permission denied: '…'`) are kept whole after the lead; a bulk
    `set` (no id) stopped with an internal error (`'PermissionError' object has no attribute 'text'`)."""
    repo.customer()
    monkeypatch.setattr("dealbook.cli.commands.edit_flow.load_document", _unreadable)
    monkeypatch.setattr("dealbook.cli.commands.bulk_set.load_document", _unreadable)
    said = "[Errno 13] Permission denied: '/book/records/customers/粤IT2024001.yaml'"
    repo.settings(ZH)
    result = run(repo, *command)
    assert result.exit_code == 1, result.output
    assert f"无法读取 records/customers/粤IT2024001.yaml:{said}" in result.output, result.output
    repo.settings(EN)
    result = run(repo, *command)
    assert result.exit_code == 1, result.output
    assert f"Error: records/customers/粤IT2024001.yaml: {said}\n" in result.output, result.output


@pytest.mark.parametrize("language,lead", [
    ("zh", "dealbook:内部错误:PermissionError: [Errno 13] Permission denied: '/x/报表'(设置 DEALBOOK_DEBUG=1 "
           "可查看详情)\n"),
    ("en", "dealbook: internal error: PermissionError: [Errno 13] Permission denied: '/x/报表' (set DEALBOOK_DEBUG=1 "
           "for details)\n"),
])
def test_an_unforeseen_system_error_has_its_lead_in_the_teams_language(
        repo: RecordRepo, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture, language: str,
        lead: str) -> None:
    from dealbook.cli import main

    repo.settings(f"as_of: 2024-05-20\nlanguage: {language}\n")
    monkeypatch.delenv("DEALBOOK_DEBUG", raising=False)
    monkeypatch.setattr("dealbook.reports.summary", lambda *args: _unreadable_report())
    monkeypatch.setattr("sys.argv", ["dealbook", "--repo", str(repo.root), "report", "--list"])
    with pytest.raises(SystemExit) as stopped:
        main()
    assert stopped.value.code == 3
    assert capsys.readouterr().err == lead


def _unreadable_report() -> str:
    raise PermissionError(13, "Permission denied", "/x/报表")


# --- report --list ---------------------------------------------------------------------------------------------

def test_report_list_says_what_each_report_shows_in_the_teams_language(run, repo: RecordRepo) -> None:
    repo.settings(ZH)
    said = run(repo, "report", "--list").output
    assert "funnel         阶段转化:每个阶段的进入、转化、流失数,转化率与流失率(占进入的比例),平均停留天数。  " \
           "[--by owner|source|industry|region]\n" in said, said
    assert "receivables    截至今天合同尚未收回的款项,按负责人和逾期天数。\n" in said
    assert "Money" not in said and "Stage conversion" not in said
    assert "按人:各跟进方式的跟进记录数" in run(repo, "report", "--list", "--format", "csv").output
    repo.settings(EN)
    said = run(repo, "report", "--list").output
    assert "funnel         Stage conversion: per stage, entered, converted, lost, converted and lost per entered, " \
           "average days.  [--by owner|source|industry|region]\n" in said, said
    assert "receivables    Money still to be received on contracts, per owner and by days overdue, as of today.\n" \
        in said


def test_each_reports_listed_summary_is_the_first_line_of_its_docstring() -> None:
    from dealbook.reports import REPORTS, SUMMARIES

    assert set(SUMMARIES) == set(REPORTS)
    for name, function in REPORTS.items():
        assert SUMMARIES[name] == (function.__doc__ or "").strip().splitlines()[0], name


# --- export's progress bars ------------------------------------------------------------------------------------

def _on_a_terminal(repo: Path, *args: str) -> str:
    """What `dealbook` writes to stderr when stderr is a terminal (the progress bars show only there)."""
    import os
    import subprocess
    import sys

    pty = pytest.importorskip("pty")
    master, slave = pty.openpty()
    tools = str(Path(__file__).resolve().parents[2] / "tools")  # this checkout's dealbook
    env = {**os.environ, "PYTHONPATH": os.pathsep.join(filter(None, [tools, os.environ.get("PYTHONPATH")]))}
    process = subprocess.Popen([sys.executable, "-m", "dealbook", "--repo", str(repo), *args], stdin=subprocess.DEVNULL,
                               stdout=subprocess.PIPE, stderr=slave, env=env)
    os.close(slave)
    chunks = []
    while True:
        try:
            chunk = os.read(master, 65536)
        except OSError:  # the other end closed
            break
        if not chunk:
            break
        chunks.append(chunk)
    process.communicate()
    os.close(master)
    assert process.returncode == 0
    return b"".join(chunks).decode("utf-8", "replace")


def test_exports_progress_bars_are_labelled_in_the_teams_language(demo_repo: RecordRepo, english_repo_copy: Path,
                                                                  tmp_path: Path) -> None:
    shown = _on_a_terminal(demo_repo.root, "export", "--out", str(tmp_path / "zh.xlsx"))
    assert "读取记录  [" in shown and "导出 customers  [" in shown and "导出 followups  [" in shown, shown[-500:]
    assert "Exporting" not in shown and "Reading records" not in shown
    shown = _on_a_terminal(english_repo_copy, "export", "--out", str(tmp_path / "en.xlsx"))
    assert "Reading records  [" in shown and "Exporting customers  [" in shown and "Exporting followups  [" in shown


# --- git: dealbook's words around git's --------------------------------------------------------------------

GIT_PROBLEMS = [  # (command, said to a zh team, said to an en team as before)
    (["diff", "nosuchrev"], "未知的版本 'nosuchrev':请给出提交、标签、分支或日期(YYYY-MM-DD)",
     "Error: unknown revision 'nosuchrev': give a commit, tag, branch or date (YYYY-MM-DD)\n"),
    (["diff", "1990-01-01"], "1990-01-01 当天或之前没有提交:历史从更晚的时候才开始",
     "Error: no commit on or before 1990-01-01: the history starts later\n"),
    (["check", "--new-since", "2024-02-31"], "2024-02-31 不是日期", "2024-02-31 is not a date"),
    (["--at", "nosuchrev", "customers"],
     "错误:--at 的值无效:未知的版本 'nosuchrev':请给出提交、标签、分支或日期(YYYY-MM-DD)\n",
     "Error: Invalid value for --at: unknown revision 'nosuchrev': give a commit, tag, branch or date (YYYY-MM-DD)\n"),
]


@pytest.mark.parametrize("language", ["zh", "en"])
def test_git_problems_are_said_in_the_teams_language(run, repo: RecordRepo, language: str) -> None:
    """In Chinese for a zh team; for an en team the English said before, byte for byte."""
    repo.customer()
    repo.settings(ZH if language == "zh" else EN)
    said = run(repo, "history", "粤IT2024001").output
    assert (f"{repo.root} 不在 git 仓库中:依赖 git 的功能(--at、diff、history)需要 git 仓库" if language == "zh" else
            f"Error: {repo.root} is not inside a git repository: git-based features (--at, diff, history) need one\n"
            ) in said, said
    repo.git_init()
    repo.commit("first", date="2024-05-01T10:00:00+08:00")
    for args, zh, en in GIT_PROBLEMS:
        said = run(repo, *args).output
        assert (zh if language == "zh" else en) in said, said


# --- import: why a row's cells are rejected ---------------------------------------------------------------------

BAD_CELLS = [["客户名称", "所属行业", "负责人", "建档日期", "联系方式", "预计金额"],
             ["甲公司", "C3970", "zhang", "2024-13-45", 75512345678, "lots"],
             ["乙公司", "C3970", "nobody", "notdate", "1.38E+10", 5]]


def test_a_chinese_team_reads_why_a_rows_cells_are_rejected_in_chinese(repo, run, here: Path) -> None:
    path = _workbook(here / "cells.xlsx", {"Sheet": BAD_CELLS})
    repo.settings(ZH)
    said = run(repo, "import", str(path), "--rejects", str(here / "rejects.csv")).output
    assert ("第 2 行:拒绝 甲公司:D 列 `建档日期`:`2024-13-45` 不是真实存在的日期;"
            "F 列 `预计金额`:`lots` 不是金额;请写成 500000、50万 或 ¥500,000;"
            "E 列 `联系方式`:电话号码 75512345678 被存成了数字,开头的 0 会丢失(原来是 075512345678 吗?);"
            "请在 Excel/WPS 中把这一列设为“文本”格式,再重新输入号码(例如 0755-12345678)\n") in said, said
    assert ("第 3 行:拒绝 乙公司:D 列 `建档日期`:`notdate` 不是日期;请写成 2024-05-10(或 2024/5/10);"
            "C 列 `负责人`:负责人 (owner) `nobody` 不是团队成员:请先把此人加入 records/team.yaml,"
            "或使用以下之一:") in said, said
    assert "E 列 `联系方式`:电话号码 `1.38E+10` 被写成了科学计数法,已经丢失了数字" in said
    assert "不是真实存在的日期" in (here / "rejects.csv").read_text("utf-8-sig")  # the rejects file too
    followups = _workbook(here / "fu.xlsx", {"Sheet": [["跟进日期", "客户名称", "跟进方式", "跟进内容", "跟进人"],
                                                       ["2024-05-10", "不存在公司", "电话", "x", "zhang"]]})
    said = run(repo, "import", str(followups)).output
    assert "第 2 行:拒绝 不存在公司:B 列 `客户名称`:`不存在公司` 不是仓库中的客户:请先导入客户表\n" in said, said


def test_an_english_team_reads_why_a_rows_cells_are_rejected_as_before(repo, run, here: Path) -> None:
    path = _workbook(here / "cells.xlsx", {"Sheet": BAD_CELLS})
    repo.settings(EN)
    said = run(repo, "import", str(path), "--rejects", str(here / "rejects.csv")).output
    assert ("row 2: rejected 甲公司: column D `建档日期`: `2024-13-45` is not a real calendar date; "
            "column F `预计金额`: `lots` is not an amount; write 500000, 50万 or ¥500,000; "
            "column E `联系方式`: the phone number 75512345678 is stored as a number, which drops a leading 0 "
            "(was it 075512345678?); format the column as Text in Excel/WPS and type the number again "
            "(e.g. 0755-12345678)\n") in said, said
    assert ("row 3: rejected 乙公司: column D `建档日期`: `notdate` is not a date; write it as 2024-05-10 "
            "(or 2024/5/10); column C `负责人`: 负责人 (owner) `nobody` is not on the team: add them to "
            "records/team.yaml first, or use one of: ") in said, said
    assert "column E `联系方式`: the phone number `1.38E+10` is in scientific notation and has lost digits; format " \
           "the column as Text in Excel/WPS and type the number again" in said
    followups = _workbook(here / "fu.xlsx", {"Sheet": [["跟进日期", "客户名称", "跟进方式", "跟进内容", "跟进人"],
                                                       ["2024-05-10", "不存在公司", "电话", "x", "zhang"]]})
    said = run(repo, "import", str(followups)).output
    assert ("row 2: rejected 不存在公司: column B `客户名称`: `不存在公司` is not a customer in the repo: import the "
            "customer sheet first\n") in said, said


# --- why an id cannot be given or made -------------------------------------------------------------------

NEW = ["new", "customer", "--name", "测试公司", "--industry", "C3970", "--region", "广东深圳", "--owner", "zhang",
       "--channel", "trade_show", "--contact", "王总监,技术总监,decision_maker,0755-88881234", "--dry-run"]
BAD_IDS = {
    ("--id", "bad-id"): ("错误:--id 的值无效:`bad-id` 不符合编号规则:省份简称 + 行业字母 + 年份 + 3 位 ASCII 数字序号,"
                         "例如 粤IT2024001\n",
                         "Error: Invalid value for --id: `bad-id` does not follow the id rule: province character + "
                         "industry letters + year + 3-digit sequence in ASCII digits, e.g. 粤IT2024001\n"),
    ("--province", "深圳"): ("错误:省份 `深圳` 不在 ids.provinces 中(深圳 应写作 粤):京 津",
                            "Error: province `深圳` is not one of ids.provinces (for 深圳 write 粤): 京 津"),
    ("--industry-letters", "I1"): ("错误:行业字母 `I1` 不符合 ids.industry_letters",
                                   "Error: industry letters `I1` do not match ids.industry_letters"),
}


@pytest.mark.parametrize("option", BAD_IDS)
@pytest.mark.parametrize("language", ["zh", "en"])
def test_why_an_id_cannot_be_given_or_made_is_said_in_the_teams_language(run, repo: RecordRepo, option: tuple,
                                                                         language: str) -> None:
    """Before: the id rule's refusals (records.ids) were English for a zh team."""
    repo.customer()
    repo.settings(ZH if language == "zh" else EN)
    result = run(repo, *NEW, *option)
    assert result.exit_code == 2, result.output
    zh, en = BAD_IDS[option]
    assert (zh if language == "zh" else en) in result.output, result.output
