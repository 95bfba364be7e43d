"""Every walk-through of the docs, run as written against a system like a reader's.

Each section of `WALKED` gets a fresh `make run` in a fresh directory, then the first
walk-through (its stations, its simulated CP-1 and CP-2 that stay connected, its token),
then the section's own commands in the page's order, each of which must succeed. Where
the page shows what a command prints, the first word printed must be the page's. The
commands are read from the pages (tests/support/walkthroughs.py), changed only in their
port numbers, so the docs cannot drift from what works.
"""

from __future__ import annotations

import asyncio
import re
import shlex
import signal
import subprocess

import orjson
import pytest

from tests.integration.test_readme_examples import Workdir, connected
from tests.support.processes import wait_for_port
from tests.support.walkthroughs import WALKED, Step, not_walked, section, steps

FIRST = WALKED[0]
EXPORT = re.compile(r"export (\w+)=(\S+)(\s+#.*)?\Z")


class Reader:
    """A reader's terminals: the server of `make run`, the simulated stations they
    started, and the shell they type the rest into."""

    def __init__(self, work: Workdir) -> None:
        self.work = work
        self.server: subprocess.Popen | None = None
        self.background: list[subprocess.Popen] = []

    def start(self) -> None:
        self.server = self.work.make_run()
        wait_for_port(self.work.port, self.server)

    async def take(self, step: Step) -> str:
        """Run one command as the reader would; what it printed."""
        command = ported(self.work, step.command)
        if exported := EXPORT.match(command):
            self.work.env[exported.group(1)] = exported.group(2)
            return ""
        if " simulate " in command and "--duration forever" in command:
            return await self._keep_running(command)
        done = await asyncio.to_thread(self.work.run, command)
        assert done.returncode == 0, (command, done.stdout, done.stderr)
        if command.startswith("curl "):  # curl without -f exits 0 on any status
            assert not is_problem(done.stdout), (command, done.stdout)
        if step.output:
            assert shape(done.stdout) == shape("\n".join(step.output)), (
                command,
                done.stdout,
                step.output,
            )
        return done.stdout

    async def _keep_running(self, command: str) -> str:
        """A station left running in a terminal of its own, once the central system
        holds it as connected."""
        process = subprocess.Popen(
            ["bash", "-c", f"exec {command}"], cwd=self.work.path, env=self.work.env,
            stdout=subprocess.DEVNULL, stderr=subprocess.PIPE, text=True,
        )  # fmt: skip
        self.background.append(process)
        words = shlex.split(command)
        station_id = words[words.index("--id") + 1]
        await connected(self.work, station_id, within=30)
        return ""

    def stop(self) -> str:
        """Ctrl-C in every terminal; the server's log."""
        for process in self.background:
            process.send_signal(signal.SIGINT)
        for process in self.background:
            try:
                process.wait(20)
            except subprocess.TimeoutExpired:
                process.kill()
        if self.server is None:
            return ""
        self.server.send_signal(signal.SIGINT)
        _, logs = self.server.communicate(timeout=30)
        return logs


def ported(work: Workdir, command: str) -> str:
    """The command with the test's ports in place of the docs' (the same services)."""
    return (
        re.sub(r":9000\b", f":{work.port}", command)
        .replace(":9001/", f":{work.http_port}/")
        .replace(":9080", f":{work.api_port}")
    )


def is_problem(body: str) -> bool:
    """Is `body` the API's RFC 9457 answer to a request it refused?"""
    try:
        answer = orjson.loads(body)
    except orjson.JSONDecodeError:
        return False
    return (
        isinstance(answer, dict)
        and isinstance(answer.get("status"), int)
        and (answer["status"] >= 400)
    )


def shape(text: str) -> object:
    """What must match between a command's output and the page's: a JSON object's keys,
    else the first word (ids, times and counts differ from run to run)."""
    try:
        answer = orjson.loads(text)
    except orjson.JSONDecodeError:
        return text.split(maxsplit=1)[0] if text.strip() else ""
    return sorted(answer) if isinstance(answer, dict) else type(answer).__name__


@pytest.mark.timeout(240)
@pytest.mark.parametrize("title", WALKED[1:])
async def test_the_docs_walk_through_runs_as_written(title, tmp_path):
    reader = Reader(Workdir(tmp_path))
    try:
        reader.start()
        for step in steps(section(FIRST)):
            await reader.take(step)
        for step in steps(section(title)):
            if not_walked(step.command) is None:
                await reader.take(step)
    finally:
        logs = reader.stop()
    assert "Traceback" not in logs, logs
