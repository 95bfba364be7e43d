"""The reference central system: every charger-initiated OCPP action, persisted.

One channel serves OCPP 1.6, 2.0.1 and 2.1 stations. The gateway names the version
in the subscription (`ocpp_version`; none from older gateways and AnyCable: 1.6).
An action both versions have, with different payloads, is dispatched to the 2.x
code in channels/handlers/ocpp2 when the station speaks 2.x; 2.x's own actions come from
its mixin.

Each action is one unit of work in the store (channels/storage/store.py): the message,
what it changed and our answer go to the database in one transaction, and the
answer is sent only once that transaction is committed. The methods are `async`:
they wait for the store on rpc_app's event loop, with no worker thread between.
"""

from __future__ import annotations

import asyncio
import functools
import inspect
from collections.abc import Callable
from typing import Any, ClassVar

from ocpp_cable.channels import config
from ocpp_cable.channels.domain import (
    authorization,
    command_hooks,
    commands,
    diagnostics,
    firmware,
    offline,
    registration,
    smart_charging,
    stations,
    transactions,
)
from ocpp_cable.channels.domain.reservations import ENDING_STATUSES as RESERVATION_ENDING
from ocpp_cable.channels.domain.reservations import end_reservations_on_status, use_reservation
from ocpp_cable.channels.handlers.ocpp2.actions import OCPP2Actions, reply_work
from ocpp_cable.channels.operators.live import events as live
from ocpp_cable.channels.storage.store import Unit, store
from ocpp_cable.contract.naming import action_method_name
from ocpp_cable.contract.timestamps import utc_text
from ocpp_cable.rpc_app import Channel
from ocpp_cable.rpc_app.channel import action_methods


class NoStation(Exception):
    """A command reached the station channel on a connection that is no station's."""


VendorHandler = Callable[["OCPPChannel", dict[str, Any]], dict[str, Any]]
Work = Callable[[Unit], Any]


