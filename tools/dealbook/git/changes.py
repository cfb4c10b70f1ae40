"""What changed between two Books, per customer, as plain data (the review summary's content)."""

from __future__ import annotations

import datetime as dt
import hashlib
import json
import marshal
from dataclasses import dataclass, replace
from typing import Any, NamedTuple

from ..records.book import Book
from ..records.deals import deal_desk, pending_approvals, quotes_of
from ..records.diagnostics import Diagnostic
from ..records.model import CUSTOMER, Customer, dotted_get, file_stem, kind_of
from ..text.catalog import NP_, translator
from ..text.enums import ENUMS, enum_label
from ..text.money import money
from ..text.numbers import number, percent
from .changelines import field_words

# Fields a reviewer (and the change log) cares about, in the order they are reported.
TRACKED: tuple[str, ...] = (
    "name",
    "stage",
    "owner",
    "support",
    "deal.amount",
    "deal.close_by",
    "need.budget.status",
    "need.timeline.start",
    "grade.value",
    "contacts",
    "lost.reason",
    "paused_until",
)


def tracked_value(data: Any, key: str) -> Any:
    """A tracked field's value in comparable, printable form (contacts as `name (role)` strings)."""
    value = dotted_get(data, key)
    if key == "contacts":
        if not isinstance(value, list):
            return None
        shown = [f"{c.get('name', '')} ({c.get('role', '')})" for c in value if isinstance(c, dict)]
        return ", ".join(shown) or None
    if key == "support" and isinstance(value, list):
        return ", ".join(str(v) for v in value) or None
    if value == "" or value == []:
        return None
    return value


def field_changes(before: Any, after: Any) -> list[tuple[str, Any, Any]]:
    """(field, old, new) for every tracked field whose value differs between two customer mappings."""
    found = []
    for key in TRACKED:
        old, new = tracked_value(before, key), tracked_value(after, key)
        if old != new:
            found.append((key, old, new))
    return found


def tracked_values(data: Any) -> tuple[Any, ...]:
    """(id, then every TRACKED field's value): a customer version as the change log compares it."""
    ident = data.get("id") if isinstance(data, dict) else None
    return (ident if isinstance(ident, str) else None, *(tracked_value(data, key) for key in TRACKED))


def value_changes(before: tuple[Any, ...] | None, after: tuple[Any, ...] | None) -> list[tuple[str, Any, Any]]:
    """`field_changes` of two `tracked_values` tuples (None: the version is absent or unreadable)."""
    old = before[1:] if before else (None,) * len(TRACKED)
    new = after[1:] if after else (None,) * len(TRACKED)
    return [(key, a, b) for key, a, b in zip(TRACKED, old, new, strict=True) if a != b]


def _show(value: Any) -> str:
    """A field's value in a review line: a count grouped by thousands (`text.numbers`); a
    fraction (a margin) as written."""
    return str(value) if isinstance(value, float) else number(value)


def describe_fields(fields: list[tuple[str, Any, Any]] | tuple) -> str:
    """`stage proposal → negotiation; deal.amount 650,000 → 620,000`."""
    return "; ".join(f"{key} {_show(old)} → {_show(new)}" for key, old, new in fields)


# --- the review: two Books compared customer by customer ------------------------------------
_OWN_LINE = ("stage", "owner", "deal.amount")  # reported in their own words, not as plain fields
_DEAL_KEYS = ("quotes", "contracts")  # reported as new quotes and approvals still needed


class FollowUpChange(NamedTuple):
    """A follow-up file added, changed, removed or moved (renamed) between the two sides (a
    NamedTuple: a big review makes tens of thousands)."""

    status: str  # added | changed | removed | moved (the same content under a new name)
    path: str
    old_path: str | None
    at: str
    summary: str
    method: str = ""
    contact: str = ""
    next: tuple[tuple[str, str], ...] = ()  # (action, due as YYYY-MM-DD or "")

    @property
    def first_line(self) -> str:
        """The summary's first non-empty line (what a reviewer reads first)."""
        return next((line.strip() for line in self.summary.splitlines() if line.strip()), "")


