"""channels/domain/local_list_requests.py: a 2.x station's list from our idTags, what
changes it, and the SendLocalList split as the station's LocalAuthListCtrlr allows."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import pytest

from ocpp_cable.channels.domain import local_list_requests as llr
from ocpp_cable.channels.domain.device_requests import Limits, message_size
from ocpp_cable.channels.domain.station_requests import Request, RequestProblem
from ocpp_cable.channels.storage.models import IdTag
from ocpp_cable.ocppj import versions

AT = datetime(2026, 12, 1, 12, 0, tzinfo=UTC)
OK = {"status": "Accepted"}


def valid(payload: dict, version: str = "2.0.1") -> dict:
    versions.named(version).schemas.validate_request("SendLocalList", payload)
    return payload


def card(value: str, type_: str = "ISO14443") -> dict:
    return {"idToken": value, "type": type_}


def listed(value: str, info: dict | None = OK, type_: str = "ISO14443") -> dict:
    found: dict = {"idToken": card(value, type_)}
    if info is not None:
        found["idTokenInfo"] = info
    return found


def keyed(*entries: dict) -> dict[str, dict]:
    return {llr.token_key(e["idToken"]): e for e in entries}


def test_an_entry_has_the_idtokeninfo_an_authorize_would_give():
    past = IdTag(tag="T-1", status="Accepted", expiry_date=AT - timedelta(days=1))
    assert llr.entry(past, AT, "ISO14443", "2.0.1") == {
        "idToken": card("T-1"),
        "idTokenInfo": {"status": "Expired", "cacheExpiryDateTime": "2026-11-30T12:00:00Z"},
    }
    grouped = IdTag(tag="T-2", status="Blocked", expiry_date=None, parent_id_tag="FLEET")
    assert llr.entry(grouped, AT, "Central", "2.0.1") == {
        "idToken": card("T-2", "Central"),
        "idTokenInfo": {"status": "Blocked", "groupIdToken": card("FLEET", "Central")},
    }
    long_parent = IdTag(tag="T-3", status="Accepted", expiry_date=None, parent_id_tag="P" * 40)
    assert "groupIdToken" not in llr.entry(long_parent, AT, "ISO14443", "2.0.1")["idTokenInfo"]
    assert "groupIdToken" in llr.entry(long_parent, AT, "ISO14443", "2.1")["idTokenInfo"]
    valid({"versionNumber": 1, "updateType": "Full",
           "localAuthorizationList": [llr.entry(past, AT, "ISO14443", "2.0.1"),
                                      llr.entry(grouped, AT, "Central", "2.0.1")]})  # fmt: skip


def test_a_differential_adds_and_changes_entries_and_removes_tokens_without_info():
    held = keyed(listed("KEEP"), listed("CHANGE"), listed("GONE"))
    target = keyed(listed("KEEP"), listed("CHANGE", {"status": "Blocked"}), listed("NEW"))
    changes = llr.differential(held, target)
    assert sorted(changes, key=lambda e: e["idToken"]["idToken"]) == [
        listed("CHANGE", {"status": "Blocked"}),
        {"idToken": card("GONE")},  # no idTokenInfo: the station deletes it
        listed("NEW"),
    ]
    assert llr.applied(held, "Differential", changes) == target
    assert llr.applied(held, "Full", llr.full(target)) == target
    assert llr.differential(target, target) == []


def test_a_list_keeps_each_token_by_value_and_type_and_an_entry_without_info_removes_it():
    both = [listed("100000C01"), listed("100000C01", type_="Central")]
    held = llr.applied({"stale": {}}, "Full", both)
    assert sorted(held) == sorted(llr.token_key(e["idToken"]) for e in both)
    held = llr.applied(held, "Differential", [{"idToken": card("100000C01", "Central")}])
    assert held == keyed(listed("100000C01"))


def test_a_full_list_without_entries_leaves_the_list_out():
    assert valid(llr.payload(4, "Full", [])) == {"versionNumber": 4, "updateType": "Full"}


def entries(count: int) -> list[dict]:
    return [listed(f"TAG-{n:03}") for n in range(count)]


def test_without_limits_the_whole_list_goes_at_once():
    payload, more = llr.first_part(1, "Full", entries(50), Limits())
    assert len(payload["localAuthorizationList"]) == 50 and not more
    assert llr.first_part(1, "Full", [], Limits(items=1)) == (
        {"versionNumber": 1, "updateType": "Full"}, False,
    )  # fmt: skip


def test_the_first_part_holds_as_many_entries_as_items_per_message_allows():
    payload, more = llr.first_part(3, "Full", entries(5), Limits(items=2))
    assert payload["localAuthorizationList"] == entries(2) and more
    payload, more = llr.first_part(3, "Differential", entries(2), Limits(items=2))
    assert payload["updateType"] == "Differential" and not more


def test_the_first_part_is_the_largest_that_fits_bytes_per_message():
    items = entries(10)
    three = message_size("SendLocalList", llr.payload(2, "Full", items[:3]))
    payload, more = llr.first_part(2, "Full", items, Limits(bytes=three))
    assert payload["localAuthorizationList"] == items[:3] and more
    payload, _ = llr.first_part(2, "Full", items, Limits(bytes=three - 1))
    assert len(payload["localAuthorizationList"]) == 2
    with pytest.raises(RequestProblem, match=r"LocalAuthListCtrlr\.BytesPerMessage"):
        llr.first_part(2, "Full", items, Limits(bytes=60))


@pytest.mark.parametrize(
    "reported",
    [
        {("LocalAuthListCtrlr", "ItemsPerMessage", None): "5",
         ("LocalAuthListCtrlr", "BytesPerMessage", None): "4000"},
        {("LocalAuthListCtrlr", "ItemsPerMessageSendLocalList", None): "5",
         ("LocalAuthListCtrlr", "BytesPerMessageSendLocalList", None): "4000"},
        {("LocalAuthListCtrlr", "ItemsPerMessage", "SendLocalList"): "5",
         ("LocalAuthListCtrlr", "BytesPerMessage", "SendLocalList"): "4000"},
    ],
)  # fmt: skip
def test_the_limits_are_read_as_stations_name_them(reported):
    assert llr.limits_of(reported) == Limits(items=5, bytes=4000)


def test_a_limit_that_is_no_positive_number_is_as_if_unsaid():
    reported = {("LocalAuthListCtrlr", "ItemsPerMessage", None): "0",
                ("LocalAuthListCtrlr", "BytesPerMessage", None): "many"}  # fmt: skip
    assert llr.limits_of(reported) == Limits()


def test_a_station_whose_list_is_not_available_or_not_enabled_takes_none():
    assert llr.refusal({}) is None
    available = {("LocalAuthListCtrlr", "Available", None): "true"}
    assert llr.refusal(available) is None
    assert "Available is false" in llr.refusal({("LocalAuthListCtrlr", "Available", None): "False"})
    disabled = {**available, ("LocalAuthListCtrlr", "Enabled", None): "false"}
    assert "Enabled is false" in llr.refusal(disabled)


def test_the_token_type_is_one_a_list_entry_may_have():
    assert llr.check_token_type("Central") == "Central"
    with pytest.raises(RequestProblem, match="one of Central"):
        llr.check_token_type("NoAuthorization")


@pytest.mark.parametrize("version", ["1.6", "2.0.1", "2.1"])
def test_the_version_is_asked_for_with_an_empty_request_in_every_version(version):
    request = llr.get_version()
    versions.named(version).schemas.validate_request(request.action, request.payload)
    assert request == Request("GetLocalListVersion", {})
