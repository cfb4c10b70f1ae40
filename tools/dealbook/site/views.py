"""Everything the pages show, computed once per build from the Book: states, agenda, reports, change logs.

Features owned by other modules (rules, agenda, reports, git change logs) are imported lazily:
when one is missing the pages omit that section with a note instead of failing the build."""

from __future__ import annotations

import copy
import datetime as dt
import functools
import importlib
import logging
import subprocess
from dataclasses import dataclass, field
from types import ModuleType
from typing import Any

from ..records.book import Book
from ..records.diagnostics import ERROR, Diagnostic, sort_key
from ..records.model import Customer, FollowUp
from .labels import Labels
from .urls import SNAPSHOT

log = logging.getLogger("mkdocs.plugins.dealbook")

PERIOD_KEYS = ("this-month", "last-month", "this-quarter", "trailing-12")  # reports over a window
AHEAD_KEYS = ("this-quarter", "next-quarter")  # the forecast: deals expected to close in the period


def optional(module: str) -> ModuleType | None:
    """The module, or None when it is not there (yet)."""
    try:
        return importlib.import_module(module)
    except ModuleNotFoundError as exc:
        if exc.name and module.startswith(exc.name):
            log.info("dealbook: %s is not available; its sections are left out", module)
            return None
        raise


def in_git_work_tree(path: str) -> bool:
    try:
        done = subprocess.run(["git", "-C", path, "rev-parse", "--is-inside-work-tree"],
                              capture_output=True, text=True, timeout=20)
    except (OSError, subprocess.SubprocessError):
        return False
    return done.returncode == 0 and done.stdout.strip() == "true"


