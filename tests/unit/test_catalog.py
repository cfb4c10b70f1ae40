"""The message catalog: every message has its Chinese, translators get plain gettext catalogs,
and both ways of reading them (a built package's .mo, a checkout's .po) give the same words."""

from __future__ import annotations

import gettext
import os
import shutil
import subprocess
import sys
from pathlib import Path

import pytest
from conftest import ROOT
from dealbook.text import catalog, messages
from dealbook.text.catalog import Translator, translator


def test_every_message_in_the_sources_has_a_chinese_translation() -> None:
    """Runs Babel's extraction over the package (Python and templates, as babel.cfg says) and
    compares with the zh catalog: nothing untranslated, nothing fuzzy, nothing left over."""
    used = messages.extract(str(ROOT / "tools" / "dealbook"), str(ROOT / "babel.cfg"))  # the checkout, not the install
    assert len(used) > 100  # the extraction found the messages (a broken babel.cfg finds none)
    found = messages.problems("zh", used)
    assert found.untranslated == [], "add these to tools/dealbook/text/locale/zh/LC_MESSAGES/dealbook.po"
    assert found.fuzzy == [], "review these translations and remove their `#, fuzzy` line"
    assert found.unused == [], "no code uses these any more: `python -m dealbook.text.messages update` drops them"


def test_placeholders_in_each_translation_match_the_english() -> None:
    from babel.messages.pofile import read_po

    with open(catalog.catalog_path("zh"), "rb") as handle:
        po = read_po(handle)
    errors = [(m.id, problem) for m in po if m.id for problem in m.check(po)]
    assert errors == []


def test_a_translator_fills_values_counts_and_contexts() -> None:
    zh, en = translator("zh"), translator("en")
    assert zh("lost: no follow-up due") == "已流失,无需跟进"
    assert en("lost: no follow-up due") == "lost: no follow-up due"
    assert zh("pause ended %(pause)s: reassess", pause="2024-05-01") == "暂缓跟进已于 2024-05-01 结束,需重新评估"
    assert en.ngettext("last contact %(num)s day ago", "last contact %(num)s days ago", 1) == "last contact 1 day ago"
    assert en.ngettext("last contact %(num)s day ago", "last contact %(num)s days ago", 3) == "last contact 3 days ago"
    assert zh.ngettext("last contact %(num)s day ago", "last contact %(num)s days ago", 3) == "上次联系 3 天前"
    assert zh.pgettext("cohort", "Win rate") != zh.pgettext("sources", "Win rate")
    assert translator("zh") is zh  # one per language per process


def test_a_language_without_a_catalog_speaks_english() -> None:
    assert Translator("xx")("no reason given") == "no reason given"
    assert "zh" in catalog.languages() and "en" in catalog.languages()


def test_a_checkout_without_a_compiled_catalog_reads_the_po(tmp_path: Path) -> None:
    locale = tmp_path / "locale"
    shutil.copytree(catalog.LOCALE_DIR, locale, ignore=shutil.ignore_patterns("*.mo"))
    mo = Path(catalog.catalog_path("zh", str(locale), ".mo"))
    assert not mo.exists()
    read_only = catalog.load("zh", str(locale), keep_mo=False)
    assert read_only.gettext("no reason given") == "未写理由"
    assert not mo.exists()
    kept = catalog.load("zh", str(locale))
    assert kept.gettext("no reason given") == "未写理由"
    assert mo.exists()  # compiled once, read as .mo next time
    again = catalog.load("zh", str(locale))
    assert isinstance(again, gettext.GNUTranslations) and again.gettext("no reason given") == "未写理由"


def test_an_edited_po_wins_over_an_older_compiled_catalog(tmp_path: Path) -> None:
    locale = tmp_path / "locale"
    shutil.copytree(catalog.LOCALE_DIR, locale, ignore=shutil.ignore_patterns("*.mo"))
    catalog.compile_catalogs(str(locale))
    po = Path(catalog.catalog_path("zh", str(locale)))
    po.write_text(po.read_text("utf-8").replace('msgstr "未写理由"', 'msgstr "没有理由"'), "utf-8")
    mo = Path(catalog.catalog_path("zh", str(locale), ".mo"))
    os.utime(mo, ns=(po.stat().st_mtime_ns - 10**9, po.stat().st_mtime_ns - 10**9))
    assert catalog.load("zh", str(locale), keep_mo=False).gettext("no reason given") == "没有理由"


def test_the_build_ships_compiled_catalogs(tmp_path: Path) -> None:
    """`build_py` (what `pip install .` and wheel builds run) writes a .mo beside each .po."""
    build = tmp_path / "build"
    done = subprocess.run([sys.executable, "setup.py", "-q", "build_py", "--build-lib", str(build)],
                          cwd=ROOT, capture_output=True, text=True, timeout=300)
    assert done.returncode == 0, done.stderr
    locale = build / "dealbook" / "text" / "locale"
    mo = Path(catalog.catalog_path("zh", str(locale), ".mo"))
    assert mo.is_file() and Path(catalog.catalog_path("zh", str(locale))).is_file()
    with open(mo, "rb") as handle:
        shipped = gettext.GNUTranslations(handle)
    assert shipped.gettext("no reason given") == "未写理由"
    assert shipped.pgettext("cohort", "Win rate") == "赢单率"
    assert mo.read_bytes() == catalog.compile_po(catalog.catalog_path("zh"))


