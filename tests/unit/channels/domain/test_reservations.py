"""Reservation rules without a database: expiry input, which reservation a
StartTransaction uses, what a reservation holds and its ReserveNow in each version."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import pytest

from ocpp_cable.channels.domain.reservations import (
    Place,
    ReservationProblem,
    is_id,
    parse_expiry,
    reservation_id_of,
    reserve_now,
    used_by,
)
from ocpp_cable.channels.storage.models import Reservation

AT = datetime(2026, 12, 1, 12, 0, tzinfo=UTC)
LATER = AT + timedelta(hours=1)


def reservation(id_, connector, tag="TAG-1", parent=None, expiry=LATER) -> Reservation:
    return Reservation(
        id=id_, connector_id=connector, id_tag=tag, parent_id_tag=parent, expiry_date=expiry
    )


def start(connector=1, tag="TAG-1", **extra) -> dict:
    return {"connectorId": connector, "idTag": tag, **extra}


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("30m", AT + timedelta(minutes=30)),
        ("90s", AT + timedelta(seconds=90)),
        ("2h", AT + timedelta(hours=2)),
        ("1d", AT + timedelta(days=1)),
        ("2026-12-01T14:00:00Z", datetime(2026, 12, 1, 14, tzinfo=UTC)),
        ("2026-12-01T14:00:00+01:00", datetime(2026, 12, 1, 13, tzinfo=UTC)),
        ("2026-12-01T14:00:00", datetime(2026, 12, 1, 14, tzinfo=UTC)),  # no zone: UTC
    ],
)
def test_expiry_is_a_time_or_a_duration_from_now(text, expected):
    assert parse_expiry(text, AT) == expected


@pytest.mark.parametrize("text", ["soon", "30 minutes", "-5m", "2026-13-01T00:00:00Z", ""])
def test_anything_else_is_refused_with_what_is_expected(text):
    with pytest.raises(ReservationProblem, match="ISO 8601 time nor a duration"):
        parse_expiry(text, AT)


def test_the_reservation_a_start_names_is_used_even_past_its_expiry():
    named = reservation(7, 2, tag="OTHER", expiry=AT - timedelta(minutes=1))
    holding = [reservation(6, 1), named]
    assert used_by(holding, start(reservationId=7), None, AT) is named
    assert used_by(holding, start(reservationId=99), None, AT) is None  # not one of ours


def test_without_a_reservation_id_the_tag_on_that_connector_uses_it():
    mine = reservation(1, 1)
    assert used_by([mine], start(), None, AT) is mine
    assert used_by([mine], start(connector=2), None, AT) is None  # another connector
    assert used_by([mine], start(tag="TAG-2"), None, AT) is None  # another tag
    expired = reservation(2, 1, expiry=AT)
    assert used_by([expired], start(), None, AT) is None


def test_a_tag_of_the_same_parent_uses_it_and_its_own_connector_comes_before_connector_0():
    anywhere = reservation(1, 0, tag="CARD-A", parent="FLEET")
    here = reservation(2, 1, tag="CARD-B", parent="FLEET")
    assert used_by([anywhere, here], start(tag="CARD-C"), "FLEET", AT) is here
    assert used_by([anywhere], start(connector=3, tag="CARD-C"), "FLEET", AT) is anywhere
    assert used_by([anywhere], start(tag="CARD-C"), "OTHER", AT) is None
    no_parent = reservation(3, 1, tag="CARD-A")
    assert used_by([no_parent], start(tag="CARD-C"), None, AT) is None


def test_reservation_ids_are_the_database_integers():
    assert is_id(1) and is_id(2**31 - 1)
    assert not any(is_id(v) for v in (0, -1, 2**31, True, "1", None))


def test_a_reservation_says_what_it_holds_in_words():
    assert Place(connector_id=0).describe() == "connector 0"
    assert Place(connector_id=2).describe() == "connector 2"
    assert Place(evse_id=3).describe() == "EVSE 3"
    assert Place(connector_type="cType2").describe() == "any cType2 connector"
    assert Place().describe() == "any EVSE"


def test_reserve_now_is_built_in_the_version_of_the_reservation():
    one_6 = Reservation(id=4, connector_id=1, id_tag="TAG-1", parent_id_tag="FLEET",
                        expiry_date=LATER)  # fmt: skip
    assert reserve_now(one_6) == {
        "connectorId": 1, "expiryDate": "2026-12-01T13:00:00Z", "idTag": "TAG-1",
        "reservationId": 4, "parentIdTag": "FLEET",
    }  # fmt: skip
    any_evse = Reservation(id=5, id_tag="TAG-1", id_token_type="ISO14443", expiry_date=LATER)
    assert reserve_now(any_evse) == {
        "id": 5, "expiryDateTime": "2026-12-01T13:00:00Z",
        "idToken": {"idToken": "TAG-1", "type": "ISO14443"},
    }  # fmt: skip
    typed = Reservation(
        id=6, evse_id=2, connector_type="cType2", id_tag="TAG-1", id_token_type="Central",
        parent_id_tag="FLEET", expiry_date=LATER,
    )  # fmt: skip
    assert reserve_now(typed) == {
        "id": 6, "expiryDateTime": "2026-12-01T13:00:00Z", "evseId": 2, "connectorType": "cType2",
        "idToken": {"idToken": "TAG-1", "type": "Central"},
        "groupIdToken": {"idToken": "FLEET", "type": "Central"},
    }  # fmt: skip
    assert [reservation_id_of(reserve_now(r)) for r in (one_6, any_evse, typed)] == [4, 5, 6]
    assert reservation_id_of({"reservationId": 7}) == 7  # CancelReservation, either version
