"""Turn spreadsheet rows into customer and follow-up records: a plan of new, updated, unchanged, rejected."""

from __future__ import annotations

import collections
import copy
import datetime as dt
import functools
import multiprocessing
import os
import re
import unicodedata
from collections.abc import Callable, Iterable, Iterator
from dataclasses import dataclass, field
from typing import Any

from .book import Book
from .diagnostics import ERROR, Diagnostic
from .filechecks import move_problem, read_record
from .records import CUSTOMERS_DIR, FOLLOWUPS_DIR, TEAM_FILE, customer_path
from .settings import Settings
from .sheets import CUSTOMERS, BadValue, Row, Sheet, to_date, to_datetime, to_money, to_money_range, to_phone, to_text

NEW, UPDATED, UNCHANGED, REJECTED = "new", "updated", "unchanged", "rejected"


@dataclass
class Planned:
    """What one row will do: its status, the record path, the data before and after, or why not."""

    row: int
    status: str
    path: str = ""
    label: str = ""
    before: dict[str, Any] | None = None
    after: dict[str, Any] | None = None
    reasons: list[str] = field(default_factory=list)


@dataclass
class Plan:
    """The outcome of reading a sheet: one entry per data row, in sheet order."""

    kind: str
    entries: list[Planned] = field(default_factory=list)
    notes: list[str] = field(default_factory=list)

    def count(self, status: str) -> int:
        return sum(1 for e in self.entries if e.status == status)

    @property
    def writes(self) -> list[Planned]:
        return [e for e in self.entries if e.status in (NEW, UPDATED)]

    @property
    def rejected(self) -> list[Planned]:
        return [e for e in self.entries if e.status == REJECTED]


@dataclass(frozen=True)
class Options:
    """Choices the user makes on the command line."""

    today: dt.date
    phone_kind: str | None = None  # "work": mobiles in the sheet are company-issued
    province: str | None = None  # for rows whose region names no province
    default_time: str = "00:00"  # a follow-up date without a time is recorded at this time


# --- value vocabularies ----------------------------------------------------------------------
def _norm(text: Any) -> str:
    return re.sub(r"[\s_\-]+", "", unicodedata.normalize("NFKC", str(text)).strip().lower())


_STAGE_WORDS = {
    "线索": "lead", "潜在": "lead", "意向": "discovery", "需求": "discovery", "方案": "proposal",
    "谈判": "negotiation", "商务": "negotiation", "成交": "won", "签约": "won", "售后": "after_sales",
    "维护": "after_sales", "流失": "lost", "lead": "lead", "prospect": "lead", "intent": "discovery",
    "qualified": "discovery", "proposal": "proposal", "negotiation": "negotiation", "won": "won",
    "closed won": "won", "lost": "lost", "closed lost": "lost", "after sales": "after_sales",
}
_CHANNEL_WORDS = (("展会", "trade_show"), ("会展", "trade_show"), ("博览", "trade_show"), ("转介绍", "referral"),
                  ("介绍", "referral"), ("推荐", "referral"), ("陌拜", "visit"), ("拜访", "visit"), ("官网", "website"),
                  ("网站", "website"), ("表单", "website"), ("线上", "online"), ("网络", "online"), ("推广", "online"),
                  ("广告", "online"), ("合作伙伴", "partner"), ("代理", "partner"), ("渠道商", "partner"))
_BUDGET_WORDS = {"明确": "clear", "已明确": "clear", "部分明确": "partial", "部分": "partial", "待定": "undetermined",
                 "不明确": "undetermined", "未知": "undetermined", "无预算": "none", "无": "none"}
_ROLE_WORDS = {"发起者": "initiator", "发起人": "initiator", "影响者": "influencer", "决策者": "decision_maker",
               "决策人": "decision_maker", "使用者": "user", "用户": "user"}
_METHOD_WORDS = (("电话", "phone"), ("phone", "phone"), ("call", "phone"), ("拜访", "visit"), ("上门", "visit"),
                 ("面谈", "visit"), ("visit", "visit"), ("邮件", "email"), ("email", "email"), ("mail", "email"),
                 ("会议", "meeting"), ("meeting", "meeting"), ("视频", "meeting"), ("微信", "im"), ("钉钉", "im"),
                 ("飞书", "im"), ("im", "im"), ("qq", "im"))
_OUTCOME_WORDS = {"已沟通": "held", "未接通": "no_answer", "未接": "no_answer", "爽约": "missed", "失约": "missed",
                  "改期": "rescheduled"}
_INDUSTRY_WORDS = (("软件", "I"), ("信息", "I"), ("互联网", "I"), ("通信", "I"), ("it", "I"), ("数据", "I"),
                   ("金融", "J"), ("银行", "J"), ("保险", "J"), ("证券", "J"), ("房地产", "K"), ("建筑", "E"),
                   ("工程", "E"), ("批发", "F"), ("零售", "F"), ("贸易", "F"), ("电商", "F"), ("物流", "G"),
                   ("运输", "G"), ("仓储", "G"), ("酒店", "H"), ("餐饮", "H"), ("教育", "P"), ("培训", "P"),
                   ("学校", "P"), ("医疗", "Q"), ("医院", "Q"), ("卫生", "Q"), ("能源", "D"), ("电力", "D"),
                   ("燃气", "D"), ("农", "A"), ("矿", "B"), ("租赁", "L"), ("咨询", "L"), ("商务服务", "L"),
                   ("科研", "M"), ("研发", "M"), ("技术服务", "M"), ("文化", "R"), ("传媒", "R"), ("体育", "R"),
                   ("制造", "C"), ("生产", "C"), ("电子", "C"), ("机械", "C"), ("汽车", "C"), ("化工", "C"),
                   ("材料", "C"), ("设备", "C"), ("食品", "C"), ("纺织", "C"))
