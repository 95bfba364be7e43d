"""Fixtures the integration tests share."""

from __future__ import annotations

import os

import pytest

from tests.support import browser


@pytest.fixture
def chromium() -> None:
    """Debian's Chromium for the dashboard's browser tests: under CI=true a missing one
    fails the test, else skips it."""
    missing = browser.chromium_missing()
    if missing and os.environ.get("CI") == "true":
        pytest.fail(missing)
    if missing:
        pytest.skip(missing)