def month_start(day: dt.date, back: int = 0) -> dt.date:
    index = day.year * 12 + day.month - 1 - back
    return dt.date(index // 12, index % 12 + 1, 1)


def periods_for(today: dt.date) -> dict[str, tuple[dt.date, dt.date, str]]:
    """(start, end, label) of this month, last month, this and next quarter, the trailing 12 months."""
    this = month_start(today)
    next_month = month_start(today, -1)
    last = month_start(today, 1)
    quarter = dt.date(today.year, 3 * ((today.month - 1) // 3) + 1, 1)
    quarter_end = month_start(quarter, -3) - dt.timedelta(days=1)
    following = month_start(quarter, -3)
    following_end = month_start(quarter, -6) - dt.timedelta(days=1)
    return {
        "next-quarter": (following, following_end, f"{following.year}-Q{(following.month - 1) // 3 + 1}"),
        "this-month": (this, next_month - dt.timedelta(days=1), f"{this:%Y-%m}"),
        "last-month": (last, this - dt.timedelta(days=1), f"{last:%Y-%m}"),
        "this-quarter": (quarter, quarter_end, f"{today.year}-Q{(today.month - 1) // 3 + 1}"),
        "trailing-12": (month_start(today, 11), next_month - dt.timedelta(days=1),
                        f"{month_start(today, 11):%Y-%m}..{this:%Y-%m}"),
    }


@dataclass
class SiteData:
    """One build's view of the records."""

    book: Book
    today: dt.date
    labels: Labels
    repo: str
    missing: dict[str, str] = field(default_factory=dict)  # feature -> the module it needs
    failures: list[str] = field(default_factory=list)
    rows: dict[str, dict[str, Any]] = field(default_factory=dict)  # customer table rows, by id
    computed_reports: dict[tuple[str, ...], Any] = field(default_factory=dict)
    _authors: dict[str, str] | None = None
    # `mkdocs serve`: per customer id, a digest of what its own records are made of (its files'
    # stamps, the git HEAD: reuse.customer_inputs), and each customer's share of the replayed "overdue
    # a week ago" of the last rebuild with the digest it was computed from (`overdue_before`)
    inputs: dict[str, str | None] | None = None
    replays: dict[str, Any] | None = None
    # `mkdocs serve`: the last rebuild's states and rows, by customer, with the inputs each was
    # computed from (`reuse_kept`, `keep`)
    kept: dict[str, Any] | None = None
    _known_states: dict[str, Any] | None = None
    _kept_totals: dict[tuple[Any, ...], Any] | None = None

    @property
    def settings(self) -> Any:
        return self.book.settings

    # --- diagnostics -------------------------------------------------------------------
    @functools.cached_property
    def diagnostics(self) -> list[Diagnostic]:
        return sorted(self.book.diagnostics, key=sort_key)

    @functools.cached_property
    def errors(self) -> list[Diagnostic]:
        return [d for d in self.diagnostics if d.severity == ERROR]

    @functools.cached_property
    def left_out(self) -> list[str]:
        """The stems of the customer files no page or figure counts: they cannot be read (the data
        quality page and the banner name them, as the commands' warning does)."""
        from ..records.ids import left_out

        return left_out(self.repo, self.book.customers)

    # --- optional features ---------------------------------------------------------------
    def _call(self, feature: str, module: str, name: str, *args: Any, **kwargs: Any) -> Any:
        found = optional(module)
        if found is None or not hasattr(found, name):
            self.missing[feature] = f"{module}.{name}"
            return None
        return self.guard(feature, f"{module}.{name}", getattr(found, name), *args, **kwargs)

    def guard(self, feature: str, what: str, function: Any, *args: Any, **kwargs: Any) -> Any:
        """`function(*args, **kwargs)`, or None when it fails: the failure is logged, listed in
        `failures` and `feature` marked missing (its pages say what is not shown), the rest of the
        site is built."""
        try:
            return function(*args, **kwargs)
        except Exception as exc:  # another module's bug must not take the whole site down
            message = f"dealbook: {what} failed: {type(exc).__name__}: {exc}"
            log.warning(message)
            self.failures.append(message)
            self.missing[feature] = what
            return None

    @functools.cached_property
    def states(self) -> dict[str, Any] | None:
        """rules.evaluate: per customer id, its grade, due date, last contact, value tier, flags."""
        return self._call("rules", "dealbook.rules.state", "evaluate", self.book, self.today, known=self._known_states)

    # --- kept between the rebuilds of `mkdocs serve` ------------------------------------------
    def _kept_key(self, day: dt.date | None = None) -> str | None:
        """What a customer's results on `day` (default today) depend on besides its own records: the
        settings, the team and the day (`inputs` covers the records)."""
        from .reuse import fingerprint

        return fingerprint(self.settings.raw, self.book.members, self.book.team_path, day or self.today)

    def reuse_kept(self) -> None:
        """Take the last rebuild's states and table rows of every customer whose own records are as
        they were then (`inputs`), when the settings, the team and the day are too: a customer's
        state and row depend on nothing else (see `customer_views`)."""
        kept, inputs = self.kept, self.inputs
        if kept is None or inputs is None:
            return
        if not kept or kept.get("key") != self._kept_key():
            self._kept_totals = {}
            return
        self._kept_totals = dict(kept.get("totals") or {})
        same = {cid for cid, (was, _state) in kept["states"].items() if was is not None and inputs.get(cid) == was}
        self._known_states = {cid: kept["states"][cid][1] for cid in same}
        self.rows.update((cid, row) for cid, (was, row) in kept["rows"].items() if cid in same and was == inputs[cid])

    def keep(self) -> None:
        """Keep this build's states and rows for the next rebuild (`reuse_kept`)."""
        kept, inputs = self.kept, self.inputs
        if kept is None or inputs is None:
            return
        kept.clear()
        states = self.__dict__.get("states")
        key = self._kept_key()
        if key is None or not states:
            return
        kept.update(key=key,
                    states={cid: (inputs.get(cid), state) for cid, state in states.items() if inputs.get(cid)},
                    rows={cid: (inputs.get(cid), row) for cid, row in self.rows.items() if inputs.get(cid)},
                    totals=self._kept_totals or {})

    @functools.cached_property
    def agenda(self) -> list[Any] | None:
        return self._call("agenda", "dealbook.rules.agenda", "agenda_items", self.book, self.today)

    @functools.cached_property
    def reports(self) -> dict[str, Any] | None:
        found = optional("dealbook.reports")
        if found is None or not hasattr(found, "REPORTS"):
            self.missing["reports"] = "dealbook.reports.REPORTS"
            return None
        return dict(found.REPORTS)

    def report(self, name: str, period_key: str) -> Any:
        """The named report over one of the site's periods (None when it fails); computed once."""
        key = (name, period_key)
        if key not in self.computed_reports:
            self.computed_reports[key] = self._report(name, period_key)
        return self.computed_reports[key]

    def report_periods(self, name: str) -> tuple[str, ...]:
        """The site periods a report has pages for: one page for a snapshot, the quarters ahead for
        the forecast, this month / last month / this quarter / the last 12 months for the others."""
        found = optional("dealbook.reports")
        use = found.period_use(name) if found is not None and hasattr(found, "period_use") else "window"
        if use == "snapshot":
            return (SNAPSHOT,)
        return AHEAD_KEYS if use == "ahead" else PERIOD_KEYS

    def _report(self, name: str, period_key: str) -> Any:
        reports = self.reports or {}
        periods = optional("dealbook.reports.periods")
        if name not in reports:
            return None
        if period_key == SNAPSHOT:
            period = periods.ALL if periods else None
        else:
            start, end, label = periods_for(self.today)[period_key]
            period = periods.Period(start, end, label) if periods else None
        if name == "funnel" and self._kept_totals is not None and optional("dealbook.reports.funnel") is not None:
            return self.guard("report:funnel", "dealbook.reports.run_report", self.run_report, name, period)
        return self._call(f"report:{name}", "dealbook.reports", "run_report", name, self.book, period, self.today,
                          recorded=lambda _root: self.first_commits)

    def run_report(self, name: str, period: Any) -> Any:
        """reports.run_report over this Book and day. Under `mkdocs serve` the funnel is summed from
        every customer's share kept between rebuilds, updated by difference (`kept_total`)."""
        if name == "funnel" and self._kept_totals is not None:
            from ..reports.funnel import funnel_report, funnel_share
            from ..reports.history import member_names

            total = self.kept_total(("funnel", period.start, period.end),
                                    lambda customer: funnel_share(self.settings, customer, period, None))
            return funnel_report(self.settings, total, member_names(self.book), period)
        from ..reports import run_report

        return run_report(name, self.book, period, self.today, recorded=lambda _root: self.first_commits)

    def kept_total(self, key: tuple[Any, ...], share: Any) -> dict[str, Any]:
        """The sum (`checks.customer_views.add_share`) of every customer's `share(customer)`, under
        `key`. Under `mkdocs serve` each customer's share is kept with the inputs it was computed from,
        and the sum is updated by difference: the shares of the customers whose files changed (or
        that came or went) are taken off and put on again. A sum updated so equals one summed afresh."""
        from ..checks.customer_views import add_share, total_of

        kept, inputs = self._kept_totals, self.inputs
        if kept is None or inputs is None:
            return total_of(share(c) for c in self.book.customers.values())
        found = kept.get(key)
        if found is None:
            shares = {cid: (inputs.get(cid), share(c)) for cid, c in self.book.customers.items()}
            total = total_of(part for _inputs, part in shares.values())
        else:
            total, before = copy.deepcopy(found[0]), found[1]
            shares = {}
            for cid, customer in self.book.customers.items():
                was, now = before.get(cid), inputs.get(cid)
                if was is not None and now is not None and was[0] == now:
                    shares[cid] = was
                    continue
                if was is not None:
                    add_share(total, was[1], -1)
                part = share(customer)
                add_share(total, part)
                shares[cid] = (now, part)
            for cid in before.keys() - shares.keys():
                add_share(total, before[cid][1], -1)
        kept[key] = (total, shares)
        return total

    @functools.cached_property
    def risks(self) -> list[Any] | None:
        """rules.risk.at_risk: every reason every open deal needs attention, biggest deals first."""
        return self._call("risk", "dealbook.rules.risk", "at_risk", self.book, self.settings, self.today)

    @functools.cached_property
    def feed(self) -> Any:
        """git.recent.what_changed: the last N days' events and the week-over-week deltas (from the
        records alone when the repo is not a git work tree)."""
        changelog = self.changelog if in_git_work_tree(self.repo) else {}
        return self._call("feed", "dealbook.git.recent", "what_changed", self.book, changelog or {}, self.today)

    @functools.cached_property
    def overdue_before(self) -> int | None:
        """git.replay.overdue_on: the agenda's overdue items at the end of the day before the
        what-changed window, on the book replayed to that day (None without the feed).

        Under `mkdocs serve` (`replays` and `inputs` given) each customer's share of it is kept
        between rebuilds by its `inputs` (git/replay.overdue_counts): only the customers whose files
        changed are replayed again, unless the settings, the team or the day changed."""
        if self.feed is None:
            return None
        changelog = self.changelog if in_git_work_tree(self.repo) else {}
        day = self.feed.start - dt.timedelta(days=1)
        memo, inputs = self.replays, self.inputs
        if memo is None or inputs is None:
            found = self._call("feed", "dealbook.git.replay", "overdue_on", self.book, changelog or {}, day)
            return found  # type: ignore[no-any-return]
        key = self._kept_key(day)
        same = key is not None and memo.get("key") == key
        kept: dict[str, tuple[str, int]] = (memo.get("counts") or {}) if same else {}
        todo = [cid for cid in self.book.customers if inputs.get(cid) is None or cid not in kept
                or kept[cid][0] != inputs[cid]]
        counts = self._call("feed", "dealbook.git.replay", "overdue_counts", self.book, changelog or {}, day,
                            todo if len(todo) < len(self.book.customers) else None) if todo else {}
        memo.clear()
        if counts is None:
            return None
        shares = {cid: (inputs.get(cid), counts[cid]) if cid in counts else kept[cid] for cid in self.book.customers}
        if key is not None:
            memo.update(key=key, counts={cid: share for cid, share in shares.items() if share[0] is not None})
        return sum(count for _inputs, count in shares.values())

    def feed_over(self, days: int) -> Any:
        """The what-changed feed over the last `days` days (computed once per length)."""
        if days == getattr(self.feed, "days", None):
            return self.feed
        key = ("feed", str(days))
        if key not in self.computed_reports:
            changelog = self.changelog if in_git_work_tree(self.repo) else {}
            self.computed_reports[key] = self._call("feed", "dealbook.git.recent", "what_changed", self.book,
                                                    changelog or {}, self.today, days)
        return self.computed_reports[key]

    def progress(self, handle: str, period_key: str) -> Any:
        """The member's target, won amount and expected pipeline over a site period (this-month or
        this-quarter); None when the targets module is not there. Every owner's is computed at once,
        in one pass over the customers (asked for by the owner, review and home pages alike)."""
        found = optional("dealbook.reports.targets")
        periods = optional("dealbook.reports.periods")
        if found is None or periods is None:
            return None
        key = ("progress", handle, period_key)
        if key not in self.computed_reports:
            start, end, label = periods_for(self.today)[period_key]
            kind = "quarter" if "quarter" in period_key else "month"
            period = periods.Period(start, end, label)
            owners = (h for h in self.customers_by_owner if isinstance(h, str))
            handles = sorted({*self.book.members, *owners, handle})
            for who, made in found.progress_of_all(self.book, self.today, handles, period, kind).items():
                self.computed_reports.setdefault(("progress", who, period_key), made)
        return self.computed_reports[key]

    @functools.cached_property
    def customers_by_owner(self) -> dict[str, list[Customer]]:
        """Each owner's customers, in id order (as `customers`)."""
        found: dict[str, list[Customer]] = {}
        for customer in self.customers:
            found.setdefault(customer.owner, []).append(customer)
        return found

    def owned(self, handle: str) -> list[Customer]:
        """The customers `handle` owns, in id order."""
        return self.customers_by_owner.get(handle, [])

    @functools.cached_property
    def agenda_by_person(self) -> dict[str, list[Any]]:
        """The agenda's items each person must act on (`who`, else the owner), in the agenda's order."""
        found: dict[str, list[Any]] = {}
        for item in self.agenda or ():
            for person in dict.fromkeys(item.who or (item.owner,)):
                found.setdefault(person, []).append(item)
        return found

    def agenda_of(self, handle: str) -> list[Any]:
        """The agenda's items `handle` must act on (see `agenda_by_person`)."""
        return self.agenda_by_person.get(handle, [])

    @functools.cached_property
    def open_deals(self) -> list[tuple[Customer, str]]:
        """(customer, stage) of every open deal as of today: the pipeline report's own list."""
        found = optional("dealbook.reports.pipeline")
        if found is None or not hasattr(found, "open_deals"):
            return [(c, c.stage) for c in self.customers if self.settings.is_open(c.stage)]
        return sorted(found.open_deals(self.book, self.today), key=lambda pair: pair[0].id)

    @functools.cached_property
    def changelog(self) -> dict[str, list[Any]] | None:
        """Per customer id, its changes oldest first, when the repo is a git work tree."""
        if not in_git_work_tree(self.repo):
            self.missing["changes"] = "git"
            return None
        return self._call("changes", "dealbook.git.history", "customer_changelog", self.repo)

    @functools.cached_property
    def first_commits(self) -> dict[str, Any] | None:
        """When each record file was first committed (recorded), when the repo is a git work tree."""
        if not in_git_work_tree(self.repo):
            return None
        return self._call("changes", "dealbook.git.history", "first_commit_times", self.repo)

    # --- plain lookups -----------------------------------------------------------------
    def state(self, customer_id: str) -> Any:
        return (self.states or {}).get(customer_id)

    def author_name(self, author: str | None) -> str:
        """A git author as the team knows them: the member whose `git` account, email or handle it is."""
        if not author:
            return ""
        if self._authors is None:
            self._authors = {}
            for member in self.book.members.values():
                for key in (member.git, member.email, member.handle):
                    if key:
                        self._authors.setdefault(key.lower(), member.name or member.handle)
        return self._authors.get(author.lower(), author)

    def member_name(self, handle: str) -> str:
        member = self.book.members.get(handle)
        return member.name if member and member.name else handle

    def last_contact(self, customer: Customer) -> dt.datetime | dt.date | None:
        state = self.state(customer.id)
        if state is not None and getattr(state, "last_contact", None) is not None:
            return state.last_contact
        followups: list[FollowUp] = self.book.followups_of(customer.id)
        times = [f.at for f in followups if f.at is not None]
        return max(times) if times else None

    @functools.cached_property
    def customers(self) -> list[Customer]:
        return sorted(self.book.customers.values(), key=lambda c: c.id)
