"""Cost of the protocol core per message: schema validation and the whole receive path.

    python -m bench.validation [--rounds N]

Prints microseconds per call (best of 5 repeats) for a typical MeterValues
(one meterValue with four sampled values, as chargers send every minute).
"""

from __future__ import annotations

import argparse
import platform
import timeit

import orjson

from gateway.ocpp.session import SessionConfig, StationSession
from ocppj import schemas

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


def per_call_us(fn, rounds: int) -> float:
    return min(timeit.repeat(fn, number=rounds, repeat=5)) / rounds * 1e6


def measure(rounds: int) -> dict[str, float]:
    schemas.warm_up()
    frame = orjson.dumps([2, "m1", "MeterValues", METER_VALUES]).decode()
    session = StationSession("CP-1", SessionConfig())

    def receive():
        session.receive(frame)
        session._pending.clear()  # keep the id free for the next round

    return {
        "MeterValues schema validation": per_call_us(
            lambda: schemas.validate_request("MeterValues", METER_VALUES), rounds
        ),
        "MeterValues frame: parse + validate + perform data": per_call_us(receive, rounds),
        "Heartbeat frame answered at the gateway": per_call_us(
            lambda: session.receive('[2,"h1","Heartbeat",{}]'), rounds
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
