"""Likely duplicate customers: names equal once normalised, or similar; a shared phone or company email domain."""

from __future__ import annotations

import os
import re
import unicodedata
from collections import defaultdict
from collections.abc import Iterator
from dataclasses import dataclass
from typing import Any

from ..records.book import Book
from ..records.model import CUSTOMERS_DIR
from ..text.catalog import translator

# Company-form words that do not tell two companies apart, longest first.
_FORMS = ("股份有限公司", "有限责任公司", "集团有限公司", "有限公司", "(中国)", "(集团)",
          "co.,ltd.", "co.,ltd", "co.ltd", "company limited", "limited", "ltd.", "ltd", "inc.", "inc",
          "corporation", "corp.", "corp", "gmbh", "llc")
_PUNCT = re.compile(r"[\s·•.,，、'\"“”‘’&\-_/()（）\[\]]+")
PUBLIC_MAIL = frozenset({
    "qq.com", "foxmail.com", "163.com", "126.com", "yeah.net", "sina.com", "sina.cn", "sohu.com", "aliyun.com",
    "139.com", "189.cn", "wo.cn", "gmail.com", "outlook.com", "hotmail.com", "live.com", "yahoo.com", "icloud.com",
    "me.com", "msn.com", "protonmail.com", "263.net",
})
CHECK_MIN_SCORE = 92  # `dealbook check` warns from this score; `dealbook duplicates` lists from --min-score


def normalise_name(name: str) -> str:
    """The name as compared: full-width → half-width, lower case, no company-form words, no spaces or punctuation.

    `ＡＢＣ科技（中国）有限公司` and `ABC 科技有限公司` both become `abc科技`."""
    text = unicodedata.normalize("NFKC", name or "").lower().strip()
    text = re.sub(r"\s+", "", text)
    changed = True
    while changed:
        changed = False
        for form in _FORMS:
            if form in text and text != form:
                text = text.replace(form, "")
                changed = True
    return _PUNCT.sub("", text)


def phone_key(phone: str) -> str:
    digits = re.sub(r"\D", "", phone or "")
    return digits[-11:] if len(digits) >= 7 else ""


def email_domain(email: str) -> str:
    """The company mail domain of an address; '' for public mail services (qq.com, 163.com, gmail.com …)."""
    if "@" not in (email or ""):
        return ""
    domain = email.rsplit("@", 1)[1].strip().lower()
    return "" if domain in PUBLIC_MAIL else domain


@dataclass(frozen=True)
class Candidate:
    """What is compared of one customer."""

    id: str
    name: str
    key: str
    phones: frozenset[str] = frozenset()
    domains: frozenset[str] = frozenset()


@dataclass(frozen=True)
class Pair:
    """Two customers that look like one company, how sure (0–100) and why."""

    a: str
    a_name: str
    b: str
    b_name: str
    score: int
    reasons: tuple[str, ...]


def candidates(book: Book) -> list[Candidate]:
    return [Candidate(c.id, c.name, normalise_name(c.name),
                      frozenset(p for p in (phone_key(x.phone) for x in c.contacts) if p),
                      frozenset(d for d in (email_domain(x.email) for x in c.contacts) if d))
            for c in sorted(book.customers.values(), key=lambda c: c.id)]


def score_pair(a: Candidate, b: Candidate) -> tuple[int, tuple[str, ...]]:
    """The pair's score: name similarity, raised by a shared phone (to ≥ 90) or company mail domain (to ≥ 80)."""
    from rapidfuzz import fuzz  # imported here: a follow-up's check never compares names

    reasons: list[str] = []
    if a.key and a.key == b.key:
        score = 100
        reasons.append("same name once company forms, spacing and full-width characters are ignored"
                       if a.name != b.name else "same name")
    else:
        score = round(fuzz.ratio(a.key, b.key)) if a.key and b.key else 0
        short, long_ = sorted((a.key, b.key), key=len)
        if len(short) >= 4 and short in long_:
            score = max(score, 85)
            reasons.append(f"`{short}` is part of the other name")
        if score >= 50:
            reasons.append(f"names {score}% similar")
    shared_phones = a.phones & b.phones
    if shared_phones:
        score = min(100, max(score, 90) + 5)
        reasons.append(f"same phone {sorted(shared_phones)[0]}")
    shared_domains = a.domains & b.domains
    if shared_domains:
        score = min(100, max(score, 80) + 5)
        reasons.append(f"same email domain {sorted(shared_domains)[0]}")
    return score, tuple(reasons)


