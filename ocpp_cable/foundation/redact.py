"""One masking helper for every place a URL can reach a person or a log.

Passwords ride inside URLs (`redis://:pw@host`, `postgresql://u:pw@host/db`,
`nats://token@host`, `?password=`); any text that may hold such a URL goes
through `mask_secrets` before it is printed, logged or sent in an error.
"""

from __future__ import annotations

import re

MASK = "***"

# scheme://userinfo@ : a password after the colon, or a bare token (NATS) before the @.
_USERINFO = re.compile(r"(?P<scheme>\b[A-Za-z][A-Za-z0-9+.\-]*://)(?P<userinfo>[^/@\s?#]*)@")
_SECRET_PARAMS = re.compile(
    r"(?P<name>[?&](?:password|passwd|pwd|token|secret|key|access_token)=)[^&#\s]*",
    re.IGNORECASE,
)


def _userinfo(match: re.Match[str]) -> str:
    user, colon, _ = match.group("userinfo").partition(":")
    masked = f"{user}:{MASK}" if colon else MASK
    return f"{match.group('scheme')}{masked}@"


def mask_secrets(text: str) -> str:
    """`text` with every password or token inside a URL replaced by ***."""
    if "://" not in text and "=" not in text:
        return text  # the common case, decided in C
    return _SECRET_PARAMS.sub(rf"\g<name>{MASK}", _USERINFO.sub(_userinfo, text))
