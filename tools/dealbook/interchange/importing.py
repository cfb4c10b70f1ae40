"""Turn spreadsheet rows into customer and follow-up records: a plan of new, updated, unchanged, rejected.

The plan's types are in `import_plan`, cell conversion in `import_fields`, the pre-write check in
`import_check`; their public names are re-exported here for the command and the tests."""

from __future__ import annotations

import copy
import datetime as dt
import os
import re
import unicodedata
from collections.abc import Callable, Iterable
from dataclasses import dataclass
from typing import Any

from ..checks.filechecks import move_problem
from ..records.book import Book
from ..records.dates import parse_time
from ..records.model import CUSTOMERS_DIR, UnsafeId, customer_path, followup_folder, id_problem
from ..records.settings import Settings
from .followup_cells import help_cell, next_steps
from .import_check import Checker, check_plan
from .import_fields import (
    METHOD_WORDS,
    OUTCOME_WORDS,
    CustomerRows,
    Vocabulary,
    industry_of,
    json_value,
    keep_extra,
    member_handle,
    normalise,
    split_contact,
    split_size,
)
from .import_plan import NEW, REJECTED, UNCHANGED, UPDATED, Options, Plan, Planned
from .sheets import CUSTOMERS, BadValue, Row, Sheet, to_date, to_datetime, to_text


def name_key(name: str) -> str:
    """A company name as a row is matched by when it is not written exactly alike: full-width
    letters, digits and brackets as half-width, no spaces (`Ａ科技（深圳）有限公司` is `A科技(深圳)有限公司`)."""
    return re.sub(r"\s+", "", unicodedata.normalize("NFKC", name))


def legacy_ids(book: Book) -> dict[str, str]:
    """The old sheet's customer numbers an import kept (`custom.legacy_id`) -> the customer's id: a
    later sheet that names a customer by its old number (KH001) means that customer."""
    found: dict[str, str] = {}
    for customer in book.customers.values():
        custom = (customer.data or {}).get("custom")
        if isinstance(custom, dict) and custom.get("legacy_id") not in (None, ""):
            found.setdefault(str(custom["legacy_id"]).strip(), customer.id)
    return found


# --- merging -------------------------------------------------------------------------------
def merge_customer(before: dict[str, Any], given: dict[str, Any], today: dt.date,
                   settings: Settings) -> dict[str, Any]:
    """The existing record with the sheet's values laid over it; nothing the sheet lacks is dropped."""
    after = copy.deepcopy(before)
    given = dict(given)
    contract = given.pop("_contract", None)
    stage = given.pop("stage", None)
    contacts = given.pop("_contacts", None)
    for key, value in given.items():
        if isinstance(value, dict) and isinstance(after.get(key), dict):
            after[key] = _deep_merge(after[key], value)
        else:
            after[key] = value
    if contacts is not None:
        after["contacts"] = _merge_contacts(after.get("contacts") or [], contacts)
    if contract:
        contracts = list(after.get("contracts") or [])
        index = next((i for i, c in enumerate(contracts) if c.get("no") == contract.get("no")), None)
        if index is None:
            contracts.append(contract)
        else:
            contracts[index] = {**contracts[index], **contract}
        after["contracts"] = contracts
    if stage is not None and stage != after.get("stage"):
        if "stage_history" not in given:
            history = list(after.get("stage_history") or [])
            previous = history[-1].get("stage") if history and isinstance(history[-1], dict) else None
            problem = move_problem(previous, stage, settings) if previous else None
            if problem:
                raise BadValue(problem, "status")
            history.append({"stage": stage, "on": today.isoformat()})
            after["stage_history"] = history
        after["stage"] = stage
    return after


def _deep_merge(base: dict[str, Any], over: dict[str, Any]) -> dict[str, Any]:
    merged = dict(base)
    for key, value in over.items():
        merged[key] = _deep_merge(merged[key], value) if isinstance(value, dict) and isinstance(merged.get(key), dict) \
            else value
    return merged


