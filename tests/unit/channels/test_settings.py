"""channels/settings.py: the reference system's settings, as an operator gives them."""

from __future__ import annotations

import pytest

from ocpp_cable.channels.settings import DatabaseSettings
from ocpp_cable.foundation.settings import SettingsError, load_settings


@pytest.mark.parametrize(
    ("given", "used"),
    [
        ("postgres://ops@db/cs", "postgresql+psycopg://ops@db/cs"),
        ("postgresql://ops@db/cs", "postgresql+psycopg://ops@db/cs"),
        ("postgresql+psycopg://ops@db/cs", "postgresql+psycopg://ops@db/cs"),
        ("sqlite:///ocpp_cable.db", "sqlite:///ocpp_cable.db"),
        ("sqlite://", "sqlite://"),
    ],
)
def test_postgresql_by_any_of_its_names_goes_through_our_driver(given, used):
    assert load_settings(DatabaseSettings, database_url=given).database_url == used


@pytest.mark.parametrize(
    ("given", "said"),
    [("mysql://root:hunter2@db/cs", "mysql://: the central system runs on SQLite"),
     ("postgresql+asyncpg://db/cs", "postgresql+asyncpg://:"), ("ocpp.db", "not a URL")],
)  # fmt: skip
def test_a_database_we_do_not_run_on_is_refused_naming_the_ones_we_do(given, said):
    with pytest.raises(SettingsError) as refused:
        load_settings(DatabaseSettings, database_url=given)
    assert said in str(refused.value)
    assert "--database-url" in str(refused.value) and "hunter2" not in str(refused.value)
