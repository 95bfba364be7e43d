"""OCA 2.0.1 CSMS cases, block K (Smart charging); the ISO 15118 ones (K_53-59) apart.

The CSMS composes each request itself from what the operator asks (`ocpp-cable
charging-profiles set|clear|get`, `ocpp-cable composite-schedule`): the profile in 2.x's
words, the next chargingProfileId free on the station, a TxProfile's transactionId (the
transaction open on the EVSE), a GetChargingProfiles' requestId. Each command's record keeps
what was sent and the station's answer; the profiles the station accepts (or reports as the
CSMS's own) are kept as installed, and what it reports of its limits and profiles is kept in
station_notifications as sent."""

from __future__ import annotations

import json

from ocpp.exceptions import NotSupportedError
from ocpp.v201 import call

from ocpp_cable.channels.storage.models import (
    ChargingProfile,
    Command,
    CompositeSchedule,
    StationNotification,
    Transaction,
    TransactionEvent,
)
from tests.support.conformance import csms
from tests.support.conformance_flows import Transaction2, now, operate, snake, token

ACCEPTED = {"status": "Accepted"}
# An Absolute profile as the cases give it: valid for the hour from now, its one schedule
# an hour long from now, the period on one phase.
FOR_AN_HOUR = ["--phases", "1", "--duration", "3600", "--valid-from", "now", "--valid-to", "1h"]


def profile(purpose: str, limit: float, kind: str = "Absolute", id_: int = 1, **extra) -> dict:
    """A 2.0.1 chargingProfile as a station reports it: one schedule of one period from 0 at
    `limit` A, an hour long (Absolute: from now, valid for that hour)."""
    schedule = {"id": id_, "chargingRateUnit": "A", "duration": 3600,
                "chargingSchedulePeriod": [{"startPeriod": 0, "limit": limit,
                                            "numberPhases": 1}]}  # fmt: skip
    timed = {}
    if kind == "Absolute":
        schedule["startSchedule"] = now()
        timed = {"validFrom": now(), "validTo": now(3600)}
    return {"id": id_, "stackLevel": 0, "chargingProfilePurpose": purpose,
            "chargingProfileKind": kind, "chargingSchedule": [schedule], **timed,
            **extra}  # fmt: skip


def period(request: dict) -> dict:
    """The first period of the first schedule of a SetChargingProfile the station got."""
    return request["charging_profile"]["charging_schedule"][0]["charging_schedule_period"][0]


def installed(system) -> list[ChargingProfile]:
    return system.rows(ChargingProfile, ChargingProfile.status == "installed")


async def set_profiles(tmp_path, capsys, *asked: list[str], answer=ACCEPTED, charging=False):
    """The operator sets each profile in turn (`charging-profiles set CP-1 <asked>`; with a
    transaction charging on EVSE 1 first when `charging`); the station answers `answer`.
    What the station was asked, the commands' records (each holding what was sent), and the
    profiles then installed."""
    async with csms(tmp_path, capsys) as system:
        system.seed()
        async with system.station(answers={"SetChargingProfile": answer}) as cp:
            await cp.boot()
            if charging:
                tx = Transaction2(cp)
                await tx.authorized(token("TAG-1"))
                await tx.energy_transfer_started()
            records = [
                (await operate(system, "charging-profiles", "set", "CP-1", *options))[2]
                for options in asked
            ]
            requests = [await cp.request("SetChargingProfile", n + 1) for n in range(len(asked))]
        for request, record in zip(requests, records, strict=True):
            assert snake(record.payload) == request  # the record keeps what was sent
        return requests, records, installed(system)


async def test_tc_k_01_csms(tmp_path, capsys):
    """Set a TxDefaultProfile on one EVSE: Absolute, valid from now for the schedule's
    duration, starting now, its first period at 0 with 6 A; the station accepts and the
    record keeps the profile and the answer; the profile is installed on that EVSE."""
    asked = ["--evse", "1", "--purpose", "tx-default", "--limit", "6", *FOR_AN_HOUR]
    [request], [record], [kept] = await set_profiles(tmp_path, capsys, asked)
    sent = request["charging_profile"]
    assert request["evse_id"] == 1
    assert (sent["charging_profile_purpose"], sent["charging_profile_kind"]) == (
        "TxDefaultProfile", "Absolute"
    )  # fmt: skip
    assert sent["valid_from"] and sent["valid_to"] and sent["charging_schedule"][0]["duration"]
    assert sent["charging_schedule"][0]["start_schedule"]
    assert (period(request)["start_period"], period(request)["limit"]) == (0, 6.0)
    assert (record.status, record.response) == ("accepted", ACCEPTED)
    assert (kept.connector_id, kept.charging_profile_id, kept.purpose) == (
        1, sent["id"], "TxDefaultProfile"
    )  # fmt: skip
    assert kept.profile == record.payload["chargingProfile"]


