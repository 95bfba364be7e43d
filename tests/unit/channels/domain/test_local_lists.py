"""The Local Authorization List's updates: what a Differential sends, what the station
then holds, and each entry's idTagInfo."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

from ocpp_cable.channels.domain.local_lists import applied, differential, full, tag_info
from ocpp_cable.channels.storage.models import IdTag

AT = datetime(2026, 12, 1, 12, 0, tzinfo=UTC)
OK = {"status": "Accepted"}
BLOCKED = {"status": "Blocked"}


def test_a_differential_sends_added_and_changed_tags_with_info_and_removed_ones_without():
    held = {"KEEP": OK, "CHANGE": OK, "GONE": OK}
    target = {"KEEP": OK, "CHANGE": BLOCKED, "NEW": OK}
    assert differential(held, target) == [
        {"idTag": "CHANGE", "idTagInfo": BLOCKED},
        {"idTag": "GONE"},  # no idTagInfo: the station deletes it
        {"idTag": "NEW", "idTagInfo": OK},
    ]


def test_nothing_changed_means_an_empty_differential():
    assert differential({"A": OK}, {"A": OK}) == []


def test_what_the_station_holds_after_an_update():
    held = {"A": OK, "B": OK}
    update = [{"idTag": "B"}, {"idTag": "C", "idTagInfo": BLOCKED}]
    assert applied(held, "Differential", update) == {"A": OK, "C": BLOCKED}
    assert applied(held, "Full", [{"idTag": "C", "idTagInfo": OK}]) == {"C": OK}
    assert applied(held, "Full", []) == {}  # an empty Full update clears the list
    target = {"X": OK, "A": BLOCKED}
    assert applied(held, "Differential", differential(held, target)) == target
    assert applied(held, "Full", full(target)) == target


def test_a_full_update_holds_every_tag_in_order():
    assert full({"B": OK, "A": BLOCKED}) == [
        {"idTag": "A", "idTagInfo": BLOCKED},
        {"idTag": "B", "idTagInfo": OK},
    ]


def test_an_entry_says_expired_past_its_expiry_and_leaves_out_a_parent_too_long_for_16():
    past = IdTag(tag="T", status="Accepted", expiry_date=AT - timedelta(days=1))
    assert tag_info(past, AT) == {"status": "Expired", "expiryDate": "2026-11-30T12:00:00Z"}
    grouped = IdTag(tag="T", status="Blocked", expiry_date=None, parent_id_tag="FLEET")
    assert tag_info(grouped, AT) == {"status": "Blocked", "parentIdTag": "FLEET"}
    too_long = IdTag(tag="T", status="Accepted", expiry_date=None, parent_id_tag="P" * 21)
    assert tag_info(too_long, AT) == {"status": "Accepted"}
