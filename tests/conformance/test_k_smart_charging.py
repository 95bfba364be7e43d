"""OCA 2.0.1 CSMS cases, block K (Smart charging); the ISO 15118 ones (K_53-59) apart.

A 2.x station's charging profiles are sent by the operator with `ocpp-cable send` (the
reference system keeps the installed profiles of 1.6 stations only); each command's record
keeps what was sent and the station's answer, and what the station reports of its limits
and profiles is kept in station_notifications as sent."""

from __future__ import annotations

from ocpp.exceptions import NotSupportedError
from ocpp.v201 import call

from ocpp_cable.channels.storage.models import StationNotification, Transaction, TransactionEvent
from tests.support.conformance import csms
from tests.support.conformance_flows import Transaction2, now, send, snake, token

ACCEPTED = {"status": "Accepted"}


def profile(purpose: str, limit: float, kind: str = "Absolute", id_: int = 1, **extra) -> dict:
    """A 2.0.1 chargingProfile: one schedule of one period from 0 at `limit` A, an hour long
    (Absolute: from now, valid for that hour)."""
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


async def set_profiles(tmp_path, capsys, *payloads: dict, answer=ACCEPTED, charging=False):
    """The operator sends each SetChargingProfile in turn (with a transaction charging on
    EVSE 1 first when `charging`); the station answers `answer`. What the station was asked,
    and the commands' records."""
    async with csms(tmp_path, capsys) as system:
        system.seed()
        async with system.station(answers={"SetChargingProfile": answer}) as cp:
            await cp.boot()
            if charging:
                tx = Transaction2(cp)
                await tx.authorized(token("TAG-1"))
                await tx.energy_transfer_started()
            records = [(await send(system, "SetChargingProfile", p))[2] for p in payloads]
            requests = [await cp.request("SetChargingProfile", n + 1) for n in range(len(payloads))]
            return requests, records


async def test_tc_k_01_csms(tmp_path, capsys):
    """Set a TxDefaultProfile on one EVSE: Absolute, valid from now for the schedule's
    duration, starting now, its first period at 0 with 6 A; the station accepts and the
    record keeps the profile and the answer."""
    payload = {"evseId": 1, "chargingProfile": profile("TxDefaultProfile", 6.0)}
    [request], [record] = await set_profiles(tmp_path, capsys, payload)
    sent = request["charging_profile"]
    assert request["evse_id"] == 1
    assert (sent["charging_profile_purpose"], sent["charging_profile_kind"]) == (
        "TxDefaultProfile", "Absolute"
    )  # fmt: skip
    assert sent["valid_from"] and sent["valid_to"] and sent["charging_schedule"][0]["duration"]
    assert sent["charging_schedule"][0]["start_schedule"]
    assert (period(request)["start_period"], period(request)["limit"]) == (0, 6.0)
    assert (record.status, record.payload, record.response) == ("accepted", payload, ACCEPTED)


async def test_tc_k_02_csms(tmp_path, capsys):
    """A TxProfile on an EVSE without a transaction: Relative, no startSchedule, 7 A from 0;
    the station rejects it and the CSMS records the refusal."""
    payload = {"evseId": 1, "chargingProfile": profile("TxProfile", 7.0, kind="Relative")}
    [request], [record] = await set_profiles(tmp_path, capsys, payload,
                                             answer={"status": "Rejected"})  # fmt: skip
    sent = request["charging_profile"]
    assert (sent["charging_profile_purpose"], sent["charging_profile_kind"]) == (
        "TxProfile", "Relative"
    )  # fmt: skip
    assert "start_schedule" not in sent["charging_schedule"][0]
    assert (period(request)["start_period"], period(request)["limit"]) == (0, 7.0)
    assert (record.status, record.response) == ("rejected", {"status": "Rejected"})


