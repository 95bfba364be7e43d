"""Every code block of the README and the docs pages is one that works: Python that
parses, `ocpp-cable` command lines the CLI takes; and the README, the front page,
links to every page of the docs site by a relative link that GitHub follows too.

The examples that run end to end are in tests/integration/test_readme_examples.py."""

from __future__ import annotations

import ast
import re
import shlex
from pathlib import Path

import markdown
import pytest

from ocpp_cable.cli import build_parser
from tests.support import docs

OURS = (".venv/bin/ocpp-cable ", "ocpp-cable ")
# `NAME=value ` before a command: the environment it runs in, not a word of the command.
ASSIGNMENTS = re.compile(r"^(?:[A-Za-z_][A-Za-z0-9_]*=\S*\s+)+")
# What the shell would replace before the command sees it.
SUBSTITUTION = re.compile(r"\$\(|`|\$\{?[A-Za-z_]")
# Command lines whose own words hold a substitution that cannot be resolved here, so they
# are not parsed. None today: the `$SECRET` of "Running the pieces apart" sits in an
# environment assignment, which is cut before the command is parsed.
UNRESOLVED: list[str] = []


def python_blocks() -> list[tuple[Path, str]]:
    return [
        (path, block)
        for path, page in docs.page_texts().items()
        for block in re.findall(r"```python\n(.*?)```", page, re.S)
    ]


def command_lines() -> list[str]:
    """Every line of ours in ```sh and ```console blocks, a command that runs on over
    several lines (an open quote, a trailing backslash) joined into one."""
    found = []
    for language in ("sh", "console"):
        for block in docs.blocks(language):
            command = ""
            for line in block.replace("\\\n", " ").splitlines():
                if command:
                    command += "\n" + line
                else:
                    prompted = line.startswith("$ ")
                    if language == "console" and not prompted:
                        continue  # a console block's output
                    line = ASSIGNMENTS.sub("", line.removeprefix("$ "))
                    if not line.startswith(OURS):
                        continue
                    command = line
                try:
                    shlex.split(command, comments=True)
                except ValueError:
                    continue  # a quote still open: the command goes on
                found.append(command)
                command = ""
            assert not command, f"a quote never closes: {command}"
    return found


@pytest.mark.parametrize(
    "path, block", python_blocks(), ids=lambda value: str(value).split("\n")[0][:60]
)
def test_every_python_block_parses(path, block):
    try:
        ast.parse(block)
    except SyntaxError as error:
        pytest.fail(f"{path}: {error}\n{block}")


def test_the_docs_have_python_blocks_and_command_lines_to_check():
    assert len(python_blocks()) >= 10
    assert len(command_lines()) >= 50


def test_every_command_line_of_ours_is_one_the_cli_takes():
    parser = build_parser()
    unresolved = []
    for command in command_lines():
        if SUBSTITUTION.search(command):
            unresolved.append(command)
            continue
        argv = shlex.split(command, comments=True)[1:]
        try:
            parser.parse_args(argv)
        except SystemExit as refused:
            pytest.fail(f"the CLI refuses (exit {refused.code}): {command}")
    assert unresolved == UNRESOLVED


def test_a_line_the_cli_refuses_fails_the_check():
    with pytest.raises(SystemExit):
        build_parser().parse_args(shlex.split("send CP-1 Reset --no-such-flag"))


def test_a_command_over_several_lines_is_checked_whole():
    joined = [line for line in command_lines() if "SetChargingProfile" in line]
    assert len(joined) == 1 and joined[0].rstrip().endswith("--wait")


def anchors(page: Path) -> set[str]:
    """The ids MkDocs gives the page's headings (Python-Markdown's toc, as it runs it)."""
    converter = markdown.Markdown(extensions=["toc", "tables", "fenced_code"])
    converter.convert(page.read_text())
    ids, tokens = set(), list(converter.toc_tokens)
    while tokens:
        token = tokens.pop()
        ids.add(token["id"])
        tokens += token["children"]
    return ids


def test_the_readme_links_to_every_docs_page_by_a_relative_link():
    root = docs.ROOT
    readme = (root / "README.md").read_text()
    targets = re.findall(r"\]\(([^)\s]+)\)", readme)
    to_docs = [target for target in targets if "docs/" in target and ".md" in target]
    assert all(target.startswith("docs/") for target in to_docs), to_docs
    for target in to_docs:
        name, _, anchor = target.partition("#")
        page = root / name
        assert page.is_file(), f"README links to {name}, which does not exist"
        assert not anchor or anchor in anchors(page), f"{name} has no heading #{anchor}"
    linked = {target.partition("#")[0] for target in to_docs}
    pages = {f"docs/{page.name}" for page in (root / "docs").glob("*.md")}
    assert pages - {"docs/index.md"} <= linked, pages - linked


def test_the_readme_is_a_front_page():
    assert len((docs.ROOT / "README.md").read_text().splitlines()) <= 400


# A path of the repository the prose names in backticks (`tests/unit/...py`).
NAMED_PATH = re.compile(
    r"`((?:tests|channels|ocpp_cable|gateway|rpc_app|examples|devtools|bench|faults|proto)"
    r"/[A-Za-z0-9_./-]+)`"
)


def test_every_file_the_docs_name_exists():
    named = set(NAMED_PATH.findall(docs.text()))
    assert named, "the pattern finds the paths the docs name"
    root = Path(__file__).resolve().parents[2]
    assert sorted(p for p in named if not (root / p).exists()) == []
