"""The reference central system's settings: its database, audit log, registration rule,
HTTP API and station files, and the tiers of the commands that use them.

The framework's groups and tiers (gateway, rpc_app, publishing) are in
ocpp_cable/foundation/settings.py; these build on them. `Settings` holds every tier:
`ocpp-cable up` runs them all and `config` prints them.
"""

from __future__ import annotations

from pathlib import Path
from typing import Literal

from pydantic import Field, field_validator

from ocpp_cable.foundation.settings import (
    BroadcastReceivingSettings,
    BrokerSettings,
    CablePathSettings,
    CableSettings,
    CallTimeoutSettings,
    ChargerServerSettings,
    GatewayEndpointSettings,
    GatewaySettings,
    HeartbeatSettings,
    LoggingSettings,
    ProcessSettings,
    PublisherSettings,
    PublishingSettings,
    ReplyRetrySettings,
    RPCAuthSettings,
    RPCClientSettings,
    RPCHostSettings,
    RPCServerSettings,
    RPCTimeoutSettings,
    SettingsGroup,
    StationPathSettings,
    StationStreamSettings,
)

SUPPORTED_DATABASES = ("sqlite", "sqlite+pysqlite", "postgresql+psycopg")


class DatabaseSettings(SettingsGroup):
    """The central system's database: all `migrate` reads."""

    database_url: str = Field(
        "sqlite:///ocpp_cable.db",
        description="SQLAlchemy URL of the central system's database "
        "(postgresql+psycopg://user@host/db in production)",
    )

    @field_validator("database_url")
    @classmethod
    def _supported_database(cls, value: str) -> str:
        # The schema's partial indexes and the bulk writer are SQLite's and PostgreSQL's.
        # postgres:// (Heroku's, libpq's) names PostgreSQL too: through our driver, psycopg.
        scheme, sep, rest = value.partition("://")
        scheme = scheme.lower()
        if sep and scheme in ("postgres", "postgresql"):
            return f"postgresql+psycopg://{rest}"
        if sep and scheme in SUPPORTED_DATABASES:
            return value
        # The URL may hold a password: only its scheme is repeated.
        raise ValueError(
            f"{scheme + '://' if sep else 'not a URL'}: the central system runs on SQLite "
            "(sqlite:///ocpp_cable.db) or PostgreSQL (postgresql+psycopg://user@host/db)"
        )


class AutoMigrateSettings(SettingsGroup):
    """Apart from the URL, as `migrate` migrates whatever this says."""

    auto_migrate: bool = Field(
        True,
        description="Bring the database schema up to date before first use "
        "(rpc_app, send, admin commands)",
    )


class AuditLogSettings(SettingsGroup):
    """channels/ and `send` both log the messages they exchange."""

    audit_log: bool = Field(
        True, description="Keep every message the application sees in MessageLog"
    )


class RegistrationSettings(SettingsGroup):
    """Whether the central system admits stations it does not know, and what a station's
    boot is answered until an operator decides (channels/domain/registration.py)."""

    auto_register: bool = Field(
        False, description="Accept stations that are not registered (and register them)"
    )
    default_registration: Literal["accepted", "pending"] = Field(
        "accepted",
        description="The registration a station gets when it is registered (auto-registered, "
        "or added without --registration): accepted, or pending (its BootNotification is "
        "answered Pending until an operator accepts it)",
    )
    registration_retry_interval: int = Field(
        60,
        ge=1,
        le=86400,
        description="Seconds a Pending or Rejected BootNotification answer asks the station "
        "to wait before it boots again",
    )


class CostSettings(SettingsGroup):
    """How often a 2.x station hears a session's running cost (CostUpdated)."""

    cost_update_interval: float = Field(
        0.0,
        ge=0,
        le=86_400,
        description="Least seconds between two CostUpdated sent for one transaction (each "
        "after a TransactionEvent that brings energy readings); 0: after every such event",
    )


class OperatorAPISettings(SettingsGroup):
    """The operators' HTTP API and dashboard (`ocpp-cable api`, and `up`)."""

    api_host: str = Field("127.0.0.1", description="Address of the HTTP API and dashboard")
    api_port: int = Field(
        9080, ge=0, le=65535, description="Port of the HTTP API (/api/v1) and the dashboard (/)"
    )
    cable_url: str | None = Field(
        None,
        description="Where the dashboard's browsers reach the gateway's Action Cable endpoint "
        "(unset: ws://<the page's host>:9000<cable_path>; `up` uses its own --port)",
    )
    public_url: str | None = Field(
        None,
        description="Base URL of the public station pages, for their QR codes "
        "(unset: the URL the page was asked by)",
    )
    api_command_wait: float = Field(
        60.0, gt=0, le=600, description="Longest ?wait= a command request may ask for, in seconds"
    )

    @field_validator("cable_url")
    @classmethod
    def _websocket_url(cls, value: str | None) -> str | None:
        if value is not None and not value.startswith(("ws://", "wss://")):
            raise ValueError("must be a ws:// or wss:// URL")
        return value

    @field_validator("public_url")
    @classmethod
    def _page_url(cls, value: str | None) -> str | None:
        if value is not None and not value.startswith(("http://", "https://")):
            raise ValueError("must be an http:// or https:// URL")
        return None if value is None else value.rstrip("/")


