"""What a simulated charger keeps between messages, apart from any OCPP version.

The charger (`chargers.py`) holds one `StationState`; the dialects (`ocpp16.py`,
`ocpp2.py`) read and change it to answer the central system's commands, each in
its version's words. Nothing here sends or sleeps: these are plain values and the
rules of one connector (its availability, a reservation, charging limits, the
power an EV draws over a session).
"""

from __future__ import annotations

import random
from dataclasses import dataclass, field
from typing import Any

# An EV's power over a session, as a fraction of the most it draws: it ramps up in
# the first RAMP of the session, holds, and tapers from TAPER on (the battery full-ish)
# down to FLOOR at the end.
RAMP, TAPER, FLOOR = 0.1, 0.7, 0.25
START = 0.3  # the power when the session begins, of the most


def power_curve(fraction: float, max_w: float) -> float:
    """The power (W) an EV draws `fraction` (0..1) into its session."""
    fraction = min(max(fraction, 0.0), 1.0)
    if fraction < RAMP:
        share = START + (1 - START) * fraction / RAMP
    elif fraction <= TAPER:
        share = 1.0
    else:
        share = 1 - (1 - FLOOR) * (fraction - TAPER) / (1 - TAPER)
    return max_w * share


def energy_wh(power_w: float, seconds: float) -> float:
    """The energy (Wh) `power_w` delivers in `seconds`."""
    return power_w * seconds / 3600


def jitter(seconds: float, spread: float = 0.5) -> float:
    """`seconds`, give or take `spread` of it: chargers do not all idle alike."""
    return seconds * random.uniform(1 - spread, 1 + spread)


# A limit in amperes is this many watts per ampere per phase (230 V); a schedule
# that names no phases has three.
VOLTS = 230.0
PHASES = 3


def to_watts(limit: float, unit: str, phases: int | None = None) -> float:
    return limit if unit == "W" else limit * VOLTS * (phases or PHASES)


def from_watts(watts: float, unit: str, phases: int | None = None) -> float:
    return watts if unit == "W" else watts / (VOLTS * (phases or PHASES))


@dataclass
class Period:
    start: int  # seconds from the schedule's start
    limit_w: float


@dataclass
class Profile:
    """A charging profile, in the words both versions share."""

    profile_id: int
    stack_level: int
    purpose: str  # "Max" (the station's), "TxDefault" or "Tx"
    periods: list[Period]
    starts_at: float | None = None  # an absolute schedule's start (Unix seconds)
    duration: int | None = None
    transaction_id: Any = None  # a Tx profile's transaction
    evse_id: int = 0  # 2.x: the EVSE it was set on (0: the station); 1.6: the connector
    data: dict[str, Any] | None = None  # the profile as the central system sent it


@dataclass
class ChargingLimits:
    """The charging profiles the charger holds, and the limit they make."""

    profiles: dict[int, Profile] = field(default_factory=dict)

    def set(self, profile: Profile) -> None:
        # The same stack level and purpose replaces the one held (1.6 3.13.2, 2.x K01.FR.05).
        for held in list(self.profiles.values()):
            if (held.stack_level, held.purpose) == (profile.stack_level, profile.purpose):
                del self.profiles[held.profile_id]
        self.profiles[profile.profile_id] = profile

    def clear(
        self,
        profile_id: int | None = None,
        purpose: str | None = None,
        stack_level: int | None = None,
    ) -> bool:
        """Clear the profiles matching every criterion given; True if any was."""
        gone = [
            p.profile_id
            for p in self.profiles.values()
            if (profile_id is None or p.profile_id == profile_id)
            and (profile_id is not None or purpose is None or p.purpose == purpose)
            and (profile_id is not None or stack_level is None or p.stack_level == stack_level)
        ]
        for key in gone:
            del self.profiles[key]
        return bool(gone)

    def clear_transaction(self) -> None:
        """A transaction's end ends its Tx profiles."""
        for key in [k for k, p in self.profiles.items() if p.purpose == "Tx"]:
            del self.profiles[key]

    def limit(self, now: float, session_started: float | None) -> float | None:
        """The limit (W) at `now` (Unix seconds): the Tx profile if a session runs and
        has one, else TxDefault, each the highest stack level's; capped by the station's
        Max. None: no limit."""
        found: dict[str, float] = {}
        for purpose in ("Max", "TxDefault", "Tx"):
            if purpose != "Max" and session_started is None:
                continue
            for profile in sorted(self.profiles.values(), key=lambda p: -p.stack_level):
                if profile.purpose != purpose:
                    continue
                value = _limit_of(profile, now, session_started)
                if value is not None:
                    found[purpose] = value
                    break
        session = found.get("Tx", found.get("TxDefault"))
        limits = [v for v in (session, found.get("Max")) if v is not None]
        return min(limits) if limits else None

    def composite(
        self, now: float, duration: int, session_started: float | None
    ) -> list[tuple[int, float | None]]:
        """The limit over the next `duration` seconds, as (offset, W) periods: one
        where the limit changes, and None where nothing limits."""
        starts = {0}
        for profile in self.profiles.values():
            origin = _origin(profile, now, session_started)
            if origin is None:
                continue
            for period in profile.periods:
                starts.add(int(origin + period.start - now))
            if profile.duration is not None:
                starts.add(int(origin + profile.duration - now))
        periods: list[tuple[int, float | None]] = []
        for offset in sorted(s for s in starts if 0 <= s < duration):
            value = self.limit(now + offset, session_started)
            if not periods or periods[-1][1] != value:
                periods.append((offset, value))
        return periods


