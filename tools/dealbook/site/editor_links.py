"""Logging from the site: links that open the git host's web editor with a new follow-up file
already filled in (记录跟进), or the customer file to move its stage (推进阶段), and the
equivalent `dealbook` command lines to copy.

The web editors' forms, by host kind (`repo_kind` beside `repo_url`; branch = the plugin's
`branch`):

- GitHub (and GitHub Enterprise): `<repo>/new/<branch>?filename=<path>&value=<text>`, edit
  `<repo>/edit/<branch>/<path>`;
- GitLab: `<repo>/-/new/<branch>?file_name=<path>&content=<text>`, edit `<repo>/-/edit/<branch>/<path>`
  (GitLab documents no prefill; these are the fields its new-file page reads: `file_name` and
  `content` in app/views/projects/blob/_editor.html.haml, `branch_name` and `commit_message` in
  Projects::BlobController#editor_variables; gitlab-org/gitlab#594214 reports that the current
  editor leaves `content` out, so the page's copy box is what such a host needs);
- Gitea and Forgejo: `<repo>/_new/<branch>/?filename=<path>&value=<text>`, edit `<repo>/_edit/<branch>/<path>`.

The branch and the path go in the address as they are written, `/` kept, each segment between
the slashes percent-encoded as UTF-8 (`team/main`, `records/customers/%E7%B2%A4…`): the hosts
resolve `<branch>/<path>` by matching the branch's literal slashes, and none of them reads `%2F`
in the branch as one.

Each editor offers, when the change is saved, to commit it to a new branch and open a pull
(merge) request, which then gets the check and the review summary like any other.

Whether a host version honours these prefill fields cannot be known from here, and a long draft
makes a link some servers refuse: so the page also shows the draft itself, its path and text to
copy, and a link longer than MAX_URL leaves the text out (the file name stays).

"Now" is the reader's clock, not the build's: the links and the draft carry the build time (what a
browser without JavaScript shows), and the page's script replaces it with the current time in the
team's timezone. When the day is pinned (`as_of` in dealbook.yaml, DEALBOOK_TODAY, the plugin's
`today`), the site is a snapshot of that day and the draft is dated on it, at the build's or the
reader's time of day: the rule `dealbook log` follows (edits.logging_time); the page gets the day as
`data-day` and its script keeps it. The tokens it replaces are AT_TOKEN (the `at` value), STAMP_TOKEN (the file
name's time, with `-2`, `-3` … when the customer's folder already has that name, as `dealbook log`
names it) and DUE_TOKEN (the hinted next step's due date, three days on).
"""

from __future__ import annotations

import datetime as dt
import os
import re
import shlex
from dataclasses import dataclass
from typing import Any
from urllib.parse import quote, urlencode

from ..editing.edits import logging_time, now_local
from ..editing.roundtrip import render_new
from ..records.model import Customer, followup_folder, followup_path, id_problem
from ..records.siteconfig import SiteConfig
from ..text.catalog import translator
from ..text.enums import enum_label

AT_TOKEN = "DEALBOOK_AT"
STAMP_TOKEN = "DEALBOOK_STAMP"
DUE_TOKEN = "DEALBOOK_DUE"
# The longest link offered: request lines over 8 KB are refused by common servers and proxies
# (nginx's and Apache's defaults); the script's times add a few characters at most.
MAX_URL = 6000
_BY = "__dealbook_by__"


def new_file_url(config: SiteConfig, path: str, text: str | None, branch_hint: str = "", message: str = ""
                 ) -> str | None:
    """The host's "new file" page for `path` in the records branch, prefilled with `text` (left
    out when None: the file name only)."""
    if not config.repo_url or config.repo_kind is None:
        return None
    branch = path_segments(config.branch)
    if config.repo_kind == "github":
        query = {"filename": path, "value": text, "message": message or None}
        return f"{config.repo_url}new/{branch}?{_query(query)}"
    if config.repo_kind == "gitlab":
        query = {"file_name": path, "content": text, "branch_name": branch_hint or None,
                 "commit_message": message or None}
        return f"{config.repo_url}-/new/{branch}?{_query(query)}"
    # gitea, forgejo
    return f"{config.repo_url}_new/{branch}/?{_query({'filename': path, 'value': text})}"


def path_segments(value: str) -> str:
    """A branch or file path for a URL's path: each segment percent-encoded as UTF-8, `/` kept."""
    return "/".join(quote(segment, safe="") for segment in value.split("/"))