@dataclass(frozen=True)
class CustomerChange:
    """Everything a reviewer needs about one customer; a pair is (before, after), None if absent."""

    id: str
    name: str
    status: str  # added | removed | changed | renamed | unreadable (head's file cannot be read) | repaired (base's)
    old_id: str | None = None
    stage: tuple[str | None, str | None] | None = None
    stage_labels: tuple[str | None, str | None] | None = None
    grade: tuple[str | None, str | None] | None = None
    amount: tuple[int | None, int | None] | None = None
    owner: tuple[str | None, str | None] | None = None
    next_due: tuple[dt.date | None, dt.date | None] | None = None
    # the kind of each side's due date (`rules.due.KINDS`; None where there is no date); None with next_due
    next_due_kind: tuple[str | None, str | None] | None = None
    fields: tuple[tuple[str, Any, Any], ...] = ()
    followups: tuple[FollowUpChange, ...] = ()
    new_quotes: tuple[tuple[str, float | None, int | None, str], ...] = ()  # (no, margin, amount, status)
    approvals_needed: tuple[tuple[str, str, tuple[str, ...]], ...] = ()  # (quote/contract no, step, who may give it)

    def count(self, status: str) -> int:
        return sum(f.status == status for f in self.followups)


@dataclass(frozen=True)
class Review:
    """The diff of two Books: changed customers, the funnel and forecast effect, new diagnostics."""

    base: str
    head: str
    customers: tuple[CustomerChange, ...]
    weighted: tuple[float, float] | None = None  # weighted open pipeline of the changed customers
    funnel: tuple[dict[str, Any], ...] = ()  # stage, entered/converted/lost before and after
    new_diagnostics: tuple[Diagnostic, ...] = ()
    notes: tuple[str, ...] = ()
    currency: str = "CNY"  # the head's settings' currency: the amounts of the review's sentences are written in it

    def as_dict(self) -> dict[str, Any]:
        return {
            "base": self.base,
            "head": self.head,
            "customers": [_customer_dict(c, self.currency) for c in self.customers],
            "forecast": None if self.weighted is None else {
                "weighted_before": round(self.weighted[0]), "weighted_after": round(self.weighted[1]),
                "change": round(self.weighted[1] - self.weighted[0])},
            "funnel": list(self.funnel),
            "new_diagnostics": [d.as_dict() for d in self.new_diagnostics],
            "notes": list(self.notes),
        }


def _pair(pair: tuple | None) -> dict[str, Any] | None:
    return None if pair is None else {"before": pair[0], "after": pair[1]}


def _customer_dict(c: CustomerChange, currency: str) -> dict[str, Any]:
    return {
        "id": c.id, "name": c.name, "status": c.status, "old_id": c.old_id,
        "stage": _pair(c.stage), "stage_labels": _pair(c.stage_labels), "grade": _pair(c.grade),
        "amount": _pair(c.amount), "owner": _pair(c.owner), "next_due": _pair(c.next_due),
        "next_due_kind": _pair(c.next_due_kind),
        "fields": [{"field": k, "before": a, "after": b} for k, a, b in c.fields],
        "followups": [{"status": f.status, "path": f.path, "old_path": f.old_path, "at": f.at, "summary": f.summary,
                       "first_line": f.first_line, "method": f.method, "contact": f.contact,
                       "next": [{"action": action, "due": due or None} for action, due in f.next]}
                      for f in c.followups],
        "new_quotes": [{"no": no, "margin": margin, "amount": amount, "status": status}
                       for no, margin, amount, status in c.new_quotes],
        "approvals_needed": [{"no": no, "step": step, "approvers": list(who)} for no, step, who in c.approvals_needed],
        "summary": line_of(c, currency),
    }


def _grade(book: Book, customer: Customer | None, today: dt.date) -> str | None:
    if customer is None:
        return None
    try:
        from ..rules.state import grade_of
    except ImportError:  # the rules are optional for a review
        return None
    return grade_of(book, customer, today).letter


def _due(book: Book, customer: Customer | None, today: dt.date) -> tuple[dt.date | None, str]:
    if customer is None:
        return None, ""
    try:
        from ..rules.state import due_of
    except ImportError:
        return None, ""
    due = due_of(book, customer, today)
    return due.date, due.kind


def _at(followup: Any) -> str:
    at = followup.data.get("at", "")
    return at if isinstance(at, str) else str(at)


def _canonical(value: Any) -> Any:
    if isinstance(value, dict):
        return tuple(sorted((str(k), _canonical(v)) for k, v in value.items()))
    if isinstance(value, list):
        return [_canonical(v) for v in value]
    return value


def _but_customer(data: Any) -> Any:
    return {k: v for k, v in data.items() if k != "customer"} if isinstance(data, dict) else data


def data_digest(data: Any) -> str:
    """A digest equal for equal record data (mapping order ignored): follow-up edits compared by digest."""
    try:  # the C JSON encoder sorts keys fast; mixed key types or odd values take the slow path
        packed = json.dumps(data, sort_keys=True, ensure_ascii=False, separators=(",", ":")).encode()
    except (TypeError, ValueError):
        try:
            packed = marshal.dumps(_canonical(data))
        except ValueError:
            packed = repr(data).encode()
    return hashlib.blake2b(packed, digest_size=12).hexdigest()


