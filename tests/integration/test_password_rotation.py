"""Rotating a station's HTTP Basic password (security profiles 1 and 2), as the OCPP 1.6
security whitepaper (ChangeConfiguration AuthorizationKey) and OCPP 2.0.1 A01
(SetVariables SecurityCtrlr.BasicAuthPassword, OCA test case TC_A_09_CSMS) describe it:
the central system makes the password, the station accepts it, disconnects and comes
back with it; the old one gets in until the new one has. Nobody sees the password: not
a read token in the API, not a viewer of the live streams, not the database.

Real `ocpp` ChargePoints through the real gateway and rpc_app, on SQLite and PostgreSQL.
"""

from __future__ import annotations

import asyncio
import contextlib
import hashlib
import json
import re
import string
from datetime import timedelta

import pytest
from ocpp.routing import after, on
from ocpp.v16 import call_result
from ocpp.v16.enums import Action
from ocpp.v201 import call as call201
from ocpp.v201 import call_result as call_result201
from ocpp.v201.enums import Action as Action201
from sqlalchemy import MetaData, select
from websockets.exceptions import InvalidStatus

from ocpp_cable.channels.domain import password_fields, stations, viewers
from ocpp_cable.channels.domain.timeutil import now
from ocpp_cable.channels.storage import db
from ocpp_cable.channels.storage.models import ChargePoint
from tests.support.admin import run_admin_line
from tests.support.api import bearer, make_token, served_api
from tests.support.central import PASSWORD, CentralCharger, basic, operator
from tests.support.live import watching
from tests.support.servers import Charger201, charger, eventually, subscribed

# What stations report of their password although they must not (1.6 makes AuthorizationKey
# write-only; a 2.x BasicAuthPassword is WriteOnly): none of it may show anywhere.
REPORTED_KEY = "0123456789ABCDEF0123456789ABCDEF01234567"
REPORTED_PASSWORD = "reported-basic-auth-password-2"
NOTIFIED_PASSWORD = "notified-basic-auth-password-3"
TYPED_KEY = "74797065642D62792D616E2D6F70657261746F72"  # "typed-by-an-operator"
TYPED_PASSWORD = "typed-by-an-operator-too"
SECURITY = {"name": "SecurityCtrlr"}
BASIC_AUTH = {"name": "BasicAuthPassword"}
PASSWORD_CHARACTERS = set(string.ascii_letters + string.digits + "*-_=:+|@.")


class KeyedCharger(CentralCharger):
    """A 1.6 charger that takes a new AuthorizationKey (answering `answer`), and reports it
    in GetConfiguration although it should not."""

    answer = "Accepted"

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        self.keys: list[tuple[str, str]] = []

    @on(Action.change_configuration)
    def on_change_configuration(self, key, value, **_):
        self.keys.append((key, value))
        return call_result.ChangeConfiguration(status=self.answer)

    @on(Action.get_configuration)
    def on_get_configuration(self, key=None, **_):
        return call_result.GetConfiguration(
            configuration_key=[
                {"key": "AuthorizationKey", "readonly": False, "value": REPORTED_KEY},
                {"key": "HeartbeatInterval", "readonly": False, "value": "300"},
            ]
        )


class RejectingCharger(KeyedCharger):
    answer = "Rejected"


class VanishingCharger(KeyedCharger):
    """Takes the new key and goes away before it answers."""

    @on(Action.change_configuration)
    async def on_change_configuration(self, key, value, **_):
        self.keys.append((key, value))
        await self._connection.close()
        return call_result.ChangeConfiguration(status="Accepted")


class PasswordCharger(Charger201):
    """A 2.0.1 charger that takes a new BasicAuthPassword, and reports it in GetVariables
    although it is WriteOnly."""

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        self.passwords: list[str] = []

    @on(Action201.set_variables)
    def on_set_variables(self, set_variable_data, **_):
        results = []
        for data in set_variable_data:
            if data["variable"]["name"] == "BasicAuthPassword":
                self.passwords.append(data["attribute_value"])
            results.append(
                {
                    "attribute_status": "Accepted",
                    "component": data["component"],
                    "variable": data["variable"],
                }
            )
        return call_result201.SetVariables(set_variable_result=results)

    @on(Action201.get_variables)
    def on_get_variables(self, get_variable_data, **_):
        return call_result201.GetVariables(
            get_variable_result=[
                {
                    "attribute_status": "Accepted",
                    "attribute_value": REPORTED_PASSWORD,
                    "component": data["component"],
                    "variable": data["variable"],
                }
                for data in get_variable_data
            ]
        )


