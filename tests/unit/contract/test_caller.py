"""The RPC link's caller check (contract/caller.py) and what rpc_app listens on unguarded."""

from __future__ import annotations

import hashlib
import hmac

import pytest

from ocpp_cable.channels.settings import Settings
from ocpp_cable.contract import caller
from ocpp_cable.foundation.key_file import derived_key
from ocpp_cable.foundation.settings import SettingsError
from ocpp_cable.runner import embedded, loopback


def test_the_secret_travels_as_a_bearer_authorization():
    assert caller.metadata(None) == ()
    assert caller.metadata("s") == (("authorization", "Bearer s"),)
    assert caller.authorized([("sid", "x"), ("authorization", "Bearer s")], "s")
    assert caller.authorized([("authorization", b"Bearer s")], "s")
    for metadata in (None, [], [("authorization", "Bearer t")], [("authorization", "s")]):
        assert not caller.authorized(metadata, "s")


def test_the_derived_secret_is_anycables():
    """anycable-go makes its RPC secret from its application secret this way (rpc/rpc.go;
    docs: `echo -n 'rpc-cable' | openssl dgst -sha256 -hmac <secret>`)."""
    expected = hmac.new(b"app-secret", b"rpc-cable", hashlib.sha256).hexdigest()
    assert derived_key("app-secret", "rpc-cable") == expected
    assert Settings(broadcast_key="app-secret").rpc_auth_secret() == expected
    assert Settings(broadcast_key="app-secret", rpc_secret="own").rpc_auth_secret() == "own"


@pytest.mark.parametrize(
    ("address", "local"),
    [
        ("127.0.0.1:50051", True),
        ("127.0.0.2:50051", True),
        ("localhost:50051", True),
        ("[::1]:50051", True),
        ("unix:/run/rpc.sock", True),
        ("0.0.0.0:50051", False),
        ("[::]:50051", False),
        ("10.0.0.5:50051", False),
        ("rpc.internal:50051", False),
    ],
)
def test_only_loopback_addresses_may_go_without_a_secret(address, local):
    assert loopback(address) is local


def test_up_always_guards_its_rpc_port(tmp_path):
    """Even with the broadcast check off (no key to derive from), `up` makes a secret."""
    settings = embedded(Settings(broadcast_auth=False, broadcast_key_file=str(tmp_path / "k")))
    assert settings.rpc_auth_secret() is not None
    assert not (tmp_path / "k").exists()


def test_an_unreadable_key_file_is_a_settings_error_naming_it(tmp_path):
    (tmp_path / "k").write_text("")  # empty: read_key refuses it
    with pytest.raises(SettingsError, match=r"rpc_secret.*k is empty"):
        Settings(broadcast_key_file=str(tmp_path / "k")).rpc_auth_secret()
