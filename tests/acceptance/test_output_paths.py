"""Files the user names for output (`export --out`, `import --rejects`) never take the place of a
record, the settings, the sheet being imported or a device: such a name is refused before anything
is written, and a symbolic link is written through, not replaced."""

from __future__ import annotations

import os
import stat
from pathlib import Path

import pytest

SHEET = "客户名称,所属行业,负责人\n测试公司,C3970,nobody\n"


@pytest.mark.parametrize("target", ["records/customers/粤IT2024001.yaml", "records", "dealbook.yaml"])
def test_export_refuses_to_write_over_the_records_or_the_settings(repo, run, target: str) -> None:
    repo.customer()
    before = {path: path.read_bytes() for path in repo.root.rglob("*") if path.is_file()}
    result = run(repo, "export", "--format", "json", "--out", str(repo.root / target))
    assert result.exit_code == 2, result.output
    assert "--out 的值无效" in result.output and "Traceback" not in result.output  # the repo's team: zh
    assert {path: path.read_bytes() for path in repo.root.rglob("*") if path.is_file()} == before


def test_export_refuses_a_pipe_and_leaves_it_a_pipe(repo, run, tmp_path: Path) -> None:
    """A rename over a device or a pipe replaces the node itself (as root: /dev/null became a file)."""
    repo.customer()
    pipe = tmp_path / "pipe"
    os.mkfifo(pipe)
    result = run(repo, "export", "--format", "json", "--out", str(pipe))
    assert result.exit_code == 2, result.output
    assert "不是普通文件" in result.output
    assert stat.S_ISFIFO(os.lstat(pipe).st_mode)


def test_export_writes_through_a_symbolic_link(repo, run, tmp_path: Path) -> None:
    repo.customer()
    real, link = tmp_path / "real.json", tmp_path / "link.json"
    real.write_text("old", encoding="utf-8")
    link.symlink_to(real)
    result = run(repo, "export", "--format", "json", "--out", str(link))
    assert result.exit_code == 0, result.output
    assert link.is_symlink() and "粤IT2024001" in real.read_text(encoding="utf-8")


def test_import_refuses_rejects_over_the_sheet_it_reads(repo, run, tmp_path: Path) -> None:
    """The rejects file holds row numbers and reasons only: written over the sheet, the rows were gone."""
    sheet = tmp_path / "客户.csv"
    sheet.write_text(SHEET, encoding="utf-8")
    result = run(repo, "import", str(sheet), "--rejects", str(sheet))
    assert result.exit_code == 2, result.output
    assert "--rejects 的值无效" in result.output and "本命令要读取的文件" in result.output
    assert sheet.read_text(encoding="utf-8") == SHEET


def test_import_refuses_rejects_inside_the_records_folder(repo, run, tmp_path: Path) -> None:
    sheet = tmp_path / "客户.csv"
    sheet.write_text(SHEET, encoding="utf-8")
    result = run(repo, "import", str(sheet), "--rejects", str(repo.root / "records" / "rejects.csv"))
    assert result.exit_code == 2, result.output
    assert not (repo.root / "records" / "rejects.csv").exists()
