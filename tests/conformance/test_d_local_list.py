"""OCA 2.0.1 CSMS cases, block D (Local authorization list management).

The reference system keeps a 1.6 station's list in step itself (`local-list sync`); a 2.x
station's list is sent by the operator with `ocpp-cable send`, and each command's record
keeps what was sent and what the station answered."""

from __future__ import annotations

from tests.support.conformance import csms
from tests.support.conformance_flows import send


def entry(tag: str, status: str | None = "Accepted") -> dict:
    data: dict = {"idToken": {"idToken": tag, "type": "ISO14443"}}
    if status is not None:
        data["idTokenInfo"] = {"status": status}
    return data


async def send_list(tmp_path, capsys, payload: dict, version_first: int | None = None):
    """The operator sends `payload` as SendLocalList (after a GetLocalListVersion the
    station answers `version_first`, when given); the station accepts. What it was asked
    and the commands' records."""
    answers = {"SendLocalList": {"status": "Accepted"},
               "GetLocalListVersion": {"version_number": version_first or 0}}  # fmt: skip
    async with csms(tmp_path, capsys) as system:
        system.seed()
        async with system.station(answers=answers) as cp:
            await cp.boot()
            records = []
            if version_first is not None:
                code, out, record = await send(system, "GetLocalListVersion", {})
                assert code == 0, out
                records.append(record)
            code, out, record = await send(system, "SendLocalList", payload)
            assert code == 0, out
            return await cp.request("SendLocalList"), [*records, record]


async def test_tc_d_01_csms(tmp_path, capsys):
    """Send the Local Authorization List, Full: a Full update with a new version (> 0) and
    entries, each with its idTokenInfo; the station accepts and the record keeps both."""
    payload = {"versionNumber": 1, "updateType": "Full",
               "localAuthorizationList": [entry("TAG-1"), entry("TAG-2", "Blocked")]}  # fmt: skip
    request, [record] = await send_list(tmp_path, capsys, payload)
    assert request["update_type"] == "Full" and request["version_number"] > 0
    assert request["local_authorization_list"]
    assert all(item["id_token_info"] for item in request["local_authorization_list"])
    assert (record.status, record.payload) == ("accepted", payload)
    assert record.response == {"status": "Accepted"}


async def test_tc_d_02_csms(tmp_path, capsys):
    """Send the Local Authorization List, Differential update: the CSMS reads the station's
    version (1), then sends a Differential update adding or changing entries, its version
    above the station's."""
    payload = {"versionNumber": 2, "updateType": "Differential",
               "localAuthorizationList": [entry("TAG-3")]}  # fmt: skip
    request, [version, record] = await send_list(tmp_path, capsys, payload, version_first=1)
    assert version.response == {"versionNumber": 1}
    assert request["update_type"] == "Differential" and request["version_number"] > 1
    assert request["local_authorization_list"]
    assert (record.status, record.payload, record.response) == (
        "accepted", payload, {"status": "Accepted"}
    )  # fmt: skip


async def test_tc_d_03_csms(tmp_path, capsys):
    """Send the Local Authorization List, Differential remove: entries with an idToken and
    no idTokenInfo (remove it), the version above the station's."""
    payload = {"versionNumber": 3, "updateType": "Differential",
               "localAuthorizationList": [entry("TAG-2", None)]}  # fmt: skip
    request, [version, record] = await send_list(tmp_path, capsys, payload, version_first=2)
    assert version.response == {"versionNumber": 2}
    assert request["update_type"] == "Differential" and request["version_number"] > 2
    [removed] = request["local_authorization_list"]
    assert removed == {"id_token": {"id_token": "TAG-2", "type": "ISO14443"}}
    assert (record.status, record.payload) == ("accepted", payload)


async def test_tc_d_04_csms(tmp_path, capsys):
    """Send the Local Authorization List, Full with an empty list: it clears the station's
    list."""
    payload = {"versionNumber": 4, "updateType": "Full"}
    request, [record] = await send_list(tmp_path, capsys, payload)
    assert request["update_type"] == "Full"
    assert not request.get("local_authorization_list")
    assert (record.status, record.payload, record.response) == (
        "accepted", payload, {"status": "Accepted"}
    )  # fmt: skip


async def get_version(tmp_path, capsys, version: int):
    async with csms(tmp_path, capsys) as system:
        system.seed()
        answers = {"GetLocalListVersion": {"version_number": version}}
        async with system.station(answers=answers) as cp:
            await cp.boot()
            code, out, record = await send(system, "GetLocalListVersion", {})
            assert await cp.request("GetLocalListVersion") == {}
            return code, out, record


async def test_tc_d_08_csms(tmp_path, capsys):
    """Get the local list version: the station answers its version; the CSMS receives it
    (shown to the operator, kept in the command's record)."""
    code, out, record = await get_version(tmp_path, capsys, 7)
    assert code == 0 and '{"versionNumber":7}' in out
    assert (record.status, record.response) == ("accepted", {"versionNumber": 7})


async def test_tc_d_09_csms(tmp_path, capsys):
    """Get the local list version, no list: the station answers 0 (it holds no list); the
    CSMS receives it."""
    code, out, record = await get_version(tmp_path, capsys, 0)
    assert code == 0 and '{"versionNumber":0}' in out
    assert (record.status, record.response) == ("accepted", {"versionNumber": 0})
