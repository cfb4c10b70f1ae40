"""After signing: the delivery cadence, the after-sales visit windows and the yearly care letter.

Pure functions of dates: the due-date rule (`due`) asks them what a won customer owes next.
A visit window is a span of days after delivery (first visit 3–7 days, then about 1, 3 and
6 months by default). Held follow-ups after delivery are matched to windows in date order:
a follow-up inside an open window meets it; one after a window closed meets the latest
overdue window (late) and the earlier overdue ones are left behind as missed; one before
the next window opens, but after the previous window closed, meets it early.
"""

from __future__ import annotations

import datetime as dt
import functools
from dataclasses import dataclass
from typing import Any

from ..records.model import Contract
from ..records.settings import Settings
from ..text.catalog import translator

MET, EARLY, LATE, MISSED = "met", "early", "late", "missed"


def _int(value: Any, default: int) -> int:
    return value if isinstance(value, int) and not isinstance(value, bool) and value >= 0 else default


@dataclass(frozen=True)
class Window:
    """A scheduled visit: due between `start` and `end` days after delivery."""

    start: int
    end: int


@dataclass(frozen=True)
class AfterSales:
    """The `after_sales:` settings, read once."""

    delivery_cadence_days: int
    windows: tuple[Window, ...]
    care_letter: tuple[int, int] | None  # (month, day)
    care_window_days: int
    guide_days: int
    renewal_warn_days: int


DEFAULT_WINDOWS = (Window(3, 7), Window(23, 37), Window(76, 104), Window(166, 194))


def _windows(raw: dict[str, Any]) -> tuple[Window, ...]:
    old = raw.get("visits_after_delivery_days")
    if isinstance(old, list):  # the older form: one day per visit, each due by that day
        days = sorted(_int(d, -1) for d in old if _int(d, -1) >= 0)
        return tuple(Window(d, d) for d in days)
    given = raw.get("visits")
    if not isinstance(given, list):
        return DEFAULT_WINDOWS
    found = []
    for item in given:
        if isinstance(item, dict):
            end = _int(item.get("to"), -1)
            if end >= 0:
                found.append(Window(min(_int(item.get("from"), end), end), end))
    return tuple(sorted(found, key=lambda w: (w.end, w.start)))


def _care_day(value: Any) -> tuple[int, int] | None:
    if not isinstance(value, str) or len(value) != 5 or value[2] != "-":
        return None
    try:
        month, day = int(value[:2]), int(value[3:])
        dt.date(2024, month, day)  # a leap year: 02-29 is a valid setting
    except ValueError:
        return None
    return month, day


@functools.lru_cache(maxsize=16)
def after_sales(settings: Settings) -> AfterSales:
    raw = settings.raw.get("after_sales")
    raw = raw if isinstance(raw, dict) else {}
    return AfterSales(
        delivery_cadence_days=_int(raw.get("delivery_cadence_days"), 7),
        windows=_windows(raw),
        care_letter=_care_day(raw.get("care_letter")),
        care_window_days=_int(raw.get("care_window_days"), 30),
        guide_days=_int(raw.get("guide_days"), 30),
        renewal_warn_days=_int(raw.get("renewal_warn_days"), 60),
    )


def match_visits(delivered: dt.date, held: list[dt.date], windows: tuple[Window, ...]) -> list[str | None]:
    """Per window: met | early | late | missed, or None while still owed. `held`: dates of held
    follow-ups, oldest first (those before delivery are ignored)."""
    state: list[str | None] = [None] * len(windows)
    for day in held:
        x = (day - delivered).days
        if x < 0:
            continue
        owed = [k for k, s in enumerate(state) if s is None]
        if not owed:
            break
        inside = [k for k in owed if windows[k].start <= x <= windows[k].end]
        overdue = [k for k in owed if windows[k].end < x]
        if inside:
            chosen, status = inside[0], MET
        elif overdue:
            chosen, status = overdue[-1], LATE
        else:
            chosen = owed[0]
            previous_end = windows[chosen - 1].end if chosen > 0 else -1
            if x <= previous_end:
                continue  # another touch inside a window already met: not the next visit yet
            status = EARLY
        for k in overdue:
            if k < chosen:
                state[k] = MISSED
        state[chosen] = status
    return state


def next_window(delivered: dt.date, held: list[dt.date], windows: tuple[Window, ...]) -> tuple[int, Window] | None:
    """The first visit window still owed (its position and span), None when all are done."""
    for k, status in enumerate(match_visits(delivered, held, windows)):
        if status is None:
            return k, windows[k]
    return None


