"""Follow-up sheet cells as the seed templates write them: numbered next steps, 是否需协助, contact notes."""

from __future__ import annotations

import datetime as dt
import re
import unicodedata
from typing import Any

_NUMBERED = re.compile(r"(?:^|(?<=[;；\n。]))\s*(?:[0-9]{1,2}|[一二三四五六七八九十])\s*[.、．)）:：]\s*")
_SEPARATORS = re.compile(r"\s*[;；\n]\s*")
_NO_HELP = {"", "否", "无", "不需要", "不需", "没有", "no", "none", "n", "-", "—", "/"}
_YES = re.compile(r"^\s*(?:是|需要|需|yes|y)\s*[,，:：、;；]?\s*", re.I)
_WITHIN_DAYS = re.compile(r"([0-9]{1,3})\s*(?:个)?\s*(?:日|天|工作日)内")
_NOTE_KINDS = {"企业微信": "im", "企业": "im", "微信": "im", "钉钉": "im", "飞书": "im", "工作": "work",
               "办公": "office", "座机": "office", "总机": "office"}
_PHONE_NOTE = re.compile(r"^(?P<phone>.*?)\s*[(（]\s*(?P<note>" + "|".join(_NOTE_KINDS) + r")\s*[)）]\s*$")


def next_steps(text: str) -> list[str]:
    """A 下一步计划 cell as separate actions: "1.预约对接;2.整理方案" → ["预约对接", "整理方案"].

    Numbered items (1. 2、 3) ...) are split at their numbers; otherwise at ; ； or line breaks."""
    text = text.strip()
    if not text:
        return []
    parts = _NUMBERED.split(text) if _NUMBERED.match(text) else _SEPARATORS.split(text)
    return [p.strip(" ;；。\n\t") for p in parts if p.strip(" ;；。\n\t")]


def help_cell(text: str, helper: str | None, at: dt.datetime | None) -> dict[str, Any] | None:
    """A 是否需协助 cell as `help`: 否 → None; "是,需*工程师协助3日内提供方案" → {detail: …, due: at + 3 days}.

    `helper` is the 协助人/需协助部门 column when the sheet has one."""
    cleaned = unicodedata.normalize("NFKC", text).strip()
    if cleaned.casefold() in _NO_HELP:
        return None
    detail = _YES.sub("", cleaned, count=1).strip() or cleaned
    if detail.casefold() in _NO_HELP or detail in ("是", "需要"):
        detail = "需要协助"
    found: dict[str, Any] = {}
    if helper:
        found["from"] = helper
    found["detail"] = detail
    days = _WITHIN_DAYS.search(detail)
    if days and at is not None:
        found["due"] = (at.date() + dt.timedelta(days=int(days.group(1)))).isoformat()
    return found


def phone_note(text: str) -> tuple[str, str | None]:
    """`1385678(企业)` → ("1385678", "im"): a phone with a note in brackets saying what it is."""
    m = _PHONE_NOTE.match(unicodedata.normalize("NFKC", text).strip())
    if not m or not m.group("phone"):
        return text, None
    return m.group("phone").strip(), _NOTE_KINDS[m.group("note")]
