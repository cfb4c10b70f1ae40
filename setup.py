"""Build hook: ship the product repo's CI files inside the package, so `dealbook init` can copy them,
and compile the message catalogs (`text/locale/*/LC_MESSAGES/dealbook.po` → `.mo`) into the build.

Everything else about the build is in pyproject.toml."""

from __future__ import annotations

import importlib.util
import os
import shutil

from setuptools import setup
from setuptools.command.build_py import build_py

CATALOG_MODULE = os.path.join("tools", "dealbook", "text", "catalog.py")
CI_FILES = {".github/workflows/records.yml": "records.yml", ".gitlab-ci.yml": "gitlab-ci.yml"}


def compile_catalogs(build_lib: str) -> list[str]:
    """Compile the catalogs copied into the build with the package's own compiler (the module is
    loaded by path: the package itself is not importable while it is being built)."""
    here = os.path.dirname(os.path.abspath(__file__))
    spec = importlib.util.spec_from_file_location("_dealbook_catalog", os.path.join(here, CATALOG_MODULE))
    assert spec is not None and spec.loader is not None
    catalog = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(catalog)
    return catalog.compile_catalogs(os.path.join(build_lib, "dealbook", "text", "locale"))


class BuildWithCiFiles(build_py):
    def run(self) -> None:
        super().run()
        compile_catalogs(self.build_lib)
        here = os.path.dirname(os.path.abspath(__file__))
        target = os.path.join(self.build_lib, "dealbook", "cli", "templates", "init", "ci")
        for source, name in CI_FILES.items():
            path = os.path.join(here, source)
            if os.path.isfile(path):
                os.makedirs(target, exist_ok=True)
                shutil.copyfile(path, os.path.join(target, name))


setup(cmdclass={"build_py": BuildWithCiFiles})
