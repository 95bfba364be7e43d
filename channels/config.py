"""The settings the central system runs with (set by `setup`, else from the environment)."""

from __future__ import annotations

from foundation.settings import Settings, load_settings

_settings: Settings | None = None


def configure(settings: Settings | None) -> None:
    global _settings
    _settings = settings


def settings() -> Settings:
    global _settings
    if _settings is None:
        _settings = load_settings()
    return _settings
