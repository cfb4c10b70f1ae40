"""Generated pages rendered by forked worker processes, both cores at once (`mkdocs build` on Linux).

MkDocs renders pages one after another in one process: at 10,000 customers a build is mostly that.
Once every page has been read (`on_env`: the files, the nav and the theme's environment exist), the
plugin forks workers. Each takes its share of the generated pages and, for each, computes its
context and reuse key (reuse.py); a page whose key is the kept one is answered "reused"; any other
is rendered through the very steps of MkDocs' own page loop (the page's template context, every
plugin's `on_page_context` (where the search plugin indexes the page), the theme's template,
`on_post_page`) and sent back as finished HTML (zlib) with its search-index entries and its key.
MkDocs' loop then goes over every page as usual; for a page a worker rendered, the theme renders the
plugin's empty template and `on_post_page` hands MkDocs the worker's HTML, and the entries go into the
search index in the page's place: the path a reused page takes. Files, sitemap, nav and the search
index come out as a one-process build's.

Pages go out in chunks, in MkDocs' page order: each worker takes the next chunk from a shared pipe
when it is done with one (some pages cost far more than others); a reader thread per worker
collects what it sends, so a worker is never held up by the main loop writing files. A worker that
fails (an error in a template) sends its error and the build stops with it; one that dies is named.
"""

from __future__ import annotations

import contextlib
import gc
import logging
import os
import pickle
import resource
import signal
import struct
import sys
import threading
import traceback
import zlib
from collections.abc import Callable
from typing import Any

CHUNK = 16  # pages per message
HEADER = struct.Struct("<Q")
TASK = struct.Struct("<I")  # a chunk's number in the task pipe
AUTO_MINIMUM = 200  # below this many pages to render, forking costs more than it saves


def worker_count(option: int | None, pages: int) -> int:
    """How many workers to fork: the `workers` option (1: none), else one per core on Linux when
    there are enough pages to render."""
    if not hasattr(os, "fork") or pages < 2:
        return 0
    if option:
        return option if option > 1 else 0
    if not sys.platform.startswith("linux") or pages < AUTO_MINIMUM:
        return 0
    cores = len(os.sched_getaffinity(0)) if hasattr(os, "sched_getaffinity") else (os.cpu_count() or 1)
    return cores if cores > 1 else 0


# A worker's answer for one page: its HTML (None: the kept page is still right), its search entries,
# its reuse key (None: not keyed)
Rendered = tuple[str | None, list[dict[str, Any]], str | None]
Sent = tuple[bytes | None, list[dict[str, Any]], str | None]


class WorkerError(RuntimeError):
    """A worker could not render a page (its message names the page and the error)."""


class _Counter(logging.Handler):
    def __init__(self) -> None:
        super().__init__(logging.WARNING)
        self.count = 0

    def emit(self, record: logging.LogRecord) -> None:
        self.count += 1


