"""docker-compose.yml and the Dockerfile agree with ocpp-cable's CLI and settings.

Docker is not needed: the files are parsed and every value the containers would
see is run through `ocpp_cable.cli.build_parser()` and `load_settings()`, so a
typo'd variable, a port that does not match, or a bogus command fails here.
"""

from __future__ import annotations

import fnmatch
import functools
import json
import os
import re
import shlex
from pathlib import Path
from typing import Any
from urllib.parse import urlsplit

import pytest
import yaml
from sqlalchemy.engine import make_url

from ocpp_cable.channels.settings import Settings
from ocpp_cable.cli import build_parser
from ocpp_cable.foundation.settings import ENV_PREFIX, SettingsError, load_settings
from ocpp_cable.runner import require_broadcast_key, rpc_caller_check

ROOT = Path(__file__).resolve().parents[2]
COMPOSE_FILE = ROOT / "docker-compose.yml"
DOCKERFILE = ROOT / "Dockerfile"
DOCKERIGNORE = ROOT / ".dockerignore"

IMAGE = "ocpp-cable:latest"
APP_SERVICES = ("migrate", "rpc", "gateway", "api")
SERVICES = ("redis", "postgres", *APP_SERVICES)
SERVER_COMMANDS = {"gateway", "rpc", "migrate", "up", "api"}
TLS_SETTINGS = ("tls_cert", "tls_key", "tls_client_ca")
ALL_INTERFACES = ("0.0.0.0", "::", "[::]")


# --- reading the files ---------------------------------------------------------------------


@functools.cache
def compose() -> dict[str, Any]:
    return yaml.safe_load(COMPOSE_FILE.read_text())


def service(name: str) -> dict[str, Any]:
    services = compose().get("services") or {}
    if name not in services:
        pytest.fail(f"docker-compose.yml has no service {name!r}")
    return services[name]


_VARIABLE = re.compile(r"\$\$|\$\{([^}]*)\}|\$([A-Za-z_][A-Za-z0-9_]*)")


def interpolate(value: str) -> str:
    """Compose's variable substitution, with every variable unset: defaults are used."""

    def substitute(match: re.Match[str]) -> str:
        if match.group(0) == "$$":
            return "$"
        expression = match.group(1)
        if expression is not None:
            for operator in (":-", "-"):
                name, sep, default = expression.partition(operator)
                if sep and re.fullmatch(r"[A-Za-z_][A-Za-z0-9_]*", name):
                    return default
            # ${VAR:?message}: compose refuses to start without it; the operator sets it.
            name, sep, _ = expression.partition(":?")
            if sep and re.fullmatch(r"[A-Za-z_][A-Za-z0-9_]*", name):
                return f"operator-set-{name.lower()}"
        pytest.fail(
            f"{match.group(0)} in docker-compose.yml has no default "
            "(use ${VAR:-default}, or ${VAR:?message} for a secret)"
        )

    return _VARIABLE.sub(substitute, value)


def scalar(value: Any) -> str:
    if isinstance(value, bool):
        return "true" if value else "false"
    return interpolate(str(value))


def environment(name: str) -> dict[str, str]:
    """A service's environment (list or mapping form), interpolated."""
    raw = service(name).get("environment") or {}
    if isinstance(raw, list):
        pairs = {}
        for item in raw:
            key, sep, value = str(item).partition("=")
            pairs[key] = value if sep else None
        raw = pairs
    return {key: scalar(value) for key, value in raw.items() if value is not None}


def command(name: str) -> list[str]:
    raw = service(name).get("command")
    if raw is None:
        pytest.fail(f"service {name!r} has no command (the image's CMD is not a server)")
    if isinstance(raw, str):
        return shlex.split(interpolate(raw))
    return [scalar(part) for part in raw]


def parse_command(name: str):
    argv = command(name)
    try:
        return build_parser().parse_args(argv)
    except SystemExit as exc:
        pytest.fail(f"service {name!r}: `ocpp-cable {shlex.join(argv)}` is rejected (exit {exc})")


