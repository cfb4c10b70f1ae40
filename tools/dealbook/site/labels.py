"""Words the site prints, in the team's language (zh default, en); enumerations come from settings."""

from __future__ import annotations

from ..settings import Settings

# key: (zh, en)
WORDS: dict[str, tuple[str, str]] = {
    "home": ("首页", "Home"),
    "dashboard": ("销售看板", "Sales dashboard"),
    "customers": ("客户", "Customers"),
    "all_customers": ("全部客户", "All customers"),
    "customer": ("客户", "Customer"),
    "id": ("客户编号", "Id"),
    "name": ("客户名称", "Name"),
    "stage": ("阶段", "Stage"),
    "grade": ("等级", "Grade"),
    "owner": ("负责人", "Owner"),
    "owners": ("负责人", "Owners"),
    "support": ("支持人员", "Support"),
    "team_role": ("岗位", "Role"),
    "industry": ("行业", "Industry"),
    "region": ("地区", "Region"),
    "last_contact": ("最近跟进", "Last contact"),
    "next_due": ("下次跟进", "Next due"),
    "overdue": ("已逾期", "Overdue"),
    "overdue_days": ("逾期天数", "Days overdue"),
    "today": ("今天", "Today"),
    "week": ("本周内", "This week"),
    "later": ("以后", "Later"),
    "agenda": ("跟进日程", "Agenda"),
    "team_agenda": ("团队跟进日程", "Team agenda"),
    "reports": ("报表", "Reports"),
    "process": ("销售流程", "Sales process"),
    "problems": ("数据质量", "Data quality"),
    "guide": ("使用指南", "Guide"),
    "filter": ("筛选…", "Filter…"),
    "rows_shown": ("显示", "showing"),
    "open_pipeline": ("在途商机金额", "Open pipeline"),
    "weighted_forecast": ("加权预测", "Weighted forecast"),
    "won_month": ("本月成交", "Won this month"),
    "won_quarter": ("本季度成交", "Won this quarter"),
    "overdue_count": ("逾期跟进", "Overdue follow-ups"),
    "due_week": ("本周待跟进", "Due this week"),
    "funnel_month": ("本月销售漏斗", "Funnel this month"),
    "deals": ("单", "deals"),
    "facts": ("基本信息", "Facts"),
    "size": ("规模", "Size"),
    "address": ("地址", "Address"),
    "founded": ("成立年份", "Founded"),
    "business": ("主营业务", "Main business"),
    "source": ("来源渠道", "Source"),
    "lead_type": ("客户类型", "Lead type"),
    "created": ("建档日期", "Created"),
    "tags": ("标签", "Tags"),
    "project": ("项目", "Project"),
    "contacts": ("联系人与决策链", "Contacts and decision chain"),
    "contact": ("联系人", "Contact"),
    "title": ("职务", "Title"),
    "role": ("决策角色", "Role"),
    "phone": ("电话", "Phone"),
    "email": ("邮箱", "Email"),
    "decision_chain": ("决策链", "Decision chain"),
    "need": ("需求与预算", "Need and budget"),
    "summary": ("需求描述", "Summary"),
    "pains": ("痛点", "Pains"),
    "goal": ("目标", "Goal"),
    "budget": ("预算", "Budget"),
    "timeline": ("计划启动", "Timeline"),
    "needs_table": ("需求与解决方案匹配", "Needs and solutions"),
    "core_need": ("客户需求", "Need"),
    "priority": ("优先级", "Priority"),
    "class": ("类别", "Class"),
    "solution": ("解决方案", "Solution"),
    "value": ("量化价值", "Value"),
    "objections": ("异议", "Objections"),
    "adjustments": ("方案调整", "Adjustments"),
    "stage_timeline": ("阶段历程", "Stage timeline"),
    "on": ("日期", "On"),
    "days": ("天数", "Days"),
    "quotes": ("报价", "Quotes"),
    "contracts": ("合同", "Contracts"),
    "quote_no": ("报价单号", "Quote"),
    "date": ("日期", "Date"),
    "total": ("合计", "Total"),
    "valid_days": ("有效期(天)", "Valid (days)"),
    "margin": ("毛利率", "Margin"),
    "contract_no": ("合同编号", "Contract"),
    "amount": ("金额", "Amount"),
    "signed": ("签订日期", "Signed"),
    "delivered": ("交付日期", "Delivered"),
    "deal": ("商机", "Deal"),
    "close_by": ("预计成交", "Close by"),
    "value_tier": ("客户价值", "Value tier"),
    "lost": ("流失原因", "Lost reason"),
    "next_actions": ("待办事项", "Open next actions"),
    "action": ("事项", "Action"),
    "due": ("截止", "Due"),
    "followups": ("跟进记录", "Follow-up log"),
    "at": ("时间", "When"),
    "method": ("方式", "Method"),
    "by": ("跟进人", "By"),
    "feedback": ("客户反馈", "Feedback"),
    "next_steps": ("下一步", "Next steps"),
    "outcome": ("结果", "Outcome"),
    "help": ("协助需求", "Help needed"),
    "edit": ("在仓库中编辑", "Edit in the repository"),
    "changes": ("修改记录", "Change log"),
    "why": ("评级依据", "Why"),
    "override": ("人工指定", "manual override"),
    "downgraded": ("已降级", "downgraded"),
    "score": ("得分", "Score"),
    "paused_until": ("暂缓至", "Paused until"),
    "flags": ("提醒", "Flags"),
    "none": ("无", "none"),
    "no_data": ("暂无数据", "No data"),
    "by_grade": ("按等级", "By grade"),
    "by_stage": ("按阶段", "By stage"),
    "by_industry": ("按行业", "By industry"),
    "count": ("数量", "Count"),
    "their_customers": ("名下客户", "Customers"),
    "not_available": ("暂不可用", "not available yet"),
    "module_missing": ("此部分需要 {module},当前不可用。", "This section needs {module}, which is not available."),
    "check_errors": ("记录中有 {n} 个错误,页面内容可能不完整。",
                     "The records have {n} errors; pages may be incomplete."),
    "see_problems": ("查看数据质量", "See data quality"),
    "no_problems": ("没有发现问题。", "No problems found."),
    "path": ("文件", "File"),
    "line": ("行", "Line"),
    "severity": ("级别", "Severity"),
    "code": ("代码", "Code"),
    "message": ("说明", "Message"),
    "period": ("期间", "Period"),
    "trend": ("近12个月趋势:新线索与成交", "Last 12 months: new leads and wins"),
    "this_month": ("本月", "This month"),
    "last_month": ("上月", "Last month"),
    "this_quarter": ("本季度", "This quarter"),
    "trailing_12": ("近12个月", "Last 12 months"),
    "as_of": ("数据日期", "As of"),
    "stages": ("阶段定义", "Stages"),
    "definition": ("定义", "Definition"),
    "entry": ("进入条件", "Entry condition"),
    "exit": ("退出条件", "Exit condition"),
    "requires": ("必填字段", "Required fields"),
    "probability": ("赢单概率", "Probability"),
    "grading": ("ABC 分级规则", "ABC grading"),
    "cadence": ("跟进频率", "Follow-up cadence"),
    "first_response": ("新线索首次响应", "First response to a new lead"),
    "after_sales": ("售后回访", "After-sales visits"),
    "privacy": ("隐私规则", "Privacy rules"),
    "value_tiers": ("客户价值分层", "Value tiers"),
    "every_n_days": ("每 {n} 天", "every {n} days"),
    "within_n_days": ("{n} 天内", "within {n} days"),
    "days_after_delivery": ("交付后第 {days} 天,之后每 {then} 天",
                            "{days} days after delivery, then every {then} days"),
    "notes": ("说明", "Notes"),
    "change_commit": ("提交", "Commit"),
    "change_author": ("作者", "Author"),
    "change_message": ("说明", "Message"),
}

