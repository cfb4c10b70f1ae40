"""Every `dealbook` example in the README and the guide runs on the demo as written.

The examples are the command lines of the ```sh and ```console blocks (a ```text block is a
synopsis, with placeholders, and is not run). Each block runs in a fresh clone of this
repository (the demo records, its settings and its git history), its commands one after the
other, as the shell runs them: pipes, redirections and `\\` continuations included. A console
block shows what a command prints, and every line it shows must be printed, in that order (a line
with an ellipsis stands for lines left out); when that output shows `Error:` (`错误:` on the Chinese
demo), the example is a refusal and must fail (exit status 1), else it must succeed. The clone's
git identity is the demo's rep 张伟 (zhang), as a rep's own checkout would be, and `$WEBHOOK_URL` is a local server that
takes the digest's webhook body.
"""

from __future__ import annotations

import json
import os
import re
import shutil
import subprocess
import sys
import threading
from dataclasses import dataclass
from http.server import BaseHTTPRequestHandler, HTTPServer
from pathlib import Path
from typing import ClassVar

import pytest
from conftest import ROOT

PAGES = [ROOT / "README.md", *sorted((ROOT / "site" / "guide").glob("*.md"))]
COMMAND = re.compile(r"^(?:[A-Z_]+=\S+ )*dealbook(?=\s|$)")


@dataclass(frozen=True)
class Example:
    page: str
    line: int
    commands: tuple[tuple[str, bool], ...]  # (shell command, shown as a refusal)
    shown: tuple[tuple[str, ...], ...] = ()  # per command, the output lines a console block shows

    @property
    def name(self) -> str:
        return f"{self.page}:{self.line}"


def _commands(language: str, body: str) -> list[tuple[str, bool, tuple[str, ...]]]:
    """The block's dealbook command lines (continuations joined), each with whether its shown
    output is a refusal and the output lines a console block shows for it."""
    lines = body.replace("\\\n", " ").splitlines()
    found: list[tuple[str, bool, tuple[str, ...]]] = []
    for line in lines:
        text = line.strip()
        if language == "console":
            if text.startswith("$ "):
                found.append((text[2:], False, ()))
            elif found:
                command, refused, shown = found[-1]
                found[-1] = (command, refused or "Error:" in text or text.startswith("错误:"), (*shown, line.rstrip()))
        elif COMMAND.match(text):
            found.append((text, False, ()))
    return [item for item in found if COMMAND.match(item[0])]


def blocks(text: str) -> list[tuple[int, str, str]]:
    """The fenced code blocks of a Markdown page: (line of the opening fence, language, body)."""
    found, opened, body = [], None, []
    for number, line in enumerate(text.splitlines(), 1):
        fence = line.strip()
        if opened is None and fence.startswith("```"):
            opened, body = (number, fence[3:].strip()), []
        elif opened is not None and fence == "```":
            found.append((opened[0], opened[1], "\n".join(body) + "\n"))
            opened = None
        elif opened is not None:
            body.append(line)
    return found


def examples() -> list[Example]:
    found = []
    for page in PAGES:
        for line, language, body in blocks(page.read_text(encoding="utf-8")):
            commands = _commands(language, body) if language in ("sh", "console") else []
            if commands:
                found.append(Example(str(page.relative_to(ROOT)), line, tuple(c[:2] for c in commands),
                                     tuple(c[2] for c in commands)))
    return found


EXAMPLES = examples()


class _Webhook(BaseHTTPRequestHandler):
    bodies: ClassVar[list[bytes]] = []

    def do_POST(self) -> None:
        self.bodies.append(self.rfile.read(int(self.headers.get("Content-Length") or 0)))
        self.send_response(200)
        self.send_header("Content-Type", "application/json")
        self.end_headers()
        self.wfile.write(b'{"errcode":0,"errmsg":"ok"}')

    def log_message(self, *args) -> None:
        pass


@pytest.fixture(scope="module")
def webhook():
    server = HTTPServer(("127.0.0.1", 0), _Webhook)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    yield f"http://127.0.0.1:{server.server_port}/send"
    server.shutdown()


@pytest.fixture(scope="module")
def clone(tmp_path_factory) -> Path:
    if not (ROOT / ".git").exists():
        pytest.skip("the examples run on a clone of this repository's git history")
    target = tmp_path_factory.mktemp("docs") / "demo"
    subprocess.run(["git", "clone", "-q", str(ROOT), str(target)], check=True)
    listed = subprocess.run(["git", "-C", str(ROOT), "ls-files", "-z", "--cached", "--others", "--exclude-standard"],
                            capture_output=True, check=True).stdout.decode("utf-8").split("\0")
    for name in filter(None, listed):  # the working tree as it is, uncommitted edits included
        source = ROOT / name
        if source.is_file():
            (target / name).parent.mkdir(parents=True, exist_ok=True)
            shutil.copy2(source, target / name)
        elif not source.exists() and (target / name).exists():
            (target / name).unlink()
    subprocess.run(["git", "-C", str(target), "config", "user.email", "zhang.wei@example.com"], check=True)
    subprocess.run(["git", "-C", str(target), "config", "user.name", "zhangwei"], check=True)
    subprocess.run("git add -A && (git diff --cached --quiet || git commit -q -m 'the working tree')",
                   shell=True, cwd=target, check=True)
    return target