def _query(fields: dict[str, str | None]) -> str:
    return urlencode({k: v for k, v in fields.items() if v is not None}, quote_via=quote)


def edit_file_url(config: SiteConfig, path: str) -> str | None:
    """The host's editor for an existing file in the records branch."""
    if not config.repo_url or config.repo_kind is None:
        return None
    prefix = {"github": "edit", "gitlab": "-/edit"}.get(config.repo_kind, "_edit")
    return f"{config.repo_url}{prefix}/{path_segments(config.branch)}/{path_segments(path)}"


_PLAIN_WORD = re.compile(r"[\w@%+=:,./-]+")


def shell_words(words: list[str]) -> str:
    """A command line for a POSIX shell; Chinese words stay unquoted, as a person would type them."""
    return " ".join(w if _PLAIN_WORD.fullmatch(w) else shlex.quote(w) for w in words)


def _line(text: str) -> str:
    """Text for a comment line: whitespace runs, line breaks included, made one space."""
    return " ".join(str(text).split())


def _contact(customer: Customer) -> str | None:
    deciders = [c.name for c in customer.contacts if c.role == "decision_maker" and c.name]
    return (deciders or [c.name for c in customer.contacts if c.name] or [None])[0]


def followup_draft(customer: Customer, members: dict[str, str], when: dt.datetime, language: str = "zh"
                   ) -> tuple[str, str]:
    """(path, text) of a new follow-up for `customer` at `when`: every field the check needs
    filled except `by`, and the optional ones as commented hints."""
    _ = translator(language)
    name = _line(customer.name)
    contact = _contact(customer)
    data: dict[str, Any] = {"customer": customer.id, "at": when.strftime("%Y-%m-%d %H:%M"), "method": "phone",
                            "by": _BY}
    if contact:
        data["contact"] = contact
    data["summary"] = _("Phone call")
    text = render_new("followup", data)
    handles = _.pgettext("enumeration", ", ").join(
        _("%(handle)s (%(name)s)", handle=h, name=_line(n)) if n and n != h else h for h, n in members.items())
    by_hint = "  # ← " + _("your handle: %(handles)s", handles=handles)
    text = text.replace(f"by: {_BY}\n", f"by:{by_hint}\n")
    others = [_line(c.name) for c in customer.contacts if c.name and c.name != contact]
    lines = text.splitlines()
    header = ["# " + _("New follow-up with %(name)s: fill in `by`, write what was said in `summary`; method may be "
                       "visit, email, meeting, im or other.", name=name),
              "# " + _("When saving, commit to a new branch and open a pull request: merged once checked and "
                       "reviewed.")]
    labels = {key: enum_label(_, "outcome", key) for key in ("held", "no_answer", "missed", "rescheduled")}
    outcomes = " | ".join(key if label.lower().replace(" ", "_") == key else f"{key} {label}"
                          for key, label in labels.items())  # the label only where it says more than the key
    hints = ["", "# " + _("Optional:"), "# feedback: " + _("what the customer said, changed needs"),
             "# outcome: held        # " + outcomes, "# objections: [price]  # " + _("objection tags")]
    if others:
        hints.append("# " + _("Other contacts: %(names)s", names=_.pgettext("enumeration", ", ").join(others)))
    due = (when.date() + dt.timedelta(days=3)).isoformat()
    hints += ["# next:", "#   - action: " + _("Send the proposal"), f"#     due: {due}"]
    text = "\n".join([lines[0], *header, *lines[1:], *hints]) + "\n"
    return f"{followup_folder(customer.id)}/{when:%Y-%m-%d-%H%M}.yaml", text


def next_stage(customer: Customer, settings: Any) -> str | None:
    """The stage after the customer's in the progression (None at the end, or when lost)."""
    keys = [s.key for s in settings.progression]
    if customer.stage not in keys:
        return None
    position = keys.index(customer.stage)
    return keys[position + 1] if position + 1 < len(keys) else None


@dataclass(frozen=True)
class Draft:
    """The new follow-up a customer page offers: to open in the host's editor, or to copy."""

    path: str  # at the build's time, with -2, -3 … when the name is taken
    text: str
    live_path: str  # the same with STAMP_TOKEN, AT_TOKEN, DUE_TOKEN for the page script
    live_text: str
    taken: tuple[str, ...]  # the file names already in the customer's follow-up folder
    built_at: str  # the build's time in the draft, `YYYY-MM-DD HH:MM`


