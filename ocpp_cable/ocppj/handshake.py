"""OCPP-J handshake rules without I/O: which path is a station, and what of the
request the central system is told.

Identity is the first rule: the station id is read from the request path and
nowhere else, and the URL sent to Connect is built so that its path is that same
path, whatever the client put in its headers.
"""

from __future__ import annotations

import re
from collections.abc import Iterable
from dataclasses import dataclass
from urllib.parse import unquote, urlsplit

SUBPROTOCOL = "ocpp1.6"
MAX_STATION_ID_LENGTH = 48

# RFC 3986 authority without userinfo: an IP literal, or a reg-name / IPv4 address,
# then an optional port. Nothing that could start a path, query or fragment.
_AUTHORITY = re.compile(r"(?:\[[0-9A-Fa-f:.]+\]|[A-Za-z0-9\-._~!$&'()*+,;=%]+)(?::[0-9]{1,5})?")
# Headers that must appear once: which Host or credentials would Connect see otherwise?
SINGLE_HEADERS = frozenset({"host", "authorization"})


class HandshakeRefused(Exception):
    """The upgrade request is refused with an HTTP `status` and a `reason` for the client."""

    def __init__(self, status: int, reason: str) -> None:
        super().__init__(reason)
        self.status = status
        self.reason = reason


@dataclass(frozen=True, slots=True)
class StationRequest:
    """What the gateway takes from an upgrade request: who, and what Connect sees."""

    station_id: str
    url: str
    headers: dict[str, str]


def target_path(path: str) -> str:
    """The path part of a request target (before `?`), once the target is checked.

    Raises HandshakeRefused (400) for a target that is not a path (`//host/...` reads
    as an authority to a URL parser), holds a fragment, a space or a control character.
    """
    if not path.startswith("/") or path.startswith("//") or "#" in path:
        raise HandshakeRefused(400, "the request target must be a path")
    if any(ord(ch) < 0x21 or ord(ch) == 0x7F for ch in path):
        # urlsplit would drop a tab or a line break unseen, and Connect's URL keep it.
        raise HandshakeRefused(400, "the request target holds a space or control character")
    return path.partition("?")[0]


def station_id_from_path(path: str, prefix: str) -> str:
    """The percent-decoded last segment of `<prefix>/<station_id>`.

    Raises HandshakeRefused: 404 for a path that is not a station's, 400 for a
    target that is not a path or holds a space or control character, and for a
    station id that is not UTF-8, is empty, longer than 48 characters, or holds a
    control character, `/` or `:`.
    """
    raw_path = target_path(path)
    head = prefix + "/"
    if not raw_path.startswith(head):
        raise HandshakeRefused(404, f"chargers connect at {prefix}/<station_id>")
    raw_id = raw_path[len(head) :]
    if "/" in raw_id:
        raise HandshakeRefused(404, f"chargers connect at {prefix}/<station_id>")
    try:
        station_id = unquote(raw_id, errors="strict") if raw_id else ""
    except UnicodeDecodeError:
        raise HandshakeRefused(400, "the station id is not percent-encoded UTF-8") from None
    if not 0 < len(station_id) <= MAX_STATION_ID_LENGTH:
        raise HandshakeRefused(400, f"a station id has 1 to {MAX_STATION_ID_LENGTH} characters")
    if any(ch in "/:" or ord(ch) < 0x20 or ord(ch) == 0x7F for ch in station_id):
        raise HandshakeRefused(400, "a station id holds no control character, '/' or ':'")
    return station_id


def read_request(
    path: str,
    headers: Iterable[tuple[str, str]],
    prefix: str,
    scheme: str,
    default_host: str,
    passed: Iterable[str],
) -> StationRequest:
    """The station, its URL and the headers Connect gets (names in `passed`, lower case).

    Raises HandshakeRefused (400) for a Host that is not an authority, and for a
    Host or Authorization header sent more than once.
    """
    station_id = station_id_from_path(path, prefix)
    url, kept = read_headers(path, headers, scheme, default_host, passed)
    return StationRequest(station_id, url, kept)


def read_headers(
    path: str,
    headers: Iterable[tuple[str, str]],
    scheme: str,
    default_host: str,
    passed: Iterable[str],
) -> tuple[str, dict[str, str]]:
    """The URL a request names (its Host and `path`) and the headers Connect gets
    (names in `passed`, lower case). Shared by every protocol the gateway serves.

    Raises HandshakeRefused (400) for a Host that is not an authority, and for a
    Host or Authorization header sent more than once.
    """
    passed = set(passed)
    wanted = passed | {"host"}
    seen: dict[str, list[str]] = {}
    for name, value in headers:
        name = name.lower()
        if name in wanted:
            seen.setdefault(name, []).append(value)
    for name in SINGLE_HEADERS.intersection(seen):
        if len(seen[name]) > 1:
            raise HandshakeRefused(400, f"the {name} header is sent more than once")
    host = seen.get("host", [default_host])[0]
    if "host" not in passed:
        seen.pop("host", None)
    if not _AUTHORITY.fullmatch(host):
        raise HandshakeRefused(400, "the Host header is not a host[:port]")
    url = f"{scheme}://{host}{path}"
    if urlsplit(url).path != urlsplit(path).path:  # the invariant the checks above keep
        raise HandshakeRefused(400, "the request names another path than its target")
    # Repeated list-valued headers combine into one, as RFC 9110 5.3 allows.
    return url, {name: ", ".join(v) for name, v in seen.items()}
