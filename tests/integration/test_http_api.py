"""The HTTP API over real HTTP, against the real database (SQLite and PostgreSQL), with
the reference central system and a charger from the `ocpp` package behind it."""

from __future__ import annotations

import asyncio
import contextlib
import time

import httpx
from ocpp.routing import on
from ocpp.v16 import call, call_result
from ocpp.v16.enums import Action

from ocpp_cable.channels.domain import viewers
from ocpp_cable.channels.storage import db
from ocpp_cable.rpc_app import broadcasting
from tests.support.api import api_server, bearer, make_token, served_api
from tests.support.central import CentralCharger, central_system, connected, seed
from tests.support.servers import eventually, subscribed

PROBLEM = "application/problem+json"
T0 = "2026-11-21T10:00:00Z"


class Charger(CentralCharger):
    """Answers Reset; records what it was asked."""

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        self.asked: list[tuple[str, dict]] = []

    @on(Action.reset)
    def on_reset(self, type, **_):
        self.asked.append(("Reset", {"type": type}))
        return call_result.Reset(status="Accepted" if type == "Soft" else "Rejected")


def problem(response, status: int, kind: str | None = None) -> dict:
    assert response.status_code == status, response.text
    assert response.headers["content-type"] == PROBLEM
    body = response.json()
    assert body["status"] == status and body["title"]
    if kind is not None:
        assert body["type"] == f"urn:ocpp-cable:problem:{kind}"
    return body


async def test_tokens_decide_who_may_read_and_who_may_change(database_url):
    async with served_api(database_url) as (_, api, _):
        missing = await api.get("/api/v1/stations")
        problem(missing, 401)
        assert missing.headers["www-authenticate"].startswith("Bearer")
        problem(await api.get("/api/v1/stations", headers=bearer("ocv_not-a-token")), 401)
        problem(await api.get("/api/v1/stations", headers={"Authorization": "Basic eDp5"}), 401)

        reader = bearer(make_token(database_url, "ada", viewers.READ))
        writer = bearer(make_token(database_url, "ops", viewers.WRITE))
        assert (await api.get("/api/v1/stations", headers=reader)).status_code == 200
        refused = await api.post("/api/v1/stations", json={"id": "CP-1"}, headers=reader)
        assert "read" in problem(refused, 403)["detail"]
        assert (await api.post("/api/v1/stations", json={"id": "CP-1"}, headers=writer)).is_success

        with db.session_scope(database_url) as session:
            viewers.revoke_viewer(session, "ada")
        problem(await api.get("/api/v1/stations", headers=reader), 401)


async def test_what_the_system_publishes_goes_to_its_own_gateway(database_url):
    """Live events (and commands) go to this test's gateway, during the test and after
    it: a network view still gathering when it ends (a second) reaches the stopped
    gateway's port, never the default 127.0.0.1:9001 a real gateway may be serving."""
    seed(database_url)
    async with served_api(database_url) as (node, _, _):
        own = f"http://127.0.0.1:{node.http_port}/_broadcast"
        async with connected(node):
            await eventually(lambda: subscribed(node, "CP-1"))
            assert broadcasting.current().url == own
    assert broadcasting.current().url == own


async def test_stations_add_list_change_remove(database_url):
    async with served_api(database_url) as (_, api, _):
        auth = bearer(make_token(database_url))
        added = await api.post(
            "/api/v1/stations", json={"id": "CP-2", "password": "pw-123456"}, headers=auth
        )
        assert added.status_code == 201 and added.headers["location"].endswith("/stations/CP-2")
        assert added.json()["auth"] == "password" and added.json()["has_password"]
        assert "pw-123456" not in added.text and "password_hash" not in added.text
        for station_id in ("CP-1", "CP-3", "XY-1"):
            await api.post("/api/v1/stations", json={"id": station_id}, headers=auth)
        problem(
            await api.post("/api/v1/stations", json={"id": "CP-1"}, headers=auth),
            409,
            "station-exists",
        )
        # What the gateway would refuse is refused here: it could never connect.
        problem(
            await api.post("/api/v1/stations", json={"id": "CP:1"}, headers=auth),
            422,
            "invalid-request",
        )

        listed = (await api.get("/api/v1/stations?q=CP-&limit=2", headers=auth)).json()
        assert [s["id"] for s in listed["items"]] == ["CP-1", "CP-2"]
        assert listed["total"] == 3 and listed["limit"] == 2
        second = (await api.get("/api/v1/stations?q=CP-&limit=2&offset=2", headers=auth)).json()
        assert [s["id"] for s in second["items"]] == ["CP-3"]
        online = (await api.get("/api/v1/stations?connected=true", headers=auth)).json()
        assert online["items"] == [] and online["total"] == 0

        changed = await api.patch("/api/v1/stations/CP-2", json={"password": None}, headers=auth)
        assert changed.json()["auth"] == "none" and not changed.json()["has_password"]
        removed = await api.delete("/api/v1/stations/CP-2", headers=auth)
        assert removed.status_code == 204
        problem(await api.get("/api/v1/stations/CP-2", headers=auth), 404, "unknown-station")
        problem(await api.delete("/api/v1/stations/CP-2", headers=auth), 404, "unknown-station")


