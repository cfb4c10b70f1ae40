"""Team activity: follow-ups by method, customers per grade, overdue, and late entries from commit times."""

from __future__ import annotations

import datetime as dt
from zoneinfo import ZoneInfo

import pytest
from dealbook.records.model import customer_path
from dealbook.reports.activity import late_entries, team_activity
from dealbook.reports.periods import named_period
from reports_fixtures import TODAY, C, sales_book

MAY = named_period("2024-05")
SHANGHAI = ZoneInfo("Asia/Shanghai")


@pytest.fixture(scope="module")
def book(tmp_path_factory):
    return sales_book(tmp_path_factory.mktemp("sales"))


def test_activity_without_git(book):
    report = team_activity(book, MAY, TODAY)
    keys = ["followups", "phone", "visit", "meeting", "customers", "A", "B", "C", "overdue",
            "late_followups", "late_customers"]
    got = {r["owner"]: tuple(r[k] for k in keys) for r in report.rows}
    # zhang: phone 05-05 and visit 05-31 23:30; owns C1 (open, grade A override, last contact 05-31 + 2 days: overdue).
    # li: meeting 05-02; owns C6 (B, no follow-up: due 2 days after created, overdue) and C8 (C, contacted 06-02).
    assert got == {
        "zhang": (2, 1, 1, 0, 1, 1, 0, 0, 1, None, None),
        "li": (1, 0, 0, 1, 2, 0, 1, 1, 1, None, None),
        "chen": (0, 0, 0, 0, 0, 0, 0, 0, 0, None, None),
    }
    assert report.totals["followups"] == 3 and report.totals["late_followups"] is None
    assert any("git" in n for n in report.notes)


def at(text: str) -> dt.datetime:
    return dt.datetime.fromisoformat(text).replace(tzinfo=SHANGHAI)


def test_late_entries_from_first_commit_times(book):
    paths = {f.at.strftime("%Y-%m-%d %H:%M"): f.path for f in book.all_followups()}
    committed = {
        paths["2024-05-05 10:00"]: at("2024-05-05 11:59"),   # 1 h 59: in time
        paths["2024-05-31 23:30"]: at("2024-06-01 02:00"),   # 2 h 30: late (and it is a May follow-up)
        paths["2024-05-02 15:00"]: at("2024-05-02 17:00"),   # exactly 2 h: in time
        customer_path(C[1]): at("2024-05-06 11:00"),         # 25 h after the first follow-up: late
        customer_path(C[7]): at("2024-01-10 09:00"),         # before the first follow-up
    }
    late_followups, late_customers = late_entries(book, MAY, TODAY, committed)
    assert dict(late_followups) == {"zhang": 1}
    assert dict(late_customers) == {"zhang": 1}


def test_commit_times_in_another_timezone_are_compared_as_instants(book):
    paths = {f.at.strftime("%Y-%m-%d %H:%M"): f.path for f in book.all_followups()}
    utc = dt.timezone.utc
    # 05-05 10:00 Shanghai is 02:00 UTC; 03:30 UTC is 1 h 30 later.
    committed = {paths["2024-05-05 10:00"]: dt.datetime(2024, 5, 5, 3, 30, tzinfo=utc)}
    assert dict(late_entries(book, MAY, TODAY, committed)[0]) == {}


def test_history_before_since_is_not_late(tmp_path) -> None:
    """`entry_deadlines.since`: conversations before it were imported at adoption, not entered late."""
    import datetime as dt

    from conftest import TEAM, RecordRepo
    from dealbook.checks.reading import open_book
    from dealbook.reports.activity import late_entries
    from dealbook.reports.periods import parse_period

    repo = RecordRepo(tmp_path / "r")
    repo.write("records/team.yaml", TEAM)
    repo.settings("entry_deadlines:\n  since: 2024-05-15\n")
    repo.customer()
    old = repo.followup("粤IT2024001", "2024-05-10 14:00")
    new = repo.followup("粤IT2024001", "2024-05-16 14:00")
    book = open_book(str(repo.root))
    late = dt.datetime(2024, 6, 30, tzinfo=dt.timezone.utc)
    committed = {old.relative_to(repo.root).as_posix(): late, new.relative_to(repo.root).as_posix(): late,
                 "records/customers/粤IT2024001.yaml": late}
    followups, customers = late_entries(book, parse_period("2024-05"), dt.date(2024, 6, 30), committed)
    assert dict(followups) == {"zhang": 1}  # only the 05-16 one is judged
    assert dict(customers) == {}  # first contact 05-10 is before `since`
