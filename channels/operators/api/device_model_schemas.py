"""The request and response bodies of a 2.x station's device model in the API (variables,
reports, monitoring, customer information) and its display messages; the rest are in
schemas.py."""

from __future__ import annotations

from datetime import datetime
from typing import Annotated, Literal

from pydantic import BaseModel, ConfigDict, Field, field_validator

from ocpp_cable.channels.domain.device_requests import NOTATION_HELP
from ocpp_cable.channels.operators.admin import device_model, display_messages
from ocpp_cable.channels.operators.api.schemas import INT32, Command, utc

Id = Annotated[int, Field(ge=0, le=INT32)]
# Entries one call may name: a request is split for the station anyway, but a body is bounded.
MAX_ENTRIES = 1000
Notation = Field(min_length=1, max_length=300, description=NOTATION_HELP)

ReportBase = Literal[device_model.REPORT_BASES]  # type: ignore[valid-type]
ComponentCriterion = Literal[device_model.COMPONENT_CRITERIA]  # type: ignore[valid-type]
MonitoringCriterion = Literal[device_model.MONITORING_CRITERIA]  # type: ignore[valid-type]
MonitorType = Literal[device_model.MONITOR_TYPES]  # type: ignore[valid-type]
MonitoringBase = Literal[device_model.MONITORING_BASES]  # type: ignore[valid-type]


class _Body(BaseModel):
    model_config = ConfigDict(extra="forbid")


class VariablesToGet(_Body):
    variables: list[str] = Field(
        min_length=1,
        max_length=MAX_ENTRIES,
        examples=[["OCPPCommCtrlr.HeartbeatInterval", "EVSE@1.AvailabilityState"]],
        description=f"The variables to read, each {NOTATION_HELP}",
    )


class VariableValue(_Body):
    variable: str = Notation
    value: str = Field(max_length=2500, description="The attributeValue to write")


class VariablesToSet(_Body):
    values: list[VariableValue] = Field(min_length=1, max_length=MAX_ENTRIES)


class ReportRequest(_Body):
    base: ReportBase | None = Field(  # type: ignore[valid-type]
        None, description="A base report (GetBaseReport); alone"
    )
    criteria: list[ComponentCriterion] = Field(  # type: ignore[valid-type]
        default_factory=list, max_length=4, description="Components in these states (GetReport)"
    )
    components: list[str] = Field(
        default_factory=list,
        max_length=MAX_ENTRIES,
        examples=[["EVSE@1.AvailabilityState"]],
        description="These components or variables (GetReport; with criteria: those among "
        "them in such a state), each Component[instance]@evse:connector[.Variable[instance]]",
    )


class MonitorData(_Body):
    variable: str = Notation
    type: MonitorType  # type: ignore[valid-type]
    value: float = Field(
        allow_inf_nan=False,
        ge=-device_model.MAX_MONITOR_VALUE,
        le=device_model.MAX_MONITOR_VALUE,
        description="Threshold, delta, or interval in seconds",
    )
    severity: int = Field(ge=0, le=9, description="0 (Danger) to 9 (Debug)")
    transaction: bool = Field(False, description="Only while a transaction is going on")
    id: int | None = Field(None, ge=0, le=INT32, description="The monitor this one replaces")


class MonitorsToSet(_Body):
    monitors: list[MonitorData] = Field(min_length=1, max_length=MAX_ENTRIES)


class MonitorsToClear(_Body):
    ids: list[Id] = Field(min_length=1, max_length=MAX_ENTRIES)


class MonitoringBaseRequest(_Body):
    base: MonitoringBase  # type: ignore[valid-type]


class MonitoringLevelRequest(_Body):
    severity: int = Field(ge=0, le=9, description="Events this grave or graver are reported")


class MonitoringReportRequest(_Body):
    criteria: list[MonitoringCriterion] = Field(  # type: ignore[valid-type]
        default_factory=list, max_length=3
    )
    components: list[str] = Field(
        default_factory=list,
        max_length=MAX_ENTRIES,
        description="Component[instance]@evse:connector[.Variable[instance]] each; "
        "neither these nor criteria: every monitor",
    )


class IdToken(_Body):
    id_token: str = Field(min_length=1, max_length=255)
    type: str = Field(min_length=1, max_length=20, examples=["ISO14443", "Central"])


class CustomerCertificate(_Body):
    hash_algorithm: Literal["SHA256", "SHA384", "SHA512"]
    issuer_name_hash: str = Field(max_length=128)
    issuer_key_hash: str = Field(max_length=128)
    serial_number: str = Field(max_length=40)


class CustomerInformationRequest(_Body):
    report: bool = Field(False, description="Have the station report what it keeps")
    clear: bool = Field(False, description="Have the station delete it")
    id_token: IdToken | None = None
    customer_identifier: str | None = Field(None, min_length=1, max_length=64)
    customer_certificate: CustomerCertificate | None = None


class DeviceModelCommands(BaseModel):
    station_id: str
    commands: list[Command] = Field(
        description="One per request sent, in order (GET /api/v1/commands/{id} follows each)"
    )


Priority = Literal[display_messages.PRIORITIES]  # type: ignore[valid-type]
MessageState = Literal[display_messages.STATES]  # type: ignore[valid-type]
MessageFormat = Literal[display_messages.FORMATS]  # type: ignore[valid-type]


class DisplayMessageRequest(_Body):
    content: str = Field(min_length=1, max_length=1024, description="The text, HTML or URI")
    id: int | None = Field(
        None, ge=0, le=INT32, description="Replaces the message of this id; default: drawn"
    )
    priority: Priority = "NormalCycle"  # type: ignore[valid-type]
    format: MessageFormat = "UTF8"  # type: ignore[valid-type]
    language: str | None = Field(None, max_length=8, examples=["en"])
    state: MessageState | None = Field(  # type: ignore[valid-type]
        None, description="Shown only while the station is in this state"
    )
    start: datetime | None = Field(None, description="Shown from; UTC when it names no zone")
    end: datetime | None = Field(None, description="Removed at; UTC when it names no zone")
    transaction_id: str | None = Field(
        None, max_length=36, description="Shown only during this transaction (the station's id)"
    )

    @field_validator("start", "end")
    @classmethod
    def _zone(cls, value: datetime | None) -> datetime | None:
        return None if value is None else utc(value)


class DisplayMessagesQuery(_Body):
    ids: list[Id] = Field(default_factory=list, max_length=MAX_ENTRIES)
    priority: Priority | None = None  # type: ignore[valid-type]
    state: MessageState | None = None  # type: ignore[valid-type]


class DisplayMessageClear(_Body):
    id: int = Field(ge=0, le=INT32)