async def test_id_tags_put_block_delete(database_url):
    async with served_api(database_url) as (_, api, _):
        auth = bearer(make_token(database_url))
        made = await api.put(
            "/api/v1/id-tags/TAG-1",
            json={"status": "Accepted", "expiry_date": "2030-01-01T00:00:00"},
            headers=auth,
        )
        assert made.status_code == 201
        assert made.json()["expiry_date"] == "2030-01-01T00:00:00Z"  # no zone: UTC
        again = await api.put(
            "/api/v1/id-tags/TAG-1", json={"parent_id_tag": "FLEET"}, headers=auth
        )
        # PUT sets exactly what it says: the expiry it did not name is gone.
        assert again.status_code == 200
        assert again.json()["expiry_date"] is None and again.json()["parent_id_tag"] == "FLEET"
        await api.put("/api/v1/id-tags/TAG-2", json={}, headers=auth)

        blocked = await api.post("/api/v1/id-tags/TAG-2/block", headers=auth)
        assert blocked.json()["status"] == "Blocked"
        listed = (await api.get("/api/v1/id-tags?status=Blocked", headers=auth)).json()
        assert [t["tag"] for t in listed["items"]] == ["TAG-2"]

        wrong = await api.put("/api/v1/id-tags/TAG-3", json={"status": "Maybe"}, headers=auth)
        body = problem(wrong, 422, "invalid-request")
        assert body["errors"][0]["loc"] == ["body", "status"] and "Maybe" not in wrong.text
        problem(await api.put(f"/api/v1/id-tags/{'T' * 256}", json={}, headers=auth), 422)

        assert (await api.delete("/api/v1/id-tags/TAG-1", headers=auth)).status_code == 204
        problem(await api.get("/api/v1/id-tags/TAG-1", headers=auth), 404, "unknown-id-tag")


async def _charge(cp, energy_steps=(1500, 2100)) -> int:
    await cp.call(call.BootNotification(charge_point_model="Wallbox X", charge_point_vendor="Acme"))
    await cp.call(call.StatusNotification(connector_id=1, error_code="NoError", status="Charging"))
    start = await cp.call(
        call.StartTransaction(connector_id=1, id_tag="TAG-1", meter_start=1000, timestamp=T0)
    )
    for minute, energy in enumerate(energy_steps, 1):
        await cp.call(
            call.MeterValues(
                connector_id=1,
                transaction_id=start.transaction_id,
                meter_value=[
                    {
                        "timestamp": f"2026-11-21T10:0{minute}:00Z",
                        "sampledValue": [{"value": str(energy), "unit": "Wh"}],
                    }
                ],
            )
        )
    return start.transaction_id