async def test_tc_k_03_csms(tmp_path, capsys):
    """Set a ChargingStationMaxProfile: on EVSE 0, Absolute, 8 A from 0, with validFrom,
    validTo and startSchedule; the station accepts."""
    payload = {"evseId": 0, "chargingProfile": profile("ChargingStationMaxProfile", 8.0)}
    [request], [record] = await set_profiles(tmp_path, capsys, payload)
    sent = request["charging_profile"]
    assert request["evse_id"] == 0
    assert (sent["charging_profile_purpose"], sent["charging_profile_kind"]) == (
        "ChargingStationMaxProfile", "Absolute"
    )  # fmt: skip
    assert sent["valid_from"] and sent["valid_to"]
    assert sent["charging_schedule"][0]["start_schedule"]
    assert period(request)["limit"] == 8.0
    assert (record.status, record.payload, record.response) == ("accepted", payload, ACCEPTED)


async def test_tc_k_04_csms(tmp_path, capsys):
    """Replace a charging profile: the same id, purpose, kind and stack level sent again
    with a new limit (8 A, then 6 A), one period each; both accepted and recorded."""
    first = {"evseId": 1, "chargingProfile": profile("TxDefaultProfile", 8.0, id_=5)}
    second = {"evseId": 1, "chargingProfile": profile("TxDefaultProfile", 6.0, id_=5)}
    requests, records = await set_profiles(tmp_path, capsys, first, second)
    assert [period(r)["limit"] for r in requests] == [8.0, 6.0]
    for request in requests:
        sent = request["charging_profile"]
        assert (sent["id"], sent["stack_level"], sent["charging_profile_kind"]) == (
            5, 0, "Absolute"
        )  # fmt: skip
        assert len(sent["charging_schedule"][0]["charging_schedule_period"]) == 1
        assert sent["charging_schedule"][0]["start_schedule"]
        assert "recurrency_kind" not in sent
    assert [(r.status, r.payload) for r in records] == [
        ("accepted", first), ("accepted", second)
    ]  # fmt: skip


async def clear(tmp_path, capsys, payload: dict, answer: dict, report: bool = False):
    """The operator sends ClearChargingProfile (having read the station's profiles with
    GetChargingProfiles, answered by a report, when `report`)."""
    answers = {"ClearChargingProfile": answer, "GetChargingProfiles": ACCEPTED}
    async with csms(tmp_path, capsys) as system:
        system.seed()
        async with system.station(answers=answers) as cp:
            await cp.boot()
            if report:
                code, out, _ = await send(
                    system, "GetChargingProfiles", {"requestId": 1, "chargingProfile": {}}
                )
                assert code == 0, out
                await cp.call(call.ReportChargingProfiles(
                    request_id=1, charging_limit_source="CSO", evse_id=1,
                    charging_profile=[snake(profile("TxDefaultProfile", 6.0, id_=9))],
                ))  # fmt: skip
            code, out, record = await send(system, "ClearChargingProfile", payload)
            return (
                await cp.request("ClearChargingProfile"),
                record,
                system.rows(
                    StationNotification, StationNotification.action == "ReportChargingProfiles"
                ),
            )


async def test_tc_k_05_csms(tmp_path, capsys):
    """Clear a charging profile by its id: the CSMS reads the station's profiles (a report
    it keeps), then clears the reported one by chargingProfileId without criteria; the
    station accepts."""
    payload = {"chargingProfileId": 9}
    request, record, [report] = await clear(tmp_path, capsys, payload, ACCEPTED, report=True)
    assert request == {"charging_profile_id": 9}
    assert report.payload["chargingProfile"][0]["id"] == 9
    assert (record.status, record.payload, record.response) == ("accepted", payload, ACCEPTED)


CRITERIA = {"chargingProfileCriteria": {"evseId": 1, "chargingProfilePurpose": "TxDefaultProfile",
                                        "stackLevel": 0}}  # fmt: skip


async def test_tc_k_06_csms(tmp_path, capsys):
    """Clear a charging profile by stack level and purpose: criteria TxDefaultProfile, the
    EVSE and the stack level; the station accepts."""
    request, record, _ = await clear(tmp_path, capsys, CRITERIA, ACCEPTED)
    criteria = request["charging_profile_criteria"]
    assert (criteria["charging_profile_purpose"], criteria["stack_level"], criteria["evse_id"]) == (
        "TxDefaultProfile", 0, 1
    )  # fmt: skip
    assert (record.status, record.response) == ("accepted", ACCEPTED)


