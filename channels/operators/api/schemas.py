"""The API's request and response bodies; the OpenAPI document is made from these."""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Annotated, Any, Generic, Literal, TypeVar

from fastapi import Path, Query
from pydantic import BaseModel, ConfigDict, Field, field_validator, model_validator

from ocpp_cable.channels.domain import viewers
from ocpp_cable.channels.domain.authorization import MAX_TAG_LENGTH, TAG_STATUSES
from ocpp_cable.channels.domain.reservations import DEFAULT_TOKEN_TYPE
from ocpp_cable.channels.domain.timeutil import is_duration, now, parse_when
from ocpp_cable.ocppj.versions import ALL_CENTRAL_ACTIONS, BY_NAME

T = TypeVar("T")


def utc(value: datetime) -> datetime:
    """A time given without a zone is UTC."""
    return value.replace(tzinfo=UTC) if value.tzinfo is None else value


TagStatus = Literal[TAG_STATUSES]  # type: ignore[valid-type]
MAX_LIMIT = 500
INT32 = 2**31 - 1  # the database's integer, and OCPP's transactionId

Limit = Annotated[int, Query(ge=1, le=MAX_LIMIT, description="Items per page")]
Offset = Annotated[int, Query(ge=0, le=INT32, description="Items to skip")]
TransactionId = Annotated[int, Path(ge=-INT32 - 1, le=INT32)]
# Of every version: the station's own is checked when the command goes to it.
CentralAction = Literal[tuple(sorted(ALL_CENTRAL_ACTIONS))]  # type: ignore[valid-type]
OcppVersion = Literal[tuple(BY_NAME)]  # type: ignore[valid-type]


class Page(BaseModel, Generic[T]):
    items: list[T]
    total: int = Field(description="How many match the filters, on every page")
    limit: int
    offset: int


class Connector(BaseModel):
    evse_id: int = Field(description="The EVSE; a 1.6 connector is an EVSE of its own")
    connector_id: int = Field(description="0 is the charge point itself")
    status: str
    error_code: str | None = Field(description="OCPP 1.6's errorCode; none from 2.x")
    info: str | None
    updated_at: datetime


class Variable(BaseModel):
    component: str
    component_instance: str | None
    evse_id: int | None
    connector_id: int | None
    variable: str
    variable_instance: str | None
    attribute_type: str
    value: str | None
    mutability: str | None
    reported_at: datetime


Registration = Literal["accepted", "pending", "rejected"]


class StationSummary(BaseModel):
    id: str
    ocpp_version: str | None = Field(
        description="1.6, 2.0.1 or 2.1, as of its last connection (none: never connected)"
    )
    connected: bool = Field(description="Connected now, and its gateway node's lease holds")
    registration: Registration = Field(
        description="What its BootNotification is answered: accepted; pending (it sends "
        "nothing but what the central system asks for, and may be sent commands); "
        "rejected (it sends nothing but its boot, and is sent nothing)"
    )
    boot_status: str | None = Field(description="What its last BootNotification was answered")
    vendor: str | None
    model: str | None
    firmware_version: str | None
    last_seen: datetime | None
    auth: Literal["none", "password", "missing"] = Field(
        description="How it proves itself; `missing`: a password is required but none is set"
    )
    connectors: list[Connector]


class PendingRotation(BaseModel):
    command_id: str = Field(description="The command that sent the new password")
    status: Literal["sent", "accepted", "unanswered"] = Field(
        description="sent: waiting for the station's answer; accepted: the station took it; "
        "unanswered: the command ended without the station's word (Timeout, NoAnswer, "
        "NotSent, NotConnected), so it may have taken it. Both passwords are admitted until "
        "the station's first login with the new one, which ends the rotation; an unanswered "
        "one also ends when the station logs in with the old one. No other rotation starts "
        "meanwhile; setting a password (PATCH) ends it"
    )
    error_code: str | None = Field(description="How an unanswered rotation's command ended")
    started_at: datetime | None


