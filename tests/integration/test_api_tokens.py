"""People's tokens managed over the HTTP API by an admin token (real HTTP, SQLite and
PostgreSQL): only the admin scope may; a token made is shown in its 201 answer and never
again (not listed, not logged); one revoked is refused at its next request and its
browsers at /cable are closed at once, as `tokens revoke` does it."""

from __future__ import annotations

import time

import structlog

from ocpp_cable.channels.domain import viewers
from ocpp_cable.channels.storage import db
from ocpp_cable.channels.storage.models import ViewerToken
from ocpp_cable.rpc_app import broadcasting
from tests.integration.test_http_api import problem
from tests.integration.test_live import UNAUTHORIZED, closed, goodbye, watching
from tests.support.api import bearer, make_token, served_api
from tests.support.processes import free_port

TOKENS = "/api/v1/tokens"


async def test_only_an_admin_token_manages_tokens(database_url):
    async with served_api(database_url) as (_, api, _):
        admin = bearer(make_token(database_url, "root", viewers.ADMIN))
        problem(await api.get(TOKENS), 401)
        for scope in (viewers.READ, viewers.WRITE):
            other = bearer(make_token(database_url, f"{scope}-token", scope))
            for method, path, body in (
                ("GET", TOKENS, None),
                ("POST", TOKENS, {"name": "x", "scope": "admin"}),
                ("DELETE", f"{TOKENS}/root", None),
            ):
                refused = await api.request(method, path, json=body, headers=other)
                assert "admin may" in problem(refused, 403)["detail"]
                assert 'error="insufficient_scope"' in refused.headers["www-authenticate"]
            # Who it is, it may know: the dashboard shows Tokens to an admin only.
            me = await api.get("/api/v1/me", headers=other)
            assert me.json() == {"name": f"{scope}-token", "scope": scope}
        assert (await api.get("/api/v1/me", headers=admin)).json() == {
            "name": "root",
            "scope": "admin",
        }
        # An admin token may do all a write token does.
        assert (await api.post("/api/v1/stations", json={"id": "CP-1"}, headers=admin)).is_success
        with db.session_scope(database_url) as session:
            assert session.get(ViewerToken, "x") is None
            assert session.get(ViewerToken, "root").revoked_at is None


async def test_a_token_made_is_shown_once_and_nowhere_else(database_url, capfd):
    async with served_api(database_url) as (_, api, _):
        admin = bearer(make_token(database_url, "root", viewers.ADMIN))
        with structlog.testing.capture_logs() as logs:
            made = await api.post(TOKENS, json={"name": "ada", "scope": "write"}, headers=admin)
            assert made.status_code == 201, made.text
            assert made.headers["cache-control"] == "no-store"
            body = made.json()
            secret = body.pop("token")
            assert secret.startswith(viewers.PREFIX) and len(secret) > 40
            assert body["name"] == "ada" and body["scope"] == "write"
            assert body["created_at"] and body["revoked_at"] is None
            # It opens the API at its scope at once.
            me = await api.get("/api/v1/me", headers=bearer(secret))
            assert me.json() == {"name": "ada", "scope": "write"}
            assert (await api.post("/api/v1/stations", json={"id": "CP-1"},
                                   headers=bearer(secret))).status_code == 201  # fmt: skip

            listed = await api.get(TOKENS, headers=admin)
            assert listed.status_code == 200 and "cache-control" not in listed.headers
            page = listed.json()
            assert [(t["name"], t["scope"]) for t in page["items"]] == [
                ("ada", "write"),
                ("root", "admin"),
            ]
            assert (page["total"], page["limit"], page["offset"]) == (2, 50, 0)
            assert set(page["items"][0]) == {"name", "scope", "created_at", "revoked_at"}
            for text in (secret, viewers.digest(secret)):
                assert text not in listed.text
            second = (await api.get(TOKENS, params={"limit": 1, "offset": 1}, headers=admin)).json()
            assert [t["name"] for t in second["items"]] == ["root"] and second["total"] == 2

            # A name in force: 409, and its token is kept.
            taken = await api.post(TOKENS, json={"name": "ada", "scope": "read"}, headers=admin)
            assert "revoke it first" in problem(taken, 409, "token-exists")["detail"]
            assert secret not in taken.text
            assert (await api.get("/api/v1/me", headers=bearer(secret))).status_code == 200
            # Bad names and scopes, and a token of one's own choosing: 422, nothing made.
            for bad in (
                {"name": "", "scope": "read"},
                {"name": "a/b", "scope": "read"},
                {"name": "a\\b", "scope": "read"},
                {"name": "tab\there", "scope": "read"},
                {"name": "zero\u200bwidth", "scope": "read"},  # looks like "zerowidth"
                {"name": " ada", "scope": "read"},
                {"name": "x" * (viewers.MAX_NAME_LENGTH + 1), "scope": "read"},
                {"name": "bob", "scope": "root"},
                {"name": "bob", "scope": "read", "token": "ocv_chosen-by-me"},
                {"scope": "read"},
            ):
                problem(await api.post(TOKENS, json=bad, headers=admin), 422, "invalid-request")
            assert (await api.get(TOKENS, headers=admin)).json()["total"] == 2
        # Not in the log, nor anywhere the process wrote.
        (added,) = [e for e in logs if e["event"] == "token added"]
        assert (added["name"], added["scope"], added["by"]) == ("ada", "write", "root")
        assert secret not in repr(logs)
        written = capfd.readouterr()
        assert secret not in written.out + written.err
    with db.session_scope(database_url) as session:
        kept = session.get(ViewerToken, "ada")
        assert kept.token_hash == viewers.digest(secret) and secret not in kept.token_hash


