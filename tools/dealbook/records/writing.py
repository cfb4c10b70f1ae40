"""Writing files safely: every file dealbook writes goes through this module.

- `atomic_write`: readers see the old file or the new one, never half of it. The text goes to
  a temporary file first, then is renamed (or, for a new file, hard-linked) into place.
- Inside a records repo the temporary files live in `.dealbook-cache/tmp/` (which git ignores
  and `dealbook check` never reads), not next to the records: a process killed mid-write
  leaves nothing in `records/`, and the next write removes what it left.
- `write_checked`: edits and new files from several `dealbook` processes at once. A new file
  is created exclusively (a taken name raises `PathTaken`); an edited file must still be the
  version that was read (size and SHA-256 of its bytes), else `StaleFile`. The check and the
  writes happen under one lock per repo, so two dealbook processes never overwrite each
  other's change; the caller re-reads and re-applies, or refuses. A symbolic link on the way to a
  file (`LinkedPath`) stops the write: the file would land outside the repo or where no check reads.
"""

from __future__ import annotations

import contextlib
import errno
import hashlib
import os
import tempfile
import time
from collections.abc import Callable, Iterable, Iterator, Sequence

try:
    import fcntl
except ImportError:  # pragma: no cover - Windows: no advisory locks; the version check still runs
    fcntl = None  # type: ignore[assignment]

from ..text.catalog import N_, Said, Translator, said

CACHE_DIR = ".dealbook-cache"
SCRATCH_DIR = f"{CACHE_DIR}/tmp"
LOCK_FILE = f"{CACHE_DIR}/write.lock"
_PREFIX = ".dealbook-"
_STALE_AFTER = 24 * 3600  # a temporary file this old is left over whoever wrote it


class StaleFile(Exception):
    """A file changed on disk after it was read: the edit would overwrite someone else's change."""

    def __init__(self, path: str, what: str = "changed on disk") -> None:
        super().__init__(f"{path} {what} since dealbook read it")
        self.path = path


class PathTaken(FileExistsError):
    """A new file's name was taken (by another process) before it could be created."""

    def __init__(self, path: str) -> None:
        super().__init__(f"{path} already exists")
        self.path = path


_LINKED = said(N_("is a symbolic link: dealbook writes records and caches only into the repo's own folders "
                   "(`dealbook check` reports a link under records/; delete a linked .dealbook-cache)"))


class LinkedPath(OSError):
    """A symbolic link on the way to a record file (the file itself or a folder above it): a write
    would land outside the repo, or where `dealbook check` never reads. `strerror` is the English;
    `os_error_text` says it in the reader's language."""

    said = _LINKED

    def __init__(self, path: str) -> None:
        super().__init__(errno.ELOOP, str(_LINKED), path)


def os_error_text(exc: OSError, _: Translator) -> str:
    """Why an OSError stopped a read or a write, as a message's detail: dealbook's own reason (a
    symbolic link in the way, `LinkedPath`) in the translator's language, else the system's words
    (its strerror: `Permission denied`), which are not dealbook's to translate and are kept whole."""
    reason = getattr(exc, "said", None)
    if isinstance(reason, Said):
        return reason.say(_)
    return exc.strerror or str(exc)


def no_links(root: str, path: str, top: bool = False) -> None:
    """Raise `LinkedPath` when `path`, or a folder between the repo's top folder (`records/`, which
    may be a link: reading follows it) and it, is a symbolic link (reading does not follow those).
    `top`: the top folder may not be a link either (`.github/`, which a commit can make one)."""
    relative = os.path.relpath(os.path.abspath(path), os.path.abspath(root))
    if relative.startswith(os.pardir):
        return
    first, *rest = relative.split(os.sep)
    current = os.path.join(os.path.abspath(root), first)
    if top and os.path.islink(current):
        raise LinkedPath(current)
    for part in rest:
        current = os.path.join(current, part)
        if os.path.islink(current):
            raise LinkedPath(current)
        if not os.path.lexists(current):
            return


def _mode_for_new() -> int:
    umask = os.umask(0)
    os.umask(umask)
    return 0o666 & ~umask


def _no_linked_cache(folder: str) -> None:
    """Raise `LinkedPath` when `.dealbook-cache` or a folder below it on the way to `folder` is a
    symbolic link: a link committed in its place would send every cache write (and the emptying of
    a SQLite cache that is not ours) out of the repo."""
    parts = os.path.abspath(folder).split(os.sep)
    if CACHE_DIR not in parts:
        return
    start = len(parts) - 1 - parts[::-1].index(CACHE_DIR)
    for end in range(start + 1, len(parts) + 1):
        current = os.sep.join(parts[:end]) or os.sep
        if os.path.islink(current):
            raise LinkedPath(current)