def add(url: str, station_id: str) -> None:
    with db.session_scope(url) as session:
        stations.add_station(session, station_id, password=PASSWORD)


@contextlib.asynccontextmanager
async def station(node, station_id="CP-1", password=PASSWORD, cls=KeyedCharger, v2=False):
    """The station connected with `password` and subscribed (InvalidStatus if refused)."""
    subprotocol = "ocpp2.0.1" if v2 else "ocpp1.6"
    headers = basic(station_id, password)
    async with charger(node, station_id, cls, subprotocol, additional_headers=headers) as cp:
        await eventually(lambda: subscribed(node, station_id))
        yield cp


async def admitted(node, password, station_id="CP-1", v2=False) -> bool:
    """Does the gateway let the station in with `password`? (False: HTTP 401.)"""
    try:
        async with station(node, station_id, password, v2=v2):
            return True
    except InvalidStatus as refused:
        assert refused.response.status_code == 401
        return False


async def rotation_of(client, token, station_id="CP-1") -> dict | None:
    found = await client.get(f"/api/v1/stations/{station_id}", headers=bearer(token))
    assert found.status_code == 200, found.text
    return found.json()["password_rotation"]


def everything_stored(url: str) -> str:
    """Every row of every table, as text."""
    engine = db.session_factory(url).kw["bind"]
    tables = MetaData()
    tables.reflect(engine)
    with engine.connect() as connection:
        return "\n".join(
            repr(tuple(row))
            for table in tables.sorted_tables
            for row in connection.execute(select(table))
        )


async def test_a_16_station_takes_a_new_authorization_key_and_its_old_one_retires(database_url):
    add(database_url, "CP-1")
    token = make_token(database_url)
    async with served_api(database_url) as (node, client, _):
        async with station(node) as cp:
            answer = await client.post(
                "/api/v1/stations/CP-1/password-rotation?wait=5", headers=bearer(token)
            )
            assert answer.status_code == 201, answer.text
            rotation = answer.json()
            assert (rotation["action"], rotation["state"]) == ("ChangeConfiguration", "accepted")
            assert rotation["command"]["payload"] == {"key": "AuthorizationKey", "value": "***"}
            ((key, value),) = cp.keys
            # 20 bytes as 40 hexadecimal digits (the whitepaper's AuthorizationKey).
            assert key == "AuthorizationKey" and re.fullmatch(r"[0-9A-F]{40}", value)
            assert (await rotation_of(client, token))["status"] == "accepted"

            # One rotation at a time: this one waits for the station to come back with it.
            again = await client.post(
                "/api/v1/stations/CP-1/password-rotation", headers=bearer(token)
            )
            assert again.status_code == 409, again.text
            assert rotation["command_id"] in again.json()["detail"]

        # The whitepaper's password is the key's octets; a station may send the digits.
        new = bytes.fromhex(value).decode()
        assert await admitted(node, PASSWORD)  # it may not have switched yet
        assert await admitted(node, new)  # its first login with the new one ...
        assert not await admitted(node, PASSWORD)  # ... retires the old one
        assert await admitted(node, value)
        assert await rotation_of(client, token) is None
    with db.session_scope(database_url) as session:
        found = stations.credentials(session, "CP-1")
    assert found.auth_required and found.password_hash.startswith("scrypt$")


