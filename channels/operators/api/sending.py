"""Sending a command to a station from the API: what can go wrong, as the API's problems."""

from __future__ import annotations

import contextlib
from collections.abc import Iterator

from ocpp_cable.channels.operators.admin import command_records, operations
from ocpp_cable.channels.operators.admin.publishing import CommandLineError
from ocpp_cable.channels.operators.api.problems import Problem
from ocpp_cable.rpc_app import broadcasting

# (failure, status, problem type): the CLI's exit 2 is a 422; its exit 1 a 404 (nothing
# such) or a 409 (not as things stand).
SEND_PROBLEMS: tuple[tuple[type[Exception], int, str], ...] = (
    (command_records.UnknownStation, 404, "unknown-station"),
    (command_records.StationOffline, 409, "station-not-connected"),
    (command_records.CommandRefused, 422, "command-refused"),
    (CommandLineError, 422, "invalid-command"),
)


# The local-list and reservation operations' own refusals.
OPERATION_PROBLEMS: tuple[tuple[type[Exception], int, str], ...] = (
    (operations.NotFound, 404, "unknown-reservation"),
    (operations.OperationConflict, 409, "conflict"),
    (operations.OperationRefused, 422, "command-refused"),
)


@contextlib.contextmanager
def sending(*more: tuple[type[Exception], int, str]) -> Iterator[None]:
    """Failures of the command sent within, as problems: `more` (a feature's own, looked
    at first), then SEND_PROBLEMS; a broker that did not take it is a 502."""
    try:
        yield
    except broadcasting.BroadcastError as exc:
        raise Problem(502, "broadcast-failed", f"the command was not delivered: {exc}") from None
    except Exception as exc:
        for kind, status, name in (*more, *SEND_PROBLEMS):
            if isinstance(exc, kind):
                raise Problem(status, name, str(exc)) from None
        raise
