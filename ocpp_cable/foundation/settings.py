"""The settings of gateway, rpc_app and the CLI, in small groups composed per command.

Every setting comes from a CLI flag (`--rpc-host`) or an environment variable
(`OCPP_CABLE_RPC_HOST`); the flag wins. Values are validated at start-up and an
invalid one stops the process with a message naming the setting.

AnyCable-Go's names of the settings it shares with us are aliases (ANYCABLE_NAMES):
its flags (`--ocpp_path`) are flags of ours, its variables (`ANYCABLE_OCPP_PATH`) are
read below ours: a flag > OCPP_CABLE_* > ANYCABLE_* > the default.

Each command loads only its tier (`GatewaySettings` for `ocpp-cable gateway`, ...),
so its --help lists only the flags it reads and the variables of other tiers are
not read at all. The reference system's own groups and tiers, and `Settings`, which
holds every tier (`up`, `config`), live with it in channels/settings.py.
"""

from __future__ import annotations

import dataclasses
import os
import re
from collections.abc import Mapping
from pathlib import Path
from typing import Any, Literal, Self, TypeVar

from pydantic import Field, SecretStr, ValidationError, field_validator, model_validator
from pydantic.fields import FieldInfo
from pydantic_settings import (
    BaseSettings,
    EnvSettingsSource,
    PydanticBaseSettingsSource,
    SettingsConfigDict,
)

from ocpp_cable.foundation.redact import mask_secrets

ENV_PREFIX = "OCPP_CABLE_"
ANYCABLE_PREFIX = "ANYCABLE_"
BROADCAST_ADAPTERS = ("http", "redis", "nats")


class SettingsGroup(BaseSettings):
    """A few settings read together; tiers are made of these."""

    model_config = SettingsConfigDict(env_prefix=ENV_PREFIX, extra="forbid")

    @classmethod
    def settings_customise_sources(
        cls,
        settings_cls: type[BaseSettings],
        init_settings: PydanticBaseSettingsSource,
        env_settings: PydanticBaseSettingsSource,
        dotenv_settings: PydanticBaseSettingsSource,
        file_secret_settings: PydanticBaseSettingsSource,
    ) -> tuple[PydanticBaseSettingsSource, ...]:
        # Flags (init), then OCPP_CABLE_*, then AnyCable-Go's ANYCABLE_* for this tier's fields.
        anycable = AnyCableEnvSource(settings_cls)
        return init_settings, env_settings, dotenv_settings, anycable, file_secret_settings


# What AnyCable signs its application secret with to make the RPC secret (anycable-go's
# rpc/rpc.go): an rpc_app given `--rpc-secret` as anycable-go derives it is its peer.
RPC_SECRET_PURPOSE = "rpc-cable"

# The OCPP versions the gateway can serve (ocppj.versions holds what each one is).
OCPP_VERSIONS = ("2.1", "2.0.1", "1.6")


def _paths(value: str | None) -> list[str]:
    """The files a comma-separated setting names (none for None or empty)."""
    return [part.strip() for part in (value or "").split(",") if part.strip()]


def _channel_map(value: str) -> dict[str, str]:
    """'2.0.1=V2Channel,2.1=V2Channel' -> {"2.0.1": "V2Channel", "2.1": "V2Channel"}."""
    channels: dict[str, str] = {}
    for item in filter(None, (part.strip() for part in value.split(","))):
        version, sep, channel = (text.strip() for text in item.partition("="))
        if not sep or not channel or version not in OCPP_VERSIONS:
            raise ValueError(
                f"{item!r} is not <version>=<Channel> with a version of {OCPP_VERSIONS}"
            )
        channels[version] = channel
    return channels


# --- groups, in the order of the settings page (docs/settings.md) -------------------------


