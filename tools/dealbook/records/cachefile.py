"""Cache files dealbook trusts only when it wrote them itself: signed with the user's own key.

Every cache under `.dealbook-cache/` (the parse cache, stored views and check results, the Book
snapshot, the git log, change-log and blob caches, the review cache) is a speed-up and nothing
more. A cache can reach a repo from elsewhere: committed with `git add -f`, restored by CI, sent
in a pull request. So each is signed (HMAC-SHA256) under a key that lives in the user's own cache
folder (`$XDG_CACHE_HOME/dealbook/snapshot.key`, else `~/.cache/dealbook/`), never in the repo:
a file signed by anyone else, or not at all, is a miss and is rebuilt, and it is never unmarshalled
(marshal, like pickle, is not safe against crafted data). SQLite caches carry the key's tag of
their own key in a meta row, so another user's database is emptied, not read. A file that is
signed but of the wrong shape (another version of dealbook) is a miss too: readers check the
shape before they use it.
"""

from __future__ import annotations

import contextlib
import functools
import hashlib
import hmac
import marshal
import os
import secrets
import tempfile
from collections.abc import Callable
from typing import Any

from .writing import LinkedPath, atomic_write, cache_folder, linked_cache

_MAGIC = b"dealbook-cache-1\n"
_MAC = 32


def key_file() -> str:
    base = os.environ.get("XDG_CACHE_HOME") or os.path.join(os.path.expanduser("~"), ".cache")
    return os.path.join(base, "dealbook", "snapshot.key")


@functools.cache
def _cached_key(path: str) -> bytes | None:
    try:
        with open(path, "rb") as handle:
            key = handle.read()
        if len(key) >= 32:
            return key
    except OSError:
        pass
    folder = os.path.dirname(path)
    try:
        os.makedirs(folder, mode=0o700, exist_ok=True)
        key = secrets.token_bytes(32)
        fd, tmp = tempfile.mkstemp(dir=folder, prefix=".key-")
        with os.fdopen(fd, "wb") as handle:
            handle.write(key)
        os.chmod(tmp, 0o600)
        try:  # two processes making the key at once: the first one to land wins
            os.link(tmp, path)
        except FileExistsError:
            pass
        finally:
            os.unlink(tmp)
        with open(path, "rb") as handle:
            key = handle.read()
        return key if len(key) >= 32 else None
    except OSError:
        return None


_DERIVED = (".pyc", ".pyo", ".mo")  # made from the package's own files: bytecode, compiled message catalogs


@functools.cache
def code_key() -> str:
    """A digest of every file of the installed dealbook package (code, templates, defaults, schemas,
    messages) by path and content: what every cached result depends on besides its inputs. A cache
    made by other code (an upgrade, a checkout of another branch, an edit) is then a miss, even under
    the same version number, while the same code installed again (as CI does on every run, with new
    file times) keeps the caches it restored. About 4 ms for the package's 1.5 MB, once per process."""
    package = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
    digest = hashlib.sha256()
    for root, dirs, names in os.walk(package):
        dirs[:] = sorted(d for d in dirs if d != "__pycache__")
        for name in sorted(names):
            if name.endswith(_DERIVED):
                continue
            path = os.path.join(root, name)
            with contextlib.suppress(OSError), open(path, "rb") as handle:
                body = handle.read()
                digest.update(f"{os.path.relpath(path, package)}\0{len(body)}\0".encode())
                digest.update(body)
    return digest.hexdigest()[:20]


def user_key() -> bytes | None:
    """The user's signing key (made on first use, mode 0600); None when it cannot be kept."""
    return _cached_key(key_file())


def sign(body: bytes) -> bytes | None:
    """`body` with its signature in front, or None when there is no key."""
    key = user_key()
    if key is None:
        return None
    return _MAGIC + hmac.new(key, body, hashlib.sha256).digest() + body


def verify(blob: bytes) -> bytes | None:
    """The body of a signed blob, or None when the signature is not the user's."""
    key = user_key()
    if key is None or len(blob) < len(_MAGIC) + _MAC or not blob.startswith(_MAGIC):
        return None
    mac = blob[len(_MAGIC):len(_MAGIC) + _MAC]
    body = blob[len(_MAGIC) + _MAC:]
    if not hmac.compare_digest(mac, hmac.new(key, body, hashlib.sha256).digest()):
        return None
    return body


