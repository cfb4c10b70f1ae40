"""`KEY=VALUE` edits typed on the command line: read by the schema, applied, and what one would remove."""

from __future__ import annotations

import re
from collections import Counter
from dataclasses import dataclass
from typing import Any

from ..records.settings import Settings
from ..text.catalog import N_, Translator, translator
from .edits import is_free_form, parse_value, schema_at
from .roundtrip import Document, EditError, set_result, split_path

# Changed through their own commands so that history and ids stay consistent.
GUARDED = {"id": N_("an id never changes once created"),
           "stage": N_("use `dealbook move ID STAGE`, which also records stage_history"),
           "stage_history": N_("use `dealbook move ID STAGE`")}

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

    def losses(self, _: Translator, doc: Document) -> str:
        """What the edit would remove from `doc`, in words ('' when it keeps all there is): the items
        of a list, or the keys of a mapping, that the new value leaves out or changes, or a recorded
        fact (FACTS) that it removes or changes, or anything added to a quote that holds an approval
        or to the payment plan of a contract that holds one."""
        parts = self.placed(doc)
        old = doc.get(parts, _ABSENT)
        if old is _ABSENT or old is None:
            return approved_added(_, parts, self.value, doc.data)
        return (dropped(_, old, self.value) or fact_changed(_, parts, old, self.value, doc.data)
                or approved_added(_, parts, self.value, doc.data, old))


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

    An empty VALUE (or `null`) removes the field, or the list item (`contacts.2=`); `""` is an empty text.
    The message is in the team's language."""
    _ = translator(settings.language)
    if "=" not in text:
        raise ValueError(_("`%(text)s`: write KEY=VALUE", text=text))
    key, raw = text.split("=", 1)
    key = key.strip()
    try:
        parts = split_path(key)
    except EditError as exc:
        raise ValueError(exc.text(_)) from None
    if str(parts[0]) in GUARDED:
        raise ValueError(_("`%(key)s` cannot be set here: %(why)s", key=key, why=_(GUARDED[str(parts[0])])))
    negative = next((p for p in parts if isinstance(p, str) and re.fullmatch(r"-[0-9]+", p)), None)
    if negative is not None:
        raise ValueError(_("`%(key)s`: list items are numbered from 0 (`.0` is the first), not from the end: "
                           "write the item's number instead of `%(part)s`", key=key, part=negative))
    schema = schema_at("customer", parts, settings)
    if schema is None:
        raise ValueError(_("unknown field `%(key)s`: see schemas/customer.schema.json "
                           "(team-specific data goes under custom.…)", key=key))
    free_from = next((index for index in range(1, len(parts))
                      if is_free_form(schema_at("customer", parts[:index], settings) or {})), None)
    if raw.strip() in ("", "null", "~"):
        return Assignment(key, tuple(parts), None, free_from)
    if raw.strip() in ('""', "''") and "string" in str(schema.get("type")):
        return Assignment(key, tuple(parts), "", free_from)  # an empty text, as YAML reads it (not the two quotes)
    return Assignment(key, tuple(parts), parse_value(raw, schema, key, _), free_from)


_APPROVAL_OF = {"quotes": N_("quote %(number)s: %(approval)s"),
                "contracts": N_("contract %(number)s: %(approval)s")}


def approvals_added(_: Translator, before: Any, after: Any) -> list[str]:
    """The quote and contract approvals in the record data `after` that `before` does not hold, in
    words: `dealbook approve` writes them, having checked who may approve (never the owner)."""
    def held(data: Any) -> Counter:
        found: Counter = Counter()
        for group in ("quotes", "contracts"):
            items = data.get(group) if isinstance(data, dict) else None
            for item in items if isinstance(items, list) else []:
                approvals = item.get("approvals") if isinstance(item, dict) else None
                for approval in approvals if isinstance(approvals, list) else []:
                    words = (_("%(step)s by %(by)s on %(on)s", step=approval.get("step"), by=approval.get("by"),
                               on=approval.get("on"))
                             if isinstance(approval, dict) else repr(approval))
                    found[(group, str(item.get("no")), words)] += 1
        return found

    before_held = Counter((group, text) for (group, _number, text), n in held(before).items() for _i in range(n))
    added = []
    for (group, number, text), count in held(after).items():
        for _i in range(count):
            if before_held[(group, text)]:
                before_held[(group, text)] -= 1  # kept, maybe under a renumbered item
            else:
                added.append(_(_APPROVAL_OF[group], number=number, approval=text))
    return added


