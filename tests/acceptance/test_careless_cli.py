"""What a careless user or a hostile file gives the command line: a message naming the file (and
line), a non-zero exit, no traceback and nothing written (import sheets in odd encodings, …)."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
from conftest import RecordRepo

CID = "粤IT2024001"
HEADER = "客户名称,所属行业,地区,负责人,来源渠道,联系人姓名及职务,联系方式,需求描述\n"
ROW = "甲有限公司,C3970,广东 深圳,zhang,展会,王总(经理),0755-88881234,{need}\n"


# --- import: sheets that are not what they say ------------------------------------------------------


@pytest.mark.parametrize("raw,says", [
    (b"\xff\xfe\x00\x01garbage", "UTF-16 byte order mark but is not UTF-16 from byte 11"),
    (b"\xef\xbb\xbf" + HEADER.encode() + b"\xff\xfe,x\n", "UTF-8 byte order mark but is not UTF-8 from byte"),
])
def test_import_of_a_byte_order_mark_then_other_bytes_names_the_file(repo: RecordRepo, run, here: Path,
                                                                     raw: bytes, says: str) -> None:
    repo.customer(CID)
    (here / "in.csv").write_bytes(raw)
    result = run(repo, "import", "in.csv", "--apply")
    assert result.exit_code == 1, result.output
    assert "in.csv" in result.output and says in result.output
    assert sorted(p.name for p in (repo.root / "records/customers").iterdir()) == [f"{CID}.yaml"]


def test_import_reads_a_cell_longer_than_the_csv_modules_limit(repo: RecordRepo, run, here: Path) -> None:
    (here / "in.csv").write_text(HEADER + ROW.format(need="需" * 140_000), encoding="utf-8")
    result = run(repo, "import", "in.csv", "--format", "json")
    assert result.exit_code == 0, result.output
    assert json.loads(result.output)["counts"]["new"] == 1
