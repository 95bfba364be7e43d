"""Migrations keep what is stored: each upgrade runs on a database with rows in it."""

from __future__ import annotations

import pytest
from alembic import command
from sqlalchemy import text

from ocpp_cable.channels.domain.timeutil import now
from ocpp_cable.channels.storage import db
from ocpp_cable.channels.storage.models import (
    Command,
    Connector,
    FirmwareUpdate,
    LocalList,
    MessageLog,
    MeterValue,
    Reservation,
    StationConfiguration,
    StationVariable,
    Transaction,
)
from tests.support.central import rows


def test_upgrade_to_text_columns_keeps_the_rows(database_url):
    config = db.alembic_config(database_url)
    command.downgrade(config, "0001")
    engine = db.session_factory(database_url).kw["bind"]
    inserts = [
        "INSERT INTO charge_points (id, vendor, connected, auth_required, created_at)"
        " VALUES ('CP-1', 'Acme', false, false, CURRENT_TIMESTAMP)",
        "INSERT INTO transactions (station_id, connector_id, id_tag, meter_start, start_time)"
        " VALUES ('CP-1', 1, 'TAG-1', 1000, '2026-11-21 10:00:00+00:00')",
        "INSERT INTO meter_values (station_id, connector_id, transaction_id, timestamp,"
        " measurand, value, dedup_key) VALUES ('CP-1', 1, 1, '2026-11-21 10:00:00+00:00',"
        " 'Energy.Active.Import.Register', '1500', 'k1')",
    ]
    with engine.begin() as connection:
        for insert in inserts:
            connection.execute(text(insert))
    command.upgrade(config, "head")
    (transaction,) = rows(database_url, Transaction)
    assert (transaction.id_tag, transaction.start_time_text) == ("TAG-1", None)
    (reading,) = rows(database_url, MeterValue)
    assert (reading.value, reading.timestamp_text, reading.dedup_key) == ("1500", None, "k1")


def test_ocpp2_rows_go_on_downgrade_and_16_rows_stay(database_url):
    """0008 down: 1.6 has no place for a 2.x transaction or a second EVSE's connector;
    up again: each 1.6 connector is an EVSE of its own."""
    config = db.alembic_config(database_url)
    engine = db.session_factory(database_url).kw["bind"]
    inserts = [
        "INSERT INTO charge_points (id, connected, auth_required, created_at, ocpp_version)"
        " VALUES ('CP-2', false, false, CURRENT_TIMESTAMP, '2.0.1')",
        "INSERT INTO connectors (station_id, evse_id, connector_id, status, updated_at) VALUES"
        " ('CP-2', 1, 1, 'Occupied', CURRENT_TIMESTAMP),"
        " ('CP-2', 2, 1, 'Available', CURRENT_TIMESTAMP)",
        "INSERT INTO transactions (station_id, connector_id, id_tag, meter_start, start_time,"
        " evse_id) VALUES ('CP-2', 1, 'TAG-1', 1000, '2026-12-01 10:00:00+00:00', 1)",
        "INSERT INTO transactions (station_id, evse_id, start_time, station_transaction_id)"
        " VALUES ('CP-2', 1, '2026-12-01 11:00:00+00:00', 'tx-1')",
        "INSERT INTO transaction_events (station_id, station_transaction_id, seq_no,"
        " transaction_id, event_type, trigger_reason, timestamp, offline, received_at)"
        " VALUES ('CP-2', 'tx-1', 0, 2, 'Started', 'CablePluggedIn',"
        " '2026-12-01 11:00:00+00:00', true, CURRENT_TIMESTAMP)",
        "INSERT INTO meter_values (station_id, connector_id, transaction_id, timestamp,"
        " measurand, value, dedup_key) VALUES ('CP-2', 1, 2, '2026-12-01 11:00:00+00:00',"
        " 'Energy.Active.Import.Register', '10', 'k2')",
    ]
    with engine.begin() as connection:
        for insert in inserts:
            connection.execute(text(insert))
    command.downgrade(config, "0007")
    with engine.begin() as connection:
        connectors = connection.execute(
            text("SELECT connector_id, status, error_code FROM connectors")
        ).all()
        kept = connection.execute(text("SELECT id_tag FROM transactions")).all()
        readings = connection.execute(text("SELECT count(*) FROM meter_values")).scalar()
    assert [tuple(c) for c in connectors] == [(1, "Occupied", "NoError")]
    assert [tuple(t) for t in kept] == [("TAG-1",)] and readings == 0
    command.upgrade(config, "head")
    (connector,) = rows(database_url, Connector)
    assert (connector.evse_id, connector.connector_id, connector.status) == (1, 1, "Occupied")
    (transaction,) = rows(database_url, Transaction)
    assert (transaction.evse_id, transaction.station_transaction_id) == (1, None)