async def test_a_charging_session_through_the_api(database_url):
    seed(database_url)
    async with served_api(database_url) as (node, api, _):
        auth = bearer(make_token(database_url))
        async with connected(node, cls=Charger) as cp:
            await eventually(lambda: subscribed(node, "CP-1"))
            tx = await _charge(cp)

            station = (await api.get("/api/v1/stations/CP-1", headers=auth)).json()
            assert station["connected"] and station["vendor"] == "Acme"
            assert [(c["connector_id"], c["status"]) for c in station["connectors"]] == [
                (1, "Charging")
            ]
            assert [t["id"] for t in station["open_transactions"]] == [tx]
            online = (await api.get("/api/v1/stations?connected=true", headers=auth)).json()
            assert [s["id"] for s in online["items"]] == ["CP-1"]

            open_ = (await api.get("/api/v1/transactions?state=open", headers=auth)).json()
            assert [t["id"] for t in open_["items"]] == [tx]
            assert (await api.get("/api/v1/transactions?state=closed", headers=auth)).json()[
                "items"
            ] == []
            values = (await api.get(f"/api/v1/transactions/{tx}/meter-values", headers=auth)).json()
            assert [v["value"] for v in values["items"]] == ["1500", "2100"]

            log = (
                await api.get("/api/v1/messages?station_id=CP-1&action=MeterValues", headers=auth)
            ).json()
            assert log["total"] == 4  # two CALLs in, two CALLRESULTs out
            assert {m["direction"] for m in log["items"]} == {"in", "out"}
            first = (await api.get("/api/v1/messages?limit=3", headers=auth)).json()["items"]
            older = (
                await api.get(f"/api/v1/messages?limit=3&before_id={first[-1]['id']}", headers=auth)
            ).json()["items"]
            ids = [m["id"] for m in first + older]
            assert ids == sorted(ids, reverse=True) and len(set(ids)) == len(ids) == 6

            # An operator closes the session the station never stopped: at its last reading.
            closed = await api.post(f"/api/v1/transactions/{tx}/close", json={}, headers=auth)
            assert closed.json()["meter_stop"] == 2100 and closed.json()["energy_wh"] == 1100
            assert closed.json()["stop_reason"] == "Other"
            problem(
                await api.post(f"/api/v1/transactions/{tx}/close", json={}, headers=auth),
                409,
                "transaction-closed",
            )
            assert closed.json()["closed_by"] == "operator"
            below = await api.post(
                f"/api/v1/transactions/{tx}/close", json={"meter_stop": 999}, headers=auth
            )
            problem(below, 422, "meter-stop-before-start")
            # The station's own stop comes after all (it was offline): it is the truth.
            await cp.call(
                call.StopTransaction(
                    meter_stop=2600, timestamp="2026-11-21T10:05:00Z", transaction_id=tx
                )
            )
            stopped = (await api.get(f"/api/v1/transactions/{tx}", headers=auth)).json()
            assert (stopped["meter_stop"], stopped["energy_wh"]) == (2600, 1600)
            assert stopped["closed_by"] is None and stopped["stop_reason"] == "Local"
            report = (
                await api.get("/api/v1/reports/energy?period=month&station_id=CP-1", headers=auth)
            ).json()
            assert report["total_wh"] == 1600
            assert report["rows"][0]["transactions"] == 1
            assert report["rows"][0]["period_start"].startswith("2026-11-01T00:00:00")


async def test_commands_reach_the_station_and_come_back_with_its_answer(database_url):
    seed(database_url)
    async with served_api(database_url) as (node, api, _):
        auth = bearer(make_token(database_url))
        async with connected(node, cls=Charger) as cp:
            await eventually(lambda: subscribed(node, "CP-1"))
            sent = await api.post(
                "/api/v1/stations/CP-1/commands?wait=10",
                json={"action": "Reset", "payload": {"type": "Soft"}},
                headers=auth,
            )
            assert sent.status_code == 201, sent.text
            command = sent.json()
            assert command["status"] == "accepted" and command["response"] == {"status": "Accepted"}
            assert cp.asked == [("Reset", {"type": "Soft"})]
            assert sent.headers["location"] == f"/api/v1/commands/{command['id']}"

            # Without a wait, the record as it stands; GET follows it to the answer.
            quick = await api.post(
                "/api/v1/stations/CP-1/commands",
                json={"action": "Reset", "payload": {"type": "Hard"}},
                headers=auth,
            )
            assert quick.json()["status"] in ("sent", "rejected")
            followed = await api.get(f"/api/v1/commands/{quick.json()['id']}?wait=10", headers=auth)
            assert followed.json()["status"] == "rejected"
            listed = (await api.get("/api/v1/commands?station_id=CP-1", headers=auth)).json()
            assert listed["total"] == 2

            invalid = await api.post(
                "/api/v1/stations/CP-1/commands",
                json={"action": "Reset", "payload": {"type": "Gentle"}},
                headers=auth,
            )
            assert "Reset" in problem(invalid, 422, "invalid-command")["detail"]
            not_ours = await api.post(
                "/api/v1/stations/CP-1/commands", json={"action": "Heartbeat"}, headers=auth
            )
            problem(not_ours, 422, "invalid-request")  # not an action a central system sends
        await eventually(lambda: not node.stations)
        await asyncio.sleep(0.2)  # the Disconnect is recorded
        offline = await api.post(
            "/api/v1/stations/CP-1/commands", json={"action": "ClearCache"}, headers=auth
        )
        problem(offline, 409, "station-not-connected")
        unknown = await api.post(
            "/api/v1/stations/NOPE/commands", json={"action": "ClearCache"}, headers=auth
        )
        problem(unknown, 404, "unknown-station")
        problem(await api.get("/api/v1/commands/nope", headers=auth), 404, "unknown-command")


