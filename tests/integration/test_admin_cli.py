"""The admin commands (`stations`, `tags`, `transactions`, `meter-values`) on a SQLite file.

Most tests call run_admin in-process with a parser built like cli.py builds it (fast); two
run `python -m ocpp_cable.cli` as a user does.
"""

from __future__ import annotations

import argparse
import json
import os
import subprocess
import sys
from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest
from sqlalchemy import select

from ocpp_cable import cli
from ocpp_cable.channels.domain import viewers
from ocpp_cable.channels.domain.passwords import verify_password
from ocpp_cable.channels.domain.stations import mark_connected, record_boot
from ocpp_cable.channels.operators.admin.cli import add_admin_commands, run_admin
from ocpp_cable.channels.settings import Settings
from ocpp_cable.channels.storage import db
from ocpp_cable.channels.storage.models import (
    ChargePoint,
    Connector,
    IdTag,
    MeterValue,
    Transaction,
    ViewerToken,
)
from ocpp_cable.channels.storage.store import dispose
from ocpp_cable.cli import ADMIN_COMMANDS
from tests.support.processes import free_port

ROOT = Path(__file__).resolve().parents[2]
T0 = datetime(2024, 5, 1, 10, 0, tzinfo=UTC)
PASSWORD = "correct-horse-battery"


@pytest.fixture
def url(tmp_path):
    database_url = f"sqlite:///{tmp_path}/admin.db"
    yield database_url
    dispose(database_url)


@pytest.fixture
def admin(url, capsys):
    """Run one admin command line; (exit status, stdout, stderr)."""
    parser = argparse.ArgumentParser(prog="ocpp-cable")
    add_admin_commands(parser.add_subparsers(dest="command"), cli._add_setting_flags)

    def run(*argv: str, **settings) -> tuple[int, str, str]:
        capsys.readouterr()
        args = parser.parse_args(argv)
        assert args.command in ADMIN_COMMANDS
        code = run_admin(args, Settings(database_url=url, **settings))
        out, err = capsys.readouterr()
        return code, out, err

    return run


@pytest.fixture
def session(url):
    """A unit of work on the migrated database, for arranging data the CLI then reads."""
    db.upgrade(url)

    def scope():
        return db.session_scope(url)

    return scope


def table(out: str) -> list[list[str]]:
    return [line.split() for line in out.strip().splitlines()]


# --- stations ---------------------------------------------------------------------------------


def test_add_with_password_stores_a_verifiable_hash_and_never_prints_it(admin, session):
    code, out, err = admin("stations", "add", "CP-1", "--password", PASSWORD)
    assert (code, err) == (0, "")
    assert out == "added station CP-1 (auth: password; registration: accepted)\n"
    with session() as s:
        station = s.get(ChargePoint, "CP-1")
        assert station.auth_required is True
        assert station.password_hash != PASSWORD
        assert verify_password(PASSWORD, station.password_hash)
        assert not verify_password("wrong", station.password_hash)
        stored_hash = station.password_hash
    outputs = [out, err]
    for argv in (["stations", "list"], ["stations", "show", "CP-1"]):
        for extra in ([], ["--json"]):
            code, out, err = admin(*argv, *extra)
            assert code == 0
            outputs += [out, err]
    shown = json.loads(admin("stations", "show", "CP-1", "--json")[1])
    assert "password_hash" not in shown
    assert shown["has_password"] is True
    assert not any(PASSWORD in text or stored_hash in text for text in outputs)


def test_add_no_auth_registers_an_open_station(admin, session):
    code, out, _ = admin("stations", "add", "CP-2", "--no-auth")
    assert code == 0
    assert "auth: none" in out
    with session() as s:
        station = s.get(ChargePoint, "CP-2")
        assert (station.auth_required, station.password_hash) == (False, None)
    assert table(admin("stations", "list")[1])[1][-2] == "none"  # AUTH, then OCPP


