"""The benchmark's application: a minimal acking channel, every method on the event loop."""

from ocpp_cable.rpc_app import Channel

ALL = "bench:all"


class OCPPChannel(Channel):
    async def subscribed(self):
        self.stream_for(self.params["station_id"])
        self.stream_from(ALL)  # one broadcast reaches every station

    async def boot_notification(self, data):
        pass  # the gateway's default Accepted

    async def status_notification(self, data):
        pass

    async def meter_values(self, data):
        pass  # the default empty confirmation

    async def authorize(self, data):
        self.transmit_ack(data["id"], idTagInfo={"status": "Accepted"})

    async def start_transaction(self, data):
        self.transmit_ack(data["id"], transactionId=1, idTagInfo={"status": "Accepted"})

    async def stop_transaction(self, data):
        pass

    async def ack(self, data):
        pass

    async def error(self, data):
        pass
