"""A transaction belongs to the station that started it: what another station sends about
it is kept apart, never counted into it (issue 27, item 1). Real chargers from the `ocpp`
package, each logged in with its own password, the gateway, rpc_app, the HTTP API and the
database (SQLite and PostgreSQL)."""

from __future__ import annotations

import json

from ocpp.v16 import call
from ocpp.v201 import call as call201

from ocpp_cable.channels.storage.models import MeterValue, StationNotification, Transaction
from tests.support.admin import run_admin_line
from tests.support.api import bearer, make_token, served_api
from tests.support.central import PASSWORD, basic, connected, rows, seed
from tests.support.servers import Charger201, charger, eventually, subscribed

T0, T1, T2 = "2026-12-07T10:00:00Z", "2026-12-07T10:30:00Z", "2026-12-07T11:00:00Z"


def energy(wh: int, at: str) -> list[dict]:
    return [
        {
            "timestamp": at,
            "sampledValue": [
                {"value": str(wh), "measurand": "Energy.Active.Import.Register", "unit": "Wh"}
            ],
        }
    ]


def two_stations(url: str) -> None:
    seed(url, "CP-1")
    seed(url, "CP-2", tags=(("TAG-2", "Accepted", None),))


async def start(cp, tag: str = "TAG-2", at: str = T0) -> int:
    started = await cp.call(
        call.StartTransaction(connector_id=1, id_tag=tag, meter_start=1_000, timestamp=at)
    )
    assert started.id_tag_info["status"] == "Accepted"
    return started.transaction_id


async def test_meter_values_for_another_stations_transaction_are_kept_apart(database_url):
    two_stations(database_url)
    token = make_token(database_url, "ops")
    async with served_api(database_url) as (node, api, _):
        async with connected(node, "CP-2") as cp2, connected(node, "CP-1") as cp1:
            await eventually(lambda: subscribed(node, "CP-1") and subscribed(node, "CP-2"))
            theirs = await start(cp2)
            await cp2.call(
                call.MeterValues(
                    connector_id=1, transaction_id=theirs, meter_value=energy(3_000, T1)
                )
            )
            # CP-1, logged in as itself, names CP-2's transaction: acked (a station would
            # send it again forever otherwise), and kept apart.
            await cp1.call(
                call.MeterValues(
                    connector_id=1, transaction_id=theirs, meter_value=energy(50_000_000, T2)
                )
            )

            counted = rows(database_url, MeterValue, MeterValue.transaction_id == theirs)
            assert [(v.station_id, v.value) for v in counted] == [("CP-2", "3000")]
            [apart] = rows(database_url, MeterValue, MeterValue.station_id == "CP-1")
            assert (apart.transaction_id, apart.claimed_transaction_id) == (None, theirs)

            # The operator's close bills CP-2 its own readings only.
            closed = await api.post(
                f"/api/v1/transactions/{theirs}/close",
                json={"reason": "Other"},
                headers=bearer(token),
            )
            assert closed.status_code == 200, closed.text
            assert closed.json()["energy_wh"] == 2_000
            report = await api.get("/api/v1/reports/energy", headers=bearer(token))
            assert report.json()["total_wh"] == 2_000

            # The API says which station sent each reading, and shows what was kept apart.
            own = await api.get(
                f"/api/v1/transactions/{theirs}/meter-values", headers=bearer(token)
            )
            assert [(v["station_id"], v["value"]) for v in own.json()["items"]] == [
                ("CP-2", "3000")
            ]
            kept = await api.get(
                f"/api/v1/transactions/{theirs}/meter-values",
                params={"kept_apart": "true"},
                headers=bearer(token),
            )
            [reading] = kept.json()["items"]
            assert reading["station_id"] == "CP-1"
            assert (reading["transaction_id"], reading["claimed_transaction_id"]) == (None, theirs)
            # And so does the CLI.
            code, out, _ = run_admin_line(
                database_url, "meter-values", str(theirs), "--kept-apart", "--json"
            )
            assert code == 0
            assert [(r["station_id"], r["value"]) for r in json.loads(out)] == [
                ("CP-1", "50000000")
            ]


