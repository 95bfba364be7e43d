"""Starting `ocpp-cable` as a user does: the checkout, the command, free ports."""

from __future__ import annotations

import socket
import subprocess
import sys
import time
from pathlib import Path

# One way to pick ports for tests, bench and faults alike: out of the ephemeral range.
from bench.systems import free_port as free_port

ROOT = Path(__file__).resolve().parents[2]


CLI = [sys.executable, "-m", "ocpp_cable.cli"]


def wait_for_port(port: int, process: subprocess.Popen, timeout: float = 20) -> None:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if process.poll() is not None:
            raise AssertionError(f"exited early: {process.stderr.read()}")
        try:
            with socket.create_connection(("127.0.0.1", port), timeout=0.2):
                return
        except OSError:
            time.sleep(0.1)
    raise AssertionError(f"port {port} not open within {timeout} s")
