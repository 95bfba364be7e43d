"""Keep the README's settings table generated from the Settings model (`make docs`)."""

from __future__ import annotations

import re
from pathlib import Path

from foundation.settings import Settings, env_name, flag_name

README = Path(__file__).resolve().parent.parent / "README.md"


def settings_table() -> str:
    rows = ["| flag | environment | default | what |", "|---|---|---|---|"]
    for name, field in Settings.model_fields.items():
        default = field.default
        if default is None:
            shown = "—"
        elif isinstance(default, bool):
            shown = f"`{str(default).lower()}`"
        else:
            shown = f"`{default}`"
        description = (field.description or "").replace("|", "/")
        rows.append(f"| `{flag_name(name)}` | `{env_name(name)}` | {shown} | {description} |")
    return "\n".join(rows) + "\n"


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
    README.write_text(replace_block(README.read_text(), "settings", settings_table()))


if __name__ == "__main__":
    main()
