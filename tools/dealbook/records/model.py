"""Record kinds, where their files live, and typed views of their data."""

from __future__ import annotations

import datetime as dt
import os
import re
import unicodedata
from dataclasses import dataclass, field
from typing import Any

from ..text.catalog import N_, Said, SaidError, said
from .dates import parse_date, parse_moment, parse_time
from .deals import Approval, Payment, approvals_from, payments_from

RECORDS_DIR = "records"
TEAM_FILE = "records/team.yaml"
CUSTOMERS_DIR = "records/customers"
FOLLOWUPS_DIR = "records/followups"

CUSTOMER = "customer"
FOLLOWUP = "followup"
TEAM = "team"
SETTINGS = "settings"


def kind_of(path: str) -> str | None:
    """The record kind of a repo-relative path, or None when it is not a record file."""
    if path == "dealbook.yaml":
        return SETTINGS
    if not path.endswith((".yaml", ".yml")):
        return None
    parts = path.split("/")
    if path == TEAM_FILE:
        return TEAM
    if len(parts) == 3 and parts[0] == RECORDS_DIR and parts[1] == "customers":
        return CUSTOMER
    if len(parts) == 4 and parts[0] == RECORDS_DIR and parts[1] == "followups":
        return FOLLOWUP
    return None


class UnsafeId(SaidError):
    """An id that cannot name a file under records/ (it would climb out, hide, or break a line):
    `str()` in English, `text(_)` in the translator's language."""


# Never in a file name dealbook makes: path separators, the characters Windows refuses, controls.
_NOT_IN_NAMES = re.compile(r'[/\\:*?"<>|]')
_MAX_ID = 64


_INVISIBLE = ("Cc", "Cf", "Zl", "Zp")  # control characters, invisible marks, line and paragraph separators


def id_problem(customer_id: object) -> Said | None:
    """Why `customer_id` cannot be a file name under records/ (None when it can; `str()` of it is
    the English). Every id is checked with this before it becomes a path; `Settings.id_pattern` (the
    team's id rule) is stricter."""
    if not isinstance(customer_id, str) or not customer_id:
        return said(N_("it is empty"))
    if len(customer_id) > _MAX_ID:
        return said(N_("it is longer than %(most)s characters"), most=_MAX_ID)
    if customer_id.startswith(".") or customer_id != customer_id.strip():
        return said(N_("it starts with a dot or has spaces around it"))
    if _NOT_IN_NAMES.search(customer_id):
        return said(N_("it holds a path separator or one of : * ? \" < > |"))
    if any(unicodedata.category(ch) in _INVISIBLE for ch in customer_id):
        return said(N_("it holds a control character (a line break, tab, or invisible mark)"))
    return None


def safe_id(customer_id: object) -> str:
    """`customer_id` when it can name a file under records/, else UnsafeId saying why."""
    problem = id_problem(customer_id)
    if problem is not None:
        shown = "".join(f"<U+{ord(ch):04X}>" if unicodedata.category(ch) in _INVISIBLE else ch
                        for ch in str(customer_id)[:80])  # 粤IT2024001 as typed; a line break by its code
        raise UnsafeId(said(N_("`%(id)s` is not a customer id: %(problem)s"), id=shown, problem=problem))
    return str(customer_id)


def customer_path(customer_id: str) -> str:
    """records/customers/<id>.yaml; UnsafeId when the id is not a plain file name."""
    return f"{CUSTOMERS_DIR}/{safe_id(customer_id)}.yaml"


def customer_files(stem: str) -> tuple[str, str]:
    """The two names a customer's file may have (`check` reads both): records/customers/<stem>.yaml and
    .yml. `stem` is not checked (see `customer_path` for a path to write)."""
    return f"{CUSTOMERS_DIR}/{stem}.yaml", f"{CUSTOMERS_DIR}/{stem}.yml"


def existing_customer_file(repo: str, stem: str) -> str | None:
    """The customer file of `stem` that is in the repo (a link too), .yaml first; None when neither is."""
    return next((p for p in customer_files(stem) if os.path.lexists(os.path.join(repo, p))), None)


