"""The docs' conformance page from the OCA case catalogue and the suite's results
(`make conformance`): runs tests/conformance, reads each case's outcome from its JUnit
report, and writes the `conformance` block of docs/conformance.md.

A case is `passes` or `fails` when the suite has its test, `not yet in the suite` when it
has none, and `Plug & Charge, not yet` for a case that needs certificate work the central
system does not do yet. The page's totals are counted from the same rows.
"""

from __future__ import annotations

import collections
import subprocess
import sys
import tempfile
import tomllib
import xml.etree.ElementTree as ElementTree
from pathlib import Path

from devtools.docs import ROOT, write_block

CATALOGUE = ROOT / "tests" / "conformance" / "cases.toml"
BLOCKS_201 = {
    "A": "Security", "B": "Provisioning", "C": "Authorization", "D": "Local authorization list",
    "E": "Transactions", "F": "Remote control", "G": "Availability", "H": "Reservation",
    "I": "Tariff and cost", "J": "Meter values", "K": "Smart charging",
    "L": "Firmware management", "M": "ISO 15118 certificate management", "N": "Diagnostics",
    "O": "Display message", "P": "Data transfer",
}  # fmt: skip
PASSES, FAILS, NOT_YET, PLUG_AND_CHARGE = (
    "passes", "fails", "not yet in the suite", "Plug & Charge, not yet",
)  # fmt: skip


def catalogue(path: Path = CATALOGUE) -> list[dict]:
    return tomllib.loads(path.read_text())["case"]


def case_of(test_name: str) -> str:
    """The case id a test is named after (test_tc_h_01_csms -> TC_H_01_CSMS)."""
    return test_name.removeprefix("test_").split("[", 1)[0].upper()


def outcome(case: dict, results: dict[str, bool]) -> str:
    """A case's row: what the suite says of it (results: case id -> passed)."""
    if case["id"] in results:
        return PASSES if results[case["id"]] else FAILS
    return PLUG_AND_CHARGE if case["plug_and_charge"] else NOT_YET


def render(cases: list[dict], results: dict[str, bool]) -> str:
    """The block: totals per version and block, then every case with its outcome."""
    lines: list[str] = []
    for version in ("2.0.1", "1.6"):
        mine = [case for case in cases if case["version"] == version]
        counts: dict[str, collections.Counter] = {}
        for case in mine:
            counts.setdefault(case["block"], collections.Counter())[outcome(case, results)] += 1
        total = collections.Counter(outcome(case, results) for case in mine)
        lines += [
            f"### OCPP {version}: {total[PASSES]} of {len(mine)} cases pass in the suite",
            "",
            "| block | cases | passes | fails | not yet in the suite | Plug & Charge, not yet |",
            "|---|---:|---:|---:|---:|---:|",
        ]
        for block, count in counts.items():
            title = f"{block} {BLOCKS_201[block]}" if version == "2.0.1" else block
            row = [count[PASSES], count[FAILS], count[NOT_YET], count[PLUG_AND_CHARGE]]
            lines.append(f"| {title} | {sum(count.values())} | " + " | ".join(map(str, row)) + " |")
        lines += ["", "| case | name | result |", "|---|---|---|"]
        lines += [f"| {case['id']} | {case['name']} | {outcome(case, results)} |" for case in mine]
        lines.append("")
    return "\n".join(lines)


def run_suite() -> dict[str, bool]:
    """Run tests/conformance; each case id's outcome (True: every run of its test passed)."""
    with tempfile.TemporaryDirectory() as scratch:
        report = Path(scratch) / "conformance.xml"
        # On every core (pytest-xdist), as `make test` runs it.
        suite = [sys.executable, "-m", "pytest", "-q", "-n", "auto", "tests/conformance"]
        subprocess.run([*suite, f"--junitxml={report}"], cwd=ROOT, check=False)
        results: dict[str, bool] = {}
        for test in ElementTree.parse(report).iter("testcase"):
            passed = not any(test.find(tag) is not None for tag in ("failure", "error", "skipped"))
            case = case_of(test.get("name", ""))
            results[case] = results.get(case, True) and passed
    return results


def main() -> None:
    page = write_block("conformance", render(catalogue(), run_suite()))
    print(f"wrote {page.relative_to(ROOT)}")


if __name__ == "__main__":
    main()
