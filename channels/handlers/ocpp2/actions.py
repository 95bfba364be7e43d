"""The 2.x actions of OCPPChannel, as a mixin: each stores what it acks before the
answer goes out, in the channel's unit of work (`_answer`), and answers from the
database.

Actions 1.6 has too (BootNotification, StatusNotification, Authorize,
MeterValues) come here from OCPPChannel's method of that name when the station
speaks 2.x; the rest are 2.x's own.
"""

from __future__ import annotations

from typing import Any

from ocpp_cable.channels import config
from ocpp_cable.channels.domain import (
    command_hooks,
    commands,
    costs,
    device_model,
    reservations,
    smart_charging,
    stations,
)
from ocpp_cable.channels.domain.follow_ups import FollowUp
from ocpp_cable.channels.handlers.ocpp2 import meter, tokens, transaction_events, variables
from ocpp_cable.channels.handlers.ocpp2 import stations as stations2
from ocpp_cable.channels.operators.live import events as live
from ocpp_cable.channels.storage.store import Unit


class OCPP2Actions:
    """2.x handlers; the class using it provides `_answer`, `_store`, `station_id`,
    `logger`, `transmit_ack` and `_firmware_request_notification` (OCPPChannel)."""

    # --- the actions 1.6 has too (called by OCPPChannel) ---------------------------------

    async def _boot_notification_2(self, data: dict[str, Any]) -> None:
        payload, station_id = data["payload"], self.station_id

        def boot(u: Unit) -> dict[str, Any]:
            answer = self._boot_answer(u)  # OCPPChannel's: as the station's registration says
            u.update_station(station_id, stations2.boot_values(payload, answer["status"]))
            return answer

        answer = await self._answer(data, boot)
        station, status = payload["chargingStation"], answer["status"]
        live.publish(
            station_id, "boot", vendor=station["vendorName"], model=station["model"], status=status
        )
        self.logger.info(
            "boot",
            vendor=station["vendorName"],
            model=station["model"],
            reason=payload["reason"],
            status=status,
        )

    async def _status_notification_2(self, data: dict[str, Any]) -> None:
        payload, station_id = data["payload"], self.station_id
        row = stations2.status_row(station_id, payload)

        def status(u: Unit) -> None:
            u.set_status_row(row)
            reservations.end_reservations_on_status(u.session, station_id, payload)

        await self._answer(data, status)
        live.publish(
            station_id,
            "status",
            # The EVSE where 1.6 has its connector: views show 2.x stations per EVSE.
            connector_id=payload["evseId"],
            evse_id=payload["evseId"],
            evse_connector_id=payload["connectorId"],
            status=payload["connectorStatus"],
            error_code=None,
        )

    async def _authorize_2(self, data: dict[str, Any]) -> None:
        token = data["payload"]["idToken"]
        answer = await self._answer(
            data,
            lambda u: {"idTokenInfo": tokens.id_token_info(u.session, token, starting=False)},
        )
        # The token's type, never its value: an idToken identifies a person's card.
        self.logger.info(
            "authorize", token_type=token["type"], status=answer["idTokenInfo"]["status"]
        )

    async def _meter_values_2(self, data: dict[str, Any]) -> None:
        payload, station_id = data["payload"], self.station_id
        rows = meter.meter_rows(station_id, payload["evseId"], None, payload["meterValue"])
        await self._answer(data, lambda u: u.add_meter_values(rows))
        live.publish(
            station_id,
            "meter_values",
            connector_id=payload["evseId"],
            evse_id=payload["evseId"],
            transaction_id=None,
            meter_value=meter.as_16(payload["meterValue"]),
        )

    # --- 2.x's own -------------------------------------------------------------------------

    async def transaction_event(self, data: dict[str, Any]) -> None:
        payload, station_id = data["payload"], self.station_id
        applied: list[tuple[transaction_events.Applied, costs.Priced | None]] = []
        follow_ups: list[FollowUp] = []
        settings = config.settings()

        def apply(u: Unit) -> dict[str, Any]:
            result = transaction_events.apply(u.session, station_id, payload)
            if not result.duplicate:
                reservations.use_reservation_2(
                    u.session, station_id, payload, result.transaction_id
                )
            if result.ended and not result.duplicate:  # its TxProfiles end with it
                smart_charging.transaction_stopped(
                    u.session, station_id, result.transaction_id, result.evse_id
                )
            cost = costs.priced(u.session, station_id, result.cost_minor, result.currency)
            applied[:] = [(result, cost)]  # a unit may run twice (store.py): the last counts
            answer = {} if result.id_token_info is None else {"idTokenInfo": result.id_token_info}
            if cost is not None and cost.told and payload["eventType"] == "Ended":
                answer["totalCost"] = costs.wire_number(cost.cost)  # I03: the final cost
            return answer

        def tell_running_cost(u: Unit) -> None:
            # I02: the running cost, sent once the answer has gone out.
            follow_ups.clear()
            ((result, cost),) = applied
            if cost is None or not cost.told or not result.cost_due:
                return
            ref = payload["transactionInfo"]["transactionId"]
            follow_up = costs.cost_update(u.session, station_id, result.transaction_id, ref,
                                          cost.cost, settings.cost_update_interval,
                                          result.cost_updated_at)  # fmt: skip
            if follow_up is not None:
                follow_ups.append(follow_up)
                if settings.audit_log:
                    u.audit(station_id, "out", "CALL", follow_up.action, follow_up.id,
                            follow_up.payload)  # fmt: skip

        answer = await self._answer(data, apply, tell_running_cost)
        ((result, _),) = applied
        for follow_up in follow_ups:
            self.send_call(follow_up.action, follow_up.payload, id=follow_up.id)
        ref = payload["transactionInfo"]["transactionId"]
        log = self.logger.bind(
            transaction_id=result.transaction_id,
            station_transaction_id=ref,
            seq_no=payload["seqNo"],
            event_type=payload["eventType"],
        )
        if result.duplicate:
            log.info("transaction event resent: answered, not applied again")
            return
        self._publish_transaction_event(payload, result, answer)
        if result.opened or result.ended:
            log.info(
                "transaction ended" if result.ended else "transaction started",
                offline=payload.get("offline", False),
                status=(result.id_token_info or {}).get("status"),
            )

    def _publish_transaction_event(
        self, payload: dict[str, Any], result: transaction_events.Applied, answer: dict[str, Any]
    ) -> None:
        station_id, ref = self.station_id, payload["transactionInfo"]["transactionId"]
        if result.opened:
            live.publish(
                station_id,
                "transaction_started",
                transaction_id=result.transaction_id,
                station_transaction_id=ref,
                connector_id=result.evse_id,
                evse_id=result.evse_id,
                meter_start=result.meter_start,
                status=answer.get("idTokenInfo", {}).get("status"),
            )
        if payload.get("meterValue"):
            live.publish(
                station_id,
                "meter_values",
                connector_id=result.evse_id,
                evse_id=result.evse_id,
                transaction_id=result.transaction_id,
                meter_value=meter.as_16(payload["meterValue"]),
            )
        if result.ended:
            live.publish(
                station_id,
                "transaction_stopped",
                transaction_id=result.transaction_id,
                station_transaction_id=ref,
                meter_stop=result.meter_stop,
                reason=result.stop_reason,
            )

    async def notify_report(self, data: dict[str, Any]) -> None:
        payload, station_id = data["payload"], self.station_id

        def keep(u: Unit) -> None:
            count = variables.store_report(u.session, station_id, payload)
            # The part, without its variables (those are in station_variables).
            summary = {key: value for key, value in payload.items() if key != "reportData"}
            stations.record_notification(
                u.session, station_id, data["command"], {**summary, "variables": count}
            )

        await self._answer(data, keep)

    async def notify_customer_information(self, data: dict[str, Any]) -> None:
        """Stored as sent; the last part of a report on a customer whose data was cleared
        has the station's Local Authorization List updated (device_model)."""
        payload, station_id = data["payload"], self.station_id
        audit = config.settings().audit_log
        sent: list[FollowUp] = []

        def keep(u: Unit) -> None:
            stations.record_notification(u.session, station_id, data["command"], payload)
            sent[:] = device_model.on_customer_reported(u.session, station_id, payload)
            for f in sent if audit else ():
                u.audit(station_id, "out", "CALL", f.action, f.id, f.payload)

        await self._answer(data, keep)
        for follow_up in sent:  # recorded with the report, sent now it is committed
            self.send_call(follow_up.action, follow_up.payload, id=follow_up.id)
            self.logger.info("local list update sent", command=follow_up.action, id=follow_up.id)

    async def notify_periodic_event_stream(self, data: dict[str, Any]) -> None:
        # A 2.1 SEND: never answered. Logged like every message, and no more: a stream's
        # values come many a second.
        await self._store(data, kind="SEND")

    async def reservation_status_update(self, data: dict[str, Any]) -> None:
        """Stored as every notification; Expired, Removed (and 2.1's NoTransaction) end the
        reservation it names."""
        payload, station_id = data["payload"], self.station_id

        def end(u: Unit) -> None:
            stations.record_notification(u.session, station_id, data["command"], payload)
            reservations.on_status_update(u.session, station_id, payload)

        await self._answer(data, end)
        self.logger.info(
            "reservation status update",
            reservation=payload["reservationId"],
            status=payload["reservationUpdateStatus"],
        )

    async def report_charging_profiles(self, data: dict[str, Any]) -> None:
        """Stored as sent; the central system's own profiles it lists are installed as
        the station reports them (smart_charging)."""
        payload, station_id = data["payload"], self.station_id

        def keep(u: Unit) -> None:
            stations.record_notification(u.session, station_id, data["command"], payload)
            smart_charging.reported(u.session, station_id, payload)

        await self._answer(data, keep)

    async def _notification_2(self, data: dict[str, Any]) -> None:
        await self._notification(data)  # OCPPChannel's: stored as sent, the answer empty

    async def publish_firmware_status_notification(self, data: dict[str, Any]) -> None:
        await self._firmware_request_notification(data)  # OCPPChannel's: stored, followed

    # Stored as sent; their answers are empty.
    notify_event = _notification_2
    notify_charging_limit = _notification_2
    cleared_charging_limit = _notification_2
    notify_monitoring_report = _notification_2
    notify_display_messages = _notification_2


def reply_work(station_id: str, data: dict[str, Any]):
    """The unit recording a station's answer to our command (and what it changes: a
    GetVariables answer's values are kept with the station's variables); it returns the
    commands the answer calls for, to be sent once committed."""
    # A station's password in its answer (it should not be there) is masked where each
    # copy is kept (the record, the variables, the message log), and only there.
    message_id, payload = data["id"], data["payload"]

    def record(u: Unit) -> list[FollowUp]:
        if not commands.record_reply(u.session, station_id, message_id, payload):
            # Offered again (rpc_app died before the gateway heard it was taken), or
            # too late: what this answer changes was applied once, or must not be.
            return []
        follow_ups = command_hooks.replied(u.session, station_id, message_id, payload)
        if data.get("command") == "GetVariables" and isinstance(payload, dict):
            variables.store_results(u.session, station_id, payload)
        if config.settings().audit_log:
            for f in follow_ups:
                u.audit(station_id, "out", "CALL", f.action, f.id, f.payload)
        return follow_ups

    return record