def settings_of(name: str, monkeypatch: pytest.MonkeyPatch) -> Settings:
    """The settings the service's container starts with: its environment, then its flags."""
    for key in list(os.environ):
        if key.startswith(ENV_PREFIX):
            monkeypatch.delenv(key)
    # A container has no key file of this checkout's (a test run may have left one here).
    monkeypatch.setenv(f"{ENV_PREFIX}BROADCAST_KEY_FILE", "/nonexistent/ocpp_cable.key")
    for key, value in environment(name).items():
        monkeypatch.setenv(key, value)
    args = parse_command(name)
    overrides = {field: getattr(args, field) for field in Settings.model_fields}
    try:
        return load_settings(Settings, **overrides)
    except SettingsError as exc:
        pytest.fail(f"service {name!r} would not start:\n{exc}")


def depends_on(name: str) -> dict[str, dict[str, Any]]:
    raw = service(name).get("depends_on") or {}
    if isinstance(raw, list):
        return {dep: {"condition": "service_started"} for dep in raw}
    return {dep: spec or {"condition": "service_started"} for dep, spec in raw.items()}


def container_port(mapping: Any) -> int:
    """The container side of a `ports` entry: "9000", "9000:9000", "ip:9000:9000/tcp", long form."""
    if isinstance(mapping, dict):
        return int(mapping["target"])
    text = str(mapping).split("/")[0]
    return int(text.rsplit(":", 1)[-1])


def host_and_port(address: str) -> tuple[str, int]:
    host, _, port = address.rpartition(":")
    return host, int(port)


_DURATION_PART = re.compile(r"(\d+(?:\.\d+)?)(us|ms|s|m|h)")
_UNIT_SECONDS = {"us": 1e-6, "ms": 1e-3, "s": 1.0, "m": 60.0, "h": 3600.0}


def duration(value: Any) -> float:
    """Compose durations ("15s", "1m30s", "500ms") in seconds."""
    text = str(value).strip()
    if not re.fullmatch(f"(?:{_DURATION_PART.pattern})+", text):
        pytest.fail(f"{value!r} is not a compose duration such as 15s or 1m30s")
    return sum(float(n) * _UNIT_SECONDS[unit] for n, unit in _DURATION_PART.findall(text))


def dockerfile_instructions() -> list[tuple[str, str]]:
    """(INSTRUCTION, arguments) of the Dockerfile, continuation lines joined."""
    instructions: list[tuple[str, str]] = []
    pending = ""
    for line in DOCKERFILE.read_text().splitlines():
        stripped = line.strip()
        if not pending and (not stripped or stripped.startswith("#")):
            continue
        if pending and stripped.startswith("#"):
            continue
        if stripped.endswith("\\"):
            pending += stripped[:-1] + " "
            continue
        full = pending + stripped
        pending = ""
        keyword, _, arguments = full.partition(" ")
        instructions.append((keyword.upper(), arguments.strip()))
    return instructions


def final_stage() -> list[tuple[str, str]]:
    instructions = dockerfile_instructions()
    starts = [i for i, (keyword, _) in enumerate(instructions) if keyword == "FROM"]
    assert starts, "the Dockerfile has no FROM"
    return instructions[starts[-1] :]


def from_image(arguments: str) -> str:
    words = [w for w in arguments.split() if not w.startswith("--")]
    return words[0]


def default(field: str) -> Any:
    return Settings.model_fields[field].default


# --- docker-compose.yml: services, image, commands -----------------------------------------


def test_compose_has_the_expected_services():
    services = compose().get("services") or {}
    missing = sorted(set(SERVICES) - set(services))
    assert not missing, f"docker-compose.yml lacks services {missing}"
    assert "version" not in compose(), "the compose spec has no `version:` key"
    assert service("redis")["image"].startswith("redis:7")
    assert service("postgres")["image"].startswith("postgres:15")


def test_app_services_build_and_share_one_image():
    for name in APP_SERVICES:
        spec = service(name)
        build = spec.get("build")
        context = build.get("context") if isinstance(build, dict) else build
        assert context == ".", f"service {name!r} must build the image from this directory"
        assert spec.get("image") == IMAGE, f"service {name!r} must be tagged {IMAGE}"
    others = [
        name
        for name, spec in compose()["services"].items()
        if str(spec.get("image", "")).startswith("ocpp-cable") and name not in APP_SERVICES
    ]
    for name in others:  # any further use of the image must run a real command too
        assert parse_command(name).command in SERVER_COMMANDS


@pytest.mark.parametrize("name", APP_SERVICES)
def test_app_service_command_is_accepted_by_the_cli(name):
    args = parse_command(name)
    assert args.command in SERVER_COMMANDS, (
        f"service {name!r} runs `{args.command}`, not one of {sorted(SERVER_COMMANDS)}"
    )
    assert args.command == name, f"service {name!r} should run `ocpp-cable {name}`"


