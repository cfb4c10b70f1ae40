"""`dealbook diff [BASE] [HEAD]`: the review summary of a branch; `--forecast REV`: forecast vs actual."""

from __future__ import annotations

import datetime as dt
import gc
import re
from dataclasses import replace
from typing import Any

import click

from ...git.changes import (
    ENGLISH,
    FOLLOWUP_CHANGES,
    FollowUpChange,
    ForecastOutcome,
    Review,
    Words,
    change_words,
    forecast_vs_actual,
    review,
)
from ...records.diagnostics import ERROR
from ...text.catalog import NP_, translator
from ...text.enums import enum_label
from ...text.output import money, table, to_json, visible
from ..click_words import Command
from ..context import Env, pass_env, words

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


# The funnel's counts, as a review line names them (translated where shown).
FUNNEL_COUNTS = {"entered": NP_("funnel count", "entered"), "converted": NP_("funnel count", "converted"),
                 "lost": NP_("funnel count", "lost")}


def _effects(result: Review, words: Words) -> list[str]:
    currency, _ = result.currency, words._
    lines = []
    if result.weighted is not None and result.weighted[0] != result.weighted[1]:
        a, b = result.weighted
        lines.append(_("Forecast: weighted pipeline of these customers %(before)s → %(after)s (%(change)s)",
                       before=money(a, currency), after=money(b, currency), change=_signed(b - a, currency)))
    for row in result.funnel:
        moved = [_.pgettext("funnel count", FUNNEL_COUNTS[key]) + f" {row[key + '_before']} → {row[key + '_after']}"
                 for key in FUNNEL_COUNTS if row[key + "_before"] != row[key + "_after"]]
        stage = words.settings.stage_label(row["stage"]) if words.settings is not None else row["stage"]
        # the touched customers' share of `funnel --period all`, not the whole funnel's counts
        lines.append(_("Funnel of these customers (all time), %(stage)s: %(moved)s", stage=stage,
                       moved=words.join(moved)))
    return lines


def _one_line(text: Any, limit: int = 200) -> str:
    text = " ".join(str(text).split())
    return text if len(text) <= limit else text[: limit - 1] + "…"


def _said(f: FollowUpChange, words: Words) -> tuple[str, str, list[tuple[str, str]]]:
    """(when · method · contact, first line of the summary, [(next action, due)]) in plain text."""
    method = enum_label(words._, "method", f.method) if words.settings is not None else f.method
    head = " · ".join(_one_line(x) for x in (f.at, method, f.contact) if x)
    return head, _one_line(f.first_line), [(_one_line(a), d) for a, d in f.next]


def _status(f: FollowUpChange, words: Words) -> str:
    """`added`, `changed`, or `changed (moved from 2024-05-15-1000.yaml)`."""
    _ = words._
    status = _.pgettext("follow-up change", FOLLOWUP_CHANGES.get(f.status, f.status))
    return _("%(status)s (moved from %(file)s)", status=status, file=f.old_path.rsplit("/", 1)[-1]) \
        if f.old_path else status


def _next_text(steps: list[tuple[str, str]], words: Words) -> str:
    _ = words._
    return words.join([_("%(action)s (due %(day)s)", action=action, day=due) if due
                       else _("%(action)s (no due date)", action=action) for action, due in steps], "; ")


def render_text(result: Review, words: Words = ENGLISH) -> str:
    """The review for a terminal, worded by `words` (the team's language, from the settings)."""
    _ = words._
    lines = [_.ngettext("Records changed from %(base)s to %(head)s: %(num)d customer",
                        "Records changed from %(base)s to %(head)s: %(num)d customers", len(result.customers),
                        base=result.base, head=_("working tree") if result.head == "working tree" else result.head)]
    for c in result.customers:
        labelled = words.settings is not None and words.settings.language != "en"  # keys beside their labels
        lines.append(f"{c.id} {c.name}: {change_words(c, labelled, result.currency, words)}")
        for f in c.followups:
            if f.status in ("added", "changed"):
                head, first, steps = _said(f, words)
                lines.append("  " + _("follow-up %(status)s %(head)s: %(first)s", status=_status(f, words), head=head,
                                      first=first))
                if steps:
                    lines.append("    " + _("next: %(steps)s", steps=_next_text(steps, words)))
    effects = _effects(result, words)
    if effects:
        lines += ["", *effects]
    if result.new_diagnostics:
        lines += ["", _("New diagnostics (%(num)s):", num=len(result.new_diagnostics))]
        lines += [f"  {d.path}:{d.line}:{d.column}: {d.severity} {d.code}: {d.message}" for d in result.new_diagnostics]
    lines += [_("Note: %(note)s", note=_(n)) for n in result.notes]  # the notes of `store.touched` (N_)
    return visible("\n".join(lines))  # names and notes from the records: never a terminal's control code