def _on(year: int, month_day: tuple[int, int]) -> dt.date:
    month, day = month_day
    try:
        return dt.date(year, month, day)
    except ValueError:  # 02-29 in a common year
        return dt.date(year, month, day - 1)


def care_letter_due(delivered: dt.date, held: list[dt.date], today: dt.date, a: AfterSales) -> dt.date | None:
    """The care-letter day now owed: the first yearly day, at least `care_window_days` after
    delivery, with no held follow-up from `care_window_days` before it until the next one's
    window opens; a year whose whole span has passed unmet is left behind. None when off."""
    if a.care_letter is None:
        return None
    span = dt.timedelta(days=a.care_window_days)
    year = delivered.year
    while year <= today.year + 1:
        day = _on(year, a.care_letter)
        year += 1
        if day - span < delivered:
            continue
        following = _on(year, a.care_letter) - span
        if any(day - span <= h < following for h in held):
            continue
        if following <= today:
            continue  # that year's letter was never sent and its time is over
        return day
    return None


# --- what a won customer owes next (the due-date rule asks) -----------------------------------

Candidate = tuple[dt.date, int, str, str]  # (date, tie-break, Due kind, reason) as `due` ranks them


def delivered_on(contracts: tuple[Contract, ...], today: dt.date) -> dt.date | None:
    """The latest contract delivery on or before today (a later delivery restarts the schedule)."""
    dates = [c.delivered for c in contracts if c.delivered is not None and c.delivered <= today]
    return max(dates) if dates else None


def awaiting_delivery(contracts: tuple[Contract, ...], delivered: dt.date, today: dt.date) -> tuple[Contract, ...]:
    """The contracts signed on or after the latest delivery (a repeat purchase) and not delivered by today."""
    return tuple(c for c in contracts if c.signed is not None and delivered <= c.signed <= today
                 and (c.delivered is None or c.delivered > today))


def _window_reason(window: Window, delivered: dt.date, _: Any) -> str:
    if window.start < window.end:
        return _("after-sales visit %(start)s–%(end)s days after delivery (delivered %(delivered)s)",
                 start=window.start, end=window.end, delivered=delivered)
    return _("after-sales visit %(end)s days after delivery (delivered %(delivered)s)",
             end=window.end, delivered=delivered)


def after_delivery(delivered: dt.date, held: list[dt.date], today: dt.date, settings: Settings) -> list[Candidate]:
    """The next visit window still owed (due on its last day) and the next care letter."""
    a = after_sales(settings)
    _ = translator(settings.language)
    found: list[Candidate] = []
    owed = next_window(delivered, held, a.windows)
    if owed is not None:
        _k, window = owed
        found.append((delivered + dt.timedelta(days=window.end), 1, "after_sales",
                      _window_reason(window, delivered, _)))
    care = care_letter_due(delivered, held, today, a)
    if care is not None:
        found.append((care, 1, "care_letter",
                      _("yearly customer-care letter (each %(day)s)", day=care.strftime("%m-%d"))))
    return found


def before_delivery(contracts: tuple[Contract, ...], won_since: dt.date | None, last_touch: dt.date | None,
                    today: dt.date, settings: Settings) -> Candidate | None:
    """Signed, not yet delivered: a progress update every `delivery_cadence_days`, counted from
    the last follow-up, or from the signing when there has been none since."""
    a = after_sales(settings)
    _ = translator(settings.language)
    signed = [c.signed for c in contracts if c.signed is not None and c.signed <= today]
    start = max(signed) if signed else won_since
    base = max(d for d in (start, last_touch) if d is not None) if (start or last_touch) else None
    if base is None:
        return None
    every = a.delivery_cadence_days
    if last_touch is not None and (start is None or last_touch >= start):
        days = (today - last_touch).days
        reason = (_("signed, not yet delivered: a progress update every %(every)s days, last contact today",
                    every=every) if days == 0 else
                  _.ngettext("signed, not yet delivered: a progress update every %(every)s days, last contact "
                             "%(num)d day ago",
                             "signed, not yet delivered: a progress update every %(every)s days, last contact "
                             "%(num)d days ago", days, every=every))
    else:
        reason = _("signed, not yet delivered: a progress update every %(every)s days, signed %(signed)s",
                   every=every, signed=start)
    return (base + dt.timedelta(days=every), 2, "delivery", reason)