async def test_the_commands_each_ocpp_version_has(database_url):
    """What a client offers to send a station (the dashboard's Send a command): the
    actions POST /stations/{id}/commands takes in the station's version, and no other."""
    async with served_api(database_url) as (_, api, _):
        reader = bearer(make_token(database_url, "ada", viewers.READ))
        v16 = (await api.get("/api/v1/ocpp/1.6/actions", headers=reader)).json()
        assert v16["version"] == "1.6" and v16["central"] == sorted(v16["central"])
        assert {"Reset", "RemoteStartTransaction", "DataTransfer"} <= set(v16["central"])
        assert not {"Heartbeat", "RequestStartTransaction"} & set(v16["central"])
        v2 = {}
        for version in ("2.0.1", "2.1"):
            v2[version] = (await api.get(f"/api/v1/ocpp/{version}/actions", headers=reader)).json()
            assert "RequestStartTransaction" in v2[version]["central"]
            assert not {"TransactionEvent", "RemoteStartTransaction"} & set(v2[version]["central"])
        assert "SetDefaultTariff" in set(v2["2.1"]["central"]) - set(v2["2.0.1"]["central"])
        problem(await api.get("/api/v1/ocpp/1.5/actions", headers=reader), 422, "invalid-request")
        problem(await api.get("/api/v1/ocpp/1.6/actions"), 401)


async def test_status_openapi_docs_and_errors(database_url):
    async with served_api(database_url) as (_, api, _):
        auth = bearer(make_token(database_url))
        status = (await api.get("/api/v1/status", headers=auth)).json()
        assert status["database"] == "ok" and status["stations"] == {"total": 0, "connected": 0}

        spec = (await api.get("/api/v1/openapi.json")).json()
        assert spec["openapi"].startswith("3.")
        assert "/api/v1/stations/{station_id}/commands" in spec["paths"]
        assert "HTTPBearer" in spec["components"]["securitySchemes"]
        docs = await api.get("/api/docs")
        assert docs.status_code == 200 and "/api/docs/assets/swagger-ui-bundle.js" in docs.text
        assert (await api.get("/api/docs/assets/swagger-ui-bundle.js")).status_code == 200

        problem(await api.get("/api/v1/nothing-here", headers=auth), 404)
        # PostgreSQL's text takes no NUL: such a URL is refused before any query.
        for url in (
            "/api/v1/stations?q=a%00b",
            "/api/v1/stations/a%00b",
            "/api/v1/commands?station_id=%00",
        ):
            assert "NUL" in problem(await api.get(url, headers=auth), 400)["detail"]
        problem(await api.get("/api/v1/stations?limit=0", headers=auth), 422, "invalid-request")
        problem(await api.delete("/api/v1/status", headers=auth), 405)
        # A rejected body never comes back: it may hold a password.
        echoed = await api.post(
            "/api/v1/stations", json={"id": "CP-1", "password": ""}, headers=auth
        )
        problem(echoed, 422)
        extra = await api.post(
            "/api/v1/stations", json={"id": "CP-1", "secret": "hunter2-x"}, headers=auth
        )
        assert "hunter2-x" not in problem(extra, 422)["errors"].__repr__()


async def _post_raw(port: int, token: str, headers: str, body_chunks) -> bytes:
    """POST /api/v1/stations over a raw socket, sending `body_chunks` while the answer
    may already come back (as a client that never waits for 100-continue does)."""
    reader, writer = await asyncio.open_connection("127.0.0.1", port)
    writer.write(
        (
            f"POST /api/v1/stations HTTP/1.1\r\nHost: x\r\nAuthorization: Bearer {token}\r\n"
            f"Content-Type: application/json\r\n{headers}\r\n"
        ).encode()
    )

    async def send_body():
        with contextlib.suppress(OSError):
            for chunk in body_chunks:
                writer.write(chunk)
                await writer.drain()

    sending = asyncio.create_task(send_body())
    try:
        return await asyncio.wait_for(reader.readuntil(b"\r\n\r\n"), 10)
    finally:
        sending.cancel()
        writer.close()


