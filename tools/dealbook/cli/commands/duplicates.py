"""`dealbook duplicates`: customers that are likely the same company, with a score and the reasons."""

from __future__ import annotations

import click

from ...checks.dedupe import candidates, find_duplicates
from ...text.catalog import translator
from ...text.output import table, to_csv, to_json
from ..click_words import Command
from ..context import Env, pass_env


@click.command(cls=Command)
@click.option("--min-score", type=click.IntRange(0, 100), default=85, show_default=True,
              help="List pairs scoring at least this (100: same name once normalised).")
@click.option("--format", "fmt", type=click.Choice(["text", "json", "csv"]), default="text", help="Output format.")
@pass_env
def duplicates(env: Env, min_score: int, fmt: str) -> None:
    """List likely duplicate customers, best match first.

    Names are compared after dropping company forms (有限公司, 股份有限公司, 有限责任公司,
    (中国)), spaces and punctuation, and turning full-width characters half-width; then by
    rapidfuzz similarity. A shared phone raises the score to at least 90 (+5), a shared
    company email domain to at least 80 (+5); public mail (qq.com, 163.com, gmail.com …)
    does not count.

    \b
    Example:
        dealbook duplicates
        dealbook duplicates --min-score 70 --format csv > pairs.csv
    """
    book = env.book()
    pairs = find_duplicates(candidates(book), min_score)
    if not env.at:  # a customer that cannot be read is compared with none
        env.warn_left_out(book.customers)
    rows = [{"score": p.score, "a": p.a, "a_name": p.a_name, "b": p.b, "b_name": p.b_name,
             "reasons": list(p.reasons)} for p in pairs]
    if fmt == "json":
        click.echo(to_json({"min_score": min_score, "pairs": rows}))
    elif fmt == "csv":
        click.echo(to_csv([{**r, "reasons": "; ".join(r["reasons"])} for r in rows],
                          ["score", "a", "a_name", "b", "b_name", "reasons"]), nl=False)
    else:
        _ = translator(env.settings.language)
        if not rows:
            click.echo(_("no likely duplicates (score ≥ %(score)s)", score=min_score))
            return
        click.echo(table([[r["score"], f"{r['a']} {r['a_name']}", f"{r['b']} {r['b_name']}", "; ".join(r["reasons"])]
                          for r in rows], [_.pgettext("duplicates", "Score"), _.pgettext("duplicates", "Customer"),
                                           _.pgettext("duplicates", "Looks like"), _.pgettext("duplicates", "Why")],
                         right=[0]))
