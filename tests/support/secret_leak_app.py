"""Channels whose broadcasts fail: the failures must not print the broker's password."""

from ocpp_cable.rpc_app import Channel, broadcast


class OCPPChannel(Channel):
    async def authorize(self, data):
        # Inside the event loop: published from a thread, a failure is logged.
        broadcast("ocpp:elsewhere", {"command": "ClearCache", "payload": {}})
        self.transmit_ack(data["id"], idTagInfo={"status": "Accepted"})

    def data_transfer(self, data):
        # In a worker thread: the failure raises into the command (ERROR, traceback).
        broadcast("ocpp:elsewhere", {"command": "ClearCache", "payload": {}})
