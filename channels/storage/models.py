"""The central system's tables (SQLAlchemy 2.x). Migrations live in channels/storage/migrations.

One model for OCPP 1.6 and 2.x stations, so both show in the same lists:

- A station has EVSEs, an EVSE has connectors (2.x). A 1.6 station numbers its
  connectors station-wide and each is an EVSE of its own, so a 1.6 connector n is
  stored as EVSE n, connector n (connector 0 is the station itself in both).
  `connectors` is keyed by (station, evse_id, connector_id).
- A transaction is one row whichever version ran it, numbered by us (`id`, what
  1.6 stations get as transactionId). A 2.x station names its transactions itself:
  that string is `station_transaction_id`; what 2.x does not say at the start
  (idToken, connector, meter start) stays empty until an event tells it.
  `transaction_events` keeps each TransactionEvent's (station, transactionId,
  seqNo), so one sent again is answered and not applied twice.
- Meter values of a 2.x EVSE go in `meter_values.connector_id` (the EVSE, as for 1.6).
- `station_variables` keeps the last reported value of each variable (NotifyReport,
  GetVariables results).
"""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Any

from sqlalchemy import (
    JSON,
    BigInteger,
    Boolean,
    DateTime,
    ForeignKey,
    Index,
    Integer,
    String,
    Text,
    TypeDecorator,
    UniqueConstraint,
    text,
)
from sqlalchemy.orm import DeclarativeBase, Mapped, mapped_column


def utcnow() -> datetime:
    return datetime.now(UTC)


class UTCDateTime(TypeDecorator):
    """Timezone-aware UTC datetimes on every database (SQLite keeps no zone)."""

    impl = DateTime(timezone=True)
    cache_ok = True

    def process_bind_param(self, value: datetime | None, dialect: Any) -> datetime | None:
        if value is None:
            return None
        if value.tzinfo is None:
            raise ValueError("naive datetime: pass an aware one")
        return value.astimezone(UTC)

    def process_result_value(self, value: datetime | None, dialect: Any) -> datetime | None:
        if value is not None and value.tzinfo is None:
            value = value.replace(tzinfo=UTC)
        return value


class StationText(TypeDecorator):
    """Text exactly as a station sent it, NUL characters included.

    PostgreSQL's text cannot hold U+0000. There, U+0000 is written as ESCAPE + "0"
    and ESCAPE itself doubled (a Private Use Area character no charger string holds
    in practice); reading undoes it and lookups encode alike, so a value round-trips
    exactly and ordinary text is stored as it reads. Other databases get it as is.
    """

    impl = Text
    cache_ok = True
    ESCAPE = "\ue000"

    def process_bind_param(self, value: str | None, dialect: Any) -> str | None:
        if value is None or dialect.name != "postgresql":
            return value
        if "\x00" in value or self.ESCAPE in value:
            value = value.replace(self.ESCAPE, self.ESCAPE * 2).replace("\x00", self.ESCAPE + "0")
        return value

    def process_result_value(self, value: str | None, dialect: Any) -> str | None:
        if value is None or self.ESCAPE not in value:
            return value
        out, chars = [], iter(value)
        for ch in chars:
            if ch == self.ESCAPE:
                ch = self.ESCAPE if next(chars, "") == self.ESCAPE else "\x00"
            out.append(ch)
        return "".join(out)


class Base(DeclarativeBase):
    type_annotation_map = {datetime: UTCDateTime(), dict[str, Any]: JSON}


