"""The docs' walk-throughs as tests read them: a section's commands, in the order a reader
types them.

A section is a heading of a docs page with everything under it (its subsections too). Its
steps are the lines of its ```sh blocks (continuation lines joined, comments left to the
shell) and the `$ ` lines of its ```console blocks, each with the output the page shows
for it. `tests/integration/test_docs_walkthroughs.py` runs every section named in
`WALKED` against a running system; `tests/unit/test_docs_walkthroughs_cover.py` fails
when a command of the docs is in no walked section and has no reason in `NOT_WALKED`.
"""

from __future__ import annotations

import re
import shlex
from dataclasses import dataclass, field

from tests.support.docs import page_texts

# The sections run as walk-throughs, in the page's words (`## ` and deeper headings).
WALKED = (
    "A first walk-through",
    "Station authentication",
    "Registration: Accepted, Pending, Rejected",
    "Smart charging",
    "The Local Authorization List",
    "Reservations",
    "Configuration, firmware and diagnostics",
    "OCPP 2.0.1 and 2.1 in the reference central system",
    "Tariffs and cost",
    "The 2.0.1 device model",
    "Lenient stations",
    "The HTTP API (`/api/v1`)",
)

# Commands of the docs that no walk-through runs, by how they begin, each with why and
# where else it is tested.
NOT_WALKED = {
    "make ": "the Makefile's own targets (CI runs `make lint` and `make test`)",
    ".venv/bin/ocpp-cable up --channels-module ": "test_readme_examples / test_cli run these "
    "application examples with their own chargers",
    ".venv/bin/python examples/": "run by test_readme_examples and test_cli with their servers",
    "ANYCABLE_OCPP_GRANULAR_ACTIONS=false": "test_readme_examples runs the single-action example",
    ".venv/bin/ocpp-cable rpc ": "running the pieces apart: test_cli and test_bridge start them",
    ".venv/bin/ocpp-cable gateway ": "running the pieces apart: test_cli and test_bridge",
    ".venv/bin/ocpp-cable api ": "running the pieces apart: test_cli",
    "OCPP_CABLE_RPC_SECRET=": "mutual TLS with the operator's own certificates: test_secrets",
    "anycable-go ": "anycable-go is not installed here: test_anycable_go runs its contract",
    ".venv/bin/ocpp-cable tokens add ada": "the browsers' live example: test_readme_examples",
    '.venv/bin/ocpp-cable send CP-1 Reset \'{"type": "Soft"}\'': "broadcasting by hand: "
    "test_readme_examples runs it against a connected CP-1",
    ".venv/bin/ocpp-cable broadcast ocpp:": "broadcasting by hand: test_readme_examples",
    "curl -X POST http://127.0.0.1:9001/_broadcast": "broadcasting by hand: test_readme_examples",
    '.venv/bin/ocpp-cable send CP-1 Reset \'{"type": "Hard"}\' --broadcaster redis': "two "
    "gateway nodes on Redis: test_broadcasting",
    ".venv/bin/ocpp-cable send CP-1 DataTransfer": "the Commands section's, run by "
    "test_readme_examples against a connected CP-1",
    ".venv/bin/ocpp-cable remote-start CP-1 TAG-1 --connector 1 --wait": "the everyday "
    "commands, run in order by test_readme_examples against the simulated CP-1",
    ".venv/bin/ocpp-cable transactions list --station CP-1": "the everyday commands",
    ".venv/bin/ocpp-cable remote-stop CP-1": "the everyday commands",
    ".venv/bin/ocpp-cable trigger CP-1": "the everyday commands",
    ".venv/bin/ocpp-cable configuration set CP-1 HeartbeatInterval=300": "the everyday commands",
    ".venv/bin/ocpp-cable availability CP-1": "the everyday commands",
    ".venv/bin/ocpp-cable reset CP-1": "the everyday commands",
    ".venv/bin/ocpp-cable transactions stale": "offline transactions name the reader's own "
    "stale sessions (42): test_offline_transactions closes one",
    ".venv/bin/ocpp-cable transactions close 42": "as above: test_offline_transactions",
    ".venv/bin/ocpp-cable firmware publish LC-1": "a 2.x local controller, which the simulator "
    "is not: test_firmware_requests publishes to one",
    ".venv/bin/ocpp-cable firmware unpublish LC-1": "a local controller: test_firmware_requests",
    ".venv/bin/python -m devtools.vendor_assets": "fetches from npm: test_dashboard checks "
    "what it wrote",
    ".venv/bin/ocpp-cable simulate ws://127.0.0.1:9000/ocpp --count 20": "simulated chargers "
    "for 30 s: test_simulator runs the same options for a shorter time",
    ".venv/bin/ocpp-cable simulate ws://127.0.0.1:9000/ocpp --ocpp-version 2.0.1 --count 20": (
        "as above: test_simulator"
    ),
    ".venv/bin/ocpp-cable simulate ws://127.0.0.1:9000/ocpp --id CP-3 --id-tag TAG-1": "a "
    "named station charging with our idTag: test_simulator",
    ".venv/bin/ocpp-cable config": "test_cli checks every password masked",
    ".venv/bin/ocpp-cable -C /srv/ocpp-cable": "a data directory elsewhere: test_database_file",
    "OCPP_CABLE_BROADCAST_KEY=$(openssl rand -hex 16)": "docker compose does not run here: "
    "test_compose parses the file",
}