_INDUSTRY_CODE = re.compile(r"^[A-T](\d{2,4})?( .+)?$")
_LANDLINE = re.compile(r"^(?:\(?0\d{2,3}\)?[- ]?)?\d{7,8}(?:[-转]\d{1,5})?$|^[48]00[- ]?\d{3}[- ]?\d{4}$")
_EMAIL = re.compile(r"[^@\s;,，；]+@[^@\s;,，；]+\.[A-Za-z]{2,}")
_DECIDERS = ("总经理", "董事长", "总裁", "老板", "ceo", "gm", "cto", "cfo", "总监", "vp", "副总")


class Vocabulary:
    """Cell words → record values, built from the settings (labels in zh and en) and common synonyms."""

    def __init__(self, settings: Settings) -> None:
        self.settings = settings
        self.stages: dict[str, str] = {}
        for stage in settings.stages:
            self.stages[_norm(stage.key)] = stage.key
            for label in stage.label.values():
                self.stages.setdefault(_norm(label), stage.key)
        self.channels = self._labels("source_channels")
        self.lead_types = self._labels("lead_types")
        self.lost_reasons = self._labels("lost_reasons")
        self.objections = self._labels("objection_tags")

    def _labels(self, group: str) -> dict[str, str]:
        table: dict[str, str] = {}
        for key, labels in (self.settings.raw.get(group) or {}).items():
            table[_norm(key)] = key
            for label in (labels or {}).values():
                table.setdefault(_norm(label), key)
        return table

    def stage(self, text: str) -> str:
        word = _norm(text)
        if word in self.stages:
            return self.stages[word]
        for alias, key in _STAGE_WORDS.items():
            if _norm(alias) == word or (len(alias) > 1 and alias in word):
                if key in self.settings.stage_by_key:
                    return key
                # a preset without this key: the stage whose label holds the word
                for stage in self.settings.stages:
                    if any(alias in label for label in stage.label.values()):
                        return stage.key
        raise BadValue(f"status `{text}` is not a stage; the stages are: "
                       + ", ".join(f"{s.key} ({self.settings.stage_label(s.key)})" for s in self.settings.stages))

    def channel(self, text: str) -> tuple[str, str | None]:
        """(channel, detail): a cell that is more than a channel's name keeps its words as the detail."""
        word = _norm(text)
        if word in self.channels:
            return self.channels[word], None
        for alias, key in _CHANNEL_WORDS:
            if alias in word and key in self.settings.keys_of("source_channels"):
                return key, text
        return "other", text

    def pick(self, table: dict[str, str], text: str, what: str) -> str:
        word = _norm(text)
        if word in table:
            return table[word]
        for label, key in table.items():
            if len(label) > 1 and label in word:
                return key
        raise BadValue(f"`{text}` is not a known {what}; use one of: {', '.join(sorted(set(table.values())))}")


# --- cells -> fields -------------------------------------------------------------------------------
def split_contact(text: str) -> tuple[str, str]:
    """`李明(生产经理)`, `李明 生产经理`, `李明/生产经理`, `王总监` → (name, title)."""
    text = unicodedata.normalize("NFKC", text).strip()
    m = re.match(r"^(.+?)\s*\((.+)\)\s*$", text)
    if m:
        return m.group(1).strip(), m.group(2).strip()
    parts = [p for p in re.split(r"[\s/,、|-]+", text, maxsplit=1) if p]
    if len(parts) == 2:
        return parts[0], parts[1]
    return text, ""


def guess_role(title: str) -> str:
    lowered = title.lower()
    if any(word in lowered for word in _DECIDERS):
        return "decision_maker"
    if any(word in lowered for word in ("工程师", "专员", "操作", "用户", "engineer", "user")):
        return "user"
    return "influencer"


def split_size(text: str) -> dict[str, Any]:
    """`500-1000人 / 5-10亿` → {employees: 500-1000人, revenue: 5-10亿}."""
    parts = [p.strip() for p in re.split(r"\s*[/／;；]\s*", text) if p.strip()]
    size: dict[str, Any] = {}
    for part in parts:
        if re.search(r"(人|employees|staff)$", part.lower()) and "employees" not in size:
            size["employees"] = part
        elif re.search(r"(亿|万|元|revenue|m|k)$", part.lower()) and "revenue" not in size:
            size["revenue"] = part
        elif "employees" not in size:
            size["employees"] = int(part) if part.isdigit() else part
    return size


def industry_of(text: str) -> str:
    text = unicodedata.normalize("NFKC", text).strip()
    if _INDUSTRY_CODE.match(text):
        return text
    compact = re.sub(r"\s+", " ", text)
    m = re.match(r"^([A-T]\d{2,4})\s*(.*)$", compact)
    if m:
        return f"{m.group(1)} {m.group(2)}".strip()
    lowered = compact.lower()
    for word, section in _INDUSTRY_WORDS:
        if word in lowered:
            return f"{section} {compact}"
    raise BadValue(f"所属行业 `{text}` is not a GB/T 4754 code; write it like `C3970 电子器件制造` "
                   "(section letter + code, then the name) or map it in a --map file")


