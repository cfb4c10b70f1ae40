"""Quotes, approvals, contract payments and the deal-desk settings: typed views and their arithmetic.

Pure: record data and settings in, plain values out. The checks (`checks/dealchecks`), the
agenda (`rules/deals`) and the reports read quotes and contracts only through this module.
"""

from __future__ import annotations

import datetime as dt
import functools
from dataclasses import dataclass
from typing import Any

from ..text.catalog import SOURCE_LANGUAGE, translator
from .dates import after, happened_by, parse_date
from .settings import Settings

MARGIN_STEP = "margin"
CHURN = "churn"  # the lost reason of a won customer who stops working with us (停止合作)
# A stated margin and the one the lines or the cost give may differ by rounding only.
MARGIN_TOLERANCE = 0.005


def _int(value: Any) -> int | None:
    return value if isinstance(value, int) and not isinstance(value, bool) else None


def _number(value: Any) -> float | None:
    return float(value) if isinstance(value, (int, float)) and not isinstance(value, bool) else None


def _quantity(value: Any) -> int | float | None:
    """A quantity as written: 2 stays 2, 2.5 stays 2.5."""
    return value if isinstance(value, (int, float)) and not isinstance(value, bool) else None


def _text(value: Any) -> str:
    return value if isinstance(value, str) else ("" if value is None else str(value))


def _list(value: Any) -> list[Any]:
    return value if isinstance(value, list) else []


@dataclass(frozen=True)
class Approval:
    """One approval written in a record: which step, by which team handle, on which day."""

    step: str
    by: str
    on: dt.date | None
    index: int  # position in its `approvals` list (for line marks)


def approvals_from(value: Any, day: dt.date | None = None) -> tuple[Approval, ...]:
    """The approvals written in `value`; with `day`, only those given by the end of it (`given_by`)."""
    return given_by(tuple(Approval(_text(a.get("step")), _text(a.get("by")), parse_date(a.get("on")), i)
                          for i, a in enumerate(_list(value)) if isinstance(a, dict)), day)


def given_by(approvals: tuple[Approval, ...], day: dt.date | None) -> tuple[Approval, ...]:
    """The approvals given by the end of `day`, the day the rules run for: one dated later was not
    given yet (all of them when `day` is None: the record as written)."""
    return tuple(a for a in approvals if not after(a.on, day))


@dataclass(frozen=True)
class QuoteLine:
    item: str
    spec: str
    quantity: int | float | None
    unit_price: int | None
    amount: int | None
    unit_cost: int | None

    @property
    def expected_amount(self) -> int | None:
        """quantity × unit price, rounded to the unit of money (None when either is missing)."""
        if self.quantity is None or self.unit_price is None:
            return None
        return round(self.quantity * self.unit_price)

    @property
    def value(self) -> int | None:
        """The line's amount as written, else quantity × unit price."""
        return self.amount if self.amount is not None else self.expected_amount

    @property
    def cost(self) -> int | None:
        if self.unit_cost is None:
            return None
        return round((self.quantity if self.quantity is not None else 1) * self.unit_cost)


@dataclass(frozen=True)
class Quote:
    """A quote (报价单) as written in `quotes[]`."""

    index: int
    no: str
    date: dt.date | None
    valid_until: dt.date | None
    lines: tuple[QuoteLine, ...]
    lines_key: str  # `lines`, or the older `items`
    total: int | None
    cost: int | None
    margin: float | None
    delivery: str
    payment_terms: str
    approvals: tuple[Approval, ...]
    status: str = "sent"  # draft | sent | accepted | rejected

    @property
    def is_draft(self) -> bool:
        return self.status == "draft"

    @property
    def lines_total(self) -> int | None:
        """The sum of the lines' amounts (None without lines or when a line has no amount)."""
        values = [line.value for line in self.lines]
        if not values or any(v is None for v in values):
            return None
        return sum(values)  # type: ignore[arg-type]

    @property
    def amount(self) -> int | None:
        """What the quote is worth: its total, else the sum of its lines."""
        return self.total if self.total is not None else self.lines_total

    @property
    def lines_cost(self) -> int | None:
        """The sum of the lines' costs when every line gives `unit_cost`."""
        costs = [line.cost for line in self.lines]
        if not costs or any(c is None for c in costs):
            return None
        return sum(costs)  # type: ignore[arg-type]

    @property
    def known_cost(self) -> int | None:
        return self.cost if self.cost is not None else self.lines_cost

    @property
    def effective_margin(self) -> float | None:
        """The stated margin, else (amount − cost) / amount from the cost or the lines' costs."""
        if self.margin is not None:
            return self.margin
        return margin_of(self.amount, self.known_cost)


def margin_of(amount: int | None, cost: int | None) -> float | None:
    if amount is None or cost is None or amount <= 0:
        return None
    return (amount - cost) / amount