async def test_a_token_revoked_is_refused_at_once_and_its_browsers_closed(database_url):
    async with served_api(database_url) as (node, api, _):
        admin = bearer(make_token(database_url, "root", viewers.ADMIN))
        made = await api.post(TOKENS, json={"name": "ada"}, headers=admin)  # read, the default
        assert made.json()["scope"] == "read"
        secret = made.json()["token"]
        browser = await watching(node, secret)
        assert (await api.get("/api/v1/status", headers=bearer(secret))).status_code == 200

        revoking = time.monotonic()
        revoked = await api.delete(f"{TOKENS}/ada", headers=admin)
        assert revoked.status_code == 204 and revoked.content == b""
        problem(await api.get("/api/v1/status", headers=bearer(secret)), 401)
        assert await goodbye(browser) == UNAUTHORIZED
        assert await closed(browser)
        assert time.monotonic() - revoking < 2
        (ada,) = [t for t in (await api.get(TOKENS, headers=admin)).json()["items"]
                  if t["name"] == "ada"]  # fmt: skip
        assert ada["revoked_at"] is not None

        # Again: 204 (the nodes are told again). Unknown: 404. Itself: 409, still in force.
        assert (await api.delete(f"{TOKENS}/ada", headers=admin)).status_code == 204
        problem(await api.delete(f"{TOKENS}/nobody", headers=admin), 404, "unknown-token")
        in_use = await api.delete(f"{TOKENS}/root", headers=admin)
        assert "another admin token" in problem(in_use, 409, "token-in-use")["detail"]
        assert (await api.get(TOKENS, headers=admin)).status_code == 200

        # A revoked name may be taken again: a new token; the old one stays refused.
        again = await api.post(TOKENS, json={"name": "ada", "scope": "admin"}, headers=admin)
        assert again.status_code == 201 and again.json()["revoked_at"] is None
        fresh = again.json()["token"]
        assert fresh != secret
        problem(await api.get("/api/v1/status", headers=bearer(secret)), 401)
        # ada, an admin now, may revoke root (not itself).
        assert (await api.delete(f"{TOKENS}/root", headers=bearer(fresh))).status_code == 204
        problem(await api.get(TOKENS, headers=admin), 401)

        # Any name but a separator's goes in the path, percent-encoded.
        ada = bearer(fresh)
        odd = await api.post(TOKENS, json={"name": "ops team 100%", "scope": "read"}, headers=ada)
        assert odd.status_code == 201
        assert (await api.delete(f"{TOKENS}/ops%20team%20100%25", headers=ada)).status_code == 204


async def test_a_broker_that_cannot_be_told_still_leaves_the_token_revoked(database_url):
    """As `tokens revoke` exits 1: a 502 that says the token is revoked all the same, and
    how its browsers end; DELETE again tells them."""
    async with served_api(database_url) as (_, api, _):
        admin = bearer(make_token(database_url, "root", viewers.ADMIN))
        secret = make_token(database_url, "ada", viewers.READ)
        nowhere = f"http://127.0.0.1:{free_port()}/_broadcast"  # no gateway listens there
        broadcasting.configure(broadcasting.HTTPBroadcaster(nowhere, timeout=2))
        failed = await api.delete(f"{TOKENS}/ada", headers=admin)
        detail = problem(failed, 502, "broadcast-failed")["detail"]
        assert "token ada is revoked" in detail and "DELETE again" in detail
        problem(await api.get("/api/v1/status", headers=bearer(secret)), 401)