def test_password_and_no_auth_together_are_refused(admin):
    with pytest.raises(SystemExit) as exc:
        admin("stations", "add", "CP-1", "--password", PASSWORD, "--no-auth")
    assert exc.value.code == 2


def test_duplicate_add_exits_1(admin):
    assert admin("stations", "add", "CP-1", "--no-auth")[0] == 0
    code, out, err = admin("stations", "add", "CP-1", "--password", PASSWORD)
    assert code == 1
    assert out == ""
    assert "station CP-1 already exists" in err


@pytest.mark.parametrize(
    ("station_id", "reason"),
    [
        ("", "1 to 48 characters"),
        ("X" * 49, "1 to 48 characters"),
        ("CP/1", "'/' or ':'"),
        ("CP:1", "'/' or ':'"),
        ("CP\x071", "control character"),
    ],
)
def test_an_id_the_gateway_refuses_exits_2_without_touching_the_database(
    admin, tmp_path, station_id, reason
):
    code, out, err = admin("stations", "add", station_id, "--no-auth")
    assert code == 2
    assert out == ""
    assert reason in err
    assert not (tmp_path / "admin.db").exists()


def test_the_longest_id_the_gateway_takes_is_accepted(admin):
    assert admin("stations", "add", "X" * 48, "--no-auth")[0] == 0


def test_an_empty_password_is_refused_not_taken_for_none(admin, tmp_path):
    code, _, err = admin("stations", "add", "CP-1", "--password", "")
    assert code == 2
    assert "--password must not be empty" in err


def test_list_table_and_json(admin, session):
    assert admin("stations", "list") == (0, "no stations\n", "")
    assert json.loads(admin("stations", "list", "--json")[1]) == []
    admin("stations", "add", "CP-1", "--password", PASSWORD)
    admin("stations", "add", "CP-22", "--no-auth")
    with session() as s:
        boot = {"chargePointVendor": "Acme", "chargePointModel": "Volt", "firmwareVersion": "1.2"}
        record_boot(s, "CP-1", boot, "Accepted")
        mark_connected(s, "CP-1", "conn-1")

    code, out, _ = admin("stations", "list")
    assert code == 0
    lines = out.splitlines()
    header = lines[0].split()
    assert header[:2] == ["ID", "CONNECTED"]
    assert lines[0].index("CONNECTED") == lines[1].index("yes") == lines[2].index("no")
    first, second = table(out)[1:]
    assert first[:7] == ["CP-1", "yes", "accepted", "Accepted", "Acme", "Volt", "1.2"]
    assert first[7].endswith("Z") and first[8] == "password"
    assert second == ["CP-22", "no", "accepted", "—", "—", "—", "—", "—", "none", "—"]

    rows = json.loads(admin("stations", "list", "--json")[1])
    assert [r["id"] for r in rows] == ["CP-1", "CP-22"]
    assert rows[0]["connected"] is True and rows[1]["connected"] is False
    assert rows[0]["vendor"] == "Acme" and rows[1]["vendor"] is None
    assert rows[0]["auth"] == "password"
    seen = datetime.fromisoformat(rows[0]["last_seen"])
    assert rows[0]["last_seen"].endswith("Z") and seen.tzinfo is not None


def test_a_chargers_control_characters_do_not_reach_the_terminal(admin, session):
    admin("stations", "add", "CP-1", "--no-auth")
    with session() as s:
        record_boot(s, "CP-1", {"chargePointVendor": "Ev\x1b[2Jil"}, "Accepted")
    out = admin("stations", "list")[1]
    assert "\x1b" not in out
    assert "Ev\\x1b[2Jil" in out
    assert json.loads(admin("stations", "list", "--json")[1])[0]["vendor"] == "Ev\x1b[2Jil"


def add_transaction(s, station: str, start: datetime, **values) -> int:
    values = {"connector_id": 1, "id_tag": "TAG-1", "meter_start": 1000, **values}
    transaction = Transaction(station_id=station, start_time=start, **values)
    s.add(transaction)
    s.flush()
    return transaction.id