def _merge_contacts(existing: list[Any], given: list[dict[str, Any]]) -> list[Any]:
    merged = [dict(c) if isinstance(c, dict) else c for c in existing]
    for contact in given:
        index = next((i for i, c in enumerate(merged) if isinstance(c, dict) and c.get("name") == contact.get("name")),
                     None)
        if index is None:
            merged.append(contact)
        else:
            kept = merged[index]
            update = dict(contact)
            if "role" in kept:
                update.pop("role", None)  # a guessed role never overrides the one recorded
            merged[index] = {**kept, **update}
    return merged


def new_customer(given: dict[str, Any], today: dt.date) -> dict[str, Any]:
    """A new record from the sheet's fields, with the stage history the status implies."""
    data = dict(given)
    contract = data.pop("_contract", None)
    if contract:
        data["contracts"] = [contract]
    if "_contacts" in data:
        data["contacts"] = data.pop("_contacts")
    data.setdefault("created", today.isoformat())
    if "stage" not in data:
        data["stage"] = "lead"
    data.setdefault("stage_history", [{"stage": data["stage"], "on": str(data["created"])[:10]}])
    return data


# --- planning -------------------------------------------------------------------------------
class IdAllocator:
    """Hands out ids by the id rule, continuing past the ids this import already gave."""

    def __init__(self, book: Book, options: Options) -> None:
        self.book = book
        self.options = options
        self.last: dict[str, int] = {}
        self.full: dict[str, str] = {}  # prefix -> why no id is left
        self.taken: set[str] = {c.id for c in book.customers.values()}

    def allocate(self, data: dict[str, Any]) -> str:
        from ..records.ids import IdError, letters_for_industry, next_id, province_of

        settings = self.book.settings
        # the region, else a company name that starts with its city (深圳市某某科技), else --province
        province = (province_of(str(data.get("region") or ""), settings)
                    or province_of(str(data.get("name") or ""), settings)
                    or (province_of(self.options.province, settings) if self.options.province else None))
        if province is None:
            raise BadValue("the id needs a province: give 所在地区 (region, e.g. 广东深圳) or --province 粤")
        letters = letters_for_industry(str(data.get("industry") or ""), settings)
        if letters is None:
            raise BadValue("the id needs industry letters: give 所属行业 as a GB/T 4754 code (e.g. C3970)")
        year = int(str(data.get("created") or self.options.today.isoformat())[:4])
        prefix = f"{province}{letters}{year}"
        digits = int(settings.raw["ids"].get("sequence_digits", 3))
        if prefix in self.full:
            raise BadValue(self.full[prefix])
        if prefix not in self.last:
            try:
                first = next_id(self.book, province, letters, year)
            except IdError as exc:
                self.full[prefix] = str(exc)  # remembered: next_id scans every id, once per prefix is enough
                raise BadValue(str(exc)) from None
            self.last[prefix] = int(first[len(prefix):]) - 1
        while True:
            self.last[prefix] += 1
            if self.last[prefix] >= 10 ** digits:
                self.full[prefix] = f"all ids of {prefix} are used: raise ids.sequence_digits in dealbook.yaml"
                raise BadValue(self.full[prefix])
            candidate = f"{prefix}{self.last[prefix]:0{digits}d}"
            if candidate not in self.taken:
                self.taken.add(candidate)
                return candidate


