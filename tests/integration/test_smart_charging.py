"""Smart charging (OCPP 1.6) end to end: commands sent as `ocpp-cable send` and the HTTP
API send them, through the real gateway to an `ocpp` package charger, its answers
followed into `charging_profiles` and `composite_schedules`, on SQLite and PostgreSQL."""

from __future__ import annotations

import asyncio
import json

import pytest
from ocpp.routing import on
from ocpp.v16 import call, call_result
from ocpp.v16.enums import Action
from sqlalchemy.exc import IntegrityError

from ocpp_cable.channels.domain import smart_charging, stations, transactions
from ocpp_cable.channels.domain.timeutil import now
from ocpp_cable.channels.operators.admin import publish_commands
from ocpp_cable.channels.storage import db
from ocpp_cable.channels.storage.models import (
    ChargingProfile,
    Command,
    CompositeSchedule,
    Transaction,
)
from ocpp_cable.contract.timestamps import utc_text
from tests.support.admin import run_admin_line
from tests.support.api import bearer, make_token, served_api
from tests.support.central import CentralCharger, central_system, connected, rows, seed
from tests.support.servers import eventually, subscribed

MAX = "ChargePointMaxProfile"
SCHEDULE = {
    "chargingRateUnit": "A",
    "chargingSchedulePeriod": [{"startPeriod": 0, "limit": 32}, {"startPeriod": 600, "limit": 16}],
}


def profile(profile_id: int, purpose: str = "TxDefaultProfile", stack: int = 0, **extra) -> dict:
    return {
        "chargingProfileId": profile_id,
        "stackLevel": stack,
        "chargingProfilePurpose": purpose,
        "chargingProfileKind": "Absolute",
        "chargingSchedule": SCHEDULE,
        **extra,
    }


def set_profile(connector_id: int, given: dict) -> dict:
    return {"connectorId": connector_id, "csChargingProfiles": given}


class SmartCharger(CentralCharger):
    """Accepts profiles (but stackLevel 9), clears (or answers `clear_answer`), answers
    GetCompositeSchedule with a schedule; records what it was asked."""

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        self.asked: list[tuple[str, dict]] = []
        self.clear_answer = "Accepted"

    @on(Action.set_charging_profile)
    def on_set_charging_profile(self, connector_id, cs_charging_profiles, **_):
        self.asked.append(("SetChargingProfile", cs_charging_profiles))
        rejected = cs_charging_profiles["stack_level"] == 9
        return call_result.SetChargingProfile(status="Rejected" if rejected else "Accepted")

    @on(Action.clear_charging_profile)
    def on_clear_charging_profile(self, **criteria):
        self.asked.append(("ClearChargingProfile", criteria))
        return call_result.ClearChargingProfile(status=self.clear_answer)

    @on(Action.get_composite_schedule)
    def on_get_composite_schedule(self, connector_id, duration, **_):
        self.asked.append(("GetCompositeSchedule", {"connector_id": connector_id}))
        return call_result.GetCompositeSchedule(
            status="Accepted",
            connector_id=connector_id,
            schedule_start="2026-12-01T10:00:00Z",
            charging_schedule={
                "duration": duration,
                "charging_rate_unit": "A",
                "charging_schedule_period": [
                    {"start_period": 0, "limit": 16.0},
                    {"start_period": 1800, "limit": 8.0, "number_phases": 1},
                ],
            },
        )

    @on(Action.remote_start_transaction)
    def on_remote_start(self, id_tag, **_):
        self.asked.append(("RemoteStartTransaction", {"id_tag": id_tag}))
        return call_result.RemoteStartTransaction(status="Accepted")


def sender(node, settings):
    """`ocpp-cable send --wait` in-process: the exit status (0: accepted, 1: not, 2: refused)."""
    send_settings = settings.model_copy(
        update={"broadcast_url": f"http://127.0.0.1:{node.http_port}/_broadcast"}
    )

    async def send(action: str, payload: dict, station_id: str = "CP-1") -> int:
        return await asyncio.to_thread(
            publish_commands.send_command,
            send_settings,
            station_id,
            action,
            json.dumps(payload),
            True,
        )

    return send


