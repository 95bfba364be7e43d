"""OCPP's time format: UTC in RFC 3339 with a `Z` (`2026-01-01T00:00:00.000Z`)."""

from __future__ import annotations

from datetime import UTC, datetime


def utc_text(at: datetime | None = None, timespec: str = "milliseconds") -> str:
    """`at` (default: now), an aware datetime, as OCPP sends time."""
    at = datetime.now(UTC) if at is None else at
    return at.isoformat(timespec=timespec).replace("+00:00", "Z")