async def test_tc_k_08_csms(tmp_path, capsys):
    """Clear a charging profile where there is none: the station answers Unknown; the CSMS
    keeps that answer."""
    request, record, _ = await clear(tmp_path, capsys, CRITERIA, {"status": "Unknown"})
    assert request["charging_profile_criteria"]["charging_profile_purpose"] == "TxDefaultProfile"
    assert record.response == {"status": "Unknown"} and record.status != "error"


async def test_tc_k_10_csms(tmp_path, capsys):
    """Set a TxDefaultProfile for all EVSEs (evseId 0): Absolute, 6 A from 0, with validity
    and startSchedule; the station accepts."""
    payload = {"evseId": 0, "chargingProfile": profile("TxDefaultProfile", 6.0)}
    [request], [record] = await set_profiles(tmp_path, capsys, payload)
    sent = request["charging_profile"]
    assert request["evse_id"] == 0 and sent["charging_profile_purpose"] == "TxDefaultProfile"
    assert sent["valid_from"] and sent["valid_to"]
    assert sent["charging_schedule"][0]["start_schedule"]
    assert (period(request)["start_period"], period(request)["limit"]) == (0, 6.0)
    assert (record.status, record.payload, record.response) == ("accepted", payload, ACCEPTED)


async def test_tc_k_15_csms(tmp_path, capsys):
    """SetChargingProfile not supported: the station answers a CALLERROR NotSupported; the
    CSMS records the command as failed with that code and tells the operator."""

    def not_supported(_request):
        raise NotSupportedError("no smart charging here")

    payload = {"evseId": 1, "chargingProfile": profile("TxDefaultProfile", 6.0)}
    async with csms(tmp_path, capsys) as system:
        system.seed()
        async with system.station(answers={"SetChargingProfile": not_supported}) as cp:
            await cp.boot()
            code, out, record = await send(system, "SetChargingProfile", payload)
            assert out.splitlines()[-1].startswith("error")
            request = await cp.request("SetChargingProfile")
    assert request["charging_profile"]["charging_profile_purpose"] == "TxDefaultProfile"
    assert code == 1
    assert (record.status, record.error_code) == ("error", "NotSupported")


async def test_tc_k_19_csms(tmp_path, capsys):
    """A Recurring TxDefaultProfile: kind Recurring with its recurrencyKind (Daily), first
    period at 0; the station accepts."""
    recurring = profile("TxDefaultProfile", 6.0, kind="Recurring", recurrencyKind="Daily")
    recurring["chargingSchedule"][0]["startSchedule"] = "2026-12-01T06:00:00Z"
    payload = {"evseId": 1, "chargingProfile": recurring}
    [request], [record] = await set_profiles(tmp_path, capsys, payload)
    sent = request["charging_profile"]
    assert (sent["charging_profile_kind"], sent["recurrency_kind"]) == ("Recurring", "Daily")
    assert period(request)["start_period"] == 0
    assert (record.status, record.payload, record.response) == ("accepted", payload, ACCEPTED)


async def get_profiles(tmp_path, capsys, payload: dict, reports: list[dict], charging=False):
    """The operator sends GetChargingProfiles; the station accepts and reports its profiles
    (`reports`: ReportChargingProfiles fields besides the requestId). What it was asked, the
    command's record, the reports kept."""
    async with csms(tmp_path, capsys) as system:
        system.seed()
        async with system.station(answers={"GetChargingProfiles": ACCEPTED}) as cp:
            await cp.boot()
            if charging:
                tx = Transaction2(cp)
                await tx.authorized(token("TAG-1"))
                await tx.energy_transfer_started()
            code, out, record = await send(system, "GetChargingProfiles", payload)
            assert code == 0, out
            request = await cp.request("GetChargingProfiles")
            for report in reports:
                answer = await cp.call(
                    call.ReportChargingProfiles(request_id=request["request_id"], **snake(report))
                )
                assert answer is not None  # a CALLERROR raises
            kept = system.rows(
                StationNotification, StationNotification.action == "ReportChargingProfiles"
            )
            return request, record, [row.payload for row in kept]


def report(evse_id: int, *profiles: dict, source: str = "CSO", tbc: bool = False) -> dict:
    return {"chargingLimitSource": source, "evseId": evse_id, "chargingProfile": list(profiles),
            **({"tbc": True} if tbc else {})}  # fmt: skip