# Facts the record holds that reports, due dates and the checks count from: removing or changing one
# that holds a value (un-signing a contract, un-receiving money) needs --replace, as removing a list's
# item does; filling in one that is empty is how it is recorded. A path's numbers stand for any item;
# a quote's status counts once it holds the customer's answer (a draft is marked sent with `set`).
# Every value of a quote or contract that holds an approval counts too: the approval was given for it.
FACTS = {
    ("contracts", int, "signed"): N_("the signing date of contract %(contract)s"),
    ("contracts", int, "delivered"): N_("the delivery date of contract %(contract)s"),
    ("contracts", int, "payments", int, "received_on"): N_("the date instalment %(payment)s of contract "
                                                           "%(contract)s was received"),
    ("contracts", int, "payments", int, "received_amount"): N_("the amount received for instalment %(payment)s "
                                                               "of contract %(contract)s"),
    ("quotes", int, "status"): N_("the customer's answer to quote %(quote)s"),
    ("lost", "reason"): N_("the reason the deal was lost"),
    ("lost", "on"): N_("the date the deal was lost"),
}
# A value of an approved quote or contract that FACTS does not name: its field and old value in the words.
_OF_APPROVED = {"quotes": N_("%(field)s (%(old)s) of approved quote %(quote)s"),
                "contracts": N_("%(field)s (%(old)s) of approved contract %(contract)s")}
_ANSWERS = ("accepted", "rejected")


def fact_changed(_: Translator, parts: list, old: Any, new: Any, data: Any) -> str:
    """The recorded fact (FACTS) at `parts` that replacing `old` by `new` (None: removing it) loses,
    in words; '' when `parts` holds no such fact, when it is empty, or when `new` is the same."""
    pattern = tuple(int if isinstance(part, int) else part for part in parts)
    what = FACTS.get(pattern)
    if old in (None, "") or old == new or isinstance(old, (dict, list)):
        return ""
    if pattern == ("quotes", int, "status"):
        what = what if old in _ANSWERS else None  # draft → sent → accepted is the quote's course
    elif what is None and _approved(data, parts):
        what = _OF_APPROVED[parts[0]]
    if what is None:
        return ""

    def number(group: str, index: int) -> str:
        items = data.get(group) if isinstance(data, dict) else None
        item = items[index] if isinstance(items, list) and index < len(items) else None
        return str(item.get("no")) if isinstance(item, dict) and item.get("no") else f"{index}"

    words = _(what, contract=number("contracts", parts[1]) if parts[0] == "contracts" else "",
              quote=number("quotes", parts[1]) if parts[0] == "quotes" else "",
              payment=parts[3] if len(parts) > 3 else "", field=".".join(map(str, parts[2:])), old=_label(_, old))
    said = words if what in _OF_APPROVED.values() else _named(_, words, _label(_, old))
    return _("removes %(what)s", what=said) if new is None else _("changes %(what)s", what=said)


def approved_added(_: Translator, parts: list, new: Any, data: Any, old: Any = None) -> str:
    """What an edit adds to a quote or contract that holds an approval, in words ('' when nothing):
    to a quote, a line, a cost, more items in a list (its status aside); to a contract, an instalment
    of its payment plan, or the due date or amount of one. The approval was given for them as they
    were; a contract's receipts, notes, signing and delivery are recorded after it and add nothing."""
    if new is None or new == old:
        return ""
    if parts[0] == "contracts" and len(parts) >= 2 and isinstance(parts[1], int):
        return _plan_added(_, parts, new, data)
    if parts[0] != "quotes" or not _approved(data, parts) or parts[2] == "status":
        return ""
    number = value_at(data, [*parts[:2], "no"], parts[1])
    return _("adds to approved quote %(number)s (%(field)s: %(value)s)", number=number,
             field=".".join(map(str, parts[2:])), value=_label(_, new))


# What an instalment of the payment plan is; the rest records its course.
_TERMS = {"due": N_("the due date of instalment %(index)s (%(value)s)"),
          "amount": N_("the amount of instalment %(index)s (%(value)s)")}


