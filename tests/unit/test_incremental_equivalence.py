"""Incremental equals from scratch: after 1, 10 or 100 random edits, the patched Book and the
per-customer views give the same JSON for `customers`, `agenda`, `funnel` and every report as a
Book built afresh from the files, with hypothesis choosing the edits."""

from __future__ import annotations

import datetime as dt
import random
import shutil
import subprocess
import tempfile
from pathlib import Path

import pytest
import yaml
from conftest import benchmark_module
from dealbook.checks import filecache
from dealbook.checks.customer_views import compute_view, per_customer_view, view_at
from dealbook.checks.reading import open_book
from dealbook.cli.commands.agenda import agenda_spec
from dealbook.cli.commands.customers import customers_spec
from dealbook.git.store import Store, book_at, revision
from dealbook.records.settings import load_settings
from dealbook.reports import REPORTS, render, run_report
from dealbook.reports.periods import parse_period
from dealbook.reports.shared import shared_report
from dealbook.text.output import to_json
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

ROOT = Path(__file__).resolve().parent.parent.parent
TODAY = dt.date(2024, 5, 20)
STAGES = ["lead", "discovery", "proposal", "negotiation", "won", "after_sales", "lost"]


@pytest.fixture(scope="module")
def base_repo(tmp_path_factory) -> Path:
    """A generated repo of 30 customers × 10 follow-ups (the benchmarks' generator), made once."""
    target = tmp_path_factory.mktemp("equivalence") / "base"
    benchmark_module("generate").generate(str(target), 30, seed=3)
    return target


def _load(path: Path):
    try:
        return yaml.load(path.read_text(encoding="utf-8"), Loader=yaml.CSafeLoader)
    except yaml.YAMLError:
        return None  # a file an earlier edit broke


def _save(path: Path, data) -> None:
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(yaml.dump(data, Dumper=yaml.CSafeDumper, allow_unicode=True, sort_keys=False), encoding="utf-8")


def _edit(root: Path, rng: random.Random, patchable: bool = False) -> None:
    """One random change a user (or a bad merge) could make; `patchable`: none that makes every view
    recompute whole (a team change, a follow-up filed under another customer)."""
    customers = sorted((root / "records/customers").glob("*.yaml"))
    followups = sorted((root / "records/followups").glob("*/*.yaml"))
    handles = [m["handle"] for m in _load(root / "records/team.yaml")["members"]]
    day = dt.date(2024, 3, 1) + dt.timedelta(days=rng.randrange(100))
    kind = rng.choice(["summary", "due", "outcome", "stage", "owner", "add", "add", "delete", "delete_customer",
                       "new_customer", *([] if patchable else ["misfile", "team"]), "broken"])
    if kind in ("summary", "due", "outcome", "misfile", "delete", "broken") and not followups:
        kind = "add"
    if kind in ("stage", "owner", "add", "delete_customer", "new_customer") and not customers:
        return
    if kind in ("summary", "due", "outcome", "misfile"):
        path = rng.choice(followups)
        data = _load(path)
        if not isinstance(data, dict):
            return
        if kind == "summary":
            data["summary"] = f"改 {rng.randrange(1000)}"
        elif kind == "due":
            data["next"] = [{"action": "回访", "due": day.isoformat()}]
        elif kind == "outcome":
            data.update(method="phone", outcome=rng.choice(["no_answer", "held"]))
        else:
            data["customer"] = rng.choice(customers).stem
        _save(path, data)
    elif kind in ("stage", "owner"):
        path = rng.choice(customers)
        data = _load(path)
        if not isinstance(data, dict):
            return
        if kind == "stage":
            stage = rng.choice(STAGES)
            data["stage"] = stage
            data.setdefault("stage_history", []).append({"stage": stage, "on": day})
        else:
            data["owner"] = rng.choice(handles)
        _save(path, data)
    elif kind == "add":
        cid = rng.choice(customers).stem
        at = f"{day.isoformat()} {rng.randrange(8, 18):02d}:{rng.randrange(60):02d}"
        _save(root / f"records/followups/{cid}/{at.replace(' ', '-').replace(':', '')}.yaml",
              {"customer": cid, "at": at, "method": rng.choice(["phone", "visit", "wechat"]),
               "by": rng.choice(handles), "summary": "跟进", "outcome": rng.choice(["held", "no_answer"]),
               "next": [{"action": "回访", "due": (day + dt.timedelta(days=rng.randrange(1, 20))).isoformat()}]})
    elif kind == "delete":
        rng.choice(followups).unlink()
    elif kind == "delete_customer":
        rng.choice(customers).unlink()
    elif kind == "new_customer":
        source = rng.choice(customers)
        data = _load(source)
        if not isinstance(data, dict):
            return
        cid = f"{source.stem}{rng.randrange(10)}"
        data.update(id=cid, name=f"新{rng.randrange(10_000)}科技有限公司")
        _save(root / f"records/customers/{cid}.yaml", data)
    elif kind == "broken":
        rng.choice(followups + customers).write_text("a: [\n", encoding="utf-8")
    else:
        team = _load(root / "records/team.yaml")
        team["members"][rng.randrange(len(team["members"]))]["active"] = rng.choice([True, False])
        _save(root / "records/team.yaml", team)