def _set(target: dict[str, Any], dotted: str, value: Any) -> None:
    parts = dotted.split(".")
    for part in parts[:-1]:
        target = target.setdefault(part, {})
    target[parts[-1]] = value


def _json(value: Any, what: str) -> Any:
    import json

    try:
        return json.loads(str(value))
    except ValueError:
        raise BadValue(f"the {what} column is not valid JSON (as `dealbook export` writes it)") from None


_TEXT_FIELDS = ("name", "region", "address", "business", "need.summary", "need.goal", "need.timeline.note",
                "decision_chain", "project.name", "project.cycle", "source.detail", "grade.reason", "lost.note",
                "size.revenue")
_DATE_FIELDS = ("need.timeline.start", "deal.close_by", "lost.on", "paused_until")
_MONEY_FIELDS = ("need.budget.min", "need.budget.max", "deal.amount")
_LIST_FIELDS = ("contacts", "stage_history", "needs", "quotes", "contracts")


class CustomerRows:
    """Reads customer rows into partial records: only what the sheet says."""

    def __init__(self, settings: Settings, members: dict[str, Any], options: Options) -> None:
        self.settings = settings
        self.words = Vocabulary(settings)
        self.options = options
        self.members = members

    def owner(self, text: str) -> str:
        return member_handle(self.members, text, "负责人 (owner)")

    def fields(self, row: Row) -> dict[str, Any]:
        """The record fields the row gives (nested, record keys); BadValue when a cell cannot be read."""
        v = row.values
        out: dict[str, Any] = {}
        problems: list[str] = list(row.problems)

        def attempt(name: str, fn: Callable[[], None]) -> None:
            try:
                fn()
            except BadValue as exc:
                problems.append(f"{name}: {exc}")

        for name in _TEXT_FIELDS:
            if name in v:
                _set(out, name, to_text(v[name]))
        if "id" in v:
            out["id"] = to_text(v["id"])
        if "industry" in v:
            attempt("industry", lambda: _set(out, "industry", industry_of(to_text(v["industry"]))))
        if "size" in v:
            size = split_size(to_text(v["size"]))
            for key, item in size.items():
                _set(out, f"size.{key}", item)
        if "size.employees" in v:
            employees = v["size.employees"]
            text = to_text(employees)
            _set(out, "size.employees", int(text) if text.isdigit() else text)
        if "founded" in v:
            def founded() -> None:
                text = to_text(v["founded"])[:4]
                if not text.isdigit():
                    raise BadValue(f"`{v['founded']}` is not a year")
                out["founded"] = int(text)
            attempt("founded", founded)
        if "created" in v:
            attempt("created", lambda: _set(out, "created", to_date(v["created"])))
        for name in _DATE_FIELDS:
            if name in v:
                attempt(name, lambda name=name: _set(out, name, to_date(v[name])))
        for name in _MONEY_FIELDS:
            if name in v:
                attempt(name, lambda name=name: _set(out, name, to_money(v[name])))
        if "need.budget" in v:
            def budget() -> None:
                low, high = to_money_range(v["need.budget"])
                _set(out, "need.budget.min", low)
                _set(out, "need.budget.max", high)
            attempt("budget", budget)
        if "need.budget.status" in v:
            attempt("budget status", lambda: _set(out, "need.budget.status", self.words.pick(
                {**{_norm(k): b for k, b in _BUDGET_WORDS.items()}, **{b: b for b in _BUDGET_WORDS.values()}},
                to_text(v["need.budget.status"]), "budget status")))
        if "need.pains" in v:
            out.setdefault("need", {})["pains"] = [p.strip() for p in re.split(r"[;；\n]", to_text(v["need.pains"]))
                                                   if p.strip()]
        if "source.channel" in v:
            channel, detail = self.words.channel(to_text(v["source.channel"]))
            _set(out, "source.channel", channel)
            if detail and "source.detail" not in v:
                _set(out, "source.detail", detail)
        if "lead_type" in v:
            attempt("lead type", lambda: _set(out, "lead_type", self.words.pick(
                self.words.lead_types, to_text(v["lead_type"]), "lead type")))
        if "owner" in v:
            attempt("owner", lambda: _set(out, "owner", self.owner(to_text(v["owner"]))))
        if "support" in v:
            attempt("support", lambda: _set(out, "support", [self.owner(s) for s in re.split(
                r"[,，、;；\s]+", to_text(v["support"])) if s]))
        if "status" in v:
            attempt("status", lambda: _set(out, "stage", self.words.stage(to_text(v["status"]))))
        if "grade.value" in v:
            grade = to_text(v["grade.value"]).upper()[:1]
            if grade in ("A", "B", "C"):
                _set(out, "grade.value", grade)
            else:
                problems.append(f"grade: `{v['grade.value']}` is not A, B or C")
        if "lost.reason" in v:
            attempt("lost reason", lambda: _set(out, "lost.reason", self.words.pick(
                self.words.lost_reasons, to_text(v["lost.reason"]), "lost reason")))
        if "tags" in v:
            out["tags"] = [t.strip() for t in re.split(r"[,，、;；]", to_text(v["tags"])) if t.strip()]
        attempt("contact", lambda: self._contacts(v, out))
        contract: dict[str, Any] = {}
        if "contract.no" in v:
            contract["no"] = to_text(v["contract.no"])
        if "contract.amount" in v:
            attempt("contract amount", lambda: contract.__setitem__("amount", to_money(v["contract.amount"])))
        for key in ("signed", "delivered"):
            if f"contract.{key}" in v:
                attempt(f"contract {key}", lambda key=key: contract.__setitem__(key, to_date(v[f"contract.{key}"])))
        if contract:
            out["_contract"] = contract
        for name in _LIST_FIELDS:
            if name in v:
                attempt(name, lambda name=name: out.__setitem__(name, _json(v[name], name)))
        if "custom" in v:
            attempt("custom", lambda: out.__setitem__("custom", _json(v["custom"], "custom")))
        if row.extra:
            custom = out.setdefault("custom", {})
            for header, value in row.extra.items():
                custom.setdefault(str(header), to_text(value))
        if problems:
            raise BadValue("; ".join(problems))
        return out

    def _contacts(self, v: dict[str, Any], out: dict[str, Any]) -> None:
        if "contacts" in v or not ({"contact", "phone", "email"} & v.keys()):
            return
        people = [p for p in re.split(r"[;；\n]", to_text(v.get("contact", ""))) if p.strip()]
        contacts = []
        for person in people or [""]:
            name, title = split_contact(person)
            contact: dict[str, Any] = {"name": name} if name else {}
            if "contact.title" in v:
                title = to_text(v["contact.title"])
            if title:
                contact["title"] = title
            if "contact.role" in v and not contacts:
                role_text = to_text(v["contact.role"])
                roles = {**{_norm(k): r for k, r in _ROLE_WORDS.items()}, **{_norm(r): r for r in _ROLE_WORDS.values()}}
                contact["role"] = self.words.pick(roles, role_text, "decision role")
            else:
                contact["role"] = guess_role(title)
            contacts.append(contact)
        first = contacts[0]
        details = to_text(v.get("phone", "")) if "phone" in v else ""
        phone_cell = v.get("phone")
        emails = _EMAIL.findall(details)
        if "email" in v:
            emails = [to_text(v["email"]), *emails]
        rest = _EMAIL.sub(" ", details).strip(" ;；,，/")
        if rest:
            phone = to_phone(phone_cell if not isinstance(phone_cell, str) else rest)
            first["phone"] = phone
            first["phone_kind"] = self.phone_kind(phone)
            if first["phone_kind"] is None:
                del first["phone_kind"]
        if emails:
            first["email"] = emails[0]
        out["_contacts"] = contacts

    def phone_kind(self, phone: str) -> str | None:
        compact = re.sub(r"[\s()（）]", "", phone)
        mobile = self.settings.privacy_patterns.get("mobile")
        if mobile is not None and mobile.search(compact):
            return self.options.phone_kind  # None: the check refuses a personal mobile
        if _LANDLINE.match(compact):
            return "office"
        if re.search(r"微信|企业微信|钉钉|飞书|wecom|dingtalk|im", phone.lower()):
            return "im"
        return self.options.phone_kind or "office"


