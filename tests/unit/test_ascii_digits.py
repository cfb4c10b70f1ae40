"""ASCII digits only: `\\d` in a Python or JSON Schema pattern also matches full-width `２` and
Arabic-Indic `٢`, so an id, a date or a time written with them would pass where `0-9` is meant."""

from __future__ import annotations

from pathlib import Path


def test_no_pattern_means_any_digit() -> None:
    root = Path(__file__).resolve().parents[2] / "tools" / "dealbook"
    found = []
    for path in [*root.rglob("*.py"), *root.rglob("*.json"), *root.rglob("*.yaml")]:
        text = path.read_text(encoding="utf-8")
        if "\\d" in text:  # a backslash and a d: `\d` in Python, `\\d` in JSON
            found.append(str(path.relative_to(root)))
    assert found == [], "use [0-9]: \\d matches any Unicode digit (full-width ２, Arabic-Indic ٢ …)"
