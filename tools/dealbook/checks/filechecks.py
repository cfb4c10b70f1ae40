"""Checks that need one record file and the settings only: schema, dates, stages, privacy."""

from __future__ import annotations

import os
from collections.abc import Iterator
from typing import Any

from ..records.dates import parse_date, parse_moment, parse_time
from ..records.diagnostics import ERROR, WARNING, Diagnostic
from ..records.load import Loaded, parse_bytes
from ..records.model import CUSTOMER, FOLLOWUP, SETTINGS, TEAM, dotted_get, has_value, kind_of
from ..records.schema import settings_enums, validator
from ..records.settings import DEFAULT_TIMEZONE, SETTINGS_FILE, Settings, zone_problem
from ..text.catalog import N_, Translator, translator
from ..text.output import TERMINAL_CONTROL
from . import privacy
from .dealchecks import contract_findings, quote_findings
from .losschecks import churn_problem, loss_findings

Finding = tuple[tuple, str, str, str]  # (where, severity, code, message)

_DATE_KEYS = {"created", "on", "due", "close_by", "signed", "delivered", "paused_until", "start", "date"}
_NOT_A_MAPPING = {CUSTOMER: N_("a customer record is a mapping of `key: value` lines"),
                  FOLLOWUP: N_("a followup record is a mapping of `key: value` lines"),
                  TEAM: N_("a team record is a mapping of `key: value` lines"),
                  SETTINGS: N_("a settings record is a mapping of `key: value` lines")}
_PLAIN_KEYS: set[str] = set()  # keys found to be plain ASCII words (not texts to scan for personal data)


def read_record(path: str, raw: bytes, settings: Settings) -> tuple[Any, list[Diagnostic]]:
    """Parse, validate and check one record file: its data (None when unreadable) and diagnostics."""
    loaded = parse_bytes(raw, path)
    return loaded.data if loaded.error is None else None, check_loaded(loaded, settings)


def check_loaded(loaded: Loaded, settings: Settings) -> list[Diagnostic]:
    """Every file-local diagnostic of a loaded record, located by line and column."""
    path = loaded.path
    _ = translator(settings.language)
    if loaded.error is not None:
        e = loaded.error
        return [Diagnostic(path, e.line, e.column, ERROR, e.code, e.text(_))]
    kind = kind_of(path)
    if kind is None:
        return [Diagnostic(path, 1, 1, WARNING, "unexpected-file",
                           _("not a record file: customers go in records/customers/<id>.yaml, follow-ups in "
                             "records/followups/<customer-id>/<YYYY-MM-DD>-<HHMM>.yaml"))]
    findings: list[Finding] = []
    if not isinstance(loaded.data, dict):
        findings.append(((), ERROR, "not-a-mapping", _(_NOT_A_MAPPING[kind])))
    else:
        try:
            found_schema = False
            for where, code, message in validator(kind, settings_enums(kind, settings)).errors(
                    loaded.data, settings.language):
                found_schema = True
                findings.append((where, ERROR, code, message))
            rules = _RULES.get(kind)
            if rules is not None:
                findings.extend(rules(path, loaded.data, settings, found_schema))
        except Exception as exc:  # a rule's bug must not hide the other files' results
            error = f"{type(exc).__name__}: {exc}"
            if path != SETTINGS_FILE and settings_errors(settings):  # not a bug: the settings' errors
                findings.append(((), ERROR, "internal",
                                 _("this file could not be checked (%(error)s): %(settings)s has errors of its own; "
                                   "fix them first", error=error, settings=SETTINGS_FILE)))
            else:
                findings.append(((), ERROR, "internal",
                                 _("dealbook could not check this file (%(error)s); please report it",
                                   error=error)))
    return [Diagnostic(path, *loaded.mark(where), severity, code, message)
            for where, severity, code, message in findings]


def settings_errors(settings: Settings) -> list[Diagnostic]:
    """The errors of the team's dealbook.yaml itself, as `dealbook check` gives them (worked out once
    per Settings; none without the file): what the read commands warn of, the edits are refused for,
    and a record's check blames when the settings break it."""
    known = getattr(settings, "_errors", None)
    if known is None:
        source = settings.source
        try:
            known = [] if source is None else [d for d in check_loaded(source, settings) if d.severity == ERROR]
        except Exception as exc:  # a rule's bug: the settings are still not to be trusted
            _ = translator(settings.language)
            error = f"{type(exc).__name__}: {exc}"
            known = [Diagnostic(SETTINGS_FILE, 1, 1, ERROR, "internal",
                                _("dealbook could not check the settings (%(error)s)", error=error))]
        settings._errors = known  # type: ignore[attr-defined]
    return known