class ChargerServerSettings(SettingsGroup):
    """The gateway's WebSocket server for chargers and their sessions."""

    host: str = Field("127.0.0.1", description="Address the gateway listens on for chargers")
    port: int = Field(9000, ge=0, le=65535, description="Port for chargers' WebSockets")
    headers: str = Field(
        "authorization",
        description="Comma-separated request headers passed to Connect "
        "(Authorization and the remote address are always passed)",
    )
    forward_heartbeat: bool = Field(
        False, description="Also perform Heartbeat on the channel (answered at the gateway)"
    )
    granular_actions: bool = Field(
        True, description="One channel method per action; false sends everything to receive"
    )
    channel: str = Field("OCPPChannel", description="Channel every station subscribes to")
    anycable_compat: bool = Field(
        False,
        description="Serve channels written for AnyCable-Go Pro's OCPP mode: the station's "
        "meterSerialNumber as `sn` in the subscription, and its default acks",
    )
    ocpp_versions: str = Field(
        "2.1,2.0.1,1.6",
        description="OCPP versions served (1.6, 2.0.1, 2.1), in the order the gateway "
        "prefers them when a charger offers several",
    )
    version_channels: str = Field(
        "",
        description="A channel per OCPP version, e.g. '2.0.1=V2Channel,2.1=V2Channel'; "
        "versions not named subscribe to --channel",
    )
    call_queue_limit: int = Field(100, ge=1, description="CALLs that may wait per station")
    malformed_frame_budget: int = Field(
        10, ge=0, description="Malformed frames in a row before the connection is closed"
    )
    auth_failures_per_station: int = Field(
        10,
        ge=0,
        description="Failed authentications a station id may have a minute from one address "
        "(as many at once, then one every 60/N s) before its handshakes from that address get "
        "429 without Connect; other addresses are not held back for it (0: no limit)",
    )
    auth_failures_per_address: int = Field(
        30,
        ge=0,
        description="The same per remote address (an IPv6 /64), whatever ids it tries; 0 "
        "behind a proxy or load balancer that shows the gateway one address for all",
    )
    auth_failures_per_node: int = Field(
        600,
        ge=0,
        description="The same for this gateway node in all; while it is spent, an address "
        "that failed in the last minute gets 429 at once, one that did not is never held "
        "back by it (0: no limit)",
    )
    max_frame_size: int = Field(65536, ge=1024, description="Largest frame accepted, in bytes")
    handshake_timeout: float = Field(
        60.0,
        gt=0,
        description="Seconds a charger's WebSocket handshake may take, its wait in the "
        "handshake queue included; past it the connection is dropped. Long enough for a "
        "reconnect storm: the queue drains at the pace rpc_app answers Connect",
    )
    handshake_queue: int = Field(
        10_000,
        ge=0,
        description="Handshakes that may wait for an RPC slot for their Connect (a "
        "reconnect storm); one past it gets 503 with a Retry-After from the recent pace "
        "of Connects",
    )
    ping_interval: float = Field(
        60.0, ge=0, description="Seconds between WebSocket pings to a station (0: none)"
    )
    ping_timeout: float = Field(
        30.0, gt=0, description="Seconds a station has to answer a ping before it is closed"
    )
    accept_missing_subprotocol: bool = Field(
        False,
        description="Serve chargers that offer no OCPP subprotocol as OCPP 1.6 "
        "(1.6 must be among --ocpp-versions)",
    )
    tls_cert: str | None = Field(
        None,
        description="Certificate chain (PEM) for wss://; needs --tls-key. Several, "
        "comma-separated, one per key type (an RSA and an ECDSA one: OCPP's security "
        "profiles 2 and 3 want both kinds of cipher suite offered)",
    )
    tls_key: str | None = Field(
        None, description="Private key (PEM) of --tls-cert; several: one per certificate, in order"
    )
    tls_client_ca: str | None = Field(
        None,
        description="CA file (PEM) to verify charger certificates against (security profile 3)",
    )
    tls_client_cert_required: bool = Field(
        False, description="With --tls-client-ca: refuse chargers without a valid certificate"
    )
    presence_ttl: float = Field(
        30.0,
        ge=0,
        description="Seconds a gateway node's lease on the application lasts unless renewed "
        "(every third of it): a node killed without a goodbye has its stations seen as "
        "gone this long after (0: no lease)",
    )

    @field_validator("ocpp_versions")
    @classmethod
    def _ocpp_versions(cls, value: str) -> str:
        names = [name.strip() for name in value.split(",") if name.strip()]
        unknown = [name for name in names if name not in OCPP_VERSIONS]
        if unknown:
            raise ValueError(
                f"unknown OCPP version {unknown[0]!r}; known: {', '.join(OCPP_VERSIONS)}"
            )
        if not names or len(set(names)) != len(names):
            raise ValueError("name each version once, at least one")
        return ",".join(names)

    @field_validator("version_channels")
    @classmethod
    def _version_channels(cls, value: str) -> str:
        _channel_map(value)
        return value

    @model_validator(mode="after")
    def _tls_pair(self) -> Self:
        if bool(self.tls_cert) != bool(self.tls_key):
            raise ValueError("tls_cert and tls_key: set both or neither")
        certs, keys = _paths(self.tls_cert), _paths(self.tls_key)
        if len(certs) != len(keys):
            raise ValueError(f"tls_key: one per certificate of tls_cert ({len(certs)}, in order)")
        if self.tls_client_ca and not self.tls_cert:
            raise ValueError("tls_client_ca: needs tls_cert and tls_key")
        if self.accept_missing_subprotocol and "1.6" not in self.ocpp_version_names():
            raise ValueError("accept_missing_subprotocol: serves OCPP 1.6, not among ocpp_versions")
        for name in ("tls_cert", "tls_key", "tls_client_ca"):
            for path in _paths(getattr(self, name)):
                if not Path(path).is_file():
                    raise ValueError(f"{name}: no file at {path}")
        return self

    def tls_pairs(self) -> list[tuple[str, str]]:
        """The (certificate chain, private key) files wss:// serves, in order."""
        return list(zip(_paths(self.tls_cert), _paths(self.tls_key), strict=True))

    def ocpp_version_names(self) -> list[str]:
        """The versions served, the preferred first."""
        return self.ocpp_versions.split(",")

    def channel_for(self, version: str) -> str:
        """The channel a station of OCPP `version` subscribes to."""
        return _channel_map(self.version_channels).get(version, self.channel)

    def header_names(self) -> list[str]:
        names = {h.strip().lower() for h in self.headers.split(",") if h.strip()}
        names.add("authorization")
        return sorted(names)


