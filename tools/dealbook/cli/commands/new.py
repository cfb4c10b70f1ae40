"""`dealbook new customer` and `dealbook new followup ID`: new record files from templates."""

from __future__ import annotations

import datetime as dt
from typing import Any

import click

from ...checks import privacy
from ...editing.edits import Change
from ...editing.roundtrip import EditError, render_new
from ...records.dates import parse_moment
from ...records.ids import IdError, check_id, check_parts, ids_on_disk, letters_for_industry, next_id_among, province_of
from ...records.model import customer_path, existing_customer_file
from ...records.settings import Settings, default_settings
from ...records.writing import PathTaken
from ...text.catalog import SOURCE_LANGUAGE, translator
from ..click_words import Group
from ..context import Env, pass_env, words
from .edit_flow import finish, interactive, retrying, working_book
from .log import followup_options, resolve_at, write_followup

ROLES = ("initiator", "influencer", "decision_maker", "user")
PHONE_KINDS = ("work", "office", "im")


def parse_contact(text: str, settings: Settings | None = None) -> dict[str, str]:
    """`王总监,技术总监,decision_maker,0755-88881234[,work][,email]` → a contact mapping.

    The phone's kind is what the user wrote; else `office` for a landline and `im` for a company
    IM account. A mobile is never marked `work` unasked: only the user knows it is company-issued."""
    _ = translator(settings.language if settings is not None else SOURCE_LANGUAGE)
    parts = [p.strip() for p in text.replace("，", ",").split(",")]
    if len(parts) < 3 or not parts[0]:
        raise click.BadParameter(_("`%(text)s`: write %(form)s, e.g. %(example)s", text=text,
                                   form="NAME,TITLE,ROLE[,PHONE[,PHONE_KIND]][,EMAIL]",
                                   example="'王总监,技术总监,decision_maker,0755-88881234'"), param_hint="--contact")
    name, title, role, *rest = parts
    if role not in ROLES:
        raise click.BadParameter(_("role `%(role)s` in `%(text)s`: use one of %(roles)s", role=role, text=text,
                                   roles=" | ".join(ROLES)), param_hint="--contact")
    contact = {"name": name, "title": title, "role": role}
    for extra in rest:
        if not extra:
            continue
        if "@" in extra:
            contact["email"] = extra
        elif extra in PHONE_KINDS:
            contact["phone_kind"] = extra
        else:
            contact["phone"] = extra
    if "phone" in contact and "phone_kind" not in contact:
        kind = privacy.phone_kind_of(contact["phone"], settings or default_settings())
        if kind is not None:
            contact["phone_kind"] = kind
    return {k: v for k, v in contact.items() if v}


@click.group(cls=Group)
def new() -> None:
    """Create a new record: a customer (with the next free id) or a follow-up.

    \b
    Example:
        dealbook new customer --name A科技有限公司 --industry C3970 --region "广东 深圳" \\
            --owner zhang --channel trade_show --contact "王总监,技术总监,decision_maker,0755-88881234"
        dealbook new followup 粤IT2024001 -m phone -c 王总监 -s "首次电话沟通"
    """


def _ask(value: Any, prompt: str, ask: bool, **kwargs: Any) -> Any:
    if value in (None, "", ()) and ask:
        return click.prompt(prompt, **kwargs)
    return value


@new.command("customer")
@click.option("--name", help="Full legal name, as on the business licence (客户名称).")
@click.option("--industry", help="GB/T 4754 code, optionally with its name: C3970 or 'C3970 电子器件制造'.")
@click.option("--region", help="Region, e.g. '广东 深圳' (also gives the id's province).")
@click.option("--owner", help="The owner's team handle (第一负责人).")
@click.option("--channel", help="Source channel: trade_show, referral, visit, online, website, partner, other.")
@click.option("--source-detail", "detail", help="Where exactly the lead came from, e.g. '2024 深圳高交会'.")
@click.option("--lead-type", help="prospect, referral, competitor_churn or existing.")
@click.option("--priority", type=click.Choice(["A", "B", "C"]),
              help="Intake priority (lead.priority): first response within 24, 48 or 72 h "
                   "(default: from the lead type and source, see intake.priority).")
@click.option("--contact", "contacts", multiple=True, metavar="NAME,TITLE,ROLE[,PHONE[,KIND]]",
              help="A contact; repeat for more. ROLE: initiator|influencer|decision_maker|user.")