def margin_and_floor(margin: float, floor: float) -> tuple[str, str]:
    """The margin and the floor as percentages, with as many decimals as it takes (up to three) for a
    margin below the floor not to read as equal to it: 29.96% against 30% is "29.96%", not "30.0%"."""
    for decimals in (1, 2, 3):
        shown, limit = f"{margin * 100:.{decimals}f}%", f"{floor * 100:.{decimals}f}%"
        if shown != limit or margin == floor:
            return shown, limit
    return f"{margin * 100:.4f}%", f"{floor * 100:.4f}%"


def _line(data: dict[str, Any], legacy: bool) -> QuoteLine:
    return QuoteLine(
        item=_text(data.get("name" if legacy else "item")),
        spec=_text(data.get("spec")),
        quantity=_quantity(data.get("quantity")),
        unit_price=_int(data.get("unit_price")),
        amount=_int(data.get("total" if legacy else "amount")),
        unit_cost=_int(data.get("unit_cost")),
    )


def quote_from(index: int, data: dict[str, Any]) -> Quote:
    legacy = "lines" not in data and "items" in data
    lines_key = "items" if legacy else "lines"
    date = parse_date(data.get("date"))
    valid_until = parse_date(data.get("valid_until"))
    days = _int(data.get("valid_days"))
    if valid_until is None and date is not None and days is not None:
        valid_until = date + dt.timedelta(days=days)
    return Quote(
        index=index,
        no=_text(data.get("no")),
        date=date,
        valid_until=valid_until,
        lines=tuple(_line(line, legacy) for line in _list(data.get(lines_key)) if isinstance(line, dict)),
        lines_key=lines_key,
        total=_int(data.get("total")),
        cost=_int(data.get("cost")),
        margin=_number(data.get("margin")),
        delivery=_text(data.get("delivery")),
        payment_terms=_text(data.get("payment_terms")),
        approvals=approvals_from(data.get("approvals")),
        status=_text(data.get("status")) or "sent",
    )


def needs_margin_approval(quote: Quote, desk: DealDesk, day: dt.date | None = None) -> bool:
    """Below the margin floor and no `margin` approval written yet (given by the end of `day`, when given)."""
    margin = quote.effective_margin
    return margin is not None and margin < desk.margin_floor and not any(a.step == MARGIN_STEP
                                                                         for a in given_by(quote.approvals, day))


def quotes_of(data: dict[str, Any]) -> tuple[Quote, ...]:
    """The quotes of a customer's record data, in file order."""
    return tuple(quote_from(i, q) for i, q in enumerate(_list(data.get("quotes"))) if isinstance(q, dict))


def latest_quote(quotes: tuple[Quote, ...], day: dt.date | None = None) -> Quote | None:
    """The quote that stands: the latest by date (the last written among equal or missing dates);
    with `day`, the day the rules run for, the latest made by its end (one dated later was not made yet)."""
    made = [q for q in quotes if not after(q.date, day)] if day is not None else quotes
    if not made:
        return None
    return max(made, key=lambda q: (q.date or dt.date.min, q.index))


@dataclass(frozen=True)
class Payment:
    """One instalment of a contract's payment schedule (回款计划)."""

    index: int
    due: dt.date | None
    amount: int | None
    received_on: dt.date | None
    received_amount: int | None
    note: str

    @property
    def received(self) -> int:
        """What was received: received_amount, else the full amount once received_on is written."""
        if self.received_amount is not None:
            return self.received_amount
        return (self.amount or 0) if self.received_on is not None else 0

    @property
    def outstanding(self) -> int:
        return max(0, (self.amount or 0) - self.received)

    def outstanding_on(self, day: dt.date) -> int:
        """Still unpaid at the end of `day` (a receipt dated later is not yet counted)."""
        if after(self.received_on, day):
            return self.amount or 0
        return self.outstanding


def payments_from(value: Any) -> tuple[Payment, ...]:
    return tuple(
        Payment(i, parse_date(p.get("due")), _int(p.get("amount")), parse_date(p.get("received_on")),
                _int(p.get("received_amount")), _text(p.get("note")))
        for i, p in enumerate(_list(value)) if isinstance(p, dict))


# --- settings -------------------------------------------------------------------------------

@dataclass(frozen=True)
class DealDesk:
    """The deal-desk settings (`deal_desk:` in dealbook.yaml), read once."""

    margin_floor: float
    quote_expiry_warn_days: int
    payment_warn_days: int
    contract_steps: tuple[str, ...]
    contract_steps_from: str
    contract_steps_since: dt.date | None
    approvers: dict[str, tuple[str, ...]]
    step_labels: dict[str, dict[str, str]]
    language: str

    def may_approve(self, step: str, handle: str, role: str) -> bool:
        """Whether a member (handle, team role) may give approval `step`."""
        allowed = self.approvers.get(step, ())
        return handle in allowed or role in allowed

    def who_may(self, step: str) -> tuple[str, ...]:
        return self.approvers.get(step, ())

    def who_label(self, step: str, _: Any) -> str:
        """Who may give `step`, in words: role labels in the translator's language, handles as written."""
        from ..text.enums import ENUMS, enum_label

        return ", ".join(enum_label(_, "member_role", w) if w in ENUMS["member_role"] else w
                         for w in self.who_may(step)) or "—"

    def step_label(self, step: str) -> str:
        labels = self.step_labels.get(step) or {}
        return labels.get(self.language) or labels.get("en") or step


