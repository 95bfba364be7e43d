"""channels/domain/charging_requests.py: smart charging requests composed in each version."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta, timezone

import pytest

from ocpp_cable.channels.domain import charging_requests as cr
from ocpp_cable.channels.domain.station_requests import Request, RequestProblem
from ocpp_cable.ocppj import versions

AT = datetime(2026, 12, 1, 10, 0, tzinfo=UTC)
NOW = "2026-12-01T10:00:00Z"
VERSIONS_2X = ("2.0.1", "2.1")


def valid(request: Request, version: str) -> dict:
    """`request` as the gateway will check it: valid against the version's schema."""
    versions.named(version).schemas.validate_request(request.action, request.payload)
    return request.payload


def intent(purpose: str = "tx-default", periods: str = "0:32", **fields) -> cr.ProfileIntent:
    return cr.ProfileIntent(purpose, cr.parse_periods(periods), **fields)


# --- SetChargingProfile ------------------------------------------------------------------------


def test_a_16_profile_on_a_connector():
    given = intent("tx-default", "0:32,600:16:1", stack_level=2, duration=3600,
                   valid_to=AT + timedelta(days=1))  # fmt: skip
    payload = valid(cr.set_profile("1.6", given, AT, cr.Known(7), connector=1), "1.6")
    assert payload == {
        "connectorId": 1,
        "csChargingProfiles": {
            "chargingProfileId": 7, "stackLevel": 2, "chargingProfilePurpose": "TxDefaultProfile",
            "chargingProfileKind": "Absolute", "validTo": "2026-12-02T10:00:00Z",
            "chargingSchedule": {
                "startSchedule": NOW, "duration": 3600, "chargingRateUnit": "A",
                "chargingSchedulePeriod": [{"startPeriod": 0, "limit": 32},
                                           {"startPeriod": 600, "limit": 16, "numberPhases": 1}],
            },
        },
    }  # fmt: skip


@pytest.mark.parametrize("version", VERSIONS_2X)
def test_a_2x_profile_on_an_evse(version):
    given = intent("tx-default", "0:6.5", phases=3, valid_from=AT, unit="W")
    payload = valid(cr.set_profile(version, given, AT, cr.Known(4), evse=2), version)
    assert payload == {
        "evseId": 2,
        "chargingProfile": {
            "id": 4, "stackLevel": 0, "chargingProfilePurpose": "TxDefaultProfile",
            "chargingProfileKind": "Absolute", "validFrom": NOW,
            "chargingSchedule": [{
                "id": 4, "startSchedule": NOW, "chargingRateUnit": "W",
                "chargingSchedulePeriod": [{"startPeriod": 0, "limit": 6.5, "numberPhases": 3}],
            }],
        },
    }  # fmt: skip


@pytest.mark.parametrize(
    ("version", "word", "where"),
    [("1.6", "ChargePointMaxProfile", {}), ("2.0.1", "ChargingStationMaxProfile", {}),
     ("2.1", "ChargingStationMaxProfile", {"evse": 0})],
)  # fmt: skip
def test_the_maximum_in_each_versions_words(version, word, where):
    for name in ("max", "ChargePointMaxProfile", "ChargingStationMaxProfile"):
        payload = valid(cr.set_profile(version, intent(name), AT, cr.Known(1), **where), version)
        profile = payload.get("csChargingProfiles") or payload["chargingProfile"]
        assert profile["chargingProfilePurpose"] == word
        assert payload.get("connectorId", payload.get("evseId")) == 0


def test_a_tx_profile_names_the_open_transaction():
    payload = valid(cr.set_profile("1.6", intent("tx"), AT, cr.Known(1, 41), connector=1), "1.6")
    assert payload["csChargingProfiles"]["transactionId"] == 41
    given = intent("tx", kind="Relative", transaction="tx-9")
    payload = valid(cr.set_profile("2.0.1", given, AT, cr.Known(1, "tx-9"), evse=1), "2.0.1")
    profile = payload["chargingProfile"]
    assert profile["transactionId"] == "tx-9" and "startSchedule" not in profile[
        "chargingSchedule"][0]  # fmt: skip


def test_the_given_id_and_a_recurring_start():
    given = intent(kind="Recurring", recurrency="Daily", start=AT - timedelta(hours=4), id=12)
    payload = valid(cr.set_profile("2.0.1", given, AT, cr.Known(1), evse=1), "2.0.1")
    profile = payload["chargingProfile"]
    assert (profile["id"], profile["recurrencyKind"]) == (12, "Daily")
    assert profile["chargingSchedule"][0]["startSchedule"] == "2026-12-01T06:00:00Z"


