"""`dealbook move ID STAGE`: set the stage, append to stage_history, fill what the stage requires."""

from __future__ import annotations

import re

import click

from ...checks.filechecks import move_problem
from ...editing.assignments import Assignment, fact_changed, read_assignment
from ...editing.edits import Change, parse_money
from ...editing.roundtrip import EditError
from ...records.dates import parse_date
from ...records.deals import CHURN, how_to_sign
from ...records.losses import is_lost_stage, kept_on_entry
from ...rules.reopening import reopened_on
from ...rules.thresholds import thresholds_of
from ...text.catalog import Translator, translator
from ..click_words import Command
from ..context import Env, pass_env
from .edit_flow import finish, interactive, open_customer, refuse_new_approvals, retrying, working_book


@click.command(cls=Command)
@click.argument("customer_id", metavar="ID")
@click.argument("stage")
@click.option("--on", "on", metavar="YYYY-MM-DD", help="Date of the move (default: today).")
@click.option("--reason", help="Why the deal was lost (lost.reason): budget, competitor, no_need, timing, …")
@click.option("--note", help="A note on the loss (lost.note).")
@click.option("--contract-no", help="Contract number, for won (contracts[].no).")
@click.option("--amount", help="Contract amount as a plain integer, for won; deal.amount for an open stage.")
@click.option("--signed", metavar="YYYY-MM-DD", help="Signing date of the contract (default: the move's date).")
@click.option("--delivered", metavar="YYYY-MM-DD", help="Delivery date of the contract, for after_sales.")
@click.option("--set", "assignments", multiple=True, metavar="KEY=VALUE",
              help="Any other field the stage requires, e.g. need.budget.status=partial; repeatable.")
@click.option("--interactive/--no-interactive", default=None,
              help="Ask for what the stage requires (default: when stdin is a terminal).")
