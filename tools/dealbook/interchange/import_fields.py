"""Spreadsheet cells to record fields: vocabularies (statuses, methods, roles), contacts, sizes, industries."""

from __future__ import annotations

import re
import unicodedata
from collections.abc import Callable
from typing import Any

from ..checks import privacy
from ..records.model import TEAM_FILE
from ..records.settings import Settings
from ..text.catalog import N_, Said, joined, said
from .followup_cells import phone_note
from .import_plan import Options
from .sheets import (
    ENUMERATION,
    BadValue,
    Row,
    at_cell,
    problem_list,
    to_date,
    to_moment,
    to_money,
    to_money_range,
    to_phone,
    to_text,
)


# --- value vocabularies ----------------------------------------------------------------------
def normalise(text: Any) -> str:
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
METHOD_WORDS = (("电话", "phone"), ("phone", "phone"), ("call", "phone"), ("拜访", "visit"), ("上门", "visit"),
                 ("面谈", "visit"), ("visit", "visit"), ("邮件", "email"), ("email", "email"), ("mail", "email"),
                 ("会议", "meeting"), ("meeting", "meeting"), ("视频", "meeting"), ("微信", "im"), ("钉钉", "im"),
                 ("飞书", "im"), ("im", "im"), ("qq", "im"))
OUTCOME_WORDS = {"已沟通": "held", "未接通": "no_answer", "未接": "no_answer", "爽约": "missed", "失约": "missed",
                  "改期": "rescheduled", "暂无需求": "no_need", "无需求": "no_need"}
_INDUSTRY_WORDS = (("软件", "I"), ("信息", "I"), ("互联网", "I"), ("通信", "I"), ("it", "I"), ("数据", "I"),
                   ("金融", "J"), ("银行", "J"), ("保险", "J"), ("证券", "J"), ("房地产", "K"), ("建筑", "E"),
                   ("工程", "E"), ("批发", "F"), ("零售", "F"), ("贸易", "F"), ("电商", "F"), ("物流", "G"),
                   ("运输", "G"), ("仓储", "G"), ("酒店", "H"), ("餐饮", "H"), ("教育", "P"), ("培训", "P"),
                   ("学校", "P"), ("医疗", "Q"), ("医院", "Q"), ("卫生", "Q"), ("能源", "D"), ("电力", "D"),
                   ("燃气", "D"), ("农", "A"), ("矿", "B"), ("租赁", "L"), ("咨询", "L"), ("商务服务", "L"),
                   ("科研", "M"), ("研发", "M"), ("技术服务", "M"), ("文化", "R"), ("传媒", "R"), ("体育", "R"),
                   ("制造", "C"), ("生产", "C"), ("电子", "C"), ("机械", "C"), ("汽车", "C"), ("化工", "C"),
                   ("材料", "C"), ("设备", "C"), ("食品", "C"), ("纺织", "C"))
_INDUSTRY_CODE = re.compile(r"^[A-T]([0-9]{2,4})?( .+)?$")
_EMAIL = re.compile(r"[^@\s;,，；]+@[^@\s;,，；]+\.[A-Za-z]{2,}")
_DECIDERS = ("总经理", "董事长", "总裁", "老板", "ceo", "gm", "cto", "cfo", "总监", "vp", "副总")