class ChargePoint(Base):
    __tablename__ = "charge_points"

    id: Mapped[str] = mapped_column(String(48), primary_key=True)
    # What the station says of itself, as it said it (the schema bounds the lengths).
    vendor: Mapped[str | None] = mapped_column(StationText)
    model: Mapped[str | None] = mapped_column(StationText)
    charge_point_serial_number: Mapped[str | None] = mapped_column(StationText)
    charge_box_serial_number: Mapped[str | None] = mapped_column(StationText)
    firmware_version: Mapped[str | None] = mapped_column(StationText)
    iccid: Mapped[str | None] = mapped_column(StationText)
    imsi: Mapped[str | None] = mapped_column(StationText)
    meter_type: Mapped[str | None] = mapped_column(StationText)
    meter_serial_number: Mapped[str | None] = mapped_column(StationText)
    boot_status: Mapped[str | None] = mapped_column(String(10))
    # What its BootNotification is answered, as an operator (or the registration setting,
    # when it was registered) decided: accepted, pending or rejected (domain/registration.py).
    registration: Mapped[str] = mapped_column(
        String(8), default="accepted", server_default="accepted"
    )
    booted_at: Mapped[datetime | None]
    connected: Mapped[bool] = mapped_column(Boolean, default=False)
    # The connection that set `connected`: a late Disconnect of an older one must not clear it.
    connection_id: Mapped[str | None] = mapped_column(String(32))
    # The gateway node holding it; `connected` holds only while that node's lease does.
    node_id: Mapped[str | None] = mapped_column(String(64), index=True)
    last_seen: Mapped[datetime | None]
    password_hash: Mapped[str | None] = mapped_column(String(255))
    auth_required: Mapped[bool] = mapped_column(Boolean, default=True)
    # A password rotation under way (channels/domain/password_rotation.py): the new password's
    # hash, admitted beside password_hash until the station's first login with it; the
    # command that sent it; "sent" or "accepted" (by the station's answer); since when.
    pending_password_hash: Mapped[str | None] = mapped_column(String(255))
    pending_password_command: Mapped[str | None] = mapped_column(String(36))
    pending_password_status: Mapped[str | None] = mapped_column(String(10))
    pending_password_at: Mapped[datetime | None]
    firmware_status: Mapped[str | None] = mapped_column(String(30))
    diagnostics_status: Mapped[str | None] = mapped_column(String(30))
    created_at: Mapped[datetime] = mapped_column(default=utcnow)
    # "1.6", "2.0.1" or "2.1", as of its last connection (what commands are checked against).
    ocpp_version: Mapped[str | None] = mapped_column(String(5))
    # The schema rules it may break (ocppj.leniency.RULES), comma-separated; None: strict.
    tolerate: Mapped[str | None] = mapped_column(String(200))
    # Its messages taken with violations forgiven (the raw ones are in the message log).
    tolerated_count: Mapped[int] = mapped_column(Integer, default=0, server_default="0")
    # The lowest OCPP security profile it may connect with (None: any), and one it accepted
    # moving to and has not connected with yet (channels/domain/security_profiles.py).
    security_profile: Mapped[int | None] = mapped_column(Integer)
    pending_security_profile: Mapped[int | None] = mapped_column(Integer)
    # The tariff its sessions are priced by; None: the default tariff (if any).
    tariff_id: Mapped[int | None] = mapped_column(
        ForeignKey("tariffs.id", ondelete="SET NULL"), index=True
    )


class Tariff(Base):
    """What sessions cost (channels/domain/pricing.py): per kWh, per hour and per session,
    in one ISO 4217 currency, taxes included. Prices are kept as decimal text, exactly as
    priced; at most one tariff is the default, for stations assigned none."""

    __tablename__ = "tariffs"
    __table_args__ = (
        Index(
            "uq_tariffs_default", "is_default", unique=True,
            postgresql_where=text("is_default"), sqlite_where=text("is_default"),
        ),
    )  # fmt: skip

    id: Mapped[int] = mapped_column(Integer, primary_key=True, autoincrement=True)
    name: Mapped[str] = mapped_column(String(64), unique=True)
    currency: Mapped[str] = mapped_column(String(3))
    energy_price: Mapped[str] = mapped_column(String(20))  # per kWh
    time_price: Mapped[str] = mapped_column(String(20))  # per hour
    session_fee: Mapped[str] = mapped_column(String(20))
    is_default: Mapped[bool] = mapped_column(Boolean, default=False)
    created_at: Mapped[datetime] = mapped_column(default=utcnow)
    updated_at: Mapped[datetime] = mapped_column(default=utcnow)


