"""`dealbook digest`: the weekly digest (what changed, at risk, due) as markdown, html or json."""

from __future__ import annotations

import datetime as dt
import json
import re
from typing import Any

import click

from ...git.digest import Digest, weekly_digest
from ...git.recent import Event, changelog_of, feed_days
from ...records.siteconfig import SiteConfig
from ...rules.agenda import AgendaItem
from ...rules.risk import Risk
from ...text.catalog import N_, NP_, Translator, translator
from ...text.numbers import items_for_customers, losses_for_customers
from ...text.output import echo_utf8, money, to_json
from ..click_words import Command
from ..context import Env, pass_env
from .diff import md

WEBHOOKS = ("wecom", "dingtalk", "feishu", "slack")
# What each chat accepts in one message (企业微信: 4,096 bytes of markdown; the others more).
WEBHOOK_BYTES = {"wecom": 4000, "dingtalk": 18000, "feishu": 28000, "slack": 11000}

WORDS = {
    "title": N_("Weekly digest"),
    "team": NP_("the whole sales team", "team"),
    "changed": N_("What changed in %(n)s days"),
    "risk": N_("At risk"),
    "due": N_("Due: overdue and the next %(n)s days"),
    "none": N_("none"),
    "more": N_("… and %(n)s more"),
    "open": N_("open deals %(n)s, %(amount)s"),
    "deals": N_("%(n)s, %(amount)s"),
    "leads": N_("new leads %(n)s"),
    "won": N_("won %(n)s, %(amount)s"),
    "before": N_(" (previous %(value)s)"),
    # a risk's amount, named: one customer's reasons can carry different amounts
    "amount_deal": N_("deal amount %(amount)s"),
    "amount_quote": N_("quote total %(amount)s"),
    "amount_instalment": N_("instalment %(amount)s"),
    "late": N_("%(n)s days late"),
    "site": N_("Open the site"),
    "figures_note": N_("in brackets: the %(n)s days before; amounts are expected deal amounts, won ones "
                       "contract values"),
    "line": N_("%(name)s: %(text)s"),
    "section": N_("%(title)s (%(num)s)"),
}


def _w(key: str, _: Translator, **values: Any) -> str:
    if key == "team":
        return _.pgettext("the whole sales team", WORDS[key])
    return _(WORDS[key], **values) if values else _(WORDS[key])


def parse_since(text: str, today: dt.date, _: Translator | None = None) -> int:
    """`7d`, `2w`, `14` (days) or a date `YYYY-MM-DD` (from that day on) → the number of days;
    refused in the translator's language (default English)."""
    _ = _ or translator("en")
    value = text.strip().lower()
    found = re.fullmatch(r"([0-9]+)\s*([dw]?)", value)
    if found:
        days = int(found.group(1)) * (7 if found.group(2) == "w" else 1)
    else:
        try:
            days = (today - dt.date.fromisoformat(value)).days + 1
        except ValueError:
            raise click.BadParameter(_("%(text)s: write 7d, 2w, 14 or a date like 2024-05-13", text=repr(text)),
                                     param_hint="--since") from None
    if days < 1:
        raise click.BadParameter(_("%(text)s is not before today (%(today)s)", text=repr(text), today=today),
                                 param_hint="--since")
    longest = ((today - dt.date.min).days + 1) // 2  # the window and as many days before it, from 0001-01-01
    if days > longest:
        raise click.BadParameter(_("%(text)s is too long: the digest compares the window with as many days before "
                                   "it, so it can span at most %(days)s days", text=repr(text), days=longest),
                                 param_hint="--since")
    return days


# --- markdown -------------------------------------------------------------------------------------
def _clip(text: Any, width: int | None) -> str:
    """`text`, cut to `width` characters with "…" when longer (None: whole)."""
    text = str(text)
    return text if width is None or len(text) <= width else text[: max(width - 1, 1)] + "…"


def _md_name(config: SiteConfig, cid: str, name: str, width: int | None = None) -> str:
    link = config.customer_link(cid)
    label = md(_clip(name or cid, width))
    return f"[{label}]({link})" if link else label


def _money_or_none(amount: Any, currency: str) -> str:
    return money(amount, currency) if amount else ""


