"""A flag: something outside the cadence that needs a person's attention, and who must act."""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass


@dataclass(frozen=True)
class Flag:
    """A stable code, a sentence, when it is due, and who must act (`to`; empty: the customer's owner).

    Codes: a_grade_no_contact | change_contact_method | differentiation_due | reassess |
    lead_review | lead_sent_back | lead_plan | help_due."""

    code: str
    message: str
    due: dt.date | None
    to: tuple[str, ...] = ()
    # Tells apart flags of one customer and code (each help request: the time it was asked), as an
    # agenda item's `key`, so a calendar keeps each one's event while the others come and go.
    key: str = ""
