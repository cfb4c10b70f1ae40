"""Generated sequences of edits (new, log, set, move) through the CLI: after every step `dealbook
check` is clean and every record written so far is still there, with its last value."""

from __future__ import annotations

import csv
import io
import json
import re
import tempfile
from pathlib import Path

import yaml
from conftest import TEAM, RecordRepo, customer_data, dump
from hypothesis import HealthCheck, example, given, settings
from hypothesis import strategies as st

# Values a user types: CJK, ASCII punctuation (quotes, colons, hashes, formula starts), spaces.
TEXT = st.text(alphabet=st.sampled_from(list("质检方案报价王总 abcXYZ:#'\"=+-@,[]{}&*!|>%")), min_size=1,
               max_size=24).filter(lambda s: s.strip() != "")
MINUTES = st.sampled_from(["2024-05-20 09:00", "2024-05-20 09:00", "2024-05-20 14:30"])

new_op = st.tuples(st.just("new"), TEXT)
log_op = st.tuples(st.just("log"), st.integers(0, 3), MINUTES, TEXT)
set_op = st.tuples(st.just("set"), st.integers(0, 3), TEXT)
move_op = st.tuples(st.just("move"), st.integers(0, 3), st.sampled_from(["discovery", "lost"]), TEXT)
# Every sequence starts with a new customer, so the edits after it have one to work on.
OPS = st.builds(lambda first, rest: [first, *rest], new_op,
                st.lists(st.one_of(new_op, log_op, set_op, move_op), min_size=1, max_size=7))


SEED = "粤IT2024001"  # written by hand with CRLF line endings: edits must keep them
NUMBER = re.compile(r"[-+]?(?:[0-9]+(?:\.[0-9]*)?|\.[0-9]+)(?:[eE][-+]?[0-9]+)?")


class Model:
    """What the repo should hold: customers with their summary and stage, follow-up counts."""

    def __init__(self) -> None:
        self.customers: dict[str, dict] = {
            SEED: {"name": "A科技有限公司", "summary": None, "stage": "lead", "followups": 0}}

    def pick(self, index: int) -> str | None:
        ids = sorted(self.customers)
        return ids[index % len(ids)] if ids else None


def _empty(text: str) -> bool:
    """`""` or `''` typed as a value: an empty text (as YAML reads it), which a summary may not be."""
    return text.strip() in ('""', "''")


def apply(run, repo: RecordRepo, model: Model, op: tuple) -> None:
    kind = op[0]
    if kind == "new":
        result = run(repo, "new", "customer", "--name", f"{op[1]}有限公司", "--industry", "C3970",
                     "--region", "广东 深圳", "--owner", "zhang", "--channel", "trade_show",
                     "--contact", "王总监,技术总监,decision_maker,0755-88881234", "--no-interactive")
        assert result.exit_code == 0, result.output
        cid = Path(result.output.strip()).stem
        assert cid not in model.customers
        model.customers[cid] = {"name": f"{op[1]}有限公司", "summary": None, "stage": "lead", "followups": 0}
        return
    cid = model.pick(op[1])
    if cid is None:
        return
    state = model.customers[cid]
    if kind == "log":
        result = run(repo, "log", cid, "--summary", op[3], "--at", op[2], "--by", "zhang", "--no-interactive")
        assert result.exit_code == 0, result.output
        state["followups"] += 1
    elif kind == "set":
        result = run(repo, "set", cid, f"need.summary={op[2]}")
        assert result.exit_code == (1 if _empty(op[2]) else 0), result.output  # `""` is an empty text: refused
        if not _empty(op[2]):
            state["summary"] = op[2]
    else:
        target, note = op[2], op[3]
        args = ["--set", f"need.summary={note}"] if target == "discovery" else ["--reason", "budget"]
        result = run(repo, "move", cid, target, *args, "--no-interactive")
        allowed = target != state["stage"] and not (state["stage"] == "lost" and target == "discovery") \
            and not (target == "discovery" and _empty(note))
        assert (result.exit_code == 0) == allowed, (state, target, result.output)
        if allowed:
            state["stage"] = target
            if target == "discovery":
                state["summary"] = note


def assert_intact(run, repo: RecordRepo, model: Model) -> None:
    result = run(repo, "check", "--format", "json")
    errors = [d for d in json.loads(result.output)["diagnostics"] if d["severity"] == "error"]
    assert errors == [], errors
    on_disk = {p.stem for p in (repo.root / "records/customers").glob("*.yaml")} \
        if (repo.root / "records/customers").exists() else set()
    assert on_disk == set(model.customers)
    for cid, state in model.customers.items():
        data = yaml.safe_load((repo.root / f"records/customers/{cid}.yaml").read_text(encoding="utf-8"))
        assert data["name"] == state["name"]
        assert (data.get("need") or {}).get("summary") == state["summary"]
        assert data["stage"] == state["stage"]
        folder = repo.root / "records/followups" / cid
        assert len(list(folder.glob("*.yaml")) if folder.exists() else []) == state["followups"]
    raw = (repo.root / f"records/customers/{SEED}.yaml").read_bytes()
    assert raw.count(b"\n") == raw.count(b"\r\n"), "the CRLF file keeps its line endings"
    listing = run(repo, "customers", "--format", "csv")
    assert listing.exit_code == 0, listing.output
    for row in csv.reader(io.StringIO(listing.stdout)):
        for cell in row:  # a name typed as `=…` never reaches a spreadsheet as a formula
            assert not cell.startswith(("=", "+", "-", "@", "\t", "\r")) or NUMBER.fullmatch(cell), cell
    leftovers = [p for p in (repo.root / "records").rglob("*") if p.name.startswith(".dealbook-")]
    assert leftovers == []


@settings(max_examples=25, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(ops=OPS)
@example(ops=[("new", "质检"), ("set", 0, '""'), ("move", 1, "discovery", "''"), ("set", 1, "' '")])
def test_edit_sequences_keep_the_repo_clean_and_lose_nothing(run, ops) -> None:
    with tempfile.TemporaryDirectory() as folder:
        repo = RecordRepo(Path(folder) / "book")
        repo.write("records/team.yaml", TEAM)
        repo.settings("as_of: 2024-05-20\n")
        repo.write(f"records/customers/{SEED}.yaml", dump(customer_data(SEED)).replace("\n", "\r\n"))
        model = Model()
        for op in ops:
            apply(run, repo, model, op)
            assert_intact(run, repo, model)