def render_markdown(result: Review, max_chars: int | None = None, words: Words = ENGLISH) -> str:
    """The review as markdown; with `max_chars` (a pull-request comment's limit) shortened to fit:
    first without the follow-ups' details, then with fewer customers and diagnostics, each cut said."""
    text = _markdown(result, words)
    if max_chars is None or len(text) <= max_chars:
        return text
    shown, fits = len(result.customers) + len(result.new_diagnostics), None
    low, high = 0, shown
    while low <= high:  # the most customers and diagnostics that fit
        middle = (low + high) // 2
        candidate = _markdown(result, words, details=False, most=middle)
        if len(candidate) <= max_chars:
            fits, low = candidate, middle + 1
        else:
            high = middle - 1
    return fits if fits is not None else _markdown(result, words, details=False, most=0)[:max_chars]


def _markdown(result: Review, words: Words, details: bool = True, most: int | None = None) -> str:
    _ = words._
    count = len(result.customers)
    customers = result.customers if most is None else result.customers[:most]
    diagnostics = result.new_diagnostics if most is None else result.new_diagnostics[:max(0, most - len(customers))]
    # the heading stays as it is in every language: the CI jobs find their earlier comment by it
    lines = [f"### dealbook review: {_code(result.base)} → {_code(result.head)}", ""]
    if not count:
        lines.append(_("No customer records changed."))
    else:
        lines.append("**" + _.ngettext("%(num)d customer changed", "%(num)d customers changed", count) + "**")
        lines.append("")
    for c in customers:
        clauses = change_words(c, labels=True, currency=result.currency, words=words)
        lines.append(f"- **{md(c.id)} {md(c.name)}**: {md(clauses)}")
        for f in c.followups if details else ():
            if f.status in ("added", "changed"):
                said, first, steps = _said(f, words)
                bold = "**" + md(said) + "**"
                lines.append("  - " + _("follow-up %(status)s %(head)s: %(first)s", status=md(_status(f, words)),
                                        head=bold, first=md(first)))
                lines += ["    - " + (_("next: %(action)s — due %(day)s", action=md(action), day=md(due)) if due
                                      else _("next: %(action)s — no due date", action=md(action)))
                          for action, due in steps]
    if len(customers) < count:
        lines.append("- " + _("… %(num)s more (left out to fit a comment: run `dealbook diff`)",
                              num=count - len(customers)))
    effects = _effects(result, words)
    if effects:
        lines += ["", "#### " + _("Funnel and forecast"), "", *(f"- {md(e)}" for e in effects)]
    if result.new_diagnostics:
        lines += ["", "#### " + _("New diagnostics (%(num)s)", num=len(result.new_diagnostics)), ""]
        for d in diagnostics:
            mark = "❌" if d.severity == ERROR else "⚠️"
            lines.append(f"- {mark} {_code(f'{d.path}:{d.line}:{d.column}')} {md(d.code)}: {md(d.message)}")
        if len(diagnostics) < len(result.new_diagnostics):
            lines.append("- " + _("… %(num)s more (left out to fit a comment: run `dealbook check`)",
                                  num=len(result.new_diagnostics) - len(diagnostics)))
    if not details:
        lines += ["", "> " + _("Follow-up details are left out to fit a comment: run `dealbook diff` for the "
                               "whole review.")]
    if result.notes:
        lines += ["", *(f"> {md(_(n))}" for n in result.notes)]
    return "\n".join(lines) + "\n"


