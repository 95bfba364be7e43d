"""Hello, charger: a channel class that greets every station and answers Authorize."""

from ocpp_cable import Channel


class OCPPChannel(Channel):
    def subscribed(self):
        # Remote commands for this station arrive on its own stream.
        self.stream_for(self.params["station_id"])

    def boot_notification(self, data):
        # No answer needed: the gateway sends the default Accepted response.
        self.logger.info("hello", vendor=data["payload"]["chargePointVendor"])
        # Ask the station for its configuration; the reply arrives at `ack`.
        self.send_call("GetConfiguration", {"key": ["HeartbeatInterval"]})

    def authorize(self, data):
        self.transmit_ack(data["id"], idTagInfo={"status": "Accepted"})

    def ack(self, data):
        self.logger.info("station answered", command=data["command"], payload=data["payload"])
