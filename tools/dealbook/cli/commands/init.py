"""`dealbook init DIR`: a new, ready records repo (settings, schemas, team, site, hooks, CI, first commit)."""

from __future__ import annotations

import getpass
import os
import re
import shutil
import subprocess
from importlib import resources
from pathlib import Path

import click

from ...records.schema import schema_text
from ...records.settings import default_settings_text
from ...records.writing import atomic_write, os_error_text
from ...text.catalog import Translator, translator
from ..click_words import Command

PRESETS = ("default", "fulfilment", "four-stage", "full-cycle")
# CI files: package data when built from the product repo (setup.py copies them), else the source checkout.
CI_FILES = {".github/workflows/records.yml": "records.yml", ".gitlab-ci.yml": "gitlab-ci.yml"}
_TOP_KEY = re.compile(r"^([a-z_]+):")


def template(name: str) -> str:
    return resources.files("dealbook").joinpath(f"cli/templates/init/{name}").read_text("utf-8")


def _blocks(text: str) -> tuple[list[str], dict[str, list[str]], list[str]]:
    """Top-level keys of a YAML text and their lines (comment lines before a key belong to it)."""
    head: list[str] = []
    blocks: dict[str, list[str]] = {}
    order: list[str] = []
    pending: list[str] = []
    current: list[str] | None = None
    for line in text.splitlines(keepends=True):
        m = _TOP_KEY.match(line)
        if m:
            current = blocks[m.group(1)] = [*pending, line]
            order.append(m.group(1))
            pending = []
        elif line.startswith("#") or not line.strip():
            pending.append(line)
        elif current is not None:
            current.extend([*pending, line])
            pending = []
        else:
            head.extend([*pending, line])
            pending = []
    if current is None:
        head.extend(pending)
    elif pending:
        current.extend(pending)
    return head, blocks, order


def settings_text(lang: str, preset: str) -> str:
    """dealbook.yaml: the packaged defaults (with their comments), the language and stage preset applied."""
    text = default_settings_text().replace("$schema=../schemas/", "$schema=schemas/", 1)
    text = re.sub(r"^language: zh( *)", lambda m: f"language: {lang}{m.group(1)}", text, count=1, flags=re.M)
    if preset == "default":
        return text
    head, blocks, order = _blocks(text)
    _, replacements, _ = _blocks(template(f"stages/{preset}.yaml"))
    intro = template(f"stages/{preset}.yaml").split("\n")[0]
    for key, lines in replacements.items():
        if key in blocks:
            blocks[key] = lines if lines[-1].endswith("\n") else [*lines[:-1], lines[-1] + "\n"]
    body = "".join(head) + f"\n# Stage preset {preset} (dealbook init --stages {preset}).\n{intro}\n"
    return body + "".join("".join(blocks[key]) for key in order)


def _git(args: list[str], cwd: str, identity: tuple[str, str] | None = None) -> subprocess.CompletedProcess:
    command = ["git"]
    if identity:
        command += ["-c", f"user.name={identity[0]}", "-c", f"user.email={identity[1]}"]
    return subprocess.run(command + args, cwd=cwd, capture_output=True, text=True)


def _git_identity(cwd: str) -> tuple[str, str]:
    if not shutil.which("git"):
        return "", ""
    name = _git(["config", "user.name"], cwd).stdout.strip()
    email = _git(["config", "user.email"], cwd).stdout.strip()
    return name, email


def _handle_from(text: str) -> str:
    handle = re.sub(r"[^a-z0-9_.-]+", "", (text or "").lower())
    return handle if re.match(r"^[a-z][a-z0-9_.-]*$", handle or "") else "owner"


def _ci_source(name: str) -> str | None:
    packaged = resources.files("dealbook").joinpath(f"cli/templates/init/ci/{CI_FILES[name]}")
    if packaged.is_file():
        return packaged.read_text("utf-8")
    checkout = Path(__file__).resolve().parents[4] / name  # an editable install runs from the product repo
    if checkout.is_file() and (checkout.parents[len(Path(name).parts) - 1] / "pyproject.toml").is_file():
        return checkout.read_text("utf-8")
    return None


def write_repo(target: str, lang: str, preset: str, handle: str, name: str, email: str = "") -> list[str]:
    """Write every file of a new records repo; the repo-relative paths written."""
    from ...editing.roundtrip import render_new
    _ = translator(lang)
    title = _("Sales records")
    files: dict[str, str] = {
        "dealbook.yaml": settings_text(lang, preset),
        "mkdocs.yml": template("mkdocs.yml").format(site_name=title, language=lang),
        ".pre-commit-config.yaml": template("pre-commit-config.yaml"),
        ".vscode/settings.json": template("vscode-settings.json"),
        ".vscode/extensions.json": template("vscode-extensions.json"),
        ".gitignore": template("gitignore"),
        "README.md": template(f"README.{lang}.md").replace("{site_name}", title),
        "site/index.md": template("site-index.md").format(
            site_name=title,
            welcome=_("Customer, follow-up, agenda and report pages are generated by dealbook from records/.")),
    }
    member = {"handle": handle, "name": name, "role": "manager"}
    if email:
        member["email"] = email
    files["records/team.yaml"] = render_new("team", {"members": [member]})
    for kind in ("customer", "followup", "team", "settings"):
        files[f"schemas/{kind}.schema.json"] = schema_text(kind)
    for ci_path in CI_FILES:
        text = _ci_source(ci_path)
        if text is not None:
            files[ci_path] = text
    for relative, text in files.items():
        atomic_write(os.path.join(target, relative), text)
    for folder in ("records/customers", "records/followups"):
        atomic_write(os.path.join(target, folder, ".gitkeep"), "")
    return sorted(files)


