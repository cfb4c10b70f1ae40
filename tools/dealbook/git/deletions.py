"""What a commit's deletions leave behind, for the pre-commit hook (`dealbook check --hook`).

pre-commit passes a hook only the files that still exist, so a commit that removes (or renames)
a customer file alone passes no file at all, and the follow-ups it orphans are never checked.
The deleted paths come from the index (a commit being made) or, in CI, from the range pre-commit
was given (PRE_COMMIT_FROM_REF...PRE_COMMIT_TO_REF)."""

from __future__ import annotations

import os
import subprocess

from ..records.model import CUSTOMER, CUSTOMERS_DIR, FOLLOWUP, FOLLOWUPS_DIR, kind_of


def deleted_paths(root: str) -> list[str]:
    """Records-repo paths the commit (or the pre-commit range) deletes; renames count as deletions
    of their old name. Empty outside a git work tree."""
    since, until = os.environ.get("PRE_COMMIT_FROM_REF"), os.environ.get("PRE_COMMIT_TO_REF")
    scope = [f"{since}...{until}"] if since and until else ["--cached"]
    try:
        done = subprocess.run(["git", "-c", "core.quotepath=false", "diff", "--name-only", "--relative",
                               "--no-renames", "--diff-filter=D", "-z", *scope, "--", "."],
                              cwd=root, capture_output=True, text=True, timeout=60)
    except (OSError, subprocess.SubprocessError):
        return []
    return [p for p in done.stdout.split("\0") if p] if done.returncode == 0 else []


def left_behind(root: str) -> list[str]:
    """The follow-ups still in the working tree of customers whose file the commit deletes (and
    that no file replaces): what `dealbook check` must see to report them orphaned."""
    found: list[str] = []
    for path in deleted_paths(root):
        if kind_of(path) != CUSTOMER or os.path.exists(os.path.join(root, path)):
            continue
        customer_id = os.path.splitext(path[len(CUSTOMERS_DIR) + 1:])[0]
        folder = os.path.join(root, FOLLOWUPS_DIR, customer_id)
        if os.path.isdir(folder):
            found.extend(f"{FOLLOWUPS_DIR}/{customer_id}/{name}" for name in sorted(os.listdir(folder))
                         if kind_of(f"{FOLLOWUPS_DIR}/{customer_id}/{name}") == FOLLOWUP)
    return found
