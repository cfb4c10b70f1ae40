"""Page keys for `mkdocs serve` reuse: values, not object identity; anything unpicklable is never reused."""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass, field

from dealbook.site.reuse import PageStore, fingerprint


@dataclass(frozen=True)
class Row:
    name: str
    due: dt.date
    tags: list[str] = field(default_factory=list)


def test_the_key_follows_values_not_objects() -> None:
    shared = Row("华辰", dt.date(2024, 5, 20))
    assert fingerprint({"a": shared, "b": shared}) == fingerprint({"a": Row("华辰", dt.date(2024, 5, 20)),
                                                                    "b": Row("华辰", dt.date(2024, 5, 20))})
    assert fingerprint(Row("华辰", dt.date(2024, 5, 20))) != fingerprint(Row("华辰", dt.date(2024, 5, 21)))
    assert fingerprint(Row("a", dt.date(2024, 5, 20), ["x"])) != fingerprint(Row("a", dt.date(2024, 5, 20), ["y"]))


def test_what_cannot_be_pickled_is_never_reused() -> None:
    assert fingerprint({"f": lambda: 1}) is None
    store = PageStore()
    store.begin("shared")
    assert store.key({"f": lambda: 1}) is None
    store.keep("customers/x.md", None, b"", [])
    assert store.find("customers/x.md", None) is None


def test_a_changed_shared_key_forgets_every_page() -> None:
    store = PageStore()
    store.begin("settings-1")
    key = store.key({"c": Row("a", dt.date(2024, 5, 20))})
    store.keep("customers/a.md", key, b"page", [{"location": "customers/a/"}])
    store.begin("settings-1")
    assert store.find("customers/a.md", store.key({"c": Row("a", dt.date(2024, 5, 20))})) is not None
    assert store.find("customers/a.md", store.key({"c": Row("b", dt.date(2024, 5, 20))})) is None
    store.begin("settings-2")  # the settings, team, day, config or nav changed
    assert store.pages == {}
    store.begin(None)  # no shared key (an unknown search plugin): nothing is reused
    assert store.key({"c": 1}) is None
