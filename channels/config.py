"""The settings the central system runs with (set by `setup`, else from the environment)."""

from __future__ import annotations

from ocpp_cable.channels.settings import CentralSystemRPCSettings, Settings
from ocpp_cable.foundation.settings import load_settings

_settings: CentralSystemRPCSettings | None = None


def configure(settings: CentralSystemRPCSettings | None) -> None:
    global _settings
    _settings = settings


def settings() -> CentralSystemRPCSettings:
    global _settings
    if _settings is None:
        _settings = load_settings(Settings)
    return _settings
