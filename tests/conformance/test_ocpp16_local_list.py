"""OCA OCPP 1.6 Central System cases, the Local Auth List Management profile: the list
version asked for (`ocpp-cable local-list version`: GetLocalListVersion) and the list sent
(`ocpp-cable local-list sync`, POST /api/v1/stations/{id}/local-list/sync), both composed
by the central system."""

from __future__ import annotations

import json

from ocpp_cable.channels.storage.models import Command, LocalList
from tests.support.conformance import csms
from tests.support.conformance_16 import booted
from tests.support.servers import eventually

TAGS = (("TAG-1", "Accepted", None), ("TAG-2", "Blocked", None))


def held(system) -> LocalList:
    [found] = system.rows(LocalList)
    return found


def sent_lists(system) -> list[Command]:
    return sorted(
        system.rows(Command, Command.action == "SendLocalList"), key=lambda c: c.created_at
    )


async def sync(system, *flags: str) -> str:
    code, out, err = await system.operator("local-list", "sync", "CP-1", *flags)
    assert code == 0, (out, err)
    return out


async def version(system) -> tuple[str, dict]:
    """`local-list version CP-1 --wait`: the command's final state, and the answer."""
    code, out, err = await system.operator("local-list", "version", "CP-1", "--wait")
    state, _, answer = out.strip().splitlines()[-1].partition(": ")
    assert code == (0 if state == "accepted" else 1), (out, err)
    return state, json.loads(answer)


async def show(system) -> dict:
    code, out, err = await system.operator("local-list", "show", "CP-1", "--json")
    assert code == 0, (out, err)
    return json.loads(out)


async def test_tc_042_1_csms(tmp_path, capsys):
    """GetLocalListVersion answered -1: the charge point keeps no local list. The central
    system marks it as not supporting lists and sends it none."""
    async with csms(tmp_path, capsys) as system:
        system.seed()
        answers = {"GetLocalListVersion": {"list_version": -1}}
        async with system.station(version="1.6", answers=answers) as cp:
            await booted(cp)
            assert await version(system) == (
                "accepted", {"listVersion": -1},
            )  # fmt: skip
            assert await cp.request("GetLocalListVersion") == {}
            assert (await show(system))["supported"] is False
            code, _, err = await system.operator("local-list", "sync", "CP-1")
            assert code == 2 and "support" in err
        assert held(system).supported is False and sent_lists(system) == []


async def test_tc_042_2_csms(tmp_path, capsys):
    """GetLocalListVersion answered 0: the charge point holds no list. The central system
    takes that as version 0 with no entries."""
    async with csms(tmp_path, capsys) as system:
        system.seed()
        answers = {"GetLocalListVersion": {"list_version": 0}}
        async with system.station(version="1.6", answers=answers) as cp:
            await booted(cp)
            assert await version(system) == (
                "accepted", {"listVersion": 0},
            )  # fmt: skip
        stored = held(system)
        assert (stored.version, stored.entries, stored.supported) == (0, {}, True)


async def send_list(system, answer: str) -> dict:
    """`local-list sync` to a charge point answering SendLocalList with `answer`: the
    first SendLocalList it got."""
    answers = {"SendLocalList": {"status": answer}}
    async with system.station(version="1.6", answers=answers) as cp:
        await booted(cp)
        assert "Full update to version 1" in await sync(system)
        first = await cp.request("SendLocalList")
        await eventually(lambda: sent_lists(system)[0].status not in ("queued", "sent"))
        if answer == "Failed":  # sent again in full, then given up
            await eventually(lambda: "gave up" in (held(system).problem or ""), within=10)
    return first


async def test_tc_043_1_csms(tmp_path, capsys):
    """SendLocalList (Full) answered NotSupported: the station is marked as not supporting
    lists, no version is taken as held, and no further list is sent."""
    async with csms(tmp_path, capsys) as system:
        system.seed(tags=TAGS)
        first = await send_list(system, "NotSupported")
        assert first["update_type"] == "Full"
        stored = held(system)
        assert (stored.supported, stored.version) == (False, None)
        assert [c.status for c in sent_lists(system)] == ["rejected"]


async def test_tc_043_3_csms(tmp_path, capsys):
    """SendLocalList (Full) answered Failed: no version is taken as held; the central
    system sends the full list again a bounded number of times (3), then gives up and says
    so."""
    async with csms(tmp_path, capsys) as system:
        system.seed(tags=TAGS)
        first = await send_list(system, "Failed")
        assert first["update_type"] == "Full"
        lists = sent_lists(system)
        assert [c.status for c in lists] == ["rejected"] * 4
        assert {c.payload["updateType"] for c in lists} == {"Full"}
        assert held(system).version is None


async def test_tc_043_4_csms(tmp_path, capsys):
    """A Full SendLocalList: every idTag of ours, each with its idTagInfo (Blocked ones as
    Blocked), at a new version; Accepted: the version and entries are stored as held."""
    async with csms(tmp_path, capsys) as system:
        system.seed(tags=TAGS)
        first = await send_list(system, "Accepted")
        assert (first["update_type"], first["list_version"]) == ("Full", 1)
        entries = {e["id_tag"]: e["id_tag_info"] for e in first["local_authorization_list"]}
        assert entries == {"TAG-1": {"status": "Accepted"}, "TAG-2": {"status": "Blocked"}}
        stored = held(system)
        assert stored.version == 1 and set(stored.entries) == {"TAG-1", "TAG-2"}
        assert (await show(system))["in_sync"] is True


async def test_tc_043_5_csms(tmp_path, capsys):
    """After a Full list (version 1, Accepted) and GetLocalListVersion answering it, a new
    idTag is added: the update (through the HTTP API) is Differential, carries only that
    idTag with its idTagInfo, at a higher version; Accepted, it is stored as held."""
    async with csms(tmp_path, capsys, api=True) as system:
        system.seed()
        answers = {"SendLocalList": {"status": "Accepted"},
                   "GetLocalListVersion": {"list_version": 1}}  # fmt: skip
        async with system.station(version="1.6", answers=answers) as cp:
            await booted(cp)
            assert "Full update to version 1" in await sync(system)
            await eventually(lambda: held(system).version == 1)
            assert (await version(system))[1] == {"listVersion": 1}
            added = await system.http("PUT", "/api/v1/id-tags/TAG-NEW", json={})
            assert added.status_code == 201, added.text
            synced = await system.http(
                "POST", "/api/v1/stations/CP-1/local-list/sync", json={"full": False}
            )
            assert synced.status_code == 202, synced.text
            assert synced.json()["update_type"] == "Differential"
            update = await cp.request("SendLocalList", nth=2)
            assert update["update_type"] == "Differential" and update["list_version"] > 1
            assert update["local_authorization_list"] == [
                {"id_tag": "TAG-NEW", "id_tag_info": {"status": "Accepted"}}
            ]
            await eventually(lambda: held(system).version == update["list_version"])
        assert set(held(system).entries) == {"TAG-1", "TAG-NEW"}
        assert len(sent_lists(system)) == 2  # the version answered matched: nothing resent
