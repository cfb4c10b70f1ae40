"""Everything the package reads at run time ships in the wheel (a plain `pip install .` works anywhere)."""

from __future__ import annotations

import fnmatch

import tomllib
from conftest import ROOT


def test_every_data_file_is_covered_by_package_data() -> None:
    config = tomllib.loads((ROOT / "pyproject.toml").read_text(encoding="utf-8"))
    globs = config["tool"]["setuptools"]["package-data"]["dealbook"]
    package = ROOT / "tools" / "dealbook"
    uncovered = []
    for path in package.rglob("*"):
        if path.is_dir() or path.suffix in (".py", ".pyc") or "__pycache__" in path.parts:
            continue
        relative = path.relative_to(package).as_posix()
        # setuptools' `**` matches any depth, including none
        if not any(fnmatch.fnmatch(relative, g) or fnmatch.fnmatch(relative, g.replace("**/", "")) for g in globs):
            uncovered.append(relative)
    assert uncovered == []


def test_schemas_and_defaults_load_from_the_package() -> None:
    from dealbook.records.schema import KINDS, schema_text
    from dealbook.records.settings import default_settings

    assert all(schema_text(kind).startswith("{") for kind in KINDS)
    assert default_settings().stage_keys[0] == "lead"


def test_repo_schemas_is_a_link_into_the_package() -> None:
    link = ROOT / "schemas"
    assert link.resolve() == (ROOT / "tools" / "dealbook" / "records" / "schemas").resolve()
