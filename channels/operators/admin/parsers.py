"""Building the command-line parsers of the central system's commands."""

from __future__ import annotations

import argparse
from collections.abc import Callable
from typing import Any


def leaf(
    group: argparse._SubParsersAction,
    name: str,
    handler: Callable[[argparse.Namespace, Any], int],
    help_text: str,
    json_flag: bool = False,
    handler_key: str = "admin_handler",
) -> argparse.ArgumentParser:
    """A subcommand that runs `handler`. The handler travels with the parser (under
    `handler_key`, what the command's runner reads), so no table of names is needed."""
    parser = group.add_parser(name, help=help_text, description=help_text)
    if json_flag:
        parser.add_argument("--json", action="store_true", help="print JSON for scripts")
    parser.set_defaults(**{handler_key: handler})
    return parser
