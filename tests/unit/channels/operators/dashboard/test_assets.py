"""The dashboard's files: the vendored libraries as npm published them (VENDORED.json,
written by devtools/vendor_assets.py), and every asset the pages name is there."""

from __future__ import annotations

import hashlib
import json
import re
from pathlib import Path

import pytest

from ocpp_cable.channels.operators import dashboard
from ocpp_cable.channels.operators.dashboard import landing

STATIC = dashboard.STATIC
VENDOR = STATIC / "vendor"
MANIFEST = json.loads((VENDOR / "VENDORED.json").read_text())


def served(url: str) -> Path:
    assert url.startswith("/static/"), url
    return STATIC / url.removeprefix("/static/")


@pytest.mark.parametrize("entry", MANIFEST, ids=[e["package"] for e in MANIFEST])
def test_vendored_files_are_as_published_with_their_license(entry):
    folder = VENDOR / entry["package"]
    listed = {f["path"]: f["sha256"] for f in entry["files"]}
    assert {p.name for p in folder.iterdir()} == set(listed)  # nothing added, nothing lost
    for name, digest in listed.items():
        assert hashlib.sha256((folder / name).read_bytes()).hexdigest() == digest, name
    assert any("LICENSE" in name for name in listed)
    assert re.fullmatch(r"\d+\.\d+\.\d+", entry["version"])


def test_every_asset_the_pages_name_exists():
    html = dashboard.INDEX.read_text()
    urls = re.findall(r'(?:src|href)="(/static/[^"]+)"', html)
    urls += re.findall(r'href="(/static/[^"]+)"', landing._page("t", ""))
    assert len(urls) >= 4
    for url in urls:
        assert served(url).is_file(), url


def test_every_module_the_scripts_import_exists():
    scripts = sorted((STATIC / "dashboard").glob("*.js"))
    assert scripts
    for script in scripts:
        for target in re.findall(r"^import .* from '([^']+)'", script.read_text(), re.M):
            path = served(target) if target.startswith("/") else script.parent / target
            assert path.is_file(), f"{script.name} imports {target}"