class Vocabulary:
    """Cell words → record values, built from the settings (labels in zh and en) and common synonyms."""

    def __init__(self, settings: Settings) -> None:
        self.settings = settings
        self.stages: dict[str, str] = {}
        for stage in settings.stages:
            self.stages[normalise(stage.key)] = stage.key
            for label in stage.label.values():
                self.stages.setdefault(normalise(label), stage.key)
        self.channels = self._labels("source_channels")
        self.lead_types = self._labels("lead_types")
        self.lost_reasons = self._labels("lost_reasons")
        self.objections = self._labels("objection_tags")

    def _labels(self, group: str) -> dict[str, str]:
        table: dict[str, str] = {}
        for key, labels in (self.settings.raw.get(group) or {}).items():
            table[normalise(key)] = key
            for label in (labels or {}).values():
                table.setdefault(normalise(label), key)
        return table

    def stage(self, text: str) -> str:
        word = normalise(text)
        if word in self.stages:
            return self.stages[word]
        for alias, key in _STAGE_WORDS.items():
            if normalise(alias) == word or (len(alias) > 1 and alias in word):
                if key in self.settings.stage_by_key:
                    return key
                # a preset without this key: the stage whose label holds the word
                for stage in self.settings.stages:
                    if any(alias in label for label in stage.label.values()):
                        return stage.key
        raise BadValue(said(N_("status `%(text)s` is not a stage; the stages are: %(stages)s"), text=text,
                            stages=joined(*ENUMERATION, [f"{s.key} ({self.settings.stage_label(s.key)})"
                                                         for s in self.settings.stages])))

    def channel(self, text: str) -> tuple[str, str | None]:
        """(channel, detail): a cell that is more than a channel's name keeps its words as the detail."""
        word = normalise(text)
        if word in self.channels:
            return self.channels[word], None
        for alias, key in _CHANNEL_WORDS:
            if alias in word and key in self.settings.keys_of("source_channels"):
                return key, text
        return "other", text

    def pick(self, table: dict[str, str], text: str, what: str) -> str:
        word = normalise(text)
        if word in table:
            return table[word]
        for label, key in table.items():
            if len(label) > 1 and label in word:
                return key
        raise BadValue(said(N_("`%(text)s` is not a known %(what)s; use one of: %(known)s"), text=text,
                            what=said(what), known=joined(*ENUMERATION, sorted(set(table.values())))))


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
            size["employees"] = int(part) if part.isascii() and part.isdigit() else part
    return size


def industry_of(text: str) -> str:
    text = unicodedata.normalize("NFKC", text).strip()
    if _INDUSTRY_CODE.match(text):
        return text
    compact = re.sub(r"\s+", " ", text)
    m = re.match(r"^([A-T][0-9]{2,4})\s*(.*)$", compact)
    if m:
        return f"{m.group(1)} {m.group(2)}".strip()
    lowered = compact.lower()
    for word, section in _INDUSTRY_WORDS:
        if word in lowered:
            return f"{section} {compact}"
    raise BadValue(said(N_("所属行业 `%(text)s` is not a GB/T 4754 code; write it like `C3970 电子器件制造` (section "
                           "letter + code, then the name) or map it in a --map file"), text=text))


def _set(target: dict[str, Any], dotted: str, value: Any) -> None:
    parts = dotted.split(".")
    for part in parts[:-1]:
        target = target.setdefault(part, {})
    target[parts[-1]] = value


def json_value(value: Any, what: str) -> Any:
    import json

    try:
        return json.loads(str(value))
    except ValueError:
        raise BadValue(said(N_("the %(column)s column is not valid JSON (as `dealbook export` writes it)"),
                            column=what)) from None


_TEXT_FIELDS = ("name", "region", "address", "business", "need.summary", "need.goal", "need.timeline.note",
                "decision_chain", "project.name", "project.cycle", "source.detail", "grade.reason", "lost.note",
                "size.revenue")