class StationPathSettings(SettingsGroup):
    """Where chargers connect; the admin commands refuse ids the gateway would refuse."""

    path_prefix: str = Field("/ocpp", description="Chargers connect at <prefix>/<station_id>")

    @field_validator("path_prefix")
    @classmethod
    def _prefix(cls, value: str) -> str:
        if not value.startswith("/"):
            raise ValueError("must start with '/'")
        return value.rstrip("/") or ""


class CablePathSettings(SettingsGroup):
    """Where browsers reach the gateway: it serves them there, the dashboard points there."""

    cable_path: str = Field(
        "/cable", description="Browsers connect here with the Action Cable protocol"
    )

    @field_validator("cable_path")
    @classmethod
    def _cable_path(cls, value: str) -> str:
        if not value.startswith("/") or value == "/":
            raise ValueError("must be a path below '/', e.g. /cable")
        return value.rstrip("/")


class CableSettings(SettingsGroup):
    """Browsers on the gateway: the Action Cable protocol at --cable-path."""

    cable_max_subscriptions: int = Field(
        100, ge=1, description="Subscriptions one browser connection may hold"
    )
    cable_send_queue: int = Field(
        256,
        ge=1,
        description="Messages waiting to be sent to one browser before it is dropped "
        "as too slow (a slow browser never holds up chargers)",
    )


