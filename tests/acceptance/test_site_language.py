"""The demo site in Chinese says everything in Chinese: `mkdocs build` on the demo, then every
page's visible text (HTML text nodes outside <code>, <pre>, <script>, <style>; attributes are
not text) must hold no English message of the catalog and no snake_case code.

Allowed: proper names and ids from the records, YAML keys shown as <code>. The guide's pages are
served from their Chinese twins (site/guide/zh/): their prose holds no English word either, but
for the names in GUIDE_WORDS (products, formats, commands)."""

from __future__ import annotations

import os
import re
import subprocess
import sys
from html import unescape
from html.parser import HTMLParser
from pathlib import Path

import pytest
from dealbook.text import catalog

ROOT = Path(__file__).resolve().parents[2]
HIDDEN = {"code", "pre", "script", "style", "svg", "kbd", "samp", "textarea", "template"}
VOID = {"area", "base", "br", "col", "embed", "hr", "img", "input", "link", "meta", "source", "track", "wbr"}
SNAKE = re.compile(r"\b[a-z][a-z0-9]*_[a-z0-9_]*[a-z0-9]\b")
# Words that look like codes but are names a reader knows (none yet: add with a reason).
ALLOWED_CODES: set[str] = set()
GUIDE_ZH = ROOT / "site" / "guide" / "zh"
TRANSLATED = sorted(page.stem for page in GUIDE_ZH.glob("*.md"))
# English words a Chinese guide may use as they are, outside code: names of products, formats,
# protocols and the tool itself. Add a word here only if a Chinese reader would write it too.
GUIDE_WORDS = {
    "dealbook", "ABC", "git", "Git", "GitHub", "GitLab", "Gitea", "Forgejo", "YAML", "MkDocs", "Material",
    "CSV", "Excel", "JSON", "HTML", "Markdown", "Python", "CI", "ID", "IM", "PR", "URL", "UTF",
    "BOM", "SQLite", "Datasette", "BI", "iCalendar", "ICS", "Outlook", "Google", "Apple",
    "Thunderbird", "Webhook", "webhook", "pre-commit", "CODEOWNERS", "GB", "jieba", "Actions", "Slack",
    "IANA", "ISO", "IP", "VPN", "QQ", "Pipedrive", "Internet", "Web",
}
# Units, encodings and web terms a Chinese technical text writes in Latin letters too.
GUIDE_WORDS |= {"CPU", "MB", "KB", "px", "GBK", "XML", "SVG", "CDN", "JavaScript", "WPS", "Pages"}
# A run of Latin letters that is a word of its own (not part of an id such as 粤IT2024001 or HT-9).
LATIN_WORD = re.compile(r"(?<![A-Za-z0-9_-])[A-Za-z][A-Za-z'-]*[A-Za-z](?![A-Za-z0-9_-])")


class VisibleText(HTMLParser):
    """The text a reader sees: data outside hidden elements, with the nearest tag path."""

    def __init__(self) -> None:
        super().__init__(convert_charrefs=True)
        self.stack: list[str] = []
        self.texts: list[str] = []

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        if tag not in VOID:
            self.stack.append(tag)

    def handle_endtag(self, tag: str) -> None:
        if tag in self.stack:
            while self.stack and self.stack.pop() != tag:
                pass

    def handle_data(self, data: str) -> None:
        if data.strip() and not HIDDEN.intersection(self.stack):
            self.texts.append(" ".join(data.split()))


def visible_text(html: str) -> list[str]:
    parser = VisibleText()
    parser.feed(html)
    return parser.texts


def english_messages() -> list[re.Pattern[str]]:
    """A pattern per catalog message whose Chinese differs from its English (placeholders match
    anything), for messages of two words or more: a one-word English label alone on a page is
    matched exactly instead (see `english_words`)."""
    translations = catalog.load("zh")
    found = []
    for message, translation in _messages(translations):
        literal = re.sub(r"%\(\w+\)[sd]", " ", message)
        if translation == message or len(re.findall(r"[A-Za-z]{2,}", literal)) < 2:
            continue
        pattern = re.escape(message.replace("%%", "%"))
        pattern = re.sub(r"%\\\((\w+)\\\)[sd]", ".+?", pattern)
        found.append(re.compile(pattern))
    return found


def english_words() -> set[str]:
    translations = catalog.load("zh")
    return {m for m, t in _messages(translations) if t != m and len(m.split()) == 1 and len(m) > 2 and "%" not in m}


def _messages(translations):
    from babel.messages.pofile import read_po

    with open(catalog.catalog_path("zh"), "rb") as handle:
        po = read_po(handle)
    for message in po:
        if not message.id:
            continue
        text = message.id[0] if isinstance(message.id, tuple) else message.id
        string = message.string[0] if isinstance(message.string, (tuple, list)) else message.string
        yield text, string


