"""The team's process settings: dealbook.yaml merged over the packaged defaults."""

from __future__ import annotations

import datetime as dt
import functools
import os
import pkgutil
import re
from dataclasses import dataclass, field
from typing import Any

from ..text.catalog import SOURCE_LANGUAGE, languages, translator
from .load import Loaded, load_file, parse_bytes, parse_text, read_file_bytes

SETTINGS_FILE = "dealbook.yaml"


@dataclass(frozen=True)
class Stage:
    """One stage of the sales process."""

    key: str
    kind: str  # open | won | lost
    label: dict[str, str]
    probability: float
    requires: tuple[str, ...]
    definition: dict[str, str] = field(default_factory=dict)
    entry: dict[str, str] = field(default_factory=dict)
    exit: dict[str, str] = field(default_factory=dict)
    index: int = 0
    rotting_days: int | None = None  # days in the stage before an open deal is at risk (None: never)


def _positive(value: Any) -> int | None:
    return value if isinstance(value, int) and not isinstance(value, bool) and value > 0 else None


def packaged_text(path: str) -> str:
    """A file shipped inside the dealbook package (`path` relative to it, with `/`). Read through
    the package's loader (`pkgutil.get_data`), which works from a zip too: every command reads the
    defaults and the pre-commit check reads the schemas, and `importlib.resources` costs a
    one-file check a hundredth of a second just to import."""
    data = pkgutil.get_data("dealbook", path)
    if data is None:  # pragma: no cover - a loader without get_data
        raise FileNotFoundError(path)
    return data.decode("utf-8")


@functools.cache
def default_settings_text() -> str:
    """The packaged defaults file, with its comments (what `dealbook init` writes)."""
    return packaged_text("records/defaults/settings.yaml")


@functools.cache
def _defaults() -> dict[str, Any]:
    loaded = parse_text(default_settings_text(), "defaults/settings.yaml")
    assert loaded.error is None and isinstance(loaded.data, dict), loaded.error
    return loaded.data


def merge(base: dict[str, Any], override: dict[str, Any]) -> dict[str, Any]:
    """Mappings merge key by key; any other value (lists included) replaces the default."""
    merged = dict(base)
    for key, value in override.items():
        if isinstance(value, dict) and isinstance(merged.get(key), dict):
            merged[key] = merge(merged[key], value)
        else:
            merged[key] = value
    return merged


DEFAULT_TIMEZONE = "Asia/Shanghai"


@functools.lru_cache(maxsize=8)
def zone_problem(name: Any, language: str = SOURCE_LANGUAGE) -> str | None:
    """Why `name` is no IANA time zone the system knows, in `language` (None when it is one)."""
    from zoneinfo import ZoneInfo

    _ = translator(language)
    if not isinstance(name, str) or not name:
        return _("`%(name)s` is not a time zone name", name=name)
    try:
        ZoneInfo(name)
    except (ValueError, OSError) as exc:  # ZoneInfoNotFoundError is a KeyError: below
        return _("`%(name)s` is not a time zone (%(error)s)", name=name, error=exc)
    except KeyError:
        return _("`%(name)s` is not a time zone this system knows", name=name)
    return None


