"""The 2.x device model's commands refuse what cannot go, before anything is sent or
recorded: a name the notation does not take, a 1.6 or offline station, an entry larger than
the station's BytesPerMessage, the station's own password; the CLI and the API alike."""

from __future__ import annotations

from ocpp.v16 import call as call16
from ocpp.v201 import call

from ocpp_cable.channels.storage.models import Command
from tests.support.conformance import T0, csms


async def test_what_cannot_go_is_refused_before_anything_is_sent(tmp_path, capsys):
    async with csms(tmp_path, capsys, api=True) as system:
        system.seed()
        system.seed("CP-16", tags=())
        code, _, err = await system.operator("variables", "get", "CP-1", "A.B")
        assert code == 1 and "not connected" in err
        async with system.station(answers={"GetBaseReport": {"status": "Accepted"}}) as cp:
            await cp.boot()
            code, _, err = await system.operator("variables", "get", "CP-1", "NoVariable")
            assert code == 2 and "names no variable" in err
            response = await system.http(
                "POST", "/api/v1/stations/CP-1/variables/get", json={"variables": ["A..B"]}
            )
            assert response.status_code == 422
            assert response.json()["type"].endswith("invalid-variable")
            code, _, err = await system.operator(
                "variables", "set", "CP-1", "SecurityCtrlr.BasicAuthPassword=0123456789abcdef"
            )
            assert code == 2 and "rotate-password" in err
            code, _, err = await system.operator(
                "customer-information", "CP-1", "--customer-identifier", "x"
            )
            assert code == 2 and "a report, a clear, or both" in err
            # The station says one GetVariables takes at most 180 bytes.
            code, out, err = await system.operator("report", "CP-1", "--base", "FullInventory")
            assert code == 0, err
            request = await cp.request("GetBaseReport")
            limit = {
                "component": {"name": "DeviceDataCtrlr"},
                "variable": {"name": "BytesPerMessage", "instance": "GetVariables"},
                "variable_attribute": [{"type": "Actual", "value": "180"}],
            }
            await cp.call(call.NotifyReport(request_id=request["request_id"], generated_at=T0,
                                            seq_no=0, report_data=[limit]))  # fmt: skip
            long_name = "C" * 50 + "." + "V" * 50
            response = await system.http(
                "POST", "/api/v1/stations/CP-1/variables/get", json={"variables": [long_name]}
            )
            assert response.status_code == 422, response.text
            assert "BytesPerMessage[GetVariables]" in response.json()["detail"]
            # Two short ones fit only one at a time.
            code, out, err = await system.operator(
                "variables", "get", "CP-1", "OCPPCommCtrlr.A", "OCPPCommCtrlr.B"
            )
            assert code == 0, err
            assert out.count("GetVariables ") == 2
        async with system.station("CP-16", version="1.6") as cp16:
            await cp16.call(call16.Heartbeat())
            code, _, err = await system.operator("variables", "get", "CP-16", "A.B")
            assert code == 2 and "OCPP 1.6" in err
        actions = sorted(c.action for c in system.rows(Command))
        assert actions == ["GetBaseReport", "GetVariables", "GetVariables"]