class ViewerToken(Base):
    """A person's token: their browser presents it at /cable to watch the network live,
    their scripts to the HTTP API (`read`: look; `write`: also change and command).

    Only its SHA-256 is kept: the token is shown once, when it is made.
    """

    __tablename__ = "viewer_tokens"

    name: Mapped[str] = mapped_column(String(64), primary_key=True)
    token_hash: Mapped[str] = mapped_column(String(64), unique=True)
    scope: Mapped[str] = mapped_column(String(5), default="read", server_default="read")
    created_at: Mapped[datetime] = mapped_column(default=utcnow)
    revoked_at: Mapped[datetime | None]


class GatewayNode(Base):
    """A gateway node's lease: while it holds, the node's stations are connected."""

    __tablename__ = "gateway_nodes"

    id: Mapped[str] = mapped_column(String(64), primary_key=True)
    expires_at: Mapped[datetime]
    stations: Mapped[int] = mapped_column(Integer, default=0)
    renewed_at: Mapped[datetime] = mapped_column(default=utcnow)


def _own_evse(context: Any) -> int:
    return context.get_current_parameters()["connector_id"]


class Connector(Base):
    """A connector of an EVSE (module docstring); EVSE 0, connector 0 is the station itself."""

    __tablename__ = "connectors"

    station_id: Mapped[str] = mapped_column(
        ForeignKey("charge_points.id", ondelete="CASCADE"), primary_key=True
    )
    # Unset: the connector's own number, as for a 1.6 connector.
    evse_id: Mapped[int] = mapped_column(Integer, primary_key=True, default=_own_evse)
    connector_id: Mapped[int] = mapped_column(Integer, primary_key=True)
    status: Mapped[str] = mapped_column(String(20))
    # 1.6's errorCode; 2.x reports errors as events (NotifyEvent), not with the status.
    error_code: Mapped[str | None] = mapped_column(String(30))
    info: Mapped[str | None] = mapped_column(StationText)
    vendor_id: Mapped[str | None] = mapped_column(StationText)
    vendor_error_code: Mapped[str | None] = mapped_column(StationText)
    updated_at: Mapped[datetime] = mapped_column(default=utcnow)
    # The StatusNotification's timestamp as sent, when updated_at cannot hold it exactly.
    timestamp_text: Mapped[str | None] = mapped_column(Text)


class IdTag(Base):
    __tablename__ = "id_tags"

    tag: Mapped[str] = mapped_column(StationText, primary_key=True)
    # Accepted, Blocked, Expired or Invalid (OCPP 1.6 AuthorizationStatus).
    status: Mapped[str] = mapped_column(String(20), default="Accepted")
    expiry_date: Mapped[datetime | None]
    parent_id_tag: Mapped[str | None] = mapped_column(StationText)
    created_at: Mapped[datetime] = mapped_column(default=utcnow)


