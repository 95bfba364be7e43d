"""A 2.0.1 station's Local Authorization List composed by the central system from our
idTags (`ocpp-cable local-list sync|version|show` and /api/v1/stations/{id}/local-list),
over real sockets: split as the LocalAuthListCtrlr it reported allows, refused where it
takes no list, and its version asked for."""

from __future__ import annotations

import json

from ocpp.v201 import call

from ocpp_cable.channels.storage import db
from ocpp_cable.channels.storage.models import Command, LocalList
from tests.support.conformance import T0, csms
from tests.support.servers import eventually

TAGS = tuple((f"TAG-{n}", "Accepted", None) for n in range(1, 6))
ACCEPTED = {"status": "Accepted"}


def variable(name: str, value: str, **characteristics) -> dict:
    found = {"component": {"name": "LocalAuthListCtrlr"}, "variable": {"name": name},
             "variable_attribute": [{"type": "Actual", "value": value}]}  # fmt: skip
    if characteristics:
        found["variable_characteristics"] = {"data_type": "integer", "supports_monitoring": False,
                                             **characteristics}  # fmt: skip
    return found


async def report(cp, *variables: dict) -> None:
    """The station's NotifyReport of its LocalAuthListCtrlr (as a GetBaseReport asks)."""
    notice = call.NotifyReport(request_id=1, generated_at=T0, seq_no=0, report_data=list(variables))
    assert await cp.call(notice) is not None


def tokens(request: dict) -> list[str]:
    return [e["id_token"]["id_token"] for e in request.get("local_authorization_list", [])]


async def test_a_list_larger_than_a_message_goes_in_parts_each_once_the_last_is_accepted(
    tmp_path, capsys
):
    answers = {"SendLocalList": ACCEPTED, "GetLocalListVersion": {"version_number": 3}}
    async with csms(tmp_path, capsys, api=True) as system:
        system.seed("CP-2", tags=TAGS)
        post = system.http
        async with system.station("CP-2", answers=answers) as cp:
            await cp.boot()
            await report(cp, variable("Available", "true"), variable("Enabled", "true"),
                         variable("ItemsPerMessage", "2"),
                         variable("Entries", "0", max_limit=10))  # fmt: skip
            synced = await post("POST", "/api/v1/stations/CP-2/local-list/sync",
                                json={"token_type": "Central"})  # fmt: skip
            parts = [await cp.request("SendLocalList", n) for n in (1, 2, 3)]
            await eventually(lambda: system.rows(LocalList)[0].version == 3)
            shown = await post("GET", "/api/v1/stations/CP-2/local-list")
            again = await post("POST", "/api/v1/stations/CP-2/local-list/sync", json={})
            asked = await post("POST", "/api/v1/stations/CP-2/local-list/version?wait=5")
            # It holds 5 of at most 10; 11 more make 16.
            for n in range(6, 17):
                assert (await post("PUT", f"/api/v1/id-tags/TAG-{n}", json={})).status_code == 201
            too_many = await post("POST", "/api/v1/stations/CP-2/local-list/sync", json={})
            await report(cp, variable("Enabled", "false"))
            disabled = await post("POST", "/api/v1/stations/CP-2/local-list/sync", json={})
            code, out, err = await system.operator("local-list", "show", "CP-2")
    assert synced.status_code == 202, synced.text
    assert synced.json() | {"command_id": None} == {
        "station_id": "CP-2", "sent": True, "command_id": None, "version": 1,
        "update_type": "Full", "entries": 2, "more_parts": True,
    }  # fmt: skip
    assert [(p["version_number"], p["update_type"], tokens(p)) for p in parts] == [
        (1, "Full", ["TAG-1", "TAG-2"]),
        (2, "Differential", ["TAG-3", "TAG-4"]),
        (3, "Differential", ["TAG-5"]),
    ]
    assert {e["id_token"]["type"] for p in parts for e in p["local_authorization_list"]} == {
        "Central"
    }
    assert shown.json()["in_sync"] is True and shown.json()["more_parts"] is False
    assert (shown.json()["entries"], shown.json()["token_type"]) == (5, "Central")
    assert (again.status_code, again.json()["sent"]) == (200, False)
    assert (asked.status_code, asked.json()["response"]) == (201, {"versionNumber": 3})
    assert too_many.status_code == 422 and "LocalAuthListCtrlr.Entries" in too_many.text
    assert disabled.status_code == 422 and "Enabled is false" in disabled.json()["detail"]
    assert code == 0 and "token type Central" in out, err
    # One command per part, and the version asked for; nothing for the refused syncs.
    assert (
        sorted(c.action for c in system.rows(Command))
        == ["GetLocalListVersion"] + ["SendLocalList"] * 3
    )