class HeartbeatSettings(SettingsGroup):
    """The interval told to stations: by the gateway's default answer and by channels/."""

    heartbeat_interval: int = Field(
        300, ge=1, description="Heartbeat interval (s) in default BootNotification responses"
    )


class CallTimeoutSettings(SettingsGroup):
    """The gateway's deadline for a station's answer; with --reply-retry-time and
    --rpc-timeout, how long a command can still be answered (channels/domain/commands.py)."""

    call_timeout: float = Field(30.0, gt=0, description="Seconds a station has to answer a CALL")


class ReplyRetrySettings(SettingsGroup):
    """How long a station's reply waits for rpc_app: the gateway keeps offering it that
    long, rpc_app gives a command up only after that (channels/domain/overdue.py), and whoever
    waits for an answer (`send --wait`, `?wait=`) waits as long."""

    reply_retry_time: float = Field(
        60.0,
        ge=0,
        description="Seconds the gateway keeps offering rpc_app a station's reply to a CALL "
        "it could not take (rpc_app down or overloaded), with backoff; rpc_app ends a "
        "command whose reply never came (NoAnswer) only after this, and a sender's --wait "
        "waits as long",
    )


class RPCHostSettings(SettingsGroup):
    """Where rpc_app is: the gateway calls it there, rpc_app listens there."""

    rpc_host: str = Field(
        "127.0.0.1:50051",
        description="RPC address (the gateway calls it, rpc_app listens on it); the gateway "
        "also takes several rpc_app replicas (host:port,host:port or ipv4:a:port,b:port), or "
        "a name that resolves to each of them (rpc:50051, dns:///rpc:50051; looked up again "
        "every 10 s), and gives each replica a fair share of the calls",
    )

    @field_validator("rpc_host")
    @classmethod
    def _host_port(cls, value: str) -> str:
        host, sep, port = value.rpartition(":")
        if not sep or not host or not port.isdigit() or not 0 < int(port) < 65536:
            raise ValueError("must be host:port, e.g. 127.0.0.1:50051")
        return value


class RPCAuthSettings(SettingsGroup):
    """How the gateway and rpc_app know each other: the secret, and TLS on the link."""

    rpc_secret: SecretStr | None = Field(
        None,
        description="Shared secret the gateway sends with every RPC call (call metadata "
        "`authorization: Bearer <secret>`) and rpc_app requires (unset: derived from the "
        "broadcast key; `up` makes one if there is none)",
    )
    rpc_auth: bool = Field(
        True,
        description="rpc_app requires the secret of every caller; false: of none, on a "
        "loopback address only (anycable-go's gRPC client sends no secret)",
    )
    rpc_tls_cert: str | None = Field(
        None,
        description="Certificate chain (PEM) this process shows on the RPC link: rpc_app's "
        "server certificate, the gateway's client certificate; needs --rpc-tls-key",
    )
    rpc_tls_key: str | None = Field(None, description="Private key (PEM) of --rpc-tls-cert")
    rpc_tls_ca: str | None = Field(
        None,
        description="CA (PEM) the other end of the RPC link is verified against: the gateway "
        "then calls rpc_app over TLS; rpc_app then requires a client certificate (mutual TLS)",
    )

    @model_validator(mode="after")
    def _rpc_tls_files(self) -> Self:
        if bool(self.rpc_tls_cert) != bool(self.rpc_tls_key):
            raise ValueError("rpc_tls_cert and rpc_tls_key: set both or neither")
        for name in ("rpc_tls_cert", "rpc_tls_key", "rpc_tls_ca"):
            path = getattr(self, name)
            if path and not Path(path).is_file():
                raise ValueError(f"{name}: no file at {path}")
        return self

    def rpc_auth_secret(self) -> str | None:
        """--rpc-secret; else derived from the broadcast key, as AnyCable derives its RPC
        secret from its application secret; else None."""
        if self.rpc_secret is not None:
            return self.rpc_secret.get_secret_value()
        from ocpp_cable.foundation.key_file import KeyFileError, derived_key

        broadcast_secret = getattr(self, "broadcast_secret", None)  # its tier may have none
        try:
            key = broadcast_secret() if broadcast_secret is not None else None
        except KeyFileError as exc:
            raise SettingsError(f"rpc_secret, made from the broadcast key: {exc}") from None
        return None if key is None else derived_key(key, RPC_SECRET_PURPOSE)