def profiles(url) -> list[ChargingProfile]:
    return sorted(rows(url, ChargingProfile), key=lambda p: p.id)


def statuses(url) -> list[tuple]:
    return [(p.charging_profile_id, p.purpose, p.connector_id, p.status) for p in profiles(url)]


async def test_profiles_are_refused_installed_replaced_cleared_and_end_with_their_transaction(
    database_url, capsys
):
    seed(database_url)
    async with central_system(database_url) as (node, settings):
        send = sender(node, settings)
        async with connected(node, cls=SmartCharger) as cp:
            await eventually(lambda: subscribed(node, "CP-1"))

            # Refused before anything is recorded or sent: exit 2.
            max_on_1 = set_profile(1, profile(1, "ChargePointMaxProfile"))
            assert await send("SetChargingProfile", max_on_1) == 2
            assert "ChargePointMaxProfile goes on connectorId 0" in capsys.readouterr().err
            tx_profile = set_profile(1, profile(1, "TxProfile"))
            assert await send("SetChargingProfile", tx_profile) == 2
            assert "none is open on connector 1" in capsys.readouterr().err
            bad_periods = profile(1, chargingSchedule={**SCHEDULE, "chargingSchedulePeriod": [
                {"startPeriod": 0, "limit": 32}, {"startPeriod": 0, "limit": 16}]})  # fmt: skip
            assert await send("SetChargingProfile", set_profile(0, bad_periods)) == 2
            assert "startPeriod ascends" in capsys.readouterr().err
            assert cp.asked == [] and rows(database_url, Command) == []

            assert await send("SetChargingProfile", set_profile(0, profile(1))) == 0
            # The same connector, purpose and stackLevel: replaces profile 1.
            assert await send("SetChargingProfile", set_profile(0, profile(2))) == 0
            # The same chargingProfileId: replaces profile 2, whatever it was.
            assert await send("SetChargingProfile", set_profile(0, profile(2, MAX))) == 0
            assert await send("SetChargingProfile", set_profile(1, profile(3, stack=1))) == 0
            # Refused by the station: nothing installed, the command keeps the refusal.
            assert await send("SetChargingProfile", set_profile(1, profile(4, stack=9))) == 1
            capsys.readouterr()

            start = await cp.call(
                call.StartTransaction(
                    connector_id=1, id_tag="TAG-1", meter_start=1000, timestamp=utc_text()
                )
            )
            tx = start.transaction_id
            wrong_tx = set_profile(1, profile(5, "TxProfile", transactionId=tx + 1))
            assert await send("SetChargingProfile", wrong_tx) == 2
            assert f"transactionId {tx + 1} is not the transaction open" in capsys.readouterr().err
            assert await send("SetChargingProfile", set_profile(1, profile(5, "TxProfile"))) == 0
            installed = [p for p in profiles(database_url) if p.charging_profile_id == 5]
            assert [(p.status, p.transaction_id) for p in installed] == [("installed", tx)]

            asked = {"connectorId": 1, "duration": 3600, "chargingRateUnit": "A"}
            assert await send("GetCompositeSchedule", asked) == 0

            await cp.call(call.StopTransaction(meter_stop=2000, timestamp=utc_text(),
                                               transaction_id=tx))  # fmt: skip

            assert await send("ClearChargingProfile", {"chargingProfilePurpose": MAX}) == 0
            cp.clear_answer = "Unknown"  # nothing matched on the station: nothing changes here
            assert await send("ClearChargingProfile", {}) == 0

    assert statuses(database_url) == [
        (1, "TxDefaultProfile", 0, "replaced"),
        (2, "TxDefaultProfile", 0, "replaced"),
        (2, MAX, 0, "cleared"),
        (3, "TxDefaultProfile", 1, "installed"),
        (5, "TxProfile", 1, "ended"),
    ]
    kept = profiles(database_url)[3]
    assert kept.profile == profile(3, stack=1) and kept.stack_level == 1
    assert kept.kind == "Absolute" and kept.status_at >= kept.created_at
    rejected = [c for c in rows(database_url, Command) if c.status == "rejected"]
    assert [c.payload["csChargingProfiles"]["chargingProfileId"] for c in rejected] == [4]
    assert [action for action, _ in cp.asked].count("SetChargingProfile") == 6

    (schedule,) = rows(database_url, CompositeSchedule)
    assert (schedule.connector_id, schedule.duration, schedule.charging_rate_unit) == (1, 3600, "A")
    assert schedule.status == "Accepted"
    assert schedule.response["chargingSchedule"]["chargingSchedulePeriod"][1] == {
        "startPeriod": 1800, "limit": 8.0, "numberPhases": 1,
    }  # fmt: skip

    # The views: installed (and pending) by default, history with --all.
    code, out, _ = run_admin_line(database_url, "stations", "profiles", "CP-1", "--json")
    assert code == 0
    assert [(p["charging_profile_id"], p["status"]) for p in json.loads(out)] == [(3, "installed")]
    code, out, _ = run_admin_line(database_url, "stations", "profiles", "CP-1", "--all")
    assert code == 0 and "0s 32A, 600s 16A" in out and out.count("\n") == 6
    assert "ended" in out and "cleared" in out
    code, out, _ = run_admin_line(database_url, "stations", "schedule", "CP-1")
    assert code == 0 and "0s 16A, 1800s 8A/1ph" in out and "3600s A" in out
    code, out, _ = run_admin_line(database_url, "stations", "schedule", "CP-1", "--json")
    assert json.loads(out)[0]["response"]["scheduleStart"] == "2026-12-01T10:00:00Z"
    code, _, err = run_admin_line(database_url, "stations", "profiles", "NOPE")
    assert code == 1 and "no station NOPE" in err