# --- one customer on one side of a review, as plain data ------------------------------------
@dataclass(frozen=True)
class Side:
    """What a review needs of one customer in one revision: tracked fields, grade, due date, its
    follow-ups (path, at, summary, digest), and its share of the funnel and the weighted pipeline.

    Computed once per (customer file, follow-up folder, settings, today) and cached by the git
    store, so a review of thousands of customers rebuilds only those whose files changed."""

    id: str
    name: str
    path: str
    tracked: tuple[Any, ...]  # the TRACKED values, in order
    grade: str | None
    due: dt.date | None
    due_kind: str
    # (path, at, summary, digest, method, contact, ((action, due), …)), oldest first
    followups: tuple[tuple[str, str, str, str, str, str, tuple[tuple[str, str], ...]], ...]
    open_stage: str | None  # the open stage it is in today (counts in the pipeline), else None
    amount: int  # deal.amount (0 when missing)
    tally: tuple[tuple[str, int, int, int], ...]  # (stage, entered, converted, lost), all time
    diagnostics: tuple[Diagnostic, ...] = ()
    quotes: tuple[tuple[str, float | None, int | None, str], ...] = ()  # (no, margin, amount, status)
    pending: tuple[tuple[str, str, tuple[str, ...]], ...] = ()  # approvals still needed: (no, step, who)

    def pack(self) -> tuple:
        return (self.id, self.name, self.path, self.tracked, self.grade,
                self.due.isoformat() if self.due else None, self.due_kind, self.followups, self.open_stage,
                self.amount, self.tally, tuple(tuple(d) for d in self.diagnostics), self.quotes, self.pending)

    @classmethod
    def unpack(cls, row: tuple) -> Side:
        (cid, name, path, tracked, grade, due, kind, followups, open_stage, amount, tally, found, quotes,
         pending) = row
        # marshal gives tuples back as tuples: only dates and diagnostics need rebuilding.
        return cls(cid, name, path, tracked, grade, dt.date.fromisoformat(due) if due else None, kind,
                   followups, open_stage, amount, tally, tuple(Diagnostic(*d) for d in found), quotes, pending)


def customer_tally(settings: Any, customer: Customer) -> tuple[tuple[str, int, int, int], ...]:
    """The customer's all-time funnel counts per progression stage: its funnel share over all time
    (`reports.funnel.funnel_share`, the one formula the funnel report sums), as (stage, entered,
    converted, lost) for each stage with any of the three. The share's days in stage are not
    kept, and a stage it holds only for those (left by a move backwards) is left out: the review
    only sums these counts (`funnel_counts`), where such a stage adds nothing."""
    from ..reports.funnel import funnel_share
    from ..reports.periods import ALL

    share = funnel_share(settings, customer, ALL, None).get("", {})
    return tuple((stage, c[0], c[1], c[2]) for stage, c in share.items() if stage and (c[0] or c[1] or c[2]))


def side_of(book: Book, customer: Customer, today: dt.date, diagnostics: tuple[Diagnostic, ...] = ()) -> Side:
    """One customer of `book` as a review sees it on `today`."""
    from ..reports.history import stage_on

    settings = book.settings
    due, kind = _due(book, customer, today)
    stage = stage_on(customer, today)
    return Side(
        id=customer.id,
        name=customer.name,
        path=customer.path,
        tracked=tracked_values(customer.data)[1:],
        grade=_grade(book, customer, today),
        due=due,
        due_kind=kind,
        # without `customer`, which a renamed customer rewrites in each of its moved follow-ups
        followups=tuple((f.path, _at(f), f.summary, data_digest(_but_customer(f.data)), f.method, f.contact,
                         tuple((n.action, n.due.isoformat() if n.due else "") for n in f.next))
                        for f in book.followups_of(customer.id)),
        open_stage=stage if stage is not None and settings.is_open(stage) else None,
        amount=customer.deal_amount or 0,
        tally=customer_tally(settings, customer),
        diagnostics=diagnostics,
        quotes=tuple((q.no or f"#{q.index + 1}", q.effective_margin, q.amount, q.status)
                     for q in quotes_of(customer.data)),
        pending=pending_approvals(customer.data, settings),
    )