# --- docker-compose.yml: settings ---------------------------------------------------------


@pytest.mark.parametrize("name", APP_SERVICES)
def test_app_environment_names_real_settings(name):
    keys = [key for key in environment(name) if key.upper().startswith("OCPP")]
    misspelt = [key for key in keys if not key.startswith(ENV_PREFIX)]
    assert not misspelt, f"service {name!r}: variables must start with {ENV_PREFIX}: {misspelt}"
    unknown = [
        key for key in keys if key.removeprefix(ENV_PREFIX).lower() not in Settings.model_fields
    ]
    assert not unknown, f"service {name!r} sets variables that are no setting: {unknown}"


@pytest.mark.parametrize("name", APP_SERVICES)
def test_app_environment_values_are_valid_settings(name, monkeypatch):
    settings = settings_of(name, monkeypatch)
    for key, value in environment(name).items():
        if not key.startswith(ENV_PREFIX):
            continue
        field = key.removeprefix(ENV_PREFIX).lower()
        try:  # each one on its own too, so the message names the culprit
            Settings(**{field: value})
        except Exception as exc:
            pytest.fail(f"service {name!r}: {key}={value!r} is invalid: {exc}")
    assert settings.log_format == "json", f"service {name!r} should log JSON"


@pytest.mark.parametrize("name", APP_SERVICES)
def test_app_services_need_no_tls_files(name, monkeypatch):
    settings = settings_of(name, monkeypatch)
    for field in TLS_SETTINGS:
        assert getattr(settings, field) is None, f"service {name!r} sets {field}: no file for it"


def test_gateway_ports_match_its_settings(monkeypatch):
    gateway = settings_of("gateway", monkeypatch)
    mapped = sorted(container_port(p) for p in service("gateway").get("ports") or [])
    assert mapped == sorted([gateway.port, gateway.http_port]), (
        f"gateway publishes container ports {mapped}, but listens on port={gateway.port} "
        f"and http_port={gateway.http_port}"
    )


def test_gateway_listens_on_all_interfaces(monkeypatch):
    gateway = settings_of("gateway", monkeypatch)
    assert gateway.host == "0.0.0.0", "chargers could not reach a gateway on loopback"
    assert gateway.http_host == "0.0.0.0", "/health and /metrics would be unreachable"


def test_gateway_monitoring_is_private_and_token_protected(monkeypatch):
    gateway = settings_of("gateway", monkeypatch)
    assert gateway.monitoring_token is not None, "/metrics and /health would need no token"
    published = {container_port(p): str(p) for p in service("gateway").get("ports") or []}
    http = published[gateway.http_port]
    assert http.startswith("127.0.0.1:"), f"the HTTP port is published to every interface: {http}"
    assert not published[gateway.port].startswith("127.0.0.1:"), "chargers must reach 9000"


def test_gateway_rpc_host_names_the_rpc_service_and_its_port(monkeypatch):
    rpc = settings_of("rpc", monkeypatch)
    gateway = settings_of("gateway", monkeypatch)
    host, port = host_and_port(gateway.rpc_host)
    assert host == "rpc", f"gateway calls {gateway.rpc_host}, not the rpc service"
    assert port == host_and_port(rpc.rpc_host)[1], (
        f"gateway calls port {port}, rpc listens at {rpc.rpc_host}"
    )


def test_rpc_binds_all_interfaces_and_publishes_no_host_port(monkeypatch):
    rpc = settings_of("rpc", monkeypatch)
    host, port = host_and_port(rpc.rpc_host)
    assert host in ALL_INTERFACES, f"rpc listens at {rpc.rpc_host}: the gateway cannot reach it"
    assert rpc.rpc_metrics_host in ALL_INTERFACES, "rpc's /metrics would be unreachable"
    assert not service("rpc").get("ports"), "host ports would clash between rpc replicas"
    exposed = {int(str(p).split("/")[0]) for p in service("rpc").get("expose") or []}
    assert {port, rpc.rpc_metrics_port} <= exposed, f"rpc exposes {sorted(exposed)}"


def test_only_the_gateway_may_call_rpc(monkeypatch):
    """rpc listens beyond its container: it starts only with a secret (runner refuses an
    open port), and the gateway sends that same secret."""
    rpc = settings_of("rpc", monkeypatch)
    try:
        secret = rpc_caller_check(rpc)
    except SettingsError as exc:
        pytest.fail(f"rpc would not start: {exc}")
    assert secret is not None
    assert settings_of("gateway", monkeypatch).rpc_auth_secret() == secret


