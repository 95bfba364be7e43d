"""The command line's mistakes answered with what was meant: a mistyped command or flag
gets the closest one the command takes, and the usage of the command that was being
typed, not the top level's.

argparse reports a flag it does not know at the top level ("unrecognized arguments"),
after every subcommand has parsed, so the parser that reports it is told the words of
the line (`words`) to find the command they named.
"""

from __future__ import annotations

import argparse
import difflib
import re
import sys
from collections.abc import Sequence
from typing import NoReturn

UNRECOGNIZED = re.compile(r"unrecognized arguments: (.*)")
INVALID_CHOICE = re.compile(r"invalid choice: '([^']*)'")


class SuggestingParser(argparse.ArgumentParser):
    """An ArgumentParser (and, as argparse makes them, its subcommands') whose errors
    suggest the closest command or flag."""

    words: Sequence[str] = ()

    def error(self, message: str) -> NoReturn:
        parser, hint = self, ""
        if found := UNRECOGNIZED.match(message):
            parser = leaf(self, self.words)
            hint = _closest_flags(parser, found.group(1).split())
        elif found := INVALID_CHOICE.search(message):
            hint = _closest(found.group(1), _choices(self))
        parser.print_usage(sys.stderr)
        parser.exit(2, f"{parser.prog}: error: {message}{hint}\n")


def leaf(parser: argparse.ArgumentParser, words: Sequence[str]) -> argparse.ArgumentParser:
    """The (sub)command parser the `words` named, as deep as they go."""
    remaining = iter(words)
    for word in remaining:
        option = parser._option_string_actions.get(word)
        if option is not None and option.nargs != 0:
            next(remaining, None)  # its value (-C DIR) names no command
            continue
        commands = _subcommands(parser)
        if commands is None or word not in commands.choices:
            if commands is not None and not word.startswith("-"):
                break  # a positional argument of this command, or a mistyped command
            continue
        parser = commands.choices[word]
    return parser


def _subcommands(parser: argparse.ArgumentParser) -> argparse._SubParsersAction | None:
    found = [a for a in parser._actions if isinstance(a, argparse._SubParsersAction)]
    return found[0] if found else None


def _choices(parser: argparse.ArgumentParser) -> list[str]:
    commands = _subcommands(parser)
    return list(commands.choices) if commands is not None else []


def _closest_flags(parser: argparse.ArgumentParser, unknown: list[str]) -> str:
    known = [flag for flag in parser._option_string_actions if flag.startswith("--")]
    for word in unknown:
        if word.startswith("--"):
            hint = _closest(word.split("=", 1)[0], known)
            if hint:
                return hint
    return ""


def _closest(word: str, known: list[str]) -> str:
    match = difflib.get_close_matches(word, known, n=1, cutoff=0.6)
    return f" (did you mean {match[0]!r}?)" if match else ""
