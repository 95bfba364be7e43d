"""The example channel of AnyCable-Go Pro's OCPP documentation, ported to Python.

It runs behind the gateway in AnyCable compatibility mode as it ran behind
anycable-go: stations are named by `sn` (their meterSerialNumber), answers go out
as `{"command": "Ack", ...}` transmissions, and what it leaves unanswered gets the
gateway's default ack.

    ocpp-cable up --channels-module examples.anycable_pro.ocpp_channel --anycable-compat true
"""

import random

from ocpp_cable import Channel


class OCPPChannel(Channel):
    def subscribed(self):
        # The station's personal stream, to send it remote commands:
        # params["sn"] is its serial number (meterSerialNumber from its BootNotification).
        self.stream_for(f"ev/{self.params['sn']}")

    def boot_notification(self, data):
        # data: "id" (the message id), "command" (the OCPP action), "payload" (its request).
        payload = data["payload"]
        self.logger.info("BootNotification", payload=payload)
        # Not acked here: the gateway answers {"status": "Accepted"} with the current
        # time and the heartbeat interval.

    def status_notification(self, data):
        self.logger.info("Status Notification", payload=data["payload"])

    def authorize(self, data):
        # A custom response. (The original logs the idTag too: a card's id is personal.)
        self.logger.info("Authorize")
        self._transmit_ack(id=data["id"], idTagInfo={"status": "Accepted"})

    def start_transaction(self, data):
        payload = data["payload"]
        self.logger.info("StartTransaction", connector_id=payload["connectorId"])
        self._transmit_ack(
            id=data["id"], transactionId=random.randrange(1000), idTagInfo={"status": "Accepted"}
        )

    def stop_transaction(self, data):
        self.logger.info("StopTransaction", transaction_id=data["payload"]["transactionId"])
        self._transmit_ack(id=data["id"], idTagInfo={"status": "Accepted"})

    # The station's answers to our commands.
    def error(self, data):
        self.logger.error(
            "Error from EV", code=data["code"], message=data["message"], details=data["payload"]
        )

    def ack(self, data):
        self.logger.info("ACK from EV", id=data["id"], status=data["payload"].get("status"))

    def _transmit_ack(self, id, **payload):
        # "Ack" as the command: the gateway turns it into the OCPP CALLRESULT [3, id, payload].
        self.transmit({"command": "Ack", "id": id, "payload": payload})
