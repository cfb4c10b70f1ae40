"""Checks of quotes and contracts: totals and margins, the margin floor, approval steps,
payment schedules (one file) and contract numbers and approvers (across records)."""

from __future__ import annotations

import os
from collections.abc import Iterator
from typing import Any

from ..records.book import Book
from ..records.dates import parse_date
from ..records.deals import (
    MARGIN_STEP,
    MARGIN_TOLERANCE,
    contract_needs_steps,
    deal_desk,
    how_to_sign,
    margin_and_floor,
    margin_of,
    missing_steps,
    needs_margin_approval,
    payments_from,
    quotes_of,
)
from ..records.diagnostics import ERROR, WARNING
from ..records.model import CUSTOMERS_DIR
from ..records.settings import Settings
from ..text.catalog import Translator, translator
from ..text.money import money
from ..text.numbers import percent

Finding = tuple[tuple, str, str, str]  # (where, severity, code, message)


def quote_findings(data: dict[str, Any], settings: Settings) -> Iterator[Finding]:
    """Per quote: line amounts, the total, cost and margin against the lines, the margin floor."""
    cur = settings.currency  # every amount in a message is written with it (`text.money`)
    _ = translator(settings.language)
    desk = deal_desk(settings)
    for quote in quotes_of(data):
        at = ("quotes", quote.index)
        if quote.lines_key == "items":
            yield ((*at, "items"), WARNING, "quote-lines-key",
                   _("quote lines are now written under `lines:` with `item` and `amount` "
                     "(was `items:` with `name` and `total`): rename them"))
        amount_key = "total" if quote.lines_key == "items" else "amount"
        for n, line in enumerate(quote.lines):
            expected = line.expected_amount
            if line.amount is not None and expected is not None and line.amount != expected:
                yield ((*at, quote.lines_key, n, amount_key), ERROR, "quote-line-amount",
                       _("this line's amount is %(amount)s but quantity × unit price is %(expected)s: fix the "
                         "amount, the quantity or the unit price", amount=money(line.amount, cur),
                         expected=money(expected, cur)))
        lines_total = quote.lines_total
        if quote.total is not None and lines_total is not None and quote.total != lines_total:
            yield ((*at, "total"), ERROR, "quote-total",
                   _("the total is %(total)s but the lines add up to %(lines)s: fix the total or the lines "
                     "(`dealbook quote` computes it)", total=money(quote.total, cur), lines=money(lines_total, cur)))
        if quote.cost is not None and quote.lines_cost is not None and quote.cost != quote.lines_cost:
            yield ((*at, "cost"), ERROR, "quote-cost",
                   _("the cost is %(cost)s but the lines' unit costs add up to %(lines)s: fix the cost or the lines",
                     cost=money(quote.cost, cur), lines=money(quote.lines_cost, cur)))
        implied = margin_of(quote.amount, quote.known_cost)
        if quote.margin is not None and implied is not None and abs(quote.margin - implied) > MARGIN_TOLERANCE:
            yield ((*at, "margin"), ERROR, "quote-margin",
                   _("the margin is %(margin)s but (amount − cost) / amount = (%(amount)s − %(cost)s) / %(amount)s "
                     "= %(implied)s: fix the margin or the cost", margin=percent(quote.margin),
                     amount=money(quote.amount, cur), cost=money(quote.known_cost, cur), implied=percent(implied)))
        if needs_margin_approval(quote, desk) and not quote.is_draft:
            margin = quote.effective_margin or 0.0
            who = (_.pgettext("enumeration", ", ").join(desk.who_may(MARGIN_STEP))
                   or _("nobody (deal_desk.approvers.margin is empty)"))
            shown, floor = margin_and_floor(margin, desk.margin_floor)
            yield ((*at, "margin") if quote.margin is not None else at, ERROR, "margin-below-floor",
                   _("margin %(margin)s is below the floor of %(floor)s (deal_desk.margin_floor) and the quote is "
                     "not a draft: it needs an approval `{step: %(step)s, by: HANDLE, on: YYYY-MM-DD}` from a member "
                     "who may give it (%(who)s) before it goes out; until then mark it `status: draft`",
                     margin=shown, floor=floor, step=MARGIN_STEP, who=who))


