"""The command hooks' one table (channels/domain/hook_table.py): what it lists is what runs,
whatever else the process imported."""

from __future__ import annotations

import subprocess
import sys

from ocpp_cable.channels.domain import hook_table


def test_every_hook_listed_is_a_public_function_of_a_feature_module():
    tables = (hook_table.CHECKS, hook_table.REPLIES, hook_table.FAILURES)
    hooks = [getattr(h, "hook", h) for table in tables for row in table.values() for h in row]
    assert hooks
    for hook in hooks:
        assert callable(hook) and not hook.__name__.startswith("_"), hook
        assert hook.__module__.startswith("ocpp_cable.channels."), hook


def test_a_process_that_never_imports_the_channel_still_checks_commands():
    """The API process records commands without importing OCPPChannel: its checks (a
    TxProfile only during a transaction, say) apply all the same."""
    code = (
        "import sys\n"
        "from ocpp_cable.channels.domain import command_hooks\n"
        "assert 'ocpp_cable.channels.handlers.ocpp_channel' not in sys.modules\n"
        "print(sorted(command_hooks.CHECKS))\n"
    )
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True)
    assert out.returncode == 0, out.stderr
    assert "SetChargingProfile" in out.stdout and "ReserveNow" in out.stdout