def _headline(d: Digest, _: Translator) -> list[str]:
    f = d.feed

    def delta(key: str, amount: bool = False) -> str:
        found = f.delta(key)
        if found is None:
            return ""
        shown = money(found.before) if not amount else money(found.before, d.currency)
        return _w("before", _, value=shown)

    open_deals, open_amount = f.delta("open_deals"), f.delta("open_amount")
    parts = []
    if open_deals and open_amount:
        before = _w("deals", _, n=int(open_deals.before), amount=money(open_amount.before, d.currency))
        parts.append(_w("open", _, n=int(open_deals.now), amount=money(open_amount.now, d.currency))
                     + _w("before", _, value=before))
    parts.append(_w("leads", _, n=f.count("new_lead")) + delta("new_lead"))
    won = f.delta("won_amount")
    parts.append(_w("won", _, n=f.count("won"), amount=money(won.now if won else 0, d.currency))
                 + delta("won_amount", True))
    lost = [e.customer_id for e in f.events if e.kind == "lost"]  # loss events: one customer can be lost twice
    before = f.delta("lost")
    parts.append(losses_for_customers(_, len(lost), len(set(lost)))
                 + (_w("before", _, value=_.ngettext("%(num)s loss", "%(num)s losses", int(before.before)))
                    if before is not None else ""))
    return parts


def _event_line(e: Event, config: SiteConfig, team: bool, names: dict[str, str], _: Translator,
                currency: str, width: int | None = None) -> str:
    who = f" · {md(_clip(names.get(e.owner, e.owner), width))}" if team and e.owner else ""
    amount = f" {_money_or_none(e.amount, currency)}" if e.kind == "won" and e.amount else ""
    line = _w("line", _, name=_md_name(config, e.customer_id, e.name, width), text=md(_clip(e.message, width)))
    return f"- {e.on:%m-%d} {line}{amount}{who}"


def _risk_amount(r: Risk, _: Translator, currency: str) -> str:
    """A risk's amount with what it is: `deal amount ¥1,380,000`, `quote total ¥1,340,000`,
    `instalment ¥128,000` (empty when none)."""
    return _w("amount_" + r.amount_kind, _, amount=money(r.amount, currency)) if r.amount else ""


def _risk_line(r: Risk, config: SiteConfig, team: bool, names: dict[str, str], _: Translator,
               currency: str, width: int | None = None) -> str:
    who = f" · {md(_clip(names.get(r.owner, r.owner), width))}" if team and r.owner else ""
    amount = f" {_risk_amount(r, _, currency)}" if r.amount else ""
    return "- " + _w("line", _, name=_md_name(config, r.customer_id, r.name, width) + amount,
                     text=md(_clip(r.message, width))) + who


def _due_line(i: AgendaItem, config: SiteConfig, team: bool, names: dict[str, str], _: Translator,
              width: int | None = None) -> str:
    who = f" · {md(_clip(names.get(i.owner, i.owner), width))}" if team and i.owner else ""
    late = f"**{_w('late', _, n=i.overdue_days)}** " if i.overdue_days else ""
    line = _w("line", _, name=_md_name(config, i.customer_id, i.name, width), text=md(_clip(i.reason, width)))
    return f"- {late}{i.due:%m-%d} {line}{who}"


def _section(title: str, lines: list[str], limit: int, _: Translator, total: int,
             customers: int | None = None) -> list[str]:
    """A section of `total` items, of which `lines` are the first ones shown (at most `limit`);
    `customers`: how many customers the items are for, named beside them (one can have several)."""
    num = items_for_customers(_, total, customers) if customers is not None and total else total
    out = [f"**{_w('section', _, title=title, num=num)}**"]
    if not total:
        out.append(f"- {_w('none', _)}")
    out += lines[:limit]
    if total > limit:
        out.append(f"- {_w('more', _, n=total - limit)}")
    return [*out, ""]


def render_markdown(d: Digest, title: str, config: SiteConfig, names: dict[str, str], _: Translator,
                    limit: int = 10, width: int | None = None) -> str:
    """Markdown every chat webhook renders: bold titles, lists, links (user text escaped; with
    `width`, each piece of it cut to that many characters)."""
    team = d.owner is None
    who = d.owner_name or d.owner if d.owner else _w("team", _)
    lines = [f"**{md(_clip(title, width))} · {_w('title', _)} · {md(_clip(who, width))} · {d.start} – {d.today}**",
             "", " · ".join(_headline(d, _)), f"> {_w('figures_note', _, n=d.days)}", ""]
    changes = [_event_line(e, config, team, names, _, d.currency, width) for e in d.feed.events[:limit]]
    lines += _section(_w("changed", _, n=d.days), changes, limit, _, len(d.feed.events))
    risks = [_risk_line(r, config, team, names, _, d.currency, width) for r in d.risks[:limit]]
    lines += _section(_w("risk", _), risks, limit, _, len(d.risks), len({r.customer_id for r in d.risks}))
    due = [_due_line(i, config, team, names, _, width) for i in d.due[:limit]]
    lines += _section(_w("due", _, n=d.ahead), due, limit, _, len(d.due), len({i.customer_id for i in d.due}))
    if config.site_url:
        lines.append(f"[{_w('site', _)}]({config.site_url})")
    return "\n".join(lines).rstrip("\n") + "\n"


