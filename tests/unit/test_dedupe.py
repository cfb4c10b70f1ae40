"""Likely duplicates: normalised names, fuzzy similarity, shared phones and company mail domains."""

from __future__ import annotations

import json

from dealbook.checks.dedupe import Candidate, email_domain, find_duplicates, normalise_name, score_pair


def candidate(cid: str, name: str, phones: tuple[str, ...] = (), domains: tuple[str, ...] = ()) -> Candidate:
    return Candidate(cid, name, normalise_name(name), frozenset(phones), frozenset(domains))


def test_names_differing_only_in_company_form_spacing_and_width_are_equal() -> None:
    assert normalise_name("A科技有限公司") == "a科技"
    assert normalise_name("Ａ科技股份有限公司") == "a科技"
    assert normalise_name("A 科技（中国）有限责任公司") == "a科技"
    assert normalise_name("A科技(中国)有限公司") == "a科技"
    assert normalise_name("Acme Co., Ltd.") == "acme"
    assert normalise_name("有限公司") == "有限公司"  # a name that is only a form stays as it is


def test_scores_and_reasons() -> None:
    score, reasons = score_pair(candidate("1", "A科技有限公司"), candidate("2", "Ａ科技股份有限公司"))
    assert score == 100 and "company forms" in reasons[0]
    score, _ = score_pair(candidate("1", "深圳华信智能科技有限公司"), candidate("2", "深圳华信智能技术有限公司"))
    # 深圳华信智能科技 / 深圳华信智能技术: 7 of 8 characters in common order → 2·7 / 16 = 87.5
    assert score == 88
    phone = ("075588881234",)
    score, reasons = score_pair(candidate("1", "甲公司", phone), candidate("2", "乙集团", phone))
    assert score == 95 and reasons == ("same phone 075588881234",)
    domain = ("a.com",)
    score, reasons = score_pair(candidate("1", "甲公司", domains=domain), candidate("2", "乙集团", domains=domain))
    assert score == 85 and reasons == ("same email domain a.com",)


def test_public_mail_domains_do_not_count() -> None:
    assert email_domain("li@qq.com") == "" and email_domain("li@163.com") == "" and email_domain("x@gmail.com") == ""
    assert email_domain("li@Acme.cn") == "acme.cn"


def test_find_duplicates_lists_pairs_best_first() -> None:
    items = [candidate("1", "A科技有限公司"), candidate("2", "B电子有限公司", ("0755-1",)),
             candidate("3", "Ａ科技股份有限公司"), candidate("4", "深圳市B电子科技", ("0755-1",)),
             candidate("5", "完全不同的名字")]
    pairs = find_duplicates(items, 85)
    assert [(p.a, p.b, p.score) for p in pairs] == [("1", "3", 100), ("2", "4", 95)]


def test_check_warns_on_a_new_likely_duplicate(repo, run) -> None:
    repo.customer("粤IT2024001", name="A科技有限公司")
    repo.customer("粤IT2024002", name="Ａ科技股份有限公司")
    repo.customer("粤IT2024003", name="完全不同的公司")
    whole = json.loads(run(repo, "check", "--format", "json").output)["diagnostics"]
    assert [(d["path"], d["code"]) for d in whole] == [("records/customers/粤IT2024002.yaml", "likely-duplicate")]
    assert "粤IT2024001" in whole[0]["message"] and whole[0]["severity"] == "warning" and whole[0]["line"] == 2
    one = json.loads(run(repo, "check", "--format", "json",
                         str(repo.root / "records/customers/粤IT2024001.yaml")).output)["diagnostics"]
    assert [d["code"] for d in one] == ["likely-duplicate"] and "粤IT2024002" in one[0]["message"]
    other = json.loads(run(repo, "check", "--format", "json",
                           str(repo.root / "records/customers/粤IT2024003.yaml")).output)["diagnostics"]
    assert other == []


def test_duplicates_command_formats(repo, run) -> None:
    repo.customer("粤IT2024001", name="A科技有限公司")
    repo.customer("粤IT2024002", name="A 科技(中国)有限公司")
    result = run(repo, "duplicates", "--format", "json")
    assert json.loads(result.output)["pairs"][0]["a"] == "粤IT2024001"
    assert json.loads(result.output)["pairs"][0]["score"] == 100
    csv_out = run(repo, "duplicates", "--format", "csv").output.splitlines()
    assert csv_out[0] == "score,a,a_name,b,b_name,reasons" and csv_out[1].startswith("100,粤IT2024001,")
    assert "粤IT2024002" in run(repo, "duplicates").output