@functools.lru_cache(maxsize=16)
def deal_desk(settings: Settings) -> DealDesk:
    raw = settings.raw.get("deal_desk")
    raw = raw if isinstance(raw, dict) else {}
    floor = _number(raw.get("margin_floor"))
    approvers = raw.get("approvers") if isinstance(raw.get("approvers"), dict) else {}
    labels = raw.get("steps") if isinstance(raw.get("steps"), dict) else {}
    steps = raw.get("contract_steps")
    return DealDesk(
        margin_floor=floor if floor is not None else 0.30,
        quote_expiry_warn_days=_int(raw.get("quote_expiry_warn_days")) or 0,
        payment_warn_days=_int(raw.get("payment_warn_days")) or 0,
        contract_steps=tuple(_text(s) for s in steps) if isinstance(steps, list) else (),
        contract_steps_from=_text(raw.get("contract_steps_from")) or "won",
        contract_steps_since=parse_date(raw.get("contract_steps_since")),
        approvers={str(k): tuple(_text(v) for v in _list(vs)) for k, vs in approvers.items()},
        step_labels={str(k): v for k, v in labels.items() if isinstance(v, dict)},
        language=settings.language,
    )


def how_to_sign(cid: str, contracts: Any, language: str = SOURCE_LANGUAGE) -> str:
    """How a customer already in a won stage signs a contract, where `dealbook move ID won` would
    be refused (a move back, or to the stage it is in): its latest unsigned contract gets its
    `signed` date with `dealbook set`; without one, the contract is added (and approved) first.
    In `language` (the team's, for a check's message)."""
    _ = translator(language)
    listed = _list(contracts)
    unsigned = [(i, c) for i, c in enumerate(listed) if isinstance(c, dict) and not c.get("signed")]
    index, number = (unsigned[-1][0], unsigned[-1][1].get("no")) if unsigned else (len(listed), None)
    sign = f"`dealbook set {cid} contracts.{index}.signed=YYYY-MM-DD`"
    if number:
        return _("sign contract %(number)s with %(command)s", number=number, command=sign)
    return _("add its contract with `dealbook set %(id)s 'contracts.%(index)s={no: NO, amount: AMOUNT}'`, have it "
             "approved when the settings ask for it, then sign it with %(command)s", id=cid, index=index, command=sign)


def pending_approvals(data: dict[str, Any], settings: Settings,
                      day: dt.date | None = None) -> tuple[tuple[str, str, tuple[str, ...]], ...]:
    """The approvals a customer's quotes and contracts still need: (quote or contract number,
    step, who may give it). Quotes below the margin floor without a `margin` approval; contracts
    lacking a step of `deal_desk.contract_steps` where `contract_needs_steps` says they need them.
    With `day`, as things stood at its end: an approval or a signature dated later is not there yet."""
    desk = deal_desk(settings)
    found: list[tuple[str, str, tuple[str, ...]]] = []
    for quote in quotes_of(data):
        if needs_margin_approval(quote, desk, day):
            found.append((quote.no or f"#{quote.index + 1}", MARGIN_STEP, desk.who_may(MARGIN_STEP)))
    stage = data.get("stage")
    for index, contract in enumerate(_list(data.get("contracts"))):
        if not isinstance(contract, dict) or not contract_needs_steps(contract, stage, settings, day):
            continue
        number = _text(contract.get("no")) or f"#{index + 1}"
        found.extend((number, step, desk.who_may(step)) for step in missing_steps(contract, desk, day))
    return tuple(found)


def missing_steps(contract: dict[str, Any], desk: DealDesk, day: dt.date | None = None) -> list[str]:
    """The steps of `deal_desk.contract_steps` a contract has no approval for (given by the end of
    `day`, when given), in their order."""
    given = {a.step for a in approvals_from(contract.get("approvals"), day)}
    return [step for step in desk.contract_steps if step not in given]


def contract_needs_steps(contract: dict[str, Any], stage: object, settings: Settings,
                         day: dt.date | None = None) -> bool:
    """Whether a contract must carry every approval step. A contract still in approval (no
    `signed` date, or, with `day`, signed after it) is being taken through the steps at any stage
    but lost; a signed one needs them from the stage `deal_desk.contract_steps_from` on. Neither
    does when it was signed before `deal_desk.contract_steps_since`."""
    desk = deal_desk(settings)
    if not desk.contract_steps:
        return False
    here = settings.stage_by_key.get(stage) if isinstance(stage, str) else None
    if here is None or here.kind == "lost":
        return False
    written = parse_date(contract.get("signed"))
    if written is not None and desk.contract_steps_since is not None and written < desk.contract_steps_since:
        return False
    if happened_by(written, day) is None:
        return True
    there = settings.stage_by_key.get(desk.contract_steps_from)
    return there is not None and here.index >= there.index
