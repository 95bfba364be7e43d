"""A charger that was offline: its queued messages come late with the times they
happened, a tag blocked meanwhile is re-checked, stops that never came are found, and a
stop for a transaction we do not know is kept. Real gateway, rpc_app and `ocpp` charger,
on SQLite and PostgreSQL."""

from __future__ import annotations

import json
from datetime import timedelta

import structlog
from ocpp.v16 import call

from ocpp_cable.channels.domain import authorization
from ocpp_cable.channels.domain.timeutil import now, parse_time
from ocpp_cable.channels.storage import db
from ocpp_cable.channels.storage.models import MeterValue, StationNotification, Transaction
from ocpp_cable.contract.timestamps import utc_text
from tests.support.admin import run_admin_line
from tests.support.api import bearer, make_token, served_api
from tests.support.central import central_system, connected, rows, seed


def ago(**delta) -> str:
    return utc_text(now() - timedelta(**delta))


def energy(wh: int, at: str) -> list[dict]:
    return [
        {
            "timestamp": at,
            "sampledValue": [
                {"value": str(wh), "measurand": "Energy.Active.Import.Register", "unit": "Wh"}
            ],
        }
    ]


async def test_messages_queued_offline_are_stored_with_the_station_times(database_url):
    seed(database_url)
    started, sampled, stopped = ago(days=2), ago(days=2, minutes=-30), ago(days=2, minutes=-60)
    async with central_system(database_url) as (node, _):
        async with connected(node) as cp:  # back online: the queue goes out in order
            start = await cp.call(
                call.StartTransaction(
                    connector_id=1, id_tag="TAG-1", meter_start=10_000, timestamp=started
                )
            )
            tx = start.transaction_id
            await cp.call(
                call.MeterValues(
                    connector_id=1, transaction_id=tx, meter_value=energy(14_000, sampled)
                )
            )
            stop = await cp.call(
                call.StopTransaction(
                    meter_stop=17_500, timestamp=stopped, transaction_id=tx, id_tag="TAG-1",
                    reason="EVDisconnected", transaction_data=energy(17_500, stopped),
                )
            )  # fmt: skip
    assert start.id_tag_info["status"] == "Accepted" and stop.id_tag_info["status"] == "Accepted"
    (transaction,) = rows(database_url, Transaction)
    assert transaction.start_time == parse_time(started)[0]
    assert transaction.stop_time == parse_time(stopped)[0]
    assert (transaction.meter_start, transaction.meter_stop) == (10_000, 17_500)
    assert (transaction.energy_wh, transaction.stop_reason) == (7_500, "EVDisconnected")
    readings = sorted(rows(database_url, MeterValue), key=lambda m: m.timestamp)
    assert [(r.timestamp, r.value) for r in readings] == [
        (parse_time(sampled)[0], "14000"),
        (parse_time(stopped)[0], "17500"),
    ]
    assert all(r.transaction_id == tx for r in readings)
    code, out, _ = run_admin_line(database_url, "transactions", "stale", "--json")
    assert (code, json.loads(out)) == (0, [])


async def test_a_tag_blocked_while_the_station_was_offline_is_refused_at_its_start(
    database_url,
):
    seed(database_url)
    with db.session_scope(database_url) as session:
        assert authorization.block_id_tag(session, "TAG-1")
    async with central_system(database_url) as (node, _):
        async with connected(node) as cp:
            # The station let TAG-1 charge offline (its cache said Accepted).
            start = await cp.call(
                call.StartTransaction(
                    connector_id=1, id_tag="TAG-1", meter_start=0, timestamp=ago(hours=3)
                )
            )
    assert start.id_tag_info["status"] == "Blocked"  # the station must stop it
    (transaction,) = rows(database_url, Transaction)  # recorded all the same
    assert (transaction.id, transaction.id_tag) == (start.transaction_id, "TAG-1")
    assert transaction.stop_time is None