@click.option("--need", help="Need summary (≤ 200 characters).")
@click.option("--support", multiple=True, metavar="HANDLE", help="A supporting member; repeat for more.")
@click.option("--tag", "tags", multiple=True, help="A tag; repeat for more.")
@click.option("--created", metavar="'YYYY-MM-DD[ HH:MM]'",
              help="When the lead was acquired, to the minute (default: now in the team's timezone).")
@click.option("--province", help="Province character for the id, e.g. 粤 (default: from --region).")
@click.option("--industry-letters", help="Industry letters for the id, e.g. IT (default: from --industry).")
@click.option("--id", "given_id", help="Use this id instead of allocating the next one.")
@click.option("--interactive/--no-interactive", default=None,
              help="Prompt for missing values (default: when stdin is a terminal).")
@click.option("--dry-run", is_flag=True, help="Show the file that would be written; write nothing.")
@pass_env
def customer(env: Env, name: str | None, industry: str | None, region: str | None, owner: str | None,
             channel: str | None, detail: str | None, lead_type: str | None, priority: str | None,
             contacts: tuple[str, ...],
             need: str | None, support: tuple[str, ...], tags: tuple[str, ...], created: str | None,
             province: str | None, industry_letters: str | None, given_id: str | None,
             interactive: bool | None, dry_run: bool) -> None:
    """Create a customer with the next free id, at stage lead.

    The id is province + industry letters + year + sequence (粤IT2024001): the
    province comes from --province or --region, the letters from --industry-letters
    or the industry code (ids.industry_codes in dealbook.yaml), the year from the
    created date. On a terminal, missing values are asked for. An existing file is
    never overwritten.

    \b
    Example:
        dealbook new customer --name A科技有限公司 --industry C3970 --region "广东 深圳" \\
            --owner zhang --channel trade_show --source-detail "2024 深圳高交会" \\
            --contact "王总监,技术总监,decision_maker,0755-88881234"
        dealbook new customer          # asks for each value on a terminal
    """
    ask = _interactive(interactive)
    book = working_book(env)
    settings = env.settings
    _ = translator(settings.language)
    name = _ask(name, _("Customer name (客户名称)"), ask)
    industry = _ask(industry, _("Industry code (GB/T 4754, e.g. C3970)"), ask)
    region = _ask(region, _("Region (e.g. 广东 深圳)"), ask, default="", show_default=False) or None
    owner = _ask(owner, _("Owner (team handle)"), ask,
                 type=click.Choice(sorted(book.members)) if book.members else None)
    channels = settings.keys_of("source_channels")  # typed as keys; each shown with its label
    shown = ", ".join(f"{k} {settings.label('source_channels', k)}" for k in channels)
    channel = _ask(channel, _("Source channel (%(channels)s)", channels=shown), ask, type=click.Choice(channels),
                   show_choices=False)
    if not contacts and ask:
        contacts = (click.prompt(_("Contact (NAME,TITLE,ROLE[,PHONE])")),)
    if priority is None and ask:
        derived = _derived_priority(settings, lead_type, channel)
        empty = _("%(priority)s from the lead type or source", priority=derived) if derived else \
            _("from the grade")
        answer = click.prompt(_("Intake priority A/B/C (first response within %(hours)s; empty: %(empty)s)",
                                hours=_hours_text(settings), empty=empty),
                              default="", show_default=False).strip().upper()
        if answer and answer not in ("A", "B", "C"):
            raise click.BadParameter(_("`%(answer)s`: write A, B or C", answer=answer), param_hint="--priority")
        priority = answer or None
    missing = [flag for flag, value in (("--name", name), ("--industry", industry), ("--owner", owner),
                                        ("--channel", channel), ("--contact", contacts)) if not value]
    if missing:
        raise click.UsageError(_("missing %(options)s (or run on a terminal to be asked)", options=", ".join(missing)))
    created = (created or resolve_at(env, None).strftime("%Y-%m-%d %H:%M")).strip()
    moment = parse_moment(created)
    if moment is None:
        raise click.BadParameter(_("`%(created)s` is not a date or time: write YYYY-MM-DD or 'YYYY-MM-DD HH:MM'",
                                   created=created), param_hint="--created")
    created_on = moment[0].date()
    if given_id:
        try:
            check_id(settings, given_id)
        except IdError as exc:
            raise click.BadParameter(exc.text(words()), param_hint="--id") from None
    else:
        province, industry_letters = _id_parts(env, ask, province, industry_letters, region, industry, created_on)
    first_stage = settings.progression[0].key if settings.progression else "lead"
    data: dict[str, Any] = {
        "name": name,
        "industry": industry,
        "region": region,
        "source": {"channel": channel, **({"detail": detail} if detail else {})},
        "lead_type": lead_type,
        "owner": owner,
        "support": list(support) or None,
        "created": created,
        "lead": {"priority": priority} if priority else None,
        "contacts": [parse_contact(c, env.settings) for c in contacts],
        "need": {"summary": need} if need else None,
        "stage": first_stage,
        "stage_history": [{"stage": first_stage, "on": created_on.isoformat()}],
        "tags": list(tags) or None,
    }
    data = {k: v for k, v in data.items() if v is not None}

    def attempt() -> None:
        # The next free id, taken for good only when its file is created; when another process
        # creates it first (PathTaken), the next attempt allocates the one after.
        customer_id = given_id or _next_id(env, province, industry_letters, created_on)
        relative = customer_path(customer_id)
        existing = existing_customer_file(env.repo, customer_id) if given_id else None
        if existing:
            raise click.ClickException(_("%(path)s already exists: dealbook never overwrites a record",
                                           path=existing))
        try:
            text = render_new("customer", {"id": customer_id, **data})
        except EditError as exc:
            raise click.ClickException(str(exc)) from None
        try:
            written = finish(env, book, [Change(relative, None, text)], dry_run)
        except PathTaken:
            if given_id:
                taken = existing_customer_file(env.repo, customer_id) or relative
                raise click.ClickException(_("%(path)s already exists: dealbook never overwrites a record",
                                               path=taken)) from None
            raise
        if written:
            click.echo(relative)

    retrying(attempt)