def _signing(data: dict[str, Any], stage: str, settings: Settings) -> str:
    """How to sign a contract of a customer in won stage `stage`: with the move into the first won
    stage, or, in it already or past it (a repeat purchase in after-sales), with `dealbook set`,
    since that move would then be refused."""
    cid = data.get("id") or "ID"
    by_set = how_to_sign(cid, data.get("contracts"), settings.language)
    first = next((s.key for s in settings.stages if s.kind == "won"), stage)
    if stage != first:
        return by_set
    _ = translator(settings.language)
    return _("sign it with the move, `dealbook move %(id)s %(stage)s --contract-no NO --signed YYYY-MM-DD`, or, "
             "already in `%(stage)s`, %(by_set)s", id=cid, stage=first, by_set=by_set)


def contract_findings(data: dict[str, Any], settings: Settings) -> Iterator[Finding]:
    """Per contract: the approval steps required from the stage in settings, payments, dates."""
    cur = settings.currency  # every amount in a message is written with it (`text.money`)
    _ = translator(settings.language)
    desk = deal_desk(settings)
    contracts = data.get("contracts")
    stage = data.get("stage")
    listed = [c for c in contracts if isinstance(c, dict)] if isinstance(contracts, list) else []
    won = isinstance(stage, str) and settings.is_won(stage)
    if listed and won and not any(parse_date(c.get("signed")) for c in listed):
        yield (("contracts",), ERROR, "contract-unsigned",
               _("stage `%(stage)s` needs a signed contract, but no contract has its `signed` date: once the "
                 "approvals are in, %(how)s", stage=stage, how=_signing(data, stage, settings)))
    for index, contract in enumerate(contracts if isinstance(contracts, list) else []):
        if not isinstance(contract, dict):
            continue
        at = ("contracts", index)
        signed = parse_date(contract.get("signed"))
        if signed is not None and contract_needs_steps(contract, stage, settings):
            missing = missing_steps(contract, desk)
            if missing:
                names = _.pgettext("enumeration", ", ").join(
                    _("%(step)s (%(label)s)", step=s, label=desk.step_label(s)) for s in missing)
                yield (at, ERROR, "contract-approval-missing",
                       _.ngettext("contract %(contract)s lacks the approval step %(names)s, required from stage "
                                  "`%(stage)s` (deal_desk.contract_steps): each approver adds theirs with "
                                  "`dealbook approve %(id)s %(no)s` and commits it",
                                  "contract %(contract)s lacks the approval steps %(names)s, required from stage "
                                  "`%(stage)s` (deal_desk.contract_steps): each approver adds theirs with "
                                  "`dealbook approve %(id)s %(no)s` and commits it",
                                  len(missing), contract=contract.get('no') or index + 1, names=names,
                                  stage=desk.contract_steps_from, id=data.get('id') or 'ID',
                                  no=contract.get('no') or 'NO'))
        dated = {a.get("step"): (i, parse_date(a.get("on"))) for i, a in enumerate(contract.get("approvals") or [])
                 if isinstance(a, dict)}
        previous: tuple[str, object] | None = None
        for step in desk.contract_steps:
            index_on = dated.get(step)
            if index_on is None or index_on[1] is None:
                continue
            if previous is not None and index_on[1] < previous[1]:  # type: ignore[operator]
                yield ((*at, "approvals", index_on[0], "on"), WARNING, "approval-order",
                       _("`%(step)s` approved on %(on)s, before `%(previous)s` (%(previous_on)s): the steps go in "
                         "the order of deal_desk.contract_steps (%(order)s)", step=step, on=index_on[1],
                         previous=previous[0], previous_on=previous[1], order=' → '.join(desk.contract_steps)))
            previous = (step, index_on[1])
        payments = payments_from(contract.get("payments"))
        for payment in payments:
            where = (*at, "payments", payment.index)
            if payment.received_amount is not None and payment.received_on is None:
                yield ((*where, "received_amount"), ERROR, "payment-receipt",
                       _("a received amount needs the day it came in: add `received_on: YYYY-MM-DD`"))
            if payment.received_amount is not None and payment.amount is not None \
                    and payment.received_amount > payment.amount:
                yield ((*where, "received_amount"), WARNING, "payment-overpaid",
                       _("received %(received)s on an instalment of %(amount)s: record the surplus against the "
                         "next instalment", received=money(payment.received_amount, cur),
                         amount=money(payment.amount, cur)))
        amount = contract.get("amount")
        scheduled = [p.amount for p in payments]
        if payments and all(a is not None for a in scheduled) and isinstance(amount, int) \
                and sum(scheduled) != amount:  # type: ignore[arg-type]
            yield ((*at, "payments"), WARNING, "payments-total",
                   _("the instalments add up to %(total)s but the contract amount is %(amount)s: the schedule "
                     "should cover the contract", total=money(sum(scheduled), cur),  # type: ignore[arg-type]
                     amount=money(amount, cur)))
        end = parse_date(contract.get("service_end"))
        if end is not None and signed is not None and end < signed:
            yield ((*at, "service_end"), ERROR, "service-end",
                   _("the service term ends (%(end)s) before the contract was signed (%(signed)s)",
                     end=end, signed=signed))


