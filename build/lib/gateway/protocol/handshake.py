"""Handshake rules without I/O: which path is a station, what status a refusal gets."""

from __future__ import annotations

from urllib.parse import unquote, urlsplit

SUBPROTOCOL = "ocpp1.6"
MAX_STATION_ID_LENGTH = 48


class HandshakeRefused(Exception):
    def __init__(self, status: int, reason: str) -> None:
        super().__init__(reason)
        self.status = status
        self.reason = reason


def station_id_from_path(path: str, prefix: str) -> str:
    """The percent-decoded last segment of `<prefix>/<station_id>`.

    Raises HandshakeRefused: 404 for a path that is not a station's, 400 for a
    station id that is empty, longer than 48 characters, or holds a control
    character, `/` or `:`.
    """
    raw_path = urlsplit(path).path
    head = prefix + "/"
    if not raw_path.startswith(head):
        raise HandshakeRefused(404, f"chargers connect at {prefix}/<station_id>")
    raw_id = raw_path[len(head) :]
    if "/" in raw_id:
        raise HandshakeRefused(404, f"chargers connect at {prefix}/<station_id>")
    station_id = unquote(raw_id, errors="strict") if raw_id else ""
    if not 0 < len(station_id) <= MAX_STATION_ID_LENGTH:
        raise HandshakeRefused(400, f"a station id has 1 to {MAX_STATION_ID_LENGTH} characters")
    if any(ch in "/:" or ord(ch) < 0x20 or ord(ch) == 0x7F for ch in station_id):
        raise HandshakeRefused(400, "a station id holds no control character, '/' or ':'")
    return station_id


def refusal_status(connect_status: str, sent_credentials: bool) -> int:
    """HTTP status for a Connect that did not succeed (DESIGN.md, a charger's life, 1)."""
    if connect_status == "FAILURE":
        return 401 if sent_credentials else 404
    return 500