class RPCTimeoutSettings(SettingsGroup):
    """The RPC deadline; publishers give a broker as long."""

    rpc_timeout: float = Field(5.0, gt=0, description="Deadline of one RPC call, in seconds")


class RPCClientSettings(SettingsGroup):
    """How the gateway calls rpc_app."""

    rpc_batch: bool = Field(
        True,
        description="Batch RPC calls over ocpp-cable's stream when the RPC server offers it "
        "(false: AnyCable's unary calls only)",
    )
    rpc_batch_streams: int = Field(
        1,
        ge=1,
        le=64,
        description="Batch streams per gateway, spread over rpc_app replicas (at least one "
        "each); more streams carry the same calls in more, smaller messages, and each "
        "message costs both ends CPU",
    )
    rpc_concurrency: int = Field(
        128, ge=1, description="RPC calls the gateway keeps in flight at most"
    )
    rpc_handshake_share: float = Field(
        0.5,
        gt=0,
        le=1,
        description="Share of --rpc-concurrency that handshakes (Connect, and the first "
        "subscribe) may hold; connected stations' calls keep the rest, and borrow what "
        "handshakes leave idle",
    )


class RPCServerSettings(SettingsGroup):
    """rpc_app's own: its metrics endpoint and the application it serves."""

    rpc_metrics_host: str = Field("127.0.0.1", description="Address of rpc_app's /metrics")
    rpc_metrics_port: int = Field(
        9002, ge=0, le=65535, description="Port of rpc_app's /metrics (Prometheus)"
    )
    channels_module: str = Field(
        "ocpp_cable.channels", description="Module that holds the channel classes"
    )
    rpc_workers: int = Field(
        16, ge=1, description="Threads for synchronous channel methods in rpc_app"
    )


class BroadcastReceivingSettings(SettingsGroup):
    """How the gateway takes broadcasts, and who may read its /metrics and /health."""

    broadcast_adapter: str = Field(
        "http",
        description="Where the gateway takes broadcasts from: http, redis, nats, "
        "or several, comma-separated",
    )
    broadcast_auth: bool = Field(
        True, description="Require the bearer key on /_broadcast; false turns the check off"
    )
    monitoring_token: SecretStr | None = Field(
        None,
        description="Bearer token for /metrics and /health on the HTTP port (unset: open to "
        "whoever reaches --http-host)",
    )

    @field_validator("broadcast_adapter")
    @classmethod
    def _adapters(cls, value: str) -> str:
        names = [n.strip() for n in value.split(",") if n.strip()]
        unknown = sorted(set(names) - set(BROADCAST_ADAPTERS))
        if not names or unknown:
            raise ValueError(f"must be one or more of {', '.join(BROADCAST_ADAPTERS)}")
        return ",".join(dict.fromkeys(names))

    def adapters(self) -> list[str]:
        return self.broadcast_adapter.split(",")