def member_handle(members: dict[str, Any], text: str, what: str) -> str:
    """The team handle for a cell holding a handle, a member's name or email."""
    text = text.strip()
    if text in members:
        return text
    for handle, member in members.items():
        if text and text in (member.name, member.email, member.git):
            return handle
    known = ", ".join(f"{m.name} ({h})" for h, m in members.items()) or "none yet"
    raise BadValue(f"{what} `{text}` is not on the team: add them to {TEAM_FILE} first, or use one of: {known}")


# --- merging -------------------------------------------------------------------------------
def merge_customer(before: dict[str, Any], given: dict[str, Any], today: dt.date,
                   settings: Settings) -> dict[str, Any]:
    """The existing record with the sheet's values laid over it; nothing the sheet lacks is dropped."""
    after = copy.deepcopy(before)
    given = dict(given)
    contract = given.pop("_contract", None)
    stage = given.pop("stage", None)
    contacts = given.pop("_contacts", None)
    for key, value in given.items():
        if isinstance(value, dict) and isinstance(after.get(key), dict):
            after[key] = _deep_merge(after[key], value)
        else:
            after[key] = value
    if contacts is not None:
        after["contacts"] = _merge_contacts(after.get("contacts") or [], contacts)
    if contract:
        contracts = list(after.get("contracts") or [])
        index = next((i for i, c in enumerate(contracts) if c.get("no") == contract.get("no")), None)
        if index is None:
            contracts.append(contract)
        else:
            contracts[index] = {**contracts[index], **contract}
        after["contracts"] = contracts
    if stage is not None and stage != after.get("stage"):
        if "stage_history" not in given:
            history = list(after.get("stage_history") or [])
            previous = history[-1].get("stage") if history and isinstance(history[-1], dict) else None
            problem = move_problem(previous, stage, settings) if previous else None
            if problem:
                raise BadValue(f"status: {problem}")
            history.append({"stage": stage, "on": today.isoformat()})
            after["stage_history"] = history
        after["stage"] = stage
    return after


