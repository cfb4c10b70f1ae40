"""A lost customer re-opened starts afresh: no clock reaches back before the re-opening.

The re-opening is the latest dated `stage_history` entry that leaves a lost-kind stage
(lost → the first stage), on or before today. From then on only the follow-ups on or after
that day set a clock (the next action, the cadence, an exception, the flags and risks that
count from the last contact), and the re-opening itself counts as the last touch until one is
recorded. What is known about the customer is kept: the grade's decision-maker access and the
last contact shown still read every follow-up."""

from __future__ import annotations

import datetime as dt

from ..records.dates import after
from ..records.model import Customer, FollowUp


def reopened_on(customer: Customer, today: dt.date, kinds: dict[str, str]) -> dt.date | None:
    """The day the customer was last re-opened after a loss, on or before `today` (None: never).
    `kinds`: each stage's kind by key (a stage of kind `lost` is a loss)."""
    found = None
    before = None
    for entry in customer.stage_history:
        if after(entry.on, today):
            break
        if (entry.on is not None and before is not None and kinds.get(before) == "lost"
                and kinds.get(entry.stage) != "lost"):
            found = entry.on
        before = entry.stage
    return found


def since_reopening(counted: list[FollowUp], reopened: dt.date | None) -> list[FollowUp]:
    """The follow-ups (dated, oldest first) that set a clock: those on or after the re-opening day."""
    if reopened is None or not counted or counted[0].at is None or counted[0].at.date() >= reopened:
        return counted
    return [f for f in counted if f.at is not None and f.at.date() >= reopened]


def last_touch(current: list[FollowUp], reopened: dt.date | None) -> dt.date | None:
    """The day the contact clocks count from: the latest of `current` (`since_reopening`) or the
    re-opening, whichever is later (None: no follow-up and never re-opened)."""
    latest = current[-1].at.date() if current and current[-1].at is not None else None
    if latest is None or (reopened is not None and reopened > latest):
        return reopened
    return latest
