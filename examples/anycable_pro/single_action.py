"""AnyCable-Go Pro's single-action example: every OCPP action reaches `receive`.

    ocpp-cable up --channels-module examples.anycable_pro.single_action \
        --anycable-compat true --ocpp_granular_actions=false
"""

from ocpp_cable import Channel


class OCPPChannel(Channel):
    def subscribed(self):
        self.stream_for(f"ev/{self.params['sn']}")

    def receive(self, data):
        id, command, payload = data["id"], data["command"], data["payload"]
        self.logger.info("received", id=id, command=command, payload=payload)