def _followup_changes(old_side: Side | None, new_side: Side | None, renames: dict[str, str]) -> list[FollowUpChange]:
    old = {f[0]: f for f in old_side.followups} if old_side else {}
    new = {f[0]: f for f in new_side.followups} if new_side else {}
    sources: dict[str, str] = {}
    for o, n in renames.items():
        if n in new and o in old:
            sources.setdefault(n, o)
    found: list[FollowUpChange] = []
    for path, (_, at, summary, digest, *said) in new.items():
        source = sources.get(path)
        if path in old:
            if old[path][3] != digest:
                found.append(FollowUpChange("changed", path, None, at, summary, *said))
        elif source:  # moved; when its content changed too, it is shown like a changed one
            status = "moved" if old[source][3] == digest else "changed"
            found.append(FollowUpChange(status, path, source, at, summary, *said))
        else:
            found.append(FollowUpChange("added", path, None, at, summary, *said))
    moved_from = {c.old_path for c in found if c.old_path}
    for path, (_, at, summary, _, *said) in old.items():
        if path not in new and path not in moved_from:
            found.append(FollowUpChange("removed", path, None, at, summary, *said))
    return sorted(found, key=lambda f: (f.at, f.path))


def _new_quotes(old: Side | None, new: Side | None) -> tuple[tuple[str, float | None, int | None, str], ...]:
    before = {q[0] for q in old.quotes} if old else set()
    return tuple(q for q in new.quotes if q[0] not in before) if new else ()


def compare_sides(old: Side | None, new: Side | None, settings: Any,
                  renames: dict[str, str] | None = None) -> CustomerChange | None:
    """How one customer differs between two sides (None when nothing a reviewer sees changed);
    `settings` are the head's (the base's when the customer was removed), for stage labels."""
    shown = new or old
    assert shown is not None
    fields = value_changes((None, *old.tracked) if old else None, (None, *new.tracked) if new else None)
    by_key = {k: (a, b) for k, a, b in fields}
    grade = (old.grade if old else None, new.grade if new else None)
    due_before = old.due if old else None
    due_after = new.due if new else None
    # no date, no kind: a lost customer's "none" is not a kind of due date
    kind = (old.due_kind if old and old.due else None, new.due_kind if new and new.due else None)
    followups = _followup_changes(old, new, renames or {})
    status = "added" if old is None else "removed" if new is None else "renamed" if old.id != new.id else "changed"
    stage = by_key.get("stage")
    change = CustomerChange(
        id=shown.id,
        name=shown.name,
        status=status,
        old_id=old.id if status == "renamed" and old else None,
        stage=stage,
        stage_labels=None if stage is None else (
            settings.stage_label(stage[0]) if stage[0] else None,
            settings.stage_label(stage[1]) if stage[1] else None),
        grade=grade if grade[0] != grade[1] else None,
        amount=by_key.get("deal.amount"),
        owner=by_key.get("owner"),
        next_due=(due_before, due_after) if due_before != due_after else None,
        next_due_kind=kind if due_before != due_after else None,
        fields=tuple(f for f in fields if f[0] not in _OWN_LINE and f[0] not in _DEAL_KEYS),
        followups=tuple(followups),
        new_quotes=_new_quotes(old, new),
        approvals_needed=new.pending if new else (),
    )
    if status == "changed" and not (fields or change.grade or change.next_due or followups or change.new_quotes
                                    or (new and old and new.pending != old.pending)):
        return None
    return change


def compare_customer(before: Book, after: Book, old: Customer | None, new: Customer | None, today: dt.date,
                     renames: dict[str, str] | None = None) -> CustomerChange | None:
    """How one customer differs between the Books (None when nothing a reviewer sees changed)."""
    settings = after.settings if new is not None else before.settings
    return compare_sides(side_of(before, old, today) if old else None, side_of(after, new, today) if new else None,
                         settings, renames)


def review(before: Book, after: Book, today: dt.date, base: str = "", head: str = "",
           ids: set[str] | None = None, renames: dict[str, str] | None = None,
           changed: set[str] | None = None) -> Review:
    """Compare two Books (or the same customers' slices of them) as of `today`.

    `ids` limits the review to those customer ids (default: every customer on either side);
    `renames` maps old → new paths of renamed files, so a renamed customer or follow-up is one
    change instead of a removal plus an addition; `changed`, the paths the change touched (see
    `diagnostics_added`). The funnel and forecast effect cover every customer of the two Books."""
    old = {cid: side_of(before, c, today) for cid, c in before.customers.items()}
    new = {cid: side_of(after, c, today) for cid, c in after.customers.items()}
    result = review_sides(old, new, before.settings, after.settings, base, head, ids, renames,
                          unread=_unread(after), unread_before=_unread(before))
    return replace(result, new_diagnostics=tuple(new_diagnostics(before, after, renames, changed)))


def _unread(book: Book) -> set[str]:
    """The ids (file stems) of the Book's customer files that could not be read."""
    return {file_stem(path) for path in book.paths
            if kind_of(path) == CUSTOMER and path not in book.customers_by_path}