def _deep_merge(base: dict[str, Any], over: dict[str, Any]) -> dict[str, Any]:
    merged = dict(base)
    for key, value in over.items():
        merged[key] = _deep_merge(merged[key], value) if isinstance(value, dict) and isinstance(merged.get(key), dict) \
            else value
    return merged


def _merge_contacts(existing: list[Any], given: list[dict[str, Any]]) -> list[Any]:
    merged = [dict(c) if isinstance(c, dict) else c for c in existing]
    for contact in given:
        index = next((i for i, c in enumerate(merged) if isinstance(c, dict) and c.get("name") == contact.get("name")),
                     None)
        if index is None:
            merged.append(contact)
        else:
            kept = merged[index]
            update = dict(contact)
            if "role" in kept:
                update.pop("role", None)  # a guessed role never overrides the one recorded
            merged[index] = {**kept, **update}
    return merged


def new_customer(given: dict[str, Any], today: dt.date) -> dict[str, Any]:
    """A new record from the sheet's fields, with the stage history the status implies."""
    data = dict(given)
    contract = data.pop("_contract", None)
    if contract:
        data["contracts"] = [contract]
    if "_contacts" in data:
        data["contacts"] = data.pop("_contacts")
    data.setdefault("created", today.isoformat())
    if "stage" not in data:
        data["stage"] = "lead"
    data.setdefault("stage_history", [{"stage": data["stage"], "on": data["created"]}])
    return data


# --- planning -------------------------------------------------------------------------------
class IdAllocator:
    """Hands out ids by the id rule, continuing past the ids this import already gave."""

    def __init__(self, book: Book, options: Options) -> None:
        self.book = book
        self.options = options
        self.last: dict[str, int] = {}
        self.full: dict[str, str] = {}  # prefix -> why no id is left
        self.taken: set[str] = {c.id for c in book.customers.values()}

    def allocate(self, data: dict[str, Any]) -> str:
        from .ids import IdError, letters_for_industry, next_id, province_of

        settings = self.book.settings
        # the region, else a company name that starts with its city (深圳市某某科技), else --province
        province = (province_of(str(data.get("region") or ""), settings)
                    or province_of(str(data.get("name") or ""), settings)
                    or (province_of(self.options.province, settings) if self.options.province else None))
        if province is None:
            raise BadValue("the id needs a province: give 所在地区 (region, e.g. 广东深圳) or --province 粤")
        letters = letters_for_industry(str(data.get("industry") or ""), settings)
        if letters is None:
            raise BadValue("the id needs industry letters: give 所属行业 as a GB/T 4754 code (e.g. C3970)")
        year = int(str(data.get("created") or self.options.today.isoformat())[:4])
        prefix = f"{province}{letters}{year}"
        digits = int(settings.raw["ids"].get("sequence_digits", 3))
        if prefix in self.full:
            raise BadValue(self.full[prefix])
        if prefix not in self.last:
            try:
                first = next_id(self.book, province, letters, year)
            except IdError as exc:
                self.full[prefix] = str(exc)  # remembered: next_id scans every id, once per prefix is enough
                raise BadValue(str(exc)) from None
            self.last[prefix] = int(first[len(prefix):]) - 1
        while True:
            self.last[prefix] += 1
            if self.last[prefix] >= 10 ** digits:
                self.full[prefix] = f"all ids of {prefix} are used: raise ids.sequence_digits in dealbook.yaml"
                raise BadValue(self.full[prefix])
            candidate = f"{prefix}{self.last[prefix]:0{digits}d}"
            if candidate not in self.taken:
                self.taken.add(candidate)
                return candidate


def plan_customers(sheet: Sheet, book: Book, options: Options,
                   progress: Callable[[Iterable[Row]], Iterable[Row]] = lambda rows: rows,
                   checker: Checker | None = None) -> Plan:
    """What importing the customer sheet would do, row by row (nothing is written).

    With a `checker`, each new or changed record is rendered and checked as soon as it is planned."""
    settings = book.settings
    reader = CustomerRows(settings, book.members, options)
    by_name: dict[str, str] = {}
    for customer in book.customers.values():
        by_name.setdefault(customer.name.strip(), customer.id)
    ids = IdAllocator(book, options)
    plan = Plan(CUSTOMERS, notes=list(sheet.notes))
    pending: dict[str, Planned] = {}  # path -> the entry of an earlier row in this sheet
    for row in progress(sheet.rows()):
        entry = Planned(row.number, REJECTED)
        plan.entries.append(entry)
        entry.label = to_text(row.values.get("name") or row.values.get("id") or "")
        try:
            given = reader.fields(row)
        except BadValue as exc:
            entry.reasons.append(str(exc))
            continue
        name = str(given.get("name") or "").strip()
        entry.label = name or str(given.get("id") or "")
        cid = str(given.get("id") or "")
        target = cid if cid in book.customers else by_name.get(name) if name else None
        if target is None and cid and customer_path(cid) in pending:
            target = cid
        if target is None and not cid and name and name in by_name:
            target = by_name[name]
        try:
            if target is not None:
                path = customer_path(target)
                earlier = pending.get(path)
                before = (earlier.after if earlier is not None and earlier.after
                          else checker.recall(path) if earlier is not None and checker is not None
                          else dict(book.customers[target].data))
                given.pop("id", None)
                after = merge_customer(before, given, options.today, settings)
                original = dict(book.customers[target].data) if target in book.customers else None
                entry.path, entry.before, entry.after = path, original, after
                entry.status = UNCHANGED if after == original else UPDATED
                if earlier is not None and earlier.status == NEW:
                    entry.status = NEW
                if earlier is not None:
                    earlier.status, earlier.reasons = UNCHANGED, [f"superseded by row {row.number}"]
                    earlier.path = ""
            else:
                data = new_customer(given, options.today)
                if cid and not settings.id_pattern.match(cid):
                    data.setdefault("custom", {})["legacy_id"] = cid
                    data.pop("id")
                if "id" not in data:
                    data = {"id": ids.allocate(data), **data}
                else:
                    ids.taken.add(data["id"])
                if not name:
                    raise BadValue("客户名称 (name) is empty")
                entry.path, entry.after, entry.status = customer_path(data["id"]), data, NEW
                by_name[name] = data["id"]
        except BadValue as exc:
            entry.status, entry.reasons = REJECTED, [str(exc)]
            continue
        pending[entry.path] = entry
        if checker is not None and entry.status in (NEW, UPDATED):
            checker.add(entry)
    return plan