async def test_tc_a_09_csms_a_201_station_takes_a_new_basic_auth_password(
    database_url, capsys, tmp_path
):
    """OCA TC_A_09_CSMS: SetVariables SecurityCtrlr.BasicAuthPassword, Accepted; the station
    reconnects with the new password and boots."""
    add(database_url, "CP-2")
    async with served_api(database_url) as (node, _, _):
        async with station(node, "CP-2", cls=PasswordCharger, v2=True) as cp:
            code, out, err = await operator(
                capsys, node, database_url, "rotate-password", "CP-2", "--wait"
            )
            assert code == 0, err
            (new,) = cp.passwords
            assert 16 <= len(new) <= 40 and set(new) <= PASSWORD_CHARACTERS
            assert "accepted" in out
            assert new not in out + err

        async with station(node, "CP-2", new, PasswordCharger, v2=True) as cp:
            booted = await cp.call(
                call201.BootNotification(
                    charging_station={"vendor_name": "Acme", "model": "Wallbox 2"},
                    reason="PowerUp",
                )
            )
            assert booted.status == "Accepted"
        assert not await admitted(node, PASSWORD, "CP-2", v2=True)

        # A password of the operator's choice, from a file (never from a flag).
        chosen = tmp_path / "password"
        chosen.write_text("Chosen-By-The-Operator-42\n")
        async with station(node, "CP-2", new, PasswordCharger, v2=True) as cp:
            code, out, err = await operator(
                capsys, node, database_url, "rotate-password", "CP-2",
                "--password-file", str(chosen), "--wait",
            )  # fmt: skip
            assert code == 0, err
            assert cp.passwords == ["Chosen-By-The-Operator-42"]
            assert "Chosen-By-The-Operator-42" not in out + err
        assert await admitted(node, "Chosen-By-The-Operator-42", "CP-2", v2=True)
        assert not await admitted(node, new, "CP-2", v2=True)


async def test_a_rejected_rotation_keeps_the_old_password(database_url):
    add(database_url, "CP-1")
    token = make_token(database_url)
    async with served_api(database_url) as (node, client, _):
        async with station(node, cls=RejectingCharger) as cp:
            answer = await client.post(
                "/api/v1/stations/CP-1/password-rotation?wait=5", headers=bearer(token)
            )
            assert answer.status_code == 201, answer.text
            assert answer.json()["state"] == "refused"
            ((_, value),) = cp.keys
        assert await rotation_of(client, token) is None
        assert not await admitted(node, bytes.fromhex(value).decode())
        assert not await admitted(node, value)
        assert await admitted(node, PASSWORD)


@pytest.mark.parametrize("back_with", ["new", "old"])
async def test_a_station_gone_before_answering_may_come_back_with_either_password(
    database_url, back_with
):
    """NotConnected: it may have taken the password before it went. Both are admitted
    until its next login settles it: the new one becomes its password; the old one (the
    command over) proves it did not switch, and the rotation ends."""
    add(database_url, "CP-1")
    token = make_token(database_url)
    async with served_api(database_url) as (node, client, _):
        async with station(node, cls=VanishingCharger) as cp:
            answer = await client.post(
                "/api/v1/stations/CP-1/password-rotation?wait=5", headers=bearer(token)
            )
            assert answer.status_code == 201, answer.text
            assert answer.json()["state"] == "unanswered"
            ((_, value),) = cp.keys
        pending = await rotation_of(client, token)
        assert (pending["status"], pending["error_code"]) == ("unanswered", "NotConnected")
        code, out, err = run_admin_line(database_url, "stations", "show", "CP-1")
        assert code == 0, err
        command_id = answer.json()["command_id"]
        assert re.search(
            rf"password_rotation +unanswered \(command {command_id}, since 20.*\), ended "
            "NotConnected: both passwords are admitted until the station's next login",
            out,
        )
        new = bytes.fromhex(value).decode()
        if back_with == "new":
            assert await admitted(node, new)
            assert not await admitted(node, PASSWORD)
        else:
            assert await admitted(node, PASSWORD)
            assert not await admitted(node, new)
            assert await admitted(node, PASSWORD)
        assert await rotation_of(client, token) is None


class LateCharger(KeyedCharger):
    """Takes the new key, and answers Accepted only after the gateway's --call-timeout."""

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        self.answered = asyncio.Event()

    @on(Action.change_configuration)
    async def on_change_configuration(self, key, value, **_):
        self.keys.append((key, value))
        await asyncio.sleep(1.5)
        return call_result.ChangeConfiguration(status="Accepted")

    @after(Action.change_configuration)
    def after_change_configuration(self, **_):
        self.answered.set()