def test_readings_stored_under_another_stations_transaction_are_moved_apart(database_url):
    """0014 up: a 1.6 reading that named a transaction its station did not start (another
    station's, or an id no transaction had) leaves it for claimed_transaction_id."""
    config = db.alembic_config(database_url)
    command.downgrade(config, "0012")
    engine = db.session_factory(database_url).kw["bind"]
    reading = (
        "INSERT INTO meter_values (station_id, connector_id, transaction_id, timestamp,"
        " measurand, value, dedup_key) VALUES ('{station}', 1, {tx}, '2026-12-07 10:00:00+00:00',"
        " 'Energy.Active.Import.Register', '{value}', '{key}')"
    )
    inserts = [
        "INSERT INTO charge_points (id, connected, auth_required, created_at) VALUES"
        " ('CP-1', false, false, CURRENT_TIMESTAMP), ('CP-2', false, false, CURRENT_TIMESTAMP)",
        "INSERT INTO transactions (id, station_id, connector_id, id_tag, meter_start, start_time)"
        " VALUES (7, 'CP-2', 1, 'TAG-2', 1000, '2026-12-07 09:00:00+00:00')",
        reading.format(station="CP-2", tx=7, value="3000", key="own"),
        reading.format(station="CP-1", tx=7, value="50000000", key="theirs"),
        reading.format(station="CP-1", tx=99, value="10", key="unknown"),
    ]
    with engine.begin() as connection:
        for insert in inserts:
            connection.execute(text(insert))
    command.upgrade(config, "head")
    found = {
        r.dedup_key: (r.transaction_id, r.claimed_transaction_id)
        for r in rows(database_url, MeterValue)
    }
    assert found == {"own": (7, None), "theirs": (None, 7), "unknown": (None, 99)}