class FollowupRows:
    """Reads follow-up rows (销售跟进记录表) into follow-up records."""

    def __init__(self, book: Book, options: Options, names: dict[str, str]) -> None:
        self.book = book
        self.options = options
        self.words = Vocabulary(book.settings)
        self.names = names

    def record(self, row: Row) -> dict[str, Any]:
        v = row.values
        problems = list(row.problems)
        data: dict[str, Any] = {}
        cid = to_text(v["customer"]) if "customer" in v else ""
        if not cid and "customer_name" in v:
            name = to_text(v["customer_name"])
            cid = self.names.get(name.strip(), "")
            if not cid:
                problems.append(f"客户名称 `{name}` is not a customer in the repo: import the customer sheet first")
        if not cid and not problems:
            problems.append("the row names no customer (客户编号 or 客户名称)")
        data["customer"] = cid
        try:
            moment, has_time = to_datetime(v.get("at", ""))
            if not has_time:
                hour, minute = (int(x) for x in self.options.default_time.split(":"))
                moment = moment.replace(hour=hour, minute=minute)
            data["at"] = moment.strftime("%Y-%m-%d %H:%M")
        except BadValue as exc:
            problems.append(f"跟进日期 (at): {exc}")
        data["method"] = self.method(to_text(v.get("method", "")))
        try:
            data["by"] = member_handle(self.book.members, to_text(v.get("by", "")), "跟进人 (by)")
        except BadValue as exc:
            problems.append(str(exc))
        if "contact" in v:
            data["contact"] = split_contact(to_text(v["contact"]))[0]
        for name in ("summary", "feedback"):
            if name in v:
                data[name] = to_text(v[name])
        if "objections" in v:
            tags = []
            for word in re.split(r"[,，、;；]", to_text(v["objections"])):
                if word.strip():
                    try:
                        tags.append(self.words.pick(self.words.objections, word, "objection"))
                    except BadValue:
                        tags.append(word.strip())
            data["objections"] = tags
        if "outcome" in v:
            text = to_text(v["outcome"])
            data["outcome"] = _OUTCOME_WORDS.get(text, text)
        if "next" in v:
            try:
                data["next"] = _json(v["next"], "next")
            except BadValue as exc:
                problems.append(str(exc))
        elif "next.action" in v:
            action: dict[str, Any] = {"action": to_text(v["next.action"])}
            if "next.due" in v:
                try:
                    action["due"] = to_date(v["next.due"])
                except BadValue as exc:
                    problems.append(f"完成时限 (due): {exc}")
            if data.get("by"):
                action["owner"] = data["by"]
            data["next"] = [action]
        help_ = {k: to_text(v[f"help.{k}"]) for k in ("from", "detail") if f"help.{k}" in v}
        if help_:
            data["help"] = help_
        if "custom" in v:
            try:
                data["custom"] = _json(v["custom"], "custom")
            except BadValue as exc:
                problems.append(str(exc))
        if row.extra:
            custom = data.setdefault("custom", {})
            for header, value in row.extra.items():
                custom.setdefault(str(header), to_text(value))
        if problems:
            raise BadValue("; ".join(problems))
        return data

    def method(self, text: str) -> str:
        word = _norm(text)
        if word in ("phone", "visit", "email", "meeting", "im", "other"):
            return word
        for alias, key in _METHOD_WORDS:
            if alias in word:
                return key
        return "other"


