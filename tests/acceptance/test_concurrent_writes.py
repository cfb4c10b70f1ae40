"""Two or more `dealbook` processes at once never lose a write (real processes, started together)."""

from __future__ import annotations

import json
import os
import signal
import subprocess
import sys
from pathlib import Path

import yaml
from conftest import ROOT

CID = "粤IT2024001"
PATH = f"records/customers/{CID}.yaml"
PARALLEL = 8


def environment() -> dict[str, str]:
    env = dict(os.environ)
    env["PYTHONPATH"] = str(ROOT / "tools") + os.pathsep + env.get("PYTHONPATH", "")
    env["DEALBOOK_TODAY"] = "2024-05-20"
    return env


def start(repo, *args: str) -> subprocess.Popen:
    return subprocess.Popen([sys.executable, "-m", "dealbook", "--repo", str(repo.root), *args],
                            stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True, env=environment())


def all_at_once(repo, commands: list[list[str]]) -> list[tuple[int, str, str]]:
    """Start every command before waiting for any; (exit code, stdout, stderr) for each."""
    processes = [start(repo, *command) for command in commands]
    done = []
    for process in processes:
        out, err = process.communicate(timeout=120)
        done.append((process.returncode, out, err))
    return done


def check_errors(repo) -> list[dict]:
    result = subprocess.run([sys.executable, "-m", "dealbook", "--repo", str(repo.root), "check", "--format", "json"],
                            capture_output=True, text=True, env=environment())
    return [d for d in json.loads(result.stdout)["diagnostics"] if d["severity"] == "error"]


def test_parallel_logs_for_the_same_minute_each_get_their_own_file(repo):
    repo.customer(CID)
    runs = all_at_once(repo, [["log", CID, "--summary", f"第{n}次电话", "--at", "2024-05-20 14:00", "--by", "zhang",
                               "--no-interactive"] for n in range(PARALLEL)])
    assert all(code == 0 for code, _, _ in runs), runs
    printed = [out.strip() for _, out, _ in runs]
    assert len(set(printed)) == PARALLEL, printed
    folder = repo.root / "records/followups" / CID
    names = sorted(p.name for p in folder.iterdir())
    assert names == sorted(Path(p).name for p in printed)
    assert "2024-05-20-1400.yaml" in names and "2024-05-20-1400-8.yaml" in names
    summaries = sorted(yaml.safe_load((folder / name).read_text(encoding="utf-8"))["summary"] for name in names)
    assert summaries == sorted(f"第{n}次电话" for n in range(PARALLEL))
    assert check_errors(repo) == []


NEW = ["new", "customer", "--name", "{name}", "--industry", "C3970", "--region", "广东 深圳", "--owner", "zhang",
       "--channel", "trade_show", "--contact", "王总监,技术总监,decision_maker,0755-88881234", "--no-interactive"]


def test_parallel_new_customers_get_distinct_ids(repo):
    repo.customer(CID)
    runs = all_at_once(repo, [[a.format(name=f"公司{n}有限公司") for a in NEW] for n in range(PARALLEL)])
    assert all(code == 0 for code, _, _ in runs), runs
    printed = sorted(out.strip() for _, out, _ in runs)
    assert printed == [f"records/customers/粤IT2024{n:03d}.yaml" for n in range(2, PARALLEL + 2)]
    names = {yaml.safe_load((repo.root / p).read_text(encoding="utf-8"))["name"] for p in printed}
    assert names == {f"公司{n}有限公司" for n in range(PARALLEL)}
    assert check_errors(repo) == []


def test_parallel_sets_on_one_file_all_land(repo):
    repo.customer(CID)
    runs = all_at_once(repo, [["set", CID, f"custom.field{n}=value{n}"] for n in range(PARALLEL)])
    assert all(code == 0 for code, _, _ in runs), runs
    data = yaml.safe_load((repo.root / PATH).read_text(encoding="utf-8"))
    assert data["custom"] == {f"field{n}": f"value{n}" for n in range(PARALLEL)}
    assert check_errors(repo) == []


def test_parallel_moves_and_logs_on_one_customer(repo):
    repo.customer(CID)
    commands = [["set", CID, f"custom.k{n}=v{n}"] for n in range(4)]
    commands += [["log", CID, "--summary", f"s{n}", "--at", "2024-05-20 09:00", "--by", "zhang", "--no-interactive"]
                 for n in range(3)]
    commands.append(["move", CID, "discovery", "--set", "need.summary=质检", "--no-interactive"])
    runs = all_at_once(repo, commands)
    assert all(code == 0 for code, _, _ in runs), runs
    data = yaml.safe_load((repo.root / PATH).read_text(encoding="utf-8"))
    assert data["stage"] == "discovery"
    assert data["custom"] == {f"k{n}": f"v{n}" for n in range(4)}
    assert len(list((repo.root / "records/followups" / CID).iterdir())) == 3
    assert check_errors(repo) == []


