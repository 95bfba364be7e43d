"""Which package may import which (docs/architecture.md): a forbidden import fails here.

The gateway knows no application and the application no socket: the gateway
and rpc_app share nothing but `contract`; the application (`channels`) reaches
the gateway only through rpc_app, and never imports gRPC; `contract` and
`foundation` import nothing of ours. Only the CLI (`ocpp_cable`) sees everything.
"""

from __future__ import annotations

import ast
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[2]
PARTS = ("contract", "foundation", "ocppj", "gateway", "rpc_app", "channels", "simulator")
OURS = (*PARTS, "ocpp_cable", "devtools")
# Where each part's code lives: the card's folders at the top, the rest under ocpp_cable/.
FOLDERS = {
    **{part: ROOT / part for part in ("gateway", "rpc_app", "channels")},
    **{
        part: ROOT / "ocpp_cable" / part
        for part in ("contract", "foundation", "ocppj", "simulator")
    },
    "devtools": ROOT / "devtools",
}
MAY_IMPORT = {
    "contract": {"contract"},
    "foundation": {"foundation"},
    "ocppj": {"ocppj"},
    "gateway": {"gateway", "ocppj", "contract", "foundation"},
    "rpc_app": {"rpc_app", "contract", "foundation"},
    "channels": {"channels", "rpc_app", "ocppj", "contract", "foundation"},
    "simulator": {"simulator", "ocppj"},
    "ocpp_cable": set(OURS) - {"devtools"},
    "devtools": set(OURS),  # scripts for contributors: they read the whole project
}
# Modules a package must not import even though their package is allowed, or third-party.
NEVER = {
    "channels": ("grpc", "contract.pb", "websockets"),
    "rpc_app": ("websockets",),
}


def imports(source: str) -> list[str]:
    """Every module an import statement names, at any depth (deferred imports too)."""
    found = []
    for node in ast.walk(ast.parse(source)):
        if isinstance(node, ast.Import):
            found += [alias.name for alias in node.names]
        elif isinstance(node, ast.ImportFrom) and node.level == 0 and node.module:
            found.append(node.module)
            found += [f"{node.module}.{alias.name}" for alias in node.names]
    return found


def part_of(name: str) -> str:
    """`ocpp_cable.gateway.node` is the gateway's; `ocpp_cable.cli` is the CLI's (ocpp_cable)."""
    top, _, rest = name.partition(".")
    if top == "ocpp_cable" and (part := rest.split(".", 1)[0]) in PARTS:
        return part
    return top


def unrooted(name: str) -> str:
    """The name inside our import root: `ocpp_cable.contract.pb` -> `contract.pb`."""
    return name.removeprefix("ocpp_cable.") if part_of(name) in PARTS else name


def violations(package: str, source: str) -> list[str]:
    bad = []
    for name in imports(source):
        top = part_of(name)
        if (top in OURS and top not in MAY_IMPORT[package]) or any(
            unrooted(name) == n or unrooted(name).startswith(f"{n}.")
            for n in NEVER.get(package, ())
        ):
            bad.append(name)
    return sorted(set(bad))


@pytest.mark.parametrize("package", OURS)
def test_packages_import_only_what_they_may(package):
    if package == "ocpp_cable":  # the CLI: the modules at the root, not the parts under it
        files = list((ROOT / "ocpp_cable").glob("*.py"))
    else:
        files = [p for p in FOLDERS[package].rglob("*.py") if "migrations" not in p.parts]
    assert files
    found = {
        str(path.relative_to(ROOT)): bad
        for path in files
        if (bad := violations(package, path.read_text()))
    }
    assert found == {}, f"forbidden imports: {found}"


@pytest.mark.parametrize(
    ("package", "line"),
    [
        ("gateway", "from ocpp_cable.rpc_app.state import State"),
        ("gateway", "from ocpp_cable.channels import stations"),
        ("rpc_app", "import ocpp_cable.gateway.hub"),
        ("channels", "def f():\n    import grpc"),
        ("channels", "from ocpp_cable.contract.pb import rpc_pb2"),
        ("channels", "from ocpp_cable.gateway.ocpp import session"),
        ("rpc_app", "from ocpp_cable.ocppj import frames"),
        ("simulator", "from ocpp_cable.gateway.ocpp.session import StationSession"),
        ("ocpp_cable", "from devtools import readme"),
        ("ocppj", "from ocpp_cable.contract import transmissions"),
        ("contract", "from ocpp_cable.foundation.settings import Settings"),
        ("foundation", "from ocpp_cable import cli"),
    ],
)
def test_the_checker_catches_a_forbidden_import(package, line):
    assert violations(package, line)


def test_a_migration_imports_nothing_of_ours():
    """What a migration does is frozen with it: a rule it needs (masking, say) is its own
    copy, so a later edit of the application's code cannot change an old migration."""
    versions = FOLDERS["channels"] / "storage" / "migrations" / "versions"
    found = {
        path.name: ours
        for path in sorted(versions.glob("*.py"))
        if (ours := sorted({n for n in imports(path.read_text()) if part_of(n) in OURS}))
    }
    assert found == {}, f"migrations importing our code: {found}"


def test_unit_tests_mirror_the_code_tree():
    """A unit test of `gateway/ocpp/session.py` lives in tests/unit/gateway/ocpp/: every
    folder of tests/unit is a package of the code (project-wide checks stay at the top)."""
    unit = ROOT / "tests" / "unit"
    code = {**FOLDERS, "channels": ROOT / "channels", "gateway": ROOT / "gateway"}
    strays = []
    for folder in sorted(p for p in unit.rglob("*") if p.is_dir() and p.name != "__pycache__"):
        part, *rest = folder.relative_to(unit).parts
        if part not in code or not code[part].joinpath(*rest).is_dir():
            strays.append(str(folder.relative_to(ROOT)))
    assert strays == [], "tests/unit folders with no code folder of that name"
