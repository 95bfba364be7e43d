"""Every schema-valid message gets a definitive answer, and what was acked is stored as sent.

One row per payload that a real charger may send and that a database or Python's
datetime cannot take as it is; each runs end to end (charger, gateway, rpc_app,
the reference central system) on SQLite and on PostgreSQL.
"""

from __future__ import annotations

import contextlib
from datetime import UTC, datetime

import orjson
import pytest
import websockets
from sqlalchemy import select

from ocpp_cable.channels.storage import db
from ocpp_cable.channels.storage.models import (
    ChargePoint,
    Connector,
    IdTag,
    MessageLog,
    MeterValue,
    Transaction,
)
from tests.support.central import PASSWORD, basic, central_system, seed

# A signed meter value as Open Charge Metering Format (OCMF) writes it: ~300 characters.
OCMF = (
    'OCMF|{"FV":"1.0","GI":"ABL SBC-301","GS":"808829900001","GV":"1.4p3","PG":"T12345",'
    '"MV":"Phoenix Contact","MM":"EEM-350-D-MCB","MS":"BQ27400330016","MF":"1.0",'
    '"IS":true,"IL":"VERIFIED","IF":["RFID_PLAIN","OCPP_RS_TLS"],"IT":"ISO14443",'
    '"ID":"1F2D3A4F5506C7","RD":[{"TM":"2018-07-24T13:22:04,000+0200 S","TX":"B",'
    '"RV":2935.6,"RI":"1-b:1.8.0","RU":"kWh","RT":"AC","EF":"","ST":"G"}]}|'
    '{"SD":"887FABF407AC82782EEFFF2220C2F856AEB0BC22364BBCC6B55761911ED651D1A922BADA88818C9671'
    'AFEE7094D7F536"}'
)
T0 = "2026-11-21T10:00:00Z"


def sample(value: str, **fields) -> dict:
    return {"value": value, **fields}


def meter_values(*samples: dict, timestamp: str = T0, transaction_id: int | None = None):
    payload = {
        "connectorId": 1,
        "meterValue": [{"timestamp": timestamp, "sampledValue": list(samples)}],
    }
    if transaction_id is not None:
        payload["transactionId"] = transaction_id
    return "MeterValues", payload


@contextlib.asynccontextmanager
async def station(node):
    async with websockets.connect(
        f"ws://127.0.0.1:{node.port}/ocpp/CP-1",
        subprotocols=["ocpp1.6"],
        additional_headers=basic("CP-1", PASSWORD),
    ) as ws:

        async def call(action: str, payload: dict, unique_id: str = "m1") -> list:
            await ws.send(orjson.dumps([2, unique_id, action, payload]).decode())
            return orjson.loads(await ws.recv())

        yield call


def stored(url, model, *where):
    with db.session_scope(url) as session:
        return list(session.scalars(select(model).where(*where)))


async def start(call, id_tag: str = "TAG-1", timestamp: str = T0) -> int:
    reply = await call(
        "StartTransaction",
        {"connectorId": 1, "idTag": id_tag, "meterStart": 1000, "timestamp": timestamp},
        "st",
    )
    assert reply[0] == 3, reply
    return reply[2]["transactionId"]


# --- stored exactly as sent --------------------------------------------------------------


async def test_signed_meter_value_closes_the_transaction(database_url):
    seed(database_url)
    async with central_system(database_url) as (node, _), station(node) as call:
        tx = await start(call)
        signed = sample(OCMF, format="SignedData", context="Transaction.End")
        reply = await call(
            "StopTransaction",
            {
                "transactionId": tx,
                "meterStop": 2000,
                "timestamp": "2026-11-21T11:00:00Z",
                "transactionData": [
                    {"timestamp": "2026-11-21T11:00:00Z", "sampledValue": [signed]}
                ],
            },
        )
    assert reply[0] == 3, reply
    (transaction,) = stored(database_url, Transaction)
    assert transaction.stop_time is not None and transaction.energy_wh == 1000
    (row,) = stored(database_url, MeterValue)
    assert (row.value, row.format) == (OCMF, "SignedData")


@pytest.mark.parametrize("value", ["9" * 65, "x" * 5000, "-0.000000000000000000000000001"])
async def test_long_sampled_values_are_stored_whole(database_url, value):
    seed(database_url)
    async with central_system(database_url) as (node, _), station(node) as call:
        reply = await call(*meter_values(sample(value)))
    assert reply[0] == 3, reply
    assert [r.value for r in stored(database_url, MeterValue)] == [value]


async def test_nul_characters_are_stored_as_sent(database_url):
    seed(database_url, tags=(("T\x00G", "Accepted", None),))
    async with central_system(database_url) as (node, _), station(node) as call:
        boot = await call(
            "BootNotification", {"chargePointVendor": "Ac\x00me", "chargePointModel": "M\x00"}
        )
        status = await call(
            "StatusNotification",
            {
                "connectorId": 1,
                "errorCode": "OtherError",
                "status": "Faulted",
                "info": "Overheat\x00\x00\x00",
                "vendorErrorCode": "E\x0042",
            },
            "m\x00",
        )
        auth = await call("Authorize", {"idTag": "T\x00G"})
        tx = await start(call, id_tag="T\x00G")
        values = await call(*meter_values(sample("12\x003"), transaction_id=tx))
    assert [boot[0], status[0], values[0]] == [3, 3, 3], (boot, status, values)
    assert status[1] == "m\x00"
    assert auth[2]["idTagInfo"]["status"] == "Accepted"
    (cp,) = stored(database_url, ChargePoint)
    assert (cp.vendor, cp.model) == ("Ac\x00me", "M\x00")
    (connector,) = stored(database_url, Connector)
    assert (connector.info, connector.vendor_error_code) == ("Overheat\x00\x00\x00", "E\x0042")
    (transaction,) = stored(database_url, Transaction)
    assert transaction.id_tag == "T\x00G"
    assert [r.value for r in stored(database_url, MeterValue)] == ["12\x003"]
    assert stored(database_url, MessageLog, MessageLog.message_id == "m\x00")
    assert [t.tag for t in stored(database_url, IdTag)] == ["T\x00G"]