def test_passwords_older_versions_kept_in_plain_text_are_masked(database_url):
    """0013: a ChangeConfiguration AuthorizationKey sent, and what stations reported of
    their passwords (GetConfiguration, GetVariables, NotifyReport), keep "***" in their
    place in the commands, the message log, the configuration keys and the variables."""
    config = db.alembic_config(database_url)
    command.downgrade(config, "0012")
    engine = db.session_factory(database_url).kw["bind"]
    with engine.begin() as connection:
        connection.execute(
            text(
                "INSERT INTO charge_points (id, connected, auth_required, created_at)"
                " VALUES ('CP-1', false, true, CURRENT_TIMESTAMP)"
            )
        )
    security = {"component": {"name": "SecurityCtrlr"}, "variable": {"name": "BasicAuthPassword"}}
    reported = {"configurationKey": [{"key": "AuthorizationKey", "value": "PLAIN-2"},
                                     {"key": "HeartbeatInterval", "value": "300"}]}  # fmt: skip
    with db.session_scope(database_url) as session:
        session.add_all(
            [
                Command(id="c1", station_id="CP-1", action="ChangeConfiguration",
                        payload={"key": "AuthorizationKey", "value": "PLAIN-1"},
                        status="accepted", response={"status": "Accepted"}),
                Command(id="c2", station_id="CP-1", action="GetConfiguration", payload={},
                        status="accepted", response=reported),
                Command(id="c3", station_id="CP-1", action="SetVariables",
                        payload={"setVariableData": [{**security, "attributeValue": "PLAIN-3"}]},
                        status="accepted", response={}),
                MessageLog(station_id="CP-1", direction="out", message_type="CALL",
                           action="ChangeConfiguration", message_id="c1",
                           payload={"key": "authorizationkey", "value": "PLAIN-1"}),
                MessageLog(station_id="CP-1", direction="in", message_type="CALLRESULT",
                           action="GetConfiguration", message_id="c2", payload=reported),
                MessageLog(station_id="CP-1", direction="in", message_type="CALL",
                           action="NotifyReport", message_id="n1",
                           payload={"requestId": 1, "reportData": [
                               {**security, "variableAttribute": [{"value": "PLAIN-4"}]}]}),
                MessageLog(station_id="CP-1", direction="in", message_type="CALL",
                           action="DataTransfer", message_id="d1",
                           payload={"vendorId": "v", "data": "PLAIN-but-no-password"}),
                StationConfiguration(station_id="CP-1", key="AuthorizationKey", value="PLAIN-2",
                                     reboot_required=False),
                StationConfiguration(station_id="CP-1", key="HeartbeatInterval", value="300",
                                     reboot_required=False),
                StationVariable(station_id="CP-1", variable_key="k", component="SecurityCtrlr",
                                variable="BasicAuthPassword", attribute_type="Actual",
                                value="PLAIN-4"),
            ]
        )  # fmt: skip
    command.upgrade(config, "head")
    commands = {c.id: (c.payload, c.response) for c in rows(database_url, Command)}
    assert commands["c1"] == ({"key": "AuthorizationKey", "value": "***"}, {"status": "Accepted"})
    assert commands["c2"][1]["configurationKey"][0]["value"] == "***"
    assert commands["c2"][1]["configurationKey"][1]["value"] == "300"
    assert commands["c3"][0]["setVariableData"][0]["attributeValue"] == "***"
    logged = {m.message_id: m.payload for m in rows(database_url, MessageLog)}
    assert logged["c1"]["value"] == "***"
    assert logged["c2"]["configurationKey"][0]["value"] == "***"
    assert logged["n1"]["reportData"][0]["variableAttribute"] == [{"value": "***"}]
    assert logged["d1"]["data"] == "PLAIN-but-no-password"  # no password there
    keys = {k.key: k.value for k in rows(database_url, StationConfiguration)}
    assert keys == {"AuthorizationKey": "***", "HeartbeatInterval": "300"}
    assert [v.value for v in rows(database_url, StationVariable)] == ["***"]


def test_a_downgrade_below_0013_is_refused_while_a_rotation_is_under_way(database_url):
    """0013 down drops the pending password's hash: a station that took its new password
    would be refused for good, so the downgrade waits until no rotation is under way."""
    config = db.alembic_config(database_url)
    engine = db.session_factory(database_url).kw["bind"]
    with engine.begin() as connection:
        connection.execute(
            text(
                "INSERT INTO charge_points (id, connected, auth_required, created_at,"
                " password_hash, pending_password_hash, pending_password_command,"
                " pending_password_status) VALUES ('CP-1', false, true, CURRENT_TIMESTAMP,"
                " 'scrypt$old', 'scrypt$new', 'c-1', 'accepted')"
            )
        )
    with pytest.raises(
        RuntimeError, match=r"1 station\(s\) have a password rotation under way \(CP-1\)"
    ):
        command.downgrade(config, "0012")
    command.upgrade(config, "head")
    with engine.begin() as connection:
        kept = connection.execute(text("SELECT pending_password_hash FROM charge_points")).all()
        assert [tuple(k) for k in kept] == [("scrypt$new",)]
        connection.execute(text("UPDATE charge_points SET pending_password_hash = NULL"))
    command.downgrade(config, "0012")
    command.upgrade(config, "head")


