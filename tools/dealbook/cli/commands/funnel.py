"""`dealbook funnel`: the stage conversion table (销售阶段转化分析表) for a period."""

from __future__ import annotations

import click

from ...text.output import format_option
from ..click_words import Command
from ..context import Env, pass_env
from .report import period_options, print_report, resolve_period


@click.command(cls=Command)
@period_options
@click.option("--by", "by", type=click.Choice(["owner", "source", "industry", "region"]), default=None,
              help="Split the funnel by owner, source channel, industry or region.")
@format_option
@pass_env
def funnel(env: Env, period: str | None, start: str | None, end: str | None, by: str | None, fmt: str) -> None:
    """Stage conversion: entered, converted, lost, each per entered, and average days per stage.

    Counted from stage_history dates within the period (default: the current month):
    entered = entries into the stage; converted = moves from it to any later stage;
    lost = moves from it to lost; converted/entered and lost/entered divide those counts
    (— when nothing entered): two groups of customers, so they can exceed 100%
    (`dealbook report stage-reach` follows one group); average days in stage of those
    who left it in the period.

    \b
    Example:
        dealbook funnel --period 2024-05
        dealbook funnel --period 2024-Q2 --by owner
        dealbook funnel --from 2024-01-01 --to 2024-06-30 --format json
    """
    print_report(env, "funnel", resolve_period(env, period, start, end), by, fmt)