def _fresh(clone: Path) -> None:
    subprocess.run("git checkout -q -- . && git clean -qffdx -e .dealbook-cache", shell=True, cwd=clone, check=True)


def test_the_examples_are_found() -> None:
    """The collector sees the examples it is for (a test that finds none would pass on nothing)."""
    runs = {command for example in EXAMPLES for command, _ in example.commands}
    assert len(runs) > 60
    assert "dealbook check --strict" in {re.sub(r"\s+#.*", "", c).strip() for c in runs}
    assert not any("[--period" in c for example in EXAMPLES for c, _ in example.commands)  # synopses are text


def test_every_block_with_a_dealbook_command_says_what_it_is() -> None:
    """A block of dealbook commands is ```sh or ```console (run here) or ```text (a synopsis,
    not run): an unlabelled block would hide an example from this test."""
    unlabelled = [f"{page.relative_to(ROOT)}:{line}" for page in PAGES
                  for line, language, body in blocks(page.read_text(encoding="utf-8"))
                  if language == "" and any(COMMAND.match(row.strip().removeprefix("$ ")) for row in body.splitlines())]
    assert unlabelled == []


_ANSI = re.compile(r"\x1b\[[0-9;]*m")


def _not_printed(shown: tuple[str, ...], output: str) -> list[str]:
    """The lines a console block shows for a command that the command did not print, in the order
    shown. A line with an ellipsis (… or ...) stands for what was left out, and a prompt's answer
    (`[y/N]: y`) is typed, not printed: neither is compared (what follows a prompt is printed on
    the prompt's line when the answer comes from a pipe, and on the next line on a terminal)."""
    printed = [part.rstrip() for line in _ANSI.sub("", output).splitlines()
               for part in line.replace("[y/N]: ", "[y/N]: \n").splitlines()]
    missing, at = [], 0
    for line in shown:
        if not line.strip() or "…" in line or "..." in line or "[y/N]" in line:
            continue
        try:
            at = printed.index(line, at) + 1
        except ValueError:
            missing.append(line)
    return missing


def test_shown_output_is_compared_line_by_line() -> None:
    assert _not_printed(("a", "…", "c"), "a\nb\nc  \n") == []
    assert _not_printed(("c", "a"), "a\nb\nc\n") == ["a"]  # in the order shown
    assert _not_printed(("b 2",), "\x1b[31mb 2\x1b[0m\n") == []
    assert _not_printed(("x",), "a\n") == ["x"]
    printed = "Write 2 files? [y/N]: 2 files changed:\n"
    assert _not_printed(("Write 2 files? [y/N]: y", "2 files changed:"), printed) == []


@pytest.mark.skipif(shutil.which("bash") is None, reason="the examples are shell lines")
@pytest.mark.parametrize("example", EXAMPLES, ids=lambda e: e.name)
def test_the_example_runs_on_the_demo(example: Example, clone: Path, webhook: str) -> None:
    _fresh(clone)
    bin_dir = str(Path(sys.executable).parent)
    env = {**os.environ, "WEBHOOK_URL": webhook, "NO_MKDOCS_2_WARNING": "1",
           "PATH": bin_dir + os.pathsep + os.environ.get("PATH", "")}
    _Webhook.bodies.clear()
    for (command, refused), shown in zip(example.commands, example.shown, strict=True):
        if "| curl " in command and shutil.which("curl") is None:
            pytest.skip("curl is not installed (.ci/run installs it)")
        result = subprocess.run(["bash", "-o", "pipefail", "-c", command], cwd=clone, env=env, input="y\n",
                                capture_output=True, text=True, timeout=300)
        said = (f"{example.name}: `{command}` exited {result.returncode}\n"
                f"{result.stdout[-2000:]}\n{result.stderr[-2000:]}")
        assert "Traceback" not in result.stderr, said
        if refused:
            assert result.returncode == 1, said
        else:
            assert result.returncode == 0, said
        missing = _not_printed(shown, result.stdout + result.stderr)
        assert missing == [], f"{said}\nshown in the guide but not printed: {missing}"
        if "$WEBHOOK_URL" in command:
            assert _Webhook.bodies and json.loads(_Webhook.bodies[-1])["msgtype"] == "markdown", said


def _console_output(page: Path) -> list[str]:
    return [line.rstrip() for _, language, body in blocks(page.read_text(encoding="utf-8")) if language == "console"
            for line in body.splitlines() if not line.lstrip().startswith("$ ")]


@pytest.mark.parametrize("page", [p for p in PAGES[1:] if (p.parent / "zh" / p.name).exists()], ids=lambda p: p.name)
def test_the_chinese_twin_shows_the_same_output(page: Path) -> None:
    """The console blocks of a guide page's Chinese twin show what the English page shows (the
    commands' comments may be translated): the English page's output is the one checked above."""
    assert _console_output(page.parent / "zh" / page.name) == _console_output(page)