class OCPPChannel(OCPP2Actions, Channel):
    """The reference central system's channel: one per connected station, 1.6 or 2.x.

    Each charger-initiated action has its method (BootNotification, Authorize,
    Start/StopTransaction, TransactionEvent, MeterValues, StatusNotification, ...);
    each stores what it acks before the answer goes out, and answers from the
    database. `ack` and `error` record the answers to commands sent to the station.
    Extend it by subclassing, or register DataTransfer vendors with
    `data_transfer_handler`.
    """

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
        """The station this channel serves: the one its connection was admitted as.

        Not the subscription's params: an AnyCable-Go Pro gateway names a station by
        `sn`, a serial number the station claims, and only our gateway writes
        `station_id` there (checked against the connection in `subscribed`).

        Raises:
            NoStation: the connection was admitted as no station (a browser's).
        """
        station_id = self.connection.identifiers.get("station_id")
        if not isinstance(station_id, str) or not station_id:
            raise NoStation(
                f"{type(self).__name__} serves stations, and this connection was admitted "
                "as none (a station connects at <path-prefix>/<station_id>)"
            )
        return station_id

    @property
    def ocpp_version(self) -> str:
        """The version the station speaks: 1.6, 2.0.1 or 2.1."""
        return self.params.get("ocpp_version", "1.6")

    @property
    def ocpp2(self) -> bool:
        return self.ocpp_version != "1.6"

    async def _store(self, data: dict[str, Any], work: Work | None = None, kind: str = "CALL"):
        """Run `work` in the store with the incoming message logged and last_seen touched."""
        station_id, audit = self.station_id, config.settings().audit_log

        tolerated = "tolerated" in data  # repaired by the gateway: keep what was sent

        def unit(u: Unit) -> Any:
            if audit or tolerated:
                payload = data.get("raw") if tolerated else data.get("payload")
                u.audit(station_id, "in", kind, data.get("command"), data.get("id"), payload)
            if tolerated:
                stations.count_tolerated(u.session, station_id)
            u.touch(station_id)
            return work(u) if work is not None else None

        return await store(config.settings().database_url).run(unit)

    async def _answer(
        self, data: dict[str, Any], work: Work | None = None, then: Work | None = None
    ) -> dict[str, Any]:
        """Store the CALL with what `work` changed and the answer `work` returns (default
        empty); once committed, send that answer as the CALLRESULT. `then` runs in the
        same unit after the answer is logged: what it sends goes out after the answer."""
        station_id, audit = self.station_id, config.settings().audit_log

        def answered(u: Unit) -> dict[str, Any]:
            payload = (work(u) if work is not None else None) or {}
            if audit:
                u.audit(station_id, "out", "CALLRESULT", data["command"], data["id"], payload)
            if then is not None:
                then(u)
            return payload

        payload = await self._store(data, answered)
        self.transmit_ack(data["id"], **payload)
        return payload

    # --- lifecycle -------------------------------------------------------------

    async def subscribed(self):
        station_id = self.connection.identifiers.get("station_id")
        if not station_id or self.params.get("station_id", station_id) != station_id:
            # Only the gateway names the station it serves; a client that writes its own
            # identifier (a browser at /cable) is not a station, let alone another one.
            # (AnyCable-Go Pro names none: `{"channel", "sn"}`; the connection's is used.)
            self.logger.warning("subscription for another station refused")
            self.reject()
        sn = self.params.get("sn")
        if "station_id" in self.params and isinstance(sn, str) and sn != station_id:
            await self._refuse_another_stations_id(sn)
        self.stream_for(station_id)
        connection_id = self.connection.state.get("connection_id", "")
        node = self.connection.env.node  # the gateway node holding this connection
        values = stations.connected_values(connection_id, node, self.ocpp_version)
        await store(config.settings().database_url).run(
            lambda u: u.update_station(station_id, values)
        )
        live.publish(station_id, "online", node=node, ocpp_version=self.ocpp_version)
        self.logger.info("station online", ocpp_version=self.ocpp_version)

    async def _refuse_another_stations_id(self, sn: str) -> None:
        """Our gateway's compatibility mode: `sn` is the serial number the station's boot
        claims. We stream by station id, but a channel beside us that streams by `sn`
        (AnyCable-Go Pro's way) would share the stream of the station whose id it is:
        refused, and the gateway subscribes the station by its own id instead. (Behind
        anycable-go, whose identifier names no station_id, nothing would take its place.)"""
        url = config.settings().database_url
        if await store(url).run(lambda u: stations.credentials(u.session, sn) is not None):
            self.logger.warning("serial number refused: it is another station's id", sn=sn[:64])
            self.reject()

    async def unsubscribed(self):
        station_id = self.connection.identifiers.get("station_id")
        if not station_id:
            return  # a subscription refused as no station's: nothing went online
        connection_id = self.connection.state.get("connection_id", "")
        await store(config.settings().database_url).run(
            lambda u: stations.mark_disconnected(u.session, station_id, connection_id)
        )
        live.publish(station_id, "offline")
        self.logger.info("station offline")

    # --- charger-initiated actions ---------------------------------------------

    async def boot_notification(self, data):
        if self.ocpp2:
            return await self._boot_notification_2(data)
        payload, station_id = data["payload"], self.station_id

        def boot(u: Unit) -> dict[str, Any]:
            answer = self._boot_answer(u)
            u.update_station(station_id, stations.boot_values(payload, answer["status"]))
            return answer

        answer = await self._answer(data, boot)
        live.publish(
            station_id,
            "boot",
            vendor=payload["chargePointVendor"],
            model=payload["chargePointModel"],
            status=answer["status"],
        )
        self.logger.info(
            "boot",
            vendor=payload["chargePointVendor"],
            model=payload["chargePointModel"],
            status=answer["status"],
        )

    def _boot_answer(self, u: Unit) -> dict[str, Any]:
        """The BootNotification answer the station's registration calls for (one removed
        while connected is registered again by its boot, as the setting says)."""
        settings = config.settings()
        kept = u.registration(self.station_id)
        return registration.boot_answer(
            kept or settings.default_registration,
            utc_text(),
            settings.heartbeat_interval,
            settings.registration_retry_interval,
        )

    async def heartbeat(self, data):
        # Only with --forward-heartbeat: the gateway has answered already.
        await self._store(data)

    async def status_notification(self, data):
        if self.ocpp2:
            return await self._status_notification_2(data)
        payload, station_id = data["payload"], self.station_id

        def status(u: Unit) -> None:
            u.set_status(station_id, payload)
            if payload["status"] in RESERVATION_ENDING:
                end_reservations_on_status(u.session, station_id, payload)

        await self._answer(data, status)
        live.publish(
            station_id,
            "status",
            connector_id=payload["connectorId"],
            status=payload["status"],
            error_code=payload["errorCode"],
        )

    async def authorize(self, data):
        if self.ocpp2:
            return await self._authorize_2(data)
        tag = data["payload"]["idTag"]
        answer = await self._answer(
            data, lambda u: {"idTagInfo": authorization.id_tag_info(u.session, tag)}
        )
        # The status only: an idTag identifies a person's card.
        self.logger.info("authorize", status=answer["idTagInfo"]["status"])

    async def start_transaction(self, data):
        payload, station_id = data["payload"], self.station_id

        def start(u: Unit) -> dict[str, Any]:
            transaction_id, info = transactions.start_transaction(u.session, station_id, payload)
            use_reservation(u.session, station_id, payload, transaction_id)
            # The chargingProfile of the RemoteStartTransaction it follows, if any.
            smart_charging.transaction_started(u.session, station_id, payload, transaction_id)
            return {"transactionId": transaction_id, "idTagInfo": info}

        answer = await self._answer(data, start)
        live.publish(
            station_id,
            "transaction_started",
            transaction_id=answer["transactionId"],
            connector_id=payload["connectorId"],
            meter_start=payload["meterStart"],
            status=answer["idTagInfo"]["status"],
        )
        self.logger.info(
            "transaction started",
            transaction_id=answer["transactionId"],
            status=answer["idTagInfo"]["status"],
        )

    async def meter_values(self, data):
        if self.ocpp2:
            return await self._meter_values_2(data)
        payload, station_id = data["payload"], self.station_id

        def store_readings(u: Unit) -> None:
            u.add_meter_values(
                transactions.meter_rows(
                    station_id,
                    payload["connectorId"],
                    payload.get("transactionId"),
                    payload["meterValue"],
                )
            )

        await self._answer(data, store_readings)
        live.publish(
            station_id,
            "meter_values",
            connector_id=payload["connectorId"],
            transaction_id=payload.get("transactionId"),
            meter_value=payload["meterValue"],
        )

    async def stop_transaction(self, data):
        payload, station_id = data["payload"], self.station_id

        transaction_id, unknown = payload["transactionId"], False

        def stop(u: Unit) -> dict[str, Any]:
            nonlocal unknown
            info, readings, known, connector_id = transactions.stop_transaction(
                u.session, station_id, payload
            )
            u.add_meter_values(readings)
            unknown = not known  # set on each run: a unit may run again (channels/storage/store.py)
            if known:  # its TxProfiles end with it
                smart_charging.transaction_stopped(
                    u.session, station_id, transaction_id, connector_id
                )
            else:  # acked (the station would resend it forever), and kept for operators
                offline.record_unknown_stop(u.session, station_id, payload)
            return {} if info is None else {"idTagInfo": info}

        await self._answer(data, stop)
        if unknown:
            self.logger.warning(
                "StopTransaction for an unknown transaction",
                station_id=station_id,
                transaction_id=transaction_id,
            )
        live.publish(
            station_id,
            "transaction_stopped",
            transaction_id=payload["transactionId"],
            meter_stop=payload["meterStop"],
            reason=payload.get("reason"),
        )
        self.logger.info("transaction stopped", transaction_id=payload["transactionId"])

    async def data_transfer(self, data):
        handler = self.vendor_handlers.get(data["payload"]["vendorId"])
        if handler is None:
            answer = {"status": "UnknownVendorId"}
        elif inspect.iscoroutinefunction(handler):
            answer = await handler(self, data)
        else:
            answer = await asyncio.to_thread(handler, self, data)  # the vendor's code may block
        await self._answer(data, lambda u: answer)

    async def _notification(self, data):
        action, payload, station_id = data["command"], data["payload"], self.station_id
        await self._answer(
            data, lambda u: stations.record_notification(u.session, station_id, action, payload)
        )

    async def firmware_status_notification(self, data):
        """Stored as every notification; it moves the station's update on (1.6: its latest
        UpdateFirmware; 2.x: the one its requestId names)."""
        payload, station_id, ocpp16 = data["payload"], self.station_id, not self.ocpp2

        def track(u: Unit) -> None:
            stations.record_notification(u.session, station_id, data["command"], payload)
            if ocpp16:
                firmware.track_status(u.session, station_id, payload["status"])
            else:
                firmware.track_request(u.session, station_id, data["command"], payload)

        await self._answer(data, track)

    async def _firmware_request_notification(self, data):
        """Stored as every notification; it moves the update (SignedUpdateFirmware) or
        publication (2.x PublishFirmware) its requestId names on."""
        payload, station_id = data["payload"], self.station_id

        def track(u: Unit) -> None:
            stations.record_notification(u.session, station_id, data["command"], payload)
            firmware.track_request(u.session, station_id, data["command"], payload)

        await self._answer(data, track)

    async def diagnostics_status_notification(self, data):
        """Stored as every notification; it moves the station's diagnostics request on."""
        payload, station_id = data["payload"], self.station_id

        def track(u: Unit) -> None:
            stations.record_notification(u.session, station_id, data["command"], payload)
            diagnostics.track_status(u.session, station_id, payload["status"])

        await self._answer(data, track)

    async def log_status_notification(self, data):
        """Stored as every notification; it moves the GetLog request it names on."""
        payload, station_id = data["payload"], self.station_id

        def track(u: Unit) -> None:
            stations.record_notification(u.session, station_id, data["command"], payload)
            diagnostics.track_log_status(u.session, station_id, payload)

        await self._answer(data, track)

    security_event_notification = _notification
    signed_firmware_status_notification = _firmware_request_notification

    async def sign_certificate(self, data):
        # The CSR is kept; with no certificate authority configured we cannot sign it.
        action, payload, station_id = data["command"], data["payload"], self.station_id

        def keep(u: Unit) -> dict[str, Any]:
            stations.record_notification(u.session, station_id, action, payload)
            return {"status": "Rejected"}

        await self._answer(data, keep)

    # --- answers to our commands -----------------------------------------------

    async def ack(self, data):
        message_id, payload = data["id"], data["payload"]
        follow_ups = await self._store(data, reply_work(self.station_id, data), "CALLRESULT")
        for follow_up in follow_ups:  # recorded with the answer, sent now it is committed
            self.send_call(follow_up.action, follow_up.payload, id=follow_up.id)
        live.publish(
            self.station_id,
            "command_result",
            command=data["command"],
            command_id=message_id,
            result="answered",
            # The answer's status alone: a reply may hold what viewers need not see.
            status=payload.get("status") if isinstance(payload, dict) else None,
        )
        self.logger.info("command answered", command=data["command"], message_id=data["id"])

    async def error(self, data):
        message_id, code, station_id = data["id"], data["code"], self.station_id

        def record(u: Unit) -> None:
            if commands.record_failure(u.session, station_id, message_id, code, data):
                command_hooks.failed(u.session, station_id, message_id, code)

        await self._store(data, record, "CALLERROR")
        live.publish(
            self.station_id,
            "command_result",
            command=data["command"],
            command_id=message_id,
            result="failed",
            code=code,
        )
        self.logger.warning(
            "command failed", command=data["command"], message_id=data["id"], code=data["code"]
        )

    async def receive(self, data):
        """Single-action mode (the gateway's `--granular-actions false`, AnyCable-Go Pro's
        `--ocpp_granular_actions=false`): each action goes to its method, by its name."""
        command = data.get("command")
        name = action_method_name(command) if isinstance(command, str) else None
        if name is None or name == "receive" or name not in _action_methods(type(self)):
            self.logger.info("action not supported", command=command, message_id=data.get("id"))
            if isinstance(data.get("id"), str):
                self.transmit_error(
                    data["id"], "NotSupported", f"{type(self).__name__} does not handle {command}"
                )
            return
        await getattr(self, name)(data)


@functools.cache
def _action_methods(channel_class: type[Channel]) -> frozenset[str]:
    return action_methods(channel_class)
