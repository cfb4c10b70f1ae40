"""Writing files safely: every file dealbook writes goes through `atomic_write`."""

from __future__ import annotations

import contextlib
import os
import tempfile
from collections.abc import Callable, Iterable, Iterator


def atomic_write(path: str, content: str | bytes, encoding: str = "utf-8", durable: bool = True) -> None:
    """Write `content` to `path` so that readers see the old file or the new one, never half.

    The text goes to a temporary file in the same folder, is flushed to disk, then renamed
    over the target; the target's permission bits are kept. Folders are created as needed.
    `durable=False` skips the per-file flush to disk: for `write_many`, which flushes once."""
    folder = os.path.dirname(os.path.abspath(path))
    os.makedirs(folder, exist_ok=True)
    data = content.encode(encoding) if isinstance(content, str) else content
    try:
        mode = os.stat(path).st_mode & 0o7777
    except FileNotFoundError:
        umask = os.umask(0)
        os.umask(umask)
        mode = 0o666 & ~umask
    fd, temporary = tempfile.mkstemp(prefix=".dealbook-", suffix=".tmp", dir=folder)
    try:
        with os.fdopen(fd, "wb") as handle:
            handle.write(data)
            if durable:
                handle.flush()
                os.fsync(handle.fileno())
        os.chmod(temporary, mode)
        os.replace(temporary, path)
    except BaseException:
        with contextlib.suppress(FileNotFoundError):
            os.unlink(temporary)
        raise


def cache_folder(folder: str) -> str:
    """Make a cache folder that git ignores (a `*` .gitignore inside it) and return it."""
    os.makedirs(folder, exist_ok=True)
    ignore = os.path.join(folder, ".gitignore")
    if not os.path.exists(ignore):
        with open(ignore, "w") as handle:
            handle.write("*\n")
    return folder


def write_many(items: Iterable[tuple[str, str | bytes]], progress: Callable[[Iterator], Iterable] | None = None
               ) -> int:
    """Write many files, each atomically (a reader sees the old file or the new one), and flush
    them all to disk once at the end: one `sync` instead of one disk flush per file, which
    dominated writing tens of thousands of records. Returns the number of files written."""
    count = 0

    def each() -> Iterator[str]:
        nonlocal count
        for path, content in items:
            atomic_write(path, content, durable=False)
            count += 1
            yield path

    for _ in (progress(each()) if progress else each()):
        pass
    if count:
        os.sync()
    return count


@contextlib.contextmanager
def atomic_file(path: str) -> Iterator[str]:
    """A temporary path next to `path` to write a large file to (a workbook, a database, a stream);
    when the block ends without an error it is flushed to disk and renamed over `path`.

    For output too large to build in memory first; `atomic_write` is the same promise for content."""
    folder = os.path.dirname(os.path.abspath(path))
    os.makedirs(folder, exist_ok=True)
    fd, temporary = tempfile.mkstemp(prefix=".dealbook-", suffix=".tmp", dir=folder)
    os.close(fd)
    try:
        yield temporary
        with open(temporary, "rb+") as handle:
            os.fsync(handle.fileno())
        umask = os.umask(0)
        os.umask(umask)
        os.chmod(temporary, 0o666 & ~umask)
        os.replace(temporary, path)
    except BaseException:
        with contextlib.suppress(FileNotFoundError):
            os.unlink(temporary)
        raise