async def test_a_station_that_answers_after_the_call_timeout_comes_back_with_the_new_password(
    database_url,
):
    """Timeout: the station took the password and answered after --call-timeout, and the
    gateway dropped that answer. The rotation is unanswered, not over: the station's next
    login, with the new password, is admitted, and no other rotation starts before it."""
    add(database_url, "CP-1")
    token = make_token(database_url)
    async with served_api(database_url, call_timeout=1.0) as (node, client, _):
        async with station(node, cls=LateCharger) as cp:
            answer = await client.post(
                "/api/v1/stations/CP-1/password-rotation?wait=5", headers=bearer(token)
            )
            assert answer.status_code == 201, answer.text
            rotation = answer.json()
            assert (rotation["state"], rotation["command"]["error_code"]) == (
                "unanswered",
                "Timeout",
            )
            await asyncio.wait_for(cp.answered.wait(), 5)  # too late: dropped at the gateway
            pending = await rotation_of(client, token)
            assert (pending["status"], pending["error_code"]) == ("unanswered", "Timeout")
            again = await client.post(
                "/api/v1/stations/CP-1/password-rotation", headers=bearer(token)
            )
            assert again.status_code == 409, again.text
            assert rotation["command_id"] in again.json()["detail"]
            ((_, value),) = cp.keys
        assert await admitted(node, bytes.fromhex(value).decode())
        assert await rotation_of(client, token) is None
        assert not await admitted(node, PASSWORD)


def rotation_command(url: str, station_id: str = "CP-1") -> str | None:
    """The command of the station's rotation under way, as stored."""
    with db.session_scope(url) as session:
        return session.get(ChargePoint, station_id).pending_password_command


async def test_a_rotation_ending_no_answer_keeps_both_passwords_until_the_station_logs_in(
    database_url, capsys, tmp_path
):
    """NoAnswer (here: a broadcast that reached no station): no word from the station, so
    both passwords stay admitted and no other rotation starts, also past any time limit,
    until its next login; one with the old password ends it. `rotate-password --wait`
    waits until rpc_app's sweep ends the command, as long as the sweep's bound."""
    add(database_url, "CP-1")
    token = make_token(database_url)
    chosen = tmp_path / "password"
    chosen.write_text("Lost-On-The-Way-4242\n")
    timings = {"call_timeout": 1.0, "reply_retry_time": 0.0, "rpc_timeout": 1.0}
    async with served_api(database_url, **timings) as (node, client, _):
        async with station(node) as cp:
            # The broker takes it for a stream no station listens on: a lost broadcast.
            flags = ("--password-file", str(chosen), "--wait", "--call-timeout", "1",
                     "--rpc-timeout", "1", "--station-stream", "nowhere:{station_id}")  # fmt: skip
            rotating = operator(capsys, node, database_url, "rotate-password", "CP-1", *flags)
            waiting = asyncio.create_task(rotating)
            command_id = await eventually(lambda: rotation_command(database_url))
            # However long ago it started, a rotation whose command is open is not replaced.
            with db.session_scope(database_url) as session:
                session.get(ChargePoint, "CP-1").pending_password_at = now() - timedelta(hours=1)
            again = await client.post(
                "/api/v1/stations/CP-1/password-rotation", headers=bearer(token)
            )
            assert again.status_code == 409, again.text
            assert "still waiting for the station's answer" in again.json()["detail"]

            code, out, err = await waiting
            assert code == 1, out + err
            assert "unanswered: no word from CP-1" in out and "(NoAnswer)" in out, out + err
            assert cp.keys == []
            pending = await rotation_of(client, token)
            assert (pending["command_id"], pending["status"], pending["error_code"]) == (
                command_id,
                "unanswered",
                "NoAnswer",
            )
            again = await client.post(
                "/api/v1/stations/CP-1/password-rotation", headers=bearer(token)
            )
            assert again.status_code == 409, again.text
            assert "ended without the station's word (NoAnswer)" in again.json()["detail"]
        with db.session_scope(database_url) as session:
            assert stations.credentials(session, "CP-1").pending_password_hash is not None

        assert await admitted(node, PASSWORD)  # it did not switch: the rotation ends
        assert await rotation_of(client, token) is None
        assert not await admitted(node, "Lost-On-The-Way-4242")
        assert await admitted(node, PASSWORD)


