"""`dealbook grade ID`: a customer's grade, each dimension's points and why, and any override, downgrade or pause."""

from __future__ import annotations

import dataclasses
from typing import Any

import click

from ...rules.grading import has_grade
from ...rules.state import evaluate, letter_for
from ...rules.thresholds import thresholds_of
from ...text.catalog import translator
from ...text.enums import enum_label
from ...text.output import pad, plain, to_json
from ..click_words import Command
from ..context import Env, pass_env
from .customers import find_customer

LABEL_COLUMNS = 13  # the dimension names' column (display width: a Chinese character takes two)


def grade_payload(env: Env, ident: str) -> dict[str, Any]:
    """The grade explanation as plain data (the JSON form)."""
    book = env.book()
    customer = find_customer(book, ident)
    state = evaluate(book, env.today)[customer.id]
    grade = state.grade
    t = thresholds_of(book.settings)
    graded = has_grade(book.settings, customer.stage)
    return {
        "id": customer.id,
        "name": customer.name,
        "today": env.today,
        "stage": customer.stage,
        "graded": graded,  # grades belong to open deals: a won or lost customer has none (`customers`, the site)
        "grade": grade.letter if graded else None,
        "score": grade.score,
        "score_letter": letter_for(grade.score, t),
        "computed": grade.computed,
        "override": grade.override,
        "manual_grade": customer.grade_override[0] if customer.grade_override is not None else None,
        "downgraded": grade.downgraded,
        "exception": grade.exception,
        "reassess_on": grade.reassess_on,
        "paused_until": state.paused_until,
        "thresholds": {"a_min": t.a_min, "c_max": t.c_max, "missed_in_a_row": t.missed_in_a_row},
        "reasons": [dataclasses.asdict(r) for r in grade.reasons],
    }


@click.command(cls=Command)
@click.argument("ident", metavar="ID")
@click.option("--format", "fmt", type=click.Choice(["text", "json"]), default="text", show_default=True,
              help="text for people, json for machines.")
@pass_env
def grade(env: Env, ident: str, fmt: str) -> None:
    """Explain a customer's ABC grade: urgency, budget and decision-maker access, with points.

    A won or lost customer has no grade (grades belong to open deals); the command says so.
    Also says when a manual `grade:` override is in force, and when two missed
    appointments in a row or "no need for now" (`outcome: no_need`) dropped the grade
    one step (the override too) until the reassessment.

    \b
    Example:
        dealbook grade 粤IT2024001
        dealbook --today 2024-06-01 grade 粤IT2024001 --format json
    """
    data = grade_payload(env, ident)
    if fmt == "json":
        click.echo(to_json(data))
        return
    _ = translator(env.settings.language)

    def name(dimension: str) -> str:  # the dimension's label (`text.enums`), padded to its column
        return pad(enum_label(_, "dimension", dimension), LABEL_COLUMNS)
    if not data["graded"]:
        stage = env.settings.stage_label(data["stage"])
        click.echo(click.style(plain(_("%(id)s  %(name)s: no grade (%(stage)s)", id=data["id"], name=data["name"],
                                       stage=stage)), bold=True) + "  " + _("(as of %(today)s)", today=data["today"]))
        click.echo("  " + _("Grades belong to open deals only: a won or lost customer is listed and shown without "
                            "one. Moved back to an open stage, it is graded again."))
        return
    marker = "*" if data["override"] else ""
    click.echo(click.style(plain(_("%(id)s  %(name)s: grade %(grade)s", id=data["id"], name=data["name"],
                                   grade=data["grade"] + marker)), bold=True)
               + "  " + _("(as of %(today)s)", today=data["today"]))
    dimensions = [r for r in data["reasons"] if r["dimension"] in ("urgency", "budget", "access")]
    for reason in dimensions:
        click.echo(f"  {name(reason['dimension'])}{'+' + str(reason['points']):>3}  {reason['why']}")
    t = data["thresholds"]
    score = _("Score")
    click.echo(f"  {pad(score, LABEL_COLUMNS)}{data['score']:>3}  "
               + _("A ≥ %(a_min)s, C ≤ %(c_max)s, otherwise B → %(letter)s", a_min=t["a_min"], c_max=t["c_max"],
                   letter=data["score_letter"]))
    if data["downgraded"]:
        # the step that applies: the manual grade's when there is one, else the score's
        before, after = ((data["manual_grade"], data["grade"]) if data["override"]
                         else (data["score_letter"], data["computed"]))
        step = f"{before} → {after}" if before != after else _("%(grade)s stays %(grade)s", grade=after)
        if data["exception"] == "no_need":
            why = _("No need for now drops it one step: %(step)s; reassess on %(day)s.", step=step,
                    day=data["reassess_on"])
        else:
            why = _("%(n)s missed appointments in a row drop it one step: %(step)s; reassess on %(day)s.",
                    n=t["missed_in_a_row"], step=step, day=data["reassess_on"])
        click.echo(f"  {why}")
    for reason in data["reasons"]:
        if reason not in dimensions:
            click.echo(f"  {name(reason['dimension'])}     {reason['why']}")
    if data["override"] and data["manual_grade"] != data["grade"]:
        click.echo("  " + _("The manual grade %(manual)s, %(grade)s while the exception lasts, wins over the "
                            "computed %(computed)s.", manual=data["manual_grade"], grade=data["grade"],
                            computed=data["computed"]))
    elif data["override"]:
        click.echo("  " + _("The manual grade %(grade)s wins over the computed %(computed)s.", grade=data["grade"],
                            computed=data["computed"]))
    if data["paused_until"]:
        click.echo("  " + _("Paused until %(day)s.", day=data["paused_until"]))
