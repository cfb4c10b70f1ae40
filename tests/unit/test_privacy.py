"""Privacy rules found however the data is written: normalised digits, every field, work phones
holding one number, personal mail and IM ids as settings, and commands that never mark a phone
`work` on their own."""

from __future__ import annotations

import json

import pytest
import yaml
from conftest import RecordRepo, customer_data, dump
from dealbook.checks.filechecks import read_record
from dealbook.records.settings import default_settings, load_settings
from hypothesis import given, settings
from hypothesis import strategies as st

CID = "粤IT2024001"
CPATH = f"records/customers/{CID}.yaml"
FPATH = f"records/followups/{CID}/2024-05-10-1400.yaml"


def codes_of(data: dict, path: str = CPATH, settings=None) -> list[tuple[tuple, str]]:
    from dealbook.records.load import parse_text

    text = dump(data)
    _, found = read_record(path, text.encode("utf-8"), settings or default_settings())
    loaded = parse_text(text)
    return [(d.code, d.line) for d in found if d.code.startswith("privacy")], loaded


def privacy_codes(data: dict, path: str = CPATH, settings=None) -> list[str]:
    return [code for code, _ in codes_of(data, path, settings)[0]]


def with_phone(phone: str, kind: str = "office") -> dict:
    return customer_data(contacts=[{"name": "王总监", "title": "技术总监", "role": "decision_maker",
                                    "phone": phone, "phone_kind": kind}])


def followup(summary: str, **more) -> dict:
    return {"customer": CID, "at": "2024-05-10 14:00", "method": "phone", "by": "zhang", "summary": summary, **more}


DISGUISED_MOBILES = [
    "１３８１２３４５６７８",              # full-width digits
    "138.1234.5678",                    # dots
    "138/1234/5678",                    # slashes
    "138–1234–5678",                    # en dashes
    "138—1234—5678",                    # em dashes
    "1 3 8 1 2 3 4 5 6 7 8",            # a space between every digit
    "138\u200b1234\u200b5678",          # zero-width spaces
    "+86 138 1234 5678",
    "＋８６ １３８－１２３４－５６７８",     # full-width plus, digits and hyphens
    "138 . 1234 . 5678",
]


@pytest.mark.parametrize("phone", DISGUISED_MOBILES)
def test_a_disguised_mobile_in_a_phone_field_is_caught(phone: str) -> None:
    assert privacy_codes(with_phone(phone)) == ["privacy-mobile"]


@pytest.mark.parametrize("phone", DISGUISED_MOBILES)
def test_a_disguised_mobile_in_follow_up_text_is_caught(phone: str) -> None:
    assert privacy_codes(followup(f"客户私人手机 {phone}，下周再联系"), FPATH) == ["privacy-mobile"]


@pytest.mark.parametrize("number", ["440301 19900101 123X", "４４０３０１１９９００１０１１２３Ｘ",
                                    "440301-1990-0101-123x", "4403\u200b0119900101123X"])
def test_a_disguised_resident_id_is_caught(number: str) -> None:
    assert privacy_codes(followup(f"身份证 {number}"), FPATH) == ["privacy-id"]


def test_custom_values_and_keys_are_checked() -> None:
    data = customer_data(custom={"私人电话": "138 1234 5678", "备注": {"身份证": "440301199001011234"}})
    assert sorted(privacy_codes(data)) == ["privacy-id", "privacy-mobile"]
    data = customer_data(custom={"138-1234-5678": "王总私人"})
    assert privacy_codes(data) == ["privacy-mobile"]


@pytest.mark.parametrize("text", ["2024-05-20 14:00 电话沟通", "报价 650000 元，合同 HT-2024-0513-001",
                                  "座机 0755-8888-1234 转 8021", "粤IT2024001 的项目", "订单 2024 05 13",
                                  "预算 50–80 万，工期 2024/06/01–2024/09/30", "企业微信: wangzong88",
                                  "微信沟通了报价", "wang@a-tech.com.cn", "已加钉钉 wang_zong"])
def test_ordinary_text_is_not_flagged(text: str) -> None:
    assert privacy_codes(followup(text), FPATH) == []


def test_a_work_phone_field_holds_one_number() -> None:
    assert privacy_codes(with_phone("13812345678", "work")) == []
    assert privacy_codes(with_phone("+86 138-1234-5678", "work")) == []
    assert privacy_codes(with_phone("13812345678 / 私人 13912345678", "work")) == ["privacy-mobile"]
    assert privacy_codes(with_phone("13812345678；13912345678", "work")) == ["privacy-mobile"]


