"""Personal data that must never be recorded, found however it is written.

The rules come from the settings' `privacy:` block: a personal mobile (`mobile`), a resident ID
(`resident_id`), personal mail domains (`personal_mail_domains`), personal IM ids (`im_ids`) and
any further named pattern. Every text of a record is checked: every field, `custom:` keys and
values included, follow-up text too. Before matching, a text is normalised the way a reader
would read it: full-width characters become ASCII (NFKC), zero-width characters go, and the
separators people put between digits (spaces, dots, slashes, hyphens, en and em dashes) are
taken out, so `１３８ １２３４ ５６７８`, `138.1234.5678` and `1\u200b38…` are all the same
number. A company-issued work mobile is allowed where the contact says so (`phone_kind: work`),
and only when that phone field holds that one number.
"""

from __future__ import annotations

import contextlib
import functools
import json
import re
import unicodedata
from collections.abc import Iterable, Iterator
from dataclasses import dataclass, field
from typing import Any

from ..records.diagnostics import ERROR
from ..records.settings import Settings
from ..text.catalog import SOURCE_LANGUAGE, Translator, translator

Finding = tuple[tuple, str, str, str]  # (where, severity, code, message)

# Characters that do not show: zero-width space/joiners, word joiner, BOM, soft hyphen, and the
# invisible operators. Removed before matching.
_INVISIBLE = dict.fromkeys(map(ord, "\u200b\u200c\u200d\u200e\u200f\u2060\u2061\u2062\u2063\u2064\ufeff\u00ad\u180e"))
# What people put between the digits of a number: spaces of every width, dots, slashes, hyphens,
# dashes, middle dots, underscores and brackets (after NFKC their full-width forms are these).
_SEPARATORS = r"[\s.\-/_·()\[\]\u2010-\u2015\u2212\u30fb\u00b7]"
_DIGIT = re.compile(r"[0-9]")
_JOINED = re.compile(rf"(?<=[0-9]){_SEPARATORS}+(?=[0-9])")
_EMAIL = re.compile(r"[A-Za-z0-9._%+\-]+@([A-Za-z0-9\-]+(?:\.[A-Za-z0-9\-]+)+)")
# A run of digits a reader would dial or copy: 7 or more, separators allowed between them.
_NUMBER = re.compile(r"[+＋]?[0-9０-９](?:(?:[\s.\-/·()\u2010-\u2015\u2212\u200b]|（|）){0,3}[0-9０-９]){6,}")
_BUILT_IN = ("mobile", "resident_id", "personal_mail_domains", "im_ids")


def normalise(text: str) -> str:
    """`text` as matched: NFKC, invisible characters removed, separators between digits removed."""
    if not text.isascii():
        text = unicodedata.normalize("NFKC", text).translate(_INVISIBLE)
    return _JOINED.sub("", text)


def _readable(text: str) -> str:
    """`text` with NFKC and invisible characters removed, separators kept (words stay apart)."""
    if text.isascii():
        return text
    return unicodedata.normalize("NFKC", text).translate(_INVISIBLE)


@dataclass(frozen=True)
class Rules:
    """The compiled privacy rules of one settings file."""

    mobile: re.Pattern[str] | None
    resident_id: re.Pattern[str] | None
    mail_domains: frozenset[str]
    im_ids: tuple[re.Pattern[str], ...]
    others: tuple[tuple[str, re.Pattern[str]], ...]
    problems: tuple[tuple[str, str], ...]  # (settings key, why re cannot compile it: its own English words)
    im_any: re.Pattern[str] | None = None  # every im_ids pattern in one, when they combine
    clean: set[str] = field(default_factory=set, compare=False, hash=False)  # texts known to pass

    def personal_domain(self, domain: str) -> str | None:
        """The listed personal mail domain `domain` belongs to (itself or a subdomain), or None."""
        domain = domain.lower().rstrip(".")
        while domain:
            if domain in self.mail_domains:
                return domain
            if "." not in domain:
                return None
            domain = domain.split(".", 1)[1]
        return None


def rules(settings: Settings) -> Rules:
    """The privacy rules of `settings` (compiled once per distinct `privacy:` block)."""
    cached = getattr(settings, "_privacy_rules", None)
    if cached is None:
        block = settings.raw.get("privacy") or {}
        cached = _compile(json.dumps(block, sort_keys=True, default=str))
        with contextlib.suppress(AttributeError):
            object.__setattr__(settings, "_privacy_rules", cached)  # once per settings object
    return cached


