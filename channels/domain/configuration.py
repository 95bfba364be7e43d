"""Each station's OCPP 1.6 configuration keys, as the station last reported or accepted them.

- A GetConfiguration answer is merged in (`merge`): asked for every key (no `key`, or
  an empty list), it replaces what we knew, and keys it no longer reports go; asked for
  some keys, those it reports are written and its `unknownKey`s go.
- A ChangeConfiguration the station Accepted sets the key's value; RebootRequired sets
  it too and marks it `reboot_required`; Rejected and NotSupported change nothing.
- `reboot_required` holds until the station boots (a BootNotification after the change):
  reads give it as still pending only while the station's `booted_at` is older than the
  change, and the next report of the key after such a boot clears it in the table.
- A key the station reported as readonly is not sent a ChangeConfiguration.

Keys compare case-insensitively, as OCPP's CiString does, and are stored as the station
spells them. The schema bounds a key's and a value's lengths; at most `MAX_KEYS` keys
are kept per station, and what a report holds beyond that is dropped and logged.
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any

import structlog
from sqlalchemy import func, select
from sqlalchemy.orm import Session

from ocpp_cable.channels.domain import password_fields
from ocpp_cable.channels.domain.timeutil import now
from ocpp_cable.channels.storage.models import ChargePoint, StationConfiguration

log = structlog.get_logger("channels.configuration")

MAX_KEYS = 500
LOGGED_KEYS = 10  # of the keys dropped, the first few are named in the log
CHANGED = ("Accepted", "RebootRequired")


def value(session: Session, station_id: str, key: str) -> str | None:
    """The key's value as last known (keys compare case-insensitively, as OCPP's
    CiString does); None when the station never reported it."""
    rows = session.scalars(
        select(StationConfiguration.value).where(
            StationConfiguration.station_id == station_id,
            func.lower(StationConfiguration.key) == key.lower(),
        )
    ).all()
    return rows[0] if rows else None


def enabled(session: Session, station_id: str, key: str) -> bool:
    """Is the boolean key reported as true?"""
    return (value(session, station_id, key) or "").strip().lower() == "true"


# --- merging a report ---------------------------------------------------------------------


@dataclass(frozen=True, slots=True)
class Reported:
    """A configurationKey entry of a GetConfiguration answer."""

    key: str
    value: str | None
    readonly: bool | None


@dataclass(slots=True)
class Merge:
    """What a GetConfiguration answer changes in a station's keys."""

    write: list[Reported] = field(default_factory=list)  # kept as the station spells them
    remove: list[str] = field(default_factory=list)  # stored keys that go, as stored
    dropped: list[str] = field(default_factory=list)  # reported, not kept (repeats, the cap)


def merge(
    known: Sequence[str],
    reported: Iterable[Reported],
    unknown: Iterable[str],
    everything: bool,
    limit: int = MAX_KEYS,
) -> Merge:
    """How a report changes the station's `known` keys.

    `everything`: the request asked for every key, so the report is the whole list;
    else it answers for the keys asked, and its `unknown` keys are not the station's.
    At most `limit` keys are kept: a whole list's first, or the known ones and as many
    new ones as there is room for.
    """
    result = Merge()
    stored = {key.lower(): key for key in known}
    seen: dict[str, Reported] = {}
    for entry in reported:
        if entry.key.lower() in seen:
            result.dropped.append(entry.key)  # a station's repeat: its first entry stands
        else:
            seen[entry.key.lower()] = entry
    if everything:
        kept = list(seen.values())[:limit]
        result.dropped += [entry.key for entry in list(seen.values())[limit:]]
        written = {entry.key.lower() for entry in kept}
        result.remove = [key for lower, key in stored.items() if lower not in written]
        result.write = kept
        return result
    gone = {key.lower() for key in unknown} - seen.keys()
    result.remove = [key for lower, key in stored.items() if lower in gone]
    room = limit - (len(stored) - len(result.remove))
    for lower, entry in seen.items():
        if lower in stored:
            result.write.append(entry)
        elif room > 0:
            result.write.append(entry)
            room -= 1
        else:
            result.dropped.append(entry.key)
    return result


def reboot_pending(row: StationConfiguration, booted_at: datetime | None) -> bool:
    """Does the key's last change still wait for the station to reboot?"""
    return row.reboot_required and (booted_at is None or booted_at <= row.updated_at)


def _station_rows(session: Session, station_id: str) -> dict[str, StationConfiguration]:
    found = session.scalars(
        select(StationConfiguration).where(StationConfiguration.station_id == station_id)
    )
    return {row.key.lower(): row for row in found}