def test_show_details_connectors_and_last_five_transactions(admin, session):
    admin("stations", "add", "CP-1", "--no-auth")
    with session() as s:
        record_boot(s, "CP-1", {"chargePointVendor": "Acme", "iccid": "8931"}, "Accepted")
        s.add(Connector(station_id="CP-1", connector_id=1, status="Charging", error_code="NoError"))
        s.add(
            Connector(
                station_id="CP-1",
                connector_id=2,
                status="Faulted",
                error_code="GroundFailure",
                info="relay",
                updated_at=T0,
            )
        )
        ids = [add_transaction(s, "CP-1", T0 + timedelta(hours=h)) for h in range(6)]

    detail = json.loads(admin("stations", "show", "CP-1", "--json")[1])
    assert detail["id"] == "CP-1"
    assert detail["vendor"] == "Acme" and detail["iccid"] == "8931"
    assert detail["has_password"] is False and detail["auth_required"] is False
    assert "password_hash" not in detail
    assert {"connection_id", "booted_at", "firmware_status", "created_at"} <= detail.keys()
    assert [c["connector_id"] for c in detail["connectors"]] == [1, 2]
    assert detail["connectors"][1] == {
        "evse_id": 2,  # a 1.6 connector is an EVSE of its own
        "connector_id": 2,
        "status": "Faulted",
        "error_code": "GroundFailure",
        "info": "relay",
        "updated_at": "2024-05-01T10:00:00Z",
    }
    assert [t["id"] for t in detail["transactions"]] == ids[:0:-1]

    code, out, _ = admin("stations", "show", "CP-1")
    assert code == 0
    assert "has_password" in out and "password_hash" not in out
    assert "GroundFailure" in out and "relay" in out
    shown = out.split("last 5 transactions:")[1]
    assert "2024-05-01T15:00:00Z" in shown  # the newest transaction
    assert "2024-05-01T10:00:00Z" not in shown  # the oldest is not among the last five
    assert shown.count("TAG-1") == 5


def test_show_unknown_station_exits_1(admin):
    assert admin("stations", "show", "CP-9") == (1, "", "ocpp-cable: no station CP-9\n")
    assert admin("stations", "show", "CP-9", "--json")[0] == 1


def test_remove_deletes_the_station_and_its_history(admin, session):
    admin("stations", "add", "CP-1", "--no-auth")
    admin("stations", "add", "CP-2", "--no-auth")
    with session() as s:
        add_transaction(s, "CP-1", T0)
    code, out, _ = admin("stations", "remove", "CP-1")
    assert code == 0
    assert "removed station CP-1 (with 1 transactions" in out
    assert [r["id"] for r in json.loads(admin("stations", "list", "--json")[1])] == ["CP-2"]
    with session() as s:
        assert s.query(Transaction).count() == 0
    assert admin("stations", "remove", "CP-1") == (1, "", "ocpp-cable: no station CP-1\n")


# --- tags -------------------------------------------------------------------------------------


def test_tags_add_list_update_and_block(admin, session):
    assert admin("tags", "list") == (0, "no tags\n", "")
    assert admin("tags", "add", "ABC")[:2] == (0, "added tag ABC (Accepted)\n")
    code, out, _ = admin(
        "tags", "add", "KID", "--status", "Expired", "--expiry", "2030-01-01T00:00:00Z"
    )
    assert (code, out) == (0, "added tag KID (Expired)\n")
    assert table(admin("tags", "list")[1])[2][:3] == ["KID", "Expired", "2030-01-01T00:00:00Z"]
    assert admin("tags", "add", "KID", "--parent", "ABC")[1] == "updated tag KID (Accepted)\n"

    rows = table(admin("tags", "list")[1])
    assert rows[0] == ["TAG", "STATUS", "EXPIRY", "PARENT", "CREATED"]
    assert rows[1][:4] == ["ABC", "Accepted", "—", "—"]
    assert rows[2][:4] == ["KID", "Accepted", "—", "ABC"]  # add sets exactly what it is given

    admin("tags", "add", "KID", "--expiry", "2030-01-01T01:00:00+01:00")
    tags = json.loads(admin("tags", "list", "--json")[1])
    assert tags[1]["expiry_date"] == "2030-01-01T00:00:00Z"

    assert admin("tags", "block", "ABC")[:2] == (0, "blocked tag ABC\n")
    with session() as s:
        assert s.get(IdTag, "ABC").status == "Blocked"
    assert json.loads(admin("tags", "list", "--json")[1])[0]["status"] == "Blocked"


