"""`from ocpp_cable import ...`: the short, stable API for channel classes."""

from __future__ import annotations

import subprocess
import sys

import pytest

import ocpp_cable
from ocpp_cable.rpc_app import Channel, Connection, Rejected, RequestEnv, abroadcast, broadcast


def test_the_public_names_are_the_frameworks_own():
    public = [getattr(ocpp_cable, name) for name in ocpp_cable.__all__]
    assert public == [Channel, Connection, Rejected, RequestEnv, abroadcast, broadcast]
    assert set(ocpp_cable.__all__) <= set(dir(ocpp_cable))


def test_an_unknown_name_is_an_attribute_error():
    with pytest.raises(AttributeError, match="Nothing"):
        ocpp_cable.Nothing  # noqa: B018


def test_importing_the_root_loads_no_framework():
    """The gateway imports ocpp_cable.gateway, so ocpp_cable itself must stay empty."""
    code = "import sys, ocpp_cable; print(sorted(m for m in sys.modules if m[:10] == 'ocpp_cable'))"
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True)
    assert out.stdout.strip() == "['ocpp_cable']"