def contract_numbers_on_disk(root: str, wanted: set[str], skip: set[str]) -> dict[str, list[str]]:
    """Customer files (other than `skip`) whose contracts use one of `wanted`: {number: [path]}.

    A PATH-limited check reads only the files named; a contract number must still be unique
    across the repo, so the other customer files are searched for the numbers' text and only
    the files that contain one are parsed."""
    from ..records.load import parse_bytes

    found: dict[str, list[str]] = {}
    folder = os.path.join(root, CUSTOMERS_DIR)
    try:
        entries = sorted(os.listdir(folder))
    except OSError:
        return found
    needles = [(n, n.encode("utf-8")) for n in wanted if n]
    for entry in entries:
        path = f"{CUSTOMERS_DIR}/{entry}"
        if path in skip or not entry.endswith((".yaml", ".yml")):
            continue
        try:
            with open(os.path.join(folder, entry), "rb") as handle:
                raw = handle.read()
        except OSError:
            continue
        if not any(needle in raw for _, needle in needles):
            continue
        loaded = parse_bytes(raw, path)
        data = loaded.data if loaded.error is None else None
        contracts = data.get("contracts") if isinstance(data, dict) else None
        for contract in contracts if isinstance(contracts, list) else []:
            number = contract.get("no") if isinstance(contract, dict) else None
            if isinstance(number, str) and number in wanted:
                found.setdefault(number, []).append(path)
    return found


def _numbers_elsewhere(book: Book, wanted: set[str]) -> dict[str, list[str]]:
    """The customer files outside a PATH-limited Book that use any of these contract numbers: from
    the stored customer index when the Book carries it (`checks.customer_index`), else from disk."""
    if book.repo_customers is None:
        return contract_numbers_on_disk(book.root or "", wanted, set(book.customers_by_path))
    found: dict[str, list[str]] = {}
    for number, path in book.repo_customers.holding_numbers(wanted):  # in path order
        if path not in book.customers_by_path:
            found.setdefault(number, []).append(path)
    return found


def duplicate_contract_message(_: Translator, number: str, path: str) -> str:
    """The `duplicate-contract` message of a contract whose number the customer file `path` also
    uses, in the translator's language: the one wording of that finding, for a check and for an
    edit it refuses (`editing.edits`)."""
    return _("contract number `%(number)s` is already used by %(path)s: contract numbers are unique",
             number=number, path=path)


