"""Names as Action Cable derives them: `BootNotification` -> `boot_notification`."""

from __future__ import annotations

import re

# A lower-case letter or digit before a capital, or a capital before a capitalised
# word (`OCPPChannel` -> `OCPP_Channel`).
_WORD_BOUNDARY = re.compile(r"(?<=[a-z0-9])(?=[A-Z])|(?<=[A-Z])(?=[A-Z][a-z])")


def snake_case(name: str) -> str:
    return _WORD_BOUNDARY.sub("_", name).lower()


def action_method_name(action: str) -> str:
    """The channel method an OCPP action reaches: `BootNotification` -> `boot_notification`."""
    return snake_case(action)