class GatewayEndpointSettings(SettingsGroup):
    """The gateway's HTTP endpoint and its key: the gateway serves it, publishers post to it."""

    http_host: str = Field("127.0.0.1", description="Address of the gateway's HTTP endpoints")
    http_port: int = Field(
        9001, ge=0, le=65535, description="Port of the gateway's HTTP endpoints (/_broadcast)"
    )
    broadcast_key: SecretStr | None = Field(
        None,
        description="Bearer key for POST /_broadcast (unset: the key in --broadcast-key-file)",
    )
    broadcast_key_file: str = Field(
        "ocpp_cable.key",
        description="Holds the broadcast key when --broadcast-key is unset: `up` creates it "
        "(mode 0600), `send` and `broadcast` read it",
    )

    def broadcast_secret(self) -> str | None:
        """The broadcast key: --broadcast-key, else the key file's, else None."""
        if self.broadcast_key is not None:
            return self.broadcast_key.get_secret_value()
        from ocpp_cable.foundation.key_file import read_key

        return read_key(self.broadcast_key_file)

    def broadcast_key_source(self) -> str:
        """Where the key came from, for a refusal to name: the flag, or the file looked in."""
        if self.broadcast_key is not None:
            return "the key of --broadcast-key / OCPP_CABLE_BROADCAST_KEY"
        path = Path(self.broadcast_key_file).expanduser().absolute()
        if not path.exists():
            return (
                f"no broadcast key: {path} does not exist; run where `ocpp-cable up` runs, "
                "or give ocpp-cable --data-dir DIR / OCPP_CABLE_DATA_DIR, or --broadcast-key"
            )
        return f"the key in {path}, which the gateway does not hold"


class PublishingSettings(SettingsGroup):
    """How rpc_app and the CLI publish broadcasts."""

    broadcaster: Literal["http", "redis", "nats"] = Field(
        "http", description="How rpc_app and the CLI publish broadcasts"
    )
    broadcast_url: str | None = Field(
        None,
        description="Where rpc_app's HTTP broadcaster and the CLI post broadcasts "
        "(unset: this machine's --http-port, http://127.0.0.1:<http-port>/_broadcast)",
    )


class StationStreamSettings(SettingsGroup):
    """`send` reaches a station through its stream."""

    station_stream: str = Field(
        "ocpp:{station_id}", description="A station's own stream, as its channel streams for it"
    )

    @field_validator("station_stream")
    @classmethod
    def _stream_template(cls, value: str) -> str:
        if "{station_id}" not in value:
            raise ValueError("must contain {station_id}")
        return value

    def stream_for_station(self, station_id: str) -> str:
        return self.station_stream.replace("{station_id}", station_id)


class BrokerSettings(SettingsGroup):
    """The brokers broadcasts travel through: the gateway subscribes, publishers publish."""

    redis_url: str = Field("redis://127.0.0.1:6379/0", description="Redis for broadcasting")
    redis_channel: str = Field("__anycable__", description="Redis channel of broadcasts")
    nats_servers: str = Field(
        "nats://127.0.0.1:4222", description="NATS servers for broadcasting, comma-separated"
    )
    nats_subject: str = Field("__anycable__", description="NATS subject of broadcasts")


class ProcessSettings(SettingsGroup):
    """The server processes' event loop and shutdown."""

    event_loop: Literal["uvloop", "asyncio"] = Field(
        "uvloop", description="Event loop of the gateway and rpc_app processes"
    )
    shutdown_timeout: float = Field(
        10.0, gt=0, description="Seconds to drain connections on SIGTERM before exiting"
    )


class LoggingSettings(SettingsGroup):
    """The server processes' logs."""

    log_level: Literal["debug", "info", "warning", "error"] = Field("info", description="Log level")
    log_format: Literal["auto", "console", "json"] = Field(
        "auto", description="console for people, json for machines; auto picks by terminal"
    )


# --- tiers: what each command reads --------------------------------------------------------
# pydantic takes the fields of the last base first: a tier names all its groups (those of a
# tier it extends too) bottom-up, so its fields and its --help read top-down. Settings names
# every group, in the order of the settings page's table.