@dataclass
class Step:
    """One command as a reader types it, and what the page shows it printing."""

    command: str
    output: list[str] = field(default_factory=list)


HEADING = re.compile(r"^(#{2,6}) (.+)$", re.M)
FENCE = re.compile(r"^```(sh|console)\n(.*?)^```", re.S | re.M)


def section(title: str) -> str:
    """The text under the one heading `title` (on any page), down to the next heading
    of its level or above."""
    found = []
    for text in page_texts().values():
        headings = list(HEADING.finditer(text))
        for index, heading in enumerate(headings):
            if heading.group(2) != title:
                continue
            level = len(heading.group(1))
            end = next(
                (h.start() for h in headings[index + 1 :] if len(h.group(1)) <= level), len(text)
            )
            found.append(text[heading.end() : end])
    assert len(found) == 1, f"{len(found)} sections are headed {title!r}"
    return found[0]


def steps(text: str) -> list[Step]:
    """The commands of the ```sh and ```console blocks of `text`, in order."""
    found: list[Step] = []
    for language, body in FENCE.findall(text):
        lines = body.replace("\\\n", " ").splitlines()
        prompted = language == "console" or any(line.startswith("$ ") for line in lines)
        lines = _quoted_lines_joined(lines, prompted)
        for line in lines:
            if prompted:
                if line.startswith("$ "):
                    found.append(Step(line[2:]))
                elif found and line.strip():
                    found[-1].output.append(line)
            elif line.strip() and not line.lstrip().startswith("#"):
                found.append(Step(line))
    return found


def _quoted_lines_joined(lines: list[str], prompted: bool) -> list[str]:
    """Lines as the shell reads them: a command whose quoted string goes on over lines is
    one (with `prompted`, only the `$ ` lines are commands; the rest is output)."""
    joined: list[str] = []
    pending = ""
    for line in lines:
        if not pending and prompted and not line.startswith("$ "):
            joined.append(line)
            continue
        pending = f"{pending}\n{line}" if pending else line
        try:
            shlex.split(pending, comments=True)
        except ValueError:  # no closing quotation yet
            continue
        joined.append(pending)
        pending = ""
    return [*joined, pending] if pending else joined


def all_commands() -> list[str]:
    """Every command of every page's ```sh and ```console blocks."""
    return [step.command for text in page_texts().values() for step in steps(text)]


def not_walked(command: str) -> str | None:
    """Why `command` is in no walk-through, if it has a reason."""
    return next((why for start, why in NOT_WALKED.items() if command.startswith(start)), None)
