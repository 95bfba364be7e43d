"""ocpp_cable/foundation/listening.py: a port that cannot be had, said with what to change."""

from __future__ import annotations

import errno
import socket

import pytest

from ocpp_cable.foundation.listening import ListenError, listening


def test_a_port_in_use_names_the_server_the_address_and_the_setting():
    with socket.create_server(("127.0.0.1", 0)) as taken:
        port = taken.getsockname()[1]
        with (
            pytest.raises(ListenError) as raised,
            listening("rpc_app", f"127.0.0.1:{port}", "--rpc-host"),
        ):
            socket.create_server(("127.0.0.1", port))
    assert raised.value.errno == errno.EADDRINUSE
    assert str(raised.value) == (
        f"rpc_app cannot listen on 127.0.0.1:{port}: in use by another process (is "
        "ocpp-cable already running?); choose another with --rpc-host"
    )


def test_grpcs_bind_failure_is_one_too_and_other_errors_pass_through():
    with pytest.raises(ListenError, match="in use, or not ours"), listening("rpc_app", "h:1", "-x"):
        raise RuntimeError("Failed to bind to address h:1")
    with pytest.raises(RuntimeError, match="loop"), listening("rpc_app", "h:1", "-x"):
        raise RuntimeError("the loop is closed")
    with (
        pytest.raises(ListenError, match="not an address of this machine"),
        listening("a", "b", "c"),
    ):
        raise OSError(errno.EADDRNOTAVAIL, "Cannot assign requested address")
