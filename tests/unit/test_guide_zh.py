"""The guide in Chinese: `site/guide/zh/<name>.md` translates `site/guide/<name>.md`, keeps its
twin's heading anchors (so `settings.md#targets` works in both languages) and its commands."""

from __future__ import annotations

import shlex
from collections import Counter
from pathlib import Path

import markdown
import pytest
from mkdocs.config import load_config

ROOT = Path(__file__).resolve().parents[2]
GUIDE = ROOT / "site" / "guide"
ZH = GUIDE / "zh"
ENGLISH = sorted(GUIDE.glob("*.md"))
TRANSLATED = sorted(ZH.glob("*.md"))
SITE = load_config(config_file=str(ROOT / "mkdocs.yml"))


def heading_ids(text: str) -> list[str]:
    """The anchor ids MkDocs gives the headings, with the site's Markdown extensions (mkdocs.yml's
    and the ones MkDocs always adds, such as fenced code)."""
    md = markdown.Markdown(extensions=SITE.markdown_extensions, extension_configs=SITE.mdx_configs)
    md.convert(text)
    found: list[str] = []

    def walk(tokens: list[dict]) -> None:
        for token in tokens:
            found.append(token["id"])
            walk(token["children"])

    walk(md.toc_tokens)
    return found


def code_blocks(text: str) -> list[list[str]]:
    """The lines of each fenced code block (``` or ~~~, indented or not)."""
    blocks: list[list[str]] = []
    fence, lines = None, []
    for line in text.splitlines():
        stripped = line.strip()
        if fence is None:
            if stripped.startswith(("```", "~~~")):
                fence, lines = stripped[:3], []
        elif stripped.startswith(fence) and stripped.strip(fence[0]) == "":
            blocks.append(lines)
            fence = None
        else:
            lines.append(line)
    return blocks


def commands(text: str) -> Counter:
    """The `dealbook …` command lines of the code blocks, continuation lines joined, shell
    comments left out (a translation may translate them), as shell words."""
    found: Counter = Counter()
    for block in code_blocks(text):
        joined: list[str] = []
        for line in block:
            if joined and joined[-1].endswith("\\"):
                joined[-1] = joined[-1][:-1] + " " + line.strip()
            else:
                joined.append(line.strip())
        for line in joined:
            if line.startswith("$ "):
                line = line[2:]
            if not line.startswith("dealbook "):
                continue
            try:
                found[tuple(shlex.split(line, comments=True))] += 1
            except ValueError:  # not shell (an unbalanced quote): compare the line itself
                found[(line,)] += 1
    return found


def twin(page: Path) -> Path:
    return GUIDE / page.name


def test_every_english_page_has_a_chinese_twin():
    """A `language: zh` site shows a page without a twin in English: every page needs one."""
    assert ENGLISH
    assert sorted(p.name for p in ENGLISH if not (ZH / p.name).exists()) == []


def test_no_chinese_page_is_an_orphan():
    assert TRANSLATED
    assert sorted(p.name for p in TRANSLATED if not twin(p).exists()) == []


@pytest.mark.parametrize("page", TRANSLATED, ids=lambda p: p.name)
def test_a_chinese_page_has_its_twins_heading_anchors(page: Path):
    english = heading_ids(twin(page).read_text("utf-8"))
    chinese = heading_ids(page.read_text("utf-8"))
    assert english and len(set(english)) == len(english)
    extra, missing = sorted(set(chinese) - set(english)), sorted(set(english) - set(chinese))
    assert sorted(chinese) == sorted(english), f"not in the English page: {extra}; missing: {missing}"


@pytest.mark.parametrize("page", TRANSLATED, ids=lambda p: p.name)
def test_a_chinese_page_gives_the_same_commands(page: Path):
    assert commands(page.read_text("utf-8")) == commands(twin(page).read_text("utf-8"))


def test_the_helpers_see_what_they_should():
    """Anchors come from toc's slugify or attr_list; commands from fenced blocks only, comments
    left out, continuation lines joined (a check that cannot fail is no check)."""
    assert heading_ids("# The sales process\n\n## Grade (ABC 分级)\n\n## 目标 {#targets}\n\n## Grade (ABC 分级)\n") == [
        "the-sales-process", "grade-abc", "targets", "grade-abc_1"]
    text = ("Run `dealbook check`.\n\n```sh\n$ dealbook agenda --owner zhang   # 自己的\n"
            "dealbook log X --summary \"a # b\" \\\n    --method phone\ngit push\n```\n")
    assert commands(text) == Counter({("dealbook", "agenda", "--owner", "zhang"): 1,
                                      ("dealbook", "log", "X", "--summary", "a # b", "--method", "phone"): 1})
    assert commands(text.replace("zhang", "li")) != commands(text)
