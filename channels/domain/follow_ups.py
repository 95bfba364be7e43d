"""A command that a station's answer calls for (a local list it failed to apply is sent
again in full): returned by an answer's hook, recorded with the answer, then sent."""

from __future__ import annotations

import uuid
from dataclasses import dataclass, field
from typing import Any


@dataclass(frozen=True, slots=True)
class FollowUp:
    """A command an answer calls for: recorded by `command_hooks.replied`, sent by the
    channel once the unit that recorded it is committed."""

    action: str
    payload: dict[str, Any]
    id: str = field(default_factory=lambda: uuid.uuid4().hex)