class Station(StationSummary):
    charge_point_serial_number: str | None
    charge_box_serial_number: str | None
    iccid: str | None
    imsi: str | None
    meter_type: str | None
    meter_serial_number: str | None
    booted_at: datetime | None
    node_id: str | None
    firmware_status: str | None
    diagnostics_status: str | None
    has_password: bool
    created_at: datetime
    tolerate: list[str] = Field(
        description="Schema rules it may break, repaired by the gateway (see PUT .../leniency)"
    )
    tolerated_count: int = Field(description="Its messages taken with violations forgiven")
    security_profile: int | None = Field(
        description="The lowest OCPP security profile it may connect with (null: any); "
        "raised once it connected on a profile it was moved to (see PUT .../security-profile)"
    )
    pending_security_profile: int | None = Field(
        description="A profile it accepted moving to (SetNetworkProfile, 1.6 SecurityProfile) "
        "and has not connected on yet"
    )
    password_rotation: PendingRotation | None = Field(
        description="Its password rotation under way (POST .../password-rotation), if any"
    )
    open_transactions: list[Transaction]


class NewStation(BaseModel):
    model_config = ConfigDict(extra="forbid")

    # As the gateway takes it in a URL: no control character, '/' or ':'.
    id: str = Field(
        min_length=1, max_length=48, pattern=r"^[^\x00-\x1f\x7f/:]+$", examples=["CP-1"]
    )
    password: str | None = Field(
        None,
        min_length=1,
        description="HTTP Basic password the station must present (stored as a salted "
        "hash); none: it connects without credentials",
    )
    registration: Registration | None = Field(
        None,
        description="What its BootNotification is answered; none: as the `registration` "
        "setting says (accepted unless set to pending)",
    )


class RegistrationChange(BaseModel):
    model_config = ConfigDict(extra="forbid")

    registration: Registration = Field(
        description="accepted: a connected station that was not is asked to boot again now "
        "(TriggerMessage BootNotification); pending or rejected: from its next boot or "
        "connection on"
    )


class RegistrationOutcome(BaseModel):
    station_id: str
    registration: Registration
    previous: Registration
    boot_requested: str | None = Field(
        description="The TriggerMessage(BootNotification) command sent, if any (see /commands)"
    )
    note: str = Field(description="What happens next, for people")


class SecurityProfileFloor(BaseModel):
    model_config = ConfigDict(extra="forbid")

    floor: Literal[1, 2, 3] | None = Field(
        description="The lowest security profile the station may connect with; null: any"
    )


class StationChange(BaseModel):
    model_config = ConfigDict(extra="forbid")

    password: str | None = Field(
        min_length=1, description="A new password; null: connects without credentials"
    )


ToleratedRule = Literal["additionalProperties", "maxLength", "enum", "type", "format"]


class Leniency(BaseModel):
    model_config = ConfigDict(extra="forbid")

    tolerate: list[ToleratedRule] = Field(
        max_length=5,
        description="The schema rules the station may break from its next connection on; "
        "[]: strict",
    )


class Transaction(BaseModel):
    id: int
    station_id: str
    connector_id: int | None = Field(description="Unknown until a 2.x station names it")
    id_tag: str | None = Field(description="The idTag (2.x: idToken); unknown until given")
    start_time: datetime
    stop_time: datetime | None
    meter_start: int | None = Field(description="Wh; 2.x: the first energy reading")
    meter_stop: int | None = Field(description="Wh")
    energy_wh: int | None
    energy_kwh: float | None
    stop_reason: str | None
    closed_by: Literal["operator"] | None = Field(
        description="`operator`: closed through the API; the station's own stop, if it "
        "comes, replaces these values"
    )
    station_transaction_id: str | None = Field(
        description="OCPP 2.x: the station's transactionId (RequestStopTransaction takes it)"
    )
    evse_id: int | None
    charging_state: str | None = Field(description="OCPP 2.x: as of the latest event")
    tariff: str | None = Field(
        description="The tariff in force when it started, by its name then; None: not priced"
    )
    cost: str | None = Field(
        description="Exact decimal text, taxes included: the final cost once stopped, the "
        "running cost while open (as of its newest energy reading); None: not priced, or "
        "its energy is unknown",
        examples=["4.80"],
    )
    currency: str | None = Field(description="ISO 4217 code of `cost`")


class CloseTransaction(BaseModel):
    model_config = ConfigDict(extra="forbid")

    meter_stop: int | None = Field(
        None,
        ge=0,
        le=2**62,
        description="Wh; unset: the last energy register reading stored for it, "
        "else its meter_start",
    )
    reason: StopReason = Field("Other", description="The stop reason recorded (OCPP 1.6 Reason)")


