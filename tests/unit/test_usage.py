"""ocpp_cable/usage.py: a mistyped command or flag answered with what was meant."""

from __future__ import annotations

from importlib.metadata import version

import pytest

from ocpp_cable.cli import main


def refused(capsys, *argv: str) -> str:
    with pytest.raises(SystemExit) as exc:
        main(list(argv))
    assert exc.value.code == 2
    return capsys.readouterr().err


def test_a_mistyped_flag_gets_its_commands_usage_and_the_closest_flag(capsys):
    said = refused(capsys, "stations", "list", "--databse-url", "x")
    assert said.startswith("usage: ocpp-cable stations list ")
    assert said.rstrip().endswith(
        "ocpp-cable stations list: error: unrecognized arguments: --databse-url x "
        "(did you mean '--database-url'?)"
    )
    said = refused(capsys, "-C", "/srv/ocpp", "stations", "list", "--jsno")
    assert "usage: ocpp-cable stations list " in said and "(did you mean '--json'?)" in said
    said = refused(capsys, "reset", "CP-1", "--imediate")
    assert "usage: ocpp-cable reset " in said and "(did you mean '--immediate'?)" in said


def test_a_mistyped_command_gets_the_closest_command(capsys):
    assert "invalid choice: 'rset'" in (said := refused(capsys, "rset", "CP-1"))
    assert "(did you mean 'reset'?)" in said
    assert "(did you mean 'list'?)" in refused(capsys, "stations", "lst")


def test_nothing_close_is_no_guess(capsys):
    said = refused(capsys, "stations", "list", "--zzzzzz")
    assert "unrecognized arguments: --zzzzzz" in said and "did you mean" not in said


def test_version(capsys):
    with pytest.raises(SystemExit) as exc:
        main(["--version"])
    assert exc.value.code == 0
    assert capsys.readouterr().out.strip() == f"ocpp-cable {version('ocpp-cable')}"