# A process killed while it writes: the next write's stale-file sweep and a clean `git status`.
CRASH = """
import os, signal, sys
calls = [0]
def dying(real):
    def call(source, target, *args, **kwargs):
        if "/records/" in str(target):
            calls[0] += 1
            if calls[0] == 3:  # the third record: killed while its temporary file exists
                os.kill(os.getpid(), signal.SIGKILL)
        return real(source, target, *args, **kwargs)
    return call
os.link, os.replace = dying(os.link), dying(os.replace)
from dealbook.cli import main
sys.argv = ["dealbook", *sys.argv[1:]]
main()
"""


def test_a_kill_during_import_leaves_no_temporary_file_in_records(repo, tmp_path: Path) -> None:
    repo.customer(CID)
    repo.git_init()
    repo.commit("start")
    sheet = tmp_path / "sheet.csv"
    rows = ["客户名称,所属行业,地区,负责人,来源渠道,联系人姓名及职务,联系方式"]
    rows += [f"公司{n}有限公司,C3970,广东 深圳,张伟,展会,王总(经理),0755-8888123{n % 10}" for n in range(6)]
    sheet.write_text("\n".join(rows) + "\n", encoding="utf-8")
    killed = subprocess.run([sys.executable, "-c", CRASH, "--repo", str(repo.root), "import", str(sheet), "--apply"],
                            capture_output=True, text=True, env=environment(), cwd=tmp_path)
    assert killed.returncode == -signal.SIGKILL, killed.stderr
    written = sorted(p.name for p in (repo.root / "records/customers").iterdir())
    assert written == ["粤IT2024001.yaml", "粤IT2024002.yaml", "粤IT2024003.yaml"]  # two new, whole
    leftovers = [p for p in repo.root.rglob(".dealbook-*") if p.is_file()]
    assert all(".dealbook-cache" in p.parts for p in leftovers), leftovers
    status = repo.git("-c", "core.quotePath=false", "status", "--porcelain", "--untracked-files=all").splitlines()
    assert sorted(status) == ["?? records/customers/粤IT2024002.yaml", "?? records/customers/粤IT2024003.yaml"]
    assert check_errors(repo) == []
    again = subprocess.run([sys.executable, "-m", "dealbook", "--repo", str(repo.root), "import", str(sheet),
                            "--apply"], capture_output=True, text=True, env=environment(), cwd=tmp_path)
    assert again.returncode == 0, again.stderr
    assert [p for p in repo.root.rglob(".dealbook-*.tmp")] == []  # the next write swept the leftover away
    assert len(list((repo.root / "records/customers").iterdir())) == 7


# Someone else's edit lands between our read and our write (an editor, a pull, another command).


def _tag_set_meanwhile(path: Path, monkeypatch) -> list[int]:
    """Make another process's edit (a tag added to `path`) land after the command's first read and
    before its write; the returned list gets one item per check the command makes."""
    from dealbook.cli.commands import edit_flow

    real = edit_flow.check_changes
    calls: list[int] = []

    def meanwhile(*args, **kwargs):
        calls.append(1)
        if len(calls) == 1:
            path.write_text(path.read_text(encoding="utf-8") + "tags:\n  - 重点\n", encoding="utf-8")
        return real(*args, **kwargs)

    monkeypatch.setattr(edit_flow, "check_changes", meanwhile)
    return calls


def test_set_reapplies_its_edit_on_top_of_a_change_made_meanwhile(repo, run, monkeypatch) -> None:
    path = repo.customer(CID)
    calls = _tag_set_meanwhile(path, monkeypatch)
    result = run(repo, "set", CID, "owner=li")
    assert result.exit_code == 0, result.output
    data = yaml.safe_load(path.read_text(encoding="utf-8"))
    assert data["owner"] == "li" and data["tags"] == ["重点"]  # both changes are there
    assert len(calls) == 2


def test_approve_reapplies_its_approval_on_top_of_a_change_made_meanwhile(repo, run, monkeypatch) -> None:
    """`approve` was the one edit without the retry: a `set` landing between its read and its write
    ended it with `internal error: StaleFile` (exit 3), the approval lost."""
    quote = {"no": "BJ-1", "date": "2024-05-06", "status": "draft", "valid_until": "2024-06-05", "total": 100000,
             "margin": 0.2, "lines": [{"item": "工位", "quantity": 1, "unit_price": 100000, "amount": 100000}]}
    path = repo.customer(CID, quotes=[quote])
    calls = _tag_set_meanwhile(path, monkeypatch)
    result = run(repo, "approve", CID, "BJ-1", "--as", "chen", "--on", "2024-05-07")
    assert result.exit_code == 0, result.output
    data = yaml.safe_load(path.read_text(encoding="utf-8"))
    assert [(a["step"], a["by"]) for a in data["quotes"][0]["approvals"]] == [("margin", "chen")]
    assert data["tags"] == ["重点"] and len(calls) == 2


