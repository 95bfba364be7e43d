"""A small example central system: one channel instance per connected station."""

from __future__ import annotations

import itertools
import time

from rpc_app import Channel

# Example only: transaction ids from the clock, unique enough for one process.
_transaction_ids = itertools.count(int(time.time()) % 1_000_000_000)


class OCPPChannel(Channel):
    def subscribed(self):
        # The station's own stream: `broadcast_to(station_id, ...)` reaches it.
        self.stream_for(self.params["station_id"])
        self.logger.info("subscribed")

    def boot_notification(self, data):
        # No answer here: the gateway sends the default Accepted response.
        payload = data["payload"]
        self.logger.info(
            "boot", vendor=payload["chargePointVendor"], model=payload["chargePointModel"]
        )

    def status_notification(self, data):
        payload = data["payload"]
        self.logger.info("status", connector_id=payload["connectorId"], status=payload["status"])

    def authorize(self, data):
        self.logger.info("authorize", id_tag=data["payload"]["idTag"])
        self.transmit_ack(data["id"], idTagInfo={"status": "Accepted"})

    def start_transaction(self, data):
        payload = data["payload"]
        transaction_id = next(_transaction_ids)
        self.logger.info(
            "start transaction",
            connector_id=payload["connectorId"],
            id_tag=payload["idTag"],
            transaction_id=transaction_id,
        )
        self.transmit_ack(
            data["id"], transactionId=transaction_id, idTagInfo={"status": "Accepted"}
        )

    def stop_transaction(self, data):
        payload = data["payload"]
        self.logger.info(
            "stop transaction", transaction_id=payload["transactionId"], meter=payload["meterStop"]
        )

    def meter_values(self, data):
        self.logger.info("meter values", samples=len(data["payload"]["meterValue"]))
