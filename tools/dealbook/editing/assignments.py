"""`KEY=VALUE` edits typed on the command line: read by the schema, applied, and what one would remove."""

from __future__ import annotations

import re
from collections import Counter
from dataclasses import dataclass
from typing import Any

from ..records.settings import Settings
from .edits import is_free_form, parse_value, schema_at
from .roundtrip import Document, EditError, set_result, split_path

# Changed through their own commands so that history and ids stay consistent.
GUARDED = {"id": "an id never changes once created",
           "stage": "use `dealbook move ID STAGE`, which also records stage_history",
           "stage_history": "use `dealbook move ID STAGE`"}

_ABSENT = object()


@dataclass(frozen=True)
class Assignment:
    """One `KEY=VALUE`: the dotted key, its parts, the value (None: remove the field or item).

    `free_from` is the first part that lies in a mapping whose keys the schema leaves free (custom:),
    None when there is none: there a number is an item's index only in a list the record already
    holds, and a key otherwise (`custom.2024=x`); elsewhere the schema says list or mapping."""

    key: str
    parts: tuple
    value: Any
    free_from: int | None = None

    def placed(self, doc: Document) -> list:
        """The parts as they fall in `doc`: a number in a free-form mapping is a key (`2024`, or
        `'2024'` where the file writes that key quoted)."""
        parts = list(self.parts)
        if self.free_from is None:
            return parts
        holder = doc.data
        for index, part in enumerate(parts):
            if index >= self.free_from and isinstance(part, int) and isinstance(holder, dict) \
                    and part not in holder and str(part) in holder:
                parts[index] = part = str(part)
            if isinstance(holder, dict):
                holder = holder.get(part)
            elif isinstance(holder, list) and isinstance(part, int) and 0 <= part < len(holder):
                holder = holder[part]
            else:
                holder = None
        return parts

    def apply(self, doc: Document) -> None:
        """Make the edit in `doc` (raises EditError when the path cannot be edited)."""
        parts = self.placed(doc)
        if self.value is None:
            doc.delete(parts)
            return
        missing = self._first_missing(doc, parts)
        if missing is not None and self.free_from is not None and missing + 1 >= self.free_from \
                and missing < len(parts) - 1:
            # a mapping that is not there yet under custom: made whole, so a number in the path
            # becomes a key of it rather than an index into a list that would have to be invented
            value = self.value
            for part in reversed(parts[missing + 1:]):
                value = {part: value}
            doc.set(parts[:missing + 1], value)
        else:
            doc.set(parts, self.value)

    @staticmethod
    def _first_missing(doc: Document, parts: list) -> int | None:
        holder = doc.data
        for index, part in enumerate(parts):
            in_list = isinstance(holder, list) and isinstance(part, int) and 0 <= part < len(holder)
            if not in_list and not (isinstance(holder, dict) and holder.get(part) is not None):
                return index
            holder = holder[part]
        return None

    def losses(self, doc: Document) -> str:
        """What the edit would remove from `doc`, in words ('' when it keeps all there is): the items
        of a list, or the keys of a mapping, that the new value leaves out or changes, or a recorded
        fact (FACTS) that it removes or changes, or anything added to a quote that holds an approval
        or to the payment plan of a contract that holds one."""
        parts = self.placed(doc)
        old = doc.get(parts, _ABSENT)
        if old is _ABSENT or old is None:
            return approved_added(parts, self.value, doc.data)
        return (dropped(old, self.value) or fact_changed(parts, old, self.value, doc.data)
                or approved_added(parts, self.value, doc.data, old))


def value_at(data: Any, parts: list, default: Any = None) -> Any:
    """The value at a typed path (`split_path`) in record data, or `default`: a number is an item's index
    in a list, and a key in a mapping (`custom.2024`, written plain or quoted)."""
    value = data
    for part in parts:
        if isinstance(value, dict) and part not in value and isinstance(part, int) and str(part) in value:
            part = str(part)
        in_list = isinstance(value, list) and isinstance(part, int) and 0 <= part < len(value)
        if not in_list and not (isinstance(value, dict) and part in value):
            return default
        value = value[part]
    return value


