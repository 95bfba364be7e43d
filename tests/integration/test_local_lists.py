"""The Local Authorization List kept in step with our idTags: `ocpp-cable local-list` and
/api/v1/stations/{id}/local-list, against an `ocpp` 1.6 ChargePoint through the gateway."""

from __future__ import annotations

import json

import httpx
from ocpp.routing import on
from ocpp.v16 import call_result
from ocpp.v16.enums import Action

from ocpp_cable.channels.domain.authorization import block_id_tag, put_id_tag
from ocpp_cable.channels.storage import db
from ocpp_cable.channels.storage.models import Command, IdTag, LocalList, StationConfiguration
from tests.support.api import api_server, bearer, make_token
from tests.support.central import (
    CentralCharger,
    central_system,
    connected,
    operator,
    rows,
    seed,
)
from tests.support.servers import eventually, subscribed

TAGS = (("TAG-1", "Accepted", None), ("TAG-2", "Blocked", None))


class ListCharger(CentralCharger):
    """Holds what it is sent; answers each SendLocalList with the next of `answers`
    (then Accepted), and GetLocalListVersion with `version`."""

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        self.updates: list[tuple[int, str, list]] = []
        self.answers: list[str] = []
        self.version = 0

    @on(Action.send_local_list)
    def on_send_local_list(self, list_version, update_type, local_authorization_list=(), **_):
        self.updates.append((list_version, update_type, list(local_authorization_list)))
        status = self.answers.pop(0) if self.answers else "Accepted"
        return call_result.SendLocalList(status=status)

    @on(Action.get_local_list_version)
    def on_get_local_list_version(self, **_):
        return call_result.GetLocalListVersion(list_version=self.version)


def held(url: str, station_id: str = "CP-1") -> LocalList | None:
    found = rows(url, LocalList, LocalList.station_id == station_id)
    return found[0] if found else None


def acknowledged(url: str, version: int):
    return lambda: (found := held(url)) is not None and found.version == version


async def test_sync_sends_the_full_list_then_what_changed(database_url, capsys):
    seed(database_url, tags=TAGS)
    async with central_system(database_url) as (node, _):
        async with connected(node, cls=ListCharger) as cp:
            await eventually(lambda: subscribed(node, "CP-1"))
            code, out, err = await operator(
                capsys, node, database_url, "local-list", "sync", "CP-1"
            )
            assert code == 0, err
            assert "Full update to version 1, 2 entries" in out
            await eventually(acknowledged(database_url, 1))

            with db.session_scope(database_url) as session:
                block_id_tag(session, "TAG-1")
                session.delete(session.get(IdTag, "TAG-2"))
                put_id_tag(session, "TAG-3", "Accepted", parent_id_tag="FLEET")
                put_id_tag(session, "T" * 21, "Accepted")  # too long for a 1.6 list
            code, out, err = await operator(
                capsys, node, database_url, "local-list", "sync", "CP-1"
            )
            assert code == 0, err
            assert "Differential update to version 2, 3 entries" in out
            await eventually(acknowledged(database_url, 2))

            code, out, _ = await operator(capsys, node, database_url, "local-list", "sync", "CP-1")
            assert (code, out) == (0, "CP-1 holds our list at version 2: nothing sent\n")
            code, out, _ = await operator(
                capsys, node, database_url, "local-list", "show", "CP-1", "--json"
            )
            state = json.loads(out)

    assert cp.updates == [
        (1, "Full", [
            {"id_tag": "TAG-1", "id_tag_info": {"status": "Accepted"}},
            {"id_tag": "TAG-2", "id_tag_info": {"status": "Blocked"}},
        ]),
        (2, "Differential", [
            {"id_tag": "TAG-1", "id_tag_info": {"status": "Blocked"}},
            {"id_tag": "TAG-2"},  # removed: no idTagInfo
            {"id_tag": "TAG-3", "id_tag_info": {"status": "Accepted", "parent_id_tag": "FLEET"}},
        ]),
    ]  # fmt: skip
    assert held(database_url).entries == {
        "TAG-1": {"status": "Blocked"},
        "TAG-3": {"status": "Accepted", "parentIdTag": "FLEET"},
    }
    assert state == {
        "station_id": "CP-1", "version": 2, "in_sync": True, "entries": 2, "wanted": 2,
        "left_out": 1, "supported": True, "problem": None, "in_flight": None,
        "token_type": None, "more_parts": False,
    }  # fmt: skip


async def test_failed_and_version_mismatch_get_the_full_list_again_a_bounded_number_of_times(
    database_url, capsys
):
    seed(database_url, tags=TAGS)
    async with central_system(database_url) as (node, _):
        async with connected(node, cls=ListCharger) as cp:
            await eventually(lambda: subscribed(node, "CP-1"))
            cp.answers = ["Failed"]
            await operator(capsys, node, database_url, "local-list", "sync", "CP-1")
            await eventually(acknowledged(database_url, 1))
            assert [(v, kind) for v, kind, _ in cp.updates] == [(1, "Full"), (1, "Full")]

            with db.session_scope(database_url) as session:
                put_id_tag(session, "TAG-3", "Accepted")
            cp.answers = ["VersionMismatch"]
            await operator(capsys, node, database_url, "local-list", "sync", "CP-1")
            await eventually(acknowledged(database_url, 2))
            assert [(v, kind, len(e)) for v, kind, e in cp.updates[2:]] == [
                (2, "Differential", 1),
                (2, "Full", 3),  # the full list, sent again without an operator
            ]
            assert held(database_url).resends == 0  # accepted: counting starts again

            cp.answers = ["Failed"] * 10
            code, out, err = await operator(
                capsys, node, database_url, "local-list", "sync", "CP-1", "--full"
            )
            assert code == 0, err
            await eventually(lambda: "gave up" in (held(database_url).problem or ""))
            code, out, _ = await operator(capsys, node, database_url, "local-list", "show", "CP-1")
    assert len(cp.updates) == 4 + 1 + 3  # the operator's update, then 3 resends: no more
    assert held(database_url).version == 2  # what the station last accepted
    assert "not in sync" not in out and "version    2 (in sync)" in out
    assert "gave up after 3 full lists in a row" in out
    sent = rows(database_url, Command, Command.action == "SendLocalList")
    assert len(sent) == 8 and {c.status for c in sent} == {"accepted", "rejected"}