async def test_tc_k_02_csms(tmp_path, capsys):
    """A TxProfile on an EVSE without a transaction: Relative, no startSchedule, 7 A from 0;
    the station rejects it and the CSMS records the refusal.

    The CSMS composes a TxProfile only for the transaction its records show open on the
    EVSE (it names its transactionId): with none, it refuses at once and sends nothing.
    Here its records still show one (the station's Ended never came), while the station has
    none: it sends, the station rejects, and nothing is installed."""
    asked = ["--evse", "1", "--purpose", "tx", "--limit", "7", "--kind", "Relative"]
    async with csms(tmp_path, capsys) as system:
        system.seed()
        async with system.station(answers={"SetChargingProfile": {"status": "Rejected"}}) as cp:
            await cp.boot()
            code, _, err = await system.operator("charging-profiles", "set", "CP-1", *asked)
            assert code == 2 and "none is open on EVSE 1" in err
            assert cp.asked("SetChargingProfile") == 0 and system.rows(Command) == []
            await Transaction2(cp, "tx-gone").authorized(token("TAG-1"))
            code, _, record = await operate(system, "charging-profiles", "set", "CP-1", *asked)
            request = await cp.request("SetChargingProfile")
        assert installed(system) == []
    sent = request["charging_profile"]
    assert (sent["charging_profile_purpose"], sent["charging_profile_kind"]) == (
        "TxProfile", "Relative"
    )  # fmt: skip
    assert sent["transaction_id"] == "tx-gone"
    assert "start_schedule" not in sent["charging_schedule"][0]
    assert (period(request)["start_period"], period(request)["limit"]) == (0, 7.0)
    assert code == 1
    assert (record.status, record.response) == ("rejected", {"status": "Rejected"})


async def test_tc_k_03_csms(tmp_path, capsys):
    """Set a ChargingStationMaxProfile: on EVSE 0, Absolute, 8 A from 0, with validFrom,
    validTo and startSchedule; the station accepts."""
    asked = ["--evse", "0", "--purpose", "max", "--limit", "8", *FOR_AN_HOUR]
    [request], [record], [kept] = await set_profiles(tmp_path, capsys, asked)
    sent = request["charging_profile"]
    assert request["evse_id"] == 0
    assert (sent["charging_profile_purpose"], sent["charging_profile_kind"]) == (
        "ChargingStationMaxProfile", "Absolute"
    )  # fmt: skip
    assert sent["valid_from"] and sent["valid_to"]
    assert sent["charging_schedule"][0]["start_schedule"]
    assert period(request)["limit"] == 8.0
    assert (record.status, record.response) == ("accepted", ACCEPTED)
    assert (kept.connector_id, kept.purpose) == (0, "ChargingStationMaxProfile")


async def test_tc_k_04_csms(tmp_path, capsys):
    """Replace a charging profile: the same id, purpose, kind and stack level sent again
    with a new limit (8 A, then 6 A), one period each; both accepted and recorded, the
    second installed in place of the first."""
    same = ["--evse", "1", "--purpose", "tx-default", "--id", "5", *FOR_AN_HOUR]
    requests, records, [kept] = await set_profiles(
        tmp_path, capsys, [*same, "--limit", "8"], [*same, "--limit", "6"]
    )
    assert [period(r)["limit"] for r in requests] == [8.0, 6.0]
    for request in requests:
        sent = request["charging_profile"]
        assert (sent["id"], sent["stack_level"], sent["charging_profile_kind"]) == (
            5, 0, "Absolute"
        )  # fmt: skip
        assert len(sent["charging_schedule"][0]["charging_schedule_period"]) == 1
        assert sent["charging_schedule"][0]["start_schedule"]
        assert "recurrency_kind" not in sent
    assert [r.status for r in records] == ["accepted", "accepted"]
    assert kept.profile == records[1].payload["chargingProfile"]


