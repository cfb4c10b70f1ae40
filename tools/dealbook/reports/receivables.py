"""Receivables (应收回款): instalments not yet received, per owner, by how long they are overdue."""

from __future__ import annotations

import datetime as dt
from collections import defaultdict
from typing import Any

from ..records.book import Book
from ..text.catalog import N_, translator
from .history import split_values
from .periods import Period
from .report import Column, Report

# (key, first day overdue, last day overdue or None): "not_due" holds instalments not yet due
AGES = (("not_due", None, 0), ("d1_30", 1, 30), ("d31_60", 31, 60), ("d61_90", 61, 90), ("d90_plus", 91, None))
AGE_LABELS = {"not_due": N_("Not yet due"), "d1_30": N_("1–30 days overdue"), "d31_60": N_("31–60 days overdue"),
              "d61_90": N_("61–90 days overdue"), "d90_plus": N_("Over 90 days overdue")}


def age_key(due: dt.date, today: dt.date) -> str:
    """The age column of an instalment due on `due`, as of `today`."""
    late = (today - due).days
    if late <= 0:
        return "not_due"
    for key, first, last in AGES[1:]:
        if late >= first and (last is None or late <= last):  # type: ignore[operator]
            return key
    return AGES[-1][0]


def open_instalments(book: Book, today: dt.date) -> list[dict[str, Any]]:
    """Every scheduled instalment with money still outstanding at the end of `today`, as plain
    rows: customer, owner, contract, due, amount, received, outstanding, days_overdue, age."""
    rows = []
    for customer in book.customers.values():
        for contract in customer.contracts:
            for payment in contract.payments:
                owed = payment.outstanding_on(today)
                if owed <= 0 or payment.due is None:
                    continue
                late = max(0, (today - payment.due).days)
                rows.append({"customer": customer.id, "name": customer.name, "owner": customer.owner,
                             "contract": contract.no, "due": payment.due, "amount": payment.amount,
                             "received": (payment.amount or 0) - owed, "outstanding": owed,
                             "days_overdue": late, "age": age_key(payment.due, today)})
    rows.sort(key=lambda r: (r["due"], r["customer"], r["contract"]))
    return rows


def receivables(book: Book, period: Period, today: dt.date) -> Report:
    """Money still to be received on contracts, per owner and by days overdue, as of today."""
    _ = translator(book.settings.language)
    tally: dict[str, dict[str, Any]] = defaultdict(lambda: defaultdict(int))
    for row in open_instalments(book, today):
        line = tally[row["owner"]]
        line[row["age"]] += row["outstanding"]
        line["outstanding"] += row["outstanding"]
        line["instalments"] += 1
        if row["days_overdue"]:
            line["overdue"] += row["outstanding"]
            line["overdue_instalments"] += 1
    keys = ["instalments", "outstanding", "overdue", "overdue_instalments", *(a[0] for a in AGES)]
    rows = [{"owner": owner, **{k: tally[owner][k] for k in keys}} for owner in sorted(tally)]
    rows.sort(key=lambda r: (-r["overdue"], -r["outstanding"], r["owner"]))
    totals = {k: sum(r[k] for r in rows) for k in keys}
    columns = [
        Column("owner", _("Owner"), "text", split_values(book, "owner")),
        Column("instalments", _("Open instalments"), "int"),
        Column("outstanding", _("Outstanding"), "money"),
        Column("overdue_instalments", _("Overdue instalments"), "int"),
        Column("overdue", _.pgettext("receivables", "Overdue amount"), "money"),
        *(Column(key, _(AGE_LABELS[key]), "money") for key, _first, _last in AGES),
    ]
    notes = [_("As of %(today)s: contract instalments not yet fully received (the amount due less what came in; a "
               "receipt date without an amount counts as paid in full), by the customer's owner; age = days since the "
               "instalment was due. Money owed by lost (churned) customers is still counted.", today=today)]
    title = _("Receivables") + f" · {today.isoformat()}"
    return Report("receivables", title, columns, rows, totals, notes, "bar", chart_key="outstanding")