def file_stem(path: str) -> str:
    """A repo path's file name without its ending: a customer file's id as the file names it
    (`records/customers/粤IT2024001.yaml` -> `粤IT2024001`)."""
    return path.rsplit("/", 1)[-1].rsplit(".", 1)[0]


def followup_folder(customer_id: str) -> str:
    """records/followups/<id>; UnsafeId when the id is not a plain file name."""
    return f"{FOLLOWUPS_DIR}/{safe_id(customer_id)}"


def followup_path(repo: str, customer_id: str, when: dt.datetime) -> str:
    """records/followups/<id>/<YYYY-MM-DD>-<HHMM>.yaml, or -2, -3 … when taken in `repo`: the name
    `dealbook log` writes and the site's draft proposes. UnsafeId when the id is not a plain file name."""
    stem = when.strftime("%Y-%m-%d-%H%M")
    n = 1
    while True:
        name = f"{stem}.yaml" if n == 1 else f"{stem}-{n}.yaml"
        relative = f"{followup_folder(customer_id)}/{name}"
        if not os.path.exists(os.path.join(repo, relative)):
            return relative
        n += 1


def discover(repo: str) -> list[str]:
    """Every file under records/ (and every link to a folder, and every folder named like a record
    file where one belongs), repo-relative with `/` separators, sorted."""
    found: list[str] = []
    base = os.path.join(repo, RECORDS_DIR)
    for top, dirs, files in os.walk(base):
        rel = os.path.relpath(top, repo).replace(os.sep, "/")
        # a link to a folder is listed like a file (never followed; reading it reports it)
        links = [d for d in dirs if os.path.islink(os.path.join(top, d))]
        dirs[:] = sorted(d for d in dirs if not d.startswith(".") and d not in links)
        found.extend(f"{rel}/{name}" for name in files + links if not name.startswith("."))
        # so is a folder where a record file belongs (`customers/<id>.yaml/`), and what it holds is walked
        found.extend(f"{rel}/{name}" for name in dirs if kind_of(f"{rel}/{name}") is not None)
    found.sort()
    return found


def dotted_get(data: Any, dotted: str, default: Any = None) -> Any:
    """The value at a dotted key (`need.budget.status`) in plain record data, or `default` when a
    part is absent or the value on the way is not a mapping."""
    value = data
    for part in dotted.split("."):
        if not isinstance(value, dict) or part not in value:
            return default
        value = value[part]
    return value


def has_value(data: Any, dotted: str) -> bool:
    """Whether record data has a non-empty value at a dotted path; through a list, whether any item has it
    (`contacts.phone`: at least one contact has a phone)."""
    return _has(data, dotted.split("."))


def _has(value: Any, parts: list[str]) -> bool:
    if not parts:
        return value not in (None, "", [], {})
    if isinstance(value, list):
        return any(_has(item, parts) for item in value)
    return isinstance(value, dict) and _has(value.get(parts[0]), parts[1:])


def _day_of(value: Any) -> dt.date | None:
    """The date of a `YYYY-MM-DD` or `YYYY-MM-DD HH:MM` value."""
    moment = parse_moment(value)
    return moment[0].date() if moment else None


def _text(value: Any) -> str:
    return value if isinstance(value, str) else ("" if value is None else str(value))


def _dict(value: Any) -> dict[str, Any]:
    return value if isinstance(value, dict) else {}


def _list(value: Any) -> list[Any]:
    return value if isinstance(value, list) else []


@dataclass(frozen=True)
class Member:
    handle: str
    name: str
    role: str
    email: str = ""
    git: str = ""
    active: bool = True


@dataclass(frozen=True)
class Contact:
    name: str
    title: str
    role: str
    phone: str = ""
    phone_kind: str = ""
    email: str = ""
    left: dt.date | None = None  # the day the contact left the company


@dataclass(frozen=True)
class StageEntry:
    stage: str
    on: dt.date | None
    reason: str = ""  # on a lost entry: the reason of that loss, when the record keeps it there (`records.losses`)
    note: str = ""


@dataclass(frozen=True)
class NextAction:
    action: str
    due: dt.date | None
    owner: str


@dataclass(frozen=True)
class PlannedAction:
    """One item of a new lead's follow-up plan (`lead.plan`): what, when (to the minute or a day), how, who."""

    action: str
    due: dt.datetime | None
    timed: bool
    method: str
    owner: str