def _outcome_rows(rows: list[ForecastOutcome]) -> list[dict[str, Any]]:
    return [{"id": r.id, "name": r.name, "stage_then": r.stage_then, "amount_then": r.amount_then,
             "probability": r.probability, "weighted": round(r.weighted), "outcome": r.outcome,
             "won_value": r.won_value} for r in rows]


# What became of a forecast deal, as the table names it (translated where shown; JSON keeps the key).
OUTCOMES = {"won": NP_("forecast outcome", "won"), "lost": NP_("forecast outcome", "lost"),
            "open": NP_("forecast outcome", "open"), "gone": NP_("forecast outcome", "gone"),
            "new_won": NP_("forecast outcome", "new_won")}


def render_forecast(rows: list[ForecastOutcome], rev: str, then_day: dt.date, today: dt.date, fmt: str,
                    currency: str = "CNY", words: Words = ENGLISH) -> str:
    forecast = round(sum(r.weighted for r in rows))
    actual = sum(r.won_value for r in rows)
    from_forecast = sum(r.won_value for r in rows if r.outcome == "won")
    if fmt == "json":
        return to_json({"revision": rev, "as_of": then_day, "today": today, "forecast_weighted": forecast,
                        "won": actual, "won_from_forecast": from_forecast, "deals": _outcome_rows(rows)})
    _, settings = words._, words.settings
    body = [[r.id, r.name, settings.stage_label(r.stage_then) if settings is not None else r.stage_then,
             money(r.amount_then, currency), f"{r.probability:.0%}", money(r.weighted, currency),
             _.pgettext("forecast outcome", OUTCOMES[r.outcome]) if r.outcome in OUTCOMES else r.outcome,
             money(r.won_value, currency)] for r in rows]
    headers = [_.pgettext("forecast", "id"), _.pgettext("forecast", "name"), _.pgettext("forecast", "stage then"),
               _.pgettext("forecast", "amount"), _.pgettext("forecast", "prob."), _.pgettext("forecast", "weighted"),
               _.pgettext("forecast", "outcome"), _.pgettext("forecast", "won")]
    summary = _("Forecast at %(rev)s (%(day)s): %(forecast)s weighted; won since, to %(today)s: %(won)s "
                "(%(from_forecast)s from deals in the forecast)", rev=rev, day=then_day,
                forecast=money(forecast, currency), today=today, won=money(actual, currency),
                from_forecast=money(from_forecast, currency))
    if fmt == "markdown":
        lines = ["### " + _("Forecast vs actual: %(rev)s", rev=_code(rev)), "", md(summary), "",
                 "| " + " | ".join(headers) + " |", "|" + "---|" * len(headers)]
        lines += ["| " + " | ".join(md(c if c is not None else "—") for c in row) + " |" for row in body]
        return "\n".join(lines) + "\n"
    return table(body, headers, right=(3, 4, 5, 7)) + "\n" + summary


@click.command(cls=Command)
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
        _ = words()
        raise click.UsageError(_("diff compares two revisions itself: give them as BASE and HEAD, not --at"))
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
            click.echo(render_forecast(rows, forecast_rev, then_day, env.today, fmt, now.settings.currency,
                                       Words(env.settings)))
            return
        if head:
            result, base_commit, head_commit = review_revisions(env.repo, base, head, env.today)
        else:
            books = diff_books(env.repo, base, head)
            base_commit, head_commit = books.base, books.head
            result = review(books.before, books.after, env.today, books.label, "working tree", books.ids,
                            books.renames, set(books.changed))
            result = replace(result, notes=tuple(books.notes))
    except GitStoreError as exc:
        raise click.ClickException(exc.text(translator(env.settings.language))) from None
    if fmt == "json":
        payload = result.as_dict()
        payload["base_commit"], payload["head_commit"] = base_commit, head_commit
        click.echo(to_json(payload))
    elif fmt == "markdown":
        click.echo(render_markdown(result, max_chars, Words(env.settings)), nl=False)
    else:
        click.echo(render_text(result, Words(env.settings)))


def _zone(name: str) -> dt.tzinfo:
    from zoneinfo import ZoneInfo

    return ZoneInfo(name)


__all__ = ["diff", "md", "render_markdown", "render_text"]
