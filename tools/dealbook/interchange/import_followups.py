"""Turn follow-up sheet rows (销售跟进记录表) into a plan: each row new, updated, unchanged or rejected."""

from __future__ import annotations

import re
from collections.abc import Callable, Iterable
from dataclasses import dataclass
from typing import Any

from ..records.book import Book
from ..records.dates import parse_time
from ..records.model import UnsafeId, followup_folder
from ..text.catalog import N_, Said, joined, said, translator
from .followup_cells import help_cell, next_steps
from .import_check import Checker
from .import_fields import (
    METHOD_WORDS,
    OUTCOME_WORDS,
    Vocabulary,
    json_value,
    keep_extra,
    member_handle,
    normalise,
    split_contact,
)
from .import_match import legacy_ids, name_key
from .import_plan import NEW, REJECTED, UNCHANGED, UPDATED, Options, Plan, Planned
from .sheets import ALTERNATIVES, BadValue, Row, Sheet, at_cell, problem_list, to_date, to_datetime, to_text


class FollowupRows:
    """Reads follow-up rows (销售跟进记录表) into follow-up records."""

    def __init__(self, book: Book, options: Options, names: dict[str, str]) -> None:
        self.book = book
        self.options = options
        self.words = Vocabulary(book.settings)
        self.names = names
        self.legacy = legacy_ids(book)
        self.keys: dict[str, str] = {}
        for full, cid in names.items():
            self.keys.setdefault(name_key(full), cid)
        self._near: dict[str, set[tuple[str, str]]] | None = None  # name variant -> customers (near_names)
        self._keys: list[tuple[str, str, str]] = []  # (normalised name, name, id) of every customer
        half_days = (book.settings.raw.get("sheets") or {}).get("half_days")
        self.half_days = {str(k): str(v) for k, v in half_days.items()} if isinstance(half_days, dict) else None

    def record(self, row: Row) -> dict[str, Any]:
        v = row.values
        problems = list(row.problems)
        data: dict[str, Any] = {}
        cid = to_text(v["customer"]) if "customer" in v else ""
        if cid and cid not in self.book.customers:
            cid = self.legacy.get(cid, cid)  # the old sheet's number, kept as custom.legacy_id
        if not cid and "customer_name" in v:
            name = to_text(v["customer_name"])
            cid = self.names.get(name.strip()) or self.keys.get(name_key(name), "")
            if not cid:
                near = self.near_names(name)
                problems.append(at_cell(row.where("customer_name", "客户名称"), said(
                    N_("`%(name)s` is not a customer in the repo: did you mean %(near)s? Write the name exactly as "
                       "the customer has it, or give 客户编号"), name=name, near=near) if near else said(
                    N_("`%(name)s` is not a customer in the repo: import the customer sheet first"), name=name)))
        if not cid and not problems:
            problems.append(said(N_("the row names no customer (客户编号 or 客户名称)")))
        data["customer"] = cid
        try:
            moment, has_time = to_datetime(v.get("at", ""), self.half_days)
            if not has_time:
                hour, minute = (int(x) for x in self.options.default_time.split(":"))
                moment = moment.replace(hour=hour, minute=minute)
            data["at"] = moment.strftime("%Y-%m-%d %H:%M")
        except BadValue as exc:
            problems.append(at_cell(row.where("at", "跟进日期 (at)"), exc.message))
        data["method"] = self.method(to_text(v.get("method", "")))
        try:
            data["by"] = member_handle(self.book.members, to_text(v.get("by", "")), "跟进人 (by)")
        except BadValue as exc:
            problems.append(at_cell(row.where("by", "跟进人 (by)"), exc.message))
        if "contact" in v:
            data["contact"] = split_contact(to_text(v["contact"]))[0]
        for name in ("summary", "feedback"):
            if name in v:
                data[name] = to_text(v[name])
        if "objections" in v:
            tags = []
            for word in re.split(r"[,，、;；]", to_text(v["objections"])):
                if word.strip():
                    try:
                        tags.append(self.words.pick(self.words.objections, word, N_("objection")))
                    except BadValue:
                        tags.append(word.strip())
            data["objections"] = tags
        if "outcome" in v:
            text = to_text(v["outcome"])
            data["outcome"] = OUTCOME_WORDS.get(text, text)
        if "next" in v:
            try:
                data["next"] = json_value(v["next"], "next")
            except BadValue as exc:
                problems.append(exc.message)
        elif "next.action" in v:
            due = None
            if "next.due" in v:
                try:
                    due = to_date(v["next.due"])
                except BadValue as exc:
                    problems.append(at_cell(row.where("next.due", "完成时限 (due)"), exc.message))
            steps = []
            for action in next_steps(to_text(v["next.action"])):  # "1.…;2.…": one item each, same deadline
                step: dict[str, Any] = {"action": action}
                if due:
                    step["due"] = due
                if data.get("by"):
                    step["owner"] = data["by"]
                steps.append(step)
            if steps:
                data["next"] = steps
        help_ = {k: to_text(v[f"help.{k}"]) for k in ("from", "detail", "due") if f"help.{k}" in v}
        if "help" in v:
            at = parse_time(data.get("at"))
            asked = help_cell(to_text(v["help"]), help_.get("from"), at)
            help_ = {**asked, **{k: x for k, x in help_.items() if x}} if asked is not None else {}
        if help_.get("due"):
            try:
                help_["due"] = to_date(help_["due"])
            except BadValue as exc:
                problems.append(at_cell(row.where("help.due", "协助时限 (help.due)"), exc.message))
        if help_:
            data["help"] = help_
        if "custom" in v:
            try:
                data["custom"] = json_value(v["custom"], "custom")
            except BadValue as exc:
                problems.append(exc.message)
        keep_extra(row, data)
        if problems:
            raise BadValue(problem_list(problems))
        return data

    def near_names(self, name: str) -> Said | None:
        """The customers a name not found is close to (`深圳甲科技` → 深圳市甲科技有限公司 (粤IT2024004)), as
        `dealbook duplicates` compares names: equal once normalised, one character apart, or one
        containing the other."""
        from ..checks.dedupe import name_variants, normalise_name

        if self._near is None:
            self._near, self._keys = {}, []
            for full, cid in self.names.items():
                self._keys.append((normalise_name(full), full, cid))
                for variant in name_variants(self._keys[-1][0]):
                    self._near.setdefault(variant, set()).add((full, cid))
        key = normalise_name(name)
        if not key:
            return ""
        found = {hit for variant in name_variants(key) for hit in self._near.get(variant, ())}
        if len(key) >= 2 and len(found) < 3:
            found |= {(full, cid) for other, full, cid in self._keys
                      if key in other or (len(other) >= 2 and other in key)}
        near = [f"{full} ({cid})" for full, cid in sorted(found)[:3]]
        return joined(*ALTERNATIVES, near) if near else None

    def method(self, text: str) -> str:
        word = normalise(text)
        if word in ("phone", "visit", "email", "meeting", "im", "other"):
            return word
        for alias, key in METHOD_WORDS:
            if alias in word:
                return key
        return "other"


