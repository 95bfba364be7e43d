"""No module of ours imports, directly or through others, a module that imports it back.

Every import counts wherever it stands (at the top, under TYPE_CHECKING, or deferred
into a function): a deferred import hides a cycle from Python, not from a reader. A
cycle means two modules are one design split in two files; the fix is to move what
both need into a module of its own, or to pass it in.
"""

from __future__ import annotations

import ast
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]
# Where each part of the import root lives on disk (setup.py maps the card's folders).
PACKAGES = {
    "ocpp_cable": ROOT / "ocpp_cable",
    "ocpp_cable.gateway": ROOT / "gateway",
    "ocpp_cable.rpc_app": ROOT / "rpc_app",
    "ocpp_cable.channels": ROOT / "channels",
}
GENERATED = ("migrations", "pb")


def our_modules() -> dict[str, Path]:
    found = {}
    for prefix, base in PACKAGES.items():
        for path in base.rglob("*.py"):
            if any(part in GENERATED for part in path.relative_to(base).parts):
                continue
            parts = list(path.relative_to(base).with_suffix("").parts)
            if parts[-1] == "__init__":
                parts.pop()
            found[".".join([prefix, *parts])] = path
    return found


def imported(name: str, source: str, modules: dict[str, Path]) -> set[str]:
    """The modules of ours `source` (module `name`) imports: `from pkg import sub` is the
    submodule `pkg.sub`; `from pkg import thing` is the package `pkg` itself."""
    package = name if modules[name].name == "__init__.py" else name.rpartition(".")[0]
    found = set()
    for node in ast.walk(ast.parse(source)):
        if isinstance(node, ast.Import):
            found |= {alias.name for alias in node.names}
        elif isinstance(node, ast.ImportFrom):
            base = node.module or ""
            if node.level:  # relative: from the package the module is in
                anchor = package.rsplit(".", node.level - 1)[0] if node.level > 1 else package
                base = f"{anchor}.{base}" if base else anchor
            for alias in node.names:
                sub = f"{base}.{alias.name}"
                found.add(sub if sub in modules else base)
    return {m for m in found if m in modules and m != name}


def cycles(graph: dict[str, set[str]]) -> list[list[str]]:
    """The strongly connected components of more than one module (Tarjan)."""
    index: dict[str, int] = {}
    low: dict[str, int] = {}
    stack: list[str] = []
    on_stack: set[str] = set()
    found: list[list[str]] = []

    def visit(v: str) -> None:
        index[v] = low[v] = len(index)
        stack.append(v)
        on_stack.add(v)
        for w in sorted(graph[v]):
            if w not in index:
                visit(w)
                low[v] = min(low[v], low[w])
            elif w in on_stack:
                low[v] = min(low[v], index[w])
        if low[v] == index[v]:
            component = []
            while True:
                w = stack.pop()
                on_stack.discard(w)
                component.append(w)
                if w == v:
                    break
            if len(component) > 1:
                found.append(sorted(component))

    for v in sorted(graph):
        if v not in index:
            visit(v)
    return found


def import_graph() -> dict[str, set[str]]:
    modules = our_modules()
    return {name: imported(name, path.read_text(), modules) for name, path in modules.items()}


def test_no_module_import_cycles():
    assert cycles(import_graph()) == []


def test_the_finder_sees_a_cycle_through_a_deferred_import():
    modules = {"ocpp_cable.a": Path("a.py"), "ocpp_cable.b": Path("b.py")}
    graph = {
        "ocpp_cable.a": imported("ocpp_cable.a", "import ocpp_cable.b", modules),
        "ocpp_cable.b": imported("ocpp_cable.b", "def f():\n    from ocpp_cable import a", modules),
    }
    assert cycles(graph) == [["ocpp_cable.a", "ocpp_cable.b"]]


def test_the_graph_covers_every_part():
    graph = import_graph()
    assert "ocpp_cable.gateway.node" in graph and "ocpp_cable.channels.storage.store" in graph
    assert "ocpp_cable.contract.performs" in graph["ocpp_cable.gateway.station"]