# --- html -----------------------------------------------------------------------------------------
_HTML = """<!DOCTYPE html>
<html lang="{{ language }}"><head><meta charset="utf-8"><title>{{ heading }}</title></head>
<body style="font-family: sans-serif; line-height: 1.5; color: #222; max-width: 760px">
<h2 style="margin-bottom: 0.2em">{{ heading }}</h2>
<p>{{ headline | join(' · ') }}<br><small style="color: #666">{{ note }}</small></p>
{% for title, rows in sections %}
<h3 style="margin-bottom: 0.2em">{{ title }}</h3>
{% if rows %}<ul>
{% for row in rows[:limit] %}<li>
{%- if row.late %}<strong>{{ row.late }}</strong> {% endif %}{% if row.day %}{{ row.day }} {% endif %}
{%- if row.link %}<a href="{{ row.link }}">{{ row.name }}</a>{% else %}{{ row.name }}{% endif %}
{%- if row.amount %} {{ row.amount }}{% endif %}: {{ row.text }}{% if row.owner %} · {{ row.owner }}{% endif %}</li>
{% endfor %}{% if rows | length > limit %}<li>{{ more(rows | length - limit) }}</li>{% endif %}
</ul>{% else %}<p>{{ none }}</p>{% endif %}
{% endfor %}
{% if site_url %}<p><a href="{{ site_url }}">{{ site }}</a></p>{% endif %}
</body></html>
"""


def render_html(d: Digest, title: str, config: SiteConfig, names: dict[str, str], _: Translator,
                limit: int = 10) -> str:
    """An e-mail body; every piece of user text escaped (Jinja2 autoescape)."""
    import jinja2

    team = d.owner is None

    def row(cid: str, name: str, text: str, owner: str, day: dt.date | None = None, amount: Any = None,
            late: int = 0, amount_text: str = "") -> dict[str, Any]:
        return {"link": config.customer_link(cid), "name": name or cid, "text": text,
                "owner": names.get(owner, owner) if team else "", "day": f"{day:%m-%d}" if day else "",
                "amount": amount_text or _money_or_none(amount, d.currency),
                "late": _w("late", _, n=late) if late else ""}

    def counted(title: str, rows: list[Any]) -> str:  # items and the customers they are for
        num = items_for_customers(_, len(rows), len({r.customer_id for r in rows})) if rows else 0
        return _w("section", _, title=title, num=num)

    sections = [
        (_w("section", _, title=_w("changed", _, n=d.days), num=len(d.feed.events)),
         [row(e.customer_id, e.name, e.message, e.owner, e.on, e.amount if e.kind == "won" else None)
          for e in d.feed.events]),
        (counted(_w("risk", _), list(d.risks)),
         [row(r.customer_id, r.name, r.message, r.owner, amount_text=_risk_amount(r, _, d.currency))
          for r in d.risks]),
        (counted(_w("due", _, n=d.ahead), list(d.due)),
         [row(i.customer_id, i.name, i.reason, i.owner, i.due, late=i.overdue_days) for i in d.due]),
    ]
    who = d.owner_name or d.owner if d.owner else _w("team", _)
    environment = jinja2.Environment(autoescape=True, trim_blocks=True, lstrip_blocks=True)
    return environment.from_string(_HTML).render(
        language=_.language, heading=f"{title} · {_w('title', _)} · {who} · {d.start} – {d.today}",
        headline=_headline(d, _),
        note=_w("figures_note", _, n=d.days), sections=sections, limit=limit, none=_w("none", _),
        more=lambda n: _w("more", _, n=n), site_url=config.site_url, site=_w("site", _))


# --- webhooks -------------------------------------------------------------------------------------
def slack_text(text: str) -> str:
    """Text for a Slack mrkdwn field (a message's `text`): `&`, `<` and `>` as the entities Slack
    decodes, so no `<!here>` pings the channel and no `<url|label>` links; `@` defused as in `md`."""
    text = text.replace("&", "&amp;").replace("<", "&lt;").replace(">", "&gt;")
    return text.replace("@", "@\u200b")