@dataclass(frozen=True)
class Review:
    """A manager's review of a new lead: who, when, ok or send_back, and the comment."""

    by: str
    on: dt.datetime | None
    result: str
    comment: str


@dataclass(frozen=True)
class HelpRequest:
    """Help asked for on a follow-up (是否需协助): from whom, what, and by when (None: the default days)."""

    helper: str
    detail: str
    due: dt.date | None


@dataclass(frozen=True)
class Contract:
    no: str
    amount: int | None
    signed: dt.date | None
    delivered: dt.date | None
    repeat: bool = False
    payments: tuple[Payment, ...] = ()
    approvals: tuple[Approval, ...] = ()
    service_end: dt.date | None = None
    acceptance: str = ""  # pass | fix, or "" before acceptance
    guide_sent: dt.date | None = None


@dataclass(frozen=True, eq=False)
class Customer:
    """A customer master record (客户信息总表)."""

    path: str
    data: dict[str, Any]
    id: str
    name: str
    owner: str
    stage: str
    created: dt.date | None
    contacts: tuple[Contact, ...]
    stage_history: tuple[StageEntry, ...]
    contracts: tuple[Contract, ...]
    paused_until: dt.date | None = None

    @classmethod
    def from_data(cls, path: str, data: dict[str, Any]) -> Customer:
        return cls(
            path=path,
            data=data,
            id=_text(data.get("id")) or os.path.splitext(os.path.basename(path))[0],
            name=_text(data.get("name")),
            owner=_text(data.get("owner")),
            stage=_text(data.get("stage")),
            created=_day_of(data.get("created")),
            contacts=tuple(
                Contact(
                    name=_text(c.get("name")),
                    title=_text(c.get("title")),
                    role=_text(c.get("role")),
                    phone=_text(c.get("phone")),
                    phone_kind=_text(c.get("phone_kind")),
                    email=_text(c.get("email")),
                    left=parse_date(c.get("left")),
                )
                for c in _list(data.get("contacts"))
                if isinstance(c, dict)
            ),
            stage_history=tuple(
                StageEntry(_text(e.get("stage")), parse_date(e.get("on")),
                           _text(e.get("reason")), _text(e.get("note")))
                for e in _list(data.get("stage_history"))
                if isinstance(e, dict)
            ),
            contracts=tuple(
                Contract(
                    no=_text(c.get("no")),
                    amount=c.get("amount") if isinstance(c.get("amount"), int) else None,
                    signed=parse_date(c.get("signed")),
                    delivered=parse_date(c.get("delivered")),
                    repeat=c.get("repeat") is True,
                    payments=payments_from(c.get("payments")),
                    approvals=approvals_from(c.get("approvals")),
                    service_end=parse_date(c.get("service_end")),
                    acceptance=_text(_dict(c.get("acceptance")).get("result")),
                    guide_sent=parse_date(c.get("guide_sent")),
                )
                for c in _list(data.get("contracts"))
                if isinstance(c, dict)
            ),
            paused_until=parse_date(data.get("paused_until")),
        )

    # Nested values read straight from the data; absent or mistyped values read as empty.
    def get(self, dotted: str, default: Any = None) -> Any:
        """The value at a dotted key (`need.budget.status`), or `default`."""
        return dotted_get(self.data, dotted, default)

    @property
    def support(self) -> tuple[str, ...]:
        return tuple(_text(s) for s in _list(self.data.get("support")))

    @property
    def industry(self) -> str:
        return _text(self.data.get("industry"))

    @property
    def region(self) -> str:
        return _text(self.data.get("region"))

    @property
    def channel(self) -> str:
        return _text(_dict(self.data.get("source")).get("channel"))

    @property
    def lead_type(self) -> str:
        return _text(self.data.get("lead_type"))

    @property
    def budget_status(self) -> str:
        return _text(self.get("need.budget.status"))

    @property
    def timeline_start(self) -> dt.date | None:
        return parse_date(self.get("need.timeline.start"))

    @property
    def grade_override(self) -> tuple[str, str] | None:
        grade = _dict(self.data.get("grade"))
        value = grade.get("value")
        return (value, _text(grade.get("reason"))) if value in ("A", "B", "C") else None

    @property
    def created_at(self) -> tuple[dt.datetime, bool] | None:
        """When the lead was acquired: (team-local time, whether `created` gave a time; else its midnight)."""
        return parse_moment(self.data.get("created"))

    @property
    def lead_priority(self) -> str | None:
        """The intake priority set by hand (`lead.priority`), or None."""
        value = self.get("lead.priority")
        return value if value in ("A", "B", "C") else None

    @property
    def assigned_at(self) -> dt.datetime | None:
        """When the lead was assigned to its owner (`lead.assigned`, else `created`)."""
        moment = parse_moment(self.get("lead.assigned")) or self.created_at
        return moment[0] if moment else None

    @property
    def lead_plan(self) -> tuple[PlannedAction, ...]:
        found = []
        for item in _list(self.get("lead.plan")):
            if isinstance(item, dict):
                moment = parse_moment(item.get("due"))
                found.append(PlannedAction(_text(item.get("action")), moment[0] if moment else None,
                                           bool(moment and moment[1]), _text(item.get("method")),
                                           _text(item.get("owner"))))
        return tuple(found)

    @property
    def review(self) -> Review | None:
        review = self.data.get("review")
        if not isinstance(review, dict):
            return None
        moment = parse_moment(review.get("on"))
        return Review(_text(review.get("by")), moment[0] if moment else None, _text(review.get("result")),
                      _text(review.get("comment")))

    @property
    def deal_amount(self) -> int | None:
        amount = self.get("deal.amount")
        return amount if isinstance(amount, int) and not isinstance(amount, bool) else None

    @property
    def close_by(self) -> dt.date | None:
        return parse_date(self.get("deal.close_by"))

    @property
    def lost_reason(self) -> str:
        return _text(self.get("lost.reason"))

    @property
    def tags(self) -> tuple[str, ...]:
        return tuple(_text(t) for t in _list(self.data.get("tags")))

    def contact(self, name: str) -> Contact | None:
        return next((c for c in self.contacts if c.name == name), None)