def review_sides(before: dict[str, Side], after: dict[str, Side], settings_before: Any, settings_after: Any,
                 base: str = "", head: str = "", ids: set[str] | None = None,
                 renames: dict[str, str] | None = None,
                 diagnostics: tuple[Diagnostic, ...] = (), unread: set[str] | frozenset[str] = frozenset(),
                 unread_before: set[str] | frozenset[str] = frozenset()) -> Review:
    """The review of two revisions given as sides (customer id → Side), e.g. only the customers a
    change touched: per customer what changed, and the funnel and weighted pipeline of these
    customers before and after (sums over the sides: exact, as both measures add up per customer).

    `unread`: ids whose customer file is in `after` but could not be read (a merge conflict left
    in it, say): such a customer is `unreadable`, not removed, and counts on neither side.
    `unread_before`: the same in `before`; a customer readable again is `repaired`, not added."""
    renames = renames or {}
    if ids is None:
        ids = set(before) | set(after)
    else:  # touched files name their customers by file stem; a file may hold another id (a copy)
        ids = set(ids) | {s.id for side in (before, after) for s in side.values() if file_stem(s.path) in ids}
    old_by_path = {s.path: s for s in before.values()}
    new_by_path = {s.path: s for s in after.values()}
    renamed_ids: dict[str, str] = {}
    for old_path, new_path in renames.items():
        old_c, new_c = old_by_path.get(old_path), new_by_path.get(new_path)
        if old_c is not None and new_c is not None:
            renamed_ids[old_c.id] = new_c.id
    renamed_to = set(renamed_ids.values())
    changes: list[CustomerChange] = []
    for cid in sorted(ids):
        if cid in renamed_ids:
            old, new = before.get(cid), after.get(renamed_ids[cid])
        elif cid in renamed_to:
            continue
        else:
            old, new = before.get(cid), after.get(cid)
        if old is None and new is None:
            continue
        if new is None and cid in unread:
            assert old is not None
            changes.append(CustomerChange(id=old.id, name=old.name, status="unreadable"))
            continue
        if old is None and cid in unread_before:
            assert new is not None
            changes.append(CustomerChange(id=new.id, name=new.name, status="repaired"))
            continue
        found = compare_sides(old, new, settings_after if new is not None else settings_before, renames)
        if found is not None:
            changes.append(found)
    counted_before = [side for cid, side in before.items() if cid not in unread]
    counted_after = [side for cid, side in after.items() if cid not in unread_before]
    return Review(base, head, tuple(changes), weighted_of(counted_before, settings_before, counted_after,
                                                          settings_after),
                  funnel_of(counted_before, settings_before, counted_after, settings_after), diagnostics,
                  currency=settings_after.currency)


def new_diagnostics(before: Book, after: Book, renames: dict[str, str] | None = None,
                    changed: set[str] | None = None) -> list[Diagnostic]:
    """Diagnostics of `after` that `before` did not have (see `diagnostics_added`)."""
    return diagnostics_added(before.diagnostics, after.diagnostics, renames, changed)


def diagnostics_added(before: Any, after: Any, renames: dict[str, str] | None = None,
                      changed: set[str] | None = None) -> list[Diagnostic]:
    """The diagnostics in `after` not in `before` (same file, code and message; lines may move).
    The message tells two findings of one code in one file apart (it holds their values), so
    both sides must be worded in one language: the reviews evaluate BASE in HEAD's language.

    `changed`: the paths the change touched (both names of a renamed file). A file outside it is
    the same on both sides, so a finding of one code at one place in it is the one it had before,
    even if its words changed with another file (the team's handles, the customer's contacts or
    the file that first holds an id, which some messages name)."""
    back = {new: old for old, new in (renames or {}).items()}
    seen = {(d.path, d.code, d.message) for d in before}
    placed = {(d.path, d.code, d.line, d.column) for d in before} if changed is not None else set()
    return sorted({d for d in after if (back.get(d.path, d.path), d.code, d.message) not in seen
                   and (changed is None or d.path in changed or (d.path, d.code, d.line, d.column) not in placed)},
                  key=lambda d: (d.path, d.line, d.column, d.code))


def pipeline_weighted(sides: Any, settings: Any) -> float:
    """The weighted open pipeline of these customers, as `reports.pipeline` totals it: the value
    per open stage times the stage probability, summed in stage order."""
    value: dict[str, int] = {}
    for side in sides:
        if side.open_stage is not None:
            value[side.open_stage] = value.get(side.open_stage, 0) + side.amount
    total = 0.0
    for stage in settings.stages:
        if stage.kind == "open":
            total += value.get(stage.key, 0) * stage.probability
    return float(round(total))