def _collect(data: dict[str, Any], _: Translator) -> tuple[list[Finding], list[tuple[tuple, str]]]:
    """One pass over a record: bad dates under date keys (as `_dates`) and every text with its
    address (as `privacy.texts` gives them: string values, long numbers, keys that are not
    plain ASCII words)."""
    dates: list[Finding] = []
    strings: list[tuple[tuple, str]] = []
    plain = _PLAIN_KEYS

    def walk(value: Any, where: tuple) -> None:
        if isinstance(value, dict):
            for key, item in value.items():
                here = (*where, key)
                if isinstance(key, str) and key not in plain:
                    if key.isascii() and key.isidentifier():
                        if len(plain) < 10_000:
                            plain.add(key)  # keys repeat across records: asked once
                    else:
                        strings.append((here, key))  # `custom:` keys hold text too
                if isinstance(item, str):
                    strings.append((here, item))
                    if key in _DATE_KEYS and len(item) == 10 and item[4] == "-" and item[7] == "-" \
                            and parse_date(item) is None:
                        dates.append((here, ERROR, "bad-date", _("`%(date)s` is not a real calendar date", date=item)))
                elif isinstance(item, (dict, list)):
                    walk(item, here)
                elif isinstance(item, int) and not isinstance(item, bool) and len(str(abs(item))) >= 11:
                    strings.append((here, str(item)))
        else:
            for index, item in enumerate(value):
                if isinstance(item, str):
                    strings.append(((*where, index), item))
                elif isinstance(item, (dict, list)):
                    walk(item, (*where, index))
                elif isinstance(item, int) and not isinstance(item, bool) and len(str(abs(item))) >= 11:
                    strings.append(((*where, index), str(item)))

    try:
        walk(data, ())
    finally:
        walk = None  # type: ignore[assignment]  # a self-referring closure: freed here, workers run without gc
    return dates, strings


def _texts(data: dict[str, Any]) -> tuple[list[str], bool]:
    """Every text `_collect` finds, without addresses, and whether a date key holds a text shaped like
    a date that is not one: the quick pass every record takes (building an address for every value
    costs more than the checks); a record with a possible finding is walked again by `_collect`."""
    texts: list[str] = []
    plain = _PLAIN_KEYS
    bad = False

    def walk(value: Any) -> None:
        nonlocal bad
        if isinstance(value, dict):
            for key, item in value.items():
                if isinstance(key, str) and key not in plain:
                    if key.isascii() and key.isidentifier():
                        if len(plain) < 10_000:
                            plain.add(key)
                    else:
                        texts.append(key)
                if isinstance(item, str):
                    texts.append(item)
                    if key in _DATE_KEYS and len(item) == 10 and item[4] == "-" and item[7] == "-" \
                            and parse_date(item) is None:
                        bad = True
                elif isinstance(item, (dict, list)):
                    walk(item)
                elif isinstance(item, int) and not isinstance(item, bool) and len(str(abs(item))) >= 11:
                    texts.append(str(item))
        else:
            for item in value:
                if isinstance(item, str):
                    texts.append(item)
                elif isinstance(item, (dict, list)):
                    walk(item)
                elif isinstance(item, int) and not isinstance(item, bool) and len(str(abs(item))) >= 11:
                    texts.append(str(item))

    try:
        walk(data)
    finally:
        walk = None  # type: ignore[assignment]  # as in `_collect`
    return texts, bad


def _text_problems(data: dict[str, Any], settings: Settings) -> Iterator[Finding]:
    """Bad dates (as `_dates`) and privacy findings (as `privacy.findings`) of a record's texts: one
    quick pass without addresses, and the addressed one only when it may find something."""
    texts, bad = _texts(data)
    control = TERMINAL_CONTROL.search("".join(texts)) is not None
    if not bad and not control and privacy.all_clear(texts, settings):
        return
    _ = translator(settings.language)
    dates, strings = _collect(data, _)
    yield from dates
    if control:
        for where, text in strings:
            found = TERMINAL_CONTROL.search(text)
            if found:
                character = f"U+{ord(found.group()):04X}"
                yield (where, ERROR, "control-character",
                       _("a control character (%(character)s) in this text: a terminal acts on it (moves the "
                         "cursor, sets the title, …) instead of showing it; delete it",
                         character=character))
    yield from privacy.findings(data, settings, strings)


