"""AnyCable-Go's flag and environment names work as aliases of our settings.

Precedence: our flag or its AnyCable flag > OCPP_CABLE_* > ANYCABLE_* > the default.
"""

from __future__ import annotations

import re

import pytest

from devtools import docs
from ocpp_cable.channels.settings import AdminSettings, Settings
from ocpp_cable.cli import ANYCABLE_GIVEN, TIERS, build_parser, main
from ocpp_cable.foundation.settings import (
    ANYCABLE_NAMES,
    GatewaySettings,
    PublisherSettings,
    SettingsError,
    SettingsGroup,
    load_settings,
)

# The aliases AnyCable-Go Pro's OCPP mode users have, written out here (not read from
# ANYCABLE_NAMES) so that a wrong or missing entry in the table fails.
ANYCABLE_FLAGS = {
    "host": "host",
    "port": "port",
    "path_prefix": "ocpp_path",
    "granular_actions": "ocpp_granular_actions",
    "cable_path": "path",
    "headers": "headers",
    "rpc_host": "rpc_host",
    "rpc_concurrency": "rpc_concurrency",
    "rpc_secret": "http_rpc_secret",
    "rpc_tls_ca": "rpc_tls_root_ca",
    "broadcast_adapter": "broadcast_adapter",
    "broadcast_key": "broadcast_key",
    "http_port": "http_broadcast_port",
    "redis_url": "redis_url",
    "redis_channel": "redis_channel",
    "nats_servers": "nats_servers",
    "nats_subject": "nats_channel",
    "tls_cert": "ssl_cert",
    "tls_key": "ssl_key",
    "max_frame_size": "max_message_size",
    "shutdown_timeout": "shutdown_timeout",
    "log_level": "log_level",
    "log_format": "log_format",
}
# Variables of anycable's publishers (no AnyCable-Go flag): field -> (variable, value, ours).
PUBLISHER_VARIABLES = {
    "broadcaster": ("ANYCABLE_BROADCAST_ADAPTER", "nats,http", "nats"),
    "broadcast_url": (
        "ANYCABLE_HTTP_BROADCAST_URL",
        "http://gw:8090/_broadcast",
        "http://gw:8090/_broadcast",
    ),
}
# A valid value of each setting, other than its default, as given and as loaded.
SAMPLES: dict[str, tuple[str, object]] = {
    "host": ("0.0.0.0", "0.0.0.0"),
    "port": ("9100", 9100),
    "path_prefix": ("/charge", "/charge"),
    "granular_actions": ("false", False),
    "cable_path": ("/ws", "/ws"),
    "headers": ("x-api-key", "x-api-key"),
    "rpc_host": ("rpc:50052", "rpc:50052"),
    "rpc_concurrency": ("7", 7),
    "rpc_secret": ("s3cret", "s3cret"),
    "rpc_tls_ca": ("ca.pem", "ca.pem"),  # in tmp_path, see `sample`
    "broadcast_adapter": ("redis,nats", "redis,nats"),
    "broadcast_key": ("k3y", "k3y"),
    "http_port": ("9191", 9191),
    "redis_url": ("redis://r:6379/1", "redis://r:6379/1"),
    "redis_channel": ("__cable__", "__cable__"),
    "nats_servers": ("nats://n:4222", "nats://n:4222"),
    "nats_subject": ("__cable__", "__cable__"),
    "tls_cert": ("cert.pem", "cert.pem"),  # in tmp_path, see `sample`
    "tls_key": ("key.pem", "key.pem"),
    "max_frame_size": ("131072", 131072),
    "shutdown_timeout": ("3.5", 3.5),
    "log_level": ("debug", "debug"),
    "log_format": ("json", "json"),
}
TLS_PARTNER = {"tls_cert": "tls_key", "tls_key": "tls_cert"}


@pytest.fixture(autouse=True)
def clean_environment(monkeypatch):
    """No OCPP_CABLE_* or ANYCABLE_* variable of the machine's reaches these tests."""
    import os

    for name in list(os.environ):
        if name.startswith("ANYCABLE_") or (
            name.startswith("OCPP_CABLE_") and name != "OCPP_CABLE_BROADCAST_KEY_FILE"
        ):
            monkeypatch.delenv(name)


def load(*argv: str) -> SettingsGroup:
    """The settings `ocpp-cable <argv>` runs with, loaded as main() loads them."""
    args = build_parser().parse_args(list(argv))
    tier = TIERS[args.command]
    overrides = {name: getattr(args, name) for name in tier.model_fields}
    return load_settings(tier, getattr(args, ANYCABLE_GIVEN, None), **overrides)