@pytest.fixture(scope="module")
def chinese_site(tmp_path_factory) -> Path:
    public = tmp_path_factory.mktemp("zh") / "public"
    env = {**os.environ, "NO_MKDOCS_2_WARNING": "1"}
    env.pop("DEALBOOK_TODAY", None)
    done = subprocess.run([sys.executable, "-m", "mkdocs", "build", "--site-dir", str(public)], cwd=ROOT,
                          capture_output=True, text=True, env=env, timeout=900)
    assert done.returncode == 0, done.stderr
    return public


def pages(public: Path) -> list[Path]:
    """The generated pages, the home page and the guide's pages that have a Chinese twin."""
    return [p for p in sorted(public.rglob("*.html")) if not _untranslated_guide(p.relative_to(public).as_posix())]


def _untranslated_guide(path: str) -> bool:
    return path.startswith("guide/") and path.split("/")[1] not in TRANSLATED


def article(html: str) -> str:
    """The page's own content (no header, sidebar or footer)."""
    start = html.index("<article")
    return html[start:html.index("</article>", start)]


def english_in_the_guide(html: str) -> set[str]:
    """The English words of a guide page's prose that are no names a Chinese reader keeps."""
    return {word for text in visible_text(article(html)) for word in LATIN_WORD.findall(text)} - GUIDE_WORDS


def test_the_demo_is_chinese() -> None:
    from dealbook.records.settings import load_settings

    assert load_settings(str(ROOT)).language == "zh"


def test_no_english_message_on_the_chinese_site(chinese_site: Path) -> None:
    patterns, words = english_messages(), english_words()
    assert patterns and words
    found = set()
    for page in pages(chinese_site):
        for text in visible_text(page.read_text("utf-8")):
            if text in words:
                found.add((page.relative_to(chinese_site).as_posix(), text))
            for pattern in patterns:
                if pattern.search(text):
                    found.add((page.relative_to(chinese_site).as_posix(), pattern.pattern))
    assert sorted(found)[:20] == []


def test_no_snake_case_code_outside_code_on_the_chinese_site(chinese_site: Path) -> None:
    found = set()
    for page in pages(chinese_site):
        for text in visible_text(page.read_text("utf-8")):
            for code in SNAKE.findall(text):
                if code not in ALLOWED_CODES:
                    found.add((page.relative_to(chinese_site).as_posix(), code, text[:80]))
    assert sorted(found)[:20] == []


def test_the_checks_see_what_they_should() -> None:
    """The parser and patterns catch a leak (a test that cannot fail is no test)."""
    html = ('<p>跟进 <code>next_action</code> change_contact_method</p><script>var a_b = 1</script>'
            '<td>not enough history</td><input placeholder="a_b">')
    texts = visible_text(html)
    assert [c for t in texts for c in SNAKE.findall(t)] == ["change_contact_method"]
    assert any(p.search("not enough history") for p in english_messages())
    page = ('<nav>Guide</nav><article class="md-content__inner"><p>用 dealbook 和 git,'
            'the agenda 粤IT2024001 HT-9 <code>next_action due</code></p></article>')
    assert english_in_the_guide(page) == {"the", "agenda"}


def test_the_guide_is_listed_in_chinese_in_the_sidebar(chinese_site: Path) -> None:
    html = (chinese_site / "index.html").read_text("utf-8")
    nav = html[html.index('<nav class="md-nav md-nav--primary"'):]
    for title in ("使用指南", "日常使用", "销售流程规则", "流程设置", "内部网站"):
        assert title in nav, title
    assert "Daily use" not in nav


def test_the_guide_is_served_in_chinese_at_the_english_addresses(chinese_site: Path) -> None:
    assert "process" in TRANSLATED
    assert not (chinese_site / "guide" / "zh").exists()
    for name in TRANSLATED:
        html = (chinese_site / "guide" / name / "index.html").read_text("utf-8")
        source = (GUIDE_ZH / f"{name}.md").read_text("utf-8")
        title = re.search(r"^# (.+?)(?: \{#[^}]*\})?$", source, re.M).group(1)
        h1 = re.search(r"<h1 id=\"[^\"]+\">(.*?)<a class=\"headerlink\"", html, re.S).group(1)
        assert unescape(re.sub(r"<[^>]+>", "", h1)).strip() == title.replace("`", ""), name
        edit = f"https://git.example.com/sales/dealbook/edit/main/site/guide/zh/{name}.md"
        assert f'href="{edit}"' in html, name
    html = (chinese_site / "guide" / "process" / "index.html").read_text("utf-8")
    assert '<h2 id="next-due-date">下次跟进日期' in html and "Next due date" not in html
    assert '<a href="../reports/">报表指南</a>' in article(html)  # links between guide pages still work


def test_the_chinese_guide_has_no_english_prose(chinese_site: Path) -> None:
    found = {}
    for name in TRANSLATED:
        words = english_in_the_guide((chinese_site / "guide" / name / "index.html").read_text("utf-8"))
        if words:
            found[name] = sorted(words)
    assert found == {}
