"""Each command reads its own tier of settings: its --help, its flags, its environment."""

from __future__ import annotations

import re

import pytest

from ocpp_cable.channels.settings import DatabaseSettings, Settings
from ocpp_cable.channels.storage import db
from ocpp_cable.cli import TIERS, main
from ocpp_cable.foundation.settings import SettingsGroup, flag_name, load_settings

SETTINGS_GROUP = "settings (each also from its environment variable):"
# Commands whose settings are on their subcommands.
LEAVES = {
    name: [name, "list"]
    for name in ("stations", "tags", "tariffs", "transactions", "tokens", "viewers")
}
LEAVES.update({"local-list": ["local-list", "show"], "reservations": ["reservations", "list"]})
LEAVES.update({"variables": ["variables", "get"], "monitoring": ["monitoring", "level"]})
LEAVES.update({"display-messages": ["display-messages", "clear"]})
LEAVES.update({"configuration": ["configuration", "get"]})
LEAVES.update({"charging-profiles": ["charging-profiles", "clear"]})


def setting_flags(capsys, *argv: str) -> set[str]:
    """The settings' flags `ocpp-cable <argv> --help` lists (their lines, not descriptions)."""
    with pytest.raises(SystemExit) as exc:
        main([*argv, "--help"])
    assert exc.value.code == 0
    _, _, settings = capsys.readouterr().out.partition(SETTINGS_GROUP)
    return set(re.findall(r"^  (--[a-z-]+)", settings, re.M))


@pytest.mark.parametrize(
    ("argv", "shown", "hidden"),
    [
        (["migrate"], {"--database-url"}, {"--port", "--tls-cert", "--rpc-batch", "--log-level"}),
        (["gateway"], {"--port", "--tls-cert"}, {"--database-url", "--channels-module"}),
        (["rpc"], {"--database-url", "--channels-module"}, {"--port", "--tls-cert", "--rpc-batch"}),
        (["broadcast"], {"--broadcaster"}, {"--database-url", "--port", "--station-stream"}),
        (["send"], {"--broadcaster", "--database-url", "--station-stream"}, {"--port"}),
        (["tags", "add"], {"--database-url"}, {"--port", "--broadcaster"}),
        # Accepting a connected station asks it to boot again: `stations` publishes.
        (
            ["stations", "accept"],
            {"--database-url", "--path-prefix", "--broadcaster", "--default-registration"},
            {"--port"},
        ),
    ],
)
def test_help_shows_the_flags_the_command_uses(capsys, argv, shown, hidden):
    flags = setting_flags(capsys, *argv)
    assert shown <= flags
    assert not hidden & flags


@pytest.mark.parametrize("command", list(TIERS))
def test_help_shows_exactly_the_commands_tier(capsys, command):
    tier = TIERS[command]
    flags = setting_flags(capsys, *LEAVES.get(command, [command]))
    assert flags == {flag_name(name) for name in tier.model_fields}


def test_a_flag_of_another_tier_is_refused(capsys):
    with pytest.raises(SystemExit) as exc:
        main(["migrate", "--port", "1"])
    assert exc.value.code == 2
    assert "unrecognized arguments: --port 1" in capsys.readouterr().err


@pytest.fixture
def migrated(monkeypatch) -> list[str]:
    """`migrate` without a database: the URLs it would bring up to date."""
    urls: list[str] = []
    monkeypatch.setattr(db, "upgrade", urls.append)
    return urls


@pytest.mark.parametrize(
    ("variable", "value"),
    [
        ("OCPP_CABLE_PORT", "abc"),
        ("OCPP_CABLE_TLS_CERT", "/no/such/cert.pem"),  # the TLS rule across settings, too
        ("OCPP_CABLE_RPC_HOST", "nohost"),
    ],
)
def test_a_variable_of_a_setting_the_command_does_not_use_is_not_read(
    monkeypatch, capsys, migrated, variable, value
):
    monkeypatch.setenv(variable, value)
    assert main(["migrate", "--database-url", "sqlite:///tiers.db"]) == 0
    assert migrated == ["sqlite:///tiers.db"]
    # A command that reads it still refuses it, naming it.
    assert main(["config"]) == 2
    assert variable.removeprefix("OCPP_CABLE_").lower() in capsys.readouterr().err


def test_every_setting_belongs_to_a_command_other_than_up_and_config():
    tiers = [tier for tier in TIERS.values() if tier is not Settings]
    used = {name for tier in tiers for name in tier.model_fields}
    assert set(Settings.model_fields) - used == set()


SETTINGS_MODULES = ("ocpp_cable.foundation.settings", "ocpp_cable.channels.settings")


def settings_classes(cls: type = SettingsGroup) -> set[type]:
    """Every group and tier of the framework's settings and the reference system's."""
    found = {sub for sub in cls.__subclasses__() if sub.__module__ in SETTINGS_MODULES}
    return found.union(*(settings_classes(sub) for sub in found))


def test_every_setting_is_defined_once():
    defined = [name for cls in settings_classes() for name in vars(cls).get("__annotations__", {})]
    assert sorted(defined) == sorted(Settings.model_fields)


def test_tiers_keep_the_reading_order_and_settings_holds_them_all():
    for tier in TIERS.values():
        assert issubclass(Settings, tier)
        assert list(tier.model_fields) == [
            f for f in Settings.model_fields if f in tier.model_fields
        ]


def test_load_settings_loads_the_tier_asked_for_and_settings_by_default(monkeypatch):
    monkeypatch.setenv("OCPP_CABLE_DATABASE_URL", "sqlite:///env.db")
    assert type(load_settings(Settings)) is Settings
    database = load_settings(DatabaseSettings, database_url="sqlite:///flag.db")
    assert type(database) is DatabaseSettings
    assert database.database_url == "sqlite:///flag.db"
    assert load_settings(DatabaseSettings).database_url == "sqlite:///env.db"
