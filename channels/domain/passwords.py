"""Station passwords (OCPP security profiles 1 and 2): salted scrypt, constant-time check.

OCPP 1.6 gives a station its password as AuthorizationKey, in hexadecimal digits; the
security whitepaper makes the octets they stand for the password, and some stations
send the digits as they got them. A password that reads as such digits is therefore
also tried as what they decode to (a rotation hashes the decoded password; once the
station has logged in with it, the form it presents is what its hash is of).
"""

from __future__ import annotations

import base64
import hashlib
import hmac
import re
import secrets
from collections.abc import Sequence
from dataclasses import dataclass

N, R, P = 2**14, 8, 1
SCHEME = "scrypt"
# 1.6's AuthorizationKey: at most 20 octets, as up to 40 hexadecimal digits.
_KEY_DIGITS = re.compile(r"(?:[0-9A-Fa-f]{2}){1,20}")


def hash_password(password: str) -> str:
    salt = secrets.token_bytes(16)
    digest = hashlib.scrypt(password.encode(), salt=salt, n=N, r=R, p=P, dklen=32)
    encode = base64.b64encode
    return f"{SCHEME}${N}${R}${P}${encode(salt).decode()}${encode(digest).decode()}"


def verify_password(password: str, stored: str) -> bool:
    try:
        scheme, n, r, p, salt, digest = stored.split("$")
        if scheme != SCHEME:
            return False
        expected = base64.b64decode(digest)
        actual = hashlib.scrypt(
            password.encode(),
            salt=base64.b64decode(salt),
            n=int(n),
            r=int(r),
            p=int(p),
            dklen=len(expected),
        )
    except (ValueError, TypeError):
        return False
    return hmac.compare_digest(actual, expected)


def decoded_key(password: str) -> str | None:
    """The password an AuthorizationKey's hexadecimal digits stand for, when `password`
    is such digits of printable ASCII (what a rotation sends); else None."""
    if not _KEY_DIGITS.fullmatch(password):
        return None
    octets = bytes.fromhex(password)
    return octets.decode() if all(0x21 <= o <= 0x7E for o in octets) else None


@dataclass(frozen=True, slots=True)
class Match:
    """Which stored hash a password matched, and in which form."""

    index: int
    # The password as sent matched (False: what its AuthorizationKey digits stand for).
    as_sent: bool


def matching(password: str, stored: Sequence[str]) -> Match | None:
    """The first of the `stored` hashes that `password` (or, for AuthorizationKey digits,
    what they decode to) matches; None when none does. Every hash is checked, each with
    the password as sent first and its decoded form only if that failed: a wrong password
    costs the same whichever hash is which, and a password hashed as the station sends it
    costs one scrypt per hash."""
    forms = [password]
    decoded = decoded_key(password)
    if decoded is not None:
        forms.append(decoded)
    found = None
    for index, hashed in enumerate(stored):
        for number, form in enumerate(forms):
            if verify_password(form, hashed):
                if found is None:
                    found = Match(index, as_sent=number == 0)
                break
    return found