def plan_customers(sheet: Sheet, book: Book, options: Options,
                   progress: Callable[[Iterable[Row]], Iterable[Row]] = lambda rows: rows,
                   checker: Checker | None = None) -> Plan:
    """What importing the customer sheet would do, row by row (nothing is written).

    With a `checker`, each new or changed record is rendered and checked as soon as it is planned."""
    settings = book.settings
    reader = CustomerRows(settings, book.members, options)
    by_name: dict[str, str] = {}  # name_key -> id
    for customer in book.customers.values():
        by_name.setdefault(customer.name.strip(), customer.id)
    for customer in book.customers.values():
        by_name.setdefault(name_key(customer.name), customer.id)
    ids = IdAllocator(book, options)
    legacy = legacy_ids(book)
    plan = Plan(CUSTOMERS, notes=list(sheet.notes))
    pending: dict[str, Planned] = {}  # path -> the entry of an earlier row in this sheet
    refused: dict[str, list[Planned]] = {}  # path -> the earlier rows of this customer that were rejected
    for row in progress(sheet.rows()):
        entry = Planned(row.number, REJECTED)
        plan.entries.append(entry)
        entry.label = to_text(row.values.get("name") or row.values.get("id") or "")
        try:
            given = reader.fields(row)
        except BadValue as exc:
            entry.reasons.append(str(exc))
            continue
        name = str(given.get("name") or "").strip()
        entry.label = name or str(given.get("id") or "")
        cid = str(given.get("id") or "")
        target = cid if cid in book.customers else legacy.get(cid) if cid in legacy \
            else by_name.get(name) or by_name.get(name_key(name)) if name else None
        if target is None and cid and id_problem(cid) is None and customer_path(cid) in pending:
            target = cid
        if target is None and not cid and name and (name in by_name or name_key(name) in by_name):
            target = by_name.get(name) or by_name[name_key(name)]
        path = ""
        earlier: Planned | None = None
        try:
            if target is not None:
                path = book.customers[target].path if target in book.customers else customer_path(target)
                earlier = pending.get(path)
                before = (earlier.after if earlier is not None and earlier.after
                          else checker.recall(path) if earlier is not None and checker is not None
                          else dict(book.customers[target].data) if target in book.customers
                          else _last_data(refused.get(path, [])))  # a new customer's row refused by the check
                given.pop("id", None)
                if name and name_key(name) == name_key(str(before.get("name") or "")):
                    given["name"] = before["name"]  # written otherwise alike (（）, spaces): the record keeps its own
                after = merge_customer(before, given, options.today, settings)
                original = dict(book.customers[target].data) if target in book.customers else None
                entry.path, entry.before, entry.after = path, original, after
                entry.status = NEW if original is None else UNCHANGED if after == original else UPDATED
            else:
                data = new_customer(given, options.today)
                if cid and (id_problem(cid) is not None or not settings.id_pattern.match(cid)):
                    data.setdefault("custom", {})["legacy_id"] = cid
                    data.pop("id")
                if "id" not in data:
                    data = {"id": ids.allocate(data), **data}
                else:
                    ids.taken.add(data["id"])
                if not name:
                    raise BadValue("客户名称 (name) is empty")
                entry.path, entry.after, entry.status = customer_path(data["id"]), data, NEW
                by_name[name] = by_name[name_key(name)] = data["id"]
        except BadValue as exc:
            entry.status, entry.reasons = REJECTED, [f"{row.where(exc.field, exc.field)}: {exc}" if exc.field
                                                     else str(exc)]
            if path and path not in pending:
                refused.setdefault(path, []).append(entry)
            continue
        # the earlier rows of this customer in the sheet: superseded if this one stands, left as they are if not
        shadowed = [*([earlier] if earlier is not None else []), *refused.get(entry.path, [])]
        if checker is not None and entry.status in (NEW, UPDATED):
            checker.add(entry, at_once=bool(shadowed))
        if entry.status == REJECTED:
            if earlier is not None and earlier.status != REJECTED:
                entry.reasons.append(f"row {earlier.row} of this customer is imported without this row")
            if entry.path not in pending:
                refused.setdefault(entry.path, []).append(entry)
            continue
        if shadowed:  # the later row of the customer is the one that stands
            for older in shadowed:
                older.status, older.reasons, older.path = UNCHANGED, [f"superseded by row {row.number}"], ""
            refused.pop(entry.path, None)
            if checker is not None and entry.status == UNCHANGED:
                checker.discard(entry.path)  # the earlier row's change is undone by this one: nothing to write
        pending[entry.path] = entry
    return plan