def _plan_added(_: Translator, parts: list, new: Any, data: Any) -> str:
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
            added.append(_("instalment %(index)s (due %(due)s)", index=index, due=due) if due not in (None, "")
                         else _("instalment %(index)s", index=index))
            continue
        added += [_(said, index=index, value=_label(_, payment[term])) for term, said in _TERMS.items()
                  if was[index].get(term) in (None, "") and payment.get(term) not in (None, "")]
    if not added:
        return ""
    number = contract.get("no") or parts[1]
    return _("adds %(items)s to the payment plan of approved contract %(number)s",
             items=_.pgettext("list separator", ", ").join(added), number=number)


def _approved(data: Any, parts: list) -> bool:
    """Whether `parts` lies inside a quote or contract that holds an approval (its approvals aside:
    `dealbook approve` writes them, and `set` refuses to)."""
    if len(parts) < 3 or parts[0] not in ("quotes", "contracts") or not isinstance(parts[1], int) \
            or parts[2] == "approvals":
        return False
    item = value_at(data, parts[:2])
    return isinstance(item, dict) and bool(item.get("approvals"))


def dropped(_: Translator, old: Any, new: Any) -> str:
    """What replacing `old` by `new` (None: removing it) loses, in words; '' when `old` is a single
    value or an empty list or mapping, or when `new` keeps every item and key of `old` unchanged."""
    if isinstance(old, list) and old:
        remaining = list(new) if isinstance(new, list) else []
        gone = []
        for index, item in enumerate(old):
            if item in remaining:
                remaining.remove(item)
            else:
                gone.append(_("item %(index)s (%(value)s)", index=index, value=_label(_, item)))
        return _("removes %(what)s", what=_listed(_, gone)) if gone else ""
    if isinstance(old, dict) and old:
        if not isinstance(new, dict):
            return _("removes it (%(value)s)", value=_label(_, old))
        kept = new
        gone = [_named(_, key, _label(_, value)) for key, value in old.items() if key not in kept]
        changed = [_named(_, key, _label(_, value)) for key, value in old.items()
                   if key in kept and kept[key] != value]
        said = ([_("removes %(what)s", what=_listed(_, gone))] if gone else []) + (
            [_("changes %(what)s", what=_listed(_, changed))] if changed else [])
        return _.pgettext("list separator", "; ").join(said)
    return ""


def _listed(_: Translator, items: list[str]) -> str:
    return _.pgettext("list separator", ", ").join(items)


def _named(_: Translator, name: str, value: str) -> str:
    """A key or a fact with its value after it: `reason (budget)`."""
    return _("%(name)s (%(value)s)", name=name, value=value)


# The key that names an item, in the order looked for, and how the item is named by it.
_NAMES = {"no": N_("no %(value)s"), "name": N_("name %(value)s"), "item": N_("item %(value)s"),
          "step": N_("step %(value)s"), "stage": N_("stage %(value)s"), "due": N_("due %(value)s"),
          "date": N_("date %(value)s"), "summary": N_("summary %(value)s")}


def _label(_: Translator, value: Any) -> str:
    """A short description of a value: an item by its number or name, what a contract holds."""
    if isinstance(value, dict):
        name = next((_(said, value=value[key]) for key, said in _NAMES.items() if value.get(key) not in (None, "")),
                    None)
        facts = [name] if name else []
        if value.get("signed"):
            facts.append(_("signed %(day)s", day=value["signed"]))
        payments = [p for p in value.get("payments") or [] if isinstance(p, dict)]
        received = [p for p in payments if p.get("received_on")]
        if payments:
            facts.append(_.ngettext("%(num)d instalment, %(received)d received",
                                    "%(num)d instalments, %(received)d received", len(payments),
                                    received=len(received)))
        if value.get("received_on"):
            facts.append(_("received %(day)s", day=value["received_on"]))
        return _listed(_, facts) or _.ngettext("%(num)d key", "%(num)d keys", len(value))
    if isinstance(value, list):
        return _.ngettext("%(num)d item", "%(num)d items", len(value))
    text = str(value)
    return text if len(text) <= 40 else text[:39] + "…"
