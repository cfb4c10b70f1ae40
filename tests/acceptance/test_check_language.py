"""`dealbook check` speaks the team's language: with `language: zh` (the default) every finding's
message is Chinese, with `language: en` exactly the English it always was; the code never changes.
Also through the pre-commit path (`dealbook check FILE`), and after a team switches language on a
warm cache (the parse cache, the stored check, the customer index): no message in the old language."""

from __future__ import annotations

import json

from conftest import RecordRepo, customer_data

CID = "粤IT2024001"
PATH = f"records/customers/{CID}.yaml"
OTHER = "records/customers/粤IT2024002.yaml"
FOLLOWUP = "records/followups/粤IT2024009/2024-05-01-1000.yaml"
STAGES = "lead | discovery | proposal | negotiation | won | after_sales | lost"

# (path, code) -> (zh message, en message), as `dealbook check` words them
EXPECTED = {
    (PATH, "unknown-stage"): (f"未知的阶段 `bogus`;可用的阶段有:{STAGES}",
                              f"unknown stage `bogus`; the stages are: {STAGES}"),
    (PATH, "bad-date"): ("`2024-02-30` 不是真实存在的日期", "`2024-02-30` is not a real calendar date"),
    (PATH, "bad-value"): ("这里不能填 `prospekt`,可选值:prospect | referral | competitor_churn | existing",
                          "`prospekt` is not allowed here; use one of: "
                          "prospect | referral | competitor_churn | existing"),
    (PATH, "unknown-member"): ("负责人 `wang` 不是团队成员:请把此人加入 records/team.yaml,"
                               "或改用以下成员之一:chen、li、zhang",
                               "owner `wang` is not a member of the team; add them to records/team.yaml or use one of: "
                               "chen, li, zhang"),
    (OTHER, "privacy-mobile"): ("这看起来是个人手机号,不得录入;"
                                "请记录工作电话或企业IM,公司配发的手机请标注 `phone_kind: work`",
                                "this looks like a personal mobile number, which must not be recorded; record a work "
                                "phone or company IM, or mark a company-issued mobile `phone_kind: work`"),
    (FOLLOWUP, "unknown-customer"): ("客户 `粤IT2024009` 不存在:没有 records/customers/粤IT2024009.yaml 这个文件",
                                     "customer `粤IT2024009` does not exist: there is no "
                                     "records/customers/粤IT2024009.yaml"),
}


def _book(repo: RecordRepo, language: str | None) -> None:
    repo.settings("as_of: 2024-05-20\n" + (f"language: {language}\n" if language else ""))
    repo.customer(CID, stage="bogus", created="2024-02-30", lead_type="prospekt", owner="wang")
    repo.customer("粤IT2024002", contacts=[{"name": "王总监", "role": "decision_maker", "phone": "13812345678",
                                           "phone_kind": "office"}])
    repo.followup("粤IT2024009", "2024-05-01 10:00")


def _messages(run, repo: RecordRepo, *paths: str) -> dict[tuple[str, str], str]:
    result = run(repo, "check", "--format", "json", *(str(repo.root / p) for p in paths))
    assert result.exit_code == 1, result.output
    return {(d["path"], d["code"]): d["message"] for d in json.loads(result.stdout)["diagnostics"]}


def _assert_language(found: dict[tuple[str, str], str], index: int, only: set[str] | None = None) -> None:
    for (path, code), messages in EXPECTED.items():
        if only is None or path in only:
            assert found.get((path, code)) == messages[index], (path, code, found)


def test_a_chinese_team_reads_every_finding_in_chinese(run, repo: RecordRepo) -> None:
    _book(repo, None)  # zh is the default
    _assert_language(_messages(run, repo), 0)
    text = run(repo, "check").output
    assert f"{PATH}:" in text and "error unknown-stage: 未知的阶段 `bogus`" in text  # the code stays as it is
    assert "检查了" in text


def test_an_english_team_reads_the_english_it_always_did(run, repo: RecordRepo) -> None:
    _book(repo, "en")
    _assert_language(_messages(run, repo), 1)
    assert "error unknown-stage: unknown stage `bogus`; the stages are:" in run(repo, "check").output


def test_the_pre_commit_check_of_named_files_speaks_the_team_language(run, repo: RecordRepo) -> None:
    for language, index in (("zh", 0), ("en", 1)):
        _book(repo, language)
        _assert_language(_messages(run, repo, PATH, OTHER), index, {PATH, OTHER})
        found = _messages(run, repo, FOLLOWUP)
        assert found[(FOLLOWUP, "unknown-customer")] == EXPECTED[(FOLLOWUP, "unknown-customer")][index]


def test_switching_language_on_a_warm_cache_shows_no_message_in_the_old_language(run, repo: RecordRepo) -> None:
    """The parse cache's per-file findings, the stored check and the customer index (a PATH check's
    duplicate ids) are keyed by the settings, the language with them."""
    _book(repo, "zh")
    repo.write("records/customers/粤IT2024003.yaml", customer_data("粤IT2024002"))  # a second file with one id
    for language, index in (("zh", 0), ("zh", 0), ("en", 1), ("en", 1), ("zh", 0)):
        repo.settings(f"as_of: 2024-05-20\nlanguage: {language}\n")
        _assert_language(_messages(run, repo), index)
        named = _messages(run, repo, PATH, "records/customers/粤IT2024003.yaml")
        _assert_language(named, index, {PATH})
        duplicate = named[("records/customers/粤IT2024003.yaml", "duplicate-id")]
        assert duplicate == ("客户编号 `粤IT2024002` 已被 records/customers/粤IT2024002.yaml 使用:"
                             "请给这个客户换一个新编号",
                             "id `粤IT2024002` is already used by records/customers/粤IT2024002.yaml: give this "
                             "customer a new id")[index]