class GatewaySettings(
    LoggingSettings,
    ProcessSettings,
    BrokerSettings,
    GatewayEndpointSettings,
    BroadcastReceivingSettings,
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
    """`ocpp-cable gateway`."""


class PublisherSettings(
    BrokerSettings, PublishingSettings, GatewayEndpointSettings, RPCTimeoutSettings
):
    """`ocpp-cable broadcast`, and how rpc_app publishes."""

    def broadcast_endpoint(self) -> str:
        """Where HTTP broadcasts go: --broadcast-url, else this machine's gateway."""
        if self.broadcast_url:
            return self.broadcast_url
        host = self.http_host
        if host in ("0.0.0.0", "::", ""):
            host = "127.0.0.1"
        elif ":" in host:
            host = f"[{host}]"
        return f"http://{host}:{self.http_port}/_broadcast"


class RPCAppSettings(
    PublisherSettings,
    LoggingSettings,
    ProcessSettings,
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
    """rpc_app's own settings (the framework's); the application it serves adds its own
    (channels/settings.py: the reference system's database, audit and registration).
    The gateway's call timeout and reply retries say when a command is given up."""


class SettingsError(Exception):
    """A setting's value is invalid; the message names the setting."""


def flag_name(field: str) -> str:
    return "--" + field.replace("_", "-")


def env_name(field: str) -> str:
    return ENV_PREFIX + field.upper()


# --- AnyCable-Go's names -------------------------------------------------------------------


@dataclasses.dataclass(frozen=True)
class AnyCableName:
    """How AnyCable-Go (Pro, OCPP mode) or anycable's publishers name one of our settings."""

    name: str  # its flag --<name> and its variable ANYCABLE_<NAME>
    deprecated: tuple[str, ...] = ()  # older names, read when `name` is not given
    flag: bool = True  # False: a variable only, of anycable's publishers (Ruby, Python)
    words: Mapping[str, str] = dataclasses.field(default_factory=dict)  # AnyCable's word -> ours
    first_listed: bool = False  # the variable lists several: the setting takes the first

    def names(self) -> tuple[str, ...]:
        return (self.name, *self.deprecated)

    def ours(self, value: Any) -> Any:
        """A value given under this name, in our words."""
        if not isinstance(value, str):
            return value
        if self.first_listed:
            value = next((item.strip() for item in value.split(",") if item.strip()), value)
        return self.words.get(value, value)


# Our setting -> its AnyCable name: the single source of the ANYCABLE_* variables read,
# the flags aliased, and the docs' table of them (docs/anycable-go-pro.md).
ANYCABLE_NAMES: dict[str, AnyCableName] = {
    "host": AnyCableName("host"),
    "port": AnyCableName("port"),
    "path_prefix": AnyCableName("ocpp_path"),
    "granular_actions": AnyCableName("ocpp_granular_actions"),
    "cable_path": AnyCableName("path"),
    "headers": AnyCableName("headers"),
    "rpc_host": AnyCableName("rpc_host"),
    "rpc_concurrency": AnyCableName("rpc_concurrency"),
    # anycable-go sends it only over HTTP RPC; over gRPC it sends none (docs/anycable-go-pro.md).
    "rpc_secret": AnyCableName("http_rpc_secret"),
    "rpc_tls_ca": AnyCableName("rpc_tls_root_ca"),
    "broadcast_adapter": AnyCableName("broadcast_adapter"),
    "broadcast_key": AnyCableName("broadcast_key", deprecated=("http_broadcast_secret",)),
    "http_port": AnyCableName("http_broadcast_port"),
    "redis_url": AnyCableName("redis_url"),
    "redis_channel": AnyCableName("redis_channel"),
    "nats_servers": AnyCableName("nats_servers"),
    "nats_subject": AnyCableName("nats_channel"),
    "tls_cert": AnyCableName("ssl_cert"),
    "tls_key": AnyCableName("ssl_key"),
    "max_frame_size": AnyCableName("max_message_size"),
    "shutdown_timeout": AnyCableName("shutdown_timeout"),
    "log_level": AnyCableName("log_level", words={"warn": "warning"}),
    "log_format": AnyCableName("log_format", words={"text": "console"}),
    # anycable's publishers read these to publish; AnyCable-Go has no such flags.
    "broadcaster": AnyCableName("broadcast_adapter", flag=False, first_listed=True),
    "broadcast_url": AnyCableName("http_broadcast_url", flag=False),
}


def anycable_flags(field: str) -> list[str]:
    """AnyCable-Go's flags for `field` that are not spelt as ours (`--ocpp_path`)."""
    alias = ANYCABLE_NAMES.get(field)
    if alias is None or not alias.flag:
        return []
    return [f"--{name}" for name in alias.names() if f"--{name}" != flag_name(field)]


def anycable_env_names(field: str) -> list[str]:
    """The ANYCABLE_* variables of `field`, the one read first first."""
    alias = ANYCABLE_NAMES.get(field)
    return [ANYCABLE_PREFIX + name.upper() for name in alias.names()] if alias else []


def anycable_variables(tier: type[BaseSettings]) -> dict[str, tuple[str, str]]:
    """{field: (variable, value in our words)} of the ANYCABLE_* variables `tier` reads."""
    found: dict[str, tuple[str, str]] = {}
    for name in tier.model_fields:
        variable = next((v for v in anycable_env_names(name) if v in os.environ), None)
        if variable is not None:
            found[name] = (variable, ANYCABLE_NAMES[name].ours(os.environ[variable]))
    return found


class AnyCableEnvSource(PydanticBaseSettingsSource):
    """AnyCable-Go's ANYCABLE_* variables of the tier's settings; below OCPP_CABLE_*."""

    def get_field_value(self, field: FieldInfo, field_name: str) -> tuple[Any, str, bool]:
        found = anycable_variables(self.settings_cls).get(field_name)
        return (found[1] if found else None), field_name, False

    def __call__(self) -> dict[str, Any]:
        return {name: value for name, (_, value) in anycable_variables(self.settings_cls).items()}


# --- loading -------------------------------------------------------------------------------

T = TypeVar("T", bound=SettingsGroup)


def load_settings(
    tier: type[T],
    anycable_given: Mapping[str, str] | None = None,
    /,
    **overrides: Any,
) -> T:
    """`tier`'s settings from the environment, with `overrides` (CLI flags) winning.

    `anycable_given` names the overrides given by an AnyCable-Go flag ({"path_prefix":
    "--ocpp_path"}): their values are read in AnyCable's words, and reported under that flag.
    """
    anycable_given = anycable_given or {}
    given = {k: v for k, v in overrides.items() if v is not None}
    for name in given.keys() & anycable_given.keys():
        given[name] = ANYCABLE_NAMES[name].ours(given[name])
    try:
        return tier(**given)
    except ValidationError as exc:
        origins = _anycable_origins(tier, given, anycable_given)
        problems = []
        for err in exc.errors():
            if not err["loc"]:  # a rule across settings: its message names them
                msg = err["msg"].removeprefix("Value error, ")
                named = [
                    f"{name} from {origin}"
                    for name, origin in origins.items()
                    if re.search(rf"\b{name}\b", msg)
                ]
                problems.append(
                    f"invalid settings: {msg}" + (f" ({'; '.join(named)})" if named else "")
                )
                continue
            field = str(err["loc"][0])
            if field in tier.model_fields:
                origin = f", from {origins[field]}" if field in origins else ""
                where = f"{field} ({flag_name(field)} / {env_name(field)}{origin})"
            else:
                where = f"{field!r} (unknown setting)"
            got = mask_secrets(repr(err.get("input")))
            problems.append(f"invalid setting {where}: {err['msg']}; got {got}")
        raise SettingsError("\n".join(problems)) from None


def _anycable_origins(
    tier: type[SettingsGroup], given: Mapping[str, Any], anycable_given: Mapping[str, str]
) -> dict[str, str]:
    """{field: the AnyCable flag or variable its value came from}, for the fields that did."""
    origins = {name: flag for name, flag in anycable_given.items() if name in given}
    ours = EnvSettingsSource(tier)()  # OCPP_CABLE_* shadows ANYCABLE_*
    for name, (variable, _) in anycable_variables(tier).items():
        if name not in given and name not in ours:
            origins[name] = variable
    return origins