def test_work_exempts_only_its_own_phone_field() -> None:
    data = with_phone("13812345678", "work")
    data["contacts"][0]["title"] = "总监 13912345678"
    assert privacy_codes(data) == ["privacy-mobile"]


@pytest.mark.parametrize("address", ["li123@qq.com", "wang@163.com", "x@126.com", "y@sina.com", "z@gmail.com",
                                     "w@hotmail.com", "v@vip.qq.com", "li123＠qq.com", "LI@QQ.COM"])
def test_personal_mail_is_caught_in_every_text_field(address: str) -> None:
    data = customer_data(contacts=[{"name": "王总监", "title": "技术总监", "role": "decision_maker",
                                    "email": "wang@a-tech.com.cn"}])
    assert privacy_codes(data) == []
    assert privacy_codes(followup(f"私人邮箱 {address}"), FPATH) == ["privacy-email"]


def test_personal_mail_in_the_email_field_is_caught() -> None:
    data = customer_data(contacts=[{"name": "王总监", "title": "技术总监", "role": "decision_maker",
                                    "email": "li123@qq.com"}])
    assert privacy_codes(data) == ["privacy-email"]


@pytest.mark.parametrize("text", ["微信号 wang_zong88", "微信号：wangzong_1990", "微信: wang-zong88",
                                  "vx: wangzong88", "加了他的 wxid_k2j3h4g5f6", "QQ 12345678", "QQ号：987654321",
                                  "ＱＱ：１２３４５６７８"])
def test_personal_im_ids_are_caught(text: str) -> None:
    assert privacy_codes(followup(text), FPATH) == ["privacy-im"]


def test_mail_domains_and_im_patterns_are_settings(repo: RecordRepo) -> None:
    repo.settings("as_of: 2024-05-20\nprivacy:\n  personal_mail_domains: [example-mail.cn]\n"
                  "  im_ids: ['line-id:\\s*\\w+']\n")
    settings = load_settings(str(repo.root))
    assert privacy_codes(followup("li@qq.com"), FPATH, settings) == []  # the team's list replaces the default
    assert privacy_codes(followup("li@example-mail.cn"), FPATH, settings) == ["privacy-email"]
    assert privacy_codes(followup("line-id: wang"), FPATH, settings) == ["privacy-im"]
    assert privacy_codes(followup("wxid_k2j3h4g5f6"), FPATH, settings) == []


def test_a_broken_privacy_pattern_is_a_settings_error_not_a_crash(run, repo: RecordRepo) -> None:
    repo.settings("as_of: 2024-05-20\nprivacy:\n  im_ids: ['wxid_[']\n  badge: '(unclosed'\n")
    repo.customer()
    result = run(repo, "check", "--format", "json")
    found = json.loads(result.stdout)["diagnostics"]
    assert {d["code"] for d in found} == {"bad-pattern"}
    assert {d["path"] for d in found} == {"dealbook.yaml"}


def test_the_reported_line_is_the_fields_line() -> None:
    data = customer_data(custom={"备注": "身份证 440301 19900101 123X"})
    found, loaded = codes_of(data)
    assert found == [("privacy-id", loaded.mark(("custom", "备注"))[0])]


# --- commands never mark a phone `work` on their own ---------------------------------------------------


def test_new_customer_does_not_mark_a_mobile_as_work(run, repo: RecordRepo) -> None:
    result = run(repo, "new", "customer", "--name", "B科技有限公司", "--industry", "I6510", "--region", "广东 深圳",
                 "--owner", "zhang", "--channel", "trade_show", "--lead-type", "prospect",
                 "--contact", "王,总,decision_maker,13812345678")
    written = list((repo.root / "records" / "customers").glob("*.yaml"))
    for path in written:
        assert "phone_kind: work" not in path.read_text(encoding="utf-8")
    if written:  # written as the user gave it: the check refuses the personal mobile
        checked = run(repo, "check", "--format", "json")
        assert "privacy-mobile" in {d["code"] for d in json.loads(checked.stdout)["diagnostics"]}
    else:
        assert result.exit_code != 0 and "mobile" in result.output