class MeterValue(BaseModel):
    station_id: str = Field(description="The station that sent the reading")
    connector_id: int = Field(description="1.6: the connector; 2.x: the EVSE (0: the station)")
    transaction_id: int | None = Field(
        description="The transaction the reading counts into: always one its station started"
    )
    claimed_transaction_id: int | None = Field(
        description="A 1.6 transactionId the station sent that is no transaction of its own "
        "(another station's, or none yet): the reading is kept apart, counted into nothing"
    )
    timestamp: datetime
    measurand: str
    phase: str | None
    value: str
    unit: str | None
    context: str | None
    location: str | None


class Message(BaseModel):
    id: int
    station_id: str
    direction: Literal["in", "out"] = Field(description="in: from the station; out: to it")
    message_type: str
    action: str | None
    message_id: str | None
    payload: dict[str, Any] | None
    created_at: datetime


class IdTag(BaseModel):
    tag: str
    status: str
    expiry_date: datetime | None
    parent_id_tag: str | None
    created_at: datetime


class IdTagValues(BaseModel):
    model_config = ConfigDict(extra="forbid")

    status: TagStatus = "Accepted"
    expiry_date: datetime | None = Field(None, description="With a zone; UTC when none")
    parent_id_tag: str | None = Field(None, min_length=1, max_length=MAX_TAG_LENGTH)

    @field_validator("expiry_date")
    @classmethod
    def _zone(cls, value: datetime | None) -> datetime | None:
        return None if value is None else utc(value)


Price = Annotated[
    str | int | float,
    Field(description="0 or more, at most 6 decimal places; decimal text keeps it exact",
          examples=["0.30"]),
]  # fmt: skip


class Tariff(BaseModel):
    name: str
    currency: str = Field(description="ISO 4217 code")
    energy_price: str = Field(description="Per kWh, exact decimal text", examples=["0.30"])
    time_price: str = Field(description="Per hour from start to stop", examples=["1.20"])
    session_fee: str = Field(description="Per session", examples=["0.50"])
    default: bool = Field(description="Prices the sessions of stations assigned no tariff")
    stations: list[str] = Field(description="The stations assigned it")
    created_at: datetime
    updated_at: datetime


class TariffValues(BaseModel):
    """A tariff's prices, taxes included; sessions under way keep those they started with."""

    model_config = ConfigDict(extra="forbid")

    currency: str = Field(min_length=3, max_length=3, description="ISO 4217 code, e.g. EUR")
    energy_price: Price = "0"
    time_price: Price = "0"
    session_fee: Price = "0"
    default: bool = Field(False, description="Make it the default tariff (false: it is not)")


class StationTariff(BaseModel):
    station_id: str
    tariff: Tariff | None = Field(description="What its next session is priced by")
    source: Literal["station", "default"] | None = Field(
        description="`station`: assigned to it; `default`: the default tariff; None: no tariff"
    )


class AssignTariff(BaseModel):
    model_config = ConfigDict(extra="forbid")

    tariff: str = Field(min_length=1, max_length=64, description="The tariff's name")


class NewCommand(BaseModel):
    model_config = ConfigDict(extra="forbid")

    action: CentralAction = Field(  # type: ignore[valid-type]
        examples=["Reset"],
        description="An action a central system sends, in the OCPP version the station "
        "speaks (its `ocpp_version`)",
    )
    payload: dict[str, Any] = Field(
        default_factory=dict,
        examples=[{"type": "Soft"}],
        description="Checked against its schema in the station's OCPP version",
    )


class OcppActions(BaseModel):
    """What a version of OCPP lets a central system send, for a client choosing a command
    (the dashboard's Send a command) before POST /stations/{id}/commands checks it."""

    version: OcppVersion  # type: ignore[valid-type]
    central: list[str] = Field(
        description="The actions a central system sends a station speaking this version "
        "(sorted): what POST /stations/{id}/commands takes for it",
        examples=[["CancelReservation", "ChangeAvailability", "ChangeConfiguration"]],
    )


CommandStatus = Literal["queued", "sent", "accepted", "rejected", "error", "timeout"]
# OCPP 1.6 Reason, what a StopTransaction gives.
StopReason = Literal[
    "EmergencyStop", "EVDisconnected", "HardReset", "Local", "Other", "PowerLoss", "Reboot",
    "Remote", "SoftReset", "UnlockCommand", "DeAuthorized",
]  # fmt: skip