def value(settings: SettingsGroup, field: str) -> object:
    got = getattr(settings, field)
    return got.get_secret_value() if hasattr(got, "get_secret_value") else got


def sample(field: str, tmp_path, monkeypatch) -> tuple[str, object]:
    """SAMPLES[field], with the files TLS needs and the other half of the TLS pair set."""
    given, loaded = SAMPLES[field]
    if field == "rpc_tls_ca":
        (tmp_path / given).write_text("PEM")
        given = loaded = str(tmp_path / given)
    if field in TLS_PARTNER:
        for name in ("cert.pem", "key.pem"):
            (tmp_path / name).write_text("PEM")
        partner = TLS_PARTNER[field]
        monkeypatch.setenv(f"OCPP_CABLE_{partner.upper()}", str(tmp_path / SAMPLES[partner][0]))
        given = loaded = str(tmp_path / given)
    return given, loaded


def stderr_of(capsys, argv: list[str]) -> str:
    assert main(argv) == 2
    return capsys.readouterr().err


# --- the table ----------------------------------------------------------------------------


def test_the_table_holds_anycables_names():
    flags = {field: alias.name for field, alias in ANYCABLE_NAMES.items() if alias.flag}
    assert flags == ANYCABLE_FLAGS
    variables = {
        field: "ANYCABLE_" + alias.name.upper()
        for field, alias in ANYCABLE_NAMES.items()
        if not alias.flag
    }
    assert variables == {field: v for field, (v, _, _) in PUBLISHER_VARIABLES.items()}
    assert ANYCABLE_NAMES["broadcast_key"].deprecated == ("http_broadcast_secret",)


def test_every_alias_names_a_setting():
    assert set(ANYCABLE_NAMES) <= set(Settings.model_fields)


# --- each alias, by variable and by flag --------------------------------------------------


@pytest.mark.parametrize("field", list(ANYCABLE_FLAGS))
def test_each_anycable_variable_sets_its_setting(monkeypatch, tmp_path, field):
    given, loaded = sample(field, tmp_path, monkeypatch)
    assert Settings.model_fields[field].default != loaded  # the sample is not the default
    monkeypatch.setenv("ANYCABLE_" + ANYCABLE_FLAGS[field].upper(), given)
    assert value(load("config"), field) == loaded


@pytest.mark.parametrize("field", list(ANYCABLE_FLAGS))
def test_each_anycable_flag_sets_its_setting(monkeypatch, tmp_path, field):
    given, loaded = sample(field, tmp_path, monkeypatch)
    assert Settings.model_fields[field].default != loaded
    flag = "--" + ANYCABLE_FLAGS[field]
    assert value(load("config", f"{flag}={given}"), field) == loaded
    assert value(load("config", flag, given), field) == loaded


@pytest.mark.parametrize("field", list(PUBLISHER_VARIABLES))
def test_publishers_read_anycables_publishing_variables(monkeypatch, field):
    variable, given, loaded = PUBLISHER_VARIABLES[field]
    monkeypatch.setenv(variable, given)
    assert value(load_settings(PublisherSettings), field) == loaded
    assert value(load("broadcast", "stream", "{}"), field) == loaded


def test_anycables_deprecated_broadcast_secret_is_the_broadcast_key(monkeypatch):
    monkeypatch.setenv("ANYCABLE_HTTP_BROADCAST_SECRET", "old")
    assert value(load("gateway"), "broadcast_key") == "old"
    assert value(load("gateway", "--http_broadcast_secret", "flag"), "broadcast_key") == "flag"
    monkeypatch.setenv("ANYCABLE_BROADCAST_KEY", "new")  # the current name first
    assert value(load("gateway"), "broadcast_key") == "new"


def test_anycable_flags_equal_to_ours_need_no_second_flag(capsys):
    with pytest.raises(SystemExit):
        main(["gateway", "--help"])
    shown = capsys.readouterr().out
    assert "--path-prefix PATH_PREFIX, --ocpp_path PATH_PREFIX" in shown
    assert "--host HOST " in shown  # AnyCable's --host is ours: listed once
    assert "ANYCABLE_OCPP_PATH" in shown


# --- precedence ---------------------------------------------------------------------------


def test_ocpp_cable_variable_beats_anycable_variable(monkeypatch):
    monkeypatch.setenv("ANYCABLE_OCPP_PATH", "/theirs")
    monkeypatch.setenv("OCPP_CABLE_PATH_PREFIX", "/ours")
    assert load("config").path_prefix == "/ours"


