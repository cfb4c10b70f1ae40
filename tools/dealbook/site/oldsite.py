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

    def clear(self, site: str, fork: bool) -> None:
        """Move the entries of `site` that MkDocs would delete aside and start deleting them."""
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