@dataclass(frozen=True)
class LogActions:
    """What a customer page offers for recording: web-editor links and command lines."""

    new_followup: str | None  # the new-file page, at the build's time (None: no host configured)
    live_followup: str | None  # the same with AT_TOKEN / STAMP_TOKEN / DUE_TOKEN for the page script
    prefilled: bool  # whether the links carry the draft's text (False: too long, the file name only)
    draft: Draft | None  # None: the id cannot name a file
    advance: str | None  # the customer file in the host's editor (None: no host, or no next stage)
    next_stage: str | None
    next_label: str
    log_command: str
    move_command: str | None
    timezone: str
    day: str | None = None  # the pinned day, `YYYY-MM-DD`, the page script's date (None: the reader's)


def _taken(repo: str | None, customer_id: str) -> tuple[str, ...]:
    folder = os.path.join(repo, followup_folder(customer_id)) if repo else None
    return tuple(sorted(os.listdir(folder))) if folder and os.path.isdir(folder) else ()


def followup_offer(customer: Customer, members: dict[str, str], now: dt.datetime, language: str,
                   repo: str | None) -> Draft | None:
    """The draft at `now`, named as `dealbook log` would in `repo`, with its tokenised twin."""
    if id_problem(customer.id) is not None:  # an id that is no file name (`../x`) gets no draft
        return None
    path, text = followup_draft(customer, members, now, language)
    if repo:
        path = followup_path(repo, customer.id, now)
    at = now.strftime("%Y-%m-%d %H:%M")
    due = (now.date() + dt.timedelta(days=3)).isoformat()
    live_text = text.replace(f"\nat: {at}\n", f"\nat: {AT_TOKEN}\n").replace(f"#     due: {due}\n",
                                                                          f"#     due: {DUE_TOKEN}\n")
    return Draft(path=path, text=text, live_path=f"{followup_folder(customer.id)}/{STAMP_TOKEN}.yaml",
                 live_text=live_text, taken=_taken(repo, customer.id), built_at=at)


def log_actions(customer: Customer, settings: Any, members: dict[str, str], config: SiteConfig,
                now: dt.datetime, repo: str | None = None, pinned: dt.date | None = None) -> LogActions:
    """The log-from-the-site links and commands for one customer, `now` in the team's timezone;
    `repo` the working tree whose follow-up names the draft's must not take; `pinned` the day the
    site shows when it is pinned (the draft is dated on it, at now's time of day)."""
    _ = translator(settings.language)
    now = logging_time(now, pinned)
    draft = followup_offer(customer, members, now, settings.language, repo)
    url = live = None
    prefilled = False
    if draft is not None:
        message = _("Follow-up %(name)s", name=_line(customer.name))
        stem = draft.path.rsplit("/", 1)[1].removesuffix(".yaml")
        branch = f"followup/{stem}"
        url = new_file_url(config, draft.path, draft.text, branch, message)
        prefilled = url is not None and len(url) <= MAX_URL
        text, live_text = (draft.text, draft.live_text) if prefilled else (None, None)
        url = new_file_url(config, draft.path, text, branch, message)
        live = new_file_url(config, draft.live_path, live_text, f"followup/{STAMP_TOKEN}", message)
    target = next_stage(customer, settings)
    contact = _contact(customer)
    command = ["dealbook", "log", customer.id, "-m", "phone"]
    if contact:
        command += ["-c", contact]
    command += ["-s", _("what was said")]
    return LogActions(
        new_followup=url,
        live_followup=live,
        prefilled=prefilled,
        draft=draft,
        advance=edit_file_url(config, customer.path) if target else None,
        next_stage=target,
        next_label=settings.stage_label(target) if target else "",
        log_command=shell_words(command),
        move_command=shell_words(["dealbook", "move", customer.id, target]) if target else None,
        timezone=settings.timezone,
        day=pinned.isoformat() if pinned is not None else None,
    )


def log_actions_for(data: Any, config: SiteConfig, pinned: dt.date | None = None) -> Any:
    """The templates' `log_actions_for(customer)`, at this build's time in the team's timezone, on
    the `pinned` day when the site's today is pinned."""
    settings = data.book.settings
    members = {handle: member.name for handle, member in data.book.members.items()}
    now = now_local(settings.timezone)
    return lambda customer: log_actions(customer, settings, members, config, now, data.book.root, pinned)