def plan_followups(sheet: Sheet, book: Book, options: Options,
                   progress: Callable[[Iterable[Row]], Iterable[Row]] = lambda rows: rows,
                   extra_names: dict[str, str] | None = None, checker: Checker | None = None) -> Plan:
    """What importing the follow-up sheet would do: a follow-up matches one of the same customer and time."""
    names = {c.name.strip(): c.id for c in book.customers.values()}
    names.update(extra_names or {})
    reader = FollowupRows(book, options, names)
    existing: dict[tuple[str, str], Any] = {}
    used: set[str] = set()
    for followup in book.all_followups():
        key = (followup.customer, str(followup.data.get("at")))
        existing.setdefault(key, followup)
        used.add(followup.path)
    plan = Plan("followups", notes=list(sheet.notes))
    for row in progress(sheet.rows()):
        entry = Planned(row.number, REJECTED)
        entry.label = to_text(row.values.get("customer_name") or row.values.get("customer") or "")
        plan.entries.append(entry)
        try:
            data = reader.record(row)
        except BadValue as exc:
            entry.reasons.append(str(exc))
            continue
        entry.label = f"{data['customer']} {data['at']}"
        found = existing.get((data["customer"], data["at"]))
        if found is not None:
            current = found.data if found.data is not None else (checker.recall(found.path) if checker else {}) or {}
            merged = {**current, **data}
            entry.path, entry.before, entry.after = found.path, dict(current), merged
            entry.status = UNCHANGED if merged == current else UPDATED
            if checker is not None and entry.status == UPDATED:
                checker.add(entry)
            continue
        stem = data["at"].replace(" ", "-").replace(":", "")
        path = f"{FOLLOWUPS_DIR}/{data['customer']}/{stem}.yaml"
        n = 2
        while path in used:
            path = f"{FOLLOWUPS_DIR}/{data['customer']}/{stem}-{n}.yaml"
            n += 1
        used.add(path)
        existing[(data["customer"], data["at"])] = _Pending(path, data if checker is None else None)
        entry.path, entry.after, entry.status = path, data, NEW
        if checker is not None:
            checker.add(entry)
    return plan


@dataclass
class _Pending:
    path: str
    data: dict[str, Any] | None


# --- checking the plan before anything is written ---------------------------------------------
def render(kind: str, data: dict[str, Any], before_text: str | None, before: dict[str, Any] | None) -> str:
    """The file text for a planned record: new files from the record template, edits keep comments."""
    from . import roundtrip

    if before_text is None or before is None:
        return render_new(kind, data)
    document = roundtrip.loads(before_text)
    for where, value in _changes(before, data):
        document.set(list(where), value)
    for key in [k for k in before if k not in data]:
        document.set([key], None)  # never happens for sheet imports, which only add and change
    return document.text


@functools.cache
def _schema(kind: str) -> dict[str, Any]:
    import json
    from importlib import resources

    return json.loads(resources.files("dealbook").joinpath(f"schemas/{kind}.schema.json").read_text("utf-8"))


def render_new(kind: str, data: dict[str, Any]) -> str:
    """A new record file as `roundtrip.render_new` writes it (modeline, keys in schema order), without
    compiling its template for every one of thousands of records; check_plan verifies the text reads back."""
    from . import roundtrip

    ordered = roundtrip._ordered(data, _schema(kind))
    body = "\n".join(roundtrip.render_block(ordered, 0))
    return f"{roundtrip.MODELINE}{roundtrip.SCHEMA_PATHS[kind]}\n{body}\n"


def _changes(before: Any, after: Any, where: tuple = ()) -> Iterator[tuple[tuple, Any]]:
    if isinstance(before, dict) and isinstance(after, dict):
        for key, value in after.items():
            if key not in before:
                yield (*where, key), value
            elif before[key] != value:
                yield from _changes(before[key], value, (*where, key))
    elif before != after:
        yield where, after


_SLIM = {"customer": ("id", "name", "owner", "support"), "followup": ("customer", "at", "by", "next")}


def _check_one(kind: str, settings: Settings, path: str, after: dict[str, Any] | None,
               before: dict[str, Any] | None, before_text: str | None) -> tuple[str | None, list[str], Any]:
    """(text, [], slim data) for a record that passes `dealbook check`'s file checks, else (None, reasons, None)."""
    try:
        text = render(kind, after or {}, before_text, before)
    except Exception as exc:  # an edit the renderer cannot place: reject the row, keep going
        return None, [f"cannot write the record: {exc}"], None
    data, diagnostics = read_record(path, text.encode("utf-8"), settings)
    errors = [d for d in diagnostics if d.severity == ERROR]
    if any(d.code == "privacy-mobile" for d in errors):
        errors = [d for d in errors if d.code != "phone-kind"]  # one cause, one message
    if errors:
        return None, [_explain(d) for d in errors], None
    if not _reads_back(after, data):
        return None, ["internal: the written record would not read back as the row"], None
    return text, [], {k: data[k] for k in _SLIM[kind] if k in data}


_worker: tuple[str, Settings] | None = None  # set before the pool forks; workers inherit it


def _check_batch(items: list[tuple]) -> list[tuple[str | None, list[str], Any]]:
    assert _worker is not None
    kind, settings = _worker
    return [_check_one(kind, settings, *item) for item in items]


