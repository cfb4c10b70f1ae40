"""Build hook: ship the product repo's CI files inside the package, so `dealbook init` can copy them.

Everything else about the build is in pyproject.toml."""

from __future__ import annotations

import os
import shutil

from setuptools import setup
from setuptools.command.build_py import build_py

CI_FILES = {".github/workflows/records.yml": "records.yml", ".gitlab-ci.yml": "gitlab-ci.yml"}


class BuildWithCiFiles(build_py):
    def run(self) -> None:
        super().run()
        here = os.path.dirname(os.path.abspath(__file__))
        target = os.path.join(self.build_lib, "dealbook", "cli", "templates", "init", "ci")
        for source, name in CI_FILES.items():
            path = os.path.join(here, source)
            if os.path.isfile(path):
                os.makedirs(target, exist_ok=True)
                shutil.copyfile(path, os.path.join(target, name))


setup(cmdclass={"build_py": BuildWithCiFiles})