def find_duplicates(items: list[Candidate], min_score: int = 85) -> list[Pair]:
    """Every pair scoring at least `min_score`, best first.

    Every name is compared with every later one by rapidfuzz (C code; a few seconds for
    10,000 customers); shared phones and mail domains are found through indexes."""
    from rapidfuzz import fuzz, process  # imported here: a follow-up's check never compares names

    seen: set[tuple[int, int]] = set()
    keys = [c.key for c in items]
    if len(items) > 1:
        name_cut = min(min_score, 85)
        for i, key in enumerate(keys[:-1]):
            if not key:
                continue
            for _, _, offset in process.extract(key, keys[i + 1:], scorer=fuzz.ratio, score_cutoff=name_cut,
                                                limit=None):
                seen.add((i, i + 1 + offset))
            if len(key) >= 4:  # one name inside the other (深圳市A科技 / A科技)
                for other, _, offset in process.extract(key, keys[i + 1:], scorer=fuzz.partial_ratio,
                                                        score_cutoff=100, limit=None):
                    if len(other) >= 4:
                        seen.add((i, i + 1 + offset))
        by_key: dict[str, list[int]] = defaultdict(list)
        for index, key in enumerate(keys):
            by_key[key].append(index)
        for group in by_key.values():
            seen.update((i, j) for i in group for j in group if i < j)
    for index_of in (_index(items, "phones"), _index(items, "domains")):
        for group in index_of.values():
            if len(group) <= 50:  # a value shared by dozens is a switchboard or a group mail server
                seen.update((i, j) for i in group for j in group if i < j)
    pairs = []
    for i, j in seen:
        score, reasons = score_pair(items[i], items[j])
        if score >= min_score:
            a, b = items[i], items[j]
            pairs.append(Pair(a.id, a.name, b.id, b.name, score, reasons))
    pairs.sort(key=lambda p: (-p.score, p.a, p.b))
    return pairs


def _index(items: list[Candidate], attribute: str) -> dict[str, list[int]]:
    found: dict[str, list[int]] = defaultdict(list)
    for index, item in enumerate(items):
        for value in getattr(item, attribute):
            found[value].append(index)
    return found


# --- the `dealbook check` warning -------------------------------------------------------------
_NAME_LINE = re.compile(r"^name:[ \t]*(.+?)[ \t]*$", re.M)
_ID_LINE = re.compile(r"^id:[ \t]*(.+?)[ \t]*$", re.M)


def _unquote(text: str) -> str:
    text = text.split(" #", 1)[0].strip()
    if len(text) >= 2 and text[0] == text[-1] and text[0] in "'\"":
        text = text[1:-1]
    return text


def id_and_name(text: str) -> tuple[str | None, str | None]:
    """The `id:` and `name:` of a customer file's text (its first 4 KB will do), read with a line
    match instead of a YAML parse; None for a line it does not have."""
    cid, name = _ID_LINE.search(text), _NAME_LINE.search(text)
    return (_unquote(cid.group(1)) if cid else None, _unquote(name.group(1)) if name else None)


def repo_names(root: str, skip: set[str] | frozenset[str] = frozenset()) -> Iterator[tuple[str, str, str]]:
    """(path, id, name) of every customer file not in `skip`, read with a line match instead of a YAML parse."""
    folder = os.path.join(root, CUSTOMERS_DIR)
    try:
        entries = sorted(os.listdir(folder))
    except OSError:
        return
    for entry in entries:
        if not entry.endswith((".yaml", ".yml")) or f"{CUSTOMERS_DIR}/{entry}" in skip:
            continue
        try:
            with open(os.path.join(folder, entry), encoding="utf-8") as handle:
                text = handle.read(4096)
        except (OSError, UnicodeDecodeError):
            continue
        cid, name = id_and_name(text)
        if name is not None:
            yield (f"{CUSTOMERS_DIR}/{entry}", cid if cid is not None else entry.rsplit(".", 1)[0], name)


_VARIANTS_UP_TO = 80  # longer keys are matched only as they are (a name of 200,000 characters
# would otherwise make 200,000 variants of 200,000 characters each)


def name_variants(key: str) -> set[str]:
    """The key and every string one character shorter: two keys within one insertion, deletion or
    substitution of each other share one of these (symmetric-deletion blocking). A key longer than
    any company name is its own only variant."""
    if len(key) > _VARIANTS_UP_TO:
        return {key}
    return {key} | {key[:i] + key[i + 1:] for i in range(len(key))}