def test_a_time_without_zone_is_utc_and_others_are_said_in_utc():
    plus_two = timezone(timedelta(hours=2))
    given = intent(start=datetime(2026, 12, 1, 12), valid_to=datetime(2026, 12, 1, 16,
                                                                      tzinfo=plus_two))  # fmt: skip
    profile = cr.set_profile("1.6", given, AT, cr.Known(1)).payload["csChargingProfiles"]
    assert profile["chargingSchedule"]["startSchedule"] == "2026-12-01T12:00:00Z"
    assert profile["validTo"] == "2026-12-01T14:00:00Z"


@pytest.mark.parametrize(
    ("version", "compose", "said"),
    [
        ("1.6", lambda v: cr.set_profile(v, intent("max"), AT, cr.Known(1), connector=1),
         "ChargePointMaxProfile goes on connectorId 0"),
        ("2.0.1", lambda v: cr.set_profile(v, intent("max"), AT, cr.Known(1), evse=1),
         "ChargingStationMaxProfile goes on evseId 0"),
        ("2.0.1", lambda v: cr.set_profile(v, intent("max", kind="Relative"), AT, cr.Known(1)),
         "not Relative"),
        ("2.0.1", lambda v: cr.set_profile(v, intent("tx"), AT, cr.Known(1), evse=1),
         "none is open on EVSE 1"),
        ("2.1", lambda v: cr.set_profile(v, intent("tx"), AT, cr.Known(1, "a"), evse=0),
         "a TxProfile goes on an EVSE (evseId > 0)"),
        ("2.0.1", lambda v: cr.set_profile(v, intent("tx", transaction="b"), AT,
                                           cr.Known(1, "a"), evse=1),
         "transactionId 'b' is not the transaction open on EVSE 1 ('a')"),
        ("1.6", lambda v: cr.set_profile(v, intent("tx"), AT, cr.Known(1), connector=2),
         "none is open on connector 2"),
        ("1.6", lambda v: cr.set_profile(v, intent("tx", transaction="x"), AT, cr.Known(1, 4),
                                         connector=1), "a 1.6 transactionId is a number"),
        ("1.6", lambda v: cr.set_profile(v, intent(transaction="4"), AT, cr.Known(1, 4),
                                         connector=1), "only a TxProfile names a transactionId"),
        ("2.0.1", lambda v: cr.set_profile(v, intent(periods="60:32"), AT, cr.Known(1)),
         "the first chargingSchedulePeriod starts at 0, not 60"),
        ("2.0.1", lambda v: cr.set_profile(v, intent(periods="0:32,600:16,300:8"), AT,
                                           cr.Known(1)), "300 comes after 600"),
        ("1.6", lambda v: cr.set_profile(v, intent(periods="0:32:4"), AT, cr.Known(1)),
         "numberPhases is 1, 2 or 3"),
        ("2.0.1", lambda v: cr.set_profile(v, intent(stack_level=-1), AT, cr.Known(1)),
         "stackLevel is 0 or more"),
        ("2.0.1", lambda v: cr.set_profile(v, intent(valid_from=AT, valid_to=AT), AT,
                                           cr.Known(1)), "validFrom comes before validTo"),
        ("2.0.1", lambda v: cr.set_profile(v, intent(kind="Recurring"), AT, cr.Known(1)),
         "names its recurrency"),
        ("2.0.1", lambda v: cr.set_profile(v, intent(recurrency="Daily"), AT, cr.Known(1)),
         "names its recurrency"),
        ("2.0.1", lambda v: cr.set_profile(v, intent(kind="Relative", start=AT), AT,
                                           cr.Known(1)), "no start time"),
        ("2.0.1", lambda v: cr.set_profile(v, intent(kind="Sometimes"), AT, cr.Known(1)),
         "kind 'Sometimes'"),
        ("2.0.1", lambda v: cr.set_profile(v, intent(unit="kW"), AT, cr.Known(1)),
         "unit 'kW'"),
        ("2.0.1", lambda v: cr.set_profile(v, intent(duration=0), AT, cr.Known(1)),
         "duration 0"),
        ("2.0.1", lambda v: cr.set_profile(v, intent(), AT, cr.Known(None)),
         "no chargingProfileId is left"),
        ("2.0.1", lambda v: cr.set_profile(v, intent(id=0), AT, cr.Known(1)),
         "chargingProfileId 0"),
        ("2.0.1", lambda v: cr.set_profile(v, intent("external"), AT, cr.Known(1)),
         "purpose 'external'"),
        ("2.0.1", lambda v: cr.set_profile(v, intent("everything"), AT, cr.Known(1)),
         "one of max, tx-default, tx"),
        ("2.0.1", lambda v: cr.set_profile(v, intent(), AT, cr.Known(1), connector=1),
         "per EVSE: use --evse"),
        ("1.6", lambda v: cr.set_profile(v, intent(), AT, cr.Known(1), evse=1),
         "use --connector"),
        ("1.6", lambda v: cr.set_profile(v, intent(), AT, cr.Known(1), connector=-1),
         "connector -1"),
        ("2.0.1", lambda v: cr.set_profile(v, cr.ProfileIntent("max", ()), AT, cr.Known(1)),
         "one period at least"),
        ("2.0.1", lambda v: cr.set_profile(v, intent(), AT, cr.Known(1), evse=2**31),
         "EVSE 2147483648: at most 2147483647"),
        ("1.6", lambda v: cr.set_profile(v, intent(stack_level=2**31), AT, cr.Known(1)),
         "stack level 2147483648: at most"),
        ("1.6", lambda v: cr.set_profile(v, intent(periods=f"0:1,{2**31}:2"), AT, cr.Known(1)),
         "period start 2147483648: at most"),
        ("1.6", lambda v: cr.set_profile(v, intent(duration=2**31), AT, cr.Known(1)),
         "duration 2147483648: at most"),
    ],
)  # fmt: skip
def test_what_cannot_be_set(version, compose, said):
    with pytest.raises(RequestProblem, match=said.replace("(", r"\(").replace(")", r"\)")):
        compose(version)


