"""`dealbook diff [BASE] [HEAD]`: the review summary of a branch; `--forecast REV`: forecast vs actual."""

from __future__ import annotations

import datetime as dt
import gc
import re
from dataclasses import replace
from typing import Any

import click

from ...git.changes import (
    FollowUpChange,
    ForecastOutcome,
    Review,
    change_words,
    forecast_vs_actual,
    line_of,
    review,
)
from ...records.diagnostics import ERROR
from ...text.output import money, table, to_json, visible
from ..context import Env, pass_env

_MD_SPECIAL = re.compile(r"([\\`*_\[\]|~])")


def md(text: Any) -> str:
    """User text made inert in Markdown: punctuation escaped, HTML and @mentions defused."""
    text = str(text).replace("&", "&amp;").replace("<", "&lt;").replace(">", "&gt;")
    text = _MD_SPECIAL.sub(r"\\\1", text).replace("\r", " ").replace("\n", " ")
    return text.replace("@", "@\u200b")


def _code(text: Any) -> str:
    """A code span showing `text` as is (CommonMark 6.1): fenced by more backticks than its longest
    run of them, so none can end it early; line breaks made spaces, so no line can start a block."""
    text = " ".join(str(text).split())
    fence = "`" * (max(map(len, re.findall("`+", text)), default=0) + 1)
    pad = " " if text.startswith("`") or text.endswith("`") else ""
    return f"{fence}{pad}{text}{pad}{fence}"


def _signed(value: float, currency: str) -> str:
    return ("+" if value >= 0 else "−") + money(abs(value), currency)


def _effects(result: Review) -> list[str]:
    currency = result.currency
    lines = []
    if result.weighted is not None and result.weighted[0] != result.weighted[1]:
        a, b = result.weighted
        lines.append(f"Forecast: weighted pipeline of these customers {money(a, currency)} → {money(b, currency)} "
                     f"({_signed(b - a, currency)})")
    for row in result.funnel:
        moved = [f"{key} {row[key + '_before']} → {row[key + '_after']}" for key in ("entered", "converted", "lost")
                 if row[key + "_before"] != row[key + "_after"]]
        # the touched customers' share of `funnel --period all`, not the whole funnel's counts
        lines.append(f"Funnel of these customers (all time), {row['stage']}: " + ", ".join(moved))
    return lines


def _one_line(text: Any, limit: int = 200) -> str:
    text = " ".join(str(text).split())
    return text if len(text) <= limit else text[: limit - 1] + "…"


def _said(f: FollowUpChange) -> tuple[str, str, list[tuple[str, str]]]:
    """(when · method · contact, first line of the summary, [(next action, due)]) in plain text."""
    head = " · ".join(_one_line(x) for x in (f.at, f.method, f.contact) if x)
    return head, _one_line(f.first_line), [(_one_line(a), d) for a, d in f.next]


def _status(f: FollowUpChange) -> str:
    """`added`, `changed`, or `changed (moved from 2024-05-15-1000.yaml)`."""
    return f"{f.status} (moved from {f.old_path.rsplit('/', 1)[-1]})" if f.old_path else f.status


def _next_text(steps: list[tuple[str, str]]) -> str:
    return "; ".join(f"{action} (due {due})" if due else f"{action} (no due date)" for action, due in steps)


def render_text(result: Review) -> str:
    count = len(result.customers)
    lines = [f"Records changed from {result.base} to {result.head}: "
             f"{count} customer{'s' * (count != 1)}"]
    for c in result.customers:
        lines.append(line_of(c, result.currency))
        for f in c.followups:
            if f.status in ("added", "changed"):
                head, first, steps = _said(f)
                lines.append(f"  follow-up {_status(f)} {head}: {first}")
                if steps:
                    lines.append(f"    next: {_next_text(steps)}")
    effects = _effects(result)
    if effects:
        lines += ["", *effects]
    if result.new_diagnostics:
        lines += ["", f"New diagnostics ({len(result.new_diagnostics)}):"]
        lines += [f"  {d.path}:{d.line}:{d.column}: {d.severity} {d.code}: {d.message}" for d in result.new_diagnostics]
    lines += [f"Note: {n}" for n in result.notes]
    return visible("\n".join(lines))  # names and notes from the records: never a terminal's control code


