"""The settings the central system runs with (set by `setup`, else from the environment)."""

from __future__ import annotations

from ocpp_cable.foundation.settings import RPCAppSettings, load_settings

_settings: RPCAppSettings | None = None


def configure(settings: RPCAppSettings | None) -> None:
    global _settings
    _settings = settings


def settings() -> RPCAppSettings:
    global _settings
    if _settings is None:
        _settings = load_settings()
    return _settings
