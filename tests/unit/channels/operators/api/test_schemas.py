"""The API's schema refuses exactly the station ids the gateway would refuse: the rule is
in its OpenAPI document (clients and fuzzers read it there), and it must not drift from
the gateway's (ocppj.handshake)."""

from __future__ import annotations

import pydantic
import pytest

from ocpp_cable.channels.domain.stations import station_id_problem
from ocpp_cable.channels.operators.api.schemas import NewStation

CHARACTERS = [chr(c) for c in (*range(0x00, 0x250), 0x2028, 0xFEFF, 0x1F50C)]


def accepted_by_api(station_id: str) -> bool:
    try:
        NewStation(id=station_id)
    except pydantic.ValidationError:
        return False
    return True


def test_station_id_rule_is_the_gateways():
    differ = [
        f"U+{ord(c):04X}"
        for c in CHARACTERS
        if accepted_by_api(f"CP{c}1") != (station_id_problem(f"CP{c}1", "/ocpp") is None)
    ]
    assert differ == []


@pytest.mark.parametrize("length", [0, 1, 48, 49])
def test_station_id_length_is_the_gateways(length):
    station_id = "C" * length
    assert accepted_by_api(station_id) == (station_id_problem(station_id, "/ocpp") is None)
