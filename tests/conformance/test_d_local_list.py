"""OCA 2.0.1 CSMS cases, block D (Local authorization list management).

The central system composes each list itself from its idTag table, in 2.x: `ocpp-cable
local-list sync` sends SendLocalList (Full when the station acknowledged none, else the
Differential update of what changed; an idTag removed is an entry without idTokenInfo),
and `local-list version` asks GetLocalListVersion. Each command's record keeps what was
sent and what the station answered, and the list we know the station holds follows."""

from __future__ import annotations

import json

from ocpp_cable.channels.storage.models import Command, LocalList
from tests.support.conformance import csms
from tests.support.servers import eventually

ACCEPTED = {"status": "Accepted"}


def token(value: str) -> dict:
    return {"id_token": value, "type": "ISO14443"}


async def sync(system, *flags: str) -> str:
    """`local-list sync CP-1`: the SendLocalList's command id."""
    code, out, err = await system.operator("local-list", "sync", "CP-1", *flags)
    assert code == 0 and " sent to CP-1" in out, (out, err)
    return out.split()[1]


def record(system, command_id: str) -> Command:
    [found] = system.rows(Command, Command.id == command_id)
    return found


async def version(system) -> tuple[int, str, str]:
    """`local-list version CP-1 --wait`: exit status, output, the command's id."""
    code, out, err = await system.operator("local-list", "version", "CP-1", "--wait")
    assert " sent to CP-1" in out, (out, err)
    return code, out, out.split()[1]


async def held_at(system, number: int) -> LocalList:
    """The list we know the station holds, once it acknowledged version `number`."""
    [known] = await eventually(lambda: [k for k in system.rows(LocalList) if k.version == number])
    return known


async def listed_once(system, cp) -> None:
    """The prerequisite of a Differential case: the station holds our list at version 1,
    as the version it reports says."""
    await sync(system)
    first = await cp.request("SendLocalList")
    assert (first["version_number"], first["update_type"]) == (1, "Full")
    await held_at(system, 1)
    code, out, _ = await version(system)
    assert code == 0 and out.splitlines()[-1] == 'accepted: {"versionNumber":1}', out


async def test_tc_d_01_csms(tmp_path, capsys):
    """Send the Local Authorization List, Full: a Full update with a new version (> 0) and
    entries, each with its idTokenInfo (Blocked ones as Blocked); the station accepts, the
    record keeps both, and we know it holds them at that version."""
    async with csms(tmp_path, capsys) as system:
        system.seed(tags=(("TAG-1", "Accepted", None), ("TAG-2", "Blocked", None)))
        async with system.station(answers={"SendLocalList": ACCEPTED}) as cp:
            await cp.boot()
            sent = await sync(system)
            request = await cp.request("SendLocalList")
            known = await held_at(system, 1)
    assert request["update_type"] == "Full" and request["version_number"] > 0
    assert request["local_authorization_list"] == [
        {"id_token": token("TAG-1"), "id_token_info": {"status": "Accepted"}},
        {"id_token": token("TAG-2"), "id_token_info": {"status": "Blocked"}},
    ]
    found = record(system, sent)
    assert (found.status, found.response) == ("accepted", ACCEPTED)
    assert len(known.entries) == 2 and known.token_type == "ISO14443"


async def test_tc_d_02_csms(tmp_path, capsys):
    """Send the Local Authorization List, Differential update: the CSMS reads the station's
    version (1), then, an idTag added, sends a Differential update holding only it, its
    version above the station's."""
    answers = {"SendLocalList": ACCEPTED, "GetLocalListVersion": {"version_number": 1}}
    async with csms(tmp_path, capsys, api=True) as system:
        system.seed()
        async with system.station(answers=answers) as cp:
            await cp.boot()
            await listed_once(system, cp)
            added = await system.http("PUT", "/api/v1/id-tags/TAG-3", json={})
            assert added.status_code == 201, added.text
            sent = await sync(system)
            request = await cp.request("SendLocalList", 2)
            known = await held_at(system, 2)
    assert request["update_type"] == "Differential" and request["version_number"] > 1
    assert request["local_authorization_list"] == [
        {"id_token": token("TAG-3"), "id_token_info": {"status": "Accepted"}}
    ]
    found = record(system, sent)
    assert (found.status, found.response) == ("accepted", ACCEPTED)
    assert len(known.entries) == 2