class Command(BaseModel):
    """A command to a station as the API shows it (models.Command is its row): one
    meaning, two representations; the name is the API's, in its OpenAPI document."""

    id: str = Field(description="The CALL's message id")
    station_id: str
    action: str
    payload: dict[str, Any]
    status: CommandStatus
    response: dict[str, Any] | None
    error_code: str | None
    created_at: datetime
    sent_at: datetime | None
    answered_at: datetime | None


class NewPasswordRotation(BaseModel):
    model_config = ConfigDict(extra="forbid")

    password: str | None = Field(
        None,
        min_length=16,
        max_length=40,
        description="The new password: 16 to 20 characters for a 1.6 station, 16 to 40 for "
        "2.x, of letters, digits and * - _ = : + | @ . (never shown back); none: one is made",
    )


class PasswordRotation(BaseModel):
    station_id: str
    command_id: str
    action: Literal["ChangeConfiguration", "SetVariables"]
    state: Literal["waiting", "accepted", "refused", "failed", "unanswered"] = Field(
        description="waiting: no answer yet; accepted: the station has the new password "
        "(the old one is admitted until it logs in with it); refused, failed: it keeps "
        "the old one (its answer or CALLERROR said so, or the command never left); "
        "unanswered: no word from the station (Timeout, NoAnswer, NotSent, NotConnected), "
        "so both are admitted until its next login settles it: the new one ends the "
        "rotation, the old one too (the station did not switch)"
    )
    command: Command = Field(description="The command, its password masked")


class EnergyRow(BaseModel):
    period_start: datetime
    station_id: str
    transactions: int
    energy_wh: int
    energy_kwh: float
    costs: dict[str, str] = Field(
        description="What its priced sessions cost, by ISO 4217 code (exact decimal text)",
        examples=[{"EUR": "12.35"}],
    )


class EnergyReport(BaseModel):
    period: Literal["day", "week", "month"]
    since: datetime | None
    until: datetime | None
    rows: list[EnergyRow]
    total_wh: int
    total_kwh: float
    total_costs: dict[str, str] = Field(description="By ISO 4217 code")


class Counts(BaseModel):
    total: int
    connected: int


class Status(BaseModel):
    version: str
    database: Literal["ok"]
    stations: Counts
    transactions: dict[str, int]
    commands: dict[str, int]
    gateway_nodes: list[dict[str, Any]]


Station.model_rebuild()


# --- tokens: who is asking, and an admin's management of them --------------------------

TokenScope = Literal[viewers.SCOPES]  # type: ignore[valid-type]


class Me(BaseModel):
    name: str
    scope: TokenScope


class Token(BaseModel):
    name: str
    scope: TokenScope
    created_at: datetime
    revoked_at: datetime | None = Field(description="null: in force")


class NewToken(BaseModel):
    model_config = ConfigDict(extra="forbid")

    name: str = Field(
        examples=["ops"],
        description=f"1 to {viewers.MAX_NAME_LENGTH} characters, no control character, "
        "`/` or `\\`; a revoked token's name may be taken again",
    )
    scope: TokenScope = Field(
        viewers.READ,
        description="read: GET and watch at /cable; write: also change data and command "
        "stations; admin: also manage tokens",
    )

    @field_validator("name")
    @classmethod
    def _name(cls, value: str) -> str:
        problem = viewers.name_problem(value)
        if problem is not None:
            raise ValueError(problem)
        return value


class MadeToken(Token):
    token: str = Field(description="The token itself: in this answer only, never again")


# --- local authorization lists and reservations (1.6, 2.x) ------------------------------


class LocalListSync(BaseModel):
    model_config = ConfigDict(extra="forbid")

    full: bool = Field(
        False, description="Send the whole list (Full update), not only what changed"
    )
    token_type: (
        Literal["Central", "eMAID", "ISO14443", "ISO15693", "KeyCode", "Local", "MacAddress"] | None
    ) = Field(
        None,
        description="2.x: the entries' idToken type (none: as last sent, else ISO14443)",
    )