async def test_a_remote_start_profile_waits_for_its_transaction(database_url, capsys):
    seed(database_url, tags=(("TAG-1", "Accepted", None), ("TAG-2", "Accepted", None)))
    async with central_system(database_url) as (node, settings):
        send = sender(node, settings)
        async with connected(node, cls=SmartCharger) as cp:
            await eventually(lambda: subscribed(node, "CP-1"))
            for wrong, found in (
                (profile(7), "is a TxProfile, not a TxDefaultProfile"),
                (profile(7, "TxProfile", transactionId=1), "has no transactionId"),
            ):
                payload = {"idTag": "TAG-1", "chargingProfile": wrong}
                assert await send("RemoteStartTransaction", payload) == 2
                assert found in capsys.readouterr().err
            assert await send("RemoteStartTransaction", {"idTag": "TAG-1", "connectorId": 0}) == 2

            # No connector named: the station chooses, and the profile waits for its start.
            remote = {"idTag": "TAG-1", "chargingProfile": profile(7, "TxProfile")}
            assert await send("RemoteStartTransaction", remote) == 0
            assert statuses(database_url) == [(7, "TxProfile", None, "pending")]
            (pending,) = profiles(database_url)
            assert pending.id_tag == "TAG-1" and pending.transaction_id is None

            start = await cp.call(
                call.StartTransaction(
                    connector_id=2, id_tag="TAG-1", meter_start=0, timestamp=utc_text()
                )
            )
            (bound,) = profiles(database_url)
            assert (bound.status, bound.connector_id) == ("installed", 2)
            assert bound.transaction_id == start.transaction_id

            # For connector 1, then another tag starts there: not its start, it waits on.
            remote = {
                "idTag": "TAG-1",
                "connectorId": 1,
                "chargingProfile": profile(8, "TxProfile"),
            }
            assert await send("RemoteStartTransaction", remote) == 0
            other = await cp.call(
                call.StartTransaction(
                    connector_id=1, id_tag="TAG-2", meter_start=0, timestamp=utc_text()
                )
            )
            # A newer remote start for connector 1 replaces the profile pending there.
            remote["chargingProfile"] = profile(9, "TxProfile", stack=2)
            assert await send("RemoteStartTransaction", remote) == 0

            await cp.call(call.StopTransaction(meter_stop=10, timestamp=utc_text(),
                                               transaction_id=start.transaction_id))  # fmt: skip
            await cp.call(call.StopTransaction(meter_stop=10, timestamp=utc_text(),
                                               transaction_id=other.transaction_id))  # fmt: skip

    assert statuses(database_url) == [
        (7, "TxProfile", 2, "ended"),
        (8, "TxProfile", 1, "replaced"),
        (9, "TxProfile", 1, "pending"),
    ]
    code, out, _ = run_admin_line(database_url, "stations", "profiles", "CP-1", "--json")
    assert code == 0
    assert [(p["charging_profile_id"], p["status"]) for p in json.loads(out)] == [(9, "pending")]


