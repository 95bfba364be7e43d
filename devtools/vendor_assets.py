"""Vendor the dashboard's two browser libraries from npm, unmodified, with their licenses.

    .venv/bin/python -m devtools.vendor_assets

For each package below: `npm pack <name>@<version>` in a temporary directory, take
exactly the files listed (and the license) out of the tarball into
channels/operators/dashboard/static/vendor/<name>/, and record what was taken, with SHA-256
digests, in channels/operators/dashboard/static/vendor/VENDORED.json. The files are committed:
the dashboard needs no build step and no network. To update a library, change its
version here, run the script, and check the dashboard (tests/integration/test_dashboard.py).
"""

from __future__ import annotations

import hashlib
import json
import shutil
import subprocess
import tarfile
import tempfile
import urllib.request
from dataclasses import dataclass
from pathlib import Path

VENDOR = (
    Path(__file__).resolve().parent.parent
    / "channels"
    / "operators"
    / "dashboard"
    / "static"
    / "vendor"
)
MANIFEST = VENDOR / "VENDORED.json"


@dataclass(frozen=True)
class License:
    """A license the npm tarball does not carry: taken from the release's source
    repository, and accepted only with the digest pinned here."""

    url: str
    sha256: str
    name: str = "LICENSE"


@dataclass(frozen=True)
class Package:
    name: str
    version: str
    files: tuple[str, ...]  # paths inside the tarball's package/ directory
    license: str | License = "LICENSE"


PACKAGES = (
    Package(
        "@rails/actioncable",
        "8.1.400",  # Rails 8.1.4
        ("app/assets/javascripts/actioncable.esm.js",),
        # The npm package declares MIT but ships no license file; the gem's is the same text.
        License(
            "https://raw.githubusercontent.com/rails/rails/v8.1.4/actioncable/MIT-LICENSE",
            "44c1d1bb166a4bc26983b892dc72a1c96cf81b30d14f95dbf2a9f37f72a1094a",
            "MIT-LICENSE",
        ),
    ),
    Package("uplot", "1.6.32", ("dist/uPlot.iife.min.js", "dist/uPlot.min.css")),
)


def sha256(data: bytes) -> str:
    return hashlib.sha256(data).hexdigest()


def npm_pack(spec: str, into: Path) -> tuple[Path, str]:
    """The published tarball of `spec`, and npm's integrity digest of it."""
    out = subprocess.run(
        ["npm", "pack", spec, "--json", "--silent", "--pack-destination", str(into)],
        cwd=into, check=True, capture_output=True, text=True, timeout=300,
    )  # fmt: skip
    packed = json.loads(out.stdout)[0]
    return into / packed["filename"], packed["integrity"]


def license_text(package: Package, tarball: tarfile.TarFile, target: Path) -> tuple[str, bytes]:
    if isinstance(package.license, str):
        return package.license, tarball.extractfile(f"package/{package.license}").read()
    wanted = package.license
    kept = target / wanted.name
    # Already in the tree with the pinned digest: nothing to download.
    if kept.is_file() and sha256(kept.read_bytes()) == wanted.sha256:
        return wanted.name, kept.read_bytes()
    with urllib.request.urlopen(wanted.url, timeout=60) as response:
        data = response.read()
    if sha256(data) != wanted.sha256:
        raise SystemExit(f"{wanted.url}: sha256 {sha256(data)}, expected {wanted.sha256}")
    return wanted.name, data


def vendor(package: Package, work: Path) -> dict:
    tarball_path, integrity = npm_pack(f"{package.name}@{package.version}", work)
    target = VENDOR / package.name
    with tarfile.open(tarball_path) as tarball:
        license_name, license_data = license_text(package, tarball, target)
        taken = {
            Path(path).name: (path, tarball.extractfile(f"package/{path}").read())
            for path in package.files
        }
    if target.exists():
        shutil.rmtree(target)
    target.mkdir(parents=True)
    files = []
    for name, (source, data) in taken.items():
        (target / name).write_bytes(data)
        files.append({"path": name, "from": source, "sha256": sha256(data)})
    (target / license_name).write_bytes(license_data)
    source = package.license if isinstance(package.license, str) else package.license.url
    files.append({"path": license_name, "from": source, "sha256": sha256(license_data)})
    return {
        "package": package.name,
        "version": package.version,
        "integrity": integrity,  # the tarball's: `npm view <package>@<version> dist.integrity`
        "files": files,
    }


def main() -> None:
    VENDOR.mkdir(parents=True, exist_ok=True)
    with tempfile.TemporaryDirectory(prefix="vendor-") as tmp:
        manifest = [vendor(package, Path(tmp)) for package in PACKAGES]
    MANIFEST.write_text(json.dumps(manifest, indent=2) + "\n")
    for entry in manifest:
        print(f"{entry['package']}@{entry['version']}: {len(entry['files'])} files")


if __name__ == "__main__":
    main()