async def clear(tmp_path, capsys, asked: list[str], answer: dict, report: bool = False):
    """The operator clears profiles (`charging-profiles clear CP-1 <asked>`), having read
    the station's profiles (`charging-profiles get`, answered by a report of a CSO profile,
    id 9, on EVSE 1) when `report`. What the station was asked, the record, the reports kept
    and the profiles installed before and after."""
    answers = {"ClearChargingProfile": answer, "GetChargingProfiles": ACCEPTED}
    async with csms(tmp_path, capsys) as system:
        system.seed()
        async with system.station(answers=answers) as cp:
            await cp.boot()
            if report:
                code, out, _ = await operate(system, "charging-profiles", "get", "CP-1")
                assert code == 0, out
                asked_for = await cp.request("GetChargingProfiles")
                assert asked_for["charging_profile"] == {} and "evse_id" not in asked_for
                await cp.call(call.ReportChargingProfiles(
                    request_id=asked_for["request_id"], charging_limit_source="CSO", evse_id=1,
                    charging_profile=[snake(profile("TxDefaultProfile", 6.0, id_=9))],
                ))  # fmt: skip
            before = installed(system)
            code, out, record = await operate(system, "charging-profiles", "clear", "CP-1", *asked)
            return (
                await cp.request("ClearChargingProfile"),
                record,
                system.rows(
                    StationNotification, StationNotification.action == "ReportChargingProfiles"
                ),
                (before, installed(system)),
            )


async def test_tc_k_05_csms(tmp_path, capsys):
    """Clear a charging profile by its id: the CSMS reads the station's profiles (a report
    it keeps, its own profile installed as reported), then clears the reported one by
    chargingProfileId without criteria; the station accepts, and the profile is cleared."""
    request, record, [report], (before, after) = await clear(
        tmp_path, capsys, ["--id", "9"], ACCEPTED, report=True
    )
    assert request == {"charging_profile_id": 9}
    assert report.payload["chargingProfile"][0]["id"] == 9
    assert [(p.charging_profile_id, p.connector_id) for p in before] == [(9, 1)]
    assert after == []
    assert (record.status, record.payload, record.response) == (
        "accepted", {"chargingProfileId": 9}, ACCEPTED
    )  # fmt: skip


CRITERIA = ["--evse", "1", "--purpose", "tx-default", "--stack-level", "0"]


async def test_tc_k_06_csms(tmp_path, capsys):
    """Clear a charging profile by stack level and purpose: criteria TxDefaultProfile, the
    EVSE and the stack level; the station accepts."""
    request, record, _, _ = await clear(tmp_path, capsys, CRITERIA, ACCEPTED)
    criteria = request["charging_profile_criteria"]
    assert (criteria["charging_profile_purpose"], criteria["stack_level"], criteria["evse_id"]) == (
        "TxDefaultProfile", 0, 1
    )  # fmt: skip
    assert (record.status, record.response) == ("accepted", ACCEPTED)


async def test_tc_k_08_csms(tmp_path, capsys):
    """Clear a charging profile where there is none: the station answers Unknown; the CSMS
    keeps that answer."""
    request, record, _, _ = await clear(tmp_path, capsys, CRITERIA, {"status": "Unknown"})
    assert request["charging_profile_criteria"]["charging_profile_purpose"] == "TxDefaultProfile"
    assert record.response == {"status": "Unknown"} and record.status != "error"


async def test_tc_k_10_csms(tmp_path, capsys):
    """Set a TxDefaultProfile for all EVSEs (evseId 0): Absolute, 6 A from 0, with validity
    and startSchedule; the station accepts."""
    asked = ["--evse", "0", "--purpose", "tx-default", "--limit", "6", *FOR_AN_HOUR]
    [request], [record], [kept] = await set_profiles(tmp_path, capsys, asked)
    sent = request["charging_profile"]
    assert request["evse_id"] == 0 and sent["charging_profile_purpose"] == "TxDefaultProfile"
    assert sent["valid_from"] and sent["valid_to"]
    assert sent["charging_schedule"][0]["start_schedule"]
    assert (period(request)["start_period"], period(request)["limit"]) == (0, 6.0)
    assert (record.status, record.response) == ("accepted", ACCEPTED)
    assert (kept.connector_id, kept.purpose) == (0, "TxDefaultProfile")