async def test_tc_d_03_csms(tmp_path, capsys):
    """Send the Local Authorization List, Differential remove: an idTag removed from our
    table is sent as an entry with its idToken and no idTokenInfo (remove it), the version
    above the station's."""
    answers = {"SendLocalList": ACCEPTED, "GetLocalListVersion": {"version_number": 1}}
    async with csms(tmp_path, capsys, api=True) as system:
        system.seed(tags=(("TAG-1", "Accepted", None), ("TAG-2", "Accepted", None)))
        async with system.station(answers=answers) as cp:
            await cp.boot()
            await listed_once(system, cp)
            removed = await system.http("DELETE", "/api/v1/id-tags/TAG-2")
            assert removed.status_code == 204, removed.text
            sent = await sync(system)
            request = await cp.request("SendLocalList", 2)
            known = await held_at(system, 2)
    assert request["update_type"] == "Differential" and request["version_number"] > 1
    assert request["local_authorization_list"] == [{"id_token": token("TAG-2")}]
    assert record(system, sent).status == "accepted"
    assert [entry["idToken"]["idToken"] for entry in known.entries.values()] == ["TAG-1"]


async def test_tc_d_04_csms(tmp_path, capsys):
    """Send the Local Authorization List, Full with an empty list: our idTags all gone,
    `sync --full` sends a Full update without entries, which clears the station's list."""
    async with csms(tmp_path, capsys, api=True) as system:
        system.seed()
        async with system.station(answers={"SendLocalList": ACCEPTED}) as cp:
            await cp.boot()
            await sync(system)
            await held_at(system, 1)
            removed = await system.http("DELETE", "/api/v1/id-tags/TAG-1")
            assert removed.status_code == 204, removed.text
            sent = await sync(system, "--full")
            request = await cp.request("SendLocalList", 2)
            known = await held_at(system, 2)
    assert request["update_type"] == "Full" and request["version_number"] == 2
    assert not request.get("local_authorization_list")
    found = record(system, sent)
    assert (found.status, found.payload, found.response) == (
        "accepted", {"versionNumber": 2, "updateType": "Full"}, ACCEPTED,
    )  # fmt: skip
    assert known.entries == {}


async def get_version(tmp_path, capsys, number: int):
    async with csms(tmp_path, capsys) as system:
        system.seed()
        answers = {"GetLocalListVersion": {"version_number": number}, "SendLocalList": ACCEPTED}
        async with system.station(answers=answers) as cp:
            await cp.boot()
            code, out, asked = await version(system)
            assert await cp.request("GetLocalListVersion") == {}
            return code, out, record(system, asked), system


async def test_tc_d_08_csms(tmp_path, capsys):
    """Get the local list version: the station answers its version; the CSMS receives it
    (shown to the operator, kept in the command's record)."""
    code, out, asked, _ = await get_version(tmp_path, capsys, 7)
    assert code == 0 and json.loads(out.splitlines()[-1].split(": ", 1)[1]) == {"versionNumber": 7}
    assert (asked.status, asked.response) == ("accepted", {"versionNumber": 7})


async def test_tc_d_09_csms(tmp_path, capsys):
    """Get the local list version, no list: the station answers 0 (it holds no list); the
    CSMS receives it, and knows the station holds an empty list."""
    code, out, asked, system = await get_version(tmp_path, capsys, 0)
    assert code == 0 and out.splitlines()[-1] == 'accepted: {"versionNumber":0}'
    assert (asked.status, asked.response) == ("accepted", {"versionNumber": 0})
    [known] = system.rows(LocalList)
    assert (known.version, known.entries) == (0, {})
