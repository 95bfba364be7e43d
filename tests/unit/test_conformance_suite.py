"""The conformance suite's shape: each test in tests/conformance is named after one OCA case
of the catalogue (tests/conformance/cases.toml), and no case has two tests."""

from __future__ import annotations

import ast
import collections
from pathlib import Path

from devtools.conformance import CATALOGUE, catalogue
from devtools.conformance import case_of as case_id

SUITE = CATALOGUE.parent


def suite_tests() -> list[tuple[Path, str]]:
    """(module, test function name) of every test in the suite."""
    found = []
    for module in sorted(SUITE.glob("test_*.py")):
        for node in ast.parse(module.read_text()).body:
            function = isinstance(node, ast.FunctionDef | ast.AsyncFunctionDef)
            if function and node.name.startswith("test_"):
                found.append((module, node.name))
    return found


def test_the_catalogue_lists_each_case_once_with_what_the_docs_show():
    cases = catalogue()
    ids = [case["id"] for case in cases]
    assert len(ids) == len(set(ids))
    per_version = collections.Counter(case["version"] for case in cases)
    assert per_version == {"2.0.1": 252, "1.6": 77}
    for case in cases:
        assert case["name"] and case["summary"], case["id"]
        assert isinstance(case["plug_and_charge"], bool), case["id"]


def test_each_suite_test_is_named_after_one_case_of_the_catalogue():
    known = {case["id"] for case in catalogue()}
    tests = suite_tests()
    assert tests, "the suite has tests"
    named = collections.Counter(case_id(name) for _, name in tests)
    assert [name for name, n in named.items() if n > 1] == []
    assert sorted(set(named) - known) == []


def test_case_id_is_the_test_name_upper_cased():
    assert case_id("test_tc_h_01_csms") == "TC_H_01_CSMS"
    assert case_id("test_tc_040_1[sqlite]") == "TC_040_1"


def test_the_docs_page_shows_the_catalogue_with_the_suite_passing():
    # CI runs the suite: a test that fails there fails CI, so the page may say "passes"
    # of every case the suite has. `make conformance` writes it from a run's results.
    from devtools.conformance import render
    from devtools.docs import ROOT, read_block

    results = {case_id(name): True for _, name in suite_tests()}
    page = (ROOT / "docs" / "conformance.md").read_text()
    assert read_block(page, "conformance").strip() == render(catalogue(), results).strip(), (
        "docs/conformance.md is not current: run `make conformance`"
    )