class LocalListSent(BaseModel):
    station_id: str
    sent: bool = Field(description="false: the station holds our list already")
    command_id: str | None = Field(description="The SendLocalList's (GET /api/v1/commands/{id})")
    version: int | None = Field(description="The version sent, or the one it holds")
    update_type: Literal["Differential", "Full"] | None
    entries: int = Field(description="Entries in the update")
    more_parts: bool = Field(
        False,
        description="2.x: the list is larger than one message takes; the rest follows as "
        "Differential updates, each once the one before is accepted",
    )


class LocalListUpdate(BaseModel):
    command_id: str
    version: int | None
    update_type: str | None
    entries: int
    sent_at: datetime


class LocalListState(BaseModel):
    station_id: str
    version: int | None = Field(description="The version the station acknowledged; none yet")
    in_sync: bool = Field(description="It holds every idTag of ours as we keep it")
    entries: int = Field(description="Entries it holds as of `version`")
    wanted: int = Field(description="Entries of our list (idTags the station can hold)")
    left_out: int = Field(
        description="idTags longer than the station's idTag (1.6: 20; 2.0.1: 36), never sent"
    )
    supported: bool = Field(description="false: it answered NotSupported, or listVersion -1")
    problem: str | None = Field(description="What went wrong last (failed, resent, gave up)")
    token_type: str | None = Field(None, description="2.x: the entries' idToken type")
    more_parts: bool = Field(False, description="2.x: parts of the list are still to follow")
    in_flight: LocalListUpdate | None = Field(description="The update awaiting its answer")


class NewReservation(BaseModel):
    """A 1.6 station's reservation names `connector_id`; a 2.x station's `evse_id`,
    `connector_type` or neither (any EVSE), and `id_token_type`."""

    model_config = ConfigDict(extra="forbid")

    connector_id: int | None = Field(
        None,
        ge=0,
        le=INT32,
        description="1.6 (required): the connector; 0 (any) only if the station reports "
        "ReserveConnectorZeroSupported",
    )
    evse_id: int | None = Field(
        None, ge=1, le=INT32, description="2.x: the EVSE to reserve (none: any EVSE)"
    )
    connector_type: str | None = Field(
        None,
        min_length=1,
        max_length=20,
        description="2.x: a connector of this type (cType2, cCCS2, ...: the version's "
        "ConnectorEnumType)",
    )
    id_tag: str = Field(
        min_length=1,
        max_length=MAX_TAG_LENGTH,
        description="An Accepted idTag of ours (1.6: up to 20 characters; 2.x: the "
        "idToken's value, up to 36 in 2.0.1, 255 in 2.1)",
    )
    id_token_type: str | None = Field(
        None,
        min_length=1,
        max_length=20,
        description=f"2.x: the idToken's type (default {DEFAULT_TOKEN_TYPE})",
    )
    parent_id_tag: str | None = Field(
        None,
        min_length=1,
        max_length=MAX_TAG_LENGTH,
        description="Its group (2.x: the groupIdToken). Default: the idTag's parent",
    )
    expiry_date: datetime = Field(
        description="In the future: an ISO 8601 time (UTC when it names no zone), or a "
        "duration from now as `reserve --expires` takes it (90s, 30m, 2h, 1d)"
    )

    @field_validator("expiry_date", mode="before")
    @classmethod
    def _from_now(cls, value: Any) -> Any:
        if isinstance(value, str) and is_duration(value):
            return parse_when(value, now())
        return value

    @field_validator("expiry_date")
    @classmethod
    def _zone(cls, value: datetime) -> datetime:
        return utc(value)


class Reservation(BaseModel):
    id: int = Field(description="The reservationId the station got")
    station_id: str
    reserves: str = Field(
        description='What it holds, in words: "connector 1" (1.6), "EVSE 2", '
        '"any cType2 connector", "any EVSE" (2.x)'
    )
    connector_id: int | None = Field(description="1.6: the connector (0: any); 2.x: none")
    evse_id: int | None = Field(description="2.x: the EVSE; none: any")
    connector_type: str | None = Field(description="2.x: the connector type asked for")
    id_tag: str = Field(description="The idTag (2.x: the idToken's value)")
    id_token_type: str | None = Field(description="2.x: the idToken's type")
    parent_id_tag: str | None = Field(description="Its group (2.x: the groupIdToken)")
    expiry_date: datetime
    status: Literal["pending", "active", "used", "cancelled", "expired", "ended"] = Field(
        description="pending: ReserveNow unanswered; used: a transaction took it"
    )
    reason: str | None = Field(description="Why it ended, or why a cancel was refused")
    command_id: str | None = Field(description="The last command about it")
    transaction_id: int | None
    created_at: datetime
    ended_at: datetime | None