async def test_a_16_station_presenting_the_key_digits_costs_one_scrypt_per_login(
    database_url, monkeypatch
):
    """Its first login with the new password, as the hexadecimal digits it got, keeps the
    hash of that form: each later login checks one hash once, not the digits and then
    what they decode to."""
    add(database_url, "CP-1")
    token = make_token(database_url)
    async with served_api(database_url) as (node, client, _):
        async with station(node) as cp:
            answer = await client.post(
                "/api/v1/stations/CP-1/password-rotation?wait=5", headers=bearer(token)
            )
            assert answer.json()["state"] == "accepted", answer.text
            ((_, digits),) = cp.keys
        assert await admitted(node, digits)
        assert await rotation_of(client, token) is None
        scrypt, runs = hashlib.scrypt, []

        def counted(*args, **kwargs):
            runs.append(args)
            return scrypt(*args, **kwargs)

        monkeypatch.setattr(hashlib, "scrypt", counted)
        assert await admitted(node, digits)
        assert len(runs) == 1
        assert not await admitted(node, PASSWORD)


async def test_a_password_is_masked_once_where_each_copy_is_kept(database_url, monkeypatch):
    """The commands, the message log and the variables each mask what they keep, and
    nothing masks before them: no masking runs on what is masked already."""
    add(database_url, "CP-1")
    add(database_url, "CP-2")
    token = make_token(database_url)
    seen: list[str] = []
    masked = password_fields.masked

    def spy(action, payload):
        seen.append(json.dumps(payload))
        return masked(action, payload)

    monkeypatch.setattr(password_fields, "masked", spy)
    async with served_api(database_url) as (node, client, _):
        async with station(node) as cp, station(node, "CP-2", cls=PasswordCharger, v2=True):
            rotated = await client.post(
                "/api/v1/stations/CP-1/password-rotation?wait=5", headers=bearer(token)
            )
            assert rotated.json()["state"] == "accepted", rotated.text
            get = {"getVariableData": [{"component": SECURITY, "variable": BASIC_AUTH}]}
            reported = await client.post(
                "/api/v1/stations/CP-2/commands?wait=5",
                json={"action": "GetVariables", "payload": get},
                headers=bearer(token),
            )
            assert reported.json()["status"] == "accepted", reported.text
            ((_, key),) = cp.keys
    assert not [s for s in seen if password_fields.MASK in s]
    # The request: its command and the message log. The answer: its command, the
    # station's variables, the message log.
    assert sum(key in s for s in seen) == 2
    assert sum(REPORTED_PASSWORD in s for s in seen) == 3


