"""A 1.6 station's configuration keys: GetConfiguration and ChangeConfiguration answered by an
`ocpp` ChargePoint through the real gateway, kept by the reference system, shown by the API
and the CLI."""

from __future__ import annotations

import asyncio
import json
import os
import sys

from ocpp.routing import on
from ocpp.v16 import call, call_result
from ocpp.v16.enums import Action

from ocpp_cable.channels.domain import configuration
from ocpp_cable.channels.storage.models import Command, StationConfiguration
from tests.support.api import bearer, make_token, served_api
from tests.support.central import CentralCharger, connected, rows, seed
from tests.support.processes import ROOT
from tests.support.servers import eventually, subscribed


class ConfiguredCharger(CentralCharger):
    """Answers as a charger with `keys` ({key: (value, readonly)}) does."""

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        self.keys = {
            "HeartbeatInterval": ("300", False),
            "NumberOfConnectors": ("2", True),
            "AcmeLedColour": ("blue", False),
        }

    @on(Action.get_configuration)
    def on_get_configuration(self, key=None, **_):
        asked = key or list(self.keys)
        by_lower = {name.lower(): name for name in self.keys}
        found = [by_lower[k.lower()] for k in asked if k.lower() in by_lower]
        return call_result.GetConfiguration(
            configuration_key=[
                {"key": k, "value": self.keys[k][0], "readonly": self.keys[k][1]} for k in found
            ],
            unknown_key=[k for k in asked if k.lower() not in by_lower] or None,
        )

    @on(Action.change_configuration)
    def on_change_configuration(self, key, value, **_):
        if key == "MeterValueSampleInterval":
            return call_result.ChangeConfiguration(status="RebootRequired")
        name = next((k for k in self.keys if k.lower() == key.lower()), None)
        if name is not None and not self.keys[name][1]:
            self.keys[name] = (value, False)
            return call_result.ChangeConfiguration(status="Accepted")
        return call_result.ChangeConfiguration(status="NotSupported")


async def command(client, token, action, payload, status=201):
    answer = await client.post(
        "/api/v1/stations/CP-1/commands?wait=5",
        json={"action": action, "payload": payload},
        headers=bearer(token),
    )
    assert answer.status_code == status, answer.text
    return answer.json()


def stored(url) -> dict[str, tuple]:
    return {
        r.key: (r.value, r.readonly, r.reboot_required) for r in rows(url, StationConfiguration)
    }


async def test_configuration_is_kept_as_the_station_reports_and_accepts_it(database_url):
    seed(database_url)
    token = make_token(database_url)
    async with served_api(database_url) as (node, client, _):
        async with connected(node, cls=ConfiguredCharger) as charger:
            await eventually(lambda: subscribed(node, "CP-1"))
            await command(client, token, "GetConfiguration", {})
            assert stored(database_url) == {
                "HeartbeatInterval": ("300", False, False),
                "NumberOfConnectors": ("2", True, False),
                "AcmeLedColour": ("blue", False, False),
            }

            # Asked for some keys: those reported are written, the unknown ones go.
            del charger.keys["AcmeLedColour"]
            charger.keys["HeartbeatInterval"] = ("120", False)
            await command(
                client, token, "GetConfiguration", {"key": ["heartbeatinterval", "AcmeLedColour"]}
            )
            assert stored(database_url) == {
                "HeartbeatInterval": ("120", False, False),
                "NumberOfConnectors": ("2", True, False),
            }

            # Accepted sets the value (found case-insensitively), RebootRequired marks it,
            # NotSupported changes nothing, a readonly key is refused before it is sent.
            await command(client, token, "ChangeConfiguration", {"key": "heartbeatInterval",
                                                                  "value": "60"})  # fmt: skip
            await command(client, token, "ChangeConfiguration", {"key": "MeterValueSampleInterval",
                                                                  "value": "10"})  # fmt: skip
            await command(client, token, "ChangeConfiguration", {"key": "Bogus", "value": "1"})
            refused = await command(
                client,
                token,
                "ChangeConfiguration",
                {"key": "numberofconnectors", "value": "4"},
                status=422,
            )
            assert refused["type"].endswith(":command-refused")
            assert "NumberOfConnectors is read-only" in refused["detail"]
            assert stored(database_url) == {
                "HeartbeatInterval": ("60", False, False),
                "NumberOfConnectors": ("2", True, False),
                "MeterValueSampleInterval": ("10", None, True),
            }
            assert (
                not [  # the refused one was never recorded, let alone sent
                    c
                    for c in rows(database_url, Command)
                    if c.payload.get("key") == "numberofconnectors"
                ]
            )

            view = await client.get("/api/v1/stations/CP-1/configuration", headers=bearer(token))
            assert view.status_code == 200
            pending = {k["key"]: k["reboot_required"] for k in view.json()}
            assert pending["MeterValueSampleInterval"] is True

            # The reboot: a BootNotification after the change ends reboot_required.
            await charger.call(
                call.BootNotification(charge_point_vendor="Acme", charge_point_model="X")
            )
            view = await client.get("/api/v1/stations/CP-1/configuration", headers=bearer(token))
            assert {k["key"]: k["reboot_required"] for k in view.json()} == {
                "HeartbeatInterval": False,
                "MeterValueSampleInterval": False,
                "NumberOfConnectors": False,
            }

            # A whole list replaces what was known, and at most MAX_KEYS are kept.
            charger.keys = {
                f"Key{n:04}": (str(n), False) for n in range(configuration.MAX_KEYS + 5)
            }
            await command(client, token, "GetConfiguration", {"key": []})
            kept = stored(database_url)
            assert len(kept) == configuration.MAX_KEYS
            assert "HeartbeatInterval" not in kept and "Key0000" in kept and "Key0504" not in kept

        unknown = await client.get("/api/v1/stations/CP-9/configuration", headers=bearer(token))
        assert unknown.status_code == 404

    process = await asyncio.create_subprocess_exec(
        sys.executable, "-m", "ocpp_cable.cli", "stations", "config", "CP-1", "--json",
        cwd=ROOT, env={**os.environ, "OCPP_CABLE_DATABASE_URL": database_url},
        stdout=asyncio.subprocess.PIPE, stderr=asyncio.subprocess.PIPE,
    )  # fmt: skip
    out, err = await asyncio.wait_for(process.communicate(), 60)
    assert process.returncode == 0, err
    listed = json.loads(out)
    assert len(listed) == configuration.MAX_KEYS
    assert listed[0] == {
        "key": "Key0000",
        "value": "0",
        "readonly": False,
        "reboot_required": False,
        "updated_at": listed[0]["updated_at"],
    }