def _derived_priority(settings, lead_type: str | None, channel: str | None) -> str | None:
    """The priority intake.priority gives this lead type or channel (the higher), or None."""
    priority = (settings.raw.get("intake") or {}).get("priority") or {}
    found = [p for p in ((priority.get("lead_type") or {}).get(lead_type or ""),
                         (priority.get("channel") or {}).get(channel or "")) if p in ("A", "B", "C")]
    return min(found) if found else None


def _hours_text(settings) -> str:
    hours = {"A": 24, "B": 48, "C": 72} | ((settings.raw.get("intake") or {}).get("first_response_hours") or {})
    return " / ".join(f"{k} {hours[k]} h" for k in ("A", "B", "C") if k in hours)


def _interactive(flag: bool | None) -> bool:
    return interactive(flag)


def _id_parts(env: Env, ask: bool, province: str | None, letters: str | None, region: str | None,
             industry: str, created_on: dt.date) -> tuple[str, str]:
    """The province and industry letters of the id to allocate (asked for on a terminal when unknown)."""
    _ = translator(env.settings.language)
    province = province or province_of(region or "", env.settings)
    letters = (letters or letters_for_industry(industry, env.settings) or "").upper() or None
    province = _ask(province, _("Province character for the id (e.g. 粤)"), ask)
    letters = _ask(letters, _("Industry letters for the id (e.g. IT)"), ask)
    if not province:
        raise click.UsageError(_("give --province (e.g. 粤): it could not be read from --region"))
    if not letters:
        raise click.UsageError(_("give --industry-letters (e.g. IT): ids.industry_codes has none for this industry"))
    try:
        check_parts(env.settings, province, letters, created_on.year)
    except IdError as exc:
        raise click.UsageError(exc.text(words())) from None
    return province, letters


def _next_id(env: Env, province: str, letters: str, created_on: dt.date) -> str:
    try:
        return next_id_among(ids_on_disk(env.repo), env.settings, province, letters, created_on.year)
    except IdError as exc:
        raise click.UsageError(exc.text(words())) from None


@new.command("followup")
@followup_options
@pass_env
def followup(env: Env, **options: Any) -> None:
    """Record a follow-up with customer ID (the same as `dealbook log`).

    \b
    Example:
        dealbook new followup 粤IT2024001 -m phone -c 王总监 -s "首次电话沟通" --next "发送资料@2024-05-22"
    """
    write_followup(env, **options)
