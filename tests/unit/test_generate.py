"""benchmarks/generate.py: deterministic, schema-valid repos, with git history on request."""

from __future__ import annotations

import collections
import hashlib
import json
import subprocess
from pathlib import Path

import pytest
from conftest import benchmark_module
from dealbook.records.load import parse_text

ROOT = Path(__file__).resolve().parent.parent.parent

generate = benchmark_module("generate")
yamltext = generate.yamltext


def digest(folder: Path) -> str:
    sha = hashlib.sha256()
    for path in sorted((folder / "records").rglob("*.yaml")):
        sha.update(str(path.relative_to(folder)).encode() + b"\0" + path.read_bytes())
    return sha.hexdigest()


def test_sizes():
    assert generate.parse_size("S") == 1_000
    assert generate.parse_size("l") == 10_000
    assert generate.parse_size("20") == 20
    with pytest.raises(Exception, match="size"):
        generate.parse_size("huge")


def test_tiny_repo_checks_clean(tmp_path, run):
    counts = generate.generate(str(tmp_path / "g"), 20)
    assert counts == {"customers": 20, "followups": 200, "files": 222, "commits": 0}
    assert len(list((tmp_path / "g" / "records" / "customers").glob("*.yaml"))) == 20
    result = run(tmp_path / "g", "check", "--format", "json", "--strict")
    assert result.exit_code == 0, result.output
    assert json.loads(result.output)["diagnostics"] == []


def test_no_customer_is_contacted_more_than_twice_a_day(tmp_path):
    """At 10,000 customers the generated records drew 301 too-many-contacts warnings (three follow-ups
    on one day), though the benchmarks take them for clean records."""
    generate.generate(str(tmp_path / "g"), 1_000)
    days = collections.Counter((p.parent.name, p.name[:10])
                               for p in (tmp_path / "g" / "records" / "followups").glob("*/*.yaml"))
    assert len(days) > 5_000 and max(days.values()) == 2


def test_same_seed_same_repo_other_seed_other_repo(tmp_path):
    generate.generate(str(tmp_path / "a"), 15, seed=3)
    generate.generate(str(tmp_path / "b"), 15, seed=3)
    generate.generate(str(tmp_path / "c"), 15, seed=4)
    assert digest(tmp_path / "a") == digest(tmp_path / "b")
    assert digest(tmp_path / "a") != digest(tmp_path / "c")


def test_generated_customers_cover_the_process(tmp_path):
    from dealbook.checks.reading import open_book

    generate.generate(str(tmp_path / "g"), 300)
    book = open_book(str(tmp_path / "g"), use_cache=False)
    stages = {c.stage for c in book.customers.values()}
    assert {"lead", "discovery", "proposal", "negotiation", "won", "after_sales", "lost"} <= stages
    assert {c.channel for c in book.customers.values()} == set(generate.CHANNELS)
    assert all(len(book.followups_of(cid)) == 10 for cid in book.customers)


def test_history_has_the_asked_commits_and_ends_at_the_working_tree(tmp_path, run):
    out = tmp_path / "h"
    counts = generate.generate(str(out), 30, commits=12)
    assert counts["commits"] == 12

    def git(*args: str) -> str:
        return subprocess.run(["git", *args], cwd=out, check=True, capture_output=True, text=True).stdout

    assert git("rev-list", "--count", "HEAD").strip() == "12"
    assert git("status", "--porcelain") == ""
    assert digest(out) == digest_of_fresh(tmp_path, 30)  # history ends at the same records as a plain run
    first = git("log", "--reverse", "--format=%ad", "--date=short").split()[0]
    assert first >= "2022-06-01"
    # a customer file changes over time: some file has more than one version
    counts_per_file = git("log", "--format=", "--name-only", "--", "records/customers").split()
    assert len(counts_per_file) > len(set(counts_per_file))
    result = run(out, "check", "--format", "json")
    assert json.loads(result.output)["diagnostics"] == []


def digest_of_fresh(tmp_path: Path, size: int) -> str:
    generate.generate(str(tmp_path / "fresh"), size)
    return digest(tmp_path / "fresh")


@pytest.mark.parametrize("text", ["no", "yes", "on", "14:00", "1:30", "2024-05-20", "0755-8888-1234", "a: b",
                                  "- x", "#tag", "it's", " lead", "null", "~", "3.5", "1e3", "0x1F",
                                  "预算待定,约 50-80 万",
                                  "[x]", "x #y", "x:"])
def test_scalars_read_back_as_the_same_string(text):
    loaded = parse_text(yamltext.dump({"k": text}), "x.yaml")
    assert loaded.error is None and loaded.data == {"k": text}


def test_dump_layout_and_comments():
    text = yamltext.dump({"id": "粤IT2024001", "stage": yamltext.Commented("proposal", "方案呈现"),
                          "tags": ["a", "b"], "contacts": [{"name": "王总监", "role": "decision_maker"}]},
                         ["yaml-language-server: $schema=../../schemas/customer.schema.json"])
    assert text == (
        "# yaml-language-server: $schema=../../schemas/customer.schema.json\n\n"
        "id: 粤IT2024001\nstage: proposal  # 方案呈现\ntags: [a, b]\n"
        "contacts:\n  - name: 王总监\n    role: decision_maker\n"
    )