@click.option("--dry-run", is_flag=True, help="Show the diff; write nothing.")
@pass_env
def move(env: Env, customer_id: str, stage: str, on: str | None, reason: str | None, note: str | None,
         contract_no: str | None, amount: str | None, signed: str | None, delivered: str | None,
         assignments: tuple[str, ...], interactive: bool | None, dry_run: bool) -> None:
    """Move customer ID to STAGE: sets `stage` and appends `{stage, on}` to stage_history.

    Moves the settings forbid are refused (going back, skipping when not allowed,
    reopening a lost deal other than as a lead). A stage's requirements must be met:
    lost needs --reason, won needs a contract (--contract-no, --amount, --signed). A won
    customer who stops working with us moves to lost with the reason churn (the default).
    The edit keeps the file's comments and layout; it is checked before it is written.

    \b
    Example:
        dealbook move 粤IT2024001 discovery
        dealbook move 粤IT2024001 lost --reason budget --note "预算冻结到明年"
        dealbook move 粤MF2023008 lost --reason churn --note "集团统一采购,停止合作"
        dealbook move 粤IT2024001 won --contract-no HT-2024-031 --amount 650000 --signed 2024-06-01
        dealbook move 粤IT2024001 proposal --set need.budget.status=partial --dry-run
    """
    ask = _interactive(interactive)
    settings = env.settings
    _ = translator(settings.language)
    if stage not in settings.stage_by_key:
        raise click.BadParameter(_("unknown stage `%(stage)s`; the stages are: %(stages)s", stage=stage,
                                   stages=" | ".join(settings.stage_keys)), param_hint="STAGE")

    parsed = [_assignment(text, settings) for text in assignments]

    def attempt() -> None:
        book = working_book(env, [customer_id])
        path, doc = open_customer(env, book, customer_id)
        current = book.customers_by_path[path]
        day = on or env.today.isoformat()
        if parse_date(day) is None:
            raise click.BadParameter(_("`%(day)s` is not a date: write YYYY-MM-DD", day=day), param_hint="--on")
        if current.stage == stage:
            raise click.ClickException(_("%(id)s is already at stage %(stage)s; nothing was written", id=current.id,
                                         stage=stage))
        problem = move_problem(current.stage, stage, settings) if current.stage else None
        if problem:
            raise click.ClickException(_("%(id)s: %(problem)s; nothing was written", id=current.id, problem=problem)
                                       + _repeat_hint(current, stage, settings, _))
        last_on = current.stage_history[-1].on if current.stage_history else None
        if last_on is not None and parse_date(day) < last_on:
            raise click.ClickException(_("%(id)s: %(day)s is before the last stage change (%(last)s); stage history "
                                         "goes forward in time. Nothing was written", id=current.id, day=day,
                                         last=last_on))
        target = settings.stage_by_key[stage]
        try:
            if target.kind == "lost" or is_lost_stage(settings, current.stage):  # losing again, re-opening
                _keep_latest_loss(doc, current, settings)
            if target.kind == "lost":
                churned = settings.is_won(current.stage)
                if churned and reason and reason != CHURN:
                    raise click.UsageError(_("%(id)s is a won customer: one who stops working with us has churned; "
                                             "use --reason %(churn)s and say why with --note", id=current.id,
                                             churn=CHURN))
                # a reason already in the record counts, unless it is an earlier loss's (re-opened since)
                earlier = reopened_on(current, parse_date(day), thresholds_of(settings).stage_kind) is not None
                why = reason or (CHURN if churned else None if earlier else current.lost_reason or None)
                if not why and ask:
                    keys = settings.keys_of("lost_reasons")  # typed as keys; each shown with its label
                    shown = ", ".join(f"{k} {settings.label('lost_reasons', k)}" for k in keys)
                    why = click.prompt(_("Why was it lost? (%(reasons)s)", reasons=shown), type=click.Choice(keys),
                                       show_choices=False)
                if not why:
                    raise click.UsageError(_("moving to %(stage)s needs --reason: one of %(reasons)s", stage=stage,
                                             reasons=" | ".join(settings.keys_of("lost_reasons"))))
                lost = {"reason": why, **({"note": note} if note else {}), "on": day}
                doc.set("lost", lost)
            elif target.kind == "won":
                _contract(doc, stage, day, contract_no, amount, signed, delivered, ask, _)
            elif amount:
                doc.set("deal.amount", _money(amount, _))
            for assignment in parsed:
                lost = assignment.losses(_, doc)
                if lost:
                    raise click.ClickException(_(
                        "%(path)s: --set `%(key)s` %(lost)s: move does not replace what the record holds "
                        "(`dealbook set %(id)s %(key)s=… --replace` does); nothing was written",
                        path=path, key=assignment.key, lost=lost, id=current.id))
                before = doc.data
                assignment.apply(doc)
                refuse_new_approvals(_, path, assignment.key, before, doc.data)
            doc.set("stage", stage)
            _relabel(doc, current.stage, stage, settings)
            doc.append("stage_history", {"stage": stage, "on": day})
        except EditError as exc:
            raise click.ClickException(f"{path}: {exc.text(_)}") from None
        hint = _("give what the stage requires with --set KEY=VALUE (e.g. --set need.summary=…), --reason, or "
                 "--contract-no/--amount/--signed")
        if finish(env, book, [Change(path, doc.source, doc.dumps())], dry_run, hint=hint):
            label = settings.stage_label
            click.echo(_("%(id)s: %(before)s → %(after)s on %(day)s (%(path)s)", id=current.id,
                         before=label(current.stage), after=label(stage), day=day, path=path))

    retrying(attempt)


def _keep_latest_loss(doc, customer, settings) -> None:
    """Re-opening a lost customer, or losing one again, makes its latest loss an earlier one: that
    loss's reason and note, held by the `lost` block (which a new loss rewrites), are kept on the
    loss's own stage_history entry (`records.losses`), unless the entry has a reason already."""
    kept = kept_on_entry(customer.data, settings)
    if kept is not None:
        where, values = kept
        for key, value in values.items():
            doc.set(f"stage_history.{where}.{key}", value)