async def test_stale_transactions_are_listed_with_why_filtered_and_closed(database_url):
    seed(database_url)
    async with served_api(database_url) as (node, api, _):
        auth = bearer(make_token(database_url))
        async with connected(node) as cp:

            async def start(connector_id: int, hours: int) -> int:
                answer = await cp.call(
                    call.StartTransaction(
                        connector_id=connector_id, id_tag="TAG-1", meter_start=1000,
                        timestamp=ago(hours=hours),
                    )
                )  # fmt: skip
                return answer.transaction_id

            def status(connector_id: int, state: str, hours: int):
                return call.StatusNotification(
                    connector_id=connector_id, error_code="NoError", status=state,
                    timestamp=ago(hours=hours),
                )  # fmt: skip

            superseded, latest = await start(1, 3), await start(1, 2)  # its stop never came
            freed = await start(2, 2)
            await cp.call(status(2, "Available", 1))  # connector 2 free since: stale
            charging = await start(3, 2)
            await cp.call(status(3, "Charging", 1))
            await cp.call(status(4, "Available", 1))  # no transaction there

            async def stale(value: str) -> list[int]:
                found = await api.get(f"/api/v1/transactions?stale={value}", headers=auth)
                assert found.status_code == 200, found.text
                return sorted(t["id"] for t in found.json()["items"])

            assert await stale("true") == [superseded, freed]
            assert await stale("false") == [latest, charging]
            code, out, _ = run_admin_line(database_url, "transactions", "stale", "--json")
            listed = {t["id"]: [r["reason"] for r in t["stale_reasons"]] for t in json.loads(out)}
            assert listed == {superseded: ["later-transaction"], freed: ["connector-available"]}

            # The station rebooted: whatever was open before its boot is stale now.
            await cp.call(call.BootNotification(charge_point_model="X", charge_point_vendor="Y"))
            assert await stale("true") == sorted([superseded, latest, freed, charging])
            code, out, _ = run_admin_line(database_url, "transactions", "stale", "--json")
            listed = {t["id"]: [r["reason"] for r in t["stale_reasons"]] for t in json.loads(out)}
            assert listed[superseded] == ["later-transaction", "station-rebooted"]
            assert listed[charging] == ["station-rebooted"]
            code, out, _ = run_admin_line(database_url, "transactions", "stale")
            assert "the station booted after it started" in out.splitlines()[1]

            code, out, err = run_admin_line(
                database_url, "transactions", "close", str(superseded), "--meter-stop", "999"
            )
            assert code == 2 and "below" in err  # under its meter start: no negative energy
            code, out, _ = run_admin_line(
                database_url, "transactions", "close", str(superseded), "--meter-stop", "1500",
                "--reason", "PowerLoss",
            )  # fmt: skip
            assert code == 0 and f"closed transaction {superseded} of CP-1" in out
            assert "energy 500 Wh" in out
            code, _, err = run_admin_line(database_url, "transactions", "close", str(superseded))
            assert code == 1 and "closed already" in err
            code, _, err = run_admin_line(database_url, "transactions", "close", "99999")
            assert code == 1 and "no transaction 99999" in err
            # Without --meter-stop: the last energy reading, else its start.
            assert run_admin_line(database_url, "transactions", "close", str(freed))[0] == 0
            assert await stale("true") == sorted([latest, charging])

    closed = {t.id: t for t in rows(database_url, Transaction)}
    assert (closed[superseded].meter_stop, closed[superseded].energy_wh) == (1500, 500)
    assert (closed[superseded].stop_reason, closed[superseded].closed_by) == (
        "PowerLoss",
        "operator",
    )
    assert (closed[freed].meter_stop, closed[freed].stop_reason) == (1000, "Other")


async def test_a_stop_for_an_unknown_transaction_is_acked_and_kept(database_url):
    seed(database_url)
    payload = {"meterStop": 4200, "timestamp": ago(days=1), "transactionId": 987654}
    with structlog.testing.capture_logs() as logs:
        async with central_system(database_url) as (node, _):
            async with connected(node) as cp:
                answer = await cp.call(
                    call.StopTransaction(
                        meter_stop=4200, timestamp=payload["timestamp"], transaction_id=987654
                    )
                )
    assert answer.id_tag_info is None  # acked: the station drops it from its queue
    (kept,) = rows(database_url, StationNotification)
    assert (kept.station_id, kept.action, kept.payload) == ("CP-1", "StopTransaction", payload)
    (warning,) = [e for e in logs if e["event"] == "StopTransaction for an unknown transaction"]
    assert warning["log_level"] == "warning"
    assert (warning["station_id"], warning["transaction_id"]) == ("CP-1", 987654)
    assert rows(database_url, Transaction) == []