async def test_the_api_refuses_sends_and_shows_profiles_and_schedules(database_url):
    seed(database_url)
    async with served_api(database_url) as (node, api, _):
        writer = bearer(make_token(database_url))
        reader = bearer(make_token(database_url, "ada", "read"))
        async with connected(node, cls=SmartCharger) as cp:
            await eventually(lambda: subscribed(node, "CP-1"))
            url = "/api/v1/stations/CP-1/commands?wait=10"
            payload = set_profile(0, profile(1, "TxProfile"))
            refused = await api.post(
                url, json={"action": "SetChargingProfile", "payload": payload}, headers=writer
            )
            assert refused.status_code == 422, refused.text
            body = refused.json()
            assert body["type"] == "urn:ocpp-cable:problem:command-refused"
            assert "a TxProfile goes on a connector" in body["detail"]
            assert cp.asked == []

            for given in (set_profile(0, profile(1, MAX)), set_profile(2, profile(2, stack=3))):
                sent = await api.post(
                    url, json={"action": "SetChargingProfile", "payload": given}, headers=writer
                )
                assert sent.status_code == 201 and sent.json()["status"] == "accepted", sent.text
            sent = await api.post(
                url,
                json={"action": "GetCompositeSchedule",
                      "payload": {"connectorId": 2, "duration": 600}},
                headers=writer,
            )  # fmt: skip
            assert sent.json()["status"] == "accepted"
            sent = await api.post(
                url, json={"action": "ClearChargingProfile", "payload": {"id": 1}}, headers=writer
            )
            assert sent.json()["status"] == "accepted"

        listed = await api.get("/api/v1/stations/CP-1/charging-profiles", headers=reader)
        assert listed.status_code == 200, listed.text
        page = listed.json()
        assert page["total"] == 1
        (item,) = page["items"]
        assert (item["charging_profile_id"], item["connector_id"], item["status"]) == (
            2,
            2,
            "installed",
        )
        assert item["purpose"] == "TxDefaultProfile" and item["profile"] == profile(2, stack=3)
        every = await api.get("/api/v1/stations/CP-1/charging-profiles?all=true", headers=reader)
        assert [(i["charging_profile_id"], i["status"]) for i in every.json()["items"]] == [
            (2, "installed"),
            (1, "cleared"),
        ]
        schedules = (
            await api.get("/api/v1/stations/CP-1/composite-schedules", headers=reader)
        ).json()
        assert [(s["connector_id"], s["duration"], s["charging_rate_unit"]) for s in schedules] == [
            (2, 600, None)
        ]
        assert schedules[0]["response"]["connectorId"] == 2
        for path in ("charging-profiles", "composite-schedules"):
            missing = await api.get(f"/api/v1/stations/NOPE/{path}", headers=reader)
            assert missing.status_code == 404
            assert missing.json()["type"] == "urn:ocpp-cable:problem:unknown-station"
            assert (await api.get(f"/api/v1/stations/CP-1/{path}")).status_code == 401