def _dates(data: dict[str, Any], _: Translator) -> Iterator[Finding]:
    def walk(value: Any, where: tuple) -> Iterator[Finding]:
        if isinstance(value, dict):
            for key, item in value.items():
                if key in _DATE_KEYS and isinstance(item, str) and parse_date(item) is None and len(item) == 10 \
                        and item[4] == "-" and item[7] == "-":
                    yield ((*where, key), ERROR, "bad-date", _("`%(date)s` is not a real calendar date", date=item))
                else:
                    yield from walk(item, (*where, key))
        elif isinstance(value, list):
            for index, item in enumerate(value):
                yield from walk(item, (*where, index))

    try:
        yield from walk(data, ())
    finally:
        walk = None  # type: ignore[assignment]


def _customer(path: str, data: dict[str, Any], settings: Settings, schema_failed: bool) -> Iterator[Finding]:
    _ = translator(settings.language)
    stem = os.path.splitext(os.path.basename(path))[0]
    cid = data.get("id")
    if isinstance(cid, str):
        if cid != stem:
            yield (("id",), ERROR, "id-file-name",
                   _("id `%(id)s` differs from the file name `%(stem)s`: rename the file to %(id)s.yaml or fix the id",
                     id=cid, stem=stem))
        if not settings.id_pattern.match(cid):
            yield (("id",), ERROR, "id-rule",
                   _("id `%(id)s` does not follow the id rule: province character + industry letters + year + "
                     "%(digits)s-digit sequence, e.g. 粤IT2024001", id=cid,
                     digits=settings.raw['ids'].get('sequence_digits', 3)))
    yield from _text_problems(data, settings)
    contacts = data.get("contacts")
    if isinstance(contacts, list):
        for index, contact in enumerate(contacts):
            if isinstance(contact, dict) and contact.get("phone") and not contact.get("phone_kind"):
                yield (("contacts", index, "phone"), ERROR, "phone-kind",
                       _("say what kind of phone this is: add `phone_kind: work`, `office` or `im`"))
    summary = data.get("need", {}).get("summary") if isinstance(data.get("need"), dict) else None
    limit = int(settings.raw.get("need_summary_max", 200))
    if isinstance(summary, str) and len(summary) > limit:
        yield (("need", "summary"), WARNING, "need-too-long",
               _("the need summary has %(length)s characters; keep it within %(limit)s", length=len(summary),
                 limit=limit))
    yield from _stages(data, settings)
    yield from loss_findings(path, data, settings)
    yield from quote_findings(data, settings)
    yield from contract_findings(data, settings)
    yield from _intake(data, settings)


_TIMED_KEYS = (("created",), ("lead", "assigned"), ("review", "on"))

_FIELD_WORDS = {"name": N_("the company name"), "contacts": N_("a contact"),
                "contacts.phone": N_("a work phone or company IM"), "source.channel": N_("the source")}


def _at(data: Any, where: tuple) -> Any:
    for part in where:
        if isinstance(data, dict):
            data = data.get(part)
        elif isinstance(data, list) and isinstance(part, int) and part < len(data):
            data = data[part]
        else:
            return None
    return data


def _intake(data: dict[str, Any], settings: Settings) -> Iterator[Finding]:
    """Times that are not real, a lead missing required fields, no budget in an open stage."""
    _ = translator(settings.language)
    places = [*_TIMED_KEYS]
    plan = dotted_get(data, "lead.plan")
    places += [("lead", "plan", i, "due") for i in range(len(plan))] if isinstance(plan, list) else []
    for where in places:
        value = _at(data, where)
        if isinstance(value, str) and len(value) == 16 and parse_moment(value) is None:
            yield (where, ERROR, "bad-time", _("`%(time)s` is not a real date and time", time=value))
    stage = data.get("stage")
    first = settings.progression[0].key if settings.progression else None
    if stage == first:
        wanted = (settings.raw.get("intake") or {}).get("required_fields") or ()
        missing = [str(f) for f in wanted if not has_value(data, str(f))]
        if missing:
            words = _.pgettext("enumeration", ", ").join(
                _("`%(field)s` (%(what)s)", field=f, what=_(_FIELD_WORDS[f])) if f in _FIELD_WORDS else f"`{f}`"
                for f in missing)
            yield ((), WARNING, "lead-incomplete",
                   _("a new lead needs %(fields)s: add it, or the reviewing manager sends the lead back "
                     "(intake.required_fields)", fields=words))
    if isinstance(stage, str) and settings.is_open(stage) and dotted_get(data, "need.budget.status") == "none":
        yield (("need", "budget", "status"), WARNING, "budget-none-open",
               _("the customer has no budget (none) but the deal is still open (`%(stage)s`): move it to lost with "
                 "`lost.reason: budget` (`dealbook move ID lost`), or update the budget when it changes", stage=stage))


