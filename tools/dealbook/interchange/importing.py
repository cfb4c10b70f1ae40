"""Turn customer sheet rows into customer records: a plan of new, updated, unchanged, rejected.

The plan's types are in `import_plan`, cell conversion in `import_fields`, the pre-write check in
`import_check`, follow-up rows in `import_followups`; their public names are re-exported here for
the command and the tests."""

from __future__ import annotations

import copy
import datetime as dt
import os
from collections.abc import Callable, Iterable
from typing import Any

from ..checks.filechecks import move_problem
from ..records.book import Book
from ..records.losses import is_lost_stage, kept_on_entry
from ..records.model import CUSTOMERS_DIR, customer_path, id_problem
from ..records.settings import Settings
from ..text.catalog import N_, said, translator
from .import_check import Checker, check_plan
from .import_fields import CustomerRows, industry_of, split_contact, split_size
from .import_followups import plan_followups
from .import_match import legacy_ids, name_key
from .import_plan import NEW, REJECTED, UNCHANGED, UPDATED, Options, Plan, Planned
from .sheets import CUSTOMERS, BadValue, Row, Sheet, at_cell, to_text


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
            kept = kept_on_entry(before, settings) if is_lost_stage(settings, stage) or (
                isinstance(previous, str) and is_lost_stage(settings, previous)) else None
            if kept is not None:  # re-opened or lost again: the latest loss keeps its reason on its entry
                history[kept[0]] = {**history[kept[0]], **kept[1]}
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
        self.full: dict[str, Any] = {}  # prefix -> why no id is left (a str or a Said)
        self.taken: set[str] = {c.id for c in book.customers.values()}

    def allocate(self, data: dict[str, Any]) -> str:
        from ..records.ids import IdError, letters_for_industry, next_id, province_of

        settings = self.book.settings
        # the region, else a company name that starts with its city (深圳市某某科技), else --province
        province = (province_of(str(data.get("region") or ""), settings)
                    or province_of(str(data.get("name") or ""), settings)
                    or (province_of(self.options.province, settings) if self.options.province else None))
        if province is None:
            raise BadValue(said(N_("the id needs a province: give 所在地区 (region, e.g. 广东深圳) or --province 粤")))
        letters = letters_for_industry(str(data.get("industry") or ""), settings)
        if letters is None:
            raise BadValue(said(N_("the id needs industry letters: give 所属行业 as a GB/T 4754 code (e.g. C3970)")))
        year = int(str(data.get("created") or self.options.today.isoformat())[:4])
        prefix = f"{province}{letters}{year}"
        digits = int(settings.raw["ids"].get("sequence_digits", 3))
        if prefix in self.full:
            raise BadValue(self.full[prefix])
        if prefix not in self.last:
            try:
                first = next_id(self.book, province, letters, year)
            except IdError as exc:
                self.full[prefix] = exc.said or str(exc)  # remembered: next_id scans every id, once per prefix
                raise BadValue(self.full[prefix]) from None
            self.last[prefix] = int(first[len(prefix):]) - 1
        while True:
            self.last[prefix] += 1
            if self.last[prefix] >= 10 ** digits:
                self.full[prefix] = said(N_("all ids of %(prefix)s are used: raise ids.sequence_digits in "
                                            "dealbook.yaml"), prefix=prefix)
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
    _ = translator(settings.language)  # the rows' reasons
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
            entry.reasons.append(exc.text(_))
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
                    raise BadValue(said(N_("客户名称 (name) is empty")))
                entry.path, entry.after, entry.status = customer_path(data["id"]), data, NEW
                by_name[name] = by_name[name_key(name)] = data["id"]
        except BadValue as exc:
            entry.status, entry.reasons = REJECTED, [at_cell(row.where(exc.field, exc.field), exc.message).say(_)
                                                     if exc.field else exc.text(_)]
            if path and path not in pending:
                refused.setdefault(path, []).append(entry)
            continue
        # the earlier rows of this customer in the sheet: superseded if this one stands, left as they are if not
        shadowed = [*([earlier] if earlier is not None else []), *refused.get(entry.path, [])]
        if checker is not None and entry.status in (NEW, UPDATED):
            checker.add(entry, at_once=bool(shadowed))
        if entry.status == REJECTED:
            if earlier is not None and earlier.status != REJECTED:
                entry.reasons.append(_("row %(row)s of this customer is imported without this row", row=earlier.row))
            if entry.path not in pending:
                refused.setdefault(entry.path, []).append(entry)
            continue
        if shadowed:  # the later row of the customer is the one that stands
            for older in shadowed:
                superseded = _("superseded by row %(row)s", row=row.number)
                older.status, older.reasons, older.path = UNCHANGED, [superseded], ""
            refused.pop(entry.path, None)
            if checker is not None and entry.status == UNCHANGED:
                checker.discard(entry.path)  # the earlier row's change is undone by this one: nothing to write
        pending[entry.path] = entry
    return plan


def _last_data(rows: list[Planned]) -> dict[str, Any]:
    """The record the last of these rejected rows would have written ({} when none got that far)."""
    return next((dict(r.after) for r in reversed(rows) if r.after), {})


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
