"""More peers for the benchmark, beside bench/comparison.py.

`start_node_peer()` starts bench/node_peer/server.js: an OCPP 1.6 central system on
Node's ocpp-rpc package, strict schema validation on, storing nothing, answering the
same actions as the comparison. It needs `node` and `npm` on PATH; its packages are
installed from bench/node_peer/package-lock.json (`npm ci`) the first time.
"""

from __future__ import annotations

import shutil
import subprocess
from pathlib import Path
from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from bench.systems import System

NODE_PEER = Path(__file__).resolve().parent / "node_peer"


def node_available() -> bool:
    """Whether `node` and `npm` are on PATH (the Node peer can be started)."""
    return shutil.which("node") is not None and shutil.which("npm") is not None


def install_node_peer() -> None:
    """`npm ci` in bench/node_peer unless its node_modules is already there."""
    if (NODE_PEER / "node_modules" / "ocpp-rpc").is_dir():
        return
    npm = shutil.which("npm")
    if shutil.which("node") is None or npm is None:
        raise RuntimeError(
            "the ocpp-rpc (Node) peer needs both node and npm on PATH "
            "(e.g. apt-get install nodejs npm)"
        )
    result = subprocess.run(
        [npm, "ci", "--silent", "--no-audit", "--no-fund"],
        cwd=NODE_PEER,
        stdout=subprocess.PIPE,
        stderr=subprocess.STDOUT,
        text=True,
        check=False,
    )
    if result.returncode != 0:
        raise RuntimeError(f"npm ci in {NODE_PEER} failed:\n{result.stdout}")


def start_node_peer() -> System:
    """Start the ocpp-rpc central system; its url is ws://127.0.0.1:P/ocpp."""
    # Imported here, not at the top: the benchmark's runner imports this module. The
    # helpers live in bench.systems (formerly in bench.run).
    try:
        from bench.systems import System, free_port, post, wait_for_port
    except ImportError:
        from bench.run import System, free_port, post, wait_for_port  # type: ignore[no-redef]

    install_node_peer()
    node = shutil.which("node")
    if node is None:
        raise RuntimeError("the ocpp-rpc (Node) peer needs node on PATH")
    port, control = free_port(), free_port()
    process = subprocess.Popen(
        [node, "server.js", "--port", str(port), "--control-port", str(control)],
        cwd=NODE_PEER,
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
    )
    try:
        wait_for_port(control, process)
        wait_for_port(port, process)
    except BaseException:
        process.kill()
        process.wait()
        raise
    return System(
        "ocpp-rpc (Node)",
        f"ws://127.0.0.1:{port}/ocpp",
        process.pid,
        lambda: post(f"http://127.0.0.1:{control}/broadcast"),
        [process],
    )