def _stages(data: dict[str, Any], settings: Settings) -> Iterator[Finding]:
    _ = translator(settings.language)
    known = " | ".join(settings.stage_keys)
    stage = data.get("stage")
    if isinstance(stage, str) and stage not in settings.stage_by_key:
        yield (("stage",), ERROR, "unknown-stage",
               _("unknown stage `%(stage)s`; the stages are: %(stages)s", stage=stage, stages=known))
    history = data.get("stage_history")
    if not isinstance(history, list) or not history:
        return
    previous_stage: str | None = None
    previous_on = None
    for index, entry in enumerate(history):
        if not isinstance(entry, dict):
            continue
        key, on = entry.get("stage"), parse_date(entry.get("on"))
        if isinstance(key, str) and key not in settings.stage_by_key:
            yield (("stage_history", index, "stage"), ERROR, "unknown-stage",
                   _("unknown stage `%(stage)s`; the stages are: %(stages)s", stage=key, stages=known))
            previous_stage, previous_on = None, on or previous_on
            continue
        if on is not None and previous_on is not None and on < previous_on:
            yield (("stage_history", index, "on"), ERROR, "history-order",
                   _("stage history goes back in time (%(on)s is before %(previous)s): entries are in date order",
                     on=on, previous=previous_on))
        if previous_stage is not None and isinstance(key, str):
            problem = move_problem(previous_stage, key, settings)
            if problem:
                yield (("stage_history", index, "stage"), ERROR, "stage-move", problem)
        previous_stage = key if isinstance(key, str) else None
        previous_on = on or previous_on
    yield from _churn(data, history, settings)
    last = history[-1]
    if isinstance(last, dict) and isinstance(stage, str) and last.get("stage") != stage:
        yield (("stage",), ERROR, "stage-history",
               _("stage is `%(stage)s` but the last stage_history entry is `%(last)s`: append "
                 "`- {stage: %(stage)s, on: YYYY-MM-DD}` to stage_history (or use `dealbook move`)",
                 stage=stage, last=last.get('stage')))
    if isinstance(stage, str) and stage in settings.stage_by_key:
        for field in settings.stage_by_key[stage].requires:
            if _missing(data, field):
                yield ((field.split(".")[0],) if "." not in field else tuple(field.split(".")[:-1]),
                       ERROR, "stage-requires",
                       _("stage `%(stage)s` requires `%(field)s`: add it (a contract: no, amount, signed)",
                         stage=stage, field=field) if field == "contracts" else
                       _("stage `%(stage)s` requires `%(field)s`: add it", stage=stage, field=field))


def _churn(data: dict[str, Any], history: list[Any], settings: Settings) -> Iterator[Finding]:
    """A won customer who is lost has churned (stopped working with us): its reason is `churn`,
    and a deal still open is lost for any reason but churn (`losschecks.churn_problem`)."""
    stage = data.get("stage")
    lost = data.get("lost") if isinstance(data.get("lost"), dict) else {}
    reason = lost.get("reason")
    if not (isinstance(stage, str) and stage == settings.lost_stage and isinstance(reason, str)):
        return
    entries = [e for e in history if isinstance(e, dict) and isinstance(e.get("stage"), str)]
    before = entries[-2].get("stage") if len(entries) >= 2 else None
    problem = churn_problem(before, reason, settings)
    if problem:
        yield (("lost", "reason"), ERROR, "churn-reason", problem)


