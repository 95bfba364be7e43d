"""Simulated OCPP 1.6, 2.0.1 and 2.1 chargers (`ocpp-cable simulate`), built on `ocppj`.

A client of any OCPP-J central system: it imports nothing of the server.
"""

from ocpp_cable.simulator.chargers import (
    DIALECTS,
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
    "DIALECTS",
    "CallFailed",
    "SimCharger",
    "SimulationOptions",
    "Stats",
    "percentile",
    "run_cli",
    "simulate",
    "summary",
]
