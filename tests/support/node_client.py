"""The independent browser client of the tests: @anycable/core under Node."""

from __future__ import annotations

import os
import shutil
import subprocess

import pytest

from tests.support.processes import ROOT

NODE_CLIENT = ROOT / "tests" / "support" / "node_cable"


def node_client_ready() -> None:
    """`npm ci` once; under CI a missing Node fails the test instead of skipping it."""
    if shutil.which("node") is None or shutil.which("npm") is None:
        if os.environ.get("CI") == "true":
            pytest.fail("node and npm are needed for the @anycable/core client tests")
        pytest.skip("node and npm are not installed")
    if not (NODE_CLIENT / "node_modules" / "@anycable" / "core").is_dir():
        subprocess.run(
            ["npm", "ci", "--no-audit", "--no-fund", "--loglevel=error"],
            cwd=NODE_CLIENT,
            check=True,
            timeout=180,
        )