def weighted_of(before: Any, settings_before: Any, after: Any, settings_after: Any) -> tuple[float, float] | None:
    try:
        from ..reports import pipeline  # noqa: F401  (the forecast is shown only where the reports exist)
    except ImportError:
        return None
    return pipeline_weighted(before, settings_before), pipeline_weighted(after, settings_after)


def funnel_counts(sides: Any, settings: Any) -> dict[str, dict[str, int]]:
    """Per progression stage: entered, converted and lost (all time) summed over the customers."""
    rows = {s.key: {"entered": 0, "converted": 0, "lost": 0} for s in settings.progression}
    for side in sides:
        for stage, entered, converted, lost in side.tally:
            row = rows.get(stage)
            if row is not None:
                row["entered"] += entered
                row["converted"] += converted
                row["lost"] += lost
    return rows


def funnel_of(before: Any, settings_before: Any, after: Any, settings_after: Any) -> tuple[dict[str, Any], ...]:
    """Per stage whose counts move: entered, converted and lost (all time) before and after."""
    old, new = funnel_counts(before, settings_before), funnel_counts(after, settings_after)
    rows = []
    for stage in [*old, *(s for s in new if s not in old)]:
        a, b = old.get(stage, {}), new.get(stage, {})
        row: dict[str, Any] = {"stage": stage}
        moved = False
        for key in ("entered", "converted", "lost"):
            row[f"{key}_before"], row[f"{key}_after"] = a.get(key, 0), b.get(key, 0)
            moved = moved or row[f"{key}_before"] != row[f"{key}_after"]
        if moved:
            rows.append(row)
    return tuple(rows)


# --- words ------------------------------------------------------------------------------------
def _arrow(pair: tuple, show: Any = None) -> str:
    show = show or _show
    return f"{show(pair[0])} → {show(pair[1])}"


def _stage_words(c: CustomerChange, labels: bool) -> tuple[str, str]:
    """(before, after) stage keys, each followed by its label when `labels` and it differs."""
    stage = c.stage or (None, None)
    shown = c.stage_labels or (None, None)

    def word(key: str | None, label: str | None) -> str:
        if key is None:
            return "—"
        return f"{key} ({label})" if labels and label and label != key else key

    return word(stage[0], shown[0]), word(stage[1], shown[1])


class Words:
    """How a review line is worded: the English of the JSON (no settings), or the team's language
    with fields, values, approval steps and approvers by their labels (`settings`)."""

    def __init__(self, settings: Any = None) -> None:
        self.settings = settings
        self._ = translator(settings.language if settings is not None else "en")

    def field(self, key: str, old: Any, new: Any) -> str:
        if self.settings is None:
            return f"{key} {_arrow((old, new))}"
        return field_words(key, old, new, self.settings)

    def step(self, step: str) -> str:
        return deal_desk(self.settings).step_label(step) if self.settings is not None else step

    def who(self, who: tuple[str, ...]) -> str:
        _ = self._
        if self.settings is None:
            return " or ".join(who) or "nobody: set deal_desk.approvers"
        shown = [enum_label(_, "member_role", w) if w in ENUMS["member_role"] else w for w in who]
        return _.pgettext("list separator", ", ").join(shown) or _("nobody: set deal_desk.approvers")

    def join(self, parts: list[str], separator: str = ", ") -> str:
        return self._.pgettext("list separator", separator).join(parts)


ENGLISH = Words()


def line_parts(c: CustomerChange, labels: bool = False, currency: str = "CNY", words: Words = ENGLISH) -> list[str]:
    """The clauses of a customer's review line, in the order the example in the issue uses."""
    _ = words._
    parts: list[str] = []
    old_stage, new_stage = _stage_words(c, labels)
    if c.status == "added":
        stage = new_stage if c.stage else "?"
        parts.append(_("new customer (%(stage)s, grade %(grade)s)", stage=stage, grade=c.grade[1])
                     if c.grade and c.grade[1] else _("new customer (%(stage)s)", stage=stage))
    elif c.status == "removed":
        parts.append(_.pgettext("customer change", "removed"))
    elif c.status == "unreadable":
        parts.append(_("the file cannot be read (see the new diagnostics), so what changed is not shown"))
    elif c.status == "repaired":
        parts.append(_("the file could not be read before and reads again, so what changed is not shown"))
    elif c.status == "renamed":
        parts.append(_("renamed from %(id)s", id=c.old_id))
    if c.status in ("changed", "renamed") and c.stage is not None:
        parts.append(f"{old_stage} → {new_stage}" + (f" ({_arrow(c.grade)})" if c.grade else ""))
    elif c.status in ("changed", "renamed") and c.grade:
        parts.append(_("grade %(change)s", change=_arrow(c.grade)))
    if c.status == "added":
        if c.owner:
            parts.append(_("owner %(owner)s", owner=_show(c.owner[1])))
        if c.amount:
            parts.append(_("deal %(amount)s", amount=money(c.amount[1], currency)))
    elif c.status != "removed":
        if c.amount:
            parts.append(_("deal %(amount)s", amount=_arrow(c.amount, lambda v: money(v, currency))))
        if c.owner:
            parts.append(_("owner %(owner)s", owner=_arrow(c.owner)))
        parts.extend(words.field(key, a, b) for key, a, b in c.fields)
    return parts