def _outputs(root: str, book, incremental: bool) -> dict[str, str]:
    settings_ = load_settings(root)
    found = {}
    for name, spec in (("customers", customers_spec(TODAY)), ("agenda", agenda_spec(TODAY))):
        view = per_customer_view(root, settings_, spec, TODAY.isoformat()) if incremental else compute_view(book, spec)
        found[name] = to_json(view)
    period = parse_period("2024", None, None, TODAY)
    for name in REPORTS:
        found[name] = render(run_report(name, book, period, TODAY), "json", settings_.language)
    # the reports kept as per-customer shares: their stored totals are updated by difference
    for name, period_text, by in (("funnel", "2024", None), ("funnel", "2024-Q1", "owner"),
                                  ("funnel", "2024", "source"), ("pipeline", "2024", None)):
        period = parse_period(period_text, None, None, TODAY)
        if incremental:
            report, counted = shared_report(name, lambda spec: per_customer_view(root, settings_, spec,
                                                                                 TODAY.isoformat()),
                                            settings_, period, TODAY, by)
        else:
            report, counted = run_report(name, book, period, TODAY, by=by), sorted(book.customers)
        found[f"{name} {period_text} {by}"] = render(report, "json", settings_.language)
        found[f"{name} {period_text} {by} counted"] = counted  # the customers it names the others left out beside
    return found


def _keep_view_files(root: Path, into: Path) -> None:
    """A copy of the stored views' heads and shards, as this run left them."""
    cache = root / ".dealbook-cache"
    for path in sorted(cache.glob("view-*.marshal")) + sorted(cache.glob("view-*.shards/*.marshal")):
        target = into / path.relative_to(cache)
        target.parent.mkdir(parents=True, exist_ok=True)
        shutil.copyfile(path, target)


def _put_back_some(root: Path, earlier: list[Path], rng: random.Random) -> None:
    """Other runs' writes landing among ours: heads (one time in two) as the first run left them, and
    shards (one in three) as one of the earlier runs left them."""
    cache = root / ".dealbook-cache"
    for path in sorted(cache.glob("view-*.marshal")) + sorted(cache.glob("view-*.shards/*.marshal")):
        head = path.parent == cache
        if rng.random() < (0.5 if head else 0.3):
            old = (earlier[0] if head else rng.choice(earlier)) / path.relative_to(cache)
            if old.exists():
                shutil.copyfile(old, path)


