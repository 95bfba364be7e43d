"""What a central system's command lets a station send while its boot is Pending.

OCPP 2.0.1 B02.FR.09 (and 1.6 4.2.1, the same rule): a Pending station sends no CALL
but BootNotification, except the messages the central system asked for with
TriggerMessage (ExtendedTriggerMessage in 1.6's security extension), GetBaseReport or
GetReport. The station answers such a command before it sends what was asked for
(F06.FR.05, 1.6 5.17), so the answer tells which actions it will send.
"""

from __future__ import annotations

from typing import Any

# requestedMessage -> the actions it makes the station send, where they differ from it.
_SENT_FOR = {
    "SignChargePointCertificate": ("SignCertificate",),  # 1.6 security extension
    "SignChargingStationCertificate": ("SignCertificate",),
    "SignV2GCertificate": ("SignCertificate",),
    "SignV2G20Certificate": ("SignCertificate",),  # 2.1
    "SignCombinedCertificate": ("SignCertificate",),
    "CustomTrigger": (),  # 2.1: what it triggers is the vendor's, no action we could name
}
# 1.6's ExtendedTriggerMessage: a station doing signed updates reports them signed.
_EXTENDED_SENT_FOR = {
    **_SENT_FOR,
    "FirmwareStatusNotification": (
        "FirmwareStatusNotification",
        "SignedFirmwareStatusNotification",
    ),
}
_REPORTS = frozenset({"GetBaseReport", "GetReport"})


def triggered(action: str, request: Any, answer: Any) -> frozenset[str]:
    """The actions the station may send, Pending as it is, because it answered our
    `action` (its `request` payload) with `answer`: none unless the answer's status is
    Accepted."""
    if not (isinstance(answer, dict) and answer.get("status") == "Accepted"):
        return frozenset()
    if action in _REPORTS:
        return frozenset({"NotifyReport"})
    if action not in ("TriggerMessage", "ExtendedTriggerMessage"):
        return frozenset()
    requested = request.get("requestedMessage") if isinstance(request, dict) else None
    if not isinstance(requested, str):
        return frozenset()
    sent_for = _EXTENDED_SENT_FOR if action == "ExtendedTriggerMessage" else _SENT_FOR
    return frozenset(sent_for.get(requested, (requested,)))