# What happened to follow-ups, as a review line counts them (translated where shown).
FOLLOWUP_CHANGES = {"added": NP_("follow-up change", "added"), "changed": NP_("follow-up change", "changed"),
                    "moved": NP_("follow-up change", "moved"), "removed": NP_("follow-up change", "removed")}


def followup_words(c: CustomerChange, words: Words = ENGLISH) -> str:
    """`2 follow-ups added, 1 changed`."""
    _ = words._
    counts = [(c.count(s), _.pgettext("follow-up change", FOLLOWUP_CHANGES[s])) for s in FOLLOWUP_CHANGES
              if c.count(s)]
    if not counts:
        return ""
    (n, first), rest = counts[0], counts[1:]
    return words.join([_.ngettext("%(num)d follow-up %(what)s", "%(num)d follow-ups %(what)s", n, what=first),
                       *(_("%(num)d %(what)s", num=m, what=s) for m, s in rest)])


def due_words(c: CustomerChange, words: Words = ENGLISH) -> str:
    _ = words._
    if c.next_due is None or c.status == "removed":
        return ""
    if not c.next_due[1]:
        return _("no next due date")
    if c.next_due_kind and c.next_due_kind[1] == "next_action":
        return _("next action due %(day)s", day=_show(c.next_due[1]))
    return _("next due %(day)s", day=_show(c.next_due[1]))


def quote_words(c: CustomerChange, currency: str = "CNY", words: Words = ENGLISH) -> str:
    """`new quote BJ-1: ¥390,000 at margin 26.0% (draft)`."""
    _ = words._
    found = []
    for no, margin, amount, status in c.new_quotes:
        shown = _("margin %(margin)s", margin=percent(margin)) if margin is not None else _("margin unknown")
        text = _("new quote %(no)s: %(amount)s at %(margin)s", no=no, amount=money(amount, currency), margin=shown)
        if status != "sent":
            text += f" ({enum_label(_, 'quote_status', status) if words.settings is not None else status})"
        found.append(text)
    return words.join(found)


def approval_words(c: CustomerChange, words: Words = ENGLISH) -> str:
    """`approvals needed: margin on BJ-1 (by manager or gm), legal on HT-1 (by legal)`."""
    _ = words._
    if not c.approvals_needed or c.status == "removed":
        return ""
    needed = [_("%(step)s on %(no)s (by %(who)s)", step=words.step(step), no=no, who=words.who(who))
              for no, step, who in c.approvals_needed]
    return _("approvals needed: %(steps)s", steps=words.join(needed))


def change_words(c: CustomerChange, labels: bool = False, currency: str = "CNY", words: Words = ENGLISH) -> str:
    """`proposal → negotiation (B → A), deal ¥650,000 → ¥620,000; 2 follow-ups added; next action due
    2024-05-20` (with `labels`: `proposal (方案呈现) → negotiation (商务谈判) …`), then new quotes
    with their margin and the approvals still needed with who may give them; in the team's language
    with `words` made from the settings."""
    groups = [words.join(line_parts(c, labels, currency, words)), followup_words(c, words), due_words(c, words),
              quote_words(c, currency, words), approval_words(c, words)]
    return words.join([g for g in groups if g], "; ")


def line_of(c: CustomerChange, currency: str = "CNY") -> str:
    """`粤IT2024001 A科技有限公司: ` and the change words (amounts in `currency`, the settings')."""
    return f"{c.id} {c.name}: {change_words(c, currency=currency)}"


# --- forecast vs actual ---------------------------------------------------------------------
@dataclass(frozen=True)
class ForecastOutcome:
    """One deal: what a past revision forecast for it and what became of it."""

    id: str
    name: str
    stage_then: str | None
    amount_then: int | None
    probability: float
    weighted: float
    outcome: str  # won | lost | open | gone | new_won (won but not open back then)
    won_value: int