class Transaction(Base):
    __tablename__ = "transactions"
    # A retried StartTransaction carries the same values: it finds this row again.
    __table_args__ = (
        UniqueConstraint(
            "station_id", "connector_id", "id_tag", "meter_start", "start_time", name="uq_tx_start"
        ),
        # The ConcurrentTx check: an idTag's transaction that is not over (migration 0005).
        Index(
            "ix_transactions_open_id_tag", "id_tag",
            postgresql_where=text("stop_time IS NULL"), sqlite_where=text("stop_time IS NULL"),
        ),
        # A 2.x station's own transactionId finds its transaction (migration 0008).
        UniqueConstraint("station_id", "station_transaction_id", name="uq_tx_station_ref"),
    )  # fmt: skip

    id: Mapped[int] = mapped_column(Integer, primary_key=True, autoincrement=True)
    station_id: Mapped[str] = mapped_column(
        ForeignKey("charge_points.id", ondelete="CASCADE"), index=True
    )
    # Empty on a 2.x transaction until an event names them (module docstring).
    connector_id: Mapped[int | None] = mapped_column(Integer)
    id_tag: Mapped[str | None] = mapped_column(StationText)
    reservation_id: Mapped[int | None] = mapped_column(Integer)
    meter_start: Mapped[int | None] = mapped_column(BigInteger)
    start_time: Mapped[datetime] = mapped_column(index=True)
    meter_stop: Mapped[int | None] = mapped_column(BigInteger)
    stop_time: Mapped[datetime | None]
    # The times as sent, when start_time / stop_time cannot hold them exactly
    # (a leap second, more than microseconds, beyond years 1 to 9999).
    start_time_text: Mapped[str | None] = mapped_column(Text)
    stop_time_text: Mapped[str | None] = mapped_column(Text)
    stop_id_tag: Mapped[str | None] = mapped_column(StationText)
    # 1.6 Reason or 2.x ReasonEnumType (2.1's longest has 25 characters).
    stop_reason: Mapped[str | None] = mapped_column(String(30))
    # "operator": closed by an operator (the stop never came); a late StopTransaction
    # from the station then replaces what the operator guessed.
    closed_by: Mapped[str | None] = mapped_column(String(10))
    # Wh delivered: meter_stop - meter_start.
    energy_wh: Mapped[int | None] = mapped_column(BigInteger)
    # OCPP 2.x only: the station's transactionId, the EVSE (1.6: its connector), the
    # idToken's type, the charging state, the RequestStartTransaction that began it,
    # and the highest seqNo applied (the state fields are those of that event).
    station_transaction_id: Mapped[str | None] = mapped_column(StationText)
    evse_id: Mapped[int | None] = mapped_column(Integer)
    id_token_type: Mapped[str | None] = mapped_column(String(20))
    charging_state: Mapped[str | None] = mapped_column(String(20))
    remote_start_id: Mapped[int | None] = mapped_column(Integer)
    seq_no: Mapped[int | None] = mapped_column(Integer)
    # The tariff in force when it started, as it was then (name, currency, prices): a
    # tariff changed or removed later does not change what a session costs.
    tariff: Mapped[dict[str, Any] | None]
    currency: Mapped[str | None] = mapped_column(String(3))
    # Its cost in the currency's minor unit (cents): running while it is open (as of the
    # newest reading priced), final once it is stopped; None: no tariff, or unknown.
    cost_minor: Mapped[int | None] = mapped_column(BigInteger)
    # When the running cost was last sent to the station (2.x CostUpdated).
    cost_updated_at: Mapped[datetime | None]


class TransactionEvent(Base):
    """A 2.x TransactionEvent applied: the same (station, transactionId, seqNo) again is
    a resend (an offline queue's, or a retry), answered without being applied again."""

    __tablename__ = "transaction_events"

    station_id: Mapped[str] = mapped_column(
        ForeignKey("charge_points.id", ondelete="CASCADE"), primary_key=True
    )
    station_transaction_id: Mapped[str] = mapped_column(StationText, primary_key=True)
    seq_no: Mapped[int] = mapped_column(Integer, primary_key=True)
    transaction_id: Mapped[int] = mapped_column(Integer, index=True)  # transactions.id
    event_type: Mapped[str] = mapped_column(String(10))  # Started, Updated, Ended
    trigger_reason: Mapped[str] = mapped_column(String(30))
    timestamp: Mapped[datetime]
    timestamp_text: Mapped[str | None] = mapped_column(Text)  # as sent, when inexact above
    offline: Mapped[bool] = mapped_column(Boolean, default=False)  # queued while offline
    received_at: Mapped[datetime] = mapped_column(default=utcnow)


class StationVariable(Base):
    """A 2.x device-model variable's attribute as last reported (NotifyReport, or the
    answer to GetVariables): the last GetBaseReport, one row per attribute."""

    __tablename__ = "station_variables"
    __table_args__ = (UniqueConstraint("station_id", "variable_key", name="uq_station_variable"),)

    id: Mapped[int] = mapped_column(Integer, primary_key=True, autoincrement=True)
    station_id: Mapped[str] = mapped_column(ForeignKey("charge_points.id", ondelete="CASCADE"))
    # Identifies component, EVSE, connector, variable and attribute type together (their
    # optional parts make a plain unique constraint over them miss NULLs).
    variable_key: Mapped[str] = mapped_column(String(40))
    component: Mapped[str] = mapped_column(StationText)
    component_instance: Mapped[str | None] = mapped_column(StationText)
    evse_id: Mapped[int | None] = mapped_column(Integer)
    connector_id: Mapped[int | None] = mapped_column(Integer)
    variable: Mapped[str] = mapped_column(StationText)
    variable_instance: Mapped[str | None] = mapped_column(StationText)
    attribute_type: Mapped[str] = mapped_column(String(10), default="Actual")
    value: Mapped[str | None] = mapped_column(StationText)
    mutability: Mapped[str | None] = mapped_column(String(10))
    characteristics: Mapped[dict[str, Any] | None]
    request_id: Mapped[int | None] = mapped_column(Integer)
    reported_at: Mapped[datetime] = mapped_column(default=utcnow)