ENUMS: dict[str, dict[str, tuple[str, str]]] = {
    "method": {"phone": ("电话", "Phone"), "visit": ("拜访", "Visit"), "email": ("邮件", "Email"),
               "meeting": ("会议", "Meeting"), "im": ("即时通讯", "IM"), "other": ("其他", "Other")},
    "outcome": {"held": ("已沟通", "Held"), "no_answer": ("未接通", "No answer"), "missed": ("爽约", "Missed"),
                "rescheduled": ("改期", "Rescheduled")},
    "role": {"initiator": ("发起者", "Initiator"), "influencer": ("影响者", "Influencer"),
             "decision_maker": ("决策者", "Decision maker"), "user": ("使用者", "User")},
    "budget": {"clear": ("明确", "Clear"), "partial": ("部分明确", "Partial"), "undetermined": ("待定", "Undetermined"),
               "none": ("无预算", "None")},
    "priority": {"high": ("高", "High"), "medium": ("中", "Medium"), "low": ("低", "Low")},
    "class": {"core": ("核心", "Core"), "secondary": ("次要", "Secondary"), "potential": ("潜在", "Potential")},
    "tier": {"high": ("高价值", "High"), "medium": ("中价值", "Medium"), "low": ("低价值", "Low")},
    "severity": {"error": ("错误", "error"), "warning": ("警告", "warning")},
    "member_role": {"rep": ("销售代表", "Rep"), "manager": ("销售主管", "Manager"), "ops": ("销售运营", "Ops")},
    "due_kind": {"next_action": ("约定事项", "Next action"), "cadence": ("例行跟进", "Cadence"),
                 "first_response": ("首次响应", "First response"), "after_sales": ("售后回访", "After-sales"),
                 "paused": ("暂缓", "Paused"), "none": ("无", "None")},
    "dimension": {"urgency": ("需求紧急度", "Urgency"), "budget": ("预算明确度", "Budget"),
                  "access": ("决策影响力", "Access"), "downgrade": ("降级", "Downgrade"),
                  "override": ("人工指定", "Override")},
    "phone_kind": {"work": ("工作电话", "work"), "office": ("座机", "office"), "im": ("企业IM", "IM")},
}

# Enumerations whose labels live in the settings (a team may add values there).
SETTINGS_GROUPS = {"channel": "source_channels", "lead_type": "lead_types", "lost_reason": "lost_reasons",
                   "objection": "objection_tags"}

CURRENCY_SYMBOLS = {"CNY": "¥", "RMB": "¥", "USD": "$", "EUR": "€", "GBP": "£", "JPY": "¥", "HKD": "HK$"}


class Labels:
    """Look up site words and enumeration labels in one language."""

    def __init__(self, settings: Settings) -> None:
        self.settings = settings
        self.language = "en" if settings.language == "en" else "zh"
        self._i = 1 if self.language == "en" else 0

    def __call__(self, key: str, **values: object) -> str:
        pair = WORDS.get(key)
        text = pair[self._i] if pair else key
        return text.format(**values) if values else text

    def enum(self, group: str, value: str | None) -> str:
        """The label of an enumeration value; unknown values show as written."""
        if not value:
            return ""
        if group == "stage":
            return self.settings.stage_label(value)
        if group in SETTINGS_GROUPS:
            return self.settings.label(SETTINGS_GROUPS[group], value)
        pair = ENUMS.get(group, {}).get(value)
        return pair[self._i] if pair else value
