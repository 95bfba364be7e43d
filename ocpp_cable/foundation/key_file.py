"""The broadcast key kept in a file, so `up` and the CLI beside it share it unprinted.

`ocpp-cable up` with no --broadcast-key creates the file once (mode 0600) and
reuses it; `send`, `broadcast` and a separate gateway or rpc read it. The key
never has to pass through a terminal, a log line or a process list.
"""

from __future__ import annotations

import hashlib
import hmac
import os
import secrets
from pathlib import Path


class KeyFileError(Exception):
    """The key file exists but cannot be used."""


def read_key(path: str) -> str | None:
    """The key in `path`, or None when there is no such file."""
    try:
        key = Path(path).read_text(encoding="utf-8").strip()
    except FileNotFoundError:
        return None
    except OSError as exc:
        raise KeyFileError(f"cannot read the broadcast key file {path}: {exc.strerror}") from None
    if not key:
        raise KeyFileError(f"the broadcast key file {path} is empty")
    return key


def ensure_key(path: str) -> str:
    """The key in `path`, created (random, readable by the owner only) if missing."""
    key = read_key(path)
    if key is not None:
        return key
    key = secrets.token_urlsafe(32)
    try:
        fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
    except FileExistsError:  # another process made it first: use theirs
        return ensure_key(path)
    with os.fdopen(fd, "w", encoding="utf-8") as file:
        file.write(key + "\n")
    return key


def derived_key(key: str, purpose: str) -> str:
    """A key for `purpose` made from `key` (HMAC-SHA256, hex), as AnyCable makes its
    features' keys from one application secret: knowing it tells nothing of `key`."""
    return hmac.new(key.encode(), purpose.encode(), hashlib.sha256).hexdigest()