async def test_stop_transaction_for_another_stations_transaction_changes_nothing_of_it(
    database_url,
):
    two_stations(database_url)
    async with served_api(database_url) as (node, _, _):
        async with connected(node, "CP-2") as cp2, connected(node, "CP-1") as cp1:
            await eventually(lambda: subscribed(node, "CP-1") and subscribed(node, "CP-2"))
            theirs = await start(cp2)
            await cp1.call(
                call.StopTransaction(
                    meter_stop=90_000,
                    timestamp=T2,
                    transaction_id=theirs,
                    reason="Local",
                    transaction_data=energy(90_000, T2),
                )
            )
            [transaction] = rows(database_url, Transaction, Transaction.id == theirs)
            assert transaction.stop_time is None and transaction.meter_stop is None
            assert rows(database_url, MeterValue, MeterValue.transaction_id == theirs) == []
            [apart] = rows(database_url, MeterValue, MeterValue.station_id == "CP-1")
            assert (apart.transaction_id, apart.claimed_transaction_id) == (None, theirs)
            # The stop itself is kept for operators, under the station that sent it.
            [stop] = rows(
                database_url, StationNotification, StationNotification.action == "StopTransaction"
            )
            assert stop.station_id == "CP-1" and stop.payload["transactionId"] == theirs

            # CP-2's own stop still closes it, with its own figures.
            await cp2.call(
                call.StopTransaction(meter_stop=4_000, timestamp=T2, transaction_id=theirs)
            )
            [transaction] = rows(database_url, Transaction, Transaction.id == theirs)
            assert (transaction.meter_stop, transaction.energy_wh) == (4_000, 3_000)


async def test_readings_for_an_id_not_given_yet_never_join_the_transaction_that_gets_it(
    database_url,
):
    two_stations(database_url)
    async with served_api(database_url) as (node, _, _):
        async with connected(node, "CP-2") as cp2, connected(node, "CP-1") as cp1:
            await eventually(lambda: subscribed(node, "CP-1") and subscribed(node, "CP-2"))
            first = await start(cp2, "TAG-2")
            await cp2.call(
                call.StopTransaction(meter_stop=1_500, timestamp=T1, transaction_id=first)
            )
            # The next id the central system will give out, guessed by CP-1 ahead of time.
            await cp1.call(
                call.MeterValues(
                    connector_id=1, transaction_id=first + 1, meter_value=energy(77_777, T1)
                )
            )
            later = await start(cp2, "TAG-2", T2)
            assert later == first + 1
            assert rows(database_url, MeterValue, MeterValue.transaction_id == later) == []


async def test_a_2x_transaction_id_is_the_stations_own(database_url):
    """TransactionEvent ids are the station's: the same id from two stations is two
    transactions, and neither's readings reach the other's."""
    two_stations(database_url)
    token = make_token(database_url, "ops")
    async with served_api(database_url) as (node, api, _):
        stations = [
            charger(node, sid, Charger201, "ocpp2.0.1", additional_headers=basic(sid, PASSWORD))
            for sid in ("CP-1", "CP-2")
        ]
        async with stations[0] as cp1, stations[1] as cp2:
            await eventually(lambda: subscribed(node, "CP-1") and subscribed(node, "CP-2"))
            for cp, wh in ((cp2, 1_000), (cp1, 50_000_000)):
                await cp.call(
                    call201.TransactionEvent(
                        event_type="Started",
                        timestamp=T0,
                        trigger_reason="Authorized",
                        seq_no=0,
                        transaction_info={"transaction_id": "TX-SAME"},
                        evse={"id": 1, "connector_id": 1},
                        meter_value=[
                            {
                                "timestamp": T0,
                                "sampled_value": [
                                    {"value": wh, "measurand": "Energy.Active.Import.Register"}
                                ],
                            }
                        ],
                    )
                )
            await cp2.call(
                call201.TransactionEvent(
                    event_type="Ended",
                    timestamp=T2,
                    trigger_reason="EVDeparted",
                    seq_no=1,
                    transaction_info={
                        "transaction_id": "TX-SAME",
                        "stopped_reason": "EVDisconnected",
                    },
                    meter_value=[
                        {
                            "timestamp": T2,
                            "sampled_value": [
                                {"value": 4_000, "measurand": "Energy.Active.Import.Register"}
                            ],
                        }
                    ],
                )
            )
            by_station = {
                t.station_id: t
                for t in rows(
                    database_url, Transaction, Transaction.station_transaction_id == "TX-SAME"
                )
            }
            assert set(by_station) == {"CP-1", "CP-2"}
            assert by_station["CP-2"].energy_wh == 3_000
            for station_id, transaction in by_station.items():
                readings = rows(
                    database_url, MeterValue, MeterValue.transaction_id == transaction.id
                )
                assert {r.station_id for r in readings} == {station_id}
            listed = await api.get(
                f"/api/v1/transactions/{by_station['CP-2'].id}/meter-values", headers=bearer(token)
            )
            assert {v["station_id"] for v in listed.json()["items"]} == {"CP-2"}
