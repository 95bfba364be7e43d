"""Channel state (istate) and connection state (cstate) as they travel.

The gateway holds each as a map of strings and sends it with every command;
the application sends back only what changed, a deleted key as DELETED.
"""

from __future__ import annotations

from collections.abc import Mapping

DELETED = ""


def apply_changes(raw: dict[str, str], changes: Mapping[str, str]) -> None:
    """Merge an EnvResponse map into the held state."""
    for key, value in changes.items():
        if value == DELETED:
            raw.pop(key, None)
        else:
            raw[key] = value


# The connection-state key in which the application names the schema rules a station may
# break (ocppj.leniency.RULES), a JSON list; the gateway reads it once Connect answered.
TOLERATE_KEY = "ocpp-cable.tolerate"

# The connection-state key in which the application says that the station's registration
# is not Accepted (the JSON string "Pending" or "Rejected") when it connects: the gateway
# serves it as if its boot had been answered so (a station that reconnects sends no
# BootNotification), and refuses its other CALLs until a boot is Accepted.
BOOT_STATE_KEY = "ocpp-cable.boot-state"
