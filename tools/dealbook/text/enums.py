"""Labels of the fixed enumeration values (follow-up methods, outcomes, roles, risks, …), one table
for the site, the reports and the command line.

Each label is an English msgid whose context is its group, so `budget`'s "None" and a
method's "Other" can differ in another language. Values a team defines in its settings
(stages, source channels, lead types, lost reasons, objection tags) carry their own labels
there (`Settings.label`); they are not here.
"""

from __future__ import annotations

from .catalog import NP_, Translator

ENUMS: dict[str, dict[str, str]] = {
    "method": {"phone": NP_("method", "Phone"), "visit": NP_("method", "Visit"), "email": NP_("method", "Email"),
               "meeting": NP_("method", "Meeting"), "im": NP_("method", "IM"), "other": NP_("method", "Other")},
    "outcome": {"held": NP_("outcome", "Held"), "no_answer": NP_("outcome", "No answer"),
                "missed": NP_("outcome", "Missed"), "rescheduled": NP_("outcome", "Rescheduled"),
                "no_need": NP_("outcome", "No need for now")},
    "role": {"initiator": NP_("role", "Initiator"), "influencer": NP_("role", "Influencer"),
             "decision_maker": NP_("role", "Decision maker"), "user": NP_("role", "User")},
    "budget": {"clear": NP_("budget", "Clear"), "partial": NP_("budget", "Partial"),
               "undetermined": NP_("budget", "Undetermined"), "none": NP_("budget", "None")},
    "priority": {"high": NP_("priority", "High"), "medium": NP_("priority", "Medium"),
                 "low": NP_("priority", "Low")},
    "class": {"core": NP_("class", "Core"), "secondary": NP_("class", "Secondary"),
              "potential": NP_("class", "Potential")},
    "tier": {"high": NP_("tier", "High"), "medium": NP_("tier", "Medium"), "low": NP_("tier", "Low")},
    "severity": {"error": NP_("severity", "error"), "warning": NP_("severity", "warning")},
    "member_role": {"rep": NP_("member_role", "Rep"), "manager": NP_("member_role", "Manager"),
                    "ops": NP_("member_role", "Ops"), "legal": NP_("member_role", "Legal"),
                    "finance": NP_("member_role", "Finance"), "gm": NP_("member_role", "General manager")},
    # Record fields a stage or a new lead requires, as a reader names them (the process page).
    "field": {"name": NP_("field", "Name"), "industry": NP_("field", "Industry"), "region": NP_("field", "Region"),
              "owner": NP_("field", "Owner"), "created": NP_("field", "Acquisition time"),
              "contacts": NP_("field", "Contacts"), "contacts.phone": NP_("field", "Contact phone"),
              "source.channel": NP_("field", "Source channel"), "lead.type": NP_("field", "Lead type"),
              "need.summary": NP_("field", "Need"), "need.budget.status": NP_("field", "Budget status"),
              "need.timeline.start": NP_("field", "Planned start"), "deal.amount": NP_("field", "Deal amount"),
              "deal.close_by": NP_("field", "Expected close date"), "contracts": NP_("field", "Contracts"),
              "lost.reason": NP_("field", "Lost reason")},
    # What an agenda item is: a due date's kind, or one of the rules' flags.
    "due_kind": {"next_action": NP_("due_kind", "Next action"), "cadence": NP_("due_kind", "Cadence"),
                 "first_response": NP_("due_kind", "First response"), "after_sales": NP_("due_kind", "After-sales"),
                 "paused": NP_("due_kind", "Paused"), "none": NP_("due_kind", "None"),
                 "a_grade_no_contact": NP_("due_kind", "A grade not contacted"),
                 "change_contact_method": NP_("due_kind", "Change the contact method"),
                 "differentiation_due": NP_("due_kind", "Differentiation analysis"),
                 "delivery": NP_("due_kind", "Delivery progress"), "care_letter": NP_("due_kind", "Care letter"),
                 "quote_expired": NP_("due_kind", "Quote expired"),
                 "quote_expiring": NP_("due_kind", "Quote expiring"),
                 "quote_approval": NP_("due_kind", "Quote awaiting approval"),
                 "quote_to_send": NP_("due_kind", "Quote to send"),
                 "contract_approval": NP_("due_kind", "Contract awaiting approval"),
                 "instalment_overdue": NP_("due_kind", "Instalment overdue"),
                 "instalment_due": NP_("due_kind", "Instalment due"), "renewal_due": NP_("due_kind", "Renewal due"),
                 "guide_handover": NP_("due_kind", "User guide hand-over"),
                 "reassess": NP_("due_kind", "Reassess"), "lead_review": NP_("due_kind", "Lead to review"),
                 "lead_sent_back": NP_("due_kind", "Lead sent back"), "lead_plan": NP_("due_kind", "Lead plan"),
                 "help_due": NP_("due_kind", "Help asked")},
    "dimension": {"urgency": NP_("dimension", "Urgency"), "budget": NP_("dimension", "Budget"),
                  "access": NP_("dimension", "Access"), "downgrade": NP_("dimension", "Downgrade"),
                  "override": NP_("dimension", "Override")},
    "risk": {"rotting": NP_("risk", "Rotting"), "close_date_passed": NP_("risk", "Close date passed"),
             "no_next_step": NP_("risk", "No next step"), "big_deal_untouched": NP_("risk", "Big deal untouched"),
             "instalment_overdue": NP_("risk", "Instalment overdue"),
             "quote_expiring": NP_("risk", "Quote expiring"), "quote_expired": NP_("risk", "Quote expired")},
    "event": {"new_lead": NP_("event", "New leads"), "stage_move": NP_("event", "Stage moves"),
              "won": NP_("event", "Won"), "lost": NP_("event", "Lost"), "amount_down": NP_("event", "Amounts down"),
              "amount_up": NP_("event", "Amounts up"), "close_date_slipped": NP_("event", "Close dates slipped"),
              "close_date_earlier": NP_("event", "Close dates earlier"), "new_quote": NP_("event", "New quotes")},
    "quote_status": {"draft": NP_("quote_status", "draft"), "sent": NP_("quote_status", "sent"),
                     "accepted": NP_("quote_status", "accepted"), "rejected": NP_("quote_status", "rejected")},
    # A contract's acceptance result.
    "acceptance": {"pass": NP_("acceptance", "accepted"), "fix": NP_("acceptance", "fixes needed")},
    "phone_kind": {"work": NP_("phone_kind", "work"), "office": NP_("phone_kind", "office"),
                   "im": NP_("phone_kind", "IM")},
}


def enum_label(_: Translator, group: str, value: str | None) -> str:
    """The label of a fixed enumeration value in the translator's language; an unknown value
    shows as written ('' for none)."""
    if not value:
        return ""
    label = ENUMS.get(group, {}).get(value)
    return _.pgettext(group, label) if label else value