def test_tags_block_unknown_exits_1(admin):
    assert admin("tags", "block", "NOPE") == (1, "", "ocpp-cable: no tag NOPE\n")


@pytest.mark.parametrize(
    "argv",
    [
        ["tags", "add", "T" * 256],
        ["tags", "add", ""],
        ["tags", "add", "OK", "--parent", "P" * 256],
        ["tags", "add", "OK", "--expiry", "next tuesday"],
    ],
)
def test_tags_add_bad_input_exits_2(admin, argv):
    code, out, err = admin(*argv)
    assert (code, out) == (2, "")
    assert err.startswith("ocpp-cable: invalid ")


def test_tags_add_status_must_be_an_authorization_status(admin):
    with pytest.raises(SystemExit) as exc:
        admin("tags", "add", "OK", "--status", "ConcurrentTx")
    assert exc.value.code == 2


# --- transactions and meter values ------------------------------------------------------------


@pytest.fixture
def charged(admin, session):
    """CP-1 with a finished and an ongoing transaction, CP-2 with a finished one."""
    admin("stations", "add", "CP-1", "--no-auth")
    admin("stations", "add", "CP-2", "--no-auth")
    with session() as s:
        done = add_transaction(
            s,
            "CP-1",
            T0,
            meter_stop=13_345,
            stop_time=T0 + timedelta(hours=1),
            energy_wh=12_345,
            stop_reason="EVDisconnected",
        )
        ongoing = add_transaction(s, "CP-1", T0 + timedelta(hours=2), id_tag="TAG-2")
        other = add_transaction(
            s, "CP-2", T0 + timedelta(hours=1), meter_stop=1500, stop_time=T0, energy_wh=500
        )
    return {"done": done, "ongoing": ongoing, "other": other}


def test_transactions_list_newest_first_with_energy(admin, charged):
    code, out, _ = admin("transactions", "list")
    assert code == 0
    rows = table(out)
    assert rows[0][:4] == ["ID", "STATION", "CONN", "IDTAG"]
    assert [int(r[0]) for r in rows[1:]] == [charged["ongoing"], charged["other"], charged["done"]]
    done = rows[3]
    assert done[1:] == [
        "CP-1",
        "1",
        "TAG-1",
        "2024-05-01T10:00:00Z",
        "2024-05-01T11:00:00Z",
        "1000",
        "13345",
        "12345",
        "12.345",
        "EVDisconnected",
        "—",  # COST and CUR: not priced (no tariff)
        "—",
        "—",  # EVSE and TXID: an OCPP 2.x transaction's
        "—",
    ]
    assert rows[1][5:] == ["—", "1000", "—", "—", "—", "—", "—", "—", "—", "—"]

    rows = json.loads(admin("transactions", "list", "--json")[1])
    done = rows[2]
    assert done["energy_wh"] == 12_345 and done["stop_reason"] == "EVDisconnected"
    assert done["start_time"] == "2024-05-01T10:00:00Z"
    assert rows[0]["stop_time"] is None and rows[0]["energy_wh"] is None