@pytest.mark.parametrize("flag", ["--ocpp_path", "--path-prefix"])
def test_a_flag_beats_both_variables(monkeypatch, flag):
    monkeypatch.setenv("ANYCABLE_OCPP_PATH", "/theirs")
    assert load("config", flag, "/flag").path_prefix == "/flag"
    monkeypatch.setenv("OCPP_CABLE_PATH_PREFIX", "/ours")
    assert load("config", flag, "/flag").path_prefix == "/flag"


def test_our_broadcaster_variable_beats_anycables_adapter_list(monkeypatch):
    monkeypatch.setenv("ANYCABLE_BROADCAST_ADAPTER", "redis,http")
    assert load("broadcast", "s", "{}").broadcaster == "redis"
    monkeypatch.setenv("OCPP_CABLE_BROADCASTER", "nats")
    assert load("broadcast", "s", "{}").broadcaster == "nats"
    assert load("broadcast", "s", "{}", "--broadcaster", "http").broadcaster == "http"


def test_the_last_of_our_flag_and_its_alias_wins():
    assert load("config", "--ocpp_path", "/a", "--path-prefix", "/b").path_prefix == "/b"
    assert load("config", "--path-prefix", "/b", "--ocpp_path", "/a").path_prefix == "/a"


# --- AnyCable's words ---------------------------------------------------------------------


@pytest.mark.parametrize(
    ("field", "theirs", "ours"),
    [("log_level", "warn", "warning"), ("log_format", "text", "console")],
)
def test_anycables_words_are_translated_under_its_names(monkeypatch, capsys, field, theirs, ours):
    flag = "--" + field
    assert getattr(load("config", f"{flag}={theirs}"), field) == ours
    monkeypatch.setenv("ANYCABLE_" + field.upper(), theirs)
    assert getattr(load("config"), field) == ours
    # Under our names, our words only.
    assert field in stderr_of(capsys, ["config", flag.replace("_", "-"), theirs])
    monkeypatch.setenv("OCPP_CABLE_" + field.upper(), theirs)
    assert field in stderr_of(capsys, ["config"])


# --- invalid values -----------------------------------------------------------------------


def test_an_invalid_anycable_variable_is_reported_under_its_name(monkeypatch, capsys):
    monkeypatch.setenv("ANYCABLE_BROADCAST_ADAPTER", "kafka")
    err = stderr_of(capsys, ["gateway"])
    assert (
        "invalid setting broadcast_adapter (--broadcast-adapter / "
        "OCPP_CABLE_BROADCAST_ADAPTER, from ANYCABLE_BROADCAST_ADAPTER): "
    ) in err
    assert "'kafka'" in err


def test_an_invalid_anycable_flag_is_reported_under_its_name(capsys):
    err = stderr_of(capsys, ["config", "--ocpp_path", "ocpp"])
    assert "path_prefix (--path-prefix / OCPP_CABLE_PATH_PREFIX, from --ocpp_path)" in err
    # Our flag given after it is the one that counts: no blame on the alias.
    err = stderr_of(capsys, ["config", "--ocpp_path", "/charge", "--path-prefix", "ocpp"])
    assert "path_prefix (--path-prefix / OCPP_CABLE_PATH_PREFIX): " in err


def test_an_invalid_value_of_ours_is_not_blamed_on_anycable(monkeypatch, capsys):
    monkeypatch.setenv("ANYCABLE_PORT", "9100")
    monkeypatch.setenv("OCPP_CABLE_PORT", "abc")
    err = stderr_of(capsys, ["config"])
    assert "port (--port / OCPP_CABLE_PORT): " in err
    assert "ANYCABLE" not in err


def test_a_rule_across_settings_names_the_anycable_variable(monkeypatch):
    monkeypatch.setenv("ANYCABLE_SSL_CERT", "/no/such/cert.pem")
    monkeypatch.setenv("ANYCABLE_SSL_KEY", "/no/such/key.pem")
    with pytest.raises(SettingsError, match=r"tls_cert from ANYCABLE_SSL_CERT"):
        load_settings(GatewaySettings)


# --- tiers --------------------------------------------------------------------------------