def likely_duplicates(book: Book, only: set[str] | None) -> Iterator[tuple[str, str]]:
    """(path, message) for each checked customer whose name looks like another customer's.

    Blocked so a whole-repo check stays linear: names are indexed by their normalised form and
    every one-character deletion of it, and rapidfuzz scores only names sharing an entry, i.e.
    names equal or one edit apart once normalised (at CHECK_MIN_SCORE that is what a match is for
    names under about 25 characters). In a whole-repo check the later id of a pair is warned
    about; a PATH-limited check compares the given customers with every other one."""
    checked = [(path, c.id, c.name) for path, c in book.customers_by_path.items() if only is None or path in only]
    if not checked:
        return
    language = book.settings.language  # the message in the team's language (a review's view carries its revision's)
    from rapidfuzz import fuzz, process  # imported here: a follow-up's check never compares names

    index_rows = getattr(book, "repo_customers", None)
    if only is not None and index_rows is not None:
        yield from _against_index(checked, index_rows, language)
        return
    everyone: list[tuple[str, str, str]]
    if book.complete or not book.root:
        everyone = [(path, c.id, c.name) for path, c in book.customers_by_path.items()]
    else:
        present = {path for path, _, _ in checked}
        everyone = [*checked, *repo_names(book.root, present)]
    keys = [normalise_name(name) for _, _, name in everyone]
    variants = [name_variants(key) if key else set() for key in keys]
    index: dict[str, list[int]] = defaultdict(list)
    for position, found in enumerate(variants):
        for variant in found:
            index[variant].append(position)
    position_of = {path: i for i, (path, _, _) in enumerate(everyone)}
    for path, cid, name in checked:
        mine = position_of[path]
        key = keys[mine]
        if not key:
            continue
        seen: set[int] = set()
        for variant in variants[mine]:
            bucket = index[variant]
            if len(bucket) > 1:  # else only this name
                seen.update(bucket)
        seen.discard(mine)
        # the pair is reported once, on the later id
        others = [o for o in sorted(seen) if only is not None or everyone[o][1] <= cid]
        if not others:
            continue
        # Scored in one call (a name among look-alikes has dozens of them); those scoring under the
        # warning's score (rounded) are left out there. The best look-alike: highest ratio, then the
        # first in path order (as `_against_index` picks), whatever order the variants' set gives
        # (it changes with Python's string hashing).
        scored = process.extract(key, [keys[o] for o in others], scorer=fuzz.ratio, processor=None, limit=None,
                                 score_cutoff=CHECK_MIN_SCORE - 0.5)
        if scored:
            _, ratio, at = min(scored, key=lambda found: (-found[1], found[2]))
            _, other_id, other_name = everyone[others[at]]
            yield (path, _message(name, (round(ratio), other_id, other_name), language))


def _message(name: str, best: tuple[int, str, str], language: str) -> str:
    _ = translator(language)
    return _("`%(name)s` looks like %(id)s `%(other)s` (score %(score)s): if it is the same company, keep one record "
             "(see `dealbook duplicates`)", name=name, id=best[1], other=best[2], score=best[0])


def _against_index(checked: list[tuple[str, str, str]], index: Any, language: str) -> Iterator[tuple[str, str]]:
    """`likely_duplicates` for a PATH-limited check, against the stored index of every customer
    (`customer_index`): the index gives the customers whose normalised names share one of the
    checked name's one-character deletions (the blocking rule of the whole-repo check), then
    rapidfuzz scores those alone. Best score first, then the first in path order, whether it is
    checked too or not (as `likely_duplicates` picks among every customer): a file's finding does
    not depend on which other files are checked with it, so a review's sides agree."""
    from rapidfuzz import fuzz  # imported here: a follow-up's check never compares names

    present = {path for path, _, _ in checked}
    keys = [normalise_name(name) for _, _, name in checked]
    for mine, (path, _cid, name) in enumerate(checked):
        key = keys[mine]
        if not key:
            continue
        variants = name_variants(key)
        candidates = [(other_path, other_id, other_name, keys[position])
                      for position, (other_path, other_id, other_name) in enumerate(checked)
                      if position != mine and keys[position] and variants & name_variants(keys[position])]
        candidates += [(other_path, other_id, other_name, other_key)
                       for other_path, other_id, other_name, other_key in index.near(variants)
                       if other_path not in present and other_key]
        scored = sorted(((fuzz.ratio(key, c[3]), c) for c in candidates), key=lambda s: (-s[0], s[1][0]))
        best: tuple[int, str, str] | None = None
        for ratio, (_, other_id, other_name, other_key) in scored:
            if ratio < CHECK_MIN_SCORE - 0.5:  # rapidfuzz's cutoff for `round(ratio) >= CHECK_MIN_SCORE`
                break
            score = 100 if other_key == key else round(ratio)
            if score >= CHECK_MIN_SCORE and (best is None or score > best[0]):
                best = (score, other_id, other_name)
        if best is not None:
            yield (path, _message(name, best, language))