def plan_followups(sheet: Sheet, book: Book, options: Options,
                   progress: Callable[[Iterable[Row]], Iterable[Row]] = lambda rows: rows,
                   extra_names: dict[str, str] | None = None, checker: Checker | None = None) -> Plan:
    """What importing the follow-up sheet would do: a follow-up matches one of the same customer and time.

    Each follow-up matches at most one row of the sheet: two rows of one customer at one time (a
    date-only sheet's two calls on one day) are two follow-ups, unless they say the same thing."""
    _ = translator(book.settings.language)  # the rows' reasons
    names = {c.name.strip(): c.id for c in book.customers.values()}
    names.update(extra_names or {})
    reader = FollowupRows(book, options, names)
    existing: dict[tuple[str, str], list[Any]] = {}
    used: set[str] = set()
    for followup in book.all_followups():
        key = (followup.customer, str(followup.data.get("at")))
        existing.setdefault(key, []).append(followup)
        used.add(followup.path)
    claimed: dict[str, tuple[int, str]] = {}  # path -> (row, what the row said) of the rows read so far
    plan = Plan("followups", notes=list(sheet.notes))
    for row in progress(sheet.rows()):
        entry = Planned(row.number, REJECTED)
        entry.label = to_text(row.values.get("customer_name") or row.values.get("customer") or "")
        plan.entries.append(entry)
        try:
            data = reader.record(row)
        except BadValue as exc:
            entry.reasons.append(exc.text(_))
            continue
        entry.label = f"{data['customer']} {data['at']}"
        key = (data["customer"], data["at"])
        said = repr(sorted(data.items()))
        twin = next((claimed[f.path][0] for f in existing.get(key, ())
                     if f.path in claimed and claimed[f.path][1] == said), None)
        if twin is not None:  # the same row twice in the sheet: one follow-up
            entry.status, entry.reasons = UNCHANGED, [_("the same follow-up as row %(row)s", row=twin)]
            continue
        found = None
        for candidate in existing.get(key, ()):
            if candidate.path in claimed:
                continue
            current = candidate.data if candidate.data is not None else \
                (checker.recall(candidate.path) if checker else {}) or {}
            if found is None or {**current, **data} == current:
                found = (candidate, current)
                if {**current, **data} == current:
                    break
        if found is not None:
            candidate, current = found
            claimed[candidate.path] = (row.number, said)
            merged = {**current, **data}
            entry.path, entry.before, entry.after = candidate.path, dict(current), merged
            entry.status = UNCHANGED if merged == current else UPDATED
            if checker is not None and entry.status == UPDATED:
                checker.add(entry)
            continue
        stem = data["at"].replace(" ", "-").replace(":", "")
        try:
            folder = followup_folder(data["customer"])
        except UnsafeId as exc:
            entry.reasons.append(exc.text(_))
            continue
        path = f"{folder}/{stem}.yaml"
        n = 2
        while path in used:
            path = f"{folder}/{stem}-{n}.yaml"
            n += 1
        used.add(path)
        existing.setdefault(key, []).append(_Pending(path, data if checker is None else None))
        claimed[path] = (row.number, said)
        entry.path, entry.after, entry.status = path, data, NEW
        if checker is not None:
            checker.add(entry)
    return plan


@dataclass
class _Pending:
    path: str
    data: dict[str, Any] | None