@functools.lru_cache(maxsize=16)
def _compile(block_json: str) -> Rules:
    block = json.loads(block_json)
    problems: list[tuple[str, str]] = []

    def pattern(key: str, text: Any) -> re.Pattern[str] | None:
        if not isinstance(text, str) or not text:
            return None
        try:
            return re.compile(text)
        except re.error as exc:
            problems.append((key, str(exc)))
            return None

    domains = block.get("personal_mail_domains") or []
    ims = block.get("im_ids") or []
    im_ids = tuple(p for i, rx in enumerate(ims if isinstance(ims, list) else [])
                   if (p := pattern(f"im_ids.{i}", rx)) is not None)
    return Rules(
        im_any=_combined(im_ids),
        mobile=pattern("mobile", block.get("mobile")),
        resident_id=pattern("resident_id", block.get("resident_id")),
        mail_domains=frozenset(d.lower().lstrip("@").rstrip(".") for d in domains if isinstance(d, str) and d),
        im_ids=im_ids,
        others=tuple((key, p) for key, rx in block.items()
                     if key not in _BUILT_IN and (p := pattern(key, rx)) is not None),
        problems=tuple(problems),
    )


def _combined(patterns: tuple[re.Pattern[str], ...]) -> re.Pattern[str] | None:
    """One pattern that matches where any of `patterns` does (one scan of a text, not one each);
    None when they cannot be combined (flags other than a leading `(?i)`)."""
    parts = []
    for rx in patterns:
        text = rx.pattern
        if text.startswith("(?i)"):
            parts.append(f"(?i:{text[4:]})")
        elif text.startswith("(?"):
            if not text.startswith(("(?:", "(?<", "(?=", "(?!", "(?P")):
                return None
            parts.append(f"(?:{text})")
        else:
            parts.append(f"(?:{text})")
    try:
        return re.compile("|".join(parts)) if parts else None
    except re.error:
        return None


def settings_problems(settings: Settings) -> list[tuple[str, str]]:
    """(key under `privacy`, re's error) for every rule the settings give that is not a valid regular
    expression (the rules are compiled once per `privacy:` block, whatever the language: the check
    writes the sentence around the error)."""
    return list(rules(settings).problems)


# --- checking a record ---------------------------------------------------------------------------


def texts(data: Any) -> Iterator[tuple[tuple, str]]:
    """Every text of a record with its address: the string values, long numbers, and every
    mapping key that is not a plain ASCII word (`custom:` keys, say)."""
    yield from _values(data)
    yield from _keys(data, ())


def _values(value: Any, where: tuple = ()) -> Iterator[tuple[tuple, str]]:
    if isinstance(value, str):
        yield where, value
    elif isinstance(value, dict):
        for key, item in value.items():
            yield from _values(item, (*where, key))
    elif isinstance(value, list):
        for index, item in enumerate(value):
            yield from _values(item, (*where, index))
    elif isinstance(value, int) and not isinstance(value, bool) and len(str(abs(value))) >= 11:
        yield where, str(value)


def _keys(value: Any, where: tuple) -> Iterator[tuple[tuple, str]]:
    if isinstance(value, dict):
        for key, item in value.items():
            if isinstance(key, str) and not (key.isascii() and key.isidentifier()):
                yield (*where, key), key
            if isinstance(item, (dict, list)):
                yield from _keys(item, (*where, key))
    elif isinstance(value, list):
        for index, item in enumerate(value):
            if isinstance(item, (dict, list)):
                yield from _keys(item, (*where, index))


def findings(data: dict[str, Any], settings: Settings,
             strings: Iterable[tuple[tuple, str]] | None = None) -> Iterator[Finding]:
    """Every privacy finding in a record's texts (`strings`: the texts as `texts` gives them,
    when the caller has walked the record already)."""
    found = rules(settings)
    _ = translator(settings.language)
    contacts = data.get("contacts") if isinstance(data.get("contacts"), list) else []
    clean = found.clean
    for where, text in (texts(data) if strings is None else strings):
        if text in clean:
            continue
        flagged = False
        for finding in _text_findings(found, where, text, contacts, _):
            flagged = True
            yield finding
        if not flagged and where[0] != "contacts":
            _keep_clean(clean, text)


def all_clear(texts: Iterable[str], settings: Settings) -> bool:
    """Whether no text of a record can be a privacy finding, asked without the texts' addresses (the
    common case, and the cheap one: a record with a finding is walked again by `findings`). A text
    is tested as if at no address, where a mobile number is never a work phone's: whatever a
    text yields at its own address, it yields here too, so a text clear here is clear anywhere."""
    found = rules(settings)
    clean = found.clean
    for text in texts:
        if text in clean:
            continue
        for _finding in _text_findings(found, (), text, (), translator(SOURCE_LANGUAGE)):  # only whether
            return False
        _keep_clean(clean, text)
    return True


def _keep_clean(clean: set[str], text: str) -> None:
    """Remember a short text found clean: short texts repeat across records (stages, handles, dates)."""
    if len(text) <= 40:
        if len(clean) > 100_000:
            clean.clear()
        clean.add(text)


def _work_phone(where: tuple, contacts: list[Any]) -> bool:
    return (len(where) == 3 and where[0] == "contacts" and where[2] == "phone" and isinstance(where[1], int)
            and where[1] < len(contacts) and isinstance(contacts[where[1]], dict)
            and contacts[where[1]].get("phone_kind") == "work")


