"""The admin commands (`ocpp-cable stations|transactions ...`) run in-process, as cli.py
builds them: faster than a process, and the same parser and handlers."""

from __future__ import annotations

import argparse
import contextlib
import io
import sys
import threading
from typing import TextIO

from ocpp_cable import cli
from ocpp_cable.channels.operators.admin.cli import add_admin_commands, run_admin
from ocpp_cable.channels.settings import Settings
from ocpp_cable.cli import ADMIN_COMMANDS


class _ThisThreadOnly(io.TextIOBase):
    """A stream that keeps what the calling thread writes, and passes on what any other
    thread writes (a test server's publisher logging late) to where it would have gone:
    the command's output holds the command's output alone."""

    def __init__(self, kept: io.StringIO, elsewhere: TextIO) -> None:
        self.kept, self.elsewhere, self.owner = kept, elsewhere, threading.get_ident()

    def write(self, text: str) -> int:
        target = self.kept if threading.get_ident() == self.owner else self.elsewhere
        return target.write(text)

    def flush(self) -> None:
        self.elsewhere.flush()


def run_admin_line(database_url: str, *argv: str) -> tuple[int, str, str]:
    """(exit status, stdout, stderr) of one admin command line on `database_url`."""
    parser = argparse.ArgumentParser(prog="ocpp-cable")
    add_admin_commands(parser.add_subparsers(dest="command"), cli._add_setting_flags)
    args = parser.parse_args(argv)
    assert args.command in ADMIN_COMMANDS
    out, err = io.StringIO(), io.StringIO()
    with (
        contextlib.redirect_stdout(_ThisThreadOnly(out, sys.stdout)),
        contextlib.redirect_stderr(_ThisThreadOnly(err, sys.stderr)),
    ):
        code = run_admin(args, Settings(database_url=database_url))
    return code, out.getvalue(), err.getvalue()