def duplicate_contract_findings(_: Translator, by_number: dict[str, list[tuple[str, int]]]
                                ) -> Iterator[tuple[str, int, str]]:
    """(path, contract index, message) of the `duplicate-contract` findings, given per contract number
    the (path, index) of each contract holding it: index -1 for a customer file outside the checked
    ones (named, never given a finding). A contract whose number a file earlier in path order holds
    is a duplicate of the first; the first, when checked, is one of a file outside the checked ones
    (so a PATH-limited check of it says so). The one source of these findings: for a check
    (`deal_cross_findings`) and for a review of a git revision (`git.store.touched_duplicates`)."""
    for number, places in by_number.items():
        if len(places) < 2:
            continue
        places = sorted(places, key=lambda p: (p[0], p[1]))
        first = places[0]
        for path, index in places[1:]:
            if index < 0:
                continue
            yield (path, index,
                   _("contract number `%(number)s` is already used by another contract of this customer: contract "
                     "numbers are unique", number=number) if path == first[0] else
                   duplicate_contract_message(_, number, first[0]))
        if first[1] >= 0 and any(index < 0 for _, index in places[1:]):
            other = next(p for p, index in places[1:] if index < 0)
            yield first[0], first[1], duplicate_contract_message(_, number, other)


def deal_cross_findings(book: Book, only: set[str] | None) -> Iterator[tuple[str, tuple, str, str, str]]:
    """Contract numbers unique across the repo; approvals given by members who may give them."""
    _ = translator(book.settings.language)
    desk = deal_desk(book.settings)
    by_number: dict[str, list[tuple[str, int]]] = {}
    for path, customer in book.customers_by_path.items():
        for index, contract in enumerate(customer.contracts):
            if contract.no:
                by_number.setdefault(contract.no, []).append((path, index))
    if not book.complete and book.root and only:
        wanted = {n for n, places in by_number.items() if any(p in only for p, _ in places)}
        for number, paths in (_numbers_elsewhere(book, wanted) if wanted else {}).items():  # none: read nothing
            by_number[number].extend((p, -1) for p in paths)
    for path, index, message in duplicate_contract_findings(_, by_number):
        yield (path, ("contracts", index, "no"), ERROR, "duplicate-contract", message)
    if not book.members:
        return
    for path, customer in book.customers_by_path.items():
        if only is not None and path not in only:
            continue
        for quote in quotes_of(customer.data):
            for approval in quote.approvals:
                yield from _approver(book, desk, path, ("quotes", quote.index, "approvals", approval.index),
                                     approval.step, approval.by, customer.owner)
        for index, contract in enumerate(customer.contracts):
            for approval in contract.approvals:
                yield from _approver(book, desk, path, ("contracts", index, "approvals", approval.index),
                                     approval.step, approval.by, customer.owner)


def _approver(book: Book, desk: Any, path: str, where: tuple, step: str, handle: str,
              owner: str) -> Iterator[tuple[str, tuple, str, str, str]]:
    _ = translator(book.settings.language)
    member = book.members.get(handle)
    allowed = _.pgettext("enumeration", ", ").join(desk.who_may(step)) or _("nobody")
    if member is None:
        yield (path, (*where, "by"), ERROR, "unknown-member",
               _("approver `%(handle)s` is not a member of the team; approvals of `%(step)s` are given by: "
                 "%(allowed)s", handle=handle, step=step, allowed=allowed))
        return
    if not desk.may_approve(step, member.handle, member.role):
        yield (path, (*where, "by"), ERROR, "approval-not-allowed",
               _("`%(handle)s` (%(role)s) may not give the approval `%(step)s` (%(label)s); it is given by: "
                 "%(allowed)s (deal_desk.approvers.%(step)s)", handle=handle, role=member.role, step=step,
                 label=desk.step_label(step), allowed=allowed))
    elif handle == owner:
        yield (path, (*where, "by"), ERROR, "approval-self",
               _("`%(handle)s` owns this customer and cannot approve its own deal (four eyes): ask another of: "
                 "%(allowed)s", handle=handle, allowed=allowed))
