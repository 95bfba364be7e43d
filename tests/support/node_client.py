"""The independent browser client of the tests: @anycable/core under Node."""

from __future__ import annotations

import asyncio
import os
import shutil
import subprocess

import orjson
import pytest

from tests.support.processes import ROOT

NODE_CLIENT = ROOT / "tests" / "support" / "node_cable"


def node_client_ready() -> None:
    """`npm ci` once; under CI a missing Node fails the test instead of skipping it."""
    if shutil.which("node") is None or shutil.which("npm") is None:
        if os.environ.get("CI") == "true":
            pytest.fail("node and npm are needed for the @anycable/core client tests")
        pytest.skip("node and npm are not installed")
    if not (NODE_CLIENT / "node_modules" / "@anycable" / "core").is_dir():
        subprocess.run(
            ["npm", "ci", "--no-audit", "--no-fund", "--loglevel=error"],
            cwd=NODE_CLIENT,
            check=True,
            timeout=180,
        )


async def run_node_client(url: str, channel: str, params: dict) -> asyncio.subprocess.Process:
    """client.mjs subscribed to `channel` with `params` at `url`: one JSON line per event."""
    return await asyncio.create_subprocess_exec(
        "node",
        str(NODE_CLIENT / "client.mjs"),
        url,
        channel,
        orjson.dumps(params).decode(),
        stdout=asyncio.subprocess.PIPE,
        stderr=asyncio.subprocess.PIPE,
    )


async def events_until(process: asyncio.subprocess.Process, last: str) -> list[dict]:
    """The client's events up to the first `last` one."""
    events = []
    while True:
        line = await asyncio.wait_for(process.stdout.readline(), 15)
        assert line, (events, (await process.stderr.read()).decode())
        events.append(orjson.loads(line))
        if events[-1]["event"] == last:
            return events
