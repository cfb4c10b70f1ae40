"""Writing files safely: every file dealbook writes goes through `atomic_write`."""

from __future__ import annotations

import os
import tempfile


def atomic_write(path: str, content: str | bytes, encoding: str = "utf-8") -> None:
    """Write `content` to `path` so that readers see the old file or the new one, never half.

    The text goes to a temporary file in the same folder, is flushed to disk, then renamed
    over the target; the target's permission bits are kept. Folders are created as needed."""
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
            handle.flush()
            os.fsync(handle.fileno())
        os.chmod(temporary, mode)
        os.replace(temporary, path)
    except BaseException:
        try:
            os.unlink(temporary)
        except FileNotFoundError:
            pass
        raise