async def test_a_read_token_sees_no_password_anywhere(database_url, capsys):
    add(database_url, "CP-1")
    add(database_url, "CP-2")
    writer = make_token(database_url)
    reader = make_token(database_url, "viewer", viewers.READ)
    shown: list[str] = []
    async with served_api(database_url) as (node, client, _):

        async def send(station_id, action, payload, status=201) -> dict:
            sent = await client.post(
                f"/api/v1/stations/{station_id}/commands?wait=5",
                json={"action": action, "payload": payload},
                headers=bearer(writer),
            )
            assert sent.status_code == status, sent.text
            return sent.json()

        async with (
            watching(node, reader, "CP-1", "CP-2") as live,
            station(node) as cp,
            station(node, "CP-2", cls=PasswordCharger, v2=True) as cp2,
        ):
            # A password typed into a plain command is refused, with the way to rotate it.
            typed = {"key": "AuthorizationKey", "value": TYPED_KEY}
            refused = await send("CP-1", "ChangeConfiguration", typed, 422)
            assert "rotate-password" in refused["detail"]
            assert "password-rotation" in refused["detail"]
            code, out, err = await operator(
                capsys, node, database_url, "send", "CP-1", "ChangeConfiguration", json.dumps(typed)
            )
            assert code == 2 and "rotate-password" in err
            shown.append(out + err)
            set_password = {
                "setVariableData": [
                    {
                        "component": SECURITY,
                        "variable": BASIC_AUTH,
                        "attributeValue": TYPED_PASSWORD,
                    }
                ]
            }
            refused = await send("CP-2", "SetVariables", set_password, 422)
            assert "rotate-password" in refused["detail"]
            assert cp.keys == [] and cp2.passwords == []

            # Rotations: the password is in the CALL to the station, and nowhere else.
            for station_id in ("CP-1", "CP-2"):
                rotated = await client.post(
                    f"/api/v1/stations/{station_id}/password-rotation?wait=5",
                    headers=bearer(writer),
                )
                assert rotated.status_code == 201, rotated.text
                shown.append(rotated.text)
            ((_, key),) = cp.keys
            (password,) = cp2.passwords

            # What stations report of their passwords, although they must not.
            reported = await send("CP-1", "GetConfiguration", {})
            shown.append(json.dumps(reported))
            get = {"getVariableData": [{"component": SECURITY, "variable": BASIC_AUTH}]}
            shown.append(json.dumps(await send("CP-2", "GetVariables", get)))
            await cp2.call(
                call201.NotifyReport(
                    request_id=1,
                    generated_at="2026-12-01T10:00:00Z",
                    seq_no=0,
                    report_data=[
                        {
                            "component": SECURITY,
                            "variable": BASIC_AUTH,
                            "variable_attribute": [
                                {
                                    "type": "Actual",
                                    "value": NOTIFIED_PASSWORD,
                                    "mutability": "WriteOnly",
                                }
                            ],
                        }
                    ],
                )
            )
            await eventually(lambda: sum(f.count('"command_result"') for f in live) >= 4)

        headers = bearer(reader)
        for path in (
            "/api/v1/commands?limit=500",
            "/api/v1/messages?limit=500",
            "/api/v1/stations/CP-1",
            "/api/v1/stations/CP-1/configuration",
            "/api/v1/stations/CP-2",
            "/api/v1/stations/CP-2/variables",
        ):
            answer = await client.get(path, headers=headers)
            assert answer.status_code == 200, answer.text
            shown.append(answer.text)
        configuration = await client.get("/api/v1/stations/CP-1/configuration", headers=headers)
        assert {k["key"]: k["value"] for k in configuration.json()}["AuthorizationKey"] == "***"
        variables = await client.get("/api/v1/stations/CP-2/variables", headers=headers)
        assert [v["value"] for v in variables.json()["items"]] == ["***"]
        for command in ("config CP-1", "variables CP-2", "show CP-1"):
            code, out, err = run_admin_line(database_url, "stations", *command.split(), "--json")
            assert code == 0, err
            shown.append(out + err)

    shown += [*live, everything_stored(database_url)]
    secrets = [REPORTED_KEY, REPORTED_PASSWORD, NOTIFIED_PASSWORD, TYPED_KEY, TYPED_PASSWORD,
               key, bytes.fromhex(key).decode(), password]  # fmt: skip
    for text in shown:
        for secret in secrets:
            assert secret not in text, f"{secret} shown in {text[:2000]}"


@pytest.mark.parametrize("answer", ["Rejected", "CALLERROR"])
async def test_a_201_rotation_the_station_refuses_changes_nothing(database_url, capsys, answer):
    add(database_url, "CP-2")

    class Refusing(PasswordCharger):
        @on(Action201.set_variables)
        def on_set_variables(self, set_variable_data, **_):
            self.passwords += [d["attribute_value"] for d in set_variable_data]
            if answer == "CALLERROR":
                raise ValueError("no")  # the ocpp package answers a CALLERROR
            return call_result201.SetVariables(
                set_variable_result=[
                    {
                        "attribute_status": "Rejected",
                        "component": d["component"],
                        "variable": d["variable"],
                    }
                    for d in set_variable_data
                ]
            )

    async with served_api(database_url) as (node, _, _):
        async with station(node, "CP-2", cls=Refusing, v2=True) as cp:
            code, out, err = await operator(
                capsys, node, database_url, "rotate-password", "CP-2", "--wait"
            )
            assert code == 1, out + err
            (new,) = cp.passwords
        assert not await admitted(node, new, "CP-2", v2=True)
        assert await admitted(node, PASSWORD, "CP-2", v2=True)