def read_assignment(text: str, settings: Settings) -> Assignment:
    """`KEY=VALUE` read as the customer schema types KEY (raises ValueError saying what is wrong).

    An empty VALUE (or `null`) removes the field, or the list item (`contacts.2=`); `""` is an empty text."""
    if "=" not in text:
        raise ValueError(f"`{text}`: write KEY=VALUE")
    key, raw = text.split("=", 1)
    key = key.strip()
    try:
        parts = split_path(key)
    except EditError as exc:
        raise ValueError(str(exc)) from None
    if str(parts[0]) in GUARDED:
        raise ValueError(f"`{key}` cannot be set here: {GUARDED[str(parts[0])]}")
    negative = next((p for p in parts if isinstance(p, str) and re.fullmatch(r"-[0-9]+", p)), None)
    if negative is not None:
        raise ValueError(f"`{key}`: list items are numbered from 0 (`.0` is the first), not from the end: "
                         f"write the item's number instead of `{negative}`")
    schema = schema_at("customer", parts, settings)
    if schema is None:
        raise ValueError(f"unknown field `{key}`: see schemas/customer.schema.json "
                         "(team-specific data goes under custom.…)")
    free_from = next((index for index in range(1, len(parts))
                      if is_free_form(schema_at("customer", parts[:index], settings) or {})), None)
    if raw.strip() in ("", "null", "~"):
        return Assignment(key, tuple(parts), None, free_from)
    if raw.strip() in ('""', "''") and "string" in str(schema.get("type")):
        return Assignment(key, tuple(parts), "", free_from)  # an empty text, as YAML reads it (not the two quotes)
    return Assignment(key, tuple(parts), parse_value(raw, schema, key), free_from)


def approvals_added(before: Any, after: Any) -> list[str]:
    """The quote and contract approvals in the record data `after` that `before` does not hold, in
    words: `dealbook approve` writes them, having checked who may approve (never the owner)."""
    def held(data: Any) -> Counter:
        found: Counter = Counter()
        for group in ("quotes", "contracts"):
            items = data.get(group) if isinstance(data, dict) else None
            for item in items if isinstance(items, list) else []:
                approvals = item.get("approvals") if isinstance(item, dict) else None
                for approval in approvals if isinstance(approvals, list) else []:
                    words = (f"{approval.get('step')} by {approval.get('by')} on {approval.get('on')}"
                             if isinstance(approval, dict) else repr(approval))
                    found[(group, str(item.get("no")), words)] += 1
        return found

    before_held = Counter((group, text) for (group, _, text), n in held(before).items() for _ in range(n))
    added = []
    for (group, number, text), count in held(after).items():
        for _ in range(count):
            if before_held[(group, text)]:
                before_held[(group, text)] -= 1  # kept, maybe under a renumbered item
            else:
                added.append(f"{group[:-1]} {number}: {text}")
    return added


# Facts the record holds that reports, due dates and the checks count from: removing or changing one
# that holds a value (un-signing a contract, un-receiving money) needs --replace, as removing a list's
# item does; filling in one that is empty is how it is recorded. A path's numbers stand for any item;
# a quote's status counts once it holds the customer's answer (a draft is marked sent with `set`).
# Every value of a quote or contract that holds an approval counts too: the approval was given for it.
FACTS = {
    ("contracts", int, "signed"): "the signing date of contract {contract}",
    ("contracts", int, "delivered"): "the delivery date of contract {contract}",
    ("contracts", int, "payments", int, "received_on"): "the date instalment {payment} of contract {contract} "
                                                        "was received",
    ("contracts", int, "payments", int, "received_amount"): "the amount received for instalment {payment} of "
                                                            "contract {contract}",
    ("quotes", int, "status"): "the customer's answer to quote {quote}",
    ("lost", "reason"): "the reason the deal was lost",
    ("lost", "on"): "the date the deal was lost",
}
_ANSWERS = ("accepted", "rejected")


def fact_changed(parts: list, old: Any, new: Any, data: Any) -> str:
    """The recorded fact (FACTS) at `parts` that replacing `old` by `new` (None: removing it) loses,
    in words; '' when `parts` holds no such fact, when it is empty, or when `new` is the same."""
    pattern = tuple(int if isinstance(part, int) else part for part in parts)
    what = FACTS.get(pattern)
    if old in (None, "") or old == new or isinstance(old, (dict, list)):
        return ""
    if pattern == ("quotes", int, "status"):
        what = what if old in _ANSWERS else None  # draft → sent → accepted is the quote's course
    elif what is None and _approved(data, parts):
        what = f"{'.'.join(map(str, parts[2:]))} ({{old}}) of approved {parts[0][:-1]} {{{parts[0][:-1]}}}"
    if what is None:
        return ""

    def number(group: str, index: int) -> str:
        items = data.get(group) if isinstance(data, dict) else None
        item = items[index] if isinstance(items, list) and index < len(items) else None
        return str(item.get("no")) if isinstance(item, dict) and item.get("no") else f"{index}"

    words = what.format(contract=number("contracts", parts[1]) if parts[0] == "contracts" else "",
                        quote=number("quotes", parts[1]) if parts[0] == "quotes" else "",
                        payment=parts[3] if len(parts) > 3 else "", old=_label(old))
    said = words if "{old}" in what else f"{words} ({_label(old)})"
    return f"removes {said}" if new is None else f"changes {said}"