# --- what is stored, bounded: without a charger ----------------------------------------------


def _station(url: str) -> None:
    with db.session_scope(url) as session:
        stations.add_station(session, "CP-1")
        stations.add_station(session, "CP-2")


def test_history_is_capped_per_station(database_url, monkeypatch):
    monkeypatch.setattr(smart_charging, "HISTORY_KEPT", 3)
    _station(database_url)
    with db.session_scope(database_url) as session:
        smart_charging.install(session, "CP-2", 0, profile(1))
        smart_charging.install(session, "CP-2", 0, profile(1))  # CP-2's history: one row
    for _ in range(6):  # the same id again and again: each replaces the last
        with db.session_scope(database_url) as session:
            smart_charging.install(session, "CP-1", 0, profile(1))
    kept = [p for p in profiles(database_url) if p.station_id == "CP-1"]
    assert [p.status for p in kept] == ["replaced"] * 3 + ["installed"]
    assert kept == sorted(kept, key=lambda p: p.status_at)  # the newest history stays
    assert [p.status for p in profiles(database_url) if p.station_id == "CP-2"] == [
        "replaced",
        "installed",
    ]


def test_one_installed_profile_per_connector_purpose_and_stack_level(database_url):
    _station(database_url)
    with db.session_scope(database_url) as session:
        smart_charging.install(session, "CP-1", 1, profile(1))
        smart_charging.install(session, "CP-1", 1, profile(2))
    assert statuses(database_url) == [
        (1, "TxDefaultProfile", 1, "replaced"),
        (2, "TxDefaultProfile", 1, "installed"),
    ]
    # The database holds to it too, whatever writes.
    with pytest.raises(IntegrityError), db.session_scope(database_url) as session:
        session.add(
            ChargingProfile(
                station_id="CP-1", connector_id=1, charging_profile_id=3, stack_level=0,
                purpose="TxDefaultProfile", kind="Absolute", profile=profile(3),
                status="installed",
            )
        )  # fmt: skip


def test_a_tx_profile_accepted_after_its_transaction_stopped_ends_at_once(database_url):
    _station(database_url)
    with db.session_scope(database_url) as session:
        session.add(
            Transaction(
                id=41, station_id="CP-1", connector_id=1, evse_id=1, id_tag="TAG-1",
                meter_start=0, start_time=now(), stop_time=now(), meter_stop=5,
            )
        )  # fmt: skip
    with db.session_scope(database_url) as session:
        smart_charging.install(session, "CP-1", 1, profile(6, "TxProfile", transactionId=41))
    assert [(p.status, p.transaction_id) for p in profiles(database_url)] == [("ended", 41)]


def test_an_operator_close_ends_the_transactions_tx_profile(database_url):
    """Closing a transaction whose stop never came ends its TxProfile, as its stop would."""
    _station(database_url)
    with db.session_scope(database_url) as session:
        session.add(
            Transaction(
                id=42, station_id="CP-1", connector_id=1, evse_id=1, id_tag="TAG-1",
                meter_start=0, start_time=now(),
            )
        )  # fmt: skip
    with db.session_scope(database_url) as session:
        smart_charging.install(session, "CP-1", 1, profile(7, "TxProfile", transactionId=42))
    assert [p.status for p in profiles(database_url)] == ["installed"]
    with db.session_scope(database_url) as session:
        open_one = session.get(Transaction, 42)
        assert transactions.close_by_operator(session, open_one, None, "Other")
    assert [(p.status, p.transaction_id) for p in profiles(database_url)] == [("ended", 42)]


def profile_2(profile_id: int, purpose: str = "TxDefaultProfile", stack: int = 0, **extra):
    """A 2.x chargingProfile: Relative, one schedule of 16 A."""
    schedule = {"id": profile_id, "chargingRateUnit": "A",
                "chargingSchedulePeriod": [{"startPeriod": 0, "limit": 16}]}  # fmt: skip
    return {"id": profile_id, "stackLevel": stack, "chargingProfilePurpose": purpose,
            "chargingProfileKind": "Relative", "chargingSchedule": [schedule], **extra}  # fmt: skip