# --- smart charging (OCPP 1.6) ------------------------------------------------------------


class ChargingProfile(BaseModel):
    id: int = Field(description="Our row's id (the station's is charging_profile_id)")
    station_id: str
    connector_id: int | None = Field(
        description="The connector (2.x: the EVSE); 0: the whole station; none: pending for "
        "the connector the station chooses"
    )
    charging_profile_id: int
    stack_level: int
    purpose: Literal[
        "ChargePointMaxProfile", "ChargingStationMaxProfile", "TxDefaultProfile", "TxProfile",
        "PriorityCharging", "LocalGeneration",
    ]  # fmt: skip
    kind: str = Field(description="Absolute, Recurring or Relative (2.1: Dynamic too)")
    transaction_id: int | None = Field(description="A TxProfile's transaction")
    valid_from: datetime | None
    valid_to: datetime | None
    id_tag: str | None = Field(description="Pending: the RemoteStartTransaction's idTag")
    status: Literal["pending", "installed", "replaced", "cleared", "ended", "expired"] = Field(
        description="pending: in an accepted RemoteStartTransaction, until its "
        "StartTransaction; installed: the station holds it; then replaced, cleared, ended "
        "(its transaction stopped) or expired (pending, and its start never came)"
    )
    created_at: datetime
    status_at: datetime = Field(description="When it took its status")
    profile: dict[str, Any] = Field(
        description="The profile as sent or reported (1.6 csChargingProfiles, 2.x chargingProfile)"
    )


class CompositeSchedule(BaseModel):
    station_id: str
    connector_id: int = Field(description="The connector (2.x: the EVSE), as asked")
    duration: int = Field(description="Seconds, as asked")
    charging_rate_unit: Literal["A", "W"] | None = Field(description="As asked")
    status: str | None = Field(description="The answer's: Accepted or Rejected")
    response: dict[str, Any] = Field(
        description="The answer as sent: 1.6 scheduleStart and chargingSchedule, 2.x schedule"
    )
    received_at: datetime


# --- station configuration, firmware updates, diagnostics (OCPP 1.6) ----------------------


class ConfigurationKey(BaseModel):
    key: str = Field(description="As the station spells it (keys compare case-insensitively)")
    value: str | None
    readonly: bool | None = Field(description="As reported; none: set by us, never reported")
    reboot_required: bool = Field(
        description="Changed (RebootRequired), and the station has not booted since"
    )
    updated_at: datetime


class NewFirmwareUpdate(BaseModel):
    model_config = ConfigDict(extra="forbid")

    file_name: str = Field(
        min_length=1, max_length=255, examples=["acme-2.1.0.bin"], description="In --firmware-dir"
    )
    retrieve_date: datetime | None = Field(
        None, description="When the station downloads it (none: now); UTC when no zone"
    )
    install_date: datetime | None = Field(
        None, description="2.x, or signed: when the station installs it; UTC when no zone"
    )
    retries: int | None = Field(None, ge=0, le=INT32)
    retry_interval: int | None = Field(None, ge=0, le=INT32, description="Seconds")
    signing_certificate: str | None = Field(
        None,
        max_length=5500,
        description="Signed firmware: the certificate it was signed with, PEM (with signature; "
        "a 1.6 station gets SignedUpdateFirmware)",
    )
    signature: str | None = Field(
        None, max_length=800, description="Signed firmware: the firmware's signature, base64"
    )

    @field_validator("retrieve_date", "install_date")
    @classmethod
    def _zone(cls, value: datetime | None) -> datetime | None:
        return None if value is None else utc(value)


class NewFirmwarePublication(BaseModel):
    model_config = ConfigDict(extra="forbid")

    file_name: str = Field(
        min_length=1, max_length=255, examples=["acme-2.1.0.bin"], description="In --firmware-dir"
    )
    retries: int | None = Field(None, ge=0, le=INT32)
    retry_interval: int | None = Field(None, ge=0, le=INT32, description="Seconds")