def approved_added(parts: list, new: Any, data: Any, old: Any = None) -> str:
    """What an edit adds to a quote or contract that holds an approval, in words ('' when nothing):
    to a quote, a line, a cost, more items in a list (its status aside); to a contract, an instalment
    of its payment plan, or the due date or amount of one. The approval was given for them as they
    were; a contract's receipts, notes, signing and delivery are recorded after it and add nothing."""
    if new is None or new == old:
        return ""
    if parts[0] == "contracts" and len(parts) >= 2 and isinstance(parts[1], int):
        return _plan_added(parts, new, data)
    if parts[0] != "quotes" or not _approved(data, parts) or parts[2] == "status":
        return ""
    number = value_at(data, [*parts[:2], "no"], parts[1])
    return f"adds to approved quote {number} ({'.'.join(map(str, parts[2:]))}: {_label(new)})"


_TERMS = ("due", "amount")  # what an instalment of the payment plan is; the rest records its course


def _plan_added(parts: list, new: Any, data: Any) -> str:
    """The instalments, or the due dates and amounts of instalments, that writing `new` at `parts`
    adds to the payment plan of an approved contract, in words ('' when none, or not approved).
    What it removes or changes is `dropped`'s and `fact_changed`'s to say."""
    contract = value_at(data, parts[:2])
    if not isinstance(contract, dict) or not contract.get("approvals"):
        return ""
    try:
        after = set_result(contract, parts[2:], new)
    except EditError:  # not an edit that can be made: applying it says why
        return ""

    def plan(value: Any) -> list:
        payments = value.get("payments") if isinstance(value, dict) else None
        return [p if isinstance(p, dict) else {} for p in payments] if isinstance(payments, list) else []

    was, becomes = plan(contract), plan(after)
    added = []
    for index, payment in enumerate(becomes):
        if index >= len(was):
            due = payment.get("due")
            added.append(f"instalment {index}" + (f" (due {due})" if due not in (None, "") else ""))
            continue
        added += [f"the {term} of instalment {index} ({_label(payment[term])})" for term in _TERMS
                  if was[index].get(term) in (None, "") and payment.get(term) not in (None, "")]
    if not added:
        return ""
    number = contract.get("no") or parts[1]
    return f"adds {', '.join(added)} to the payment plan of approved contract {number}"


def _approved(data: Any, parts: list) -> bool:
    """Whether `parts` lies inside a quote or contract that holds an approval (its approvals aside:
    `dealbook approve` writes them, and `set` refuses to)."""
    if len(parts) < 3 or parts[0] not in ("quotes", "contracts") or not isinstance(parts[1], int) \
            or parts[2] == "approvals":
        return False
    item = value_at(data, parts[:2])
    return isinstance(item, dict) and bool(item.get("approvals"))


def dropped(old: Any, new: Any) -> str:
    """What replacing `old` by `new` (None: removing it) loses, in words; '' when `old` is a single
    value or an empty list or mapping, or when `new` keeps every item and key of `old` unchanged."""
    if isinstance(old, list) and old:
        remaining = list(new) if isinstance(new, list) else []
        gone = []
        for index, item in enumerate(old):
            if item in remaining:
                remaining.remove(item)
            else:
                gone.append(f"item {index} ({_label(item)})")
        return _listed(gone)
    if isinstance(old, dict) and old:
        if not isinstance(new, dict):
            return f"removes it ({_label(old)})"
        kept = new
        gone = [f"{key} ({_label(value)})" for key, value in old.items() if key not in kept]
        changed = [f"{key} ({_label(value)})" for key, value in old.items() if key in kept and kept[key] != value]
        said = [part for part in (_listed(gone), _listed(changed, "changes ")) if part]
        return "; ".join(said)
    return ""


def _listed(items: list[str], verb: str = "removes ") -> str:
    return verb + ", ".join(items) if items else ""


_NAMES = ("no", "name", "item", "step", "stage", "due", "date", "summary")


def _label(value: Any) -> str:
    """A short description of a value: an item by its number or name, what a contract holds."""
    if isinstance(value, dict):
        name = next((f"{key} {value[key]}" for key in _NAMES if value.get(key) not in (None, "")), None)
        facts = [name] if name else []
        if value.get("signed"):
            facts.append(f"signed {value['signed']}")
        payments = [p for p in value.get("payments") or [] if isinstance(p, dict)]
        received = [p for p in payments if p.get("received_on")]
        if payments:
            facts.append(f"{len(payments)} instalment{'s' * (len(payments) != 1)}, {len(received)} received")
        if value.get("received_on"):
            facts.append(f"received {value['received_on']}")
        return ", ".join(facts) or f"{len(value)} key{'s' * (len(value) != 1)}"
    if isinstance(value, list):
        return f"{len(value)} item{'s' * (len(value) != 1)}"
    text = str(value)
    return text if len(text) <= 40 else text[:39] + "…"