class StationFilesSettings(SettingsGroup):
    """Firmware served to stations and diagnostics they upload, over the HTTP API's server
    (`firmware update`, `diagnostics request`, `api`, `up`)."""

    files_url: str | None = Field(
        None,
        description="Base URL stations reach the HTTP API's server at, for firmware downloads "
        "and diagnostics uploads (<files_url>/files/...); required to send either",
    )
    firmware_dir: Path = Field(
        Path("firmware"), description="Directory of the firmware files served to stations"
    )
    uploads_dir: Path = Field(
        Path("uploads"), description="Directory the diagnostics files stations upload go to"
    )
    upload_max_bytes: int = Field(
        50 * 1024 * 1024, gt=0, description="Largest diagnostics upload taken, in bytes"
    )

    @field_validator("files_url")
    @classmethod
    def _files_url(cls, value: str | None) -> str | None:
        if value is not None and not value.startswith(("http://", "https://")):
            raise ValueError("must be an http:// or https:// URL")
        return None if value is None else value.rstrip("/")


# --- tiers: what each command reads (pydantic takes the last base's fields first) -----------


class CentralSystemRPCSettings(
    PublisherSettings,
    LoggingSettings,
    ProcessSettings,
    CostSettings,
    RegistrationSettings,
    AuditLogSettings,
    AutoMigrateSettings,
    DatabaseSettings,
    BrokerSettings,
    PublishingSettings,
    GatewayEndpointSettings,
    RPCServerSettings,
    RPCTimeoutSettings,
    RPCAuthSettings,
    RPCHostSettings,
    ReplyRetrySettings,
    CallTimeoutSettings,
    HeartbeatSettings,
    StationPathSettings,
):
    """`ocpp-cable rpc`: rpc_app's settings (foundation's RPCAppSettings, in the same
    order) with the central system's (it serves the reference system unless
    --channels-module names another application)."""


class SendSettings(
    PublisherSettings,
    AuditLogSettings,
    AutoMigrateSettings,
    DatabaseSettings,
    BrokerSettings,
    StationStreamSettings,
    PublishingSettings,
    GatewayEndpointSettings,
    RPCTimeoutSettings,
    ReplyRetrySettings,
    CallTimeoutSettings,
):
    """`ocpp-cable send`: records the command in the database, publishes it, may wait."""


class OperatorAPIServerSettings(
    PublisherSettings,
    LoggingSettings,
    ProcessSettings,
    RegistrationSettings,
    AuditLogSettings,
    AutoMigrateSettings,
    DatabaseSettings,
    BrokerSettings,
    StationStreamSettings,
    PublishingSettings,
    GatewayEndpointSettings,
    RPCTimeoutSettings,
    ReplyRetrySettings,
    CallTimeoutSettings,
    CablePathSettings,
    StationPathSettings,
    StationFilesSettings,
    OperatorAPISettings,
):
    """`ocpp-cable api`: the HTTP API and dashboard, which also send commands as `send` does,
    and register stations as `stations add` does."""


class StationFilesCommandSettings(
    PublisherSettings,
    AuditLogSettings,
    AutoMigrateSettings,
    DatabaseSettings,
    BrokerSettings,
    StationStreamSettings,
    PublishingSettings,
    GatewayEndpointSettings,
    RPCTimeoutSettings,
    ReplyRetrySettings,
    CallTimeoutSettings,
    StationFilesSettings,
):
    """`ocpp-cable firmware|diagnostics`: UpdateFirmware and GetDiagnostics, sent as `send`
    sends commands, with the URL the station fetches from or uploads to."""


class AdminSettings(AutoMigrateSettings, DatabaseSettings, StationPathSettings):
    """`ocpp-cable tags|transactions|meter-values`; `migrate` reads DatabaseSettings."""


class StationAdminSettings(
    PublisherSettings,
    RegistrationSettings,
    AuditLogSettings,
    AutoMigrateSettings,
    DatabaseSettings,
    BrokerSettings,
    StationStreamSettings,
    PublishingSettings,
    GatewayEndpointSettings,
    RPCTimeoutSettings,
    ReplyRetrySettings,
    CallTimeoutSettings,
    StationPathSettings,
):
    """`ocpp-cable stations`: what the other admin commands read, the registration a new
    station gets, and what `send` reads: accepting a connected station asks it to boot
    again (TriggerMessage)."""


class TokenSettings(
    PublisherSettings,
    AutoMigrateSettings,
    DatabaseSettings,
    BrokerSettings,
    PublishingSettings,
    GatewayEndpointSettings,
    RPCTimeoutSettings,
):
    """`ocpp-cable tokens`: a token revoked or replaced has its /cable connections closed
    through the broadcaster, as `broadcast` publishes."""


class Settings(
    OperatorAPIServerSettings,
    GatewaySettings,
    CentralSystemRPCSettings,
    SendSettings,
    StationFilesCommandSettings,
    StationAdminSettings,
    AdminSettings,
    TokenSettings,
    LoggingSettings,
    ProcessSettings,
    CostSettings,
    RegistrationSettings,
    AuditLogSettings,
    AutoMigrateSettings,
    DatabaseSettings,
    BrokerSettings,
    StationStreamSettings,
    PublishingSettings,
    GatewayEndpointSettings,
    BroadcastReceivingSettings,
    RPCServerSettings,
    RPCClientSettings,
    RPCTimeoutSettings,
    RPCAuthSettings,
    RPCHostSettings,
    ReplyRetrySettings,
    CallTimeoutSettings,
    HeartbeatSettings,
    CableSettings,
    CablePathSettings,
    StationPathSettings,
    ChargerServerSettings,
):
    """Every setting: `ocpp-cable up` runs every tier, `config` prints them all."""