def webhook_body(kind: str, title: str, text: str) -> dict[str, Any]:
    """The JSON a chat's incoming webhook takes for a markdown message: `text` is the markdown (its
    user text escaped by `render_markdown`), `title` plain text, escaped here where the chat reads
    it as markup (Slack's `text`, the notification's fallback, is mrkdwn)."""
    if kind == "wecom":
        return {"msgtype": "markdown", "markdown": {"content": text}}
    if kind == "dingtalk":
        return {"msgtype": "markdown", "markdown": {"title": title, "text": text}}
    if kind == "feishu":
        return {"msg_type": "interactive", "card": {"header": {"title": {"tag": "plain_text", "content": title}},
                                                    "elements": [{"tag": "markdown", "content": text}]}}
    return {"text": slack_text(title), "blocks": [{"type": "markdown", "text": text}]}  # slack


@click.command(cls=Command)
@click.option("--since", "since", metavar="7d|2w|N|YYYY-MM-DD", default=None,
              help="The window: 7d, 2w, a number of days or the first day (default: what_changed.days, 7).")
@click.option("--owner", metavar="HANDLE", help="One owner's customers (default: the team).")
@click.option("--ahead", type=click.IntRange(min=0), default=7, show_default=True,
              help="Due items: the overdue ones and those due within this many days.")
@click.option("--format", "fmt", type=click.Choice(["markdown", "html", "json"]), default="markdown",
              show_default=True, help="markdown for chat, html for e-mail, json for machines.")
@click.option("--webhook", type=click.Choice(WEBHOOKS), default=None,
              help="Print the markdown as the JSON body this chat's incoming webhook takes "
                   "(企业微信 wecom, 钉钉 dingtalk, 飞书 feishu, Slack), shortened to fit.")
@click.option("--limit", type=click.IntRange(min=1), default=10, show_default=True,
              help="At most this many lines per section (the rest are counted).")
@click.option("--site-url", metavar="URL", default=None,
              help="Links to customer pages (default: site_url in mkdocs.yml).")
@pass_env
def digest(env: Env, since: str | None, owner: str | None, ahead: int, fmt: str, webhook: str | None, limit: int,
           site_url: str | None) -> None:
    """The weekly digest: what changed, what is at risk and what is due, per owner or for the team.

    What changed comes from the records and git (see `what_changed` in the process guide);
    at risk and due are as of --today. Markdown suits a chat webhook (企业微信, 钉钉, 飞书,
    Slack: --webhook KIND prints the JSON body to post), html an e-mail, json a script.

    \b
    Example:
        dealbook digest --since 7d --owner zhang
        dealbook digest --format html > digest.html
        dealbook digest --webhook wecom | curl -sS -H 'Content-Type: application/json' -d @- "$WEBHOOK_URL"
    """
    book = env.book()
    _ = translator(book.settings.language)
    if owner is not None and owner not in book.members and not any(c.owner == owner for c in book.customers.values()):
        raise click.BadParameter(_("no team member or owner %(owner)s; members: %(members)s", owner=repr(owner),
                                   members=_.pgettext("enumeration", ", ").join(sorted(book.members))),
                                 param_hint="--owner")
    days = parse_since(since, env.today, _) if since else feed_days(book.settings)
    result = weekly_digest(book, changelog_of(env.repo) if env.at is None else {}, env.today, days, owner, ahead)
    config = env.site_config(site_url)
    names = {handle: member.name or handle for handle, member in book.members.items()}
    title = book.settings.site_title
    if fmt == "json" and webhook is None:
        click.echo(to_json(result.as_dict()))
    elif fmt == "html" and webhook is None:
        echo_utf8(render_html(result, title, config, names, _, limit))
    else:
        text = render_markdown(result, title, config, names, _, limit)
        if webhook is None:
            click.echo(text, nl=False)
        else:
            heading = f"{title} · {_w('title', _)}"
            while len(text.encode("utf-8")) > WEBHOOK_BYTES[webhook] and limit > 1:
                limit -= 1
                text = render_markdown(result, title, config, names, _, limit)
            width = 400  # one line each still too long (a name or a next step of thousands of characters)
            while len(text.encode("utf-8")) > WEBHOOK_BYTES[webhook] and width > 10:
                width //= 2
                text = render_markdown(result, title, config, names, _, limit, width)
            echo_utf8(json.dumps(webhook_body(webhook, heading, text), ensure_ascii=False) + "\n")
    if not env.at:  # its counts (at risk, due, changed) would silently lack these customers
        env.warn_left_out(book.customers)


__all__ = ["digest", "parse_since", "render_html", "render_markdown", "slack_text", "webhook_body"]