async def check_report(tmp_path, capsys, criteria: dict, evse_id: int | None, **kw):
    payload = {"requestId": 42, "chargingProfile": criteria}
    if evse_id is not None:
        payload["evseId"] = evse_id
    reported = report(evse_id or 1, profile("TxDefaultProfile", 6.0))
    request, record, kept = await get_profiles(tmp_path, capsys, payload, [reported], **kw)
    assert (record.status, record.payload, record.response) == ("accepted", payload, ACCEPTED)
    assert kept == [{"requestId": 42, **reported}]
    return request


async def test_tc_k_29_csms(tmp_path, capsys):
    """Get charging profiles of EVSE 0 by purpose, during a transaction: the station accepts
    and reports them with the requestId; the CSMS answers the report and keeps it."""
    criteria = {"chargingProfilePurpose": "ChargingStationMaxProfile"}
    request = await check_report(tmp_path, capsys, criteria, 0, charging=True)
    assert request["evse_id"] == 0
    assert request["charging_profile"]["charging_profile_purpose"] == "ChargingStationMaxProfile"


async def test_tc_k_30_csms(tmp_path, capsys):
    """Get charging profiles of one EVSE (> 0): reported and kept."""
    request = await check_report(tmp_path, capsys, {}, 1)
    assert request["evse_id"] == 1


async def test_tc_k_31_csms(tmp_path, capsys):
    """Get charging profiles without an EVSE: the station reports each EVSE's profiles in
    its own ReportChargingProfiles (tbc until the last); each is answered and kept."""
    payload = {"requestId": 43, "chargingProfile": {}}
    reports = [report(0, profile("ChargingStationMaxProfile", 16.0, id_=1), tbc=True),
               report(1, profile("TxDefaultProfile", 6.0, id_=2), tbc=True),
               report(2, profile("TxDefaultProfile", 6.0, id_=3))]  # fmt: skip
    request, record, kept = await get_profiles(tmp_path, capsys, payload, reports)
    assert "evse_id" not in request
    assert record.status == "accepted"
    assert kept == [{"requestId": 43, **r} for r in reports]


async def test_tc_k_32_csms(tmp_path, capsys):
    """Get a charging profile by its id: the request names the chargingProfileId and a
    requestId; the report is kept."""
    request = await check_report(tmp_path, capsys, {"chargingProfileId": [1]}, None)
    assert request["charging_profile"]["charging_profile_id"] == [1]
    assert request["request_id"] == 42


async def test_tc_k_33_csms(tmp_path, capsys):
    """Get charging profiles of an EVSE at a stack level."""
    request = await check_report(tmp_path, capsys, {"stackLevel": 0}, 1)
    assert (request["evse_id"], request["charging_profile"]["stack_level"]) == (1, 0)


async def test_tc_k_34_csms(tmp_path, capsys):
    """Get charging profiles of an EVSE by charging limit source."""
    request = await check_report(tmp_path, capsys, {"chargingLimitSource": ["CSO"]}, 1)
    assert (request["evse_id"], request["charging_profile"]["charging_limit_source"]) == (
        1, ["CSO"]
    )  # fmt: skip


async def test_tc_k_35_csms(tmp_path, capsys):
    """Get charging profiles of an EVSE by purpose."""
    request = await check_report(
        tmp_path, capsys, {"chargingProfilePurpose": "TxDefaultProfile"}, 1
    )
    assert request["evse_id"] == 1
    assert request["charging_profile"]["charging_profile_purpose"] == "TxDefaultProfile"


async def test_tc_k_36_csms(tmp_path, capsys):
    """Get charging profiles of an EVSE by purpose and stack level together."""
    criteria = {"chargingProfilePurpose": "TxDefaultProfile", "stackLevel": 0}
    request = await check_report(tmp_path, capsys, criteria, 1)
    wanted = request["charging_profile"]
    assert (request["evse_id"], wanted["charging_profile_purpose"], wanted["stack_level"]) == (
        1, "TxDefaultProfile", 0
    )  # fmt: skip