class PageWorkers:
    """Forked workers rendering pages; `take(uri)` waits for one page's (zlib HTML or None, entries, key)."""

    def __init__(self) -> None:
        self.results: dict[str, Sent] = {}
        self.failure: str | None = None
        self.warnings = 0
        self.cpu: list[float] = []  # CPU seconds of each worker that finished
        self.pids: set[int] = set()  # workers not yet waited for
        self._running = 0
        self._ready = threading.Condition()

    def start(self, uris: list[str], count: int, render: Callable[[str], Rendered], singles: int = 0) -> None:
        """Fork `count` workers over `uris` (in the order they will be taken; the first `singles` one
        at a time: the costly pages, first, so that no worker is left with one at the end);
        `render(uri)` runs in the worker and returns the page's HTML (None: reused), its search
        entries and its key."""
        singles = min(singles, 4000)
        chunks = [[uri] for uri in uris[:singles]]
        rest = uris[singles:]
        size = max(CHUNK, -(-len(rest) // 8000))  # every task fits in the pipe's buffer (64 KB)
        chunks += [rest[i:i + size] for i in range(0, len(rest), size)]
        tasks, put = os.pipe()
        try:
            os.write(put, b"".join(TASK.pack(i) for i in range(len(chunks))))
        finally:
            os.close(put)  # drained, the pipe says "no more" to every worker
        gc.freeze()  # the parent's objects stay out of the workers' collections: fewer pages copied
        try:
            for _number in range(count):
                read, write = os.pipe()
                pid = os.fork()
                if pid == 0:  # the worker
                    os.close(read)
                    _work(chunks, tasks, render, write)  # never returns
                os.close(write)
                self.pids.add(pid)
                self._running += 1
                threading.Thread(target=self._collect, args=(read, pid), name=f"dealbook-pages-{pid}",
                                 daemon=True).start()
        finally:
            os.close(tasks)

    def _collect(self, fd: int, pid: int) -> None:
        done = False
        try:
            with os.fdopen(fd, "rb") as pipe:
                while True:
                    head = pipe.read(HEADER.size)
                    if len(head) < HEADER.size:
                        break
                    body = pipe.read(HEADER.unpack(head)[0])
                    try:
                        message = pickle.loads(body)
                    except Exception:  # cut off: the worker ended mid-message (`stop`, or it died)
                        break
                    with self._ready:
                        if message[0] == "pages":
                            self.results.update(message[1])
                        elif message[0] == "error":
                            self.failure = self.failure or message[1]
                        elif message[0] == "done":
                            self.warnings += message[1]
                            self.cpu.append(message[2])
                            done = True
                        self._ready.notify_all()
        finally:  # whatever ended the stream, the worker is waited for and counted out: `stop` relies on it
            with self._ready:
                status = None
                with contextlib.suppress(ChildProcessError):
                    _, status = os.waitpid(pid, 0)
                self.pids.discard(pid)
                if not done and self.failure is None:
                    self.failure = f"a page worker (process {pid}) ended without finishing its pages (status {status})"
                self._running -= 1
                self._ready.notify_all()

    def take(self, uri: str) -> Sent:
        with self._ready:
            while uri not in self.results:
                if self.failure is not None:
                    raise WorkerError(self.failure)
                if self._running == 0:
                    raise WorkerError(f"no page worker rendered {uri}")
                self._ready.wait()
            return self.results.pop(uri)

    def stop(self, patience: float = 30.0) -> None:
        """End the workers still running (the build failed) and forget them: asked to end (SIGTERM),
        then, any still there after `patience` seconds, killed."""
        with self._ready:
            for pid in self.pids:  # not waited for yet: still ours
                with contextlib.suppress(OSError):
                    os.kill(pid, signal.SIGTERM)
            if not self._ready.wait_for(lambda: self._running == 0, patience):
                for pid in self.pids:
                    with contextlib.suppress(OSError):
                        os.kill(pid, signal.SIGKILL)
                self._ready.wait_for(lambda: self._running == 0, patience)


def _send(fd: int, message: Any) -> None:
    data = pickle.dumps(message, protocol=pickle.HIGHEST_PROTOCOL)
    view = memoryview(HEADER.pack(len(data)) + data)
    while view:
        view = view[os.write(fd, view):]


def _work(chunks: list[list[str]], tasks: int, render: Callable[[str], Rendered], fd: int) -> None:
    """The worker: take the next chunk, render its pages, send them; at the end say how many warnings
    were logged and the CPU spent; exit."""
    code = 0
    counter = _Counter()
    logging.getLogger("mkdocs").addHandler(counter)
    uri = ""
    try:
        gc.enable()
        while len(task := os.read(tasks, TASK.size)) == TASK.size:
            out = []
            for uri in chunks[TASK.unpack(task)[0]]:
                html, entries, key = render(uri)
                packed = None if html is None else zlib.compress(html.encode("utf-8", "surrogatepass"), 1)
                out.append((uri, (packed, entries, key)))
            _send(fd, ("pages", out))
        usage = resource.getrusage(resource.RUSAGE_SELF)
        _send(fd, ("done", counter.count, usage.ru_utime + usage.ru_stime))  # (from the fork)
    except BaseException as error:
        code = 1
        detail = "".join(traceback.format_exception_only(type(error), error)).strip()
        with contextlib.suppress(OSError):
            _send(fd, ("error", f"Error building page '{uri}': {detail}\n{traceback.format_exc()}"))
    finally:
        try:
            os.close(fd)
        finally:
            os._exit(code)