def test_stations_show_and_transactions_list_show_the_same_energy(admin, charged):
    def kwh_by_id(out: str, title: str = "") -> dict[int, str]:
        lines = out.split(title)[1].strip().splitlines() if title else out.splitlines()
        assert lines[0].split()[-6:-4] == ["KWH", "REASON"]  # then COST, CUR, EVSE, TXID
        return {int(r[0]): r[-6] for r in (line.split() for line in lines[1:])}

    listed = kwh_by_id(admin("transactions", "list", "--station", "CP-1")[1])
    shown = kwh_by_id(admin("stations", "show", "CP-1")[1], "last 5 transactions:")
    assert listed == shown == {charged["done"]: "12.345", charged["ongoing"]: "—"}

    listed = json.loads(admin("transactions", "list", "--station", "CP-1", "--json")[1])
    shown = json.loads(admin("stations", "show", "CP-1", "--json")[1])["transactions"]
    assert listed == shown
    assert [t["energy_kwh"] for t in shown] == [None, 12.345]


def test_transactions_list_for_one_station(admin, charged):
    rows = json.loads(admin("transactions", "list", "--station", "CP-2", "--json")[1])
    assert [(r["id"], r["station_id"], r["energy_wh"]) for r in rows] == [
        (charged["other"], "CP-2", 500)
    ]
    rows = table(admin("transactions", "list", "--station", "CP-1")[1])
    assert {r[1] for r in rows[1:]} == {"CP-1"} and len(rows) == 3
    assert admin("transactions", "list", "--station", "CP-9")[1] == (
        "no transactions for station CP-9\n"
    )
    assert admin("transactions", "list", "--station", "CP-9", "--json")[1] == "[]\n"


def test_meter_values_in_time_order(admin, session, charged):
    tx = charged["done"]

    def value(minutes: int, measurand: str, v: str, transaction: int = tx, **more) -> MeterValue:
        return MeterValue(
            station_id="CP-1",
            connector_id=1,
            transaction_id=transaction,
            timestamp=T0 + timedelta(minutes=minutes),
            measurand=measurand,
            value=v,
            dedup_key=f"{transaction}-{minutes}-{measurand}-{more.get('phase')}",
            **more,
        )

    with session() as s:
        s.add_all(
            [
                value(30, "Power.Active.Import", "7200", unit="W"),
                value(
                    60,
                    "Energy.Active.Import.Register",
                    "13345",
                    unit="Wh",
                    context="Transaction.End",
                ),
                value(
                    0,
                    "Energy.Active.Import.Register",
                    "1000",
                    unit="Wh",
                    context="Transaction.Begin",
                ),
                value(30, "Energy.Active.Import.Register", "7000", unit="Wh", location="Outlet"),
                value(30, "Current.Import", "16", unit="A", phase="L1"),
                value(5, "Energy.Active.Import.Register", "1", charged["other"], unit="Wh"),
            ]
        )

    rows = json.loads(admin("meter-values", str(tx), "--json")[1])
    assert [(r["timestamp"][11:16], r["measurand"], r["value"]) for r in rows] == [
        ("10:00", "Energy.Active.Import.Register", "1000"),
        ("10:30", "Current.Import", "16"),
        ("10:30", "Energy.Active.Import.Register", "7000"),
        ("10:30", "Power.Active.Import", "7200"),
        ("11:00", "Energy.Active.Import.Register", "13345"),
    ]
    assert rows[1] == {
        "station_id": "CP-1",
        "connector_id": 1,
        "transaction_id": tx,
        "claimed_transaction_id": None,
        "timestamp": "2024-05-01T10:30:00Z",
        "measurand": "Current.Import",
        "phase": "L1",
        "value": "16",
        "unit": "A",
        "context": None,
        "location": None,
    }

    lines = table(admin("meter-values", str(tx))[1])
    assert lines[0] == [
        "STATION", "TIMESTAMP", "MEASURAND", "PHASE", "VALUE", "UNIT", "CONTEXT", "LOCATION",
    ]  # fmt: skip
    assert lines[1] == [
        "CP-1",
        "2024-05-01T10:00:00Z",
        "Energy.Active.Import.Register",
        "—",
        "1000",
        "Wh",
        "Transaction.Begin",
        "—",
    ]
    assert [line[4] for line in lines[1:]] == ["1000", "16", "7000", "7200", "13345"]