@click.command(cls=Command)
@click.argument("directory", type=click.Path(file_okay=False))
@click.option("--lang", type=click.Choice(["zh", "en"]), default="zh", show_default=True,
              help="Language of labels, the site and the README.")
@click.option("--stages", "preset", type=click.Choice(PRESETS), default="default", show_default=True,
              help="Stage preset: default (six stages + lost), fulfilment (seven: contract and fulfilment), "
                   "four-stage (four, cadence by stage), full-cycle (seven, from prospecting to repeat business).")
@click.option("--owner", "handle", default=None, help="Your team handle (default: from git user.email or $USER).")
@click.option("--name", "name", default=None, help="Your name for records/team.yaml (default: git user.name).")
@click.option("--no-git", is_flag=True, help="Do not run git init, pre-commit install or the first commit.")
def init(directory: str, lang: str, preset: str, handle: str | None, name: str | None, no_git: bool) -> None:
    """Create a ready records repo in DIRECTORY (new or empty).

    Writes dealbook.yaml (the process settings, commented), schemas/, records/team.yaml with
    you as its one member, mkdocs.yml, .pre-commit-config.yaml, .vscode/settings.json, the CI
    files, a README for the team and .gitignore; then, when git is installed, `git init`,
    `pre-commit install` (when pre-commit is installed) and a first commit. The new repo
    passes `dealbook check`.

    \b
    Example:
        dealbook init my-sales
        dealbook init my-sales --lang en --stages four-stage --owner wang --name 王芳
    """
    _ = translator(lang)  # the new repo's language, from the start
    target = os.path.abspath(directory)
    if os.path.exists(target) and (not os.path.isdir(target) or os.listdir(target)):
        raise click.ClickException(_("%(folder)s is not empty: give a new or empty folder", folder=directory))
    git_name, git_email = _git_identity(os.path.dirname(target) if os.path.isdir(os.path.dirname(target)) else ".")
    if handle is None:
        handle = _handle_from(git_email.split("@")[0] if git_email else getpass.getuser())
    elif not re.match(r"^[a-z][a-z0-9_.-]*$", handle):
        raise click.BadParameter(_("a handle is lower case: letters, digits, . _ -, starting with a letter"),
                                 param_hint="--owner")
    name = name or git_name or handle
    try:
        os.makedirs(target, exist_ok=True)
        written = write_repo(target, lang, preset, handle, name, git_email)
    except OSError as exc:  # a place that cannot be written: read-only, full, not a real folder
        raise click.ClickException(_("cannot create %(folder)s: %(error)s (%(path)s)", folder=directory,
                                     error=os_error_text(exc, _), path=exc.filename or target)) from None
    _verify(target, _)
    click.echo(_.ngettext("created %(folder)s: %(num)d file (stages: %(stages)s, language: %(language)s, owner: "
                          "%(owner)s)",
                          "created %(folder)s: %(num)d files (stages: %(stages)s, language: %(language)s, owner: "
                          "%(owner)s)", len(written), folder=directory, stages=preset, language=lang, owner=handle))
    if no_git or not shutil.which("git"):
        if not no_git:
            click.echo(_("git is not installed: skipped git init and the first commit"))
        return
    identity = None if (git_name and git_email) else (name, git_email or f"{handle}@localhost")
    steps = [["init", "-q", "-b", "main"]]
    for step in steps:
        result = _git(step, target)
        if result.returncode != 0:
            raise click.ClickException(_("%(command)s failed: %(error)s", command="git " + " ".join(step),
                                         error=result.stderr.strip()))
    if shutil.which("pre-commit"):
        result = subprocess.run(["pre-commit", "install"], cwd=target, capture_output=True, text=True)
        click.echo(_("pre-commit hook installed") if result.returncode == 0
                   else _("pre-commit install failed (run it later): %(error)s",
                          error=result.stderr.strip() or result.stdout.strip()))
    else:
        click.echo(_("pre-commit is not installed: run `pip install pre-commit && pre-commit install` in the repo"))
    for step in (["add", "-A"], ["commit", "-q", "--no-verify", "-m", "dealbook init"]):
        result = _git(step, target, identity)
        if result.returncode != 0:
            raise click.ClickException(_("%(command)s failed: %(error)s", command="git " + " ".join(step[:2]),
                                         error=result.stderr.strip()))
    click.echo(_("first commit made; next: `cd %(folder)s`, then `dealbook import <sheet>.xlsx` or "
                 "`dealbook new customer`", folder=directory))


def _verify(target: str, _: Translator) -> None:
    """The new repo must pass `dealbook check`; anything else is dealbook's bug, said plainly."""
    from ...checks.reading import open_book
    from ...records.diagnostics import ERROR

    book = open_book(target, use_cache=False)
    errors = [d for d in book.diagnostics if d.severity == ERROR]
    if errors:
        first = errors[0]
        error = f"{first.path}:{first.line}: {first.code}: {first.message}"
        raise click.ClickException(_("the new repo does not pass dealbook check (%(error)s); please report this",
                                     error=error))