def test_a_written_profile_takes_the_next_id_and_the_open_transaction():
    written = {"stackLevel": 0, "chargingProfilePurpose": "TxProfile",
               "chargingProfileKind": "Relative",
               "chargingSchedule": [{"id": 1, "chargingRateUnit": "A",
                                     "chargingSchedulePeriod": [{"startPeriod": 0,
                                                                 "limit": 10}]}]}  # fmt: skip
    request = cr.profile_from_file("2.0.1", written, cr.Known(5, "tx-1"), evse=1)
    payload = valid(request, "2.0.1")
    assert payload["chargingProfile"] == {**written, "id": 5, "transactionId": "tx-1"}
    assert "id" not in written  # the operator's own left as it was
    mine = cr.profile_from_file("2.0.1", {**written, "id": 9}, cr.Known(5, "tx-1"), evse=1)
    assert mine.payload["chargingProfile"]["id"] == 9


def test_a_written_profile_is_checked_as_any():
    external = {"id": 1, "stackLevel": 0,
                "chargingProfilePurpose": "ChargingStationExternalConstraints",
                "chargingProfileKind": "Absolute",
                "chargingSchedule": [{"id": 1, "startSchedule": NOW, "chargingRateUnit": "A",
                                      "chargingSchedulePeriod": [{"startPeriod": 0,
                                                                  "limit": 10}]}]}  # fmt: skip
    with pytest.raises(RequestProblem, match="does not set a ChargingStationExternalConstraints"):
        cr.profile_from_file("2.0.1", external, cr.Known(5))
    absolute = {**external, "chargingProfilePurpose": "TxDefaultProfile"}
    absolute["chargingSchedule"] = [{**absolute["chargingSchedule"][0], "startSchedule": None}]
    del absolute["chargingSchedule"][0]["startSchedule"]
    with pytest.raises(RequestProblem, match="names its startSchedule"):
        cr.profile_from_file("2.0.1", absolute, cr.Known(5))
    with pytest.raises(RequestProblem, match="not a SetChargingProfile"):
        cr.profile_from_file("1.6", {"connectorId": 1, "csChargingProfiles": {}}, cr.Known(5))
    # What the schema refuses is left to the schema to say.
    odd = cr.profile_from_file("1.6", {"chargingProfilePurpose": "TxDefaultProfile"}, cr.Known(5))
    assert odd.payload["csChargingProfiles"]["chargingProfileId"] == 5


# --- the rest ----------------------------------------------------------------------------------


def test_clear_in_each_version():
    assert valid(cr.clear_profile("1.6", 3), "1.6") == {"id": 3}
    assert valid(cr.clear_profile("1.6"), "1.6") == {}
    assert valid(cr.clear_profile("1.6", None, 1, None, "tx-default", 2), "1.6") == {
        "connectorId": 1, "chargingProfilePurpose": "TxDefaultProfile", "stackLevel": 2,
    }  # fmt: skip
    for version in VERSIONS_2X:
        assert valid(cr.clear_profile(version, 3), version) == {"chargingProfileId": 3}
        assert valid(cr.clear_profile(version), version) == {}
        assert valid(cr.clear_profile(version, evse=0, purpose="max"), version) == {
            "chargingProfileCriteria": {"evseId": 0,
                                        "chargingProfilePurpose": "ChargingStationMaxProfile"},
        }  # fmt: skip