def linked_cache(folder: str) -> bool:
    """Whether `folder` is reached through a symbolic link at or below `.dealbook-cache` (nothing
    may then be written or removed there)."""
    try:
        _no_linked_cache(folder)
    except LinkedPath:
        return True
    return False


def cache_folder(folder: str) -> str:
    """Make a cache folder that git ignores (a `*` .gitignore inside it) and return it; never
    through a symbolic link (`LinkedPath`)."""
    _no_linked_cache(folder)
    os.makedirs(folder, exist_ok=True)
    ignore = os.path.join(folder, ".gitignore")
    if not os.path.exists(ignore):
        with contextlib.suppress(FileExistsError), open(ignore, "x") as handle:
            handle.write("*\n")
    return folder


def scratch_folder(root: str) -> str:
    """`<root>/.dealbook-cache/tmp`: where temporary files for the repo's files are written."""
    cache_folder(os.path.join(root, CACHE_DIR))
    folder = os.path.join(root, SCRATCH_DIR)
    os.makedirs(folder, exist_ok=True)
    return folder


def _temp_folder(folder: str, root: str | None) -> str:
    """The repo's scratch folder when it is on the target's filesystem (a rename cannot cross
    filesystems), else the target's own folder (the temporary name is hidden there)."""
    if root is None:
        return folder
    try:
        scratch = scratch_folder(root)
        if os.stat(scratch).st_dev == os.stat(folder).st_dev:
            return scratch
    except OSError:
        pass
    return folder


def _alive(pid: int) -> bool:
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    except (PermissionError, OverflowError, ValueError):
        return True
    return True


def _left_over(folder: str, now: float) -> Iterator[str]:
    """Temporary files in `folder` whose writer has died (its pid is in the name) or that are a day old."""
    try:
        names = os.listdir(folder)
    except OSError:
        return
    for name in names:
        if not (name.startswith(_PREFIX) and name.endswith(".tmp")):
            continue
        path = os.path.join(folder, name)
        pid_text = name[len(_PREFIX):].split("-", 1)[0]
        try:
            age = now - os.lstat(path).st_mtime
        except OSError:
            continue
        dead = pid_text.isascii() and pid_text.isdigit() and not _alive(int(pid_text))
        if dead or age > _STALE_AFTER:
            yield path


def clean_scratch(root: str, folders: Sequence[str] = ("records", "records/customers")) -> int:
    """Remove the temporary files an interrupted write left (in the scratch folder, and the hidden
    `.dealbook-*.tmp` names older versions wrote next to the records); the number removed."""
    now = time.time()
    removed = 0
    for folder in (SCRATCH_DIR, *folders):
        for path in _left_over(os.path.join(root, folder), now):
            with contextlib.suppress(OSError):
                os.unlink(path)
                removed += 1
    return removed


def atomic_write(path: str, content: str | bytes, encoding: str = "utf-8", durable: bool = True, *,
                 root: str | None = None, exclusive: bool = False) -> None:
    """Write `content` to `path` so that readers see the old file or the new one, never half.

    The text goes to a temporary file, is flushed to disk, then renamed over the target (the
    target's permission bits are kept). `root` is the repo the file belongs to: its temporary
    files go to the repo's scratch folder. `exclusive` creates a new file and never replaces
    one: when the name is taken, `PathTaken` is raised and nothing is written. `durable=False`
    skips the flush to disk (for `write_checked`, which flushes once). Folders are made as needed."""
    folder = os.path.dirname(os.path.abspath(path))
    os.makedirs(folder, exist_ok=True)
    data = content.encode(encoding) if isinstance(content, str) else content
    if exclusive:
        if os.path.lexists(path):
            raise PathTaken(path)
        mode = _mode_for_new()
    else:
        try:
            mode = os.stat(path).st_mode & 0o7777
        except FileNotFoundError:
            mode = _mode_for_new()
    where = _temp_folder(folder, root)
    fd, temporary = tempfile.mkstemp(prefix=f"{_PREFIX}{os.getpid()}-", suffix=".tmp", dir=where)
    try:
        with os.fdopen(fd, "wb") as handle:
            handle.write(data)
            if durable:
                handle.flush()
                os.fsync(handle.fileno())
        os.chmod(temporary, mode)
        if exclusive:
            _link_new(temporary, path)
        else:
            os.replace(temporary, path)
        if durable:
            _sync_folder(folder)
    finally:
        with contextlib.suppress(FileNotFoundError):
            os.unlink(temporary)


