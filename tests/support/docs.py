"""The documentation as tests read it: README.md and every page of the docs site.

Tests look an example up by how it begins, across all pages at once, and each lookup
asserts exactly one match: a section can move between pages, but an example can
neither vanish nor be left behind as a stale second copy.
"""

from __future__ import annotations

import re
from pathlib import Path

from devtools.docs import ROOT, pages


def page_texts() -> dict[Path, str]:
    """Each page's path, relative to the repository, and its text."""
    return {page.relative_to(ROOT): page.read_text() for page in pages(ROOT)}


def text() -> str:
    """Every page's text, one after the other."""
    return "\n".join(page_texts().values())


def blocks(language: str) -> list[str]:
    """The bodies of every fenced block marked ```language, on every page."""
    return re.findall(rf"```{re.escape(language)}\n(.*?)```", text(), re.S)


def shell_lines(language: str = "sh") -> list[str]:
    """The lines of every ```language block, continuation lines joined, `$ ` prompts cut."""
    joined = "\n".join(blocks(language)).replace("\\\n", " ")
    return [line.removeprefix("$ ") for line in joined.splitlines()]


def shell_command(starts_with: str) -> str:
    """The one shell command (```sh) that begins with `starts_with`."""
    found = [line for line in shell_lines() if line.startswith(starts_with)]
    assert len(found) == 1, f"the docs have {len(found)} commands starting {starts_with!r}"
    return found[0]


def python_example(starts_with: str) -> str:
    """The one ```python block that begins with `starts_with`."""
    found = [block for block in blocks("python") if block.startswith(starts_with)]
    assert len(found) == 1, f"the docs have {len(found)} Python examples starting {starts_with!r}"
    return found[0]


def js_example(starts_with: str) -> str:
    """The one ```js block that begins with `starts_with`."""
    found = [block for block in blocks("js") if block.startswith(starts_with)]
    assert len(found) == 1, f"the docs have {len(found)} scripts starting {starts_with!r}"
    return found[0]


def page_with(passage: str) -> Path:
    """The one page that holds `passage` word for word."""
    found = [path for path, page in page_texts().items() if passage in page]
    assert len(found) == 1, f"{len(found)} pages hold {passage[:60]!r}: {found}"
    return found[0]
