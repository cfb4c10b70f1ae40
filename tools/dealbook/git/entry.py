"""Records entered late, judged when they are committed: the pre-commit hook's warning.

A follow-up is recorded within entry_deadlines.followup_hours of the conversation, a new
customer within entry_deadlines.customer_hours of its `created` time. A file the commit adds
is entered now (the local clock); in CI, a file added after `--new-since REV` was entered when
the commit that added it was made. Late is better than never: these are warnings."""

from __future__ import annotations

import datetime as dt
import os
import subprocess
from collections.abc import Iterable
from zoneinfo import ZoneInfo

from ..records.book import Book
from ..records.dates import parse_moment
from ..records.diagnostics import WARNING, Diagnostic
from ..records.model import CUSTOMER, FOLLOWUP, kind_of


def _git(root: str, *args: str) -> subprocess.CompletedProcess:
    return subprocess.run(["git", "-c", "core.quotepath=false", *args], cwd=root, capture_output=True, text=True,
                          timeout=60)


def entry_times(root: str, paths: Iterable[str], now: dt.datetime,
                since: str | None = None, until: str = "HEAD") -> dict[str, dt.datetime]:
    """When each of `paths` (repo-relative records) was entered, for those that are new.

    Without `since`: a file not in HEAD is being entered now (the pre-commit case). With
    `since` (a revision): a file added between `since` and `until` was entered when the commit
    that added it was made (CI: the pull request's own commits); a file in neither is entered
    now. Files that are not new are absent; outside a git repository the answer is empty."""
    wanted = sorted({p for p in paths if kind_of(p) in (CUSTOMER, FOLLOWUP)})
    if not wanted or not os.path.isdir(root):
        return {}
    try:
        inside = _git(root, "rev-parse", "--is-inside-work-tree")
    except (OSError, subprocess.SubprocessError):
        return {}
    if inside.returncode != 0:
        return {}
    # --end-of-options: a revision is never read as an option (`--output=FILE` would write a file)
    head = _git(root, "ls-tree", "-r", "--name-only", "--end-of-options", until, "--", *wanted)
    committed = set(head.stdout.splitlines()) if head.returncode == 0 else set()
    found = {p: now for p in wanted if p not in committed}
    if since:
        log = _git(root, "log", "--diff-filter=A", "--format=%x00%cI", "--name-only", "--end-of-options",
                   f"{since}..{until}", "--", *wanted)
        if log.returncode == 0:
            when: dt.datetime | None = None
            for line in log.stdout.splitlines():
                if line.startswith("\0"):
                    when = dt.datetime.fromisoformat(line[1:])
                elif line and when is not None:
                    found[line] = when  # newest first: the last one seen is the commit that added it
    return found


def late_entry_diagnostics(book: Book, entered: dict[str, dt.datetime]) -> list[Diagnostic]:
    """A warning for each new record entered later than its deadline (entry_deadlines)."""
    from ..reports.activity import EntryDeadlines  # the reports load only when a record is new

    rules = EntryDeadlines.of(book.settings)
    found: list[Diagnostic] = []
    for path, when in sorted(entered.items()):
        kind = kind_of(path)
        if kind == FOLLOWUP:
            followup = next((f for f in book.followups_of(path.split("/")[-2]) if f.path == path), None)
            if followup is None or followup.at is None or not rules.late(followup.at, when):
                continue
            hours = _hours(when, followup.at, rules.zone)
            line, column = book.mark(path, ("at",))
            found.append(Diagnostic(path, line, column, WARNING, "late-entry", (
                f"this follow-up took place at {followup.at:%Y-%m-%d %H:%M} and is recorded {hours} h later; "
                f"record follow-ups within {_limit(rules.followup)} h of the conversation "
                "(entry_deadlines.followup_hours)")))
        elif kind == CUSTOMER:
            customer = book.customers_by_path.get(path)
            created = parse_moment(customer.data.get("created")) if customer is not None else None
            if created is None:
                continue
            # a date without a time is judged from the end of that day: the warning is never wrong
            start = created[0] if created[1] else created[0] + dt.timedelta(days=1)
            if not rules.late(start, when, kind="customer"):
                continue
            line, column = book.mark(path, ("created",))
            found.append(Diagnostic(path, line, column, WARNING, "late-entry", (
                f"this customer was created {customer.data.get('created')} and is recorded "
                f"{_hours(when, start, rules.zone)} h later; create customers within {_limit(rules.customer)} h of "
                "first contact (entry_deadlines.customer_hours)")))
    return found


def _hours(later: dt.datetime, earlier: dt.datetime, zone: ZoneInfo) -> int:
    return int((later - earlier.replace(tzinfo=zone)).total_seconds() // 3600)


def _limit(delta: dt.timedelta) -> str:
    hours = delta.total_seconds() / 3600
    return str(int(hours)) if hours.is_integer() else f"{hours:g}"