def _link_new(temporary: str, path: str) -> None:
    """Put `temporary` at `path` only when `path` does not exist (a hard link fails on a taken name)."""
    try:
        os.link(temporary, path)
        return
    except FileExistsError:
        raise PathTaken(path) from None
    except OSError:
        pass  # no hard links on this filesystem: claim the name first, then rename over the claim
    try:
        os.close(os.open(path, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600))
    except FileExistsError:
        raise PathTaken(path) from None
    os.replace(temporary, path)


def _sync_folder(folder: str) -> None:
    """Flush a folder's entries (the rename) to disk, where the platform allows it."""
    try:
        fd = os.open(folder, os.O_RDONLY)
    except OSError:
        return
    try:
        os.fsync(fd)
    except OSError:
        pass
    finally:
        os.close(fd)


@contextlib.contextmanager
def write_lock(root: str) -> Iterator[None]:
    """One writer at a time in a repo (an advisory lock on `.dealbook-cache/write.lock`), held only
    while versions are checked and files renamed into place: milliseconds."""
    cache_folder(os.path.join(root, CACHE_DIR))
    handle = open(os.path.join(root, LOCK_FILE), "a+b")  # noqa: SIM115 - closed below
    try:
        if fcntl is not None:
            fcntl.flock(handle.fileno(), fcntl.LOCK_EX)
        yield
    finally:
        handle.close()  # closing releases the lock


def digest(data: bytes) -> str:
    return hashlib.sha256(data).hexdigest()


def verify(path: str, before: bytes | None) -> None:
    """Raise unless `path` is as the caller last saw it: absent when `before` is None (PathTaken),
    else holding exactly `before` (StaleFile; compared by size first, then by SHA-256)."""
    if before is None:
        if os.path.lexists(path):
            raise PathTaken(path)
        return
    try:
        size = os.stat(path).st_size
        if size != len(before):
            raise StaleFile(path)
        with open(path, "rb") as handle:
            current = handle.read()
    except FileNotFoundError:
        raise StaleFile(path, "was deleted") from None
    if digest(current) != digest(before):
        raise StaleFile(path)


def write_checked(root: str, items: Iterable[tuple[str, str | bytes, bytes | None]],
                  progress: Callable[[Iterator[str]], Iterable[str]] | None = None, flush_once: bool = False) -> int:
    """Write files of the repo at `root`: (path, content, bytes the file held when read, None for a
    new file). Every file is checked first, under the repo's write lock, and nothing is written
    when one was changed by someone else (StaleFile) or a new name is taken (PathTaken). Each file
    is written atomically; `flush_once` flushes them to disk together at the end (one `sync`
    instead of one per file, for imports of thousands). The number of files written."""
    items = list(items)
    with write_lock(root):
        clean_scratch(root)
        for path, _, before in items:
            no_links(root, path)
            verify(path, before)
        for folder in sorted({os.path.dirname(os.path.abspath(path)) for path, _, _ in items}):
            os.makedirs(folder, exist_ok=True)  # a folder that cannot be made stops the write before any file
        count = 0

        def each() -> Iterator[str]:
            nonlocal count
            for path, content, before in items:
                atomic_write(path, content, durable=not flush_once, root=root, exclusive=before is None)
                count += 1
                yield path

        for _ in (progress(each()) if progress else each()):
            pass
    if flush_once and count:
        os.sync()
    return count


@contextlib.contextmanager
def atomic_file(path: str) -> Iterator[str]:
    """A temporary path next to `path` to write a large file to (a workbook, a database, a stream);
    when the block ends without an error it is flushed to disk and renamed over `path`.

    For output too large to build in memory first; `atomic_write` is the same promise for content."""
    folder = os.path.dirname(os.path.abspath(path))
    os.makedirs(folder, exist_ok=True)
    fd, temporary = tempfile.mkstemp(prefix=f"{_PREFIX}{os.getpid()}-", suffix=".tmp", dir=folder)
    os.close(fd)
    try:
        yield temporary
        with open(temporary, "rb+") as handle:
            os.fsync(handle.fileno())
        os.chmod(temporary, _mode_for_new())
        os.replace(temporary, path)
    except BaseException:
        with contextlib.suppress(FileNotFoundError):
            os.unlink(temporary)
        raise
