"""The reference central system: every charger-initiated OCPP 1.6 action, persisted.

Each method is one unit of work: the message (and our answer) go to the
MessageLog in the same database transaction as what the message changed.
"""

from __future__ import annotations

from collections.abc import Callable, Iterator
from contextlib import contextmanager
from typing import Any, ClassVar

from sqlalchemy.orm import Session

from channels import audit, authorization, commands, config, stations, transactions
from channels.db import session_scope
from channels.timeutil import now
from rpc_app import Channel

VendorHandler = Callable[["OCPPChannel", dict[str, Any]], dict[str, Any]]

NOTIFICATIONS = (
    "DiagnosticsStatusNotification",
    "FirmwareStatusNotification",
    "LogStatusNotification",
    "SecurityEventNotification",
    "SignedFirmwareStatusNotification",
)


class OCPPChannel(Channel):
    # DataTransfer vendorId -> handler returning the DataTransfer.conf payload.
    vendor_handlers: ClassVar[dict[str, VendorHandler]] = {}

    @classmethod
    def data_transfer_handler(cls, vendor_id: str) -> Callable[[VendorHandler], VendorHandler]:
        """Register `fn(channel, data) -> {"status": ..., "data": ...}` for a vendorId."""

        def register(fn: VendorHandler) -> VendorHandler:
            cls.vendor_handlers[vendor_id] = fn
            return fn

        return register

    # --- helpers ---------------------------------------------------------------

    @property
    def station_id(self) -> str:
        return self.params["station_id"]

    @contextmanager
    def _unit(self, data: dict[str, Any], kind: str = "CALL") -> Iterator[Session]:
        """A database transaction that also logs the incoming message and touches last_seen."""
        settings = config.settings()
        with session_scope(settings.database_url) as session:
            if settings.audit_log:
                audit.log_message(
                    session,
                    self.station_id,
                    "in",
                    kind,
                    data.get("command"),
                    data.get("id"),
                    data.get("payload"),
                )
            stations.touch(session, self.station_id)
            yield session

    def _reply(
        self, session: Session, call: dict[str, Any], payload: dict[str, Any] | None = None
    ) -> None:
        """Answer `call` with a CALLRESULT, logged in the same transaction."""
        payload = payload or {}
        if config.settings().audit_log:
            audit.log_message(
                session, self.station_id, "out", "CALLRESULT", call["command"], call["id"], payload
            )
        self.transmit({"command": "Ack", "id": call["id"], "payload": payload})

    # --- lifecycle -------------------------------------------------------------

    def subscribed(self):
        self.stream_for(self.station_id)
        connection_id = self.connection.state.get("connection_id", "")
        node = self.connection.env.node  # the gateway node holding this connection
        with session_scope(config.settings().database_url) as session:
            stations.mark_connected(session, self.station_id, connection_id, node)
        self.logger.info("station online")

    def unsubscribed(self):
        connection_id = self.connection.state.get("connection_id", "")
        with session_scope(config.settings().database_url) as session:
            stations.mark_disconnected(session, self.station_id, connection_id)
        self.logger.info("station offline")

    # --- charger-initiated actions ---------------------------------------------

    def boot_notification(self, data):
        payload = data["payload"]
        with self._unit(data) as session:
            stations.record_boot(session, self.station_id, payload, "Accepted")
            self._reply(
                session,
                data,
                {
                    "status": "Accepted",
                    "currentTime": now().isoformat(timespec="milliseconds").replace("+00:00", "Z"),
                    "interval": config.settings().heartbeat_interval,
                },
            )
        self.logger.info(
            "boot", vendor=payload["chargePointVendor"], model=payload["chargePointModel"]
        )

    def heartbeat(self, data):
        # Only with --forward-heartbeat: the gateway has answered already.
        with self._unit(data):
            pass

    def status_notification(self, data):
        with self._unit(data) as session:
            stations.record_status(session, self.station_id, data["payload"])
            self._reply(session, data)

    def authorize(self, data):
        with self._unit(data) as session:
            info = authorization.id_tag_info(session, data["payload"]["idTag"])
            self._reply(session, data, {"idTagInfo": info})
        self.logger.info("authorize", id_tag=data["payload"]["idTag"], status=info["status"])

    def start_transaction(self, data):
        with self._unit(data) as session:
            transaction_id, info = transactions.start_transaction(
                session, self.station_id, data["payload"]
            )
            self._reply(session, data, {"transactionId": transaction_id, "idTagInfo": info})
        self.logger.info(
            "transaction started", transaction_id=transaction_id, status=info["status"]
        )

    def meter_values(self, data):
        payload = data["payload"]
        with self._unit(data) as session:
            transactions.store_meter_values(
                session,
                self.station_id,
                payload["connectorId"],
                payload.get("transactionId"),
                payload["meterValue"],
            )
            self._reply(session, data)

    def stop_transaction(self, data):
        with self._unit(data) as session:
            info = transactions.stop_transaction(session, self.station_id, data["payload"])
            if info is None:
                self._reply(session, data)
            else:
                self._reply(session, data, {"idTagInfo": info})
        self.logger.info("transaction stopped", transaction_id=data["payload"]["transactionId"])

    def data_transfer(self, data):
        handler = self.vendor_handlers.get(data["payload"]["vendorId"])
        with self._unit(data) as session:
            answer = handler(self, data) if handler else {"status": "UnknownVendorId"}
            self._reply(session, data, answer)

    def _notification(self, data):
        with self._unit(data) as session:
            stations.record_notification(session, self.station_id, data["command"], data["payload"])
            self._reply(session, data)

    diagnostics_status_notification = _notification
    firmware_status_notification = _notification
    log_status_notification = _notification
    security_event_notification = _notification
    signed_firmware_status_notification = _notification

    def sign_certificate(self, data):
        # The CSR is kept; with no certificate authority configured we cannot sign it.
        with self._unit(data) as session:
            stations.record_notification(session, self.station_id, data["command"], data["payload"])
            self._reply(session, data, {"status": "Rejected"})

    # --- answers to our commands -----------------------------------------------

    def ack(self, data):
        with self._unit(data, kind="CALLRESULT") as session:
            commands.record_reply(session, data["id"], data["payload"])
        self.logger.info("command answered", command=data["command"], message_id=data["id"])

    def error(self, data):
        with self._unit(data, kind="CALLERROR") as session:
            commands.record_failure(session, data["id"], data["code"], data)
        self.logger.warning(
            "command failed", command=data["command"], message_id=data["id"], code=data["code"]
        )
