"""What `pip install ocpp-cable` puts in site-packages: one import root, and all of it.

The card's folders (gateway/, rpc_app/, channels/) are installed as subpackages of
ocpp_cable (setup.py maps them): a user's own `channels` or `gateway` package can
never collide with ours.
"""

from __future__ import annotations

import subprocess
import sys
import zipfile
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[2]


@pytest.fixture(scope="module")
def wheel_names(tmp_path_factory) -> list[str]:
    out = tmp_path_factory.mktemp("wheel")
    subprocess.run(
        [sys.executable, "-m", "pip", "wheel", "-q", str(ROOT), "--no-deps",
         "--no-build-isolation", "-w", str(out)],
        check=True, capture_output=True, timeout=120,
    )  # fmt: skip
    (wheel,) = out.glob("*.whl")
    return zipfile.ZipFile(wheel).namelist()


def test_the_wheel_installs_one_top_level_package(wheel_names):
    tops = {name.split("/", 1)[0] for name in wheel_names}
    assert {t for t in tops if not t.endswith(".dist-info")} == {"ocpp_cable"}


def test_every_module_and_file_the_system_needs_is_in_the_wheel(wheel_names):
    installed = set(wheel_names)
    sources = {
        **{f: f"ocpp_cable/{f}" for part in ("gateway", "rpc_app", "channels")
           for f in (str(p.relative_to(ROOT)) for p in (ROOT / part).rglob("*")
                     if p.is_file() and "__pycache__" not in p.parts)},
        **{f: f for f in (str(p.relative_to(ROOT)) for p in (ROOT / "ocpp_cable").rglob("*")
                          if p.is_file() and "__pycache__" not in p.parts)},
    }  # fmt: skip
    missing = sorted(src for src, name in sources.items() if name not in installed)
    assert missing == []
    assert "ocpp_cable/channels/storage/migrations/versions/0001_initial_schema.py" in installed
    assert "ocpp_cable/channels/operators/dashboard/index.html" in installed