def test_gateway_takes_broadcasts_where_rpc_publishes_them(monkeypatch):
    rpc = settings_of("rpc", monkeypatch)
    gateway = settings_of("gateway", monkeypatch)
    assert rpc.broadcaster in gateway.adapters(), (
        f"rpc publishes to {rpc.broadcaster}, gateway listens on {gateway.broadcast_adapter}"
    )


def test_redis_urls_name_the_redis_service(monkeypatch):
    rpc = settings_of("rpc", monkeypatch)
    gateway = settings_of("gateway", monkeypatch)
    for name, settings in (("rpc", rpc), ("gateway", gateway)):
        assert urlsplit(settings.redis_url).hostname == "redis", (
            f"service {name!r} uses Redis at {settings.redis_url}"
        )
    assert rpc.redis_url == gateway.redis_url, "rpc and gateway must share one Redis database"
    assert rpc.redis_channel == gateway.redis_channel


def test_database_urls_name_the_postgres_service(monkeypatch):
    migrate = settings_of("migrate", monkeypatch)
    rpc = settings_of("rpc", monkeypatch)
    assert migrate.database_url == rpc.database_url, "migrate must migrate rpc's database"
    url = make_url(rpc.database_url)
    postgres = environment("postgres")
    assert url.drivername == "postgresql+psycopg", url.drivername
    assert url.host == "postgres", f"database host is {url.host!r}, not the postgres service"
    assert url.port in (None, 5432)
    assert url.username == postgres["POSTGRES_USER"]
    assert url.password == postgres["POSTGRES_PASSWORD"]
    assert url.database == postgres["POSTGRES_DB"]


def test_api_serves_on_its_published_port_beside_rpc(monkeypatch):
    api = settings_of("api", monkeypatch)
    rpc = settings_of("rpc", monkeypatch)
    gateway = settings_of("gateway", monkeypatch)
    assert api.api_host in ALL_INTERFACES, f"the API listens at {api.api_host}: unreachable"
    mapped = sorted(container_port(p) for p in service("api").get("ports") or [])
    assert mapped == [api.api_port], f"api publishes {mapped}, listens on {api.api_port}"
    assert api.database_url == rpc.database_url, "the API must read rpc's database"
    assert api.auto_migrate is False, "migrate owns the schema"
    # Its commands must reach the gateway the way rpc_app's broadcasts do.
    assert api.broadcaster in gateway.adapters()
    assert (api.redis_url, api.redis_channel) == (gateway.redis_url, gateway.redis_channel)
    assert depends_on("api").get("migrate", {}).get("condition") == (
        "service_completed_successfully"
    )


def test_gateway_starts_with_its_broadcast_settings(monkeypatch):
    gateway = settings_of("gateway", monkeypatch)
    try:  # an HTTP adapter without a key stops the gateway at start-up
        require_broadcast_key(gateway)
    except SettingsError as exc:
        pytest.fail(f"gateway would not start: {exc}")


def test_rpc_runs_two_replicas_without_auto_migrate(monkeypatch):
    assert (service("rpc").get("deploy") or {}).get("replicas") == 2
    assert settings_of("rpc", monkeypatch).auto_migrate is False, "migrate owns the schema"


def test_migrate_runs_once_after_postgres_and_before_rpc():
    assert depends_on("rpc").get("migrate", {}).get("condition") == (
        "service_completed_successfully"
    ), "rpc must wait for migrate to finish"
    assert str(service("migrate").get("restart")) == "no", "migrate is a one-shot job"
    assert depends_on("migrate").get("postgres", {}).get("condition") == "service_healthy"
    check = service("postgres").get("healthcheck") or {}
    assert "pg_isready" in " ".join(map(str, check.get("test") or [])), check
    volumes = [str(v).split(":")[0] for v in service("postgres").get("volumes") or []]
    assert any(v in (compose().get("volumes") or {}) for v in volumes), "data needs a volume"
    assert "redis" in depends_on("rpc")
    assert {"rpc", "redis"} <= set(depends_on("gateway"))