def schedule_periods(
    periods: list[tuple[int, float | None]], max_w: float, unit: str
) -> list[dict[str, Any]]:
    """A composite schedule's periods in `unit`: where nothing limits, the most the
    charger draws (`max_w`), and never more than that."""
    return [
        {"startPeriod": offset,
         "limit": round(from_watts(max_w if w is None else min(w, max_w), unit), 1)}
        for offset, w in periods
    ]  # fmt: skip


def _origin(profile: Profile, now: float, session_started: float | None) -> float | None:
    if profile.starts_at is not None:
        return profile.starts_at
    if profile.purpose == "Max":
        return now  # a relative station limit holds from now on
    return session_started


def _limit_of(profile: Profile, now: float, session_started: float | None) -> float | None:
    origin = _origin(profile, now, session_started)
    if origin is None or now < origin:
        return None
    elapsed = now - origin
    if profile.duration is not None and elapsed >= profile.duration:
        return None
    value = None
    for period in sorted(profile.periods, key=lambda p: p.start):
        if period.start <= elapsed:
            value = period.limit_w
    return value


@dataclass
class Reservation:
    reservation_id: int
    id_tag: str
    expires: float  # Unix seconds
    parent_id_tag: str | None = None


@dataclass
class Monitor:
    """A 2.x variable monitor (SetVariableMonitoring): on `component`'s `variable`, of
    `kind` (UpperThreshold, Delta, Periodic...) at `value`."""

    monitor_id: int
    component: dict[str, Any]
    variable: dict[str, Any]
    kind: str
    value: float
    severity: int  # 0 Danger ... 9 Debug
    transaction: bool = False  # only while a transaction runs
    origin: str = "CustomMonitor"  # or HardWiredMonitor, PreconfiguredMonitor (2.1's words)


@dataclass
class Monitoring:
    """The monitors the central system set or changed, and which of the built-in ones
    are active: those of `base` (SetMonitoringBase), but for the `cleared` ones."""

    base: str = "All"  # All, FactoryDefault, HardWiredOnly
    level: int = 9  # SetMonitoringLevel: events of this severity and graver are reported
    custom: dict[int, Monitor] = field(default_factory=dict)  # a built-in id: replaced
    cleared: set[int] = field(default_factory=set)
    next_id: int = 100  # the id the next new monitor gets


@dataclass
class SessionRecord:
    """A session charged, as a 2.x charger keeps it about its driver (CustomerInformation)."""

    id_tag: str
    transaction_id: Any
    started_at: float  # Unix seconds
    ended_at: float
    energy_wh: int


# The sessions a charger remembers, the latest.
SESSIONS_KEPT = 20


@dataclass
class StationState:
    """Everything a charger keeps that the central system can set or ask about."""

    heartbeat_interval: int = 300
    available: bool = True  # ChangeAvailability
    available_after_session: bool | None = None  # a change Scheduled while charging
    reservation: Reservation | None = None
    local_list: dict[str, dict[str, Any]] = field(default_factory=dict)  # idTag -> its info
    local_list_version: int = 0
    limits: ChargingLimits = field(default_factory=ChargingLimits)
    configuration: dict[str, str] = field(default_factory=dict)  # 1.6 keys / 2.x variables
    firmware_version: str = "1.0"
    security_profile: int = 1  # 2.x: how it connects (1: ws:// and a password, 2: wss://)
    # 2.x: monitors, display messages {id: MessageInfo}, network profiles {slot:
    # connectionData}, and the sessions it charged (the latest SESSIONS_KEPT).
    monitoring: Monitoring = field(default_factory=Monitoring)
    display_messages: dict[int, dict[str, Any]] = field(default_factory=dict)
    network_profiles: dict[int, dict[str, Any]] = field(default_factory=dict)
    sessions: list[SessionRecord] = field(default_factory=list)

    def reservation_holds(self, now: float) -> Reservation | None:
        """The reservation, unless it has expired (then it is gone)."""
        if self.reservation is not None and self.reservation.expires <= now:
            self.reservation = None
        return self.reservation

    def group_of(self, id_tag: str) -> str | None:
        """The group (1.6 parentIdTag, 2.x groupIdToken) the local list gives `id_tag`."""
        info = self.local_list.get(id_tag) or {}
        group = info.get("parentIdTag", info.get("groupIdToken"))
        return group.get("idToken") if isinstance(group, dict) else group

    def holds_for(self, id_tag: str, now: float, group: str | None = None) -> bool:
        """Whether the reservation in force is `id_tag`'s (or its group's)."""
        reservation = self.reservation_holds(now)
        if reservation is None:
            return False
        group = group or self.group_of(id_tag)
        return reservation.id_tag == id_tag or (
            group is not None and reservation.parent_id_tag == group
        )

    def may_start(self, id_tag: str, now: float, group: str | None = None) -> bool:
        """Whether `id_tag` (of `group`, when known) may start a session on the
        connector now: it is available, and not reserved for another."""
        if not self.available:
            return False
        return self.reservation_holds(now) is None or self.holds_for(id_tag, now, group)

    def idle_state(self, now: float) -> str:
        """The connector's state with no session (1.6's words)."""
        if not self.available:
            return "Unavailable"
        return "Reserved" if self.reservation_holds(now) is not None else "Available"

    def session_ended(self, record: SessionRecord) -> None:
        """Remember a session charged; the display messages shown only during its
        transaction go with it."""
        self.sessions = [*self.sessions, record][-SESSIONS_KEPT:]
        for key, message in list(self.display_messages.items()):
            if message.get("transactionId") == record.transaction_id:
                del self.display_messages[key]