def test_2x_profiles_are_kept_per_evse_as_accepted_reported_cleared_and_ended(database_url):
    """A 2.x station's profiles, by the hooks alone: an EVSE where 1.6 has a connector, a
    TxProfile bound by the station's transactionId, the CSMS's own reported ones installed
    (an EMS's and external constraints not), clears by 2.x criteria, a composite schedule
    per EVSE; the next chargingProfileId counts what is kept and what is on its way."""
    _station(database_url)
    accepted = {"status": "Accepted"}
    with db.session_scope(database_url) as session:
        session.add(
            Transaction(
                id=51, station_id="CP-1", station_transaction_id="tx-a", evse_id=2,
                start_time=now(),
            )
        )  # fmt: skip
        assert smart_charging.open_transaction_2(session, "CP-1", 2) == "tx-a"
        assert smart_charging.open_transaction_2(session, "CP-1", 1) is None
        assert smart_charging.next_profile_id(session, "CP-1") == 1
    with db.session_scope(database_url) as session:
        for evse_id, given in (
            (1, profile_2(1)),
            (2, profile_2(2, "TxProfile", transactionId="tx-a")),
        ):
            payload = {"evseId": evse_id, "chargingProfile": given}
            smart_charging.on_set_profile_answered(session, "CP-1", payload, accepted)
        smart_charging.reported(session, "CP-1", {
            "requestId": 1, "chargingLimitSource": "CSO", "evseId": 0,
            "chargingProfile": [profile_2(5, "ChargingStationMaxProfile"),
                                profile_2(6, "ChargingStationExternalConstraints")],
        })  # fmt: skip
        smart_charging.reported(session, "CP-1", {
            "requestId": 1, "chargingLimitSource": "EMS", "evseId": 1,
            "chargingProfile": [profile_2(9)],
        })  # fmt: skip
        asked = {"evseId": 2, "duration": 60}
        smart_charging.on_composite_schedule_answered(
            session, "CP-1", asked, {"status": "Accepted", "schedule": {"evseId": 2}}
        )
        session.add(Command(id="c-1", station_id="CP-1", action="SetChargingProfile",
                            payload={"evseId": 1, "chargingProfile": profile_2(12)},
                            status="sent"))  # fmt: skip
        session.add(Command(id="c-2", station_id="CP-1", action="SetChargingProfile",
                            payload={"evseId": 1, "chargingProfile": profile_2(40)},
                            status="accepted"))  # fmt: skip
    assert statuses(database_url) == [
        (1, "TxDefaultProfile", 1, "installed"),
        (2, "TxProfile", 2, "installed"),
        (5, "ChargingStationMaxProfile", 0, "installed"),
    ]
    assert profiles(database_url)[1].transaction_id == 51
    with db.session_scope(database_url) as session:
        # On its way: 12. An answered command counts by what it installed (40: nothing).
        assert smart_charging.next_profile_id(session, "CP-1") == 13
        # The same report again changes nothing.
        smart_charging.reported(session, "CP-1", {
            "requestId": 2, "chargingLimitSource": "CSO", "evseId": 0,
            "chargingProfile": [profile_2(5, "ChargingStationMaxProfile")],
        })  # fmt: skip
        criteria = {"chargingProfileCriteria": {"evseId": 1, "stackLevel": 0}}
        smart_charging.on_clear_profile_answered(session, "CP-1", criteria, accepted)
        smart_charging.transaction_stopped(session, "CP-1", 51, 2)
    assert statuses(database_url) == [
        (1, "TxDefaultProfile", 1, "cleared"),
        (2, "TxProfile", 2, "ended"),
        (5, "ChargingStationMaxProfile", 0, "installed"),
    ]
    (schedule,) = rows(database_url, CompositeSchedule)
    assert (schedule.connector_id, schedule.duration, schedule.status) == (2, 60, "Accepted")