def test_an_edit_that_keeps_colliding_gives_up_and_writes_nothing(repo, run, monkeypatch) -> None:
    from dealbook.cli.commands import edit_flow

    path = repo.customer(CID)
    real = edit_flow.check_changes
    count = [0]

    def always(*args, **kwargs):
        count[0] += 1
        path.write_text(path.read_text(encoding="utf-8") + f"# edit {count[0]}\n", encoding="utf-8")
        return real(*args, **kwargs)

    monkeypatch.setattr(edit_flow, "check_changes", always)
    monkeypatch.setattr(edit_flow, "ATTEMPTS", 3)
    result = run(repo, "set", CID, "owner=li")
    assert result.exit_code == 1
    assert "别的修改一再抢先写入,因此没有写入任何内容" in result.output  # the team's language (zh)
    assert yaml.safe_load(path.read_text(encoding="utf-8"))["owner"] == "zhang"


def test_import_refuses_when_a_record_changed_after_the_sheet_was_checked(repo, run, monkeypatch,
                                                                          tmp_path: Path) -> None:
    from dealbook.cli.commands import import_sheet

    path = repo.customer(CID)
    sheet = tmp_path / "sheet.csv"
    sheet.write_text("客户编号,客户名称,需求描述\n" f"{CID},A科技有限公司,新的需求\n"
                     "新,B有限公司,x\n".replace("新,", ","), encoding="utf-8")
    real = import_sheet.apply_plan

    def meanwhile(*args, **kwargs):
        path.write_text(path.read_text(encoding="utf-8") + "# someone's note\n", encoding="utf-8")
        return real(*args, **kwargs)

    monkeypatch.setattr(import_sheet, "apply_plan", meanwhile)
    monkeypatch.chdir(tmp_path)
    result = run(repo, "import", str(sheet), "--apply")
    assert result.exit_code == 1
    assert "之后,它在磁盘上被改动了" in result.output and "请重新导入" in result.output  # the team's language (zh)
    assert path.read_text(encoding="utf-8").endswith("# someone's note\n")
    assert "新的需求" not in path.read_text(encoding="utf-8")
    assert sorted(p.name for p in (repo.root / "records/customers").iterdir()) == [f"{CID}.yaml"]


def _fresh_output(repo, tmp_path: Path, command: list[str]) -> str:
    """`command` on a copy of the records with no cache at all: the answer from scratch."""
    import shutil

    fresh = tmp_path / f"fresh-{len(list(tmp_path.iterdir()))}"
    shutil.copytree(repo.root, fresh, ignore=shutil.ignore_patterns(".dealbook-cache"))
    result = subprocess.run([sys.executable, "-m", "dealbook", "--repo", str(fresh), *command],
                            capture_output=True, text=True, env=environment())
    assert result.returncode == 0, result.stderr
    return result.stdout


def test_reads_at_once_store_views_that_answer_as_from_scratch(repo, tmp_path):
    """`customers` and `agenda` started together after each logged call write their stored views
    (head and shards) at the same time: every one of them prints what a run from scratch prints,
    and so does the next run, which reads what they left."""
    ids = [f"粤IT20240{n:02d}" for n in range(1, 7)]
    for n, cid in enumerate(ids):
        repo.customer(cid, name=f"{n}号科技有限公司", owner=["zhang", "li", "chen"][n % 3])
    reads = [["customers", "--format", "json"], ["agenda", "--all", "--format", "json"]]
    for day, cid in enumerate(ids[:3], start=10):
        logged = subprocess.run([sys.executable, "-m", "dealbook", "--repo", str(repo.root), "log", cid,
                                 "--summary", "电话沟通", "--at", f"2024-05-{day} 10:00", "--by", "zhang",
                                 "--no-interactive"], capture_output=True, text=True, env=environment())
        assert logged.returncode == 0, logged.stderr
        expected = [_fresh_output(repo, tmp_path, command) for command in reads]
        runs = all_at_once(repo, [command for command in reads for _ in range(4)])
        assert all(code == 0 for code, _, _ in runs), runs
        assert [out for _, out, _ in runs] == [expected[0]] * 4 + [expected[1]] * 4
        again = all_at_once(repo, reads)
        assert [out for _, out, _ in again] == expected
    assert json.loads(expected[0])["customers"][2]["last_contact"] == "2024-05-12"