class FirmwareUnpublication(BaseModel):
    """The firmware a local controller stops publishing: by its MD5 checksum, or by the file
    of --firmware-dir it is (one of the two)."""

    model_config = ConfigDict(extra="forbid")

    checksum: str | None = Field(
        None, pattern="^[0-9a-fA-F]{32}$", description="The firmware's MD5 (32 hex digits)"
    )
    file_name: str | None = Field(
        None, min_length=1, max_length=255, description="A file in --firmware-dir (its MD5)"
    )

    @model_validator(mode="after")
    def _one(self) -> FirmwareUnpublication:
        if (self.checksum is None) == (self.file_name is None):
            raise ValueError("give checksum or file_name, not both")
        return self


class FirmwareUpdate(BaseModel):
    id: int = Field(description="Also the requestId of 2.x and signed requests")
    station_id: str
    action: Literal["UpdateFirmware", "SignedUpdateFirmware", "PublishFirmware"] = Field(
        description="The request sent: PublishFirmware for a local controller's publication"
    )
    signed: bool = Field(description="Sent with a signing certificate and signature")
    file_name: str
    status: str = Field(
        description="Requested, CommandFailed; the answer of a 2.x or signed request "
        "(Accepted, Rejected, InvalidCertificate, RevokedCertificate; Canceled by a later "
        "update the station took instead); or the station's last FirmwareStatus "
        "(Downloading, Downloaded, DownloadFailed, Installing, Installed, InstallationFailed, "
        "2.x: DownloadScheduled, InstallScheduled, InstallRebooting, SignatureVerified, "
        "InvalidSignature, InstallVerificationFailed, ...) or PublishFirmwareStatus "
        "(Downloading, ChecksumVerified, Published, InvalidChecksum, PublishFailed, ...); "
        "Unpublished"
    )
    state: Literal["open", "done", "failed"]
    command_id: str = Field(description="The request's command id")
    retrieve_date: datetime = Field(description="A publication's: when it was sent")
    install_date: datetime | None
    checksum: str | None = Field(description="A publication's: the file's MD5")
    locations: list[str] | None = Field(
        description="A publication's: the URLs the local controller publishes it at"
    )
    downloaded_at: datetime | None = Field(description="When the station first fetched it")
    created_at: datetime
    updated_at: datetime


class NewDiagnosticsRequest(BaseModel):
    model_config = ConfigDict(extra="forbid")

    log: Literal["diagnostics", "security"] | None = Field(
        None,
        description="The log to ask for with GetLog; none: GetDiagnostics on OCPP 1.6, the "
        "diagnostics log on 2.x",
    )
    start: datetime | None = Field(None, description="The oldest logging wanted; UTC when no zone")
    stop: datetime | None = Field(None, description="The latest logging wanted; UTC when no zone")
    retries: int | None = Field(None, ge=0, le=INT32)
    retry_interval: int | None = Field(None, ge=0, le=INT32, description="Seconds")

    @field_validator("start", "stop")
    @classmethod
    def _zone(cls, value: datetime | None) -> datetime | None:
        return None if value is None else utc(value)


class DiagnosticsRequest(BaseModel):
    id: int
    station_id: str
    log_type: str | None = Field(
        description="DiagnosticsLog or SecurityLog for a GetLog (its requestId is the id); "
        "none for a GetDiagnostics"
    )
    status: str = Field(
        description="Requested, CommandFailed, NoDiagnostics (the station had none), or its "
        "last DiagnosticsStatus (Uploading, Uploaded, UploadFailed); a GetLog's: Requested, "
        "Accepted, Rejected, CommandFailed, or its last LogStatusNotification's status "
        "(Uploading, Uploaded, UploadFailure, BadMessage, NotSupportedOperation, "
        "PermissionDenied, AcceptedCanceled)"
    )
    state: Literal["open", "done", "failed"] = Field(
        description="done: the file arrived and the station said Uploaded"
    )
    file_name: str | None = Field(description="The answer's file name, else the upload's")
    size: int | None = Field(description="Bytes received")
    start_time: datetime | None
    stop_time: datetime | None
    command_id: str = Field(description="The GetDiagnostics or GetLog command's id")
    received_at: datetime | None
    created_at: datetime
    updated_at: datetime
