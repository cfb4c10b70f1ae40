"""The JSON Schemas: bilingual documentation, strictness, and fix-it messages."""

from __future__ import annotations

import json
import re
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from dealbook.records.schema import KINDS, schema_text, validator

HAN = re.compile(r"[\u4e00-\u9fff]")
LATIN_WORD = re.compile(r"[A-Za-z]{3,}")


def bilingual(description: str) -> bool:
    """Chinese first, then English after a blank line ("中文\n\nEnglish")."""
    parts = description.split("\n\n")
    return len(parts) >= 2 and bool(HAN.search(parts[0])) and bool(LATIN_WORD.search(parts[-1]))


def properties(schema: dict[str, Any], where: str = "") -> Iterator[tuple[str, dict[str, Any]]]:
    for key, sub in schema.get("properties", {}).items():
        yield f"{where}.{key}", sub
        yield from properties(sub, f"{where}.{key}")
        if isinstance(sub.get("items"), dict):
            yield from properties(sub["items"], f"{where}.{key}[]")
    for key, sub in schema.get("definitions", {}).items():
        yield from properties(sub, f"#{key}")


@pytest.mark.parametrize("kind", KINDS)
def test_every_property_has_chinese_and_english_description(kind: str) -> None:
    schema = json.loads(schema_text(kind))
    missing = [where for where, sub in properties(schema)
               if not bilingual(sub.get("description", ""))]
    assert missing == []


@pytest.mark.parametrize("kind", KINDS)
def test_every_enum_value_is_documented(kind: str) -> None:
    schema = json.loads(schema_text(kind))
    undocumented = [(where, value) for where, sub in properties(schema) for value in sub.get("enum", [])
                    if str(value) not in sub.get("description", "")]
    assert undocumented == []


@pytest.mark.parametrize("kind", KINDS)
def test_closed_objects_except_custom(kind: str) -> None:
    schema = json.loads(schema_text(kind))
    open_objects = [where for where, sub in properties(schema)
                    if sub.get("type") == "object" and "properties" in sub
                    and sub.get("additionalProperties") is not False and not where.endswith(".custom")]
    assert schema.get("additionalProperties") is False
    assert open_objects == []


def test_repo_schemas_folder_matches_the_package() -> None:
    root = Path(__file__).resolve().parents[2]
    for kind in KINDS:
        assert (root / "schemas" / f"{kind}.schema.json").read_text(encoding="utf-8") == schema_text(kind)


def test_unknown_key_suggests_the_right_one() -> None:
    errors = list(validator("followup").errors({"customer": "x", "at": "2024-05-20 14:00", "method": "phone",
                                                 "by": "zhang", "sumary": "x"}))
    codes = {code for _, code, _ in errors}
    assert "unknown-key" in codes
    message = next(m for _, c, m in errors if c == "unknown-key")
    assert "summary" in message and "custom" in message


def test_money_in_wan_gets_the_integer_hint() -> None:
    errors = list(validator("customer").errors({"deal": {"amount": "65万"}}))
    money = [(where, m) for where, code, m in errors if code == "money"]
    assert money and money[0][0] == ("deal", "amount") and "650000" in money[0][1]


def test_bad_enum_lists_the_choices() -> None:
    errors = list(validator("followup").errors({"customer": "x", "at": "2024-05-20 14:00", "method": "fax", "by": "z"}))
    message = next(m for w, c, m in errors if w == ("method",))
    assert "phone" in message and "visit" in message