def test_gateway_stop_grace_period_exceeds_shutdown_timeout(monkeypatch):
    gateway = settings_of("gateway", monkeypatch)
    grace = duration(service("gateway").get("stop_grace_period", "10s"))
    assert grace > gateway.shutdown_timeout, (
        f"Docker kills the gateway after {grace}s, before its {gateway.shutdown_timeout}s drain"
    )


def test_gateway_healthcheck_hits_its_own_health_endpoint(monkeypatch):
    gateway = settings_of("gateway", monkeypatch)
    test = service("gateway").get("healthcheck", {}).get("test")
    assert test, "gateway has no healthcheck"
    text = test if isinstance(test, str) else " ".join(map(str, test))
    found = re.findall(r"http://(?:127\.0\.0\.1|localhost):(\d+)/health\b", text)
    assert found, f"gateway healthcheck does not request /health: {text}"
    # The chargers' port answers a plain /health without credentials.
    assert {int(p) for p in found} == {gateway.port}, (
        f"healthcheck asks port {found}, the gateway's chargers' port is {gateway.port}"
    )
    if not isinstance(test, str):
        assert test[0] in ("CMD", "CMD-SHELL"), test
        assert "curl" not in text and "wget" not in text, "slim images have neither"


# --- Dockerfile ----------------------------------------------------------------------------


def test_dockerfile_builds_from_python_311():
    stages: set[str] = set()  # `FROM <stage>` builds on an earlier stage, not an image
    froms = [arguments for keyword, arguments in dockerfile_instructions() if keyword == "FROM"]
    assert froms, "the Dockerfile has no FROM"
    for arguments in froms:
        image = from_image(arguments)
        if image.lower() not in stages:
            assert image.startswith("python:3.11"), f"FROM {image}: the project needs Python 3.11"
        words = arguments.split()
        if len(words) >= 3 and words[-2].upper() == "AS":
            stages.add(words[-1].lower())
    assert from_image(final_stage()[0][1]).startswith("python:3.11")


def test_dockerfile_entrypoint_is_ocpp_cable():
    entrypoints = [arguments for keyword, arguments in final_stage() if keyword == "ENTRYPOINT"]
    assert entrypoints, "the final stage has no ENTRYPOINT"
    assert json.loads(entrypoints[-1]) == ["ocpp-cable"], (
        f"ENTRYPOINT {entrypoints[-1]}: exec form keeps SIGTERM reaching ocpp-cable"
    )


def test_dockerfile_exposes_the_default_ports():
    exposed = set()
    for keyword, arguments in final_stage():
        if keyword == "EXPOSE":
            exposed |= {int(word.split("/")[0]) for word in arguments.split()}
    wanted = {
        default("port"),
        default("http_port"),
        host_and_port(default("rpc_host"))[1],
        default("rpc_metrics_port"),
        default("api_port"),
    }
    assert wanted <= exposed, f"EXPOSE {sorted(exposed)} lacks {sorted(wanted - exposed)}"


def test_dockerfile_runs_as_a_non_root_user():
    users = [arguments for keyword, arguments in final_stage() if keyword == "USER"]
    assert users, "the final stage runs as root (no USER)"
    user = users[-1].split(":")[0]
    assert user not in ("root", "0"), f"USER {users[-1]} is root"


def test_dockerfile_installs_the_project_without_dev_extras():
    runs = [arguments for keyword, arguments in dockerfile_instructions() if keyword == "RUN"]
    installs = [run for run in runs if "pip install" in run]
    assert installs, "the Dockerfile never runs pip install"
    for run in installs:
        assert "[test]" not in run and " -e " not in run, f"RUN {run}: no dev or editable install"


def test_dockerignore_keeps_build_inputs_and_drops_local_state():
    patterns = [
        line.strip().rstrip("/")
        for line in DOCKERIGNORE.read_text().splitlines()
        if line.strip() and not line.startswith("#") and not line.startswith("!")
    ]

    def ignored(path: str) -> bool:
        return any(fnmatch.fnmatch(path, p.removeprefix("**/")) for p in patterns)

    needed = ["pyproject.toml", "setup.py", "README.md", "ocpp_cable", "gateway", "rpc_app"]
    needed += ["channels", "ocpp_cable/foundation", "ocpp_cable/contract/pb/rpc_pb2.py"]
    needed += ["channels/storage/migrations/env.py"]
    assert not [p for p in needed if ignored(p)], "the image build needs these"
    for local in (".venv", ".git", "ocpp_cable.db"):
        assert ignored(local), f"{local} should not be sent to the Docker daemon"