def test_reservations_keep_their_ids_through_0016_and_2x_ones_go_on_downgrade(database_url):
    """0016 up: the 1.6 reservations stay, and no reservationId given before is given
    again (SQLite copies the table to let a reservation name no connector); down: the
    2.x reservations, which name none, go."""
    config = db.alembic_config(database_url)
    command.downgrade(config, "0015")
    engine = db.session_factory(database_url).kw["bind"]
    reservation = (
        "INSERT INTO reservations (station_id, connector_id, id_tag, expiry_date, status,"
        " created_at) VALUES ('CP-1', {connector}, 'TAG-1', '2026-12-09 10:00:00+00:00',"
        " 'active', CURRENT_TIMESTAMP)"
    )
    with engine.begin() as connection:
        connection.execute(
            text(
                "INSERT INTO charge_points (id, connected, auth_required, created_at)"
                " VALUES ('CP-1', false, false, CURRENT_TIMESTAMP)"
            )
        )
        for connector in (1, 2, 3):
            connection.execute(text(reservation.format(connector=connector)))
        connection.execute(text("DELETE FROM reservations WHERE connector_id = 3"))
    command.upgrade(config, "head")
    with db.session_scope(database_url) as session:
        made = Reservation(station_id="CP-1", evse_id=1, id_tag="TAG-1", id_token_type="Central",
                           expiry_date=now(), status="active")  # fmt: skip
        session.add(made)
        session.flush()
        assert made.id == 4  # 3 was given once
    found = {r.id: (r.connector_id, r.evse_id) for r in rows(database_url, Reservation)}
    assert found == {1: (1, None), 2: (2, None), 4: (None, 1)}
    command.downgrade(config, "0015")
    with engine.begin() as connection:
        kept = connection.execute(text("SELECT id, connector_id FROM reservations")).all()
    assert sorted(tuple(k) for k in kept) == [(1, 1), (2, 2)]
    command.upgrade(config, "head")


def test_firmware_updates_become_1_6_updatefirmware_through_0022_and_2x_ones_go_on_downgrade(
    database_url,
):
    """0022 up: an update sent before is a 1.6 UpdateFirmware, unsigned, and a station's
    list keeps its version with no token type and no parts to follow; down: publications
    and signed 1.6 updates go, and a 2.x status longer than the column was is cut to
    InstallationFailed."""
    config = db.alembic_config(database_url)
    command.downgrade(config, "0021")
    engine = db.session_factory(database_url).kw["bind"]
    update = (
        "INSERT INTO firmware_updates (station_id, command_id, file_name, token_hash,"
        " retrieve_date, status, created_at, updated_at) VALUES ('CP-1', 'c-{n}', 'a.bin',"
        " 'hash-{n}', CURRENT_TIMESTAMP, 'Installed', CURRENT_TIMESTAMP, CURRENT_TIMESTAMP)"
    )
    with engine.begin() as connection:
        connection.execute(
            text(
                "INSERT INTO charge_points (id, connected, auth_required, created_at)"
                " VALUES ('CP-1', false, false, CURRENT_TIMESTAMP)"
            )
        )
        connection.execute(text(update.format(n=1)))
        connection.execute(
            text(
                "INSERT INTO local_lists (station_id, version, entries, supported, resends,"
                " updated_at) VALUES ('CP-1', 4, '{}', true, 0, CURRENT_TIMESTAMP)"
            )
        )
    command.upgrade(config, "head")
    [kept] = rows(database_url, FirmwareUpdate)
    assert (kept.action, kept.signed, kept.status, kept.checksum) == (
        "UpdateFirmware", False, "Installed", None,
    )  # fmt: skip
    [known] = rows(database_url, LocalList)
    assert (known.version, known.token_type, known.more_parts) == (4, None, False)
    with db.session_scope(database_url) as session:
        for n, action, status in ((2, "PublishFirmware", "Published"),
                                  (3, "UpdateFirmware", "InstallVerificationFailed")):  # fmt: skip
            session.add(FirmwareUpdate(station_id="CP-1", command_id=f"c-{n}", file_name="a.bin",
                                       token_hash=f"hash-{n}", retrieve_date=now(),
                                       action=action, status=status))  # fmt: skip
    command.downgrade(config, "0021")
    with engine.begin() as connection:
        left = connection.execute(text("SELECT command_id, status FROM firmware_updates")).all()
    assert sorted(tuple(row) for row in left) == [
        ("c-1", "Installed"), ("c-3", "InstallationFailed"),
    ]  # fmt: skip
    command.upgrade(config, "head")