def _text_findings(found: Rules, where: tuple, text: str, contacts: list[Any], _: Translator) -> Iterator[Finding]:
    readable = _readable(text)
    digits = _DIGIT.search(readable) is not None  # no digit: no number to find (most texts)
    joined = _JOINED.sub("", readable) if digits else readable
    resident, mobile = found.resident_id, found.mobile
    if digits and resident is not None and (resident.search(joined) or resident.search(readable)):
        yield (where, ERROR, "privacy-id",
               _("this looks like an 18-digit resident ID number: personal data must not be recorded; remove it"))
    if digits and mobile is not None and (mobile.search(joined) or mobile.search(readable)):
        if not _work_phone(where, contacts):
            yield (where, ERROR, "privacy-mobile",
                   _("this looks like a personal mobile number, which must not be recorded; record a work phone "
                     "or company IM, or mark a company-issued mobile `phone_kind: work`"))
        elif not mobile.fullmatch(joined.strip()):
            yield (where, ERROR, "privacy-mobile",
                   _("a work phone field holds one number, and this one holds more (a personal mobile may hide "
                     "beside the work one): keep the company-issued number only"))
    if "@" in readable and found.mail_domains:
        for match in _EMAIL.finditer(readable):
            domain = found.personal_domain(match.group(1))
            if domain is not None:
                yield (where, ERROR, "privacy-email",
                       _("this is a personal mail address (at %(domain)s, listed in privacy.personal_mail_domains): "
                         "record a company address instead", domain=domain))
                break
    for rx in (found.im_any,) if found.im_any is not None else found.im_ids:
        if rx.search(readable):
            yield (where, ERROR, "privacy-im",
                   _("this looks like a personal IM id (WeChat, QQ …; it matches privacy.im_ids): record a company "
                     "IM account (WeCom, DingTalk) instead"))
            break
    for key, rx in found.others:
        if rx.search(joined) or rx.search(readable):
            yield (where, ERROR, f"privacy-{key}".replace("_", "-"),
                   _("this matches the privacy rule `privacy.%(key)s`: personal data must not be recorded; remove it",
                     key=key))


# --- phones as commands write them -----------------------------------------------------------------

_LANDLINE = re.compile(r"^(?:\(?0[0-9]{2,3}\)?[- ]?)?[0-9]{7,8}(?:[-转][0-9]{1,5})?$"
                       r"|^[48]00[- ]?[0-9]{3}[- ]?[0-9]{4}$")
_IM_WORDS = re.compile(r"企业微信|钉钉|飞书|wecom|dingtalk|lark|feishu|(?<![a-z])im(?![a-z])", re.I)


def is_mobile(phone: str, settings: Settings) -> bool:
    """Whether a phone (however written) holds a mobile number by the settings' `mobile` rule."""
    mobile = rules(settings).mobile
    return mobile is not None and bool(mobile.search(normalise(phone)) or mobile.search(_readable(phone)))


def phone_kind_of(phone: str, settings: Settings) -> str | None:
    """The kind of phone a command may write for `phone` without being told: `office` for a
    landline, `im` for a company IM account; None for a mobile (only the user can say that it is
    company-issued, `phone_kind: work`) and for anything else. No command writes `work` unasked."""
    if is_mobile(phone, settings):
        return None
    if _LANDLINE.match(re.sub(r"[\s()]", "", normalise(phone))):
        return "office"
    if _IM_WORDS.search(phone):
        return "im"
    return None


# --- masking on the site ---------------------------------------------------------------------------


def mask(text: str) -> str:
    """Keep the first 3 and last 2 characters of a phone or email: enough to recognise, not to call."""
    if len(text) <= 5:
        return "•" * len(text)
    return text[:3] + "•" * (len(text) - 5) + text[-2:]


_DATE_LIKE = re.compile(r"^[0-9]{4}\s*[-/.年]\s*[0-9]{1,2}\s*[-/.月]\s*[0-9]{1,2}")


def mask_numbers(text: str, settings: Settings | None = None) -> str:
    """`text` with every phone number, resident ID and mail address in it masked (see `mask`),
    however the digits are written: for follow-up text on a site with `site.mask_contacts`.
    A number is masked when the privacy rules call it a mobile or an ID, when it looks like a
    landline (a leading 0, or digit groups 7 digits and more), never when it is a date or a plain
    amount (`1200000`)."""
    if not text or not isinstance(text, str):
        return text
    found = rules(settings) if settings is not None else None
    text = _EMAIL.sub(lambda m: mask(m.group(0)), text)

    def number(match: re.Match[str]) -> str:
        shown = match.group(0)
        readable = _readable(shown)
        digits = re.sub(r"[^0-9]", "", readable)
        if _DATE_LIKE.match(readable):
            return shown
        personal = found is not None and any(rx is not None and rx.search(normalise(shown))
                                             for rx in (found.mobile, found.resident_id))
        grouped = len(digits) != len(readable.lstrip("+"))
        if personal or (digits.startswith(("0", "1")) and len(digits) >= 9) or grouped or readable.startswith("+"):
            return mask(shown)
        return shown

    return _NUMBER.sub(number, text)
