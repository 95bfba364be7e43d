"""The docs site builds as CI builds it: MkDocs with --strict, so any warning fails (a
link to a page or an anchor that does not exist, a page left out of the nav)."""

from __future__ import annotations

import subprocess
import sys

import yaml

from tests.support.processes import ROOT


def test_the_site_builds_with_warnings_as_errors(tmp_path):
    built = subprocess.run(
        [sys.executable, "-m", "mkdocs", "build", "--strict", "-d", str(tmp_path / "site")],
        cwd=ROOT, capture_output=True, text=True, timeout=120,
    )  # fmt: skip
    assert built.returncode == 0, built.stderr
    assert (tmp_path / "site" / "index.html").exists()
    assert (tmp_path / "site" / "screenshots" / "stations.png").exists()


def test_the_nav_holds_every_page_architecture_first():
    config = yaml.safe_load((ROOT / "mkdocs.yml").read_text())
    nav = [next(iter(entry.values())) for entry in config["nav"]]
    assert nav == [
        "index.md",
        "architecture.md",
        "app-developers.md",
        "operators.md",
        "settings.md",
        "protocol.md",
        "anycable-go-pro.md",
        "security.md",
        "conformance.md",
        "reliability.md",
        "performance.md",
        "development.md",
    ]
    assert sorted(nav) == sorted(page.name for page in (ROOT / "docs").glob("*.md"))