async def test_tc_k_15_csms(tmp_path, capsys):
    """SetChargingProfile not supported: the station answers a CALLERROR NotSupported; the
    CSMS records the command as failed with that code and tells the operator."""

    def not_supported(_request):
        raise NotSupportedError("no smart charging here")

    asked = ["--evse", "1", "--purpose", "tx-default", "--limit", "6", *FOR_AN_HOUR]
    async with csms(tmp_path, capsys) as system:
        system.seed()
        async with system.station(answers={"SetChargingProfile": not_supported}) as cp:
            await cp.boot()
            code, out, record = await operate(system, "charging-profiles", "set", "CP-1", *asked)
            assert out.splitlines()[-1].startswith("error")
            request = await cp.request("SetChargingProfile")
        assert installed(system) == []
    assert request["charging_profile"]["charging_profile_purpose"] == "TxDefaultProfile"
    assert code == 1
    assert (record.status, record.error_code) == ("error", "NotSupported")


async def test_tc_k_19_csms(tmp_path, capsys):
    """A Recurring TxDefaultProfile: kind Recurring with its recurrencyKind (Daily), first
    period at 0; the station accepts."""
    asked = ["--evse", "1", "--purpose", "tx-default", "--limit", "6", "--phases", "1",
             "--duration", "3600", "--kind", "Recurring", "--recurrency", "Daily",
             "--start", "2026-12-01T06:00:00Z"]  # fmt: skip
    [request], [record], _ = await set_profiles(tmp_path, capsys, asked)
    sent = request["charging_profile"]
    assert (sent["charging_profile_kind"], sent["recurrency_kind"]) == ("Recurring", "Daily")
    assert sent["charging_schedule"][0]["start_schedule"] == "2026-12-01T06:00:00Z"
    assert period(request)["start_period"] == 0
    assert (record.status, record.response) == ("accepted", ACCEPTED)


async def get_profiles(tmp_path, capsys, asked: list[str], reports: list[dict], charging=False):
    """The operator asks for the station's profiles (`charging-profiles get CP-1 <asked>`);
    the station accepts and reports its profiles (`reports`: ReportChargingProfiles fields
    besides the requestId, which is the CSMS's). What it was asked, the command's record,
    the reports kept, the profiles installed."""
    async with csms(tmp_path, capsys) as system:
        system.seed()
        async with system.station(answers={"GetChargingProfiles": ACCEPTED}) as cp:
            await cp.boot()
            if charging:
                tx = Transaction2(cp)
                await tx.authorized(token("TAG-1"))
                await tx.energy_transfer_started()
            code, out, record = await operate(system, "charging-profiles", "get", "CP-1", *asked)
            assert code == 0, out
            request = await cp.request("GetChargingProfiles")
            assert snake(record.payload) == request
            for report in reports:
                answer = await cp.call(
                    call.ReportChargingProfiles(request_id=request["request_id"], **snake(report))
                )
                assert answer is not None  # a CALLERROR raises
            kept = system.rows(
                StationNotification, StationNotification.action == "ReportChargingProfiles"
            )
            return request, record, [row.payload for row in kept], installed(system)


def report(evse_id: int, *profiles: dict, source: str = "CSO", tbc: bool = False) -> dict:
    return {"chargingLimitSource": source, "evseId": evse_id, "chargingProfile": list(profiles),
            **({"tbc": True} if tbc else {})}  # fmt: skip


async def check_report(tmp_path, capsys, asked: list[str], evse_id: int | None, **kw):
    """Criteria asked (on `evse_id`, if any): a report of one CSO TxDefaultProfile, kept as
    sent with the CSMS's requestId, its profile installed on the EVSE reported."""
    reported = report(evse_id or 1, profile("TxDefaultProfile", 6.0))
    where = [] if evse_id is None else ["--evse", str(evse_id)]
    request, record, kept, [own] = await get_profiles(
        tmp_path, capsys, [*where, *asked], [reported], **kw
    )
    request_id = record.payload["requestId"]
    assert request["request_id"] == request_id > 0
    assert (record.status, record.response) == ("accepted", ACCEPTED)
    assert kept == [{"requestId": request_id, **reported}]
    assert (own.connector_id, own.charging_profile_id, own.profile) == (
        evse_id or 1, 1, reported["chargingProfile"][0]
    )  # fmt: skip
    return request