class MeterValue(Base):
    __tablename__ = "meter_values"
    __table_args__ = (
        # Few readings are kept apart from their transaction: an index of those only.
        Index(
            "ix_meter_values_kept_apart", "claimed_transaction_id",
            postgresql_where=text("claimed_transaction_id IS NOT NULL"),
            sqlite_where=text("claimed_transaction_id IS NOT NULL"),
        ),
    )  # fmt: skip

    id: Mapped[int] = mapped_column(Integer, primary_key=True, autoincrement=True)
    station_id: Mapped[str] = mapped_column(
        ForeignKey("charge_points.id", ondelete="CASCADE"), index=True
    )
    connector_id: Mapped[int] = mapped_column(Integer)
    # Only a transaction the sending station started (channels/domain/transactions.py).
    transaction_id: Mapped[int | None] = mapped_column(Integer, index=True)
    # A 1.6 transactionId the station sent that is no transaction of its own (another
    # station's, or none we know): the reading is kept, counted into no transaction.
    claimed_transaction_id: Mapped[int | None] = mapped_column(Integer)
    timestamp: Mapped[datetime]
    timestamp_text: Mapped[str | None] = mapped_column(Text)  # as sent, when inexact above
    # One of the 22 OCPP 1.6 measurands; the default when the charger names none.
    measurand: Mapped[str] = mapped_column(String(40), default="Energy.Active.Import.Register")
    phase: Mapped[str | None] = mapped_column(String(10))
    unit: Mapped[str | None] = mapped_column(String(10))
    context: Mapped[str | None] = mapped_column(String(30))
    location: Mapped[str | None] = mapped_column(String(10))
    format: Mapped[str | None] = mapped_column(String(12))
    # Unbounded in OCPP 1.6: a signed (OCMF) value runs to hundreds of characters.
    value: Mapped[str] = mapped_column(StationText)
    # Identifies the reading, so a re-sent MeterValues stores nothing twice.
    dedup_key: Mapped[str] = mapped_column(String(40), unique=True)


class MessageLog(Base):
    __tablename__ = "message_log"

    id: Mapped[int] = mapped_column(Integer, primary_key=True, autoincrement=True)
    direction: Mapped[str] = mapped_column(String(3))  # "in" from the station, "out" to it
    station_id: Mapped[str] = mapped_column(String(48), index=True)
    message_type: Mapped[str] = mapped_column(String(10))  # CALL, CALLRESULT, CALLERROR
    action: Mapped[str | None] = mapped_column(String(40))
    message_id: Mapped[str | None] = mapped_column(StationText)
    payload: Mapped[dict[str, Any] | None]
    created_at: Mapped[datetime] = mapped_column(default=utcnow)


class Command(Base):
    """A command sent to a station and what became of it."""

    __tablename__ = "commands"

    id: Mapped[str] = mapped_column(String(36), primary_key=True)  # the CALL's message id
    station_id: Mapped[str] = mapped_column(String(48), index=True)
    action: Mapped[str] = mapped_column(String(40))
    payload: Mapped[dict[str, Any]]
    # queued, sent, accepted, rejected, error, timeout; indexed for the open ones (the sweep)
    status: Mapped[str] = mapped_column(String(10), default="queued", index=True)
    response: Mapped[dict[str, Any] | None]
    error_code: Mapped[str | None] = mapped_column(StationText)  # the station's, as sent
    created_at: Mapped[datetime] = mapped_column(default=utcnow)
    sent_at: Mapped[datetime | None]
    answered_at: Mapped[datetime | None]


