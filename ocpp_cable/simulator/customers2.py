"""What a simulated 2.x charger holds about its drivers, reported and cleared on request
(CustomerInformation, OCPP 2.0.1 N09 and N10): of a customer named by an idToken, their
Local Authorization List entry, their reservation, and the sessions they charged. A
clear forgets the sessions; the list entry is the central system's to remove, with a
SendLocalList (N10.FR.02, .03), and the reservation ends as reservations do.

It knows its customers by idToken only: one named by an identifier or a certificate is
one it holds nothing about.
"""

from __future__ import annotations

import time
from collections.abc import Callable

from ocpp_cable.simulator.device_model2 import ACCEPTED, numbered, status
from ocpp_cable.simulator.dialects import Answer, Payload, Station, utc_time

CUSTOMER_NAMES = ("idToken", "customerIdentifier", "customerCertificate")
DATA_LENGTH = 512  # a NotifyCustomerInformation's data, at most


def _who(payload: Payload) -> str:
    if "idToken" in payload:
        return f"idToken {payload['idToken']['idToken']} ({payload['idToken']['type']})"
    if "customerIdentifier" in payload:
        return f"customer {payload['customerIdentifier']}"
    return f"the customer of certificate {payload['customerCertificate']['serialNumber']}"


def _held(token: str, station: Station) -> list[str]:
    """What it holds about `token` (idTokens match whatever their case), a line each."""
    state, same = station.state, token.casefold()
    lines = []
    for id_tag, info in state.local_list.items():
        if id_tag.casefold() == same:
            group = info.get("groupIdToken", {}).get("idToken")
            lines.append(f"Local Authorization List: {id_tag} {info['status']}"
                         + ("" if group is None else f", group {group}"))  # fmt: skip
    reservation = state.reservation_holds(time.time())
    if reservation is not None and reservation.id_tag.casefold() == same:
        lines.append(f"Reservation {reservation.reservation_id} until "
                     f"{utc_time(reservation.expires)}")  # fmt: skip
    lines += [
        f"Session {record.transaction_id}: {utc_time(record.started_at)} to "
        f"{utc_time(record.ended_at)}, {record.energy_wh} Wh"
        for record in state.sessions
        if record.id_tag.casefold() == same
    ]
    return lines


def _forget(token: str, station: Station) -> int:
    """Forget the sessions `token` charged; how many."""
    state, same = station.state, token.casefold()
    kept = [record for record in state.sessions if record.id_tag.casefold() != same]
    forgotten, state.sessions = len(state.sessions) - len(kept), kept
    return forgotten


def _pages(lines: list[str]) -> list[Payload]:
    """`lines` as NotifyCustomerInformation data, as many to a message as fit."""
    pages: list[str] = []
    for line in lines:
        line = line[:DATA_LENGTH]
        if pages and len(pages[-1]) + 1 + len(line) <= DATA_LENGTH:
            pages[-1] += "\n" + line
        else:
            pages.append(line)
    return [{"data": page} for page in pages]


def _customer_information(payload: Payload, station: Station) -> Answer:
    """Accepted, then NotifyCustomerInformation parts: what it holds (N09.FR.05), that it
    holds nothing (N09.FR.06, N10.FR.04), or that it cleared it (N10.FR.06)."""
    if sum(name in payload for name in CUSTOMER_NAMES) != 1:
        return Answer(status("Invalid"))  # name the customer, one way (N09.FR.04)
    if not payload["report"] and not payload["clear"]:
        return Answer(status("Rejected"))  # N09.FR.07
    who = _who(payload)
    token = payload.get("idToken", {}).get("idToken")
    lines = [] if token is None else _held(token, station)
    told = lines if payload["report"] else []
    if payload["clear"] and lines:
        told = [*told, f"Cleared {_forget(token, station)} session(s) of {who}"]
    if not lines:
        told = [f"No data about {who}"]
    bodies = _pages(told)
    return Answer(
        ACCEPTED, then=("send", numbered("NotifyCustomerInformation", payload["requestId"], bodies))
    )


HANDLERS: dict[str, Callable[[Payload, Station], Answer]] = {
    "CustomerInformation": _customer_information,
}