class Settings:
    """Effective settings with typed accessors for the rules; `raw` is the merged mapping."""

    fallback = False  # True: the team's dealbook.yaml could not be used, these are the defaults

    def __init__(self, raw: dict[str, Any], source: Loaded | None = None, fallback: bool = False) -> None:
        self.raw = raw
        self.source = source  # the team's dealbook.yaml as loaded (for diagnostics), if any
        self.fallback = fallback
        self.stages: tuple[Stage, ...] = tuple(
            Stage(
                key=s["key"],
                kind=s.get("kind", "open"),
                label=dict(s.get("label") or {}),
                probability=float(s.get("probability", 0.0)),
                requires=tuple(s.get("requires") or ()),
                definition=dict(s.get("definition") or {}),
                entry=dict(s.get("entry") or {}),
                exit=dict(s.get("exit") or {}),
                index=i,
                rotting_days=_positive(s.get("rotting_days")),
            )
            for i, s in enumerate(raw["stages"])
        )
        self.stage_by_key = {s.key: s for s in self.stages}

    # --- general ---------------------------------------------------------
    @property
    def language(self) -> str:
        return self.raw.get("language", "zh")

    def speaking(self, language: str) -> Settings:
        """These settings with `language` as the team's language (themselves when it already is):
        what a review evaluates its base with, so both sides' findings are worded alike."""
        if language == self.language:
            return self
        return Settings({**self.raw, "language": language}, self.source, self.fallback)

    @property
    def timezone(self) -> str:
        """The team's IANA time zone; the default while the one written is no zone (`check` says so)."""
        name = self.raw.get("timezone", DEFAULT_TIMEZONE)
        return name if zone_problem(name) is None else DEFAULT_TIMEZONE

    @property
    def site(self) -> dict[str, Any]:
        """The `site:` settings ({} when absent or not a mapping, which `check` reports)."""
        value = self.raw.get("site")
        return value if isinstance(value, dict) else {}

    @property
    def site_title(self) -> str:
        """`site.title`, else "dealbook" (what the site, its feeds and the digest are named after)."""
        return str(self.site.get("title") or "dealbook")

    @property
    def currency(self) -> str:
        return self.raw.get("currency", "CNY")

    @property
    def as_of(self) -> dt.date | None:
        value = self.raw.get("as_of")
        return dt.date.fromisoformat(value) if value else None

    def label(self, group: str, key: str) -> str:
        """The label of an enumeration value (`source_channels`, `lost_reasons`, …) in the team's language."""
        if group == "stages":
            stage = self.stage_by_key.get(key)
            labels = stage.label if stage else {}
        else:
            labels = (self.raw.get(group) or {}).get(key) or {}
        return labels.get(self.language) or labels.get("en") or key

    def stage_label(self, key: str) -> str:
        return self.label("stages", key)

    # --- stages ----------------------------------------------------------
    @property
    def stage_keys(self) -> tuple[str, ...]:
        return tuple(s.key for s in self.stages)

    @property
    def progression(self) -> tuple[Stage, ...]:
        """The ordered stages a deal moves through (open and won), lost excluded."""
        return tuple(s for s in self.stages if s.kind != "lost")

    @property
    def lost_stage(self) -> str | None:
        return next((s.key for s in self.stages if s.kind == "lost"), None)

    def is_open(self, stage: str) -> bool:
        found = self.stage_by_key.get(stage)
        return found is not None and found.kind == "open"

    def is_won(self, stage: str) -> bool:
        found = self.stage_by_key.get(stage)
        return found is not None and found.kind == "won"

    def order(self, stage: str) -> int:
        """Position in the progression; lost and unknown stages sort last."""
        found = self.stage_by_key.get(stage)
        if found is None or found.kind == "lost":
            return len(self.stages)
        return found.index

    # --- enumerations ----------------------------------------------------
    def keys_of(self, group: str) -> tuple[str, ...]:
        return tuple((self.raw.get(group) or {}).keys())

    # --- ids ---------------------------------------------------------------
    @functools.cached_property
    def id_pattern(self) -> re.Pattern[str]:
        ids = self.raw["ids"]
        provinces = "".join(re.escape(p) for p in ids["provinces"])
        digits = int(ids.get("sequence_digits", 3))
        return re.compile(
            rf"^(?P<province>[{provinces}])(?P<industry>{ids['industry_letters']})"
            rf"(?P<year>[0-9]{{4}})(?P<seq>[0-9]{{{digits}}})$"
        )



def pinned_day(settings: Settings, override: str | dt.date | None = None) -> dt.date | None:
    """The day the records are pinned to: --today (or the site's `today`), then DEALBOOK_TODAY, then
    `as_of`; None when nothing pins it and today is the clock's."""
    if isinstance(override, dt.date):
        return override
    value = override or os.environ.get("DEALBOOK_TODAY")
    if value:
        return dt.date.fromisoformat(value)
    return settings.as_of


def today_for(settings: Settings, override: str | dt.date | None = None) -> dt.date:
    """The date the rules run as of: the pinned day (see pinned_day), else the clock."""
    pinned = pinned_day(settings, override)
    if pinned is not None:
        return pinned
    from zoneinfo import ZoneInfo

    return dt.datetime.now(ZoneInfo(settings.timezone)).date()


def default_settings() -> Settings:
    """The packaged defaults alone."""
    return Settings(_defaults())


def settings_from_bytes(raw: bytes | None) -> Settings:
    """Settings from a dealbook.yaml's bytes (a git blob, say); None or a broken file: the defaults."""
    if raw is None:
        return Settings(_defaults())
    return _from_loaded(parse_bytes(raw, SETTINGS_FILE), raw)


def load_settings(repo: str) -> Settings:
    """Load `<repo>/dealbook.yaml` over the defaults; a broken file falls back to the defaults.

    The file's own problems are reported by the checker (it validates `source`)."""
    filename = os.path.join(repo, SETTINGS_FILE)
    if not os.path.exists(filename):
        return Settings(_defaults())
    loaded = load_file(filename, SETTINGS_FILE)
    if loaded.error is None:
        return _from_loaded(loaded)
    raw = read_file_bytes(filename)
    return _from_loaded(loaded, raw if isinstance(raw, bytes) else None)


_LANGUAGE_LINE = re.compile(r"^language:[ \t]*([\"']?)([A-Za-z_-]+)\1[ \t]*(?:#.*)?$", re.MULTILINE)


def _fallback(loaded: Loaded, raw: bytes | None) -> Settings:
    """The defaults alone, in the team's language when the broken file still says it (a `language:`
    line): an English team's broken dealbook.yaml is reported in English."""
    defaults = dict(_defaults())  # a copy: the defaults are cached, shared by every Settings
    said = loaded.data.get("language") if isinstance(loaded.data, dict) else None
    if not isinstance(said, str) and raw is not None:
        found = _LANGUAGE_LINE.search(raw.decode("utf-8", "replace"))
        said = found.group(2) if found else None
    if isinstance(said, str) and said in languages():
        defaults["language"] = said
    return Settings(defaults, loaded, fallback=True)


def _from_loaded(loaded: Loaded, raw: bytes | None = None) -> Settings:
    """The team's settings over the defaults; the defaults alone when the file cannot be used."""
    if loaded.error or not isinstance(loaded.data, dict):
        return _fallback(loaded, raw)
    try:
        return Settings(merge(_defaults(), loaded.data), loaded)
    except (KeyError, TypeError, ValueError, AttributeError):
        return _fallback(loaded, raw)