_DATE_FIELDS = ("need.timeline.start", "deal.close_by", "lost.on", "paused_until")
_MONEY_FIELDS = ("need.budget.min", "need.budget.max", "deal.amount")
_LIST_FIELDS = ("contacts", "stage_history", "needs", "quotes", "contracts")
# what CustomerRows.fields calls a cell it cannot read -> the field whose column it is
_ATTEMPT_FIELDS = {"budget": "need.budget", "budget status": "need.budget.status", "lead type": "lead_type",
                   "lost reason": "lost.reason", "contract amount": "contract.amount",
                   "contract signed": "contract.signed", "contract delivered": "contract.delivered"}


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
        problems: list[str | Said] = list(row.problems)

        def attempt(name: str, fn: Callable[[], None]) -> None:
            try:
                fn()
            except BadValue as exc:  # named by its column: `column F `联系方式`: …`
                problems.append(at_cell(row.where(exc.field or _ATTEMPT_FIELDS.get(name, name), name), exc.message))

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
            text = unicodedata.normalize("NFKC", to_text(employees)).strip()
            _set(out, "size.employees", int(text) if text.isascii() and text.isdigit() else text)
        if "founded" in v:
            def founded() -> None:
                text = unicodedata.normalize("NFKC", to_text(v["founded"])).strip()[:4]
                if not (text.isascii() and text.isdigit()):  # "²".isdigit() too, but int() refuses it
                    raise BadValue(said(N_("`%(text)s` is not a year"), text=v["founded"]))
                out["founded"] = int(text)
            attempt("founded", founded)
        if "created" in v:
            attempt("created", lambda: _set(out, "created", to_moment(v["created"])))
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
                {**{normalise(k): b for k, b in _BUDGET_WORDS.items()}, **{b: b for b in _BUDGET_WORDS.values()}},
                to_text(v["need.budget.status"]), N_("budget status"))))
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
                self.words.lead_types, to_text(v["lead_type"]), N_("lead type"))))
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
                problems.append(at_cell(row.where("grade.value", "grade"),
                                        said(N_("`%(text)s` is not A, B or C"), text=v["grade.value"])))
        if "lost.reason" in v:
            attempt("lost reason", lambda: _set(out, "lost.reason", self.words.pick(
                self.words.lost_reasons, to_text(v["lost.reason"]), N_("lost reason"))))
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
                attempt(name, lambda name=name: out.__setitem__(name, json_value(v[name], name)))
        if "custom" in v:
            attempt("custom", lambda: out.__setitem__("custom", json_value(v["custom"], "custom")))
        keep_extra(row, out)
        if problems:
            raise BadValue(problem_list(problems))
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
                roles = {**{normalise(k): r for k, r in _ROLE_WORDS.items()},
                         **{normalise(r): r for r in _ROLE_WORDS.values()}}
                try:
                    contact["role"] = self.words.pick(roles, role_text, N_("decision role"))
                except BadValue as exc:
                    raise BadValue(exc.message, "contact.role") from None
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
            try:
                phone = to_phone(phone_cell if not isinstance(phone_cell, str) else rest)
            except BadValue as exc:
                raise BadValue(exc.message, "phone") from None
            phone, noted = phone_note(phone)  # 1385678(企业): the note says what the number is
            first["phone"] = phone
            first["phone_kind"] = noted or self.phone_kind(phone)
            if first["phone_kind"] is None:
                del first["phone_kind"]
        if emails:
            first["email"] = emails[0]
        out["_contacts"] = contacts

    def phone_kind(self, phone: str) -> str | None:
        """`work` only when the user said so (--phone-kind work): a mobile stays unmarked otherwise,
        and the check refuses it as personal."""
        if privacy.is_mobile(phone, self.settings):
            return self.options.phone_kind
        return privacy.phone_kind_of(phone, self.settings) or self.options.phone_kind or "office"


def keep_extra(row: Row, record: dict[str, Any]) -> None:
    """Put the row's unmapped columns under the record's `custom:` (nothing in a sheet is lost)."""
    if row.extra:
        custom = record.setdefault("custom", {})
        for header, value in row.extra.items():
            custom.setdefault(str(header), to_text(value))


def member_handle(members: dict[str, Any], text: str, what: str) -> str:
    """The team handle for a cell holding a handle, a member's name or email."""
    text = text.strip()
    if text in members:
        return text
    for handle, member in members.items():
        if text and text in (member.name, member.email, member.git):
            return handle
    known = joined(*ENUMERATION, [f"{m.name} ({h})" for h, m in members.items()]) if members else said(N_("none yet"))
    raise BadValue(said(N_("%(what)s `%(text)s` is not on the team: add them to %(file)s first, or use one of: "
                           "%(known)s"), what=what, text=text, file=TEAM_FILE, known=known))