def _relabel(doc, before: str, after: str, settings) -> None:
    """`stage: lost  # 方案呈现` would lie: a comment that is the old stage's label becomes the new one's."""
    old = settings.stage_by_key.get(before)
    new = settings.stage_by_key.get(after)
    if old is None or new is None or not old.label:
        return
    labels = "|".join(re.escape(v) for v in old.label.values() if v)
    pattern = re.compile(rf"^(stage:\s*{re.escape(after)}\s+#\s*)({labels})\s*$", re.M)
    match = pattern.search(doc.text)
    if match:
        language = next((k for k, v in old.label.items() if v == match.group(2)), settings.language)
        label = new.label.get(language) or settings.stage_label(after)
        doc.text = doc.text[:match.start(2)] + label + doc.text[match.end(2):]


def _repeat_hint(customer, stage: str, settings, _: Translator) -> str:
    """A won customer moved back to a won stage is signing a repeat purchase: it stays in its stage
    and the new contract gets its `signed` date (after its approvals, when the settings ask for them)."""
    if not (settings.is_won(stage) and settings.is_won(customer.stage)):
        return ""
    return _(". A repeat purchase keeps the customer in `%(stage)s`: %(how)s", stage=customer.stage,
             how=how_to_sign(customer.id, customer.data.get("contracts"), settings.language))


def _interactive(flag: bool | None) -> bool:
    return interactive(flag)


def _money(text: str, _: Translator) -> int:
    try:
        return parse_money(text, "", _)
    except ValueError as exc:
        raise click.BadParameter(str(exc), param_hint="--amount") from None


def _contract(doc, stage: str, day: str, number: str | None, amount: str | None, signed: str | None,
              delivered: str | None, ask: bool, _: Translator) -> None:
    contracts = doc.get("contracts") or []
    if delivered and contracts and not number:
        _record(_, doc, [len(contracts) - 1, "delivered"], delivered)
        return
    unsigned = [i for i, c in enumerate(contracts) if isinstance(c, dict) and not c.get("signed")]
    if contracts and not (number or amount) and len(unsigned) != 1:
        return  # already has a contract; the stage requirement is met
    if not number and len(unsigned) == 1:
        number = contracts[unsigned[0]].get("no")
    number = number or (click.prompt(_("Contract number")) if ask else None)
    drafted = next((i for i, c in enumerate(contracts) if isinstance(c, dict) and c.get("no") == number), None)
    if drafted is not None:  # the contract went through its approvals unsigned: signing it is the move
        if amount:
            _record(_, doc, [drafted, "amount"], _money(amount, _))
        if signed or not contracts[drafted].get("signed"):
            _record(_, doc, [drafted, "signed"], signed or day)
        if delivered:
            _record(_, doc, [drafted, "delivered"], delivered)
        return
    amount = amount or (click.prompt(_("Contract amount (plain integer)")) if ask else None)
    if not number or not amount:
        raise click.UsageError(_("moving to %(stage)s needs a contract: --contract-no and --amount (and --signed, "
                                 "default the move's date)", stage=stage))
    contract = {"no": number, "amount": _money(amount, _), "signed": signed or day}
    if delivered:
        contract["delivered"] = delivered
    doc.append("contracts", contract)


def _record(_: Translator, doc, where: list, value) -> None:
    """Write a contract's field the move gives, unless it changes a recorded fact (a signing or
    delivery date held, the amount of an approved contract): that is `set --replace`'s to do."""
    parts = ["contracts", *where]
    lost = fact_changed(_, parts, doc.get(parts), value, doc.data)
    if lost:
        raise EditError(_("`%(key)s` %(lost)s: move does not change what the record holds (`dealbook set %(id)s "
                          "%(key)s=… --replace` does); nothing was written",
                          key=".".join(map(str, parts)), lost=lost, id=doc.get("id")))
    doc.set(parts, value)


def _assignment(text: str, settings) -> Assignment:
    try:
        return read_assignment(text, settings)
    except ValueError as exc:
        raise click.BadParameter(str(exc), param_hint="--set") from None