@settings(max_examples=10, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(rounds=st.lists(st.sampled_from([1, 1, 10, 100]), min_size=1, max_size=3), seed=st.integers(0, 2**32),
       mixed=st.booleans(), patchable=st.booleans())
def test_incremental_results_equal_results_from_scratch(base_repo: Path, monkeypatch, rounds: list[int],
                                                        seed: int, mixed: bool, patchable: bool) -> None:
    """`mixed`: before each incremental run after the first, some stored heads and shards are put
    back as an earlier run left them (as when two runs write at once): a shard must be trusted
    only with the head it was written with. `patchable`: no edit that makes the views recompute
    whole, so every round patches them."""
    rng = random.Random(seed)
    if mixed:
        # Files count as settled once written: a file edited in one round and settled by the next
        # would change its stamp (racy stamps carry a digest) and be recomputed, hiding a shard
        # trusted with the wrong head. Rounds are far more than a timestamp tick apart.
        monkeypatch.setattr(filecache, "RACY_NS", 0)
    with tempfile.TemporaryDirectory() as folder:
        root = Path(folder) / "repo"
        shutil.copytree(base_repo, root)
        monkeypatch.setenv("XDG_CACHE_HOME", str(Path(folder) / "user-cache"))
        # the warm state: a Book snapshot and both views stored
        _outputs(str(root), open_book(str(root), snapshot=True), incremental=True)
        earlier: list[Path] = []
        for number, edits in enumerate(rounds):
            earlier.append(Path(folder) / f"run-{number}")
            _keep_view_files(root, earlier[-1])
            for _ in range(edits):
                _edit(root, rng, patchable)
            if mixed:
                _put_back_some(root, earlier, rng)
            patched = open_book(str(root), snapshot=True)
            fresh = open_book(str(root), use_cache=False)
            assert patched.paths == fresh.paths
            assert list(patched.customers_by_path) == list(fresh.customers_by_path)
            assert [f.path for f in patched.all_followups()] == [f.path for f in fresh.all_followups()]  # in order
            assert sorted(patched.diagnostics) == sorted(fresh.diagnostics)
            incremental = _outputs(str(root), patched, incremental=True)
            assert incremental == _outputs(str(root), fresh, incremental=False)


def _git(root: Path, *args: str) -> None:
    subprocess.run(["git", "-c", "user.name=t", "-c", "user.email=t@example.com", "-c", "commit.gpgsign=false",
                    *args], cwd=root, check=True, capture_output=True)


def _at_outputs(root: str, rev: str, kept: bool) -> dict[str, str]:
    """`--at REV` outputs: from what is kept for the revision's tree (`kept`), or replayed afresh."""
    at = revision(root, rev)
    if kept:
        book = book_at(root, at)

        def view_of(spec):
            return view_at(root, at.settings, spec, f"{at.tree}|{TODAY}", lambda: book_at(root, at))
    else:
        with Store(root) as store:
            book = store.book(at.commit)

        def view_of(spec):
            return compute_view(book, spec)
    found = {"diagnostics": repr(sorted(book.diagnostics)), "paths": repr(book.paths)}
    for name, spec in (("customers", customers_spec(TODAY)), ("agenda", agenda_spec(TODAY))):
        found[name] = to_json(view_of(spec))
    period = parse_period("2024", None, None, TODAY)
    for name in REPORTS:
        found[name] = render(run_report(name, book, period, TODAY), "json", at.settings.language)
    for name, by in (("funnel", "owner"), ("pipeline", None)):
        found[f"{name} shared"] = render(shared_report(name, view_of, at.settings, period, TODAY, by)[0], "json",
                                         at.settings.language)
    return found


@settings(max_examples=4, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(rounds=st.lists(st.sampled_from([1, 10, 100]), min_size=2, max_size=3), seed=st.integers(0, 2**32))
def test_kept_revisions_equal_replays_from_scratch(base_repo: Path, monkeypatch, rounds: list[int],
                                                   seed: int) -> None:
    """`--at`: the Book and views kept by a revision's tree id give what a replay from scratch gives,
    for the revision just committed and the one before (kept from the round before)."""
    rng = random.Random(seed)
    with tempfile.TemporaryDirectory() as folder:
        root = Path(folder) / "repo"
        shutil.copytree(base_repo, root)
        monkeypatch.setenv("XDG_CACHE_HOME", str(Path(folder) / "user-cache"))
        _git(root, "init", "-q")
        _git(root, "add", "-A")
        _git(root, "commit", "-q", "-m", "start")
        _at_outputs(str(root), "HEAD", kept=True)
        for edits in rounds:
            for _ in range(edits):
                _edit(root, rng)
            _git(root, "add", "-A")
            _git(root, "commit", "-q", "--allow-empty", "-m", f"{edits} edits")
            for rev in ("HEAD", "HEAD~1"):
                assert _at_outputs(str(root), rev, kept=True) == _at_outputs(str(root), rev, kept=False)
