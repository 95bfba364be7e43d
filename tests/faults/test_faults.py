"""The fault campaign, bounded for CI (`make faults` runs it in full: python -m faults.run).

Processes killed with SIGKILL under load, on SQLite and PostgreSQL, must lose no
acked message and store none twice; rpc_app and the API killed while `?wait=` command
requests are in flight must leave every command final, within the documented bound;
a fuzzed protocol line must answer every
schema-valid CALL definitively (never InternalError), reply only well-formed
frames, and keep serving with bounded memory and metrics and no traceback.
"""

from __future__ import annotations

import pytest

from faults.campaign import fuzz_campaign, kill_campaign, reference_actions
from faults.waiting import Timings, wait_campaign
from ocpp_cable.ocppj import versions
from tests.support.services import require


@pytest.mark.parametrize("kind", ["sqlite", "postgresql"])
async def test_sigkill_under_load_loses_no_acked_message(kind, tmp_path):
    if kind == "postgresql":
        require("PostgreSQL", "127.0.0.1", 5432)
    report = await kill_campaign(kind, tmp_path, chargers=10, kills=2, every=2.5)
    assert report.kills == {"rpc": 1, "gateway": 1}
    assert report.ledger.acked == report.ledger.sent > 50
    assert report.lost == [] and report.duplicated == [] and report.unexpected == []
    assert report.transaction_problems == [] and report.ledger.refused == []
    assert report.stored_readings == len(report.ledger.readings)


@pytest.mark.timeout(120)
async def test_sigkill_of_rpc_app_during_wait_leaves_every_command_answered(tmp_path):
    """Every station holds its answer when rpc_app dies: each reaches the database once
    rpc_app is back, and each waiting client gets it."""
    timings = Timings(
        delay=1.0, wait=30, call_timeout=5, reply_retry_time=60, rpc_timeout=1, rpc_down=1
    )
    report = await wait_campaign("sqlite", tmp_path, "rpc", 20, 40, timings)
    assert report.recorded == 40 and report.left_open == []
    assert report.outcomes == {"accepted": 40} == report.clients
    assert report.ok, report


@pytest.mark.timeout(120)
async def test_sigkill_of_the_api_during_wait_leaves_every_command_final(tmp_path):
    """The API dies while it takes the requests: what it recorded is answered by the
    station or, left queued, ended by rpc_app's sweep within the bound."""
    require("PostgreSQL", "127.0.0.1", 5432)
    timings = Timings(delay=1.0, wait=30, call_timeout=2, reply_retry_time=2, rpc_timeout=1)
    report = await wait_campaign("postgresql", tmp_path, "api", 20, 40, timings)
    assert 20 <= report.recorded <= 40
    assert report.left_open == []
    assert set(report.outcomes) <= {"accepted", "error NotSent"}, report.outcomes
    assert report.settled_in <= report.bound, report
    assert report.ok


@pytest.mark.timeout(120)
@pytest.mark.parametrize(("name", "frames"), [("2.0.1", 3_000), ("2.1", 1_500)])
async def test_fuzzed_2x_protocol_line_holds(tmp_path, name, frames):
    # More valid CALLs than the 1.6 run: the reference system's 2.x handlers take
    # every schema-valid payload, the nastiest values included. (2.1 shares 2.0.1's
    # code but for its schemas: a smaller run. `make faults` fuzzes each in full.)
    version = versions.named(name)
    report = await fuzz_campaign(
        tmp_path, frames=frames, connections=4, valid=0.3, version=version,
        actions=reference_actions(version),
    )  # fmt: skip
    assert report.frames == frames
    assert report.violations == [], report.violations[:5]
    assert report.replies["InternalError"] == 0
    assert set(report.valid_answers) <= {"CALLRESULT", "closed"}, report.valid_answers
    assert report.valid_answers["CALLRESULT"] > frames // 6
    assert report.tracebacks == 0
    assert report.metrics_bytes < 64_000
    assert report.gateway_rss_growth_kb < 20_000


@pytest.mark.timeout(120)
async def test_fuzzed_lenient_stations_get_repairs_or_refusals_never_internal_errors(tmp_path):
    """Stations that may break every rule ocppj.leniency repairs: their bent CALLs reach the
    reference system repaired, and each is answered; nothing crashes on a repaired value."""
    version = versions.OCPP16
    report = await fuzz_campaign(
        tmp_path, frames=2_000, connections=4, valid=0.2, version=version,
        actions=reference_actions(version), lenient=True,
    )  # fmt: skip
    assert report.frames == 2_000
    assert report.violations == [], report.violations[:5]
    assert report.replies["InternalError"] == 0
    assert report.bent_answers["CALLRESULT"] > 100, report.bent_answers  # repaired, stored
    assert sum(report.bent_answers.values()) > report.bent_answers["CALLRESULT"]  # and refused
    assert report.tracebacks == 0


@pytest.mark.timeout(120)
async def test_fuzzed_protocol_line_holds(tmp_path):
    report = await fuzz_campaign(tmp_path, frames=20_000, connections=8, valid=0.1)
    assert report.frames == 20_000
    # Half the MeterValues and StopTransactions name another station's transaction.
    assert report.cross_station_writes > 20
    assert report.violations == [], report.violations[:5]
    assert report.replies["InternalError"] == 0
    assert set(report.valid_answers) <= {"CALLRESULT", "closed"}, report.valid_answers
    assert report.tracebacks == 0
    assert report.metrics_bytes < 64_000  # labels from bounded sets only
    assert report.gateway_rss_growth_kb < 20_000