class StationNotification(Base):
    """Diagnostics, firmware, log and security notifications, and 2.x NotifyEvent and
    NotifyReport (its variables go to station_variables), as the station sent them."""

    __tablename__ = "station_notifications"

    id: Mapped[int] = mapped_column(Integer, primary_key=True, autoincrement=True)
    station_id: Mapped[str] = mapped_column(String(48), index=True)
    action: Mapped[str] = mapped_column(String(40))
    payload: Mapped[dict[str, Any]]
    received_at: Mapped[datetime] = mapped_column(default=utcnow)


# --- station configuration (OCPP 1.6 GetConfiguration / ChangeConfiguration) ---------------


class StationConfiguration(Base):
    """A 1.6 configuration key as the station last reported or accepted it."""

    __tablename__ = "station_configuration"

    station_id: Mapped[str] = mapped_column(
        ForeignKey("charge_points.id", ondelete="CASCADE"), primary_key=True
    )
    key: Mapped[str] = mapped_column(StationText, primary_key=True)  # CiString50, as sent
    value: Mapped[str | None] = mapped_column(StationText)  # CiString500; None: not given
    readonly: Mapped[bool | None] = mapped_column(Boolean)  # None: set by us, not reported
    # Set by an accepted ChangeConfiguration that needs a reboot to take effect.
    reboot_required: Mapped[bool] = mapped_column(Boolean, default=False)
    updated_at: Mapped[datetime] = mapped_column(default=utcnow)


# --- local authorization lists and reservations (OCPP 1.6 Local Auth List Management,
# Reservation) -------------------------------------------------------------------------------


class LocalList(Base):
    """A station's Local Authorization List as the station acknowledged it.

    `entries` is {idTag: idTagInfo} as of `version` (at most one per idTag we keep); a 2.x
    station's {token key: AuthorizationData} (channels/domain/local_lists.py). The
    update in flight is `pending_command_id`'s SendLocalList while that command is open:
    its record holds the version, type and entries."""

    __tablename__ = "local_lists"

    station_id: Mapped[str] = mapped_column(
        ForeignKey("charge_points.id", ondelete="CASCADE"), primary_key=True
    )
    version: Mapped[int | None] = mapped_column(Integer)  # None: never acknowledged one
    entries: Mapped[dict[str, Any]] = mapped_column(JSON, default=dict)
    pending_command_id: Mapped[str | None] = mapped_column(String(36))
    # False once the station answered NotSupported, or listVersion -1.
    supported: Mapped[bool] = mapped_column(Boolean, default=True)
    # Full lists sent in a row because the station failed the last one (bounded).
    resends: Mapped[int] = mapped_column(Integer, default=0)
    problem: Mapped[str | None] = mapped_column(Text)  # what went wrong last, if anything
    # 2.x: the idToken type the entries were sent with (the last sync's).
    token_type: Mapped[str | None] = mapped_column(String(20))
    # 2.x: the update in flight is one part of a list too large for one message; once it
    # is accepted, the next part follows.
    more_parts: Mapped[bool] = mapped_column(Boolean, default=False, server_default=text("false"))
    updated_at: Mapped[datetime] = mapped_column(default=utcnow)


class Reservation(Base):
    """A ReserveNow: its id is the reservationId the station gets (never reused).

    A 1.6 station's names its connector; a 2.x station's an EVSE, a connector type or
    neither (any EVSE), with the idToken's type (channels/domain/reservations.py)."""

    __tablename__ = "reservations"
    __table_args__ = {"sqlite_autoincrement": True}

    id: Mapped[int] = mapped_column(Integer, primary_key=True, autoincrement=True)
    station_id: Mapped[str] = mapped_column(
        ForeignKey("charge_points.id", ondelete="CASCADE"), index=True
    )
    # 1.6: the connector (0: any connector of the station); None on a 2.x reservation.
    connector_id: Mapped[int | None] = mapped_column(Integer)
    # 2.x: the EVSE (None: any), the connector type asked for (None: any).
    evse_id: Mapped[int | None] = mapped_column(Integer)
    connector_type: Mapped[str | None] = mapped_column(String(20))
    id_tag: Mapped[str] = mapped_column(StationText)  # 2.x: the idToken's value
    id_token_type: Mapped[str | None] = mapped_column(String(20))  # 2.x: the idToken's type
    parent_id_tag: Mapped[str | None] = mapped_column(StationText)  # 2.x: the groupIdToken's
    expiry_date: Mapped[datetime]
    # pending (ReserveNow unanswered), active, used, cancelled, expired, ended
    status: Mapped[str] = mapped_column(String(10), default="pending")
    reason: Mapped[str | None] = mapped_column(Text)  # why it ended, or a refused cancel
    command_id: Mapped[str | None] = mapped_column(String(36))  # the last command about it
    transaction_id: Mapped[int | None] = mapped_column(Integer)  # the one that used it
    created_at: Mapped[datetime] = mapped_column(default=utcnow)
    ended_at: Mapped[datetime | None]