def forecast_vs_actual(then: Book, then_day: dt.date, now: Book, today: dt.date) -> list[ForecastOutcome]:
    """Each deal open at `then_day` in `then` (weighted by its stage probability), and each deal
    won since that was not in the forecast, with the value actually won by `today` in `now`."""
    from ..reports.history import stage_on, won_on, won_value

    settings = then.settings
    rows: list[ForecastOutcome] = []
    for customer in then.customers.values():
        stage = stage_on(customer, then_day)
        if stage is None or not settings.is_open(stage):
            continue
        amount = customer.deal_amount
        probability = settings.stage_by_key[stage].probability
        current = now.customers.get(customer.id)
        if current is None:
            outcome, value = "gone", 0
        else:
            won = won_on(now.settings, current, today)
            if won is not None and won > then_day:
                outcome, value = "won", won_value(current)
            elif now.settings.lost_stage and current.stage == now.settings.lost_stage:
                outcome, value = "lost", 0
            else:
                outcome, value = "open", 0
        rows.append(ForecastOutcome(customer.id, customer.name, stage, amount, probability,
                                    (amount or 0) * probability, outcome, value))
    forecast_ids = {r.id for r in rows}
    for customer in now.customers.values():
        won = won_on(now.settings, customer, today)
        if customer.id not in forecast_ids and won is not None and won > then_day:
            rows.append(ForecastOutcome(customer.id, customer.name, None, None, 0.0, 0.0, "new_won",
                                        won_value(customer)))
    return sorted(rows, key=lambda r: (r.outcome == "new_won", r.id))


# --- stage history against git --------------------------------------------------------------
@dataclass(frozen=True)
class HistoryRow:
    """One stage of a customer's timeline: what git saw and what `stage_history` says."""

    stage: str
    git_on: dt.date | None  # the day of the commit that first showed the stage (None: git never did)
    commit: str | None
    author: str | None
    recorded_on: dt.date | None  # the stage_history date (None: no entry)
    status: str  # ok | missing | after_commit | not_in_git
    message: str
    entry: int | None = None  # the position of the stage_history entry it matches (None: no entry)


def compare_history(events: list[tuple[str, dt.date, str, str]], history: list[tuple[str, dt.date | None]]
                    ) -> list[HistoryRow]:
    """Match git's stage changes (stage, day, commit, author) with stage_history (stage, on).

    `missing`: git saw the customer enter a stage its history never mentions; `after_commit`:
    the history dates the move after the commit that recorded it; `not_in_git`: a history
    entry no commit showed (moves made between two commits; not an error)."""
    rows: list[HistoryRow] = []
    used: set[int] = set()
    for stage, day, commit, author in events:
        match = next((i for i, (s, _) in enumerate(history) if s == stage and i not in used), None)
        if match is None:
            rows.append(HistoryRow(stage, day, commit, author, None, "missing",
                                   f"git shows the move to {stage} on {day} ({commit[:8]}); no stage_history entry"))
            continue
        used.add(match)
        on = history[match][1]
        if on is not None and on > day:
            rows.append(HistoryRow(stage, day, commit, author, on, "after_commit",
                                   f"stage_history dates {stage} {on}, after the commit that recorded it ({day})",
                                   match))
        else:
            rows.append(HistoryRow(stage, day, commit, author, on, "ok", "", match))
    for i, (stage, on) in enumerate(history):
        if i not in used:
            rows.append(HistoryRow(stage, None, None, None, on, "not_in_git",
                                   f"{stage} was entered and left between two commits", i))
    return sorted(rows, key=lambda r: (r.git_on or r.recorded_on or dt.date.min, r.git_on is None))


def backfilled(history: list[dict[str, Any]], events: list[tuple[str, dt.date]]) -> list[dict[str, Any]]:
    """`history` (stage_history entries) with the stages git saw but it lacks inserted in git's
    order, each dated by its commit (clamped so dates never go backwards)."""
    merged = [dict(e) for e in history]
    known = [e.get("stage") for e in merged]
    for k, (stage, day) in enumerate(events):
        if stage in known:
            continue
        later = {s for s, _ in events[k + 1:]}
        pos = next((i for i, e in enumerate(merged) if e.get("stage") in later), len(merged))
        on = day
        following = _entry_day(merged[pos]) if pos < len(merged) else None
        previous = _entry_day(merged[pos - 1]) if pos > 0 else None
        if following is not None and on > following:
            on = following
        if previous is not None and on < previous:
            on = previous
        merged.insert(pos, {"stage": stage, "on": on.isoformat()})
        known.insert(pos, stage)
    return merged


def _entry_day(entry: dict[str, Any]) -> dt.date | None:
    from ..records.dates import parse_date

    return parse_date(entry.get("on"))