def test_meter_values_of_a_transaction_without_any(admin, charged):
    tx = charged["ongoing"]
    assert admin("meter-values", str(tx)) == (0, f"no meter values for transaction {tx}\n", "")
    assert admin("meter-values", str(tx), "--json")[1] == "[]\n"


def test_meter_values_of_an_unknown_transaction_exit_1(admin, charged):
    assert admin("meter-values", "4242") == (1, "", "ocpp-cable: no transaction 4242\n")


def test_a_database_without_schema_is_an_error_not_a_traceback(admin):
    code, out, err = admin("stations", "list", auto_migrate=False)
    assert (code, out) == (1, "")
    assert err.startswith("ocpp-cable: database error: no such table")


# --- as a user runs it ------------------------------------------------------------------------


def ocpp_cable(tmp_path, *args: str) -> subprocess.CompletedProcess:
    return subprocess.run(
        [sys.executable, "-m", "ocpp_cable.cli", *args],
        env={**os.environ, "OCPP_CABLE_DATABASE_URL": f"sqlite:///{tmp_path}/admin.db"},
        cwd=ROOT,
        capture_output=True,
        text=True,
        timeout=60,
    )


@pytest.fixture
def wired(tmp_path):
    probe = ocpp_cable(tmp_path, "stations", "list")
    if probe.returncode == 2 and "invalid choice" in probe.stderr:
        pytest.skip("cli not wired yet")
    assert probe.returncode == 0, probe.stderr
    assert probe.stdout == "no stations\n"


def test_cli_add_then_list(tmp_path, wired):
    added = ocpp_cable(tmp_path, "stations", "add", "CP-1", "--password", PASSWORD)
    assert added.returncode == 0, added.stderr
    assert PASSWORD not in added.stdout + added.stderr
    listed = ocpp_cable(tmp_path, "stations", "list", "--json")
    assert listed.returncode == 0, listed.stderr
    assert [(r["id"], r["auth"]) for r in json.loads(listed.stdout)] == [("CP-1", "password")]
    again = ocpp_cable(tmp_path, "stations", "add", "CP-1", "--no-auth")
    assert again.returncode == 1
    assert "station CP-1 already exists" in again.stderr


def test_cli_exit_codes_for_bad_input_and_unknown_ids(tmp_path, wired):
    bad = ocpp_cable(tmp_path, "stations", "add", "CP:1")
    assert bad.returncode == 2
    assert "'/' or ':'" in bad.stderr
    unknown = ocpp_cable(tmp_path, "meter-values", "7")
    assert unknown.returncode == 1
    assert "no transaction 7" in unknown.stderr
    flag = ocpp_cable(tmp_path, "tags", "list", "--database-url", f"sqlite:///{tmp_path}/b.db")
    assert (flag.returncode, flag.stdout) == (0, "no tags\n")
    assert (tmp_path / "b.db").exists()


# --- tokens -----------------------------------------------------------------------------------


def test_token_goes_to_a_private_file_never_the_terminal(admin, session, tmp_path):
    path = tmp_path / "ada.token"
    code, out, err = admin("tokens", "add", "ada", "--token-file", str(path))
    token = path.read_text().strip()
    assert code == 0 and err == ""
    assert token.startswith("ocv_") and token not in out
    assert path.stat().st_mode & 0o777 == 0o600
    with session() as s:
        assert viewers.viewer_named_by(s, token) == "ada"
        (kept,) = s.scalars(select(ViewerToken)).all()
        assert kept.token_hash != token and token not in kept.token_hash  # only its digest
    nowhere = f"http://127.0.0.1:{free_port()}/_broadcast"  # no gateway listens there
    code, out, err = admin(
        "tokens", "add", "ada", "--token-file", str(path), broadcast_url=nowhere
    )  # a new one: the old one's live connections are to close, and could not be told
    assert code == 1 and out.startswith("token ada (read): written to")
    assert "ada's open /cable connections were not told to close" in err
    with session() as s:
        assert viewers.viewer_named_by(s, token) is None
        assert viewers.viewer_named_by(s, path.read_text().strip()) == "ada"