def _last_data(rows: list[Planned]) -> dict[str, Any]:
    """The record the last of these rejected rows would have written ({} when none got that far)."""
    return next((dict(r.after) for r in reversed(rows) if r.after), {})


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
                problems.append(f"{row.where('customer_name', '客户名称')}: `{name}` is not a customer in the repo: "
                                + (f"did you mean {near}? Write the name exactly as the customer has it, or give "
                                   "客户编号" if near else "import the customer sheet first"))
        if not cid and not problems:
            problems.append("the row names no customer (客户编号 or 客户名称)")
        data["customer"] = cid
        try:
            moment, has_time = to_datetime(v.get("at", ""), self.half_days)
            if not has_time:
                hour, minute = (int(x) for x in self.options.default_time.split(":"))
                moment = moment.replace(hour=hour, minute=minute)
            data["at"] = moment.strftime("%Y-%m-%d %H:%M")
        except BadValue as exc:
            problems.append(f"{row.where('at', '跟进日期 (at)')}: {exc}")
        data["method"] = self.method(to_text(v.get("method", "")))
        try:
            data["by"] = member_handle(self.book.members, to_text(v.get("by", "")), "跟进人 (by)")
        except BadValue as exc:
            problems.append(f"{row.where('by', '跟进人 (by)')}: {exc}")
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
                        tags.append(self.words.pick(self.words.objections, word, "objection"))
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
                problems.append(str(exc))
        elif "next.action" in v:
            due = None
            if "next.due" in v:
                try:
                    due = to_date(v["next.due"])
                except BadValue as exc:
                    problems.append(f"{row.where('next.due', '完成时限 (due)')}: {exc}")
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
                problems.append(f"{row.where('help.due', '协助时限 (help.due)')}: {exc}")
        if help_:
            data["help"] = help_
        if "custom" in v:
            try:
                data["custom"] = json_value(v["custom"], "custom")
            except BadValue as exc:
                problems.append(str(exc))
        keep_extra(row, data)
        if problems:
            raise BadValue("; ".join(problems))
        return data

    def near_names(self, name: str) -> str:
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
        return " or ".join(f"{full} ({cid})" for full, cid in sorted(found)[:3])

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
            entry.reasons.append(str(exc))
            continue
        entry.label = f"{data['customer']} {data['at']}"
        key = (data["customer"], data["at"])
        said = repr(sorted(data.items()))
        twin = next((claimed[f.path][0] for f in existing.get(key, ())
                     if f.path in claimed and claimed[f.path][1] == said), None)
        if twin is not None:  # the same row twice in the sheet: one follow-up
            entry.status, entry.reasons = UNCHANGED, [f"the same follow-up as row {twin}"]
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
            entry.reasons.append(str(exc))
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


def apply_plan(root: str, texts: dict[str, str], read: dict[str, bytes | None] | None = None,
               progress: Callable[[Iterable[str]], Iterable[str]] = lambda x: x) -> int:
    """Write the checked records (each atomically, flushed to disk together); the number written.

    `read` holds the bytes each updated file had when the plan read it: nothing is written when one
    has changed since, or when a new record's name has been taken (StaleFile, PathTaken)."""
    from ..records.writing import write_checked

    read = read or {}
    return write_checked(root, [(os.path.join(root, p), texts[p], read.get(p)) for p in sorted(texts)], progress,
                         flush_once=True)


def customers_dir_exists(root: str) -> bool:
    return os.path.isdir(os.path.join(root, CUSTOMERS_DIR))


__all__ = ["NEW", "REJECTED", "UNCHANGED", "UPDATED", "Checker", "Options", "Plan", "Planned", "apply_plan",
           "check_plan", "industry_of", "merge_customer", "plan_customers", "plan_followups", "split_contact",
           "split_size"]