def _booted_at(session: Session, station_id: str) -> datetime | None:
    return session.scalar(select(ChargePoint.booted_at).where(ChargePoint.id == station_id))


def apply_report(
    session: Session,
    station_id: str,
    reported: Sequence[Reported],
    unknown: Sequence[str],
    everything: bool,
) -> Merge:
    """Merge a GetConfiguration answer into the station's stored keys."""
    rows = _station_rows(session, station_id)
    change = merge([row.key for row in rows.values()], reported, unknown, everything)
    for key in change.remove:
        session.delete(rows.pop(key.lower()))
    session.flush()  # the deletes first: a key may come back in another spelling
    booted_at, at = _booted_at(session, station_id), now()
    for entry in change.write:
        row = rows.get(entry.key.lower())
        if row is None:
            session.add(
                StationConfiguration(
                    station_id=station_id,
                    key=entry.key,
                    value=entry.value,
                    readonly=entry.readonly,
                    reboot_required=False,
                    updated_at=at,
                )
            )
            continue
        row.reboot_required = reboot_pending(row, booted_at)
        row.key, row.value, row.readonly = entry.key, entry.value, entry.readonly
        row.updated_at = at
    if change.dropped:
        log.warning(
            "configuration keys dropped",
            station_id=station_id,
            dropped=len(change.dropped),
            keys=change.dropped[:LOGGED_KEYS],
            limit=MAX_KEYS,
        )
    return change


def apply_change(session: Session, station_id: str, key: str, new_value: str, status: str) -> None:
    """What a ChangeConfiguration answered `status` changes in the station's keys."""
    if status not in CHANGED:
        return  # Rejected, NotSupported: the station keeps what it had
    reboot = status == "RebootRequired"
    row = _station_rows(session, station_id).get(key.lower())
    if row is not None:
        row.value, row.reboot_required, row.updated_at = new_value, reboot, now()
        return
    if len(_station_rows(session, station_id)) >= MAX_KEYS:
        log.warning("configuration key dropped", station_id=station_id, keys=[key], limit=MAX_KEYS)
        return
    session.add(
        StationConfiguration(
            station_id=station_id,
            key=key,
            value=new_value,
            readonly=None,  # not reported: the station accepted it, so not readonly to it
            reboot_required=reboot,
            updated_at=now(),
        )
    )


def rows(session: Session, station_id: str) -> list[dict[str, Any]]:
    """The station's keys as people see them, by key, with reboot_required as it stands."""
    booted_at = _booted_at(session, station_id)
    found = session.scalars(
        select(StationConfiguration)
        .where(StationConfiguration.station_id == station_id)
        .order_by(func.lower(StationConfiguration.key))
    )
    return [
        {
            "key": row.key,
            "value": row.value,
            "readonly": row.readonly,
            "reboot_required": reboot_pending(row, booted_at),
            "updated_at": row.updated_at,
        }
        for row in found
    ]


# --- the command hooks --------------------------------------------------------------------


def _reported(answer: dict[str, Any]) -> list[Reported]:
    # AuthorizationKey is write-only, and a station that reports it anyway has it masked.
    return [
        Reported(
            entry["key"],
            password_fields.masked_value(entry["key"], entry.get("value")),
            entry.get("readonly"),
        )
        for entry in answer.get("configurationKey") or ()
        if isinstance(entry, dict) and isinstance(entry.get("key"), str)
    ]


def on_configuration_reported(
    session: Session, station_id: str, payload: dict[str, Any], answer: dict[str, Any]
) -> None:
    unknown = [key for key in answer.get("unknownKey") or () if isinstance(key, str)]
    apply_report(session, station_id, _reported(answer), unknown, everything=not payload.get("key"))


def on_configuration_changed(
    session: Session, station_id: str, payload: dict[str, Any], answer: dict[str, Any]
) -> None:
    key, new_value = payload.get("key"), payload.get("value")
    if isinstance(key, str) and isinstance(new_value, str):
        kept = password_fields.masked_value(key, new_value)
        apply_change(session, station_id, key, kept, str(answer.get("status")))


def check_not_readonly(
    session: Session, station: ChargePoint, payload: dict[str, Any]
) -> str | None:
    key = payload.get("key")
    if not isinstance(key, str):
        return None  # the schema's to refuse
    row = _station_rows(session, station.id).get(key.lower())
    if row is not None and row.readonly:
        return f"{row.key} is read-only on {station.id} (as its GetConfiguration reported)"
    return None
