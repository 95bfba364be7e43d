"""How a GetConfiguration answer changes a station's stored keys (domain.configuration.merge)."""

from __future__ import annotations

from ocpp_cable.channels.domain.configuration import Reported, merge


def keys(*names: str, readonly: bool = False) -> list[Reported]:
    return [Reported(name, f"{name}-value", readonly) for name in names]


def test_a_whole_list_replaces_what_was_known():
    change = merge(["A", "B", "Gone"], keys("A", "B", "New"), [], everything=True)
    assert [k.key for k in change.write] == ["A", "B", "New"]
    assert change.remove == ["Gone"]
    assert change.dropped == []


def test_an_answer_for_some_keys_writes_those_and_removes_its_unknown_keys():
    change = merge(["A", "B", "C"], keys("A"), ["b", "Never"], everything=False)
    assert [k.key for k in change.write] == ["A"]
    assert change.remove == ["B"]  # CiString: case-insensitive; "Never" was not stored


def test_keys_compare_case_insensitively_and_take_the_station_spelling():
    change = merge(["heartbeatinterval"], keys("HeartbeatInterval"), [], everything=True)
    assert [k.key for k in change.write] == ["HeartbeatInterval"]
    assert change.remove == []  # the same key: written in its new spelling, not removed


def test_a_repeated_key_keeps_its_first_entry():
    reported = [Reported("A", "1", False), Reported("a", "2", True)]
    change = merge([], reported, [], everything=True)
    assert change.write == [Reported("A", "1", False)]
    assert change.dropped == ["a"]


def test_a_whole_list_beyond_the_cap_keeps_its_first_keys():
    change = merge(["Old"], keys("K1", "K2", "K3"), [], everything=True, limit=2)
    assert [k.key for k in change.write] == ["K1", "K2"]
    assert change.dropped == ["K3"]
    assert change.remove == ["Old"]


def test_new_keys_of_a_partial_answer_fill_only_the_room_left():
    change = merge(["A", "B"], keys("A", "N1", "N2"), [], everything=False, limit=3)
    assert [k.key for k in change.write] == ["A", "N1"]  # known keys are always updated
    assert change.dropped == ["N2"]


def test_unknown_keys_make_room_for_new_ones():
    change = merge(["A", "B"], keys("N1"), ["A"], everything=False, limit=2)
    assert change.remove == ["A"]
    assert [k.key for k in change.write] == ["N1"]


def test_a_key_both_reported_and_unknown_stays():
    change = merge(["A"], keys("A"), ["A"], everything=False)
    assert change.remove == []
    assert [k.key for k in change.write] == ["A"]