def test_a_tier_without_the_setting_ignores_its_anycable_variable(monkeypatch):
    monkeypatch.setenv("ANYCABLE_REDIS_URL", "redis://elsewhere:6379/0")
    monkeypatch.setenv("ANYCABLE_PORT", "not a port")  # would be refused if read
    monkeypatch.setenv("ANYCABLE_OCPP_PATH", "/charge")
    admin = load_settings(AdminSettings)
    assert admin.path_prefix == "/charge"  # AdminSettings has this one
    assert load("stations", "list").path_prefix == "/charge"
    assert load_settings(GatewaySettings, port=9000).redis_url == "redis://elsewhere:6379/0"


def test_a_tier_without_the_setting_has_no_anycable_flag_for_it(capsys):
    with pytest.raises(SystemExit) as exc:
        main(["tags", "list", "--redis_url", "redis://x"])
    assert exc.value.code == 2
    assert "unrecognized arguments: --redis_url" in capsys.readouterr().err
    assert load("tags", "list", "--ocpp_path=/charge").path_prefix == "/charge"


# --- bool flags ---------------------------------------------------------------------------


def test_a_bare_bool_flag_means_true(monkeypatch):
    monkeypatch.setenv("OCPP_CABLE_GRANULAR_ACTIONS", "false")
    assert load("gateway").granular_actions is False
    assert load("gateway", "--ocpp_granular_actions").granular_actions is True
    assert load("gateway", "--granular-actions").granular_actions is True
    settings = load("gateway", "--forward-heartbeat", "--port", "1")
    assert settings.forward_heartbeat is True
    assert settings.port == 1


def test_a_bool_flag_still_takes_a_value():
    assert load("gateway", "--granular-actions", "false").granular_actions is False
    assert load("gateway", "--ocpp_granular_actions=false").granular_actions is False
    assert load("gateway", "--ocpp_granular_actions", "false").granular_actions is False


# --- what `config` shows ------------------------------------------------------------------


def test_config_prints_the_effective_values_with_secrets_masked(monkeypatch, capsys):
    monkeypatch.setenv("ANYCABLE_OCPP_PATH", "/charge")
    monkeypatch.setenv("ANYCABLE_BROADCAST_KEY", "topsecret")
    monkeypatch.setenv("ANYCABLE_LOG_LEVEL", "warn")
    assert main(["config", "--max_message_size=131072"]) == 0
    shown = dict(line.split(maxsplit=1) for line in capsys.readouterr().out.splitlines())
    assert shown["path_prefix"] == "/charge"
    assert shown["log_level"] == "warning"
    assert shown["max_frame_size"] == "131072"
    assert shown["broadcast_key"] == "********"


# --- the docs' table ---------------------------------------------------------------------


def test_the_docs_table_of_aliases_comes_from_the_table():
    table = docs.anycable_table()
    rows = [line for line in table.splitlines() if line.startswith("| `--")]
    assert len(rows) == len(ANYCABLE_NAMES)
    assert "| `--path-prefix` | `--ocpp_path` | `ANYCABLE_OCPP_PATH` |" in table
    assert "`ANYCABLE_HTTP_BROADCAST_SECRET` (deprecated)" in table
    assert "| `--broadcaster` | — | `ANYCABLE_BROADCAST_ADAPTER` |" in table
    assert "| `--log-level` | `--log_level` | `ANYCABLE_LOG_LEVEL` | `warn` is `warning` |" in table


def test_make_docs_puts_each_table_in_the_block_of_the_page_that_holds_it(tmp_path):
    (tmp_path / "README.md").write_text("# front page, no block\n")
    (tmp_path / "docs").mkdir()
    settings = tmp_path / "docs" / "settings.md"
    settings.write_text("<!-- settings -->\nold\n<!-- /settings -->\n")
    aliases = tmp_path / "docs" / "anycable.md"
    aliases.write_text("<!-- anycable-aliases -->\n<!-- /anycable-aliases -->\n")
    docs.main(tmp_path)
    assert docs.read_block(aliases.read_text(), "anycable-aliases") == docs.anycable_table()
    assert docs.read_block(settings.read_text(), "settings") == docs.settings_table()
    assert (tmp_path / "README.md").read_text() == "# front page, no block\n"


def test_a_block_on_no_page_or_on_two_is_refused(tmp_path):
    (tmp_path / "README.md").write_text("<!-- settings -->\n<!-- /settings -->\n")
    (tmp_path / "docs").mkdir()
    (tmp_path / "docs" / "settings.md").write_text("<!-- settings -->\n<!-- /settings -->\n")
    with pytest.raises(LookupError, match=re.escape("found on README.md, docs/settings.md")):
        docs.page_holding("settings", tmp_path)
    with pytest.raises(LookupError, match="found on none"):
        docs.page_holding("anycable-aliases", tmp_path)
