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
# Operating systems, and the memory measure the speed figures name.
GUIDE_WORDS |= {"Linux", "macOS", "Windows", "PSS"}
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


# Latin-script words a Chinese reader expects on the site: product and theme names, calendar
# apps, the grade letters' heading. Anything else in Latin script must come from the records.
KNOWN_WORDS = {"dealbook", "git", "Git", "iCalendar", "Outlook", "Google", "Apple", "URL", "ABC", "Made", "with",
               "Material", "for", "MkDocs", "Not", "found", "Asia", "Shanghai", "IM"}
# GB/T 4754 industry codes (C39) and quarters (2024-Q2) read as they are written.
READ_AS_WRITTEN = re.compile(r"[A-T]\d{2,4}|Q[1-4]")
# Every kind of generated page (the first path segment; `index.html` is the dashboard).
PAGE_KINDS = {"index.html", "404.html", "agenda", "at-risk", "board", "by", "changes", "customers", "owners",
              "problems", "process", "reports", "reviews"}
WORD = re.compile(r"[A-Za-z][A-Za-z0-9_.\[\]-]*[A-Za-z0-9\]]|[A-Za-z]{2,}")
BARE_CODE = re.compile(r"[a-z][a-z0-9_]*")


def record_words(root: Path) -> set[str]:
    """Latin words the records themselves say (names, needs, e-mails, contract numbers), leaving
    out every value that is a bare code (`integration`, `held`, `decision_maker`): a code on the
    page is a missing label, and a member's handle is a missing name."""
    import yaml

    def strings(value):
        if isinstance(value, dict):
            for item in value.values():
                yield from strings(item)
        elif isinstance(value, list):
            for item in value:
                yield from strings(item)
        elif isinstance(value, str):
            yield value

    found: set[str] = set()
    for path in (root / "records").rglob("*.yaml"):
        data = yaml.safe_load(path.read_text("utf-8"))
        if path.name == "team.yaml":  # members' e-mail addresses only (a handle must show as the name)
            data = [m.get("email", "") for m in data["members"]]
        for text in strings(data):
            if not BARE_CODE.fullmatch(text):
                found.update(WORD.findall(text))
    for line in subprocess.run(["git", "log", "--format=%an", "--", "records"], cwd=root, capture_output=True,
                               text=True).stdout.splitlines():  # git authors who are not members show as written
        found.update(WORD.findall(line))
    config = (root / "mkdocs.yml").read_text("utf-8")
    found.update(WORD.findall(re.search(r"^repo_name: (.+)$", config, re.M).group(1)))
    return found


def generated_pages(public: Path) -> list[Path]:
    """The pages the plugin writes (the guide's Chinese twins are checked by the guide's own test)."""
    return [p for p in pages(public) if not p.relative_to(public).as_posix().startswith("guide/")]


def member_named(text: str, names: dict[str, str]) -> str:
    """`陈静 (chen)` is a member shown by name with the handle beside it: drop the handle."""
    for handle, name in names.items():
        text = text.replace(f"{name} ({handle})", name)
    return text


def english_words_on(public: Path) -> set[tuple[str, str, str]]:
    import yaml

    team = yaml.safe_load((ROOT / "records" / "team.yaml").read_text("utf-8"))
    names = {m["handle"]: m["name"] for m in team["members"]}
    allowed = KNOWN_WORDS | (record_words(ROOT) - set(names))
    found = set()
    for page in generated_pages(public):
        for text in visible_text(page.read_text("utf-8")):
            for word in WORD.findall(member_named(text, names)):
                if word not in allowed and not READ_AS_WRITTEN.fullmatch(word):
                    found.add((page.relative_to(public).as_posix(), word, text[:100]))
    return found


def test_every_page_kind_is_read(chinese_site: Path) -> None:
    kinds = {p.relative_to(chinese_site).parts[0] for p in generated_pages(chinese_site)}
    assert kinds >= PAGE_KINDS, PAGE_KINDS - kinds
    assert len(generated_pages(chinese_site)) > 100


def test_no_english_word_or_key_name_in_visible_text_on_the_chinese_site(chinese_site: Path) -> None:
    """Every Latin-script word on a generated page is a name from the records or a product name:
    no English sentence that escaped the catalog (a git change-log line), no key name
    (`need.timeline.start`, `lead.plan`), no code value (`integration`, `churn`) and no handle
    where a member's name belongs (`li 2024-03-20 提出`)."""
    found = english_words_on(chinese_site)
    assert sorted(found)[:30] == [], len(found)


def test_no_key_path_shown_as_code_on_the_chinese_site(chinese_site: Path) -> None:
    """Notes say what a setting means in words and link the settings guide: no `deal.amount` or
    `stages[].rotting_days` as code. (A YAML line to type, like the stage-move hint, may show a key.)"""
    found = set()
    for page in generated_pages(chinese_site):
        for code in re.findall(r"<code>([^<]*)</code>", page.read_text("utf-8")):
            key = re.fullmatch(r"[a-z_]+(\[\])?(\.[a-z_]+(\[\])?)+(: \w+)?", code.strip())
            if key and not re.search(r"\.(com|cn|net|org)$", code.strip()):  # e-mail domains are not keys
                found.add((page.relative_to(chinese_site).as_posix(), code))
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
    names = {"li": "李娜", "chen": "陈静"}
    said = [member_named(t, names) for t in
            ["协助请求:出方案(li 2024-03-20 提出)", "陈静 (chen)", "follow-up 2024-05-08-visit added",
             "未填写计划启动时间(need.timeline.start)", "异议:integration", "审批人:manager, gm"]]
    words = [w for t in said for w in WORD.findall(t)]
    assert words == ["li", "follow-up", "visit", "added", "need.timeline.start", "integration", "manager", "gm"]


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
