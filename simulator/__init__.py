"""Simulated OCPP 1.6 chargers (`ocpp-cable simulate`), built on `ocppj`'s framing.

A client of any OCPP-J central system: it imports nothing of the server.
"""

from simulator.chargers import (
    CallFailed,
    SimCharger,
    SimulationOptions,
    Stats,
    percentile,
    run_cli,
    simulate,
    summary,
)

__all__ = [
    "CallFailed",
    "SimCharger",
    "SimulationOptions",
    "Stats",
    "percentile",
    "run_cli",
    "simulate",
    "summary",
]
