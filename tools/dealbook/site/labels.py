"""The site's words in the team's language: the message catalog (`dealbook.text`) for fixed text
and enumeration values, the settings for what a team defines (stages, channels, reasons, …)."""

from __future__ import annotations

from ..records.industries import industry_label
from ..records.settings import Settings
from ..text.catalog import N_, NP_, Translator, translator
from ..text.enums import enum_label
from .urls import SNAPSHOT

# Enumerations whose labels live in the settings (a team may add values there).
SETTINGS_GROUPS = {"channel": "source_channels", "lead_type": "lead_types", "lost_reason": "lost_reasons",
                   "objection": "objection_tags"}

# Titles of the customer listings by grade, stage and industry (translated where shown).
LISTING_TITLES = {"grade": NP_("listing", "Grade"), "stage": NP_("listing", "Stage"),
                  "industry": NP_("listing", "Industry")}
# The report periods' names, by period key.
PERIOD_NAMES = {"this-month": N_("This month"), "last-month": N_("Last month"), "this-quarter": N_("This quarter"),
                "trailing-12": N_("Last 12 months"), "next-quarter": N_("Next quarter"), SNAPSHOT: N_("As of today")}

GONE = ("site words come from the message catalog now: write _(\"English text\") (Python: "
        "_ = labels.text) and its Chinese in text/locale/zh/LC_MESSAGES/dealbook.po; see \"Writing "
        "user-facing text\" in the README")


class Labels:
    """Site words in one language: `text` is the catalog's translator, `enum` labels a value."""

    def __init__(self, settings: Settings) -> None:
        self.settings = settings
        self.language = settings.language
        self.text: Translator = translator(self.language)

    def __call__(self, key: str, **values: object) -> str:
        raise TypeError(f"labels({key!r}): {GONE}")

    def industry(self, code: str) -> str:
        """"C39 计算机、通信和其他电子设备制造业" for C3982 (GB/T 4754 大类); unknown codes as written."""
        return industry_label(code, self.language)

    def enum(self, group: str, value: str | None) -> str:
        """The label of an enumeration value; unknown values show as written."""
        if not value:
            return ""
        if group == "stage":
            return self.settings.stage_label(value)
        if group in SETTINGS_GROUPS:
            return self.settings.label(SETTINGS_GROUPS[group], value)
        return enum_label(self.text, group, value)

    def listing(self, kind: str) -> str:
        """`Grade`, `Stage`, `Industry`: what a customer listing is by."""
        return self.text.pgettext("listing", LISTING_TITLES[kind])

    def period(self, key: str) -> str:
        """`This month`, `Last 12 months`, …: a report period's name."""
        return self.text(PERIOD_NAMES[key])