async def test_a_body_beyond_the_bound_is_refused_unread(database_url):
    async with served_api(database_url) as (_, api, _):
        token = make_token(database_url)
        port = api.base_url.port
        declared = await _post_raw(port, token, "Content-Length: 2000000\r\n", [])
        assert declared.startswith(b"HTTP/1.1 413"), declared
        piece = b"%x\r\n%s\r\n" % (65536, b" " * 65536)
        chunked = await _post_raw(port, token, "Transfer-Encoding: chunked\r\n", [piece] * 40)
        assert chunked.startswith(b"HTTP/1.1 413"), chunked
        listed = await api.get("/api/v1/stations", headers=bearer(token))
        assert listed.json()["total"] == 0


async def test_requests_at_once_each_get_their_answer(database_url):
    """Many operators at once: commands (each recorded and sent from a worker thread)
    and two adds of one new idTag."""
    seed(database_url)
    async with served_api(database_url) as (node, api, _):
        auth = bearer(make_token(database_url))
        async with connected(node, cls=Charger) as cp:
            await eventually(lambda: subscribed(node, "CP-1"))
            sent = await asyncio.gather(
                *(
                    api.post(
                        "/api/v1/stations/CP-1/commands?wait=10",
                        json={"action": "Reset", "payload": {"type": "Soft"}},
                        headers=auth,
                    )
                    for _ in range(24)
                )
            )
            assert [r.status_code for r in sent] == [201] * 24, [r.text for r in sent][:3]
            assert {r.json()["status"] for r in sent} == {"accepted"}
            assert len(cp.asked) == 24
        added = await asyncio.gather(
            *(api.put("/api/v1/id-tags/NEW-1", json={}, headers=auth) for _ in range(12))
        )
        statuses = sorted(r.status_code for r in added)
        assert statuses == [200] * 11 + [201], statuses


class Silent(Charger):
    """Takes a Reset and never answers it."""

    @on(Action.reset)
    async def on_reset(self, type, **_):
        await asyncio.sleep(3600)


async def test_waiting_requests_are_bounded(database_url, monkeypatch):
    """Past MAX_WAITING requests waiting at once, one more answers at once (`sent`)."""
    from ocpp_cable.channels.operators.api.routes import commands as command_routes

    monkeypatch.setattr(command_routes, "MAX_WAITING", 2)
    seed(database_url)
    async with served_api(database_url) as (node, api, _):
        auth = bearer(make_token(database_url))
        async with connected(node, cls=Silent):
            await eventually(lambda: subscribed(node, "CP-1"))
            reset = {"action": "Reset", "payload": {"type": "Soft"}}
            url = "/api/v1/stations/CP-1/commands?wait=3"
            held = [asyncio.create_task(api.post(url, json=reset, headers=auth)) for _ in "ab"]
            await asyncio.sleep(0.5)
            started = time.monotonic()
            third = await api.post(url, json=reset, headers=auth)
            assert time.monotonic() - started < 1.5
            assert third.status_code == 201 and third.json()["status"] in ("queued", "sent")
            for answer in await asyncio.gather(*held):  # they waited their 3 s
                assert answer.json()["status"] == "sent"


async def test_a_waiting_command_does_not_hold_up_shutdown(database_url):
    seed(database_url)
    async with central_system(database_url, shutdown_timeout=10.0) as (node, settings):
        async with api_server(node, settings) as server, connected(node, cls=Silent):
            auth = bearer(make_token(database_url))
            await eventually(lambda: subscribed(node, "CP-1"))
            async with httpx.AsyncClient(base_url=f"http://127.0.0.1:{server.port}") as api:
                waiting = asyncio.create_task(
                    api.post(
                        "/api/v1/stations/CP-1/commands?wait=30",
                        json={"action": "Reset", "payload": {"type": "Soft"}},
                        headers=auth,
                    )
                )
                await asyncio.sleep(0.5)
                started = time.monotonic()
                await server.stop()
                assert time.monotonic() - started < 2
                answer = await waiting
                assert answer.status_code == 201 and answer.json()["status"] == "sent"