@pytest.mark.parametrize("language", ["zh", "en"])
def test_the_site_templates_use_the_same_catalog(language: str) -> None:
    from dealbook.records.settings import Settings, default_settings
    from dealbook.site.labels import Labels
    from dealbook.site.render import make_environment

    env = make_environment(None, Labels(Settings({**default_settings().raw, "language": language})))
    text = env.from_string('{{ _("no reason given") }}|{{ pgettext("cohort", "Win rate") }}').render()
    assert text == ("未写理由|赢单率" if language == "zh" else "no reason given|Win rate")


def test_a_third_language_is_one_file(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    """A new <code>/LC_MESSAGES/dealbook.po is enough: translations load and settings accept the code."""
    from dealbook.records import schema

    locale = tmp_path / "locale"
    shutil.copytree(catalog.LOCALE_DIR, locale, ignore=shutil.ignore_patterns("*.mo"))
    po = Path(catalog.catalog_path("fr", str(locale)))
    po.parent.mkdir(parents=True)
    text = Path(catalog.catalog_path("zh", str(locale))).read_text("utf-8")
    text = text.replace("Language: zh", "Language: fr").replace("nplurals=1; plural=0;", "nplurals=2; plural=(n > 1);")
    po.write_text(text.replace('msgstr "未写理由"', 'msgstr "aucune raison donnée"'), "utf-8")
    assert Translator("fr", str(locale))("no reason given") == "aucune raison donnée"
    monkeypatch.setattr(catalog, "LOCALE_DIR", str(locale))
    monkeypatch.setattr(schema, "languages", lambda: catalog.languages(str(locale)))
    assert "fr" in catalog.languages(str(locale))
    assert list(schema.Validator("settings").errors({"language": "fr"})) == []
    assert list(schema.Validator("settings").errors({"language": "xx"})) != []


def test_a_translation_reaching_html_is_escaped() -> None:
    """A catalog entry with markup or quotes cannot break a page; values are escaped too."""
    import jinja2
    from dealbook.site.render import install_catalog

    class Hostile(gettext.NullTranslations):
        def gettext(self, message: str) -> str:
            return '<b>"%(name)s"</b>' if message == "Name %(name)s" else message

    env = jinja2.Environment(autoescape=True, extensions=["jinja2.ext.i18n"])
    install_catalog(env, Hostile())
    html = env.from_string('<input placeholder="{{ _("Name %(name)s", name=who) }}">').render(who="<i>x</i>")
    assert html == '<input placeholder="&lt;b&gt;&#34;&lt;i&gt;x&lt;/i&gt;&#34;&lt;/b&gt;">'


def test_underscore_formats_as_the_i18n_extension_does() -> None:
    """The site's `_()` keeps the text of a message without values (it is asked for thousands of
    times a build): the same text as the extension's own `_`, with values, `%%` and markup alike."""
    import jinja2
    from dealbook.site.render import install_catalog

    class Catalog(gettext.NullTranslations):
        def gettext(self, message: str) -> str:
            return {"Rate": "100%% <sure>", "Name %(name)s": "<b>%(name)s</b>"}.get(message, message)

    source = ('{{ _("Rate") }}|{{ _("Rate") }}|{{ _("Name %(name)s", name=who) }}|{{ _("Name %(name)s", name="&") }}'
              '|{{ _("plain") }}|{% trans %}Rate{% endtrans %}|{{ gettext("Rate") }}')
    texts = []
    for keep in (True, False):
        env = jinja2.Environment(autoescape=True, extensions=["jinja2.ext.i18n"])
        install_catalog(env, Catalog())
        if not keep:
            from jinja2.ext import _gettext_alias

            env.globals["_"] = _gettext_alias
        texts.append(env.from_string(source).render(who="<i>x</i>"))
    assert texts[0] == texts[1]
    assert texts[0].startswith("100% &lt;sure&gt;|100% &lt;sure&gt;|&lt;b&gt;&lt;i&gt;x&lt;/i&gt;&lt;/b&gt;|")


def test_the_old_word_table_says_where_the_words_went() -> None:
    from dealbook.records.settings import default_settings
    from dealbook.site.labels import Labels

    with pytest.raises(TypeError, match="message catalog"):
        Labels(default_settings())("customers")


def test_a_compiled_catalog_is_readable_by_others_and_a_broken_one_is_not_used(tmp_path: Path) -> None:
    locale = tmp_path / "locale"
    shutil.copytree(catalog.LOCALE_DIR, locale, ignore=shutil.ignore_patterns("*.mo"))
    catalog.load("zh", str(locale))
    mo = Path(catalog.catalog_path("zh", str(locale), ".mo"))
    assert mo.stat().st_mode & 0o777 == 0o644
    mo.write_bytes(b"not a catalog")
    os.utime(mo, ns=(mo.stat().st_mtime_ns + 10**9,) * 2)  # newer than the .po: it would be used
    with pytest.raises(OSError), open(mo, "rb") as handle:
        gettext.GNUTranslations(handle)
    assert catalog.load("zh", str(locale), keep_mo=False).gettext("no reason given") == "未写理由"
