"""Keep the README's settings tables generated from the settings module (`make docs`)."""

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

README = Path(__file__).resolve().parent.parent / "README.md"


def used_by(field: str) -> list[str]:
    """The commands that read `field`, except `up` and `config` (they read every setting)."""
    names: list[str] = []
    for command, tier in TIERS.items():
        # One tier, one name.
        name = (
            "tokens"
            if command in TOKEN_COMMANDS
            else "admin"
            if command in ADMIN_COMMANDS
            else command
        )
        if tier is not Settings and field in tier.model_fields and name not in names:
            names.append(name)
    return names


def settings_table() -> str:
    admin = ", ".join(f"`{name}`" for name in sorted(ADMIN_COMMANDS - TOKEN_COMMANDS))
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


def publish(results: Path, title: str, block: str, report: str) -> None:
    """A measured report: its own results file, and the same text in the README's block."""
    results.write_text(f"# {title}\n\n" + report)
    README.write_text(replace_block(README.read_text(), block, report))


def main() -> None:
    text = replace_block(README.read_text(), "settings", settings_table())
    README.write_text(replace_block(text, "anycable-aliases", anycable_table()))


if __name__ == "__main__":
    main()
