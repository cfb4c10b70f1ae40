"""The Chinese template's own example rows import as written (customer master table, follow-up table)."""

from __future__ import annotations

import csv
import datetime as dt
from pathlib import Path

import pytest
import yaml
from conftest import RecordRepo

# The example rows of the template's 客户信息总表 and 销售跟进记录表, character for character
# (the template prints the follow-up time as `2024-05-1014:00`, names masked as 李* and 张*).
CUSTOMER_SHEET = [
    ["客户编号", "客户名称", "所属行业", "客户规模", "联系人姓名及职务", "联系方式", "需求描述", "来源渠道", "负责人",
     "建档日期", "最新跟进日期", "客户状态"],
    ["粤IT2024001", "A科技有限公司", "C3970电子器件制造", "500-1000人/5-10亿", "李*,生产部经理",
     "1385678(企业)",
     "现有生产线质检效率低,需引入视觉检测系统,目标提升质检速度30%,预算待定,计划Q3启动", "2024年深圳智能制造展会推荐",
     "张*", "2024-04-15", "2024-05-10", "意向"],
]
FOLLOWUP_SHEET = [
    ["跟进日期", "客户名称", "联系人", "跟进方式", "跟进主题/内容", "客户反馈与需求变化", "下一步计划", "完成时限",
     "跟进人", "是否需协助"],
    ["2024-05-1014:00", "A科技有限公司", "李*(生产部经理)", "电话",
     "反馈视觉检测系统精度测试数据,确认0.1mm缺陷识别率达标",
     "“精度达标,但需增加与现有MES系统的对接接口,下周需与技术王*总监确认”",
     "1.与技术王*总监预约现场对接;2.整理MES系统对接方案", "2024-05-14前", "张*", "否"],
]

# The A科技 example as records.
A_KEJI = {
    "id": "粤IT2024001", "name": "A科技有限公司", "industry": "C3970 电子器件制造",
    "size": {"employees": "500-1000人", "revenue": "5-10亿"},
    "source": {"channel": "trade_show", "detail": "2024年深圳智能制造展会推荐"},
    "owner": "zhang", "created": "2024-04-15",
    "contacts": [{"name": "李*", "title": "生产部经理", "role": "influencer", "phone": "1385678", "phone_kind": "im"}],
    "need": {"summary": "现有生产线质检效率低,需引入视觉检测系统,目标提升质检速度30%,预算待定,计划Q3启动"},
    "stage": "discovery", "stage_history": [{"stage": "discovery", "on": "2024-04-15"}],
}
CALL = {
    "customer": "粤IT2024001", "at": "2024-05-10 14:00", "method": "phone", "by": "zhang", "contact": "李*",
    "summary": "反馈视觉检测系统精度测试数据,确认0.1mm缺陷识别率达标",
    "feedback": "“精度达标,但需增加与现有MES系统的对接接口,下周需与技术王*总监确认”",
    "next": [{"action": "与技术王*总监预约现场对接", "due": "2024-05-14", "owner": "zhang"},
             {"action": "整理MES系统对接方案", "due": "2024-05-14", "owner": "zhang"}],
}


def write_csv(path: Path, rows: list[list[str]]) -> Path:
    with open(path, "w", newline="", encoding="utf-8") as handle:
        csv.writer(handle).writerows(rows)
    return path


def load(path: Path) -> dict:
    return yaml.load(path.read_text(encoding="utf-8"), Loader=yaml.BaseLoader)  # every scalar as written


@pytest.fixture
def seed_team(repo: RecordRepo) -> RecordRepo:
    repo.write("records/team.yaml", {"members": [
        {"handle": "zhang", "name": "张*", "role": "rep", "email": "zhang@example.com"},
        {"handle": "chen", "name": "陈静", "role": "manager", "email": "chen@example.com"}]})
    return repo


def test_the_templates_example_rows_import_as_the_a_keji_records(run, seed_team: RecordRepo, tmp_path: Path) -> None:
    customers = write_csv(tmp_path / "客户信息总表.csv", CUSTOMER_SHEET)
    done = run(seed_team, "import", str(customers), "--apply", "--rejects", str(tmp_path / "r1.csv"))
    assert done.exit_code == 0, done.output
    followups = write_csv(tmp_path / "销售跟进记录表.csv", FOLLOWUP_SHEET)
    done = run(seed_team, "import", str(followups), "--apply", "--rejects", str(tmp_path / "r2.csv"))
    assert done.exit_code == 0, done.output
    assert load(seed_team.root / "records/customers/粤IT2024001.yaml") == A_KEJI
    files = sorted((seed_team.root / "records/followups/粤IT2024001").iterdir())
    assert [f.name for f in files] == ["2024-05-10-1400.yaml"]
    assert load(files[0]) == CALL  # no `help`: 是否需协助 否
    assert run(seed_team, "check", "--strict").exit_code == 0
    # imported again: nothing changes
    again = run(seed_team, "import", str(followups), "--format", "json", "--rejects", str(tmp_path / "r3.csv"))
    assert '"unchanged": 1' in again.output


def test_half_days_help_and_separators(run, seed_team: RecordRepo, tmp_path: Path) -> None:
    seed_team.customer("粤IT2024001", contacts=[{"name": "李*", "title": "生产部经理", "role": "influencer",
                                                 "phone": "0755-8888-1234", "phone_kind": "work"}])
    seed_team.settings("as_of: 2024-05-20\nsheets: {half_days: {上午: '08:30'}}\n")
    rows = [FOLLOWUP_SHEET[0],
            ["2024-05-11 下午", "A科技有限公司", "李*", "拜访", "现场演示", "认可", "整理报价；约定下周沟通",
             "2024年5月17日", "张*", "是,需*工程师协助3日内提供方案"],
            ["2024年5月13日 上午", "A科技有限公司", "李*", "电话", "确认报价", "", "", "", "张*", "否"]]
    sheet = write_csv(tmp_path / "跟进.csv", rows)
    done = run(seed_team, "import", str(sheet), "--apply", "--rejects", str(tmp_path / "r.csv"))
    assert done.exit_code == 0, done.output
    folder = seed_team.root / "records/followups/粤IT2024001"
    visit = load(folder / "2024-05-11-1400.yaml")  # 下午: 14:00 by default
    assert visit["next"] == [{"action": "整理报价", "due": "2024-05-17", "owner": "zhang"},
                             {"action": "约定下周沟通", "due": "2024-05-17", "owner": "zhang"}]
    assert visit["help"] == {"detail": "需*工程师协助3日内提供方案",
                             "due": (dt.date(2024, 5, 11) + dt.timedelta(days=3)).isoformat()}
    call = load(folder / "2024-05-13-0830.yaml")  # 上午 as the settings say
    assert "help" not in call and "next" not in call
