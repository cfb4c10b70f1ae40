"""A record file that cannot be read (a YAML syntax error, a duplicate key, a tab, another encoding)
is reported in the team's language: with `language: zh` (the default) the sentence is Chinese, with
`language: en` exactly the English it always was; the code, the file, line and column never change.
Also after a team switches language on a warm parse cache, and for a broken dealbook.yaml."""

from __future__ import annotations

import json

from conftest import RecordRepo, customer_data, dump

INDENT = "records/customers/粤IT2024001.yaml"
DUPLICATE = "records/customers/粤IT2024002.yaml"
TAB = "records/customers/粤IT2024003.yaml"
GBK = "records/customers/粤IT2024004.yaml"
GOOD = dump(customer_data("粤IT2024002")).splitlines()
OWNER = next(n for n, line in enumerate(GOOD, 1) if line.startswith("owner:"))  # the earlier `owner`
LAST = len(GOOD) + 1  # the line added to a good record

# (path, code, line, column) -> (zh message, en message), as `dealbook check` words them
EXPECTED = {
    (INDENT, "yaml-syntax", 3, 8): (
        "YAML 语法错误:这里不能出现 `键: 值`(多半是缩进不对,或值中有未加引号的冒号)",
        "YAML syntax error: mapping values are not allowed in this context"),
    (DUPLICATE, "duplicate-key", LAST, 1): (
        f"重复的键 `owner`:只保留其中一个(前一个在第 {OWNER} 行)",
        f"duplicate key `owner`: keep one of them (the earlier one is on line {OWNER})"),
    (TAB, "yaml-syntax", LAST, 1): (
        "YAML 语法错误:查找下一个记号时,发现一个不能出现在开头的字符(例如 Tab、@ 或 `):请用空格缩进,或给值加上引号",
        "YAML syntax error: found character that cannot start any token (while scanning for the next token)"),
    (GBK, "encoding", 1, 5): (
        "文件不是 UTF-8 编码(看起来是 GBK/GB18030,中文 Windows 上的 Excel 会这样保存):无法读取字节 0xd4;"
        "请重新保存为 UTF-8",
        "the file is not UTF-8 (it looks like GBK/GB18030, as Excel on Chinese Windows saves it): byte 0xd4 "
        "cannot be read; save it again as UTF-8"),
}


def _book(repo: RecordRepo, language: str | None) -> None:
    repo.settings("as_of: 2024-05-20\n" + (f"language: {language}\n" if language else ""))
    repo.write(INDENT, "id: 粤IT2024001\nname: 深圳市明达科技有限公司\n  stage: lead\n")
    repo.write(DUPLICATE, dump(customer_data("粤IT2024002")) + "owner: li\n")
    repo.write(TAB, dump(customer_data("粤IT2024003")) + "\tbad: 1\n")
    (repo.root / GBK).write_bytes(dump(customer_data("粤IT2024004")).encode("gbk"))
    assert len(dump(customer_data("粤IT2024003")).splitlines()) == len(GOOD)


def _found(run, repo: RecordRepo, *paths: str) -> dict[tuple, str]:
    result = run(repo, "check", "--format", "json", *(str(repo.root / p) for p in paths))
    assert result.exit_code == 1, result.output
    return {(d["path"], d["code"], d["line"], d["column"]): d["message"]
            for d in json.loads(result.stdout)["diagnostics"] if d["severity"] == "error"}


def _assert_language(found: dict[tuple, str], index: int) -> None:
    for where, messages in EXPECTED.items():
        assert found.get(where) == messages[index], (where, found)


def test_a_chinese_team_reads_its_broken_files_in_chinese(run, repo: RecordRepo) -> None:
    _book(repo, None)  # zh is the default
    _assert_language(_found(run, repo), 0)
    text = run(repo, "check").output
    assert f"{INDENT}:3:8: error yaml-syntax: YAML 语法错误:这里不能出现 `键: 值`" in text
    assert f"{DUPLICATE}:{LAST}:1: error duplicate-key: 重复的键 `owner`" in text
    assert "syntax error" not in text and "duplicate key" not in text and "not UTF-8" not in text