# --- smart charging (1.6 Smart Charging profile, 2.x block K: domain/smart_charging.py) -----------


class ChargingProfile(Base):
    """A charging profile a station accepted (or, 2.x, reported as the central system's own),
    and what became of it. A 2.x station's EVSE is its `connector_id`.

    `status`: `pending` (in an accepted RemoteStartTransaction, until the StartTransaction
    that follows binds it to its transaction), `installed` (the station holds it), then
    `replaced` (by a profile of the same id, or of the same connector, purpose and
    stackLevel), `cleared` (ClearChargingProfile), `ended` (a TxProfile whose transaction
    stopped) or `expired` (pending, and no StartTransaction came for it); `status_at` is
    when it took that status. At most one installed row per (station, connector, purpose,
    stackLevel); a station's other rows are history, the newest kept.
    """

    __tablename__ = "charging_profiles"
    __table_args__ = (
        Index("ix_charging_profiles_station_status", "station_id", "status"),
        Index(
            "uq_charging_profiles_installed", "station_id", "connector_id", "purpose",
            "stack_level", unique=True,
            postgresql_where=text("status = 'installed'"),
            sqlite_where=text("status = 'installed'"),
        ),
    )  # fmt: skip

    id: Mapped[int] = mapped_column(Integer, primary_key=True, autoincrement=True)
    station_id: Mapped[str] = mapped_column(ForeignKey("charge_points.id", ondelete="CASCADE"))
    # None: pending, from a RemoteStartTransaction that left the connector to the station.
    connector_id: Mapped[int | None] = mapped_column(Integer)
    charging_profile_id: Mapped[int] = mapped_column(Integer)
    stack_level: Mapped[int] = mapped_column(Integer)
    # ChargePointMaxProfile (2.x ChargingStationMaxProfile), TxDefaultProfile or TxProfile.
    purpose: Mapped[str] = mapped_column(String(25))
    kind: Mapped[str] = mapped_column(String(10))  # Absolute, Recurring, Relative
    # A TxProfile's transaction (transactions.id): the profile's own, else the one open on
    # its connector when it was installed.
    transaction_id: Mapped[int | None] = mapped_column(Integer)
    valid_from: Mapped[datetime | None]
    valid_to: Mapped[datetime | None]
    profile: Mapped[dict[str, Any]]  # 1.6 csChargingProfiles, 2.x chargingProfile, as sent
    id_tag: Mapped[str | None] = mapped_column(StationText)  # pending: the remote start's idTag
    status: Mapped[str] = mapped_column(String(10))
    created_at: Mapped[datetime] = mapped_column(default=utcnow)
    status_at: Mapped[datetime] = mapped_column(default=utcnow)


class CompositeSchedule(Base):
    """A station's last answer to GetCompositeSchedule for a connector (2.x: an EVSE), with
    what was asked."""

    __tablename__ = "composite_schedules"

    station_id: Mapped[str] = mapped_column(
        ForeignKey("charge_points.id", ondelete="CASCADE"), primary_key=True
    )
    connector_id: Mapped[int] = mapped_column(Integer, primary_key=True)  # as asked
    duration: Mapped[int] = mapped_column(Integer)  # seconds, as asked
    charging_rate_unit: Mapped[str | None] = mapped_column(String(1))  # as asked: A, W or none
    status: Mapped[str | None] = mapped_column(String(10))  # the answer's: Accepted, Rejected
    response: Mapped[dict[str, Any]]  # the answer as the station sent it
    received_at: Mapped[datetime] = mapped_column(default=utcnow)