async def test_a_failed_part_stops_the_parts_and_the_full_list_is_sent_again(tmp_path, capsys):
    answers16 = {"SendLocalList": ACCEPTED}
    statuses = iter(["Accepted", "Failed"])
    answers = {"SendLocalList": lambda _: {"status": next(statuses, "Accepted")}}
    async with csms(tmp_path, capsys, api=True) as system:
        system.seed("CP-2", tags=TAGS[:3])
        system.seed("CP-1", tags=())
        async with (
            system.station("CP-2", answers=answers) as cp,
            system.station("CP-1", "1.6", answers16),
        ):
            await cp.boot()
            await report(cp, variable("ItemsPerMessage", "2"))
            code, out, err = await system.operator("local-list", "sync", "CP-2")
            assert code == 0 and "the rest follows in parts" in out, (out, err)
            parts = [await cp.request("SendLocalList", n) for n in (1, 2, 3, 4)]
            await eventually(lambda: system.rows(LocalList, LocalList.station_id == "CP-2")[0]
                             .version == 3)  # fmt: skip
            typed16 = await system.http("POST", "/api/v1/stations/CP-1/local-list/sync",
                                        json={"token_type": "Central"})  # fmt: skip
    assert [(p["version_number"], p["update_type"], tokens(p)) for p in parts] == [
        (1, "Full", ["TAG-1", "TAG-2"]),
        (2, "Differential", ["TAG-3"]),  # answered Failed: the full list again, in parts
        (2, "Full", ["TAG-1", "TAG-2"]),
        (3, "Differential", ["TAG-3"]),
    ]
    assert typed16.status_code == 422 and "no type" in typed16.json()["detail"]


async def test_a_version_other_than_ours_has_the_full_list_follow_in_parts(tmp_path, capsys):
    """The station holds a list we did not send (no token type known): the version it
    reports differs from ours, so the full list follows by itself, in parts, of the
    default type, and then it is in sync."""
    answers = {"SendLocalList": ACCEPTED, "GetLocalListVersion": {"version_number": 5}}
    async with csms(tmp_path, capsys) as system:
        system.seed("CP-2", tags=TAGS[:3])
        with db.session_scope(system.url) as session:
            session.add(LocalList(station_id="CP-2", version=1, entries={}, supported=True,
                                  resends=0))  # fmt: skip
        async with system.station("CP-2", answers=answers) as cp:
            await cp.boot()
            await report(cp, variable("ItemsPerMessage", "2"))
            code, out, err = await system.operator("local-list", "version", "CP-2", "--wait")
            assert code == 0 and out.splitlines()[-1] == 'accepted: {"versionNumber":5}', err
            parts = [await cp.request("SendLocalList", n) for n in (1, 2)]
            await eventually(lambda: system.rows(LocalList)[0].version == 3)
            code, out, err = await system.operator("local-list", "show", "CP-2", "--json")
            assert cp.asked("SendLocalList") == 2
    assert [(p["version_number"], p["update_type"], tokens(p)) for p in parts] == [
        (2, "Full", ["TAG-1", "TAG-2"]),
        (3, "Differential", ["TAG-3"]),
    ]
    shown = json.loads(out)
    assert (shown["in_sync"], shown["token_type"], shown["more_parts"]) == (
        True, "ISO14443", False,
    )  # fmt: skip