async def test_tc_k_29_csms(tmp_path, capsys):
    """Get charging profiles of EVSE 0 by purpose, during a transaction: the station accepts
    and reports them with the requestId; the CSMS answers the report and keeps it."""
    request = await check_report(tmp_path, capsys, ["--purpose", "max"], 0, charging=True)
    assert request["evse_id"] == 0
    assert request["charging_profile"]["charging_profile_purpose"] == "ChargingStationMaxProfile"


async def test_tc_k_30_csms(tmp_path, capsys):
    """Get charging profiles of one EVSE (> 0): reported and kept."""
    request = await check_report(tmp_path, capsys, [], 1)
    assert request["evse_id"] == 1 and request["charging_profile"] == {}


async def test_tc_k_31_csms(tmp_path, capsys):
    """Get charging profiles without an EVSE: the station reports each EVSE's profiles in
    its own ReportChargingProfiles (tbc until the last); each is answered and kept."""
    reports = [report(0, profile("ChargingStationMaxProfile", 16.0, id_=1), tbc=True),
               report(1, profile("TxDefaultProfile", 6.0, id_=2), tbc=True),
               report(2, profile("TxDefaultProfile", 6.0, id_=3))]  # fmt: skip
    request, record, kept, own = await get_profiles(tmp_path, capsys, [], reports)
    assert "evse_id" not in request and request["charging_profile"] == {}
    assert record.status == "accepted"
    assert kept == [{"requestId": request["request_id"], **r} for r in reports]
    assert sorted((p.connector_id, p.charging_profile_id) for p in own) == [(0, 1), (1, 2), (2, 3)]


async def test_tc_k_32_csms(tmp_path, capsys):
    """Get a charging profile by its id: the request names the chargingProfileId and a
    requestId; the report is kept."""
    request = await check_report(tmp_path, capsys, ["--id", "1"], None)
    assert request["charging_profile"]["charging_profile_id"] == [1]
    assert "evse_id" not in request


async def test_tc_k_33_csms(tmp_path, capsys):
    """Get charging profiles of an EVSE at a stack level."""
    request = await check_report(tmp_path, capsys, ["--stack-level", "0"], 1)
    assert (request["evse_id"], request["charging_profile"]["stack_level"]) == (1, 0)


async def test_tc_k_34_csms(tmp_path, capsys):
    """Get charging profiles of an EVSE by charging limit source."""
    request = await check_report(tmp_path, capsys, ["--source", "CSO"], 1)
    assert (request["evse_id"], request["charging_profile"]["charging_limit_source"]) == (
        1, ["CSO"]
    )  # fmt: skip


async def test_tc_k_35_csms(tmp_path, capsys):
    """Get charging profiles of an EVSE by purpose."""
    request = await check_report(tmp_path, capsys, ["--purpose", "tx-default"], 1)
    assert request["evse_id"] == 1
    assert request["charging_profile"]["charging_profile_purpose"] == "TxDefaultProfile"


async def test_tc_k_36_csms(tmp_path, capsys):
    """Get charging profiles of an EVSE by purpose and stack level together."""
    asked = ["--purpose", "tx-default", "--stack-level", "0"]
    request = await check_report(tmp_path, capsys, asked, 1)
    wanted = request["charging_profile"]
    assert (request["evse_id"], wanted["charging_profile_purpose"], wanted["stack_level"]) == (
        1, "TxDefaultProfile", 0
    )  # fmt: skip


