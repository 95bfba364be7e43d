"""Tariffs and what sessions cost: managed with the CLI and the HTTP API, priced on 1.6
and 2.0.1 stations, told to 2.x stations as they allow (CostUpdated, totalCost)."""

from __future__ import annotations

import json

from ocpp.v16 import call as call16
from ocpp.v201 import call as call201

from ocpp_cable.channels.storage.models import Command, Transaction
from tests.support.admin import run_admin_line
from tests.support.api import bearer, make_token, served_api
from tests.support.central import connected, seed
from tests.support.conformance import csms
from tests.support.servers import eventually, subscribed

T0 = "2026-11-21T10:00:00Z"
PROBLEM = "application/problem+json"


def problem(response, status: int, kind: str) -> dict:
    assert response.status_code == status, response.text
    assert response.headers["content-type"] == PROBLEM
    body = response.json()
    assert body["type"] == f"urn:ocpp-cable:problem:{kind}"
    return body


def test_tariffs_are_managed_from_the_command_line(database_url):
    seed(database_url, station_id="CP-1")
    seed(database_url, station_id="CP-2", tags=())
    line = lambda *argv: run_admin_line(database_url, "tariffs", *argv)  # noqa: E731
    code, out, _ = line("add", "day", "--currency", "EUR", "--per-kwh", "0.30",
                        "--per-hour", "1.20", "--session-fee", "0.50", "--default")  # fmt: skip
    assert code == 0 and "added tariff day: 0.30 per kWh, 1.20 per hour, 0.50" in out
    assert line("add", "fleet", "--currency", "EUR", "--per-kwh", "0.25")[0] == 0
    code, out, _ = line("assign", "fleet", "CP-1", "CP-2")
    assert code == 0 and "CP-1, CP-2: priced by tariff fleet" in out
    code, out, _ = line("list", "--json")
    listed = {t["name"]: t for t in json.loads(out)}
    assert listed["day"]["default"] and listed["day"]["stations"] == []
    assert listed["fleet"]["stations"] == ["CP-1", "CP-2"] and not listed["fleet"]["default"]
    assert listed["fleet"]["energy_price"] == "0.25" and listed["fleet"]["session_fee"] == "0"
    code, out, _ = line("list")
    assert "CP-1, CP-2" in out and "SESSION FEE" in out

    # Bad input is refused before anything changes (exit 2); unknowns and tariffs in use: 1.
    for argv in (["add", "x", "--currency", "EURO"], ["add", "x", "--currency", "XAU"],
                 ["add", "x", "--currency", "EUR", "--per-kwh", "-1"],
                 ["add", "x y", "--currency", "EUR"], ["assign", "fleet"]):  # fmt: skip
        code, _, err = line(*argv)
        assert code == 2 and err.startswith("ocpp-cable:"), (argv, err)
    assert line("assign", "nope", "CP-1")[0] == 1
    assert line("assign", "fleet", "CP-9")[0] == 1
    code, _, err = line("remove", "fleet")
    assert code == 1 and "assigned to 2 station(s) (CP-1, CP-2)" in err
    code, _, err = line("remove", "day")
    assert code == 1 and "is the default" in err
    assert line("unassign", "CP-1", "CP-2")[0] == 0
    assert line("remove", "fleet")[0] == 0
    assert line("unassign", "--default")[0] == 0
    assert line("remove", "day")[0] == 0
    assert line("list")[1] == "no tariffs\n"


async def test_a_16_session_is_priced_by_its_stations_tariff(database_url):
    """The API manages tariffs; a 1.6 session started under one keeps it (changed during
    the session, the new prices are for the next one): a running cost while it charges,
    its final cost at the stop, in the transaction records and the energy report."""
    seed(database_url)
    async with served_api(database_url) as (node, api, _):
        auth = bearer(make_token(database_url))
        prices = {"currency": "EUR", "energy_price": "0.30", "time_price": "1.20",
                  "session_fee": "0.50"}  # fmt: skip
        added = await api.put("/api/v1/tariffs/ac", json=prices, headers=auth)
        assert added.status_code == 201 and added.json()["energy_price"] == "0.30"
        assigned = await api.put("/api/v1/stations/CP-1/tariff", json={"tariff": "ac"},
                                 headers=auth)  # fmt: skip
        assert assigned.json()["source"] == "station" and assigned.json()["tariff"]["name"] == "ac"
        async with connected(node) as cp:
            await eventually(lambda: subscribed(node, "CP-1"))
            await cp.call(call16.BootNotification(charge_point_model="X", charge_point_vendor="Y"))
            begin = call16.StartTransaction(connector_id=1, id_tag="TAG-1", meter_start=1000,
                                            timestamp=T0)  # fmt: skip
            tx = (await cp.call(begin)).transaction_id
            # The tariff changes during the session: the session keeps the one it started under.
            changed = await api.put("/api/v1/tariffs/ac", json={**prices, "energy_price": "9"},
                                    headers=auth)  # fmt: skip
            assert changed.status_code == 200
            await cp.call(call16.MeterValues(connector_id=1, transaction_id=tx, meter_value=[
                {"timestamp": "2026-11-21T10:30:00Z",
                 "sampledValue": [{"value": "3000", "unit": "Wh"}]}]))  # fmt: skip
            running = (await api.get(f"/api/v1/transactions/{tx}", headers=auth)).json()
            # 0.50 + 2 kWh * 0.30 + 0.5 h * 1.20 = 1.70, as of the newest reading.
            assert (running["cost"], running["currency"], running["tariff"]) == (
                "1.70",
                "EUR",
                "ac",
            )
            await cp.call(call16.StopTransaction(meter_stop=13345, transaction_id=tx,
                                                 timestamp="2026-11-21T11:00:00Z"))  # fmt: skip
        # 0.50 + 12.345 kWh * 0.30 + 1 h * 1.20 = 5.4035 -> 5.40
        stopped = (await api.get(f"/api/v1/transactions/{tx}", headers=auth)).json()
        assert stopped["cost"] == "5.40"
        listed = (await api.get("/api/v1/transactions", headers=auth)).json()["items"]
        assert [t["cost"] for t in listed] == ["5.40"]
        report = (await api.get("/api/v1/reports/energy?period=month", headers=auth)).json()
        assert report["rows"][0]["costs"] == {"EUR": "5.40"}
        assert report["total_costs"] == {"EUR": "5.40"}
        code, out, _ = run_admin_line(database_url, "transactions", "list")
        assert code == 0 and "5.40" in out and "EUR" in out

        # Tariffs the API refuses, and what it says.
        bad = await api.put("/api/v1/tariffs/x", json={**prices, "currency": "ABC"}, headers=auth)
        problem(bad, 422, "invalid-tariff")
        problem(await api.put("/api/v1/stations/CP-1/tariff", json={"tariff": "nope"},
                              headers=auth), 404, "unknown-tariff")  # fmt: skip
        problem(await api.delete("/api/v1/tariffs/ac", headers=auth), 409, "in-use")
        unassigned = await api.delete("/api/v1/stations/CP-1/tariff", headers=auth)
        assert unassigned.json() == {"station_id": "CP-1", "tariff": None, "source": None}
        assert (await api.delete("/api/v1/tariffs/ac", headers=auth)).status_code == 204
        assert (await api.get("/api/v1/tariffs", headers=auth)).json() == []
        # The session keeps what it cost.
        assert (await api.get(f"/api/v1/transactions/{tx}", headers=auth)).json()["cost"] == "5.40"