@pytest.mark.parametrize(
    ("compose", "said"),
    [
        (lambda: cr.clear_profile("1.6", 3, connector=1), "not both"),
        (lambda: cr.clear_profile("2.0.1", 3, stack_level=0), "not both"),
        (lambda: cr.clear_profile("2.0.1", 0), "chargingProfileId 0"),
        (lambda: cr.clear_profile("2.0.1", stack_level=-1), "stack level -1"),
        (lambda: cr.clear_profile("2.0.1", connector=1), "use --evse"),
        (lambda: cr.clear_profile("1.6", purpose="external"), "purpose 'external'"),
        (lambda: cr.clear_profile("1.6", 2**31), "chargingProfileId 2147483648: at most"),
        (lambda: cr.clear_profile("2.0.1", evse=2**31), "EVSE 2147483648: at most"),
    ],
)
def test_what_cannot_be_cleared(compose, said):
    with pytest.raises(RequestProblem, match=said):
        compose()


@pytest.mark.parametrize("version", VERSIONS_2X)
def test_get_profiles_by_every_criterion(version):
    assert valid(cr.get_profiles(version, 42), version) == {
        "requestId": 42, "chargingProfile": {},
    }  # fmt: skip
    request = cr.get_profiles(version, 43, 0, "external", 1, ["EMS", "CSO"], [1, 2])
    assert valid(request, version) == {
        "requestId": 43, "evseId": 0,
        "chargingProfile": {"chargingProfilePurpose": "ChargingStationExternalConstraints",
                            "stackLevel": 1, "chargingProfileId": [1, 2],
                            "chargingLimitSource": ["EMS", "CSO"]},
    }  # fmt: skip


@pytest.mark.parametrize(
    ("compose", "said"),
    [
        (lambda: cr.get_profiles("1.6", 1), "a 1.6 station has no GetChargingProfiles"),
        (lambda: cr.get_profiles("2.0.1", 1, evse=-1), "EVSE -1"),
        (lambda: cr.get_profiles("2.0.1", 1, stack_level=-2), "stack level -2"),
        (lambda: cr.get_profiles("2.0.1", 1, sources=["ISO"]), "source 'ISO'"),
        (lambda: cr.get_profiles("2.0.1", 1, sources=["SO", "SO"]), "each source once"),
        (lambda: cr.get_profiles("2.0.1", 1, ids=[0]), "1 or more"),
        (lambda: cr.get_profiles("2.0.1", 1, ids=[2**31]), "at most 2147483647"),
        (lambda: cr.get_profiles("2.0.1", 1, stack_level=2**31), "at most 2147483647"),
    ],
)
def test_what_cannot_be_asked(compose, said):
    with pytest.raises(RequestProblem, match=said):
        compose()


def test_composite_schedule_in_each_version():
    assert valid(cr.composite_schedule("1.6", 3600, connector=1, unit="A"), "1.6") == {
        "connectorId": 1, "duration": 3600, "chargingRateUnit": "A",
    }  # fmt: skip
    for version in VERSIONS_2X:
        assert valid(cr.composite_schedule(version, 300), version) == {
            "evseId": 0, "duration": 300,
        }  # fmt: skip
    with pytest.raises(RequestProblem, match="duration 0"):
        cr.composite_schedule("1.6", 0)
    with pytest.raises(RequestProblem, match="unit 'kW'"):
        cr.composite_schedule("2.0.1", 60, evse=1, unit="kW")
    with pytest.raises(RequestProblem, match="use --connector"):
        cr.composite_schedule("1.6", 60, evse=1)
    with pytest.raises(RequestProblem, match="duration 2147483648: at most"):
        cr.composite_schedule("1.6", 2**31)


def test_periods_and_times_as_an_operator_writes_them():
    assert cr.parse_periods("0:32, 600:16:1") == (cr.Period(0, 32.0), cr.Period(600, 16.0, 1))
    for wrong in ("0", "0:x", "a:1", "0:1:2:3", ""):
        with pytest.raises(RequestProblem, match="start_seconds:limit"):
            cr.parse_periods(wrong)
    assert cr.parse_when("now", AT, "--start") == AT
    assert cr.parse_when("2h", AT, "--start") == AT + timedelta(hours=2)
    assert cr.parse_when("2026-12-24T18:00:00", AT, "--start") == datetime(
        2026, 12, 24, 18, tzinfo=UTC
    )
    with pytest.raises(RequestProblem, match="--valid-to 'soon'"):
        cr.parse_when("soon", AT, "--valid-to")
