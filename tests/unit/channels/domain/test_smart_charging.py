"""Smart charging's rules and matching (channels/domain/smart_charging.py) and what makes a
transaction stale (channels/domain/offline.py): plain functions, no database."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import pytest

from ocpp_cable.channels.domain import offline
from ocpp_cable.channels.domain.smart_charging import (
    START_WINDOW,
    Pending,
    Profile,
    binding,
    clear_criteria,
    clear_problem,
    cleared,
    composite_parts,
    composite_problem,
    ended,
    next_free_id,
    periods_text,
    profile_ids,
    profile_periods,
    profile_problem,
    profile_problem_2,
    remote_start_problem,
    replaced,
    schedule_problem,
)

T0 = datetime(2026, 12, 1, 10, 0, tzinfo=UTC)


def schedule(*periods: tuple[int, float], **extra) -> dict:
    return {
        "chargingRateUnit": "A",
        "chargingSchedulePeriod": [{"startPeriod": s, "limit": limit} for s, limit in periods],
        **extra,
    }


def profile(purpose: str = "TxDefaultProfile", **extra) -> dict:
    return {
        "chargingProfileId": 1,
        "stackLevel": 0,
        "chargingProfilePurpose": purpose,
        "chargingProfileKind": "Absolute",
        "chargingSchedule": schedule((0, 32), (600, 16)),
        **extra,
    }


# --- SetChargingProfile ---------------------------------------------------------------------


def test_a_charge_point_max_profile_goes_on_connector_0_only():
    assert profile_problem(0, profile("ChargePointMaxProfile"), None) is None
    problem = profile_problem(1, profile("ChargePointMaxProfile"), None)
    assert "connectorId 0" in problem and "not 1" in problem


def test_a_tx_default_profile_goes_anywhere():
    assert profile_problem(0, profile(), None) is None
    assert profile_problem(2, profile(), None) is None


def test_a_tx_profile_needs_a_connector_and_its_open_transaction():
    assert "not 0" in profile_problem(0, profile("TxProfile"), 7)
    assert "none is open on connector 1" in profile_problem(1, profile("TxProfile"), None)
    assert profile_problem(1, profile("TxProfile"), 7) is None
    assert profile_problem(1, profile("TxProfile", transactionId=7), 7) is None
    problem = profile_problem(1, profile("TxProfile", transactionId=6), 7)
    assert "transactionId 6 is not the transaction open on connector 1 (7)" in problem


def test_only_a_tx_profile_names_a_transaction():
    assert "only a TxProfile" in profile_problem(1, profile(transactionId=7), 7)


def test_a_connector_is_not_negative():
    assert "not -1" in profile_problem(-1, profile(), None)


@pytest.mark.parametrize(
    ("changes", "found"),
    [
        ({"stackLevel": -1}, "stackLevel is 0 or more"),
        ({"chargingProfileKind": "Recurring"}, "recurrencyKind"),
        (
            {"validFrom": "2026-12-02T00:00:00Z", "validTo": "2026-12-01T00:00:00Z"},
            "validFrom comes before validTo",
        ),
        (
            {"validFrom": "2026-12-01T00:00:00Z", "validTo": "2026-12-01T00:00:00Z"},
            "validFrom comes before validTo",
        ),
    ],
)
def test_profile_rules(changes, found):
    assert found in profile_problem(0, profile(**changes), None)


def test_a_recurring_profile_with_its_kind_and_a_validity_in_order_pass():
    good = profile(
        chargingProfileKind="Recurring",
        recurrencyKind="Daily",
        validFrom="2026-12-01T00:00:00Z",
        validTo="2026-12-02T00:00:00+01:00",
    )
    assert profile_problem(0, good, None) is None


@pytest.mark.parametrize(
    ("given", "found"),
    [
        (schedule(), "holds no period"),
        (schedule((60, 32)), "starts at 0, not 60"),
        (schedule((0, 32), (600, 16), (300, 8)), "300 comes after 600"),
        (schedule((0, 32), (0, 16)), "0 comes after 0"),
        (schedule((0, -1)), "limit is not negative"),
        (schedule((0, 32), duration=-5), "duration is not negative"),
        (schedule((0, 32), minChargingRate=-0.1), "minChargingRate is not negative"),
        (
            {
                "chargingRateUnit": "W",
                "chargingSchedulePeriod": [{"startPeriod": 0, "limit": 1, "numberPhases": 4}],
            },
            "numberPhases is 1, 2 or 3",
        ),
    ],
)
def test_schedule_rules(given, found):
    assert found in schedule_problem(given)
    assert found in profile_problem(0, profile(chargingSchedule=given), None)


def test_a_good_schedule_passes():
    assert schedule_problem(schedule((0, 32), (600, 16), duration=3600)) is None


# --- RemoteStartTransaction, ClearChargingProfile, GetCompositeSchedule -----------------------


def test_a_remote_start_profile_is_a_tx_profile_without_transaction():
    assert remote_start_problem({"idTag": "T"}) is None
    assert remote_start_problem({"idTag": "T", "chargingProfile": profile("TxProfile")}) is None
    assert "not a TxDefaultProfile" in remote_start_problem(
        {"idTag": "T", "chargingProfile": profile()}
    )
    assert "has no transactionId" in remote_start_problem(
        {"idTag": "T", "chargingProfile": profile("TxProfile", transactionId=3)}
    )
    bad_schedule = profile("TxProfile", chargingSchedule=schedule((10, 8)))
    assert "starts at 0" in remote_start_problem({"idTag": "T", "chargingProfile": bad_schedule})


def test_a_remote_start_names_a_connector_above_0():
    assert remote_start_problem({"idTag": "T", "connectorId": 1}) is None
    assert "not 0" in remote_start_problem({"idTag": "T", "connectorId": 0})


def test_clear_and_composite_schedule_rules():
    assert clear_problem({}) is None
    assert clear_problem({"connectorId": 0, "stackLevel": 0}) is None
    assert "not -1" in clear_problem({"connectorId": -1})
    assert "stackLevel" in clear_problem({"stackLevel": -2})
    assert composite_problem({"connectorId": 0, "duration": 3600}) is None
    assert "not -1" in composite_problem({"connectorId": -1, "duration": 60})
    assert "duration" in composite_problem({"connectorId": 1, "duration": -1})


def test_2x_clear_and_composite_schedule_rules():
    assert clear_problem({"chargingProfileCriteria": {"evseId": 0, "stackLevel": 0}}) is None
    assert "evseId is 0 (the station) or more, not -1" in clear_problem(
        {"chargingProfileCriteria": {"evseId": -1}}
    )
    assert "stackLevel" in clear_problem({"chargingProfileCriteria": {"stackLevel": -1}})
    assert composite_problem({"evseId": 0, "duration": 60}) is None
    assert "evseId is 0 (the station) or more, not -2" in composite_problem(
        {"evseId": -2, "duration": 60}
    )


# --- 2.x SetChargingProfile ------------------------------------------------------------------


def profile_2(purpose: str = "TxDefaultProfile", kind: str = "Absolute", **extra) -> dict:
    schedule = {"id": 1, "chargingRateUnit": "A",
                "chargingSchedulePeriod": [{"startPeriod": 0, "limit": 16}]}  # fmt: skip
    if kind != "Relative":
        schedule["startSchedule"] = "2026-12-01T10:00:00Z"
    return {"id": 1, "stackLevel": 0, "chargingProfilePurpose": purpose,
            "chargingProfileKind": kind, "chargingSchedule": [schedule], **extra}  # fmt: skip


def test_a_2x_maximum_goes_on_evse_0_and_is_not_relative():
    assert profile_problem_2(0, profile_2("ChargingStationMaxProfile"), None) is None
    assert "goes on evseId 0 (the whole station), not 1" in profile_problem_2(
        1, profile_2("ChargingStationMaxProfile"), None
    )
    assert "not Relative" in profile_problem_2(
        0, profile_2("ChargingStationMaxProfile", "Relative"), None
    )


def test_a_2x_tx_profile_names_the_transaction_open_on_its_evse():
    tx = profile_2("TxProfile", transactionId="tx-1")
    assert profile_problem_2(1, tx, "tx-1") is None
    assert "none is open on EVSE 1" in profile_problem_2(1, tx, None)
    assert "evseId > 0" in profile_problem_2(0, tx, "tx-1")
    assert "'tx-1' is not the transaction open on EVSE 2 ('tx-2')" in profile_problem_2(
        2, tx, "tx-2"
    )
    assert "names its transaction: transactionId 'tx-1' is open" in profile_problem_2(
        1, profile_2("TxProfile"), "tx-1"
    )
    assert "only a TxProfile names a transactionId" in profile_problem_2(
        1, profile_2(transactionId="tx-1"), "tx-1"
    )


def test_a_2x_schedule_starts_as_its_kind_says():
    assert profile_problem_2(1, profile_2(kind="Relative"), None) is None
    relative = profile_2(kind="Relative")
    relative["chargingSchedule"][0]["startSchedule"] = "2026-12-01T10:00:00Z"
    assert "has no startSchedule" in profile_problem_2(1, relative, None)
    absolute = profile_2()
    del absolute["chargingSchedule"][0]["startSchedule"]
    assert "an Absolute profile's chargingSchedule names its startSchedule" in (
        profile_problem_2(1, absolute, None)
    )


def test_the_2x_rules_every_profile_keeps():
    assert "does not set a ChargingStationExternalConstraints" in profile_problem_2(
        0, profile_2("ChargingStationExternalConstraints"), None
    )
    assert "evseId is 0" in profile_problem_2(-1, profile_2(), None)
    assert "stackLevel" in profile_problem_2(1, profile_2(stackLevel=-1), None)
    assert "recurrencyKind" in profile_problem_2(1, profile_2(kind="Recurring"), None)
    second = profile_2()
    second["chargingSchedule"].append(
        {"id": 2, "startSchedule": "2026-12-01T10:00:00Z", "chargingRateUnit": "A",
         "chargingSchedulePeriod": [{"startPeriod": 5, "limit": 16}]}
    )  # fmt: skip
    assert "starts at 0, not 5" in profile_problem_2(1, second, None)  # every schedule's
    phase = profile_2()
    phase["chargingSchedule"][0]["chargingSchedulePeriod"][0]["phaseToUse"] = 2
    assert "phaseToUse goes with numberPhases 1" in profile_problem_2(1, phase, None)
    setpoint = profile_2()  # 2.1: a period may give a setpoint and no limit
    del setpoint["chargingSchedule"][0]["chargingSchedulePeriod"][0]["limit"]
    assert profile_problem_2(1, setpoint, None) is None


def test_2x_clear_criteria_read_as_16s():
    assert clear_criteria({}) == {}
    assert clear_criteria({"connectorId": 1}) == {"connectorId": 1}
    assert clear_criteria({"chargingProfileId": 4}) == {"id": 4}
    assert clear_criteria(
        {"chargingProfileCriteria": {"evseId": 1, "chargingProfilePurpose": "TxProfile",
                                     "stackLevel": 2}}
    ) == {"connectorId": 1, "chargingProfilePurpose": "TxProfile", "stackLevel": 2}  # fmt: skip


def test_the_next_free_profile_id():
    assert next_free_id([]) == 1
    assert next_free_id([3, 9, 4]) == 10
    assert next_free_id([2**31 - 2]) == 2**31 - 1
    assert next_free_id([2**31 - 1]) is None
    assert profile_ids("SetChargingProfile", {"connectorId": 1, "csChargingProfiles":
                                              {"chargingProfileId": 5}}) == [5]  # fmt: skip
    assert profile_ids("SetChargingProfile", {"evseId": 1, "chargingProfile": {"id": 6}}) == [6]
    assert profile_ids("RequestStartTransaction", {"chargingProfile": {"id": 7}}) == [7]
    assert profile_ids("RemoteStartTransaction", {"idTag": "T"}) == []


# --- what a change replaces, clears, ends -----------------------------------------------------

INSTALLED = [
    Profile(1, 0, 100, 0, "ChargePointMaxProfile"),
    Profile(2, 0, 200, 0, "TxDefaultProfile"),
    Profile(3, 1, 300, 1, "TxDefaultProfile"),
    Profile(4, 1, 400, 0, "TxProfile", transaction_id=7),
    Profile(5, 2, 500, 0, "TxProfile", transaction_id=None),
]


def test_a_profile_replaces_the_same_id_anywhere():
    assert replaced(2, 300, 5, "TxDefaultProfile", INSTALLED) == [3]


def test_a_profile_replaces_the_same_connector_purpose_and_stack_level():
    assert replaced(1, 999, 1, "TxDefaultProfile", INSTALLED) == [3]
    assert replaced(0, 999, 0, "TxDefaultProfile", INSTALLED) == [2]
    # Another stack level, purpose or connector: both stay.
    assert replaced(1, 999, 2, "TxDefaultProfile", INSTALLED) == []
    assert replaced(2, 999, 1, "TxDefaultProfile", INSTALLED) == []
    assert replaced(1, 999, 1, "TxProfile", INSTALLED) == []


def test_a_profile_may_replace_two():
    assert replaced(1, 100, 1, "TxDefaultProfile", INSTALLED) == [1, 3]


def test_clear_by_id_takes_that_profile_whatever_the_other_fields():
    assert cleared({"id": 300}, INSTALLED) == [3]
    assert cleared({"id": 300, "connectorId": 2, "stackLevel": 9}, INSTALLED) == [3]
    assert cleared({"id": 999}, INSTALLED) == []


def test_clear_by_criteria_takes_those_matching_every_one_given():
    assert cleared({}, INSTALLED) == [1, 2, 3, 4, 5]
    assert cleared({"connectorId": 1}, INSTALLED) == [3, 4]
    assert cleared({"chargingProfilePurpose": "TxProfile"}, INSTALLED) == [4, 5]
    assert cleared({"connectorId": 0, "stackLevel": 0}, INSTALLED) == [1, 2]
    assert cleared({"connectorId": 0, "chargingProfilePurpose": "TxProfile"}, INSTALLED) == []


def test_a_transaction_ends_its_tx_profiles_only():
    assert ended(7, 1, INSTALLED) == [4]
    assert ended(8, 2, INSTALLED) == [5]  # a TxProfile on its connector naming none
    assert ended(8, 3, INSTALLED) == []
    assert ended(9, None, INSTALLED) == []


# --- a pending profile finds its StartTransaction ---------------------------------------------


def test_a_pending_profile_binds_to_the_start_with_its_tag_connector_and_time():
    pending = [Pending(1, 1, "TAG-1", T0)]
    assert binding(1, "TAG-1", T0 + timedelta(seconds=40), pending) == (1, [])
    # The station's clock may be a little behind ours.
    assert binding(1, "TAG-1", T0 - timedelta(minutes=2), pending) == (1, [])
    assert binding(1, "TAG-2", T0, pending) == (None, [])
    assert binding(2, "TAG-1", T0, pending) == (None, [])


def test_a_pending_profile_without_connector_binds_to_the_one_the_station_chose():
    assert binding(3, "TAG-1", T0, [Pending(1, None, "TAG-1", T0)]) == (1, [])


def test_the_pending_profile_for_that_connector_comes_first():
    pending = [
        Pending(1, None, "TAG-1", T0 + timedelta(seconds=5)),
        Pending(2, 1, "TAG-1", T0),
        Pending(3, 2, "TAG-1", T0),
    ]
    assert binding(1, "TAG-1", T0 + timedelta(seconds=30), pending) == (2, [])


def test_a_start_long_after_a_pending_profile_leaves_it_expired():
    late = T0 + START_WINDOW + timedelta(seconds=1)
    pending = [Pending(1, 1, "TAG-1", T0), Pending(2, 2, "TAG-1", T0)]
    # Another connector's is not this start's to end.
    assert binding(1, "TAG-1", late, pending) == (None, [1])
    # A start from the station's queue, dated before the profile: nothing ends.
    assert binding(1, "TAG-1", T0 - timedelta(hours=2), pending) == (None, [])


# --- stale transactions -----------------------------------------------------------------------


def reasons(*args) -> list[str]:
    return [r.reason for r in offline.stale_reasons(T0, *args)]


def test_an_open_transaction_with_nothing_after_it_is_not_stale():
    earlier = T0 - timedelta(minutes=1)
    assert reasons(None, None, None, None) == []
    assert reasons(None, earlier, "Available", earlier) == []  # before its start
    assert reasons(None, T0, "Available", T0) == []  # at its start: not after
    assert reasons(None, None, "Charging", T0 + timedelta(minutes=5)) == []


def test_each_reason_of_a_stale_transaction():
    later = T0 + timedelta(minutes=1)
    assert reasons(12, None, None, None) == [offline.LATER_TRANSACTION]
    assert reasons(None, later, None, None) == [offline.STATION_REBOOTED]
    assert reasons(None, None, "Available", later) == [offline.CONNECTOR_AVAILABLE]
    assert reasons(12, later, "Available", later) == list(offline.REASONS)
    (reason,) = offline.stale_reasons(T0, 12, None, None, None)
    assert "transaction 12" in reason.detail


def test_periods_for_a_table():
    given = schedule((0, 32), (600, 16.5))
    given["chargingSchedulePeriod"][1]["numberPhases"] = 1
    assert periods_text(given) == "0s 32A, 600s 16.5A/1ph"
    assert periods_text(None) is None


def test_a_profiles_periods_in_either_version():
    assert profile_periods(profile()) == "0s 32A, 600s 16A"
    two = profile_2()
    two["chargingSchedule"].append({"id": 2, "chargingRateUnit": "W",
                                    "chargingSchedulePeriod": [{"startPeriod": 0,
                                                                "limit": 7000}]})  # fmt: skip
    assert profile_periods(two) == "0s 16A | 0s 7000W"
    assert profile_periods({"chargingSchedule": []}) is None


def test_a_composite_schedule_in_either_version():
    sixteen = {"scheduleStart": "2026-12-01T10:00:00Z", "chargingSchedule": schedule((0, 16))}
    assert composite_parts({"status": "Accepted", **sixteen}) == (
        "2026-12-01T10:00:00Z", schedule((0, 16)),
    )  # fmt: skip
    two = {"evseId": 1, "duration": 300, **sixteen["chargingSchedule"],
           "scheduleStart": "2026-12-01T11:00:00Z"}  # fmt: skip
    start, found = composite_parts({"status": "Accepted", "schedule": two})
    assert (start, periods_text(found)) == ("2026-12-01T11:00:00Z", "0s 16A")
    assert composite_parts({"status": "Rejected"}) == (None, None)