def tag(text: str) -> str:
    """The user's key's tag of `text` (hex): stored beside a SQLite cache's key, so a database
    made by anyone else does not match. Without a key, a random tag: nothing matches."""
    key = user_key()
    if key is None:
        return secrets.token_hex(16)
    return hmac.new(key, text.encode("utf-8"), hashlib.sha256).hexdigest()


def save_marshal(filename: str, payload: Any) -> None:
    """Write a signed cache file (marshal) atomically into a folder that git ignores; a cache that
    cannot be written only costs speed, so failures are swallowed."""
    try:
        blob = sign(marshal.dumps(payload))
        if blob is None:
            return
        cache_folder(os.path.dirname(os.path.abspath(filename)))
        atomic_write(filename, blob, durable=False)
    except (OSError, ValueError):
        pass


def load_marshal(filename: str, valid: Callable[[Any], bool] | None = None) -> Any | None:
    """A signed cache file's content, or None: missing, unsigned, signed by someone else,
    unreadable, or (with `valid`) of the wrong shape."""
    try:
        with open(filename, "rb") as handle:
            body = verify(handle.read())
        if body is None:
            return None
        value = marshal.loads(body)
    except (OSError, EOFError, ValueError, TypeError):
        return None
    if valid is not None:
        try:
            if not valid(value):
                return None
        except Exception:  # a shape test tripping on a shape it did not expect: not ours
            return None
    return value


def has_keys(value: Any, **types: type | tuple[type, ...]) -> bool:
    """Whether `value` is a dict holding each key with a value of the given type (shape checks)."""
    return isinstance(value, dict) and all(isinstance(value.get(k), t) for k, t in types.items())


def keep_newest(folder: str, prefix: str, keep: int) -> None:
    """Remove all but the `keep` most recently touched files of `folder` whose names start with `prefix`
    (none when the folder is reached through a link: they would be someone else's files)."""
    if linked_cache(folder):
        return
    try:
        entries = sorted((e for e in os.scandir(folder) if e.name.startswith(prefix)),
                         key=lambda e: e.stat().st_mtime_ns, reverse=True)
    except OSError:
        return
    for entry in entries[keep:]:
        with contextlib.suppress(OSError):
            os.unlink(entry.path)


def open_cache_db(filename: str) -> Any:
    """A SQLite cache file under `.dealbook-cache/` (the folder made, and ignored by git)."""
    import sqlite3

    cache_folder(os.path.dirname(filename))
    if os.path.islink(filename):  # committed in the cache's place: it would empty the database it names
        raise LinkedPath(filename)
    return sqlite3.connect(filename, timeout=5)


def open_sqlite_cache(filename: str, key: str, table: str, *schema: str) -> Any:
    """A SQLite cache whose rows belong to `key` and to this user: its meta row holds the user's
    key's tag of `key` (see `tag`); a database made for another key, or by anyone else
    (committed into the repo, say), is emptied first, never read. `table` is `name (columns)`;
    `schema` holds further statements (tables, indexes) run when the database is made.

    Made in one exclusive transaction that reads the meta row again first: two processes opening
    a new cache at once (two `dealbook new customer`) would otherwise each drop and create the
    tables, one dropping the table the other was about to use."""
    import sqlite3

    db = open_cache_db(filename)
    mine = tag(key)
    try:
        row = _meta_row(db)
    except sqlite3.DatabaseError:  # not a database at all: start a new one
        db.close()
        os.unlink(filename)
        db = open_cache_db(filename)
        row = None
    if row == mine:
        return db
    db.execute("BEGIN EXCLUSIVE")
    try:
        if _meta_row(db) != mine:  # still not ours now that no other process can make it meanwhile
            names = [n for (n,) in db.execute("SELECT name FROM sqlite_master WHERE type = 'table'")]
            for name in names:
                db.execute(f'DROP TABLE IF EXISTS "{name}"')
            db.execute("CREATE TABLE meta (key TEXT)")
            db.execute(f"CREATE TABLE {table}")
            for statement in schema:
                db.execute(statement)
            db.execute("INSERT INTO meta VALUES (?)", (mine,))
        db.commit()
    except BaseException:
        db.rollback()
        raise
    return db


def _meta_row(db: Any) -> str | None:
    """The key tag a cache database was made for (None: no meta row, or no meta table yet). Raises
    sqlite3.DatabaseError (not an OperationalError) when the file is no database at all."""
    import sqlite3

    try:
        row = db.execute("SELECT key FROM meta").fetchone()
    except sqlite3.OperationalError:
        return None
    return row[0] if row else None
