"""The fuzzer's "schema-valid" payloads are valid: otherwise a fault run blames the
gateway for refusing what it should refuse."""

from __future__ import annotations

import random

import pytest

from faults import payloads
from ocpp_cable.ocppj import versions


@pytest.mark.parametrize("version", versions.VERSIONS, ids=lambda v: v.name)
def test_generated_payloads_pass_the_gateways_schemas(version):
    rng = random.Random(7)
    for action in sorted(version.charger_actions):
        for _ in range(15):
            version.schemas.validate_request(action, payloads.valid_payload(rng, action, version))
