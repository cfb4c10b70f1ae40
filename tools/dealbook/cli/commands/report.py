"""`dealbook report NAME`: print one of the reports (pipeline, sources, win-loss, …) for a period."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import click

from ...reports.periods import PERIOD_HELP, Period, PeriodError, parse_period
from ...text.catalog import Translator
from ...text.output import format_option, to_csv, to_json
from ..click_words import Command
from ..context import Env, pass_env, words


def period_options(function: Callable[..., Any]) -> Callable[..., Any]:
    """--period / --from / --to, as one `period_text` tuple for `resolve_period`."""
    function = click.option("--to", "end", metavar="YYYY-MM-DD", default=None,
                            help="Last day of a date range (with --from).")(function)
    function = click.option("--from", "start", metavar="YYYY-MM-DD", default=None,
                            help="First day of a date range (to --to, else to today).")(function)
    function = click.option("--period", "period", metavar="PERIOD", default=None,
                            help=f"The period: {PERIOD_HELP}. Default: the current month.")(function)
    return function


def resolve_period(env: Env, period: str | None, start: str | None, end: str | None) -> Period:
    try:
        return parse_period(period, start, end, env.today)
    except PeriodError as exc:
        raise click.UsageError(exc.text(words())) from None


def print_report(env: Env, name: str, period: Period, by: str | None, fmt: str) -> None:
    """Compute the report on the repo's book and print it in `fmt`."""
    from ...reports import SPLITS, USES_RECORDED, check_split, render, run_report
    from ...reports.shared import SHARED, shared_report

    if (by is not None and by not in SPLITS.get(name, ())  # `check_split`'s refusal, in the team's language
            and (name in SHARED or name not in USES_RECORDED)):
        _ = words()
        allowed = [b for b in SPLITS.get(name, ()) if b]
        raise click.UsageError(_("report %(name)s cannot be split by %(by)s; use one of %(splits)s", name=name,
                                 by=repr(by), splits=_.pgettext("enumeration", ", ").join(allowed)) if allowed
                               else _("report %(name)s cannot be split by %(by)s", name=name, by=repr(by)))
    try:
        if name in SHARED:  # sums of per-customer shares, stored and updated by difference
            check_split(name, by)
            result, counted = shared_report(name, env.view, env.settings, period, env.today, by)
        else:
            recorded = None
            if name in USES_RECORDED:  # only these read the git history (and import its library)
                from ...git.history import recorded_times as recorded
            book = env.book()
            result, counted = run_report(name, book, period, env.today, by=by, recorded=recorded), book.customers
    except ValueError as exc:
        raise click.UsageError(str(exc)) from None
    click.echo(render(result, fmt, env.settings.language, env.settings.currency))
    if not env.at:  # a figure that silently lacks a customer would be misread
        env.warn_left_out(counted)


def _list_reports(fmt: str, _: Translator) -> None:
    """Every report with what it shows (in the team's language) and the splits it takes, as text, JSON or CSV."""
    from ...reports import REPORTS, SPLITS, summary

    rows = [{"name": name, "summary": summary(name, _), "by": [b for b in SPLITS.get(name, ()) if b]}
            for name in REPORTS]
    if fmt == "json":
        click.echo(to_json({"reports": rows}))
    elif fmt == "csv":
        click.echo(to_csv(rows, ("name", "summary", "by")), nl=False)
    else:
        width = max(len(name) for name in REPORTS)
        for row in rows:
            extra = f"  [--by {'|'.join(row['by'])}]" if row["by"] else ""
            click.echo(f"{row['name'].ljust(width)}  {row['summary']}{extra}")


@click.command(cls=Command)
@click.argument("name", required=False)
@click.option("--list", "list_", is_flag=True, help="List the reports (in --format) and exit.")
@period_options
@click.option("--by", "by", metavar="SPLIT", default=None,
              help="Split the report (funnel: owner|source|industry|region; sources: channel|lead_type; "
                   "velocity: stage|owner).")
@format_option
@pass_env
def report(env: Env, name: str | None, list_: bool, period: str | None, start: str | None, end: str | None,
           by: str | None, fmt: str) -> None:
    """Print a report: NAME is one of `dealbook report --list`.

    Reports over a period count what happened in it (default: the current month);
    snapshot reports (pipeline, slowest-deals, value-tiers) show the state as of --today.
    The forecast lists every open deal by expected close month; with --period, only the
    deals expected to close in it. Text for people; --format json or csv for machines.

    \b
    Example:
        dealbook report --list
        dealbook report sources --period 2024
        dealbook report win-loss --period 2024-Q2 --format json
        dealbook report pipeline --format csv
        dealbook report forecast --period 2024-Q3
    """
    from ...reports import REPORTS, period_use
    from ...reports.periods import ALL

    if list_:
        _list_reports(fmt, words())
        return
    if not name:
        _ = words()
        raise click.UsageError(_("name a report; `dealbook report --list` shows them"))
    if name not in REPORTS:
        _ = words()
        raise click.UsageError(_("no report %(name)s; one of: %(reports)s", name=repr(name),
                                 reports=_.pgettext("enumeration", ", ").join(REPORTS)))
    if period is None and start is None and end is None and period_use(name) != "window":
        print_report(env, name, ALL, by, fmt)  # the state as of today / every open deal, not this month's
        return
    print_report(env, name, resolve_period(env, period, start, end), by, fmt)