async def test_tc_k_37_csms(tmp_path, capsys):
    """Remote start with a charging profile: RequestStartTransaction with the token, the EVSE
    and a TxProfile without transactionId (Relative: no startSchedule); the station accepts
    and starts the transaction (RemoteStart, remoteStartId); the CSMS answers Accepted and
    the transaction keeps its remoteStartId."""
    charging_profile = profile("TxProfile", 16.0, kind="Relative")
    profile_file = tmp_path / "tx-profile.json"
    profile_file.write_text(json.dumps(charging_profile))
    async with csms(tmp_path, capsys) as system:
        system.seed()
        async with system.station(answers={"RequestStartTransaction": ACCEPTED}) as cp:
            await cp.boot()
            code, out, record = await operate(
                system, "remote-start", "CP-1", "TAG-1", "--token-type", "ISO14443",
                "--evse", "1", "--charging-profile", str(profile_file),
            )  # fmt: skip
            assert code == 0, out
            request = await cp.request("RequestStartTransaction")
            tx = Transaction2(cp)
            started = await tx.event("Started", "RemoteStart", token("TAG-1"),
                                     remote_start_id=request["remote_start_id"])  # fmt: skip
            assert started.id_token_info["status"] == "Accepted"
    assert request["id_token"] == {"id_token": "TAG-1", "type": "ISO14443"}
    assert request["evse_id"] == 1
    sent = request["charging_profile"]
    assert sent["charging_profile_purpose"] == "TxProfile" and "transaction_id" not in sent
    assert "start_schedule" not in sent["charging_schedule"][0]
    assert record.status == "accepted"
    assert record.payload == {
        "idToken": {"idToken": "TAG-1", "type": "ISO14443"}, "evseId": 1,
        "remoteStartId": request["remote_start_id"], "chargingProfile": charging_profile,
    }  # fmt: skip
    [stored] = system.rows(Transaction)
    assert (stored.remote_start_id, stored.id_tag) == (request["remote_start_id"], "TAG-1")


async def composite(tmp_path, capsys, evse_id: int):
    """The operator asks for an EVSE's composite schedule over 300 s in A; the station
    answers with one. The schedule answered, as the record keeps it and as kept for the
    EVSE."""
    schedule = {"evse_id": evse_id, "duration": 300, "schedule_start": now(),
                "charging_rate_unit": "A",
                "charging_schedule_period": [{"start_period": 0, "limit": 10.0}]}  # fmt: skip
    answers = {"GetCompositeSchedule": {"status": "Accepted", "schedule": schedule}}
    asked = ["--evse", str(evse_id), "--duration", "300", "--unit", "A"]
    async with csms(tmp_path, capsys) as system:
        system.seed()
        async with system.station(answers=answers) as cp:
            await cp.boot()
            code, out, record = await operate(system, "composite-schedule", "CP-1", *asked)
            assert code == 0, out
            request = await cp.request("GetCompositeSchedule")
        [kept] = system.rows(CompositeSchedule)
    assert request == {"duration": 300, "evse_id": evse_id, "charging_rate_unit": "A"}
    assert record.response["status"] == "Accepted"
    assert (kept.connector_id, kept.duration, kept.charging_rate_unit, kept.status) == (
        evse_id, 300, "A", "Accepted"
    )  # fmt: skip
    assert kept.response == record.response
    return record.response["schedule"]


async def test_tc_k_43_csms(tmp_path, capsys):
    """Get the composite schedule of one EVSE: duration and rate unit asked; the station's
    schedule (EVSE 1, 300 s, 10 A from 0) is kept as answered."""
    schedule = await composite(tmp_path, capsys, 1)
    assert (schedule["evseId"], schedule["duration"]) == (1, 300)
    assert schedule["chargingSchedulePeriod"] == [{"startPeriod": 0, "limit": 10.0}]


async def test_tc_k_44_csms(tmp_path, capsys):
    """Get the composite schedule of the whole station (EVSE 0)."""
    schedule = await composite(tmp_path, capsys, 0)
    assert (schedule["evseId"], schedule["duration"]) == (0, 300)


async def notifications(system, action: str) -> list[dict]:
    return [row.payload for row in system.rows(
        StationNotification, StationNotification.action == action)]  # fmt: skip


async def test_tc_k_48_csms(tmp_path, capsys):
    """An external limit set, no transaction: the station reports an EMS limit with
    NotifyChargingLimit; the CSMS answers and keeps the report as sent."""
    async with csms(tmp_path, capsys) as system:
        system.seed()
        async with system.station() as cp:
            await cp.boot()
            limit = {"charging_limit_source": "EMS", "is_grid_critical": False}
            assert await cp.call(call.NotifyChargingLimit(charging_limit=limit, evse_id=1))
        kept = await notifications(system, "NotifyChargingLimit")
        assert kept == [{"chargingLimit": {"chargingLimitSource": "EMS", "isGridCritical": False},
                         "evseId": 1}]  # fmt: skip


