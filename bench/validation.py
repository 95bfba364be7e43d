"""Cost of the protocol core per message: schema validation and the whole receive path.

    python -m bench.validation [--rounds N]

Prints microseconds per call (best of 5 repeats) for a typical MeterValues
(one meterValue with four sampled values, as chargers send every minute) and
its OCPP 2.0.1 counterpart, a TransactionEvent Updated carrying the same values.
"""

from __future__ import annotations

import argparse
import platform
import timeit

import orjson

from ocpp_cable.gateway.ocpp.session import SessionConfig, StationSession
from ocpp_cable.ocppj import versions

METER_VALUES = {
    "connectorId": 1,
    "transactionId": 1234,
    "meterValue": [
        {
            "timestamp": "2026-11-21T10:00:00.000Z",
            "sampledValue": [
                {
                    "value": "12345.6",
                    "context": "Sample.Periodic",
                    "measurand": "Energy.Active.Import.Register",
                    "unit": "Wh",
                    "location": "Outlet",
                },
                {"value": "7200", "measurand": "Power.Active.Import", "unit": "W"},
                {"value": "31.2", "measurand": "Current.Import", "unit": "A", "phase": "L1"},
                {"value": "230.1", "measurand": "Voltage", "unit": "V", "phase": "L1-N"},
            ],
        }
    ],
}


# The same four readings as 2.0.1 sends them during a session.
TRANSACTION_EVENT = {
    "eventType": "Updated",
    "timestamp": "2026-11-21T10:00:00.000Z",
    "triggerReason": "MeterValuePeriodic",
    "seqNo": 7,
    "transactionInfo": {"transactionId": "5f1c2b9e-6b1a-4c1e-9d1a-2f3e4d5c6b7a"},
    "meterValue": [
        {
            "timestamp": "2026-11-21T10:00:00.000Z",
            "sampledValue": [
                {
                    "value": 12345.6,
                    "context": "Sample.Periodic",
                    "measurand": "Energy.Active.Import.Register",
                    "location": "Outlet",
                    "unitOfMeasure": {"unit": "Wh"},
                },
                {"value": 7200, "measurand": "Power.Active.Import"},
                {"value": 31.2, "measurand": "Current.Import", "phase": "L1"},
                {"value": 230.1, "measurand": "Voltage", "phase": "L1-N"},
            ],
        }
    ],
}


def per_call_us(fn, rounds: int) -> float:
    return min(timeit.repeat(fn, number=rounds, repeat=5)) / rounds * 1e6


def measure(rounds: int) -> dict[str, float]:
    versions.warm_up([versions.OCPP16, versions.OCPP201])
    frame = orjson.dumps([2, "m1", "MeterValues", METER_VALUES]).decode()
    session = StationSession("CP-1", SessionConfig())
    frame201 = orjson.dumps([2, "t1", "TransactionEvent", TRANSACTION_EVENT]).decode()
    session201 = StationSession("CP-2", SessionConfig(), version=versions.OCPP201)

    def receive():
        session.receive(frame)
        session._pending.clear()  # keep the id free for the next round

    def receive201():
        session201.receive(frame201)
        session201._pending.clear()

    return {
        "MeterValues schema validation": per_call_us(
            lambda: versions.OCPP16.schemas.validate_request("MeterValues", METER_VALUES), rounds
        ),
        "MeterValues frame: parse + validate + perform data": per_call_us(receive, rounds),
        "Heartbeat frame answered at the gateway": per_call_us(
            lambda: session.receive('[2,"h1","Heartbeat",{}]'), rounds
        ),
        "2.0.1 TransactionEvent schema validation": per_call_us(
            lambda: versions.OCPP201.schemas.validate_request(
                "TransactionEvent", TRANSACTION_EVENT
            ),
            rounds,
        ),
        "2.0.1 TransactionEvent frame: parse + validate + perform data": per_call_us(
            receive201, rounds
        ),
        "2.0.1 Heartbeat frame answered at the gateway": per_call_us(
            lambda: session201.receive('[2,"h1","Heartbeat",{}]'), rounds
        ),
    }


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--rounds", type=int, default=20_000)
    args = parser.parse_args()
    print(f"python {platform.python_version()} on {platform.machine()}, {args.rounds} rounds")
    for name, us in measure(args.rounds).items():
        print(f"{name:55} {us:7.2f} µs")


if __name__ == "__main__":
    main()