async def test_the_station_says_which_version_it_holds_or_that_it_supports_none(
    database_url, capsys
):
    seed(database_url, tags=TAGS)
    async with central_system(database_url) as (node, _):
        async with connected(node, cls=ListCharger) as cp:
            await eventually(lambda: subscribed(node, "CP-1"))
            cp.version = 0  # holds none, and we never sent one: nothing to resend
            await operator(capsys, node, database_url, "send", "CP-1", "GetLocalListVersion")
            await eventually(acknowledged(database_url, 0))
            assert cp.updates == []

            cp.version = 7  # another list than ours: ours goes in full
            await operator(capsys, node, database_url, "send", "CP-1", "GetLocalListVersion")
            await eventually(acknowledged(database_url, 1))
            assert [(v, kind, len(e)) for v, kind, e in cp.updates] == [(1, "Full", 2)]

            cp.version = -1  # 1.6 edition 2: no local list at all
            await operator(capsys, node, database_url, "send", "CP-1", "GetLocalListVersion")
            await eventually(lambda: not held(database_url).supported)
            code, _, err = await operator(capsys, node, database_url, "local-list", "sync", "CP-1")
            assert code == 2 and "CP-1 does not support local lists" in err

            cp.version = 1  # it does after all (a new firmware)
            await operator(capsys, node, database_url, "send", "CP-1", "GetLocalListVersion")
            await eventually(lambda: held(database_url).supported)
            cp.answers = ["NotSupported"]
            await operator(capsys, node, database_url, "local-list", "sync", "CP-1", "--full")
            await eventually(lambda: not held(database_url).supported)
    assert len(cp.updates) == 2  # NotSupported is not answered with another list
    assert held(database_url).problem == "the station answered NotSupported"


async def test_the_station_configuration_bounds_the_list_and_nothing_is_split(database_url, capsys):
    seed(database_url, tags=TAGS)
    async with central_system(database_url) as (node, _):
        code, _, err = await operator(capsys, node, database_url, "local-list", "sync", "CP-1")
        assert code == 1 and "CP-1 is not connected" in err
        async with connected(node, cls=ListCharger) as cp:
            await eventually(lambda: subscribed(node, "CP-1"))
            for key, value in (("SendLocalListMaxLength", "1"), ("LocalAuthListMaxLength", "1")):
                with db.session_scope(database_url) as session:
                    session.query(StationConfiguration).delete()
                    session.add(StationConfiguration(station_id="CP-1", key=key, value=value))
                code, out, err = await operator(
                    capsys, node, database_url, "local-list", "sync", "CP-1"
                )
                assert code == 2 and out == "", err
                assert err.startswith("ocpp-cable: ") and "at most 1" in err
                assert f"({key}); nothing is split" in err
            code, _, err = await operator(capsys, node, database_url, "local-list", "show", "NOPE")
            assert code == 1 and "no station NOPE" in err
    assert rows(database_url, Command) == [] and cp.updates == []


async def test_the_api_syncs_and_shows_the_list(database_url):
    seed(database_url, tags=TAGS)
    async with central_system(database_url) as (node, settings):
        async with api_server(node, settings) as server, connected(node, cls=ListCharger) as cp:
            await eventually(lambda: subscribed(node, "CP-1"))

            auth = bearer(make_token(database_url))
            base = f"http://127.0.0.1:{server.port}/api/v1/stations"
            async with httpx.AsyncClient(base_url=base, timeout=15) as api:
                sent = await api.post("/CP-1/local-list/sync", json={"full": True}, headers=auth)
                assert sent.status_code == 202, sent.text
                assert sent.json()["update_type"] == "Full" and sent.json()["version"] == 1
                assert sent.headers["location"] == f"/api/v1/commands/{sent.json()['command_id']}"
                await eventually(acknowledged(database_url, 1))
                again = await api.post("/CP-1/local-list/sync", headers=auth)
                assert again.status_code == 200 and again.json()["sent"] is False
                shown = (await api.get("/CP-1/local-list", headers=auth)).json()
                assert (shown["version"], shown["in_sync"], shown["entries"]) == (1, True, 2)

                read_only = bearer(make_token(database_url, "viewer", "read"))
                refused = await api.post("/CP-1/local-list/sync", headers=read_only)
                assert refused.status_code == 403
                unknown = await api.get("/NOPE/local-list", headers=auth)
                assert unknown.status_code == 404
                assert unknown.headers["content-type"] == "application/problem+json"
                with db.session_scope(database_url) as session:
                    session.add(StationConfiguration(
                        station_id="CP-1", key="LocalAuthListMaxLength", value="1"
                    ))  # fmt: skip
                too_long = await api.post("/CP-1/local-list/sync", json={"full": True},
                                          headers=auth)  # fmt: skip
                assert too_long.status_code == 422
                assert "LocalAuthListMaxLength" in too_long.json()["detail"]
    assert len(cp.updates) == 1