def test_an_english_team_reads_the_english_it_always_did(run, repo: RecordRepo) -> None:
    _book(repo, "en")
    _assert_language(_found(run, repo), 1)
    assert f"{INDENT}:3:8: error yaml-syntax: YAML syntax error: mapping values are not allowed in this context" \
        in run(repo, "check").output


def test_the_pre_commit_check_of_a_broken_file_speaks_the_team_language(run, repo: RecordRepo) -> None:
    for language, index in (("zh", 0), ("en", 1)):
        _book(repo, language)
        found = _found(run, repo, INDENT, TAB)
        assert set(found) == {where for where in EXPECTED if where[0] in (INDENT, TAB)}, found
        _assert_language({**found, **{w: m[index] for w, m in EXPECTED.items() if w[0] not in (INDENT, TAB)}},
                         index)


def test_switching_language_on_a_warm_cache_shows_no_read_error_in_the_old_language(run, repo: RecordRepo) -> None:
    """The parse cache stores each file's rendered findings, keyed by the settings (the language with them)."""
    _book(repo, "zh")
    for language, index in (("zh", 0), ("zh", 0), ("en", 1), ("en", 1), ("zh", 0)):
        repo.settings(f"as_of: 2024-05-20\nlanguage: {language}\n")
        _assert_language(_found(run, repo), index)
        named = _found(run, repo, INDENT, DUPLICATE)
        assert named == {w: m[index] for w, m in EXPECTED.items() if w[0] in (INDENT, DUPLICATE)}


def test_show_and_set_on_a_broken_customer_say_why_in_the_team_language(run, repo: RecordRepo) -> None:
    _book(repo, None)
    for command in (["show", "粤IT2024002"], ["set", "粤IT2024002", "tags=a"]):
        result = run(repo, *command)
        assert result.exit_code == 1
        assert f"{DUPLICATE}:{LAST}:1: 重复的键 `owner`:只保留其中一个(前一个在第 {OWNER} 行)" in result.output, \
            result.output
    repo.settings("as_of: 2024-05-20\nlanguage: en\n")
    result = run(repo, "show", "粤IT2024002")
    assert f"{DUPLICATE}:{LAST}:1: duplicate key `owner`: keep one of them (the earlier one is on line {OWNER})" \
        in result.output, result.output


def test_a_broken_settings_file_is_reported_in_the_language_it_still_names(run, repo: RecordRepo) -> None:
    repo.customer("粤IT2024001")
    for language, said in (("", "警告:dealbook.yaml:3:1: YAML 语法错误:解析值时,没有找到应有的内容;"
                                 "在它改好之前,使用默认设置(阶段、跟进节奏、as_of 等)"),
                           ("language: en\n", "warning: dealbook.yaml:4:1: YAML syntax error: did not find expected "
                                              "node content (while parsing a flow node); the default settings "
                                              "(stages, cadence, as_of …) are used until it is fixed")):
        repo.settings("as_of: 2024-05-20\n" + language + "stages: [\n")
        result = run(repo, "customers")
        assert result.exit_code == 0, result.output
        assert said in result.stderr, result.stderr


def test_an_english_teams_broken_settings_leave_the_defaults_as_they_were(run, repo: RecordRepo) -> None:
    """The fallback's language is the broken file's own: the packaged defaults (shared) stay zh."""
    repo.customer("粤IT2024001")
    repo.settings("as_of: 2024-05-20\nlanguage: en\nstages: [\n")
    assert "YAML syntax error" in run(repo, "customers").stderr
    repo.settings("as_of: 2024-05-20\n")
    assert "销售阶段转化分析" in run(repo, "funnel", "--period", "2024-05").output