def event201(event_type, seq_no, trigger, at, wh=None, **fields):
    info = {"transaction_id": "tx-c", **fields.pop("info", {})}
    if wh is not None:
        fields["meter_value"] = [{"timestamp": at, "sampled_value": [{"value": wh}]}]
    return call201.TransactionEvent(event_type=event_type, timestamp=at, trigger_reason=trigger,
                                    seq_no=seq_no, transaction_info=info, **fields)  # fmt: skip


TARIFF = ("tariffs", "add", "kwh", "--currency", "EUR", "--per-kwh", "0.30", "--default")


async def test_costs_are_told_at_most_every_interval_and_an_ended_resent_hears_the_same(
    tmp_path, capsys
):
    async with csms(tmp_path, capsys, cost_update_interval=3600) as system:
        system.seed()
        assert run_admin_line(system.url, *TARIFF)[0] == 0
        async with system.station(answers={"CostUpdated": {}}) as cp:
            await cp.boot()
            await cp.call(event201("Started", 0, "Authorized", T0, wh=1000,
                                   id_token={"id_token": "TAG-1", "type": "ISO14443"}))  # fmt: skip
            for seq_no, wh in ((1, 2000), (2, 3000)):
                at = f"2026-11-21T10:0{seq_no}:00Z"
                await cp.call(event201("Updated", seq_no, "MeterValuePeriodic", at, wh=wh))
            assert (await cp.request("CostUpdated"))["total_cost"] == 0.3
            ended = event201("Ended", 3, "StopAuthorized", "2026-11-21T10:05:00Z", wh=4000)
            assert (await cp.call(ended)).total_cost == 0.9
            assert (await cp.call(ended)).total_cost == 0.9  # a retry hears what it heard
        # The second reading came within the hour: one CostUpdated in all.
        assert len(system.rows(Command, Command.action == "CostUpdated")) == 1


def controller_report(*variables):
    """A NotifyReport of TariffCostCtrlr's variables: ((name, instance, value), ...)."""
    data = [{"component": {"name": "TariffCostCtrlr"},
             "variable": {"name": name, **({"instance": instance} if instance else {})},
             "variable_attribute": [{"type": "Actual", "value": value}]}
            for name, instance, value in variables]  # fmt: skip
    return call201.NotifyReport(request_id=1, generated_at=T0, seq_no=0, report_data=data)


async def test_a_station_that_shows_no_cost_or_another_currency_is_not_told(tmp_path, capsys):
    """Sessions are priced and kept whatever the station shows; a station is told their
    cost only if it did not report cost display off, nor another currency."""
    async with csms(tmp_path, capsys) as system:
        system.seed()
        async with system.station(answers={"CostUpdated": {}}) as cp:
            await cp.boot()

            async def session(ref):
                info = {"transaction_id": ref}
                await cp.call(event201("Started", 0, "Authorized", T0, wh=1000, info=info))
                await cp.call(event201("Updated", 1, "MeterValuePeriodic", T0, wh=2000, info=info))
                ended = await cp.call(event201("Ended", 2, "EVDeparted", T0, wh=3000, info=info))
                return ended.total_cost

            # No tariff: nothing priced, no totalCost (omitted: "not free", as OCPP reads it).
            assert await session("tx-none") is None
            assert run_admin_line(system.url, *TARIFF)[0] == 0
            await cp.call(controller_report(("Enabled", "Cost", "false")))
            assert await session("tx-off") is None
            await cp.call(controller_report(("Enabled", "Cost", "true"), ("Currency", None, "USD")))
            assert await session("tx-usd") is None
            assert cp.asked("CostUpdated") == 0
            await cp.call(controller_report(("Currency", None, "EUR")))
            assert await session("tx-eur") == 0.6
            assert cp.asked("CostUpdated") == 1
        costs = {t.station_transaction_id: t.cost_minor for t in system.rows(Transaction)}
        assert costs == {"tx-none": None, "tx-off": 60, "tx-usd": 60, "tx-eur": 60}
