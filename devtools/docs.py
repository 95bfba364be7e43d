"""The generated blocks of the documentation (`make docs`), and where each one lives.

A block is the text between `<!-- name -->` and `<!-- /name -->` on one page of the
documentation: README.md or a page of the docs site (docs/*.md). `make docs` writes
the settings tables from the settings module; `make bench` and `make faults` write
their measured reports. Each block is looked up by its name, on whichever page holds
it, so a section can move between pages without touching the scripts.
"""

from __future__ import annotations

import re
from collections.abc import Callable
from pathlib import Path

from ocpp_cable.channels.settings import Settings
from ocpp_cable.cli import ADMIN_COMMANDS, TIERS, TOKEN_COMMANDS
from ocpp_cable.foundation.settings import (
    ANYCABLE_NAMES,
    ANYCABLE_PREFIX,
    AnyCableName,
    env_name,
    flag_name,
)

ROOT = Path(__file__).resolve().parent.parent


def pages(root: Path = ROOT) -> list[Path]:
    """Every page of the documentation: README.md, then docs/*.md in name order."""
    return [root / "README.md", *sorted((root / "docs").glob("*.md"))]


def used_by(field: str) -> list[str]:
    """The commands that read `field`, except `up` and `config` (they read every setting)."""
    names: list[str] = []
    for command, tier in TIERS.items():
        # One tier, one name (`stations` publishes, the other admin commands do not).
        name = "tokens" if command in TOKEN_COMMANDS else command
        if command in ADMIN_COMMANDS - TOKEN_COMMANDS - {"stations"}:
            name = "admin"
        if tier is not Settings and field in tier.model_fields and name not in names:
            names.append(name)
    return names


def settings_table() -> str:
    admin = ", ".join(
        f"`{name}`" for name in sorted(ADMIN_COMMANDS - TOKEN_COMMANDS - {"stations"})
    )
    rows = [
        "`up` and `config` read every setting, the other commands those they are listed "
        f"with (admin: {admin}); `ocpp-cable COMMAND --help` shows a command's own.",
        "",
        "| flag | environment | default | used by | what |",
        "|---|---|---|---|---|",
    ]
    for name, field in Settings.model_fields.items():
        default = field.default
        if default is None or default == "":
            shown = "—"
        elif isinstance(default, bool):
            shown = f"`{str(default).lower()}`"
        else:
            shown = f"`{default}`"
        description = (field.description or "").replace("|", "/")
        users = ", ".join(used_by(name))
        rows.append(
            f"| `{flag_name(name)}` | `{env_name(name)}` | {shown} | {users} | {description} |"
        )
    return "\n".join(rows) + "\n"


def anycable_table() -> str:
    """AnyCable-Go's names of our settings (foundation.settings.ANYCABLE_NAMES), as markdown."""
    rows = [
        "| setting | AnyCable-Go flag | AnyCable variable | note |",
        "|---|---|---|---|",
    ]
    for name in Settings.model_fields:
        alias = ANYCABLE_NAMES.get(name)
        if alias is None:
            continue
        flags = _spelt(alias, lambda n: f"--{n}") if alias.flag else "—"
        variables = _spelt(alias, lambda n: ANYCABLE_PREFIX + n.upper())
        notes = [f"`{theirs}` is `{ours}`" for theirs, ours in alias.words.items()]
        if alias.first_listed:
            notes.append("the first adapter it lists")
        if not alias.flag:
            notes.append("anycable's publishers read it too")
        note = "; ".join(notes)
        row = f"| `{flag_name(name)}` | {flags} | {variables} |"
        rows.append(f"{row} {note} |" if note else f"{row} |")
    rows += [
        "",
        "AnyCable-Go's flags are flags of the commands that read the setting. A bool flag "
        "given bare means true (`--ocpp_granular_actions`), as every bool flag of ours does.",
    ]
    return "\n".join(rows) + "\n"


def _spelt(alias: AnyCableName, spell: Callable[[str], str]) -> str:
    """`alias`'s names spelt by `spell`, the deprecated ones marked."""
    return ", ".join(
        f"`{spell(name)}`" + (" (deprecated)" if name in alias.deprecated else "")
        for name in alias.names()
    )


def _block(name: str) -> tuple[str, str, re.Pattern[str]]:
    start, end = f"<!-- {name} -->\n", f"<!-- /{name} -->"
    return start, end, re.compile(re.escape(start) + "(.*?)" + re.escape(end), re.S)


def read_block(text: str, name: str) -> str | None:
    """What stands between `<!-- name -->` and `<!-- /name -->` in `text`."""
    match = _block(name)[2].search(text)
    return match.group(1) if match else None


def replace_block(text: str, name: str, content: str) -> str:
    """Put `content` between `<!-- name -->` and `<!-- /name -->` in `text`."""
    start, end, block = _block(name)
    if not block.search(text):
        raise ValueError(f"no <!-- {name} --> block")
    return block.sub(lambda _: start + content.rstrip("\n") + "\n" + end, text)


def page_holding(block: str, root: Path = ROOT) -> Path:
    """The one page of the documentation that holds `block`."""
    found = [page for page in pages(root) if read_block(page.read_text(), block) is not None]
    if len(found) != 1:
        names = ", ".join(str(page.relative_to(root)) for page in found) or "none"
        raise LookupError(f"<!-- {block} --> must be on exactly one page; found on {names}")
    return found[0]


def write_block(block: str, content: str, root: Path = ROOT) -> Path:
    """Put `content` in `block` on the page that holds it; that page."""
    page = page_holding(block, root)
    page.write_text(replace_block(page.read_text(), block, content))
    return page


def publish(results: Path, title: str, block: str, report: str) -> None:
    """A measured report: its own results file, and the same text in its block of the docs."""
    results.write_text(f"# {title}\n\n" + report)
    write_block(block, report)


def main(root: Path = ROOT) -> None:
    write_block("settings", settings_table(), root)
    write_block("anycable-aliases", anycable_table(), root)


if __name__ == "__main__":
    main()