async def test_tc_k_50_csms(tmp_path, capsys):
    """An external limit released, no transaction: ClearedChargingLimit (EMS) is answered and
    kept."""
    async with csms(tmp_path, capsys) as system:
        system.seed()
        async with system.station() as cp:
            await cp.boot()
            assert await cp.call(call.ClearedChargingLimit(charging_limit_source="EMS"))
        assert await notifications(system, "ClearedChargingLimit") == [
            {"chargingLimitSource": "EMS"}
        ]


async def test_tc_k_51_csms(tmp_path, capsys):
    """An external limit released during a transaction: ClearedChargingLimit (EMS), then the
    transaction's ChargingRateChanged event; both answered and kept."""
    async with csms(tmp_path, capsys) as system:
        system.seed()
        async with system.station() as cp:
            await cp.boot()
            tx = Transaction2(cp)
            await tx.authorized(token("TAG-1"))
            await tx.energy_transfer_started()
            cleared = call.ClearedChargingLimit(charging_limit_source="EMS", evse_id=1)
            assert await cp.call(cleared)
            assert await tx.event("Updated", "ChargingRateChanged") is not None
        assert await notifications(system, "ClearedChargingLimit") == [
            {"chargingLimitSource": "EMS", "evseId": 1}
        ]
        rate = TransactionEvent.trigger_reason == "ChargingRateChanged"
        assert len(system.rows(TransactionEvent, rate)) == 1


async def test_tc_k_52_csms(tmp_path, capsys):
    """An external limit in a report: after GetChargingProfiles the station reports a
    ChargingStationExternalConstraints profile; the CSMS answers and keeps it as sent (an
    EMS's profile, not one of the CSMS's to keep as installed)."""
    external = report(0, profile("ChargingStationExternalConstraints", 20.0), source="EMS")
    request, record, kept, own = await get_profiles(tmp_path, capsys, [], [external])
    assert record.status == "accepted"
    assert kept == [{"requestId": request["request_id"], **external}]
    assert kept[0]["chargingProfile"][0]["chargingProfilePurpose"] == (
        "ChargingStationExternalConstraints"
    )
    assert own == []


async def test_tc_k_60_csms(tmp_path, capsys):
    """A TxProfile during a transaction: on its EVSE, naming the running transaction's id
    (the CSMS finds it open there; Absolute: with startSchedule); the station accepts, and
    the profile is installed for that transaction."""
    asked = ["--evse", "1", "--purpose", "tx", "--limit", "10", *FOR_AN_HOUR]
    [request], [record], [kept] = await set_profiles(tmp_path, capsys, asked, charging=True)
    sent = request["charging_profile"]
    assert request["evse_id"] == 1
    assert (sent["charging_profile_purpose"], sent["transaction_id"]) == ("TxProfile", "tx-1")
    assert sent["charging_profile_kind"] == "Absolute"
    assert sent["charging_schedule"][0]["start_schedule"]
    assert (record.status, record.response) == ("accepted", ACCEPTED)
    # Bound to tx-1, the one transaction there is (ours is 1).
    assert (kept.purpose, kept.connector_id, kept.transaction_id) == ("TxProfile", 1, 1)


async def test_tc_k_70_csms(tmp_path, capsys):
    """Several charging profiles during a transaction: a TxDefaultProfile, then a
    ChargingStationMaxProfile of another id (the next the CSMS has free); both accepted,
    recorded and installed."""
    default = ["--evse", "1", "--purpose", "tx-default", "--limit", "16", *FOR_AN_HOUR]
    maximum = ["--evse", "0", "--purpose", "max", "--limit", "32", *FOR_AN_HOUR]
    requests, records, kept = await set_profiles(tmp_path, capsys, default, maximum, charging=True)
    first, second = (r["charging_profile"] for r in requests)
    assert first["charging_profile_purpose"] == "TxDefaultProfile"
    assert second["charging_profile_purpose"] == "ChargingStationMaxProfile"
    assert (first["id"], second["id"]) == (1, 2) and second["charging_profile_kind"] == "Absolute"
    assert all(p["charging_schedule"][0]["start_schedule"] for p in (first, second))
    assert [r.status for r in records] == ["accepted", "accepted"]
    assert sorted((p.charging_profile_id, p.connector_id) for p in kept) == [(1, 1), (2, 0)]