def move_problem(before: str, after: str, settings: Settings) -> str | None:
    """Why the settings forbid moving a deal from `before` to `after`, or None when allowed (in the
    team's language)."""
    _ = translator(settings.language)
    if before == after:
        return _("`%(stage)s` repeats the previous entry: record a stage once", stage=after)
    first, second = settings.stage_by_key.get(before), settings.stage_by_key.get(after)
    if first is None or second is None:
        return None
    transitions = settings.raw.get("transitions") or {}
    if first.kind == "lost":
        if settings.progression and after == settings.progression[0].key:
            return None  # a lost customer may be re-opened as a new lead
        return _("a lost customer can only be re-opened as `%(stage)s`", stage=settings.progression[0].key)
    if second.kind == "lost":
        return None  # an open deal is lost; a won customer churns (lost.reason must then be churn)
    if second.index < first.index and not transitions.get("allow_backward", False):
        return _("moving back from `%(before)s` to `%(after)s` is not allowed (transitions.allow_backward is false)",
                 before=before, after=after)
    if second.index > first.index + 1 and not transitions.get("allow_skip", True):
        skipped = [s.key for s in settings.progression if first.index < s.index < second.index]
        return _("moving from `%(before)s` to `%(after)s` skips %(skipped)s (transitions.allow_skip is false)",
                 before=before, after=after, skipped=_.pgettext("enumeration", ", ").join(skipped))
    return None


def _missing(data: dict[str, Any], dotted: str) -> bool:
    value: Any = data
    for part in dotted.split("."):
        if not isinstance(value, dict) or value.get(part) in (None, "", [], {}):
            return True
        value = value[part]
    return False


def _followup(path: str, data: dict[str, Any], settings: Settings, schema_failed: bool) -> Iterator[Finding]:
    _ = translator(settings.language)
    folder = path.split("/")[-2]
    customer = data.get("customer")
    if isinstance(customer, str) and customer != folder:
        yield (("customer",), ERROR, "followup-folder",
               _("this follow-up is for `%(customer)s` but sits in the folder of `%(folder)s`: "
                 "move it to records/followups/%(customer)s/", customer=customer, folder=folder))
    at = data.get("at")
    when = parse_time(at)
    if isinstance(at, str) and when is None and len(at) == 16:
        yield (("at",), ERROR, "bad-time", _("`%(time)s` is not a real date and time", time=at))
    stem = os.path.splitext(os.path.basename(path))[0]
    if when is not None and not stem.startswith(when.strftime("%Y-%m-%d-%H%M")):
        yield (("at",), WARNING, "followup-file-name",
               _("the file name should start with %(start)s (from `at`), so follow-ups sort by time",
                 start=when.strftime('%Y-%m-%d-%H%M')))
    yield from _text_problems(data, settings)


def _team(path: str, data: dict[str, Any], settings: Settings, schema_failed: bool) -> Iterator[Finding]:
    _ = translator(settings.language)
    seen: dict[str, int] = {}
    members = data.get("members")
    for index, member in enumerate(members if isinstance(members, list) else []):
        handle = member.get("handle") if isinstance(member, dict) else None
        if isinstance(handle, str):
            if handle in seen:
                yield (("members", index, "handle"), ERROR, "duplicate-handle",
                       _("handle `%(handle)s` is already used by member %(number)s: handles are unique",
                         handle=handle, number=seen[handle] + 1))
            seen[handle] = index
    yield from privacy.findings(data, settings)


def _settings(path: str, data: dict[str, Any], settings: Settings, schema_failed: bool) -> Iterator[Finding]:
    _ = translator(settings.language)
    stages = data.get("stages")
    if isinstance(stages, list):
        keys = [s.get("key") for s in stages if isinstance(s, dict)]
        for index, key in enumerate(keys):
            if key in keys[:index]:
                yield (("stages", index, "key"), ERROR, "duplicate-stage",
                       _("stage `%(stage)s` is listed twice", stage=key))
        if not any(isinstance(s, dict) and s.get("kind", "open") == "open" for s in stages):
            yield (("stages",), ERROR, "no-open-stage", _("at least one stage must be `kind: open`"))
    zone = data.get("timezone")
    problem = None if zone is None else zone_problem(zone, settings.language)
    if problem:
        yield (("timezone",), ERROR, "bad-timezone",
               _("timezone %(problem)s: write an IANA name such as Asia/Shanghai; %(default)s is used until then",
                 problem=problem, default=DEFAULT_TIMEZONE))
    for key, problem in privacy.settings_problems(settings):
        where = ("privacy", *(int(p) if p.isdigit() else p for p in key.split(".")))
        yield (where, ERROR, "bad-pattern",
               _("privacy.%(key)s is not a valid regular expression (%(error)s): fix it, or the rule is not applied",
                 key=key, error=problem))


_RULES = {CUSTOMER: _customer, FOLLOWUP: _followup, TEAM: _team, SETTINGS: _settings}