async def test_tc_k_37_csms(tmp_path, capsys):
    """Remote start with a charging profile: RequestStartTransaction with the token, the EVSE
    and a TxProfile without transactionId (Relative: no startSchedule); the station accepts
    and starts the transaction (RemoteStart, remoteStartId); the CSMS answers Accepted and
    the transaction keeps its remoteStartId."""
    payload = {"idToken": {"idToken": "TAG-1", "type": "ISO14443"}, "evseId": 1,
               "remoteStartId": 7,
               "chargingProfile": profile("TxProfile", 16.0, kind="Relative")}  # fmt: skip
    async with csms(tmp_path, capsys) as system:
        system.seed()
        async with system.station(answers={"RequestStartTransaction": ACCEPTED}) as cp:
            await cp.boot()
            code, out, record = await send(system, "RequestStartTransaction", payload)
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
    assert (record.status, record.payload) == ("accepted", payload)
    [stored] = system.rows(Transaction)
    assert (stored.remote_start_id, stored.id_tag) == (7, "TAG-1")


async def composite(tmp_path, capsys, evse_id: int):
    schedule = {"evse_id": evse_id, "duration": 300, "schedule_start": now(),
                "charging_rate_unit": "A",
                "charging_schedule_period": [{"start_period": 0, "limit": 10.0}]}  # fmt: skip
    payload = {"duration": 300, "evseId": evse_id, "chargingRateUnit": "A"}
    answers = {"GetCompositeSchedule": {"status": "Accepted", "schedule": schedule}}
    async with csms(tmp_path, capsys) as system:
        system.seed()
        async with system.station(answers=answers) as cp:
            await cp.boot()
            code, out, record = await send(system, "GetCompositeSchedule", payload)
            assert code == 0, out
            request = await cp.request("GetCompositeSchedule")
    assert request == {"duration": 300, "evse_id": evse_id, "charging_rate_unit": "A"}
    assert record.response["status"] == "Accepted"
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
    ChargingStationExternalConstraints profile; the CSMS answers and keeps it as sent."""
    payload = {"requestId": 44, "chargingProfile": {}}
    external = report(0, profile("ChargingStationExternalConstraints", 20.0), source="EMS")
    _, record, kept = await get_profiles(tmp_path, capsys, payload, [external])
    assert record.status == "accepted"
    assert kept == [{"requestId": 44, **external}]
    assert kept[0]["chargingProfile"][0]["chargingProfilePurpose"] == (
        "ChargingStationExternalConstraints"
    )


async def test_tc_k_60_csms(tmp_path, capsys):
    """A TxProfile during a transaction: on its EVSE, naming the running transaction's id
    (Absolute: with startSchedule); the station accepts."""
    tx_profile = profile("TxProfile", 10.0, transactionId="tx-1")
    payload = {"evseId": 1, "chargingProfile": tx_profile}
    [request], [record] = await set_profiles(tmp_path, capsys, payload, charging=True)
    sent = request["charging_profile"]
    assert request["evse_id"] == 1
    assert (sent["charging_profile_purpose"], sent["transaction_id"]) == ("TxProfile", "tx-1")
    assert sent["charging_profile_kind"] == "Absolute"
    assert sent["charging_schedule"][0]["start_schedule"]
    assert (record.status, record.payload, record.response) == ("accepted", payload, ACCEPTED)


async def test_tc_k_70_csms(tmp_path, capsys):
    """Several charging profiles during a transaction: a TxDefaultProfile, then a
    ChargingStationMaxProfile of another id; both accepted and recorded."""
    default = {"evseId": 1, "chargingProfile": profile("TxDefaultProfile", 16.0, id_=1)}
    maximum = {"evseId": 0, "chargingProfile": profile("ChargingStationMaxProfile", 32.0, id_=2)}
    requests, records = await set_profiles(tmp_path, capsys, default, maximum, charging=True)
    first, second = (r["charging_profile"] for r in requests)
    assert first["charging_profile_purpose"] == "TxDefaultProfile"
    assert second["charging_profile_purpose"] == "ChargingStationMaxProfile"
    assert first["id"] != second["id"] and second["charging_profile_kind"] == "Absolute"
    assert all(p["charging_schedule"][0]["start_schedule"] for p in (first, second))
    assert [(r.status, r.payload) for r in records] == [
        ("accepted", default), ("accepted", maximum)
    ]  # fmt: skip