def render_markdown(result: Review, max_chars: int | None = None) -> str:
    """The review as markdown; with `max_chars` (a pull-request comment's limit) shortened to fit:
    first without the follow-ups' details, then with fewer customers and diagnostics, each cut said."""
    text = _markdown(result)
    if max_chars is None or len(text) <= max_chars:
        return text
    shown, fits = len(result.customers) + len(result.new_diagnostics), None
    low, high = 0, shown
    while low <= high:  # the most customers and diagnostics that fit
        middle = (low + high) // 2
        candidate = _markdown(result, details=False, most=middle)
        if len(candidate) <= max_chars:
            fits, low = candidate, middle + 1
        else:
            high = middle - 1
    return fits if fits is not None else _markdown(result, details=False, most=0)[:max_chars]


def _markdown(result: Review, details: bool = True, most: int | None = None) -> str:
    count = len(result.customers)
    customers = result.customers if most is None else result.customers[:most]
    diagnostics = result.new_diagnostics if most is None else result.new_diagnostics[:max(0, most - len(customers))]
    lines = [f"### dealbook review: {_code(result.base)} → {_code(result.head)}", ""]
    if not count:
        lines.append("No customer records changed.")
    else:
        lines.append(f"**{count} customer{'s' * (count != 1)} changed**")
        lines.append("")
    for c in customers:
        clauses = change_words(c, labels=True, currency=result.currency)
        lines.append(f"- **{md(c.id)} {md(c.name)}**: {md(clauses)}")
        for f in c.followups if details else ():
            if f.status in ("added", "changed"):
                head, first, steps = _said(f)
                lines.append(f"  - follow-up {md(_status(f))} **{md(head)}**: {md(first)}")
                lines += [f"    - next: {md(action)} — " + (f"due {md(due)}" if due else "no due date")
                          for action, due in steps]
    if len(customers) < count:
        lines.append(f"- … {count - len(customers)} more (left out to fit a comment: run `dealbook diff`)")
    effects = _effects(result)
    if effects:
        lines += ["", "#### Funnel and forecast", "", *(f"- {md(e)}" for e in effects)]
    if result.new_diagnostics:
        lines += ["", f"#### New diagnostics ({len(result.new_diagnostics)})", ""]
        for d in diagnostics:
            mark = "❌" if d.severity == ERROR else "⚠️"
            lines.append(f"- {mark} {_code(f'{d.path}:{d.line}:{d.column}')} {md(d.code)}: {md(d.message)}")
        if len(diagnostics) < len(result.new_diagnostics):
            lines.append(f"- … {len(result.new_diagnostics) - len(diagnostics)} more (left out to fit a comment: "
                         "run `dealbook check`)")
    if not details:
        lines += ["", "> Follow-up details are left out to fit a comment: run `dealbook diff` for the whole review."]
    if result.notes:
        lines += ["", *(f"> {md(n)}" for n in result.notes)]
    return "\n".join(lines) + "\n"


def _outcome_rows(rows: list[ForecastOutcome]) -> list[dict[str, Any]]:
    return [{"id": r.id, "name": r.name, "stage_then": r.stage_then, "amount_then": r.amount_then,
             "probability": r.probability, "weighted": round(r.weighted), "outcome": r.outcome,
             "won_value": r.won_value} for r in rows]


def render_forecast(rows: list[ForecastOutcome], rev: str, then_day: dt.date, today: dt.date, fmt: str,
                    currency: str = "CNY") -> str:
    forecast = round(sum(r.weighted for r in rows))
    actual = sum(r.won_value for r in rows)
    from_forecast = sum(r.won_value for r in rows if r.outcome == "won")
    if fmt == "json":
        return to_json({"revision": rev, "as_of": then_day, "today": today, "forecast_weighted": forecast,
                        "won": actual, "won_from_forecast": from_forecast, "deals": _outcome_rows(rows)})
    body = [[r.id, r.name, r.stage_then, money(r.amount_then, currency), f"{r.probability:.0%}",
             money(r.weighted, currency), r.outcome, money(r.won_value, currency)] for r in rows]
    headers = ["id", "name", "stage then", "amount", "prob.", "weighted", "outcome", "won"]
    summary = (f"Forecast at {rev} ({then_day}): {money(forecast, currency)} weighted; won since, to {today}: "
               f"{money(actual, currency)} ({money(from_forecast, currency)} from deals in the forecast)")
    if fmt == "markdown":
        lines = [f"### Forecast vs actual: {_code(rev)}", "", md(summary), "",
                 "| " + " | ".join(headers) + " |", "|" + "---|" * len(headers)]
        lines += ["| " + " | ".join(md(c if c is not None else "—") for c in row) + " |" for row in body]
        return "\n".join(lines) + "\n"
    return table(body, headers, right=(3, 4, 5, 7)) + "\n" + summary


