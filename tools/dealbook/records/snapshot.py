"""A signed snapshot of a whole built Book, so read-only commands skip rebuilding an unchanged repo.

The snapshot is a pickle under `.dealbook-cache/`, valid only for the fingerprint of the repo it
was built from (settings, tool and schema version, every record's size and mtime). Because a
pickle can run code when loaded, each one is signed with HMAC-SHA256 under a key that lives in
the user's cache folder, outside the repo: a snapshot committed into a repo (or crafted in a pull
request) fails the signature and is ignored, never unpickled.
"""

from __future__ import annotations

import dataclasses
import hashlib
import hmac
import os
import pickle
import tempfile
from typing import Any

from .cachefile import user_key
from .writing import cache_folder

SNAPSHOT_FILE = "book.pickle"
_MAGIC = b"dealbook-book-1\n"


def _key() -> bytes | None:
    """The user's signing key, shared with every other cache (see `cachefile`)."""
    return user_key()


def _layout() -> str:
    """A digest of the pickled classes' fields: a snapshot from a build with other fields is stale."""
    from . import model
    from .book import Book

    shapes = [Book._SNAPSHOT_FIELDS]
    for name in sorted(vars(model)):
        item = getattr(model, name)
        if dataclasses.is_dataclass(item) and isinstance(item, type):
            shapes.append((name, tuple(f.name for f in dataclasses.fields(item))))
    return hashlib.sha256(repr(shapes).encode()).hexdigest()


def _stamp(fingerprint: str) -> bytes:
    return hashlib.sha256(f"{fingerprint}|{_layout()}".encode()).hexdigest().encode()


def load(folder: str, fingerprint: str, name: str = SNAPSHOT_FILE) -> Any | None:
    """The state saved for `fingerprint` (as `name`), or None (missing, stale, unsigned, unreadable)."""
    key = _key()
    if key is None:
        return None
    try:
        with open(os.path.join(folder, name), "rb") as handle:
            blob = handle.read()
    except OSError:
        return None
    header = len(_MAGIC) + 32 + 64
    if len(blob) < header or not blob.startswith(_MAGIC):
        return None
    signature = blob[len(_MAGIC):len(_MAGIC) + 32]
    stored_fingerprint = blob[len(_MAGIC) + 32:header]
    body = blob[header:]
    if stored_fingerprint != _stamp(fingerprint):
        return None
    expected = hmac.new(key, blob[len(_MAGIC) + 32:], hashlib.sha256).digest()
    if not hmac.compare_digest(signature, expected):
        return None
    try:
        return pickle.loads(body)
    except Exception:  # a snapshot from another version of the classes: rebuild instead
        return None


class _Signed:
    """A file that signs what is written to it."""

    def __init__(self, handle: Any, mac: Any) -> None:
        self.handle, self.mac = handle, mac

    def write(self, data: Any) -> int:
        self.mac.update(data)
        return self.handle.write(data)


def save(folder: str, fingerprint: str, state: Any, name: str = SNAPSHOT_FILE) -> None:
    """Write the signed snapshot atomically; failing to write only costs speed next time."""
    key = _key()
    if key is None:
        return
    try:
        cache_folder(folder)
        # mkstemp's private mode (0600) is kept: the snapshot holds every customer record
        fd, tmp = tempfile.mkstemp(dir=folder, prefix=".book-", suffix=".tmp")
        try:
            with os.fdopen(fd, "wb") as handle:
                # The pickle streams to the file through the signature (no copy of it in memory, which
                # at 10,000 customers is some 50 MB, three times over); the signature goes in last.
                handle.write(_MAGIC + bytes(32))
                signed = _Signed(handle, hmac.new(key, digestmod=hashlib.sha256))
                signed.write(_stamp(fingerprint))
                pickle.dump(state, signed, protocol=pickle.HIGHEST_PROTOCOL)
                handle.seek(len(_MAGIC))
                handle.write(signed.mac.digest())
            os.replace(tmp, os.path.join(folder, name))
        except BaseException:
            os.unlink(tmp)
            raise
    except (OSError, pickle.PicklingError, TypeError, AttributeError):
        pass
