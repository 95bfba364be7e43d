"""Channel classes the tests serve: they record what reached them."""

from __future__ import annotations

import threading

from ocpp_cable.rpc_app import Channel, Connection


class Record:
    """What reached the test channels during one test, in arrival order.

    A test takes it as the `record` fixture; calling it lists the data of what
    matched (`record("subscribed", "CP-1")`), `entries` holds (station, action, data).
    """

    def __init__(self) -> None:
        self._lock = threading.Lock()  # channel methods run on rpc_app's worker threads
        self.entries: list[tuple[str, str, dict]] = []

    def add(self, station_id: str, action: str, data: dict) -> None:
        with self._lock:
            self.entries.append((station_id, action, data))

    def __call__(self, action: str | None = None, station_id: str | None = None) -> list[dict]:
        with self._lock:
            return [
                d
                for s, a, d in self.entries
                if (action is None or a == action) and (station_id is None or s == station_id)
            ]


# The channels run inside rpc_app, which knows nothing of tests: they write to the
# record of the test under way, which the `record` fixture starts.
_current = Record()


def start_recording() -> Record:
    global _current
    _current = Record()
    return _current


def record(station_id: str, action: str, data: dict) -> None:
    _current.add(station_id, action, data)


class TestConnection(Connection):
    def connect(self):
        station_id = self.env.station_id
        if station_id.startswith("reject"):
            self.reject("station not allowed")
        self.identifiers["station_id"] = station_id
        self.state["remote"] = self.env.remote_address
        record(station_id, "connect", {"headers": dict(self.env.headers)})

    def disconnect(self):
        record(self.station_id, "disconnect", {"cstate": dict(self.state)})


class OCPPChannel(Channel):
    def subscribed(self):
        self.stream_for(self.params["station_id"])
        record(self.params["station_id"], "subscribed", {"params": self.params})

    def unsubscribed(self):
        record(self.params["station_id"], "unsubscribed", {"istate": dict(self.state)})

    def _record(self, action: str, data: dict) -> None:
        record(self.params["station_id"], action, data)

    def boot_notification(self, data):
        self._record("boot_notification", data)
        if data["payload"]["chargePointVendor"] == "Custom":
            self.transmit_ack(data["id"], status="Pending", interval=42)

    def heartbeat(self, data):
        self._record("heartbeat", data)

    def status_notification(self, data):
        self._record("status_notification", data)

    def meter_values(self, data):
        self._record("meter_values", data)

    def authorize(self, data):
        self._record("authorize", data)
        status = "Blocked" if data["payload"]["idTag"] == "BLOCKED" else "Accepted"
        self.transmit_ack(data["id"], idTagInfo={"status": status})

    def start_transaction(self, data):
        self._record("start_transaction", data)
        self.transmit_ack(data["id"], transactionId=42, idTagInfo={"status": "Accepted"})

    def stop_transaction(self, data):
        self._record("stop_transaction", data)

    async def data_transfer(self, data):
        self._record("data_transfer", data)
        vendor = data["payload"]["vendorId"]
        if vendor == "crash":
            raise RuntimeError("boom")
        if vendor == "call":
            self.send_call("GetConfiguration", {"key": ["HeartbeatInterval"]}, id="cfg-1")
        if vendor == "state":
            count = self.state.get("count", 0) + 1
            self.state["count"] = count
            self.connection.state["last"] = count
            self.transmit_ack(data["id"], status="Accepted", data=str(count))
            return
        if vendor == "silent":
            return  # no answer: DataTransfer needs one, so the gateway sends CALLERROR
        self.transmit_ack(data["id"], status="Accepted")

    def ack(self, data):
        self._record("ack", data)

    def error(self, data):
        self._record("error", data)


class ReceiveChannel(Channel):
    """Single-action mode: every CALL reaches `receive`."""

    def receive(self, data):
        record(self.params["station_id"], "receive", data)
        if data["command"] == "Authorize":
            self.transmit_ack(data["id"], idTagInfo={"status": "Accepted"})


class V2Channel(Channel):
    """A channel for OCPP 2.0.1 and 2.1 stations (the gateway's --version-channels)."""

    def subscribed(self):
        self.stream_for(self.params["station_id"])
        record(self.params["station_id"], "subscribed", {"params": self.params})

    def _record(self, action: str, data: dict) -> None:
        record(self.params["station_id"], action, data)

    def boot_notification(self, data):
        self._record("boot_notification", data)
        if data["payload"]["chargingStation"]["vendorName"] == "Custom":
            self.transmit_ack(data["id"], status="Pending", interval=42, currentTime=NOW)

    def status_notification(self, data):
        self._record("status_notification", data)

    def authorize(self, data):
        self._record("authorize", data)
        token = data["payload"]["idToken"]["idToken"]
        status = "Blocked" if token == "BLOCKED" else "Accepted"
        self.transmit_ack(data["id"], idTokenInfo={"status": status})

    def transaction_event(self, data):
        self._record("transaction_event", data)

    def notify_periodic_event_stream(self, data):
        self._record("notify_periodic_event_stream", data)

    def data_transfer(self, data):
        self._record("data_transfer", data)
        vendor = data["payload"]["vendorId"]
        if vendor == "call":
            variable = {
                "component": {"name": "OCPPCommCtrlr"},
                "variable": {"name": "HeartbeatInterval"},
            }
            self.send_call("GetVariables", {"getVariableData": [variable]}, id="gv-1")
        elif vendor == "spelling":
            # Written for 1.6: the gateway answers a 2.x station in its own spelling.
            self.transmit_error(data["id"], "FormationViolation", "bad data")
            return
        self.transmit_ack(data["id"], status="Accepted")

    def ack(self, data):
        self._record("ack", data)

    def error(self, data):
        self._record("error", data)


NOW = "2026-11-30T10:00:00Z"