@click.command()
@click.argument("base", required=False)
@click.argument("head", required=False)
@click.option("--format", "fmt", type=click.Choice(["text", "markdown", "json"]), default="text",
              show_default=True, help="markdown for a pull-request comment or job summary.")
@click.option("--forecast", "forecast_rev", metavar="REV", default=None,
              help="Forecast vs actual: the weighted forecast at REV against the value won since.")
@click.option("--max-chars", "max_chars", type=click.IntRange(min=200), default=None, metavar="N",
              help="markdown: at most N characters (a GitHub comment takes 65,536): follow-up details, then "
                   "customers and diagnostics beyond what fits, are left out and counted.")
@pass_env
def diff(env: Env, base: str | None, head: str | None, fmt: str, forecast_rev: str | None,
         max_chars: int | None) -> None:
    """Review what changed in the records between BASE and HEAD, customer by customer.

    BASE defaults to the merge base with origin/main (or main); HEAD to the working tree,
    uncommitted and untracked files included. Per customer: stage moves, grade change,
    deal amount, owner, next due date and follow-ups added, changed or removed, new quotes
    with their margin and the approvals still needed with who may give them; then the
    change the branch causes to the weighted pipeline and the funnel, and any diagnostics
    that are new in HEAD. Grades and due dates are computed as of --today for both sides.

    With --forecast REV, compare the weighted forecast of the deals open at REV with
    the value actually won since (up to HEAD, default the working tree).

    \b
    Example:
        dealbook diff
        dealbook diff origin/main --format markdown >> "$GITHUB_STEP_SUMMARY"
        dealbook diff v2024-04-30 v2024-05-31 --format json
        dealbook diff --forecast 2024-04-30
    """
    if env.at:
        raise click.UsageError("diff compares two revisions itself: give them as BASE and HEAD, not --at")
    # A big review makes hundreds of thousands of small objects and no reference cycles: the
    # collector's passes over them would cost a third of the run.
    collecting = gc.isenabled()
    gc.disable()
    try:
        _diff(env, base, head, fmt, forecast_rev, max_chars)
    finally:
        if collecting:
            gc.enable()


def _diff(env: Env, base: str | None, head: str | None, fmt: str, forecast_rev: str | None,
          max_chars: int | None = None) -> None:
    from ...git.review import review_revisions
    from ...git.store import GitStoreError, Store, book_at, diff_books, revision_date

    try:
        if forecast_rev:
            if base and not head:
                head = base
            then = book_at(env.repo, forecast_rev)
            then_day = revision_date(forecast_rev)
            if then_day is None:
                with Store(env.repo) as store:
                    then_day = store.commit_time(then.revision).astimezone(  # type: ignore[attr-defined]
                        _zone(then.settings.timezone)).date()
            now = book_at(env.repo, head) if head else env.book()
            rows = forecast_vs_actual(then, then_day, now, env.today)
            click.echo(render_forecast(rows, forecast_rev, then_day, env.today, fmt, now.settings.currency))
            return
        if head:
            result, base_commit, head_commit = review_revisions(env.repo, base, head, env.today)
        else:
            books = diff_books(env.repo, base, head)
            base_commit, head_commit = books.base, books.head
            result = review(books.before, books.after, env.today, books.label, "working tree", books.ids,
                            books.renames)
            result = replace(result, notes=tuple(books.notes))
    except GitStoreError as exc:
        raise click.ClickException(str(exc)) from None
    if fmt == "json":
        payload = result.as_dict()
        payload["base_commit"], payload["head_commit"] = base_commit, head_commit
        click.echo(to_json(payload))
    elif fmt == "markdown":
        click.echo(render_markdown(result, max_chars), nl=False)
    else:
        click.echo(render_text(result))


def _zone(name: str) -> dt.tzinfo:
    from zoneinfo import ZoneInfo

    return ZoneInfo(name)


__all__ = ["diff", "md", "render_markdown", "render_text"]