def test_new_customer_marks_work_when_asked_and_office_for_a_landline(run, repo: RecordRepo) -> None:
    for name, contact in (("B科技有限公司", "王,总,decision_maker,13812345678,work"),
                          ("C科技有限公司", "李,经理,user,0755-8888-1234")):
        result = run(repo, "new", "customer", "--name", name, "--industry", "I6510", "--region", "广东 深圳",
                     "--owner", "zhang", "--channel", "trade_show", "--lead-type", "prospect", "--contact", contact)
        assert result.exit_code == 0, result.output
    kinds = sorted(yaml.safe_load(p.read_text(encoding="utf-8"))["contacts"][0]["phone_kind"]
                   for p in (repo.root / "records" / "customers").glob("*.yaml"))
    assert kinds == ["office", "work"]


_KEY = st.one_of(st.sampled_from(["name", "phone", "on", "due", "signed", "客户", "自定义字段", "x-y", "a1", "_k"]),
                 st.integers(-3, 3), st.booleans())
_LEAF = st.one_of(st.sampled_from(["2024-02-30", "2024-02-28", "13812345678", "普通文字", "", "2024-13-01"]),
                  st.integers(-10**12, 10**12), st.booleans(), st.none(), st.text(max_size=12))
_TREE = st.recursive(_LEAF, lambda inner: st.one_of(st.lists(inner, max_size=4),
                                                    st.dictionaries(_KEY, inner, max_size=4)), max_leaves=20)


@settings(max_examples=300, deadline=None)
@given(st.dictionaries(_KEY, _TREE, max_size=5))
def test_the_single_walk_finds_every_text_and_bad_date_the_separate_walks_find(data) -> None:
    """`filechecks._collect` (one pass, plain keys remembered across records) gives the texts
    `privacy.texts` gives and the bad dates `_dates` gives, with the same addresses."""
    from dealbook.checks import filechecks, privacy
    from dealbook.text.catalog import translator

    for language in ("en", "zh"):  # the second time with the keys of the first remembered
        dates, strings = filechecks._collect(data, translator(language))
        assert dates == list(filechecks._dates(data, translator(language)))
        assert sorted(strings, key=repr) == sorted(privacy.texts(data), key=repr)


_PERSONAL = st.sampled_from(["13812345678", "138 1234 5678", "110101199003074518", "wxid_abc123", "QQ 12345678",
                             "a@qq.com", "0755-88881234", "13812345678 / 0755-88881234", "销售部 王总"])
_RECORD_TREE = st.recursive(st.one_of(_LEAF, _PERSONAL), lambda inner: st.one_of(
    st.lists(inner, max_size=4), st.dictionaries(st.one_of(_KEY, _PERSONAL), inner, max_size=4)), max_leaves=20)
_CONTACT = st.fixed_dictionaries({"name": st.sampled_from(["王", "李"]), "phone": st.one_of(_PERSONAL, _LEAF)},
                                 optional={"phone_kind": st.sampled_from(["work", "office", "im"])})


@settings(max_examples=300, deadline=None)
@given(st.dictionaries(st.one_of(_KEY, _PERSONAL), _RECORD_TREE, max_size=5), st.lists(_CONTACT, max_size=3),
       st.booleans())
def test_the_quick_pass_without_addresses_finds_what_the_addressed_walk_finds(data, contacts, fresh) -> None:
    """`filechecks._text_problems` (texts first walked without addresses, the addressed walk only when a
    text or date may be a finding) yields exactly the bad dates and privacy findings of `_collect` and
    `privacy.findings` (and a control-character error for each text holding one), work phones included,
    also with the texts already found clean remembered.
    Fails if the quick pass lets a record through that has a finding, or reports one of its own."""
    from dealbook.checks import filechecks, privacy
    from dealbook.text.catalog import translator
    from dealbook.text.output import TERMINAL_CONTROL

    if contacts:
        data = {**data, "contacts": contacts}
    settings_ = default_settings()
    if fresh:
        privacy.rules(settings_).clean.clear()
    for _ in range(2):  # the second time with the first run's clean texts and plain keys remembered
        dates, strings = filechecks._collect(data, translator(settings_.language))
        control = [(where, "error", "control-character") for where, text in strings if TERMINAL_CONTROL.search(text)]
        expected = dates + list(privacy.findings(data, settings_, strings))
        found = list(filechecks._text_problems(data, settings_))
        assert [f for f in found if f[2] != "control-character"] == expected
        assert [f[:3] for f in found if f[2] == "control-character"] == control
