"""Every command the docs show is run by a walk-through, or says why not and where else
it is tested (tests/support/walkthroughs.py)."""

from __future__ import annotations

from tests.support.processes import ROOT
from tests.support.walkthroughs import NOT_WALKED, WALKED, all_commands, section, steps


def test_every_command_of_the_docs_is_walked_or_says_why_not():
    walked = {step.command for title in WALKED for step in steps(section(title))}
    unaccounted = [
        command
        for command in all_commands()
        if command not in walked and not any(command.startswith(s) for s in NOT_WALKED)
    ]
    assert not unaccounted, "commands in no walk-through and not in NOT_WALKED:\n" + "\n".join(
        unaccounted
    )


def test_every_reason_not_to_walk_names_a_command_of_the_docs():
    commands = all_commands()
    stale = [start for start in NOT_WALKED if not any(c.startswith(start) for c in commands)]
    assert not stale, f"NOT_WALKED names commands the docs no longer have: {stale}"


def test_a_section_reads_its_blocks_in_order_with_their_output():
    text = (
        "intro\n```sh\n.venv/bin/ocpp-cable a \\\n  --b   # why\n# a comment\n```\n"
        "```console\n$ ocpp-cable c\nout 1\n\n$ ocpp-cable d\n```\n"
    )
    found = [(step.command, step.output) for step in steps(text)]
    assert found == [
        (".venv/bin/ocpp-cable a    --b   # why", []),
        ("ocpp-cable c", ["out 1"]),
        ("ocpp-cable d", []),
    ]


def test_the_walk_throughs_make_run_is_the_makefiles():
    """The walk-throughs' server (tests/integration/test_readme_examples.Workdir.make_run)
    mirrors this recipe: stations registered at first connection, files served here."""
    recipe = (ROOT / "Makefile").read_text().split("\nrun: proto\n", 1)[1].split("\n\n", 1)[0]
    assert "OCPP_CABLE_AUTO_REGISTER=$${OCPP_CABLE_AUTO_REGISTER:-true}" in recipe
    assert (
        "OCPP_CABLE_FILES_URL=$${OCPP_CABLE_FILES_URL:-http://127.0.0.1:$${OCPP_CABLE_API_PORT:-9080}}"
        in recipe
    )
    assert recipe.rstrip().endswith("$(BIN)/ocpp-cable up")
