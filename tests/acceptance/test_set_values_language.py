"""`dealbook set` (and `move --set`, `move --amount`) refuse a value they cannot read, or a key path
that leads nowhere, in the team's language: Chinese with `language: zh` (the default), exactly the
English of before with `language: en`. Nothing is written either way."""

from __future__ import annotations

import pytest
from conftest import RecordRepo

CID = "粤IT2024001"

# arguments -> (exit code, zh message, en message)
REFUSED = {
    ("set", CID, "need.budget.min=65万"): (
        2, "need.budget.min: 金额要写成普通整数:请写 650000,而不是 `65万`",
        "need.budget.min: money is a plain integer: write 650000 instead of `65万`"),
    ("set", CID, "need.budget.min=1.5亿"): (
        2, "need.budget.min: 金额要写成普通整数:请写 150000000,而不是 `1.5亿`",
        "need.budget.min: money is a plain integer: write 150000000 instead of `1.5亿`"),
    ("set", CID, "need.budget.min=¥650,000"): (
        2, "need.budget.min: 请写不带分隔符和货币符号的数字:650000",
        "need.budget.min: write the number without separators or currency: 650000"),
    ("set", CID, "need.budget.min=很多"): (
        2, "need.budget.min: `很多` 不是整数", "need.budget.min: `很多` is not a whole number"),
    ("set", CID, "custom.x=*a"): (
        2, "custom.x: `*a` 不是有效的 YAML 值", "custom.x: `*a` is not a valid YAML value"),
    ("set", CID, "a..b=x"): (
        2, "`a..b` 不是键路径:请用点号分隔各级键,例如 need.budget.status",
        "`a..b` is not a key path: write keys separated by dots, e.g. need.budget.status"),
    ("set", CID, "contacts.5.name=x"): (
        1, f"records/customers/{CID}.yaml:contacts.5:没有第 5 项;没有写入任何内容",
        f"records/customers/{CID}.yaml: contacts.5: there is no item 5; nothing was written"),
    ("set", CID, "contacts.3={name: 陈工}"): (
        1, "contacts.3:没有这一项(contacts 共有 1 项;`contacts.1=…` 会添加下一项)",
        "contacts.3: there is no such item (contacts has 1; `contacts.1=…` adds the next one)"),
    ("move", CID, "discovery", "--amount", "65万", "--no-interactive"): (
        2, "金额要写成普通整数:请写 650000,而不是 `65万`",
        "money is a plain integer: write 650000 instead of `65万`"),
    ("move", CID, "discovery", "--set", "a..b=x", "--no-interactive"): (
        2, "`a..b` 不是键路径:请用点号分隔各级键", "`a..b` is not a key path: write keys separated by dots"),
}


def _book(repo: RecordRepo, language: str | None) -> None:
    repo.settings("as_of: 2024-05-20\n" + (f"language: {language}\n" if language else ""))
    repo.customer(CID, contacts=[{"name": "王总监", "role": "decision_maker", "phone": "0755-8888-1234",
                                  "phone_kind": "work"}])


@pytest.mark.parametrize("args", REFUSED)
@pytest.mark.parametrize(("language", "index"), [(None, 1), ("en", 2)])
def test_a_value_or_path_set_cannot_use_is_refused_in_the_team_language(run, repo: RecordRepo, args, language,
                                                                          index) -> None:
    _book(repo, language)
    before = (repo.root / f"records/customers/{CID}.yaml").read_bytes()
    result = run(repo, *args)
    assert result.exit_code == REFUSED[args][0], result.output
    assert REFUSED[args][index] in result.output, result.output
    assert REFUSED[args][2 if index == 1 else 1] not in result.output  # not in the other language
    assert (repo.root / f"records/customers/{CID}.yaml").read_bytes() == before