def test_tokens_list_and_revoke(admin, session, tmp_path):
    admin("tokens", "add", "ada", "--token-file", str(tmp_path / "a"))
    token = (tmp_path / "a").read_text().strip()
    code, out, _ = admin("tokens", "list", "--json")
    (listed,) = json.loads(out)
    assert code == 0 and listed["name"] == "ada" and listed["revoked_at"] is None
    assert listed["scope"] == "read"  # the default: watch and read, change nothing
    nowhere = f"http://127.0.0.1:{free_port()}/_broadcast"  # no gateway listens there
    code, out, err = admin("tokens", "revoke", "ada", broadcast_url=nowhere)
    # Revoked all the same; the live connections could not be told, and it says so.
    assert (code, out) == (1, "revoked token ada\n")
    assert err.startswith("ocpp-cable: ada's open /cable connections were not told to close (")
    assert "`tokens revoke ada` again tells them" in err
    code, out, _ = admin("tokens", "revoke", "ada", broadcast_url=nowhere)
    assert (code, out) == (1, "token ada was revoked already\n")
    code, _, err = admin("tokens", "revoke", "nobody")
    assert code == 1 and "no token nobody" in err
    with session() as s:
        assert viewers.viewer_named_by(s, token) is None
    assert admin("tokens", "add", "a/b")[0] == 2


def test_token_scopes_and_the_old_viewers_name(admin, session, tmp_path):
    assert (
        admin("tokens", "add", "ops", "--scope", "write", "--token-file", str(tmp_path / "w"))[0]
        == 0
    )
    assert (
        admin("tokens", "add", "root", "--scope", "admin", "--token-file", str(tmp_path / "a"))[0]
        == 0
    )
    with pytest.raises(SystemExit) as refused:  # argparse: exit 2 with the choices
        admin("tokens", "add", "x", "--scope", "root")
    assert refused.value.code == 2
    # `viewers` was the name before tokens opened the API: scripts that use it keep working.
    assert admin("viewers", "add", "ada", "--token-file", str(tmp_path / "r"))[0] == 0
    with session() as s:
        assert viewers.holder_of(s, (tmp_path / "w").read_text().strip()) == ("ops", "write")
        assert viewers.holder_of(s, (tmp_path / "r").read_text().strip()) == ("ada", "read")
        root = viewers.holder_of(s, (tmp_path / "a").read_text().strip())
        assert root == ("root", "admin") and root.may_write and root.may_manage_tokens


def test_registration_is_set_by_add_and_by_the_operator(admin, session):
    code, out, _ = admin("stations", "add", "CP-1", "--no-auth", "--registration", "pending")
    assert (code, out) == (0, "added station CP-1 (auth: none, connects without credentials; "
                              "registration: pending)\n")  # fmt: skip
    assert json.loads(admin("stations", "show", "CP-1", "--json")[1])["registration"] == "pending"
    code, out, _ = admin("stations", "reject", "CP-1")
    assert (code, out) == (0, "CP-1 rejected (was pending): not connected: its next boot is "
                              "answered Rejected\n")  # fmt: skip
    code, out, _ = admin("stations", "accept", "CP-1")
    assert code == 0 and "its next boot is answered Accepted" in out
    assert (
        admin("stations", "accept", "CP-1")[1] == "CP-1 accepted (was accepted): already accepted\n"
    )
    with session() as s:
        assert s.get(ChargePoint, "CP-1").registration == "accepted"
    code, _, err = admin("stations", "pending", "CP-9")
    assert (code, err) == (1, "ocpp-cable: no station CP-9 (ocpp-cable stations add CP-9)\n")
    code, out, _ = admin("stations", "add", "CP-2", "--no-auth", default_registration="pending")
    assert code == 0 and "registration: pending" in out