class Checker:
    """Renders each planned record as it is planned and checks it as `dealbook check` would.

    Works row by row so a 50,000-row import keeps only the texts to write and a few fields per
    record for the cross-record checks, not every record's data twice. With `jobs` > 1,
    rendering and checking run in batches on a process pool (most of an import's time)."""

    def __init__(self, kind: str, book: Book, read_text: Callable[[str], str | None], keep_data: bool = True,
                 jobs: int = 1, batch: int = 500, parallel_from: int = 2000) -> None:
        self.kind = "customer" if kind == CUSTOMERS else "followup"
        self.book = book
        self.read_text = read_text
        self.keep_data = keep_data
        self.texts: dict[str, str] = {}
        self.slim: dict[str, dict[str, Any]] = {}
        self.entries: dict[str, Planned] = {}
        self.jobs = jobs if "fork" in multiprocessing.get_all_start_methods() else 1
        self.batch = batch
        self.parallel_from = parallel_from  # a pool pays for itself only on big sheets
        self._added = 0
        self._queue: list[tuple[Planned, tuple]] = []
        self._inflight: collections.deque = collections.deque()
        self._pool: Any = None

    def add(self, entry: Planned) -> None:
        """Render and check one new or updated record; a failure rejects the entry."""
        self.texts.pop(entry.path, None)
        self.slim.pop(entry.path, None)
        before_text = self.read_text(entry.path) if entry.status == UPDATED else None
        item = (entry.path, entry.after, entry.before, before_text)
        self._added += 1
        if self.jobs <= 1 or self._added <= self.parallel_from:
            self._settle(entry, _check_one(self.kind, self.book.settings, *item))
            return
        self._queue.append((entry, item))
        if len(self._queue) >= self.batch:
            self._submit()

    def _submit(self) -> None:
        global _worker
        if self._pool is None:
            _worker = (self.kind, self.book.settings)
            self._pool = multiprocessing.get_context("fork").Pool(self.jobs)
        entries = [(entry, item[0]) for entry, item in self._queue]
        items = [item for _, item in self._queue]
        self._queue = []
        self._inflight.append((entries, self._pool.apply_async(_check_batch, (items,))))
        while len(self._inflight) > 2 * self.jobs:  # bounded: a few batches in flight at most
            self._collect()

    def _collect(self) -> None:
        entries, result = self._inflight.popleft()
        for (entry, path), outcome in zip(entries, result.get(), strict=True):
            self._settle(entry, outcome, path)

    def _drain(self) -> None:
        if self._queue:
            self._submit()
        while self._inflight:
            self._collect()

    def _settle(self, entry: Planned, outcome: tuple[str | None, list[str], Any], path: str | None = None) -> None:
        text, reasons, slim = outcome
        if path is not None and (entry.path != path or entry.status not in (NEW, UPDATED)):
            return  # a later row of the sheet superseded this one while it was being checked
        if text is None:
            entry.status, entry.reasons = REJECTED, reasons
            return
        self.texts[entry.path] = text
        self.slim[entry.path] = slim
        self.entries[entry.path] = entry
        if not self.keep_data:
            entry.after = entry.before = None

    def close(self) -> None:
        global _worker
        if self._pool is not None:
            self._pool.close()
            self._pool.join()
            self._pool = None
            _worker = None

    def recall(self, path: str) -> dict[str, Any] | None:
        """The data of a record planned earlier in this run (a later row names the same customer)."""
        from .load import parse_text

        self._drain()
        text = self.texts.get(path)
        return parse_text(text, path).data if text is not None else None

    def finish(self) -> dict[str, str]:
        """Cross-record checks (owners on the team, follow-ups' customers exist, unique ids) on the repo
        as it would be after the import; returns path → text for the records that passed."""
        from .crosschecks import _findings

        try:
            self._drain()
        finally:
            self.close()
        if not self.texts:
            return {}
        records: dict[str, Any] = {p: c.data for p, c in self.book.customers_by_path.items()}
        if self.book.team_path:
            records[self.book.team_path] = {"members": [m.__dict__ for m in self.book.members.values()]}
        records.update(self.slim)
        after = Book(self.book.settings, sorted(records.items()))
        problems: dict[str, list[str]] = {}
        for path, _, severity, code, message in _findings(after):
            if severity == ERROR and path in self.texts:
                problems.setdefault(path, []).append(f"{code}: {message}")
        for path, reasons in problems.items():
            entry = self.entries.get(path)
            if entry is not None:
                entry.status, entry.reasons = REJECTED, reasons
            self.texts.pop(path, None)
        return self.texts


def check_plan(plan: Plan, book: Book, read_text: Callable[[str], str | None]) -> dict[str, str]:
    """Render every planned write and run `dealbook check` on it; failures become rejections.

    Returns path → the text to write for the entries that passed."""
    checker = Checker(plan.kind, book, read_text)
    for entry in plan.writes:
        checker.add(entry)
    return checker.finish()


def _reads_back(wanted: Any, read: Any) -> bool:
    """Whether the file read back holds every value written (schema validation may add defaults)."""
    if isinstance(wanted, dict):
        return isinstance(read, dict) and all(k in read and _reads_back(v, read[k]) for k, v in wanted.items())
    if isinstance(wanted, list):
        return isinstance(read, list) and len(read) == len(wanted) and all(
            _reads_back(w, r) for w, r in zip(wanted, read, strict=True))
    return wanted == read and type(wanted) is type(read)


def _explain(d: Diagnostic) -> str:
    message = f"{d.code}: {d.message}"
    if d.code == "privacy-mobile":
        message = ("privacy-mobile: the row holds a personal mobile number, which must not be recorded (privacy, "
                   "000 §1); give a work phone or company IM instead, or, if the sheet's mobiles are company-issued, "
                   "import with --phone-kind work")
    return message


def apply_plan(root: str, texts: dict[str, str], progress: Callable[[Iterable[str]], Iterable[str]] = lambda x: x
               ) -> int:
    """Write the checked records (each atomically, flushed to disk together); the number written."""
    from .writing import write_many

    return write_many(((os.path.join(root, p), texts[p]) for p in sorted(texts)), progress)


def customers_dir_exists(root: str) -> bool:
    return os.path.isdir(os.path.join(root, CUSTOMERS_DIR))
