"""AnyCable-Go Pro compatibility in the session core: the `sn` a boot names, the seed's acks."""

from __future__ import annotations

import orjson

from ocpp_cable.gateway.ocpp.session import (
    Perform,
    Resubscribe,
    Send,
    SessionConfig,
    StationSession,
)
from ocpp_cable.ocppj import versions

NOW = "2026-12-01T10:00:00.000Z"


def session(compat=True, version=versions.OCPP16) -> StationSession:
    config = SessionConfig(clock=lambda: NOW, anycable_compat=compat)
    return StationSession("CP-1", config, version=version)


def boot(unique_id="b1", **extra) -> str:
    payload = {"chargePointModel": "M", "chargePointVendor": "V", **extra}
    return orjson.dumps([2, unique_id, "BootNotification", payload]).decode()


def sent(effects) -> list:
    return [orjson.loads(e.text) for e in effects if isinstance(e, Send)]


def test_a_boot_with_a_meter_serial_number_resubscribes_before_it_is_performed():
    s = session()
    assert s.sn == "CP-1"  # before any boot: the station id
    effects = s.receive(boot(meterSerialNumber="SN-A"))
    assert effects[0] == Resubscribe("SN-A")
    assert isinstance(effects[1], Perform) and effects[1].data["command"] == "BootNotification"
    assert s.sn == "SN-A"


def test_the_same_serial_number_again_needs_no_resubscription():
    s = session()
    s.receive(boot(meterSerialNumber="SN-A"))
    s.perform_finished("b1", True)
    effects = s.receive(boot("b2", meterSerialNumber="SN-A"))
    assert [type(e) for e in effects] == [Perform]


def test_a_boot_without_a_meter_serial_number_goes_by_the_station_id():
    s = session()
    assert [type(e) for e in s.receive(boot())] == [Perform]
    assert s.sn == "CP-1"
    s.perform_finished("b1", True)
    s.receive(boot("b2", meterSerialNumber="SN-A"))
    s.perform_finished("b2", True)
    # The meter is gone from the next boot: back to the station id, not locked out.
    assert s.receive(boot("b3"))[0] == Resubscribe("CP-1")


def test_without_compatibility_a_boot_never_resubscribes():
    s = session(compat=False)
    assert [type(e) for e in s.receive(boot(meterSerialNumber="SN-A"))] == [Perform]


def test_a_2x_boot_has_no_meter_serial_number_so_the_station_id_stays():
    s = session(version=versions.OCPP201)
    payload = {"reason": "PowerUp", "chargingStation": {"model": "M", "vendorName": "V",
               "serialNumber": "SN-X"}}  # fmt: skip
    effects = s.receive(orjson.dumps([2, "b1", "BootNotification", payload]).decode())
    assert [type(e) for e in effects] == [Perform]
    assert s.sn == "CP-1"


def test_an_invalid_boot_is_refused_before_its_serial_number_is_read():
    s = session()
    effects = s.receive(boot(meterSerialNumber="S" * 26))  # maxLength 25
    assert sent(effects)[0][0] == 4 and s.sn == "CP-1"


def data_transfer(s: StationSession, unique_id="d1") -> list:
    s.receive(orjson.dumps([2, unique_id, "DataTransfer", {"vendorId": "V"}]).decode())
    return sent(s.perform_finished(unique_id, True))


def test_the_seeds_default_ack_for_a_data_transfer_left_unanswered():
    assert data_transfer(session()) == [[3, "d1", {"status": "Accepted"}]]
    # Our default mode makes no decision for the channel: InternalError.
    assert data_transfer(session(compat=False))[0][:3] == [4, "d1", "InternalError"]


def test_compatibility_keeps_the_answers_that_need_a_decision():
    """The seed would send {"status": "Accepted"} to Authorize too: invalid for the schema,
    and an authorization nobody made. It stays an InternalError."""
    s = session()
    s.receive('[2,"a1","Authorize",{"idTag":"T"}]')
    assert sent(s.perform_finished("a1", True))[0][:3] == [4, "a1", "InternalError"]
    s.receive('[2,"s1","StatusNotification",{"connectorId":1,"errorCode":"NoError",'
              '"status":"Available"}]')  # fmt: skip
    assert sent(s.perform_finished("s1", True)) == [[3, "s1", {}]]


def test_a_failed_rpc_is_never_acked_in_compatibility_either():
    s = session()
    s.receive(orjson.dumps([2, "d1", "DataTransfer", {"vendorId": "V"}]).decode())
    assert sent(s.perform_finished("d1", False))[0][:3] == [4, "d1", "InternalError"]