@pytest.mark.parametrize(
    ("sent", "instant", "kept"),
    [
        ("2026-11-21t10:00:00z", datetime(2026, 11, 21, 10, tzinfo=UTC), None),
        (
            "2026-11-21T10:00:00.1234567Z",
            datetime(2026, 11, 21, 10, 0, 0, 123456, tzinfo=UTC),
            "2026-11-21T10:00:00.1234567Z",
        ),
        (
            "2016-12-31T23:59:60Z",
            datetime(2016, 12, 31, 23, 59, 59, 999999, tzinfo=UTC),
            "2016-12-31T23:59:60Z",
        ),
        ("0001-01-01T00:30:00+01:00", datetime(1, 1, 1, tzinfo=UTC), "0001-01-01T00:30:00+01:00"),
        (
            "9999-12-31T23:59:59-01:00",
            datetime(9999, 12, 31, 23, 59, 59, 999999, tzinfo=UTC),
            "9999-12-31T23:59:59-01:00",
        ),
    ],
    ids=["lower case", "nanoseconds", "leap second", "before year 1", "after year 9999"],
)
async def test_every_rfc3339_time_is_stored(database_url, sent, instant, kept):
    seed(database_url)
    async with central_system(database_url) as (node, _), station(node) as call:
        tx = await start(call, timestamp=sent)
        status = await call(
            "StatusNotification",
            {"connectorId": 1, "errorCode": "NoError", "status": "Charging", "timestamp": sent},
        )
        values = await call(*meter_values(sample("1"), timestamp=sent, transaction_id=tx))
        again = await start(call, timestamp=sent)  # a retried start finds its transaction
        stop = await call(
            "StopTransaction", {"transactionId": tx, "meterStop": 1500, "timestamp": sent}
        )
    assert [status[0], values[0], stop[0]] == [3, 3, 3], (status, values, stop)
    assert again == tx
    (transaction,) = stored(database_url, Transaction)
    assert (transaction.start_time, transaction.start_time_text) == (instant, kept)
    assert (transaction.stop_time, transaction.stop_time_text) == (instant, kept)
    (row,) = stored(database_url, MeterValue)
    assert (row.timestamp, row.timestamp_text) == (instant, kept)
    (connector,) = stored(database_url, Connector)
    assert (connector.updated_at, connector.timestamp_text) == (instant, kept)


# --- distinct samples stay distinct, retries dedupe ------------------------------------


async def test_distinct_samples_are_all_stored_and_a_retry_adds_none(database_url):
    seed(database_url)
    six = [
        sample("230", measurand="Voltage", unit="V"),
        sample("230", measurand="Voltage", unit="V", location="Inlet"),
        sample("230", measurand="Voltage", unit="V", format="SignedData"),
        sample("0.23", measurand="Voltage", unit="kW"),  # same meaning, other unit: still sent
        sample("16", measurand="Current.Import", unit="A"),
        sample("16", measurand="Current.Import", unit="A"),  # three phases, none named
    ]
    six.append(sample("16", measurand="Current.Import", unit="A"))
    async with central_system(database_url) as (node, _), station(node) as call:
        first = await call(*meter_values(*six), "mv-1")
        retry = await call(*meter_values(*six), "mv-1")
    assert first[0] == retry[0] == 3
    rows = stored(database_url, MeterValue)
    assert len(rows) == len(six)
    assert sorted(((r.value, r.unit, r.location, r.format) for r in rows), key=repr) == sorted(
        ((s["value"], s.get("unit"), s.get("location"), s.get("format")) for s in six), key=repr
    )


# --- refused with a CALLERROR that names the field -------------------------------------


SAMPLES = f'"meterValue":[{{"timestamp":"{T0}","sampledValue":[{{"value":"1"}}]}}]'


@pytest.mark.parametrize(
    ("payload", "field"),
    [
        (f'{{"connectorId":{2**31},{SAMPLES}}}', "connectorId"),
        (f'{{"connectorId":1,"transactionId":{2**63},{SAMPLES}}}', "transactionId"),
        (f'{{"connectorId":1e300,{SAMPLES}}}', "connectorId"),
        (f'{{"connectorId":99999999999999999999999,{SAMPLES}}}', "connectorId"),
        (f'{{"connectorId":1.0,{SAMPLES}}}', "connectorId"),
    ],
    ids=["2^31", "2^63", "1e300", "beyond 64 bits", "1.0"],
)
async def test_integers_out_of_range_are_refused_naming_the_field(database_url, payload, field):
    seed(database_url)
    async with central_system(database_url) as (node, _), station(node) as call:
        reply = await call("MeterValues", orjson.Fragment(payload))
    assert reply[:3] == [4, "m1", "TypeConstraintViolation"], reply
    assert field in reply[3]
    assert not stored(database_url, MeterValue)
