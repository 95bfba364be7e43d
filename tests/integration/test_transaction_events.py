"""TransactionEvent applied against the real database (SQLite and PostgreSQL): once per
seqNo, whatever order the events come in (channels/handlers/ocpp2/transaction_events.py)."""

from __future__ import annotations

from ocpp_cable.channels.domain import stations
from ocpp_cable.channels.domain.authorization import id_tag_info
from ocpp_cable.channels.domain.transactions import close_by_operator
from ocpp_cable.channels.handlers.ocpp2 import tokens, transaction_events
from ocpp_cable.channels.storage import db
from ocpp_cable.channels.storage.models import IdTag, Transaction, TransactionEvent
from tests.support.central import rows


def _event(event_type, seq_no, at, wh=None, **fields):
    payload = {
        "eventType": event_type,
        "timestamp": at,
        "triggerReason": "MeterValuePeriodic",
        "seqNo": seq_no,
        "transactionInfo": {"transactionId": "tx-1", **fields.pop("info", {})},
        **fields,
    }
    if wh is not None:
        payload["meterValue"] = [
            {
                "timestamp": at,
                "sampledValue": [{"value": wh, "measurand": "Energy.Active.Import.Register"}],
            }
        ]
    return payload


def _apply(url, payload):
    with db.session_scope(url) as session:
        return transaction_events.apply(session, "CP-2", payload)


def _station(url):
    with db.session_scope(url) as session:
        stations.add_station(session, "CP-2")
        session.add(IdTag(tag="TAG-1", status="Accepted"))
        session.add(IdTag(tag="GONE", status="Blocked"))


def test_events_out_of_order_make_one_transaction_with_its_energy(database_url):
    _station(database_url)
    # The station's offline queue comes in a muddle: the end first, the start last.
    ended = _apply(database_url, _event("Ended", 2, "2026-12-01T10:30:00Z", 5200,
                                        info={"stoppedReason": "EVDisconnected"}))  # fmt: skip
    updated = _apply(database_url, _event("Updated", 1, "2026-12-01T10:10:00Z", 2000,
                                          info={"chargingState": "Charging"}))  # fmt: skip
    started = _apply(database_url, _event("Started", 0, "2026-12-01T10:00:00Z", 200,
                                          evse={"id": 2, "connectorId": 1},
                                          info={"chargingState": "EVConnected"}))  # fmt: skip
    again = _apply(database_url, _event("Started", 0, "2026-12-01T10:00:00Z", 200))
    assert ended.opened and ended.ended and not updated.opened and not started.opened
    assert again.duplicate
    (tx,) = rows(database_url, Transaction)
    assert tx.start_time.isoformat() == "2026-12-01T10:00:00+00:00"
    assert (tx.meter_start, tx.meter_stop, tx.energy_wh) == (200, 5200, 5000)
    # The state of the highest seqNo, whatever came last.
    assert (tx.seq_no, tx.charging_state, tx.stop_reason) == (2, None, "EVDisconnected")
    assert (tx.evse_id, tx.connector_id) == (2, 1)
    assert len(rows(database_url, TransactionEvent)) == 3


def test_an_operator_close_then_the_station_end(database_url):
    _station(database_url)
    _apply(database_url, _event("Started", 0, "2026-12-01T10:00:00Z", 100))
    _apply(database_url, _event("Updated", 1, "2026-12-01T10:10:00Z", 900))
    with db.session_scope(database_url) as session:
        (tx,) = session.query(Transaction).all()
        assert close_by_operator(session, tx, None, "Other")
        assert (tx.meter_stop, tx.energy_wh, tx.closed_by) == (900, 800, "operator")
    _apply(database_url, _event("Ended", 2, "2026-12-01T10:20:00Z", 1100))
    (tx,) = rows(database_url, Transaction)
    assert (tx.meter_stop, tx.energy_wh, tx.closed_by, tx.stop_reason) == (
        1100,
        1000,
        None,
        "Local",
    )


def test_tokens_as_2x_says_them(database_url):
    _station(database_url)
    started = _apply(
        database_url,
        _event("Started", 0, "2026-12-01T10:00:00Z", idToken={"idToken": "TAG-1", "type": "Local"}),
    )
    assert started.id_token_info == {"status": "Accepted"}
    with db.session_scope(database_url) as session:
        check = tokens.id_token_info
        assert check(session, {"idToken": "TAG-1", "type": "ISO14443"}) == {
            "status": "ConcurrentTx"
        }
        # ConcurrentTx means something only to a Started event: an Authorize (to stop the
        # session, or to start one where the station allows several) gets Accepted.
        assert check(session, {"idToken": "TAG-1", "type": "ISO14443"}, starting=False) == {
            "status": "Accepted"
        }
        assert check(session, {"idToken": "GONE", "type": "ISO14443"}) == {"status": "Blocked"}
        assert check(session, {"idToken": "WHO", "type": "eMAID"}) == {"status": "Unknown"}
        assert check(session, {"idToken": "", "type": "NoAuthorization"}) == {"status": "Accepted"}


def test_long_tokens_and_parents_fit_the_version_that_answers(database_url):
    # 2.1's idTokens run to 255 characters; a parent too long for the answer's schema
    # (1.6's parentIdTag: 20, 2.0.1's groupIdToken: 36) is left out, never an InternalError.
    long_token, parent36, parent40 = "U" * 255, "P" * 36, "Q" * 40
    with db.session_scope(database_url) as session:
        session.add_all(
            [
                IdTag(tag=long_token, parent_id_tag=parent36),
                IdTag(tag="KID-16", parent_id_tag=parent36),
                IdTag(tag="KID-2X", parent_id_tag=parent40),
            ]
        )
    with db.session_scope(database_url) as session:
        assert tokens.id_token_info(session, {"idToken": long_token, "type": "Central"}) == {
            "status": "Accepted",
            "groupIdToken": {"idToken": parent36, "type": "Central"},
        }
        assert id_tag_info(session, "KID-16") == {"status": "Accepted"}
        assert tokens.id_token_info(session, {"idToken": "KID-2X", "type": "Central"}) == {
            "status": "Accepted"
        }


def test_the_token_that_stopped_it_another_than_the_starter(database_url):
    _station(database_url)
    token = {"idToken": "TAG-1", "type": "ISO14443"}
    other = {"idToken": "TAG-2", "type": "ISO14443"}
    _apply(database_url, _event("Started", 0, "2026-12-01T10:00:00Z", idToken=token))
    # The starter's own token in an Updated event stops nothing.
    _apply(database_url, _event("Updated", 1, "2026-12-01T10:05:00Z", idToken=token))
    assert rows(database_url, Transaction)[0].stop_id_tag is None
    # A group's second token stops it (C09): named in the StopAuthorized event, the Ended
    # that follows names none.
    stop = _event("Updated", 2, "2026-12-01T10:10:00Z", idToken=other)
    _apply(database_url, {**stop, "triggerReason": "StopAuthorized"})
    _apply(database_url, _event("Ended", 3, "2026-12-01T10:11:00Z"))
    (tx,) = rows(database_url, Transaction)
    assert (tx.id_tag, tx.stop_id_tag) == ("TAG-1", "TAG-2")
