"""The package's rooms import one way, down the flow, and no module imports itself through a cycle.

The contract, bottom to top (a room may import its own modules and any room of a lower rank):

    text → records → checks → rules → reports → editing → git | interchange → site | cli

Rooms of the same rank are siblings and do not import each other. Editing sits below
interchange because an import writes its changes through the round-trip editor. Every import counts: at the
top of a module, inside a function (a lazy import is still a dependency), and a module named in
a string (`importlib.import_module("dealbook.rules.state")`, the CLI's command table).
"""

from __future__ import annotations

import ast
import re
from pathlib import Path

import pytest

PACKAGE = Path(__file__).resolve().parents[2] / "tools" / "dealbook"

RANKS = {
    "text": 0,
    "records": 1,
    "checks": 2,
    "rules": 3,
    "reports": 4,
    "editing": 5,
    "git": 6, "interchange": 6,
    "site": 7, "cli": 7,
    "__main__": 8,
}
MODULE_NAME = re.compile(r"^dealbook(\.[a-z_]+)+$")


def module_name(path: Path) -> str:
    parts = path.relative_to(PACKAGE.parent).with_suffix("").parts
    return ".".join(parts[:-1] if parts[-1] == "__init__" else parts)


def modules() -> dict[str, Path]:
    return {module_name(p): p for p in sorted(PACKAGE.rglob("*.py"))}


def imports_of(name: str, path: Path, known: set[str]) -> set[str]:
    """Every dealbook module `name` imports, wherever the import statement sits."""
    tree = ast.parse(path.read_text("utf-8"))
    package = name if path.name == "__init__.py" else name.rpartition(".")[0]
    found: set[str] = set()
    for node in ast.walk(tree):
        if isinstance(node, ast.ImportFrom):
            if node.level:
                base = package.split(".")
                base = base[: len(base) - (node.level - 1)]
                target = ".".join(base + ([node.module] if node.module else []))
            else:
                target = node.module or ""
            if not target.startswith("dealbook"):
                continue
            for alias in node.names:  # `from . import charts` imports the module dealbook.site.charts
                sub = f"{target}.{alias.name}"
                found.add(sub if sub in known else target)
        elif isinstance(node, ast.Import):
            found.update(a.name for a in node.names if a.name.startswith("dealbook"))
        elif isinstance(node, ast.Constant) and isinstance(node.value, str):
            text = node.value.split(":")[0]
            if MODULE_NAME.match(text) and text in known:
                found.add(text)
    found.discard(name)
    return found


def room_of(name: str) -> str | None:
    parts = name.split(".")
    return parts[1] if len(parts) > 1 else None  # None: the package root (its version)


def violations(graph: dict[str, set[str]]) -> list[str]:
    """Each import that points up the flow or sideways into a sibling room."""
    problems = []
    for importer, targets in sorted(graph.items()):
        mine = room_of(importer)
        for target in sorted(targets):
            theirs = room_of(target)
            if theirs is None or theirs == mine:
                continue
            if mine not in RANKS or theirs not in RANKS:
                problems.append(f"{importer} -> {target}: a room the contract does not name")
            elif RANKS[theirs] > RANKS[mine]:
                problems.append(f"{importer} -> {target}: imports up the flow ({mine} is below {theirs})")
            elif RANKS[theirs] == RANKS[mine]:
                problems.append(f"{importer} -> {target}: {mine} and {theirs} are sibling rooms")
    return problems


def cycles(graph: dict[str, set[str]]) -> list[list[str]]:
    """Import cycles between modules (a package importing its own submodules is not one)."""
    edges = {m: {t for t in ts if t in graph and not m.startswith(t + ".") and not t.startswith(m + ".")}
             for m, ts in graph.items()}
    found: list[list[str]] = []
    state: dict[str, int] = {}
    stack: list[str] = []

    def visit(node: str) -> None:
        state[node] = 1
        stack.append(node)
        for nxt in sorted(edges[node]):
            if state.get(nxt) == 1:
                found.append([*stack[stack.index(nxt):], nxt])
            elif nxt not in state:
                visit(nxt)
        stack.pop()
        state[node] = 2

    for node in sorted(edges):
        if node not in state:
            visit(node)
    return found


def import_graph() -> dict[str, set[str]]:
    found = modules()
    known = set(found)
    return {name: imports_of(name, path, known) for name, path in found.items()}


def test_every_room_is_in_the_contract_and_says_what_it_may_import():
    rooms = {p.name for p in PACKAGE.iterdir() if (p / "__init__.py").is_file()}
    assert rooms <= set(RANKS), rooms - set(RANKS)
    for room in rooms:
        doc = ast.get_docstring(ast.parse((PACKAGE / room / "__init__.py").read_text("utf-8")))
        assert doc and "import" in doc, f"{room}/__init__.py must say what lives there and what it may import"


def test_imports_point_down_the_flow():
    assert violations(import_graph()) == []


def test_no_import_cycles():
    assert cycles(import_graph()) == []


@pytest.mark.parametrize(("graph", "expected"), [
    ({"dealbook.rules.due": {"dealbook.reports.history"}}, "imports up the flow"),
    ({"dealbook.git.store": {"dealbook.interchange.sheets"}}, "sibling rooms"),
    ({"dealbook.editing.edits": {"dealbook.git.store"}}, "imports up the flow"),
    ({"dealbook.site.pages": {"dealbook.cli.context"}}, "sibling rooms"),
    ({"dealbook.records.book": {"dealbook.utils.x"}}, "does not name"),
])
def test_the_contract_catches_a_wrong_import(graph: dict[str, set[str]], expected: str):
    problems = violations(graph)
    assert len(problems) == 1 and expected in problems[0]


def test_the_cycle_check_catches_a_cycle():
    a, b = "dealbook.site.pages", "dealbook.site.render"
    assert cycles({a: {b}, b: {a}}) == [[a, b, a]]
    assert cycles({"dealbook.site": {a}, a: {"dealbook.site"}}) == []  # a package and its own module


def test_lazy_and_string_imports_are_seen():
    graph = import_graph()
    # cli/__init__ names its commands in strings; site/views loads rules through importlib
    assert "dealbook.cli.commands.check" in graph["dealbook.cli"]
    assert "dealbook.rules.state" in graph["dealbook.site.views"]