# --- firmware updates and diagnostics uploads (OCPP 1.6 UpdateFirmware, GetDiagnostics) ----


class FirmwareUpdate(Base):
    """An UpdateFirmware sent (1.6, 2.x; the 1.6 security extension's SignedUpdateFirmware),
    or a 2.x PublishFirmware to a local controller: the file the station downloads from us,
    and what it said of it. The id is the 2.x (and signed) requests' requestId.

    The download URL holds a random token; only its SHA-256 is kept here."""

    __tablename__ = "firmware_updates"

    id: Mapped[int] = mapped_column(Integer, primary_key=True, autoincrement=True)
    station_id: Mapped[str] = mapped_column(
        ForeignKey("charge_points.id", ondelete="CASCADE"), index=True
    )
    command_id: Mapped[str] = mapped_column(String(36))  # the UpdateFirmware CALL's id
    file_name: Mapped[str] = mapped_column(String(255))  # in --firmware-dir
    token_hash: Mapped[str] = mapped_column(String(64), unique=True)
    retrieve_date: Mapped[datetime]  # a publication's: when it was sent (fetched at once)
    # Requested (sent), CommandFailed, the answer (2.x: Accepted, Rejected, ...; Canceled by
    # a later update), or the station's last FirmwareStatus (PublishFirmwareStatus).
    status: Mapped[str] = mapped_column(String(32), default="Requested")
    # UpdateFirmware, SignedUpdateFirmware or PublishFirmware: the request sent.
    action: Mapped[str] = mapped_column(
        String(24), default="UpdateFirmware", server_default="UpdateFirmware"
    )
    signed: Mapped[bool] = mapped_column(Boolean, default=False, server_default=text("false"))
    install_date: Mapped[datetime | None]
    checksum: Mapped[str | None] = mapped_column(String(32))  # a publication's file's MD5
    # The URLs a local controller publishes the file at (its Published notification).
    locations: Mapped[list[str] | None] = mapped_column(JSON)
    downloaded_at: Mapped[datetime | None]  # first served to the station
    created_at: Mapped[datetime] = mapped_column(default=utcnow)
    updated_at: Mapped[datetime] = mapped_column(default=utcnow)


class DiagnosticsRequest(Base):
    """A GetDiagnostics or GetLog sent: the upload URL's token (its SHA-256), what the
    station answered and said, and the file it uploaded (stored as
    <--uploads-dir>/diagnostics/<id>). A GetLog's requestId is the row's id."""

    __tablename__ = "diagnostics_requests"

    id: Mapped[int] = mapped_column(Integer, primary_key=True, autoincrement=True)
    station_id: Mapped[str] = mapped_column(
        ForeignKey("charge_points.id", ondelete="CASCADE"), index=True
    )
    command_id: Mapped[str] = mapped_column(String(36))  # the GetDiagnostics CALL's id
    token_hash: Mapped[str] = mapped_column(String(64), unique=True)
    start_time: Mapped[datetime | None]
    stop_time: Mapped[datetime | None]
    # The answer's fileName (CiString255), else the upload's own name.
    file_name: Mapped[str | None] = mapped_column(StationText)
    # DiagnosticsLog or SecurityLog for a GetLog; None for a GetDiagnostics.
    log_type: Mapped[str | None] = mapped_column(String(20))
    # Requested, CommandFailed, NoDiagnostics (answered without fileName), or the
    # station's last DiagnosticsStatus; a GetLog's: Requested, Accepted, Rejected,
    # CommandFailed, or its last LogStatusNotification's status.
    status: Mapped[str] = mapped_column(String(24), default="Requested")
    upload_started_at: Mapped[datetime | None]  # an upload is under way (the token's claim)
    received_at: Mapped[datetime | None]  # the file arrived whole
    size: Mapped[int | None] = mapped_column(BigInteger)
    created_at: Mapped[datetime] = mapped_column(default=utcnow)
    updated_at: Mapped[datetime] = mapped_column(default=utcnow)
