"""The previous build's site folder deleted beside the build, not before it.

MkDocs empties the site folder before every build (`mkdocs.utils.clean_directory`: every entry but
hidden ones), one file at a time: at 10,000 customers that is 10,000 folders, 5 to 25 seconds on a
plain disk with nothing else done meanwhile. Instead, the entries MkDocs would delete are moved into
a new hidden folder inside the site folder (`.dealbook-old-…`: a rename each, on the same disk;
MkDocs leaves hidden entries alone, and the site folder is where the user keeps built files, out of
git), and that folder is deleted while the build runs: by a forked process in `mkdocs build` (the
other core; the build waits for it at its end, so nothing is left behind), by a thread under
`mkdocs serve`. One left by a build that was killed is deleted by the next. When anything cannot be
moved, MkDocs deletes what is left itself, as before.

Under `mkdocs serve` the folder is deleted only after the rebuild (`delete`): meanwhile the file of a
page that is reused as it was is moved back into the new site (`restore`), not decompressed and
written again (at 10,000 customers writing the pages was a quarter of a rebuild after one edit).
"""

from __future__ import annotations

import contextlib
import os
import shutil
import tempfile
import threading

PREFIX = ".dealbook-old-"


class OldSite:
    """The deletion of one build's old site folder (`wait()` at the build's end)."""

    def __init__(self) -> None:
        self.pid: int | None = None
        self.thread: threading.Thread | None = None
        self.site = ""
        self.trash: str | None = None  # moved aside, not being deleted yet (`clear(later=True)`)

    def clear(self, site: str, fork: bool, later: bool = False) -> None:
        """Move the entries of `site` that MkDocs would delete aside and start deleting them (with
        `later`: when `delete` is called; `restore` takes files back meanwhile)."""
        if not site or not os.path.isdir(site):
            return
        try:
            # what MkDocs would delete (it keeps hidden entries), and what a killed build left
            entries = [name for name in os.listdir(site) if not name.startswith(".") or name.startswith(PREFIX)]
            if not entries:
                return
            trash = tempfile.mkdtemp(prefix=PREFIX, dir=site)
        except OSError:
            return
        for name in entries:
            try:
                os.rename(os.path.join(site, name), os.path.join(trash, name))
            except OSError:
                break  # MkDocs deletes what is left itself
        if later:
            self.site, self.trash = site, trash
            return
        self._delete(trash, fork)

    def restore(self, dest: str) -> bool:
        """Move the old site's file `dest` (relative to the site folder) back into place; False when
        there is none (then it must be written)."""
        if self.trash is None or not dest or dest.startswith((".", "/")) or ".." in dest.split("/"):
            return False
        target = os.path.join(self.site, dest)
        try:
            os.makedirs(os.path.dirname(target), exist_ok=True)
            os.rename(os.path.join(self.trash, dest), target)
        except OSError:
            return False
        return True

    def delete(self) -> None:
        """Start deleting what `clear(later=True)` moved aside and was not restored."""
        if self.trash is not None:
            trash, self.trash = self.trash, None
            self._delete(trash, False)

    def _delete(self, trash: str, fork: bool) -> None:
        if fork and hasattr(os, "fork"):
            pid = os.fork()
            if pid == 0:  # pragma: no cover (the child: delete, end)
                try:
                    shutil.rmtree(trash, True)
                finally:
                    os._exit(0)
            self.pid = pid
        else:
            self.thread = threading.Thread(target=shutil.rmtree, args=(trash, True), name="dealbook-old-site")
            self.thread.start()

    def wait(self) -> None:
        """`mkdocs build`: until the old folder is gone (serve's thread runs on by itself)."""
        if self.pid is not None:
            with contextlib.suppress(ChildProcessError, OSError):
                os.waitpid(self.pid, 0)
            self.pid = None