@dataclass(frozen=True, eq=False)
class FollowUp:
    """A follow-up record (销售跟进记录表)."""

    path: str
    data: dict[str, Any]
    customer: str
    at: dt.datetime | None
    method: str
    by: str
    contact: str
    outcome: str
    objections: tuple[str, ...]
    next: tuple[NextAction, ...] = field(default=())

    @classmethod
    def from_data(cls, path: str, data: dict[str, Any]) -> FollowUp:
        return cls(
            path=path,
            data=data,
            customer=_text(data.get("customer")),
            at=parse_time(data.get("at")),
            method=_text(data.get("method")),
            by=_text(data.get("by")),
            contact=_text(data.get("contact")),
            outcome=_text(data.get("outcome")) or "held",
            objections=tuple(_text(o) for o in _list(data.get("objections"))),
            next=tuple(
                NextAction(_text(n.get("action")), parse_date(n.get("due")), _text(n.get("owner")))
                for n in _list(data.get("next"))
                if isinstance(n, dict)
            ),
        )

    @property
    def summary(self) -> str:
        return _text(self.data.get("summary"))

    @property
    def feedback(self) -> str:
        return _text(self.data.get("feedback"))

    @property
    def help(self) -> HelpRequest | None:
        """The help asked for on this follow-up, or None."""
        found = self.data.get("help")
        if not isinstance(found, dict) or not (found.get("from") or found.get("detail")):
            return None
        return HelpRequest(_text(found.get("from")).strip(), _text(found.get("detail")), parse_date(found.get("due")))

    @property
    def folder(self) -> str:
        """The customer id the file's folder names."""
        return self.path.split("/")[-2]


def members_from_data(data: Any) -> dict[str, Member]:
    """Team members by handle."""
    members: dict[str, Member] = {}
    for m in _list(_dict(data).get("members")):
        if isinstance(m, dict) and m.get("handle"):
            handle = _text(m["handle"])
            members[handle] = Member(
                handle=handle,
                name=_text(m.get("name")),
                role=_text(m.get("role")),
                email=_text(m.get("email")),
                git=_text(m.get("git")),
                active=m.get("active", True) is not False,
            )
    return members
