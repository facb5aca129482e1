"""The static security scan (ruff's S rules, from bandit) and the audit of the pinned packages."""

from __future__ import annotations

import json
import re
import subprocess
import sys
import tomllib
from pathlib import Path

import pytest

from tests.prerequisites import missing

ROOT = Path(__file__).resolve().parents[2]
PIP_AUDIT = Path(sys.executable).with_name("pip-audit")
REQUIREMENTS = ("requirements.txt", "requirements-dev.txt")


def test_ruffs_security_rules_find_nothing():
    result = subprocess.run(
        [
            sys.executable,
            "-m",
            "ruff",
            "check",
            "--select",
            "S",
            "--no-cache",
            "--output-format",
            "concise",
            ".",
        ],
        cwd=ROOT,
        capture_output=True,
        text=True,
        timeout=120,
    )
    assert result.returncode == 0, result.stdout + result.stderr


def test_the_security_rules_are_on_for_every_ruff_run_and_only_tests_relax_them():
    lint = tomllib.loads((ROOT / "pyproject.toml").read_text())["tool"]["ruff"]["lint"]
    assert "S" in lint["select"]
    assert not any(rule.startswith("S") for rule in lint.get("ignore", []))
    relaxed = {
        path
        for path, rules in lint.get("per-file-ignores", {}).items()
        if any(r.startswith("S") for r in rules)
    }
    assert relaxed <= {"tests/**"}


def test_every_silenced_security_finding_in_the_product_says_why():
    unexplained = []
    for path in [*ROOT.glob("*.py"), *ROOT.glob("[!.]*/**/*.py")]:
        if path.is_relative_to(ROOT / "tests"):
            continue
        for number, line in enumerate(path.read_text().splitlines(), 1):
            if re.search(r"noqa: S\d+", line) and not re.search(r"noqa: S\d+ - \S", line):
                unexplained.append(f"{path.relative_to(ROOT)}:{number}")
    assert unexplained == []


def _audit() -> dict:
    requirements = [arg for name in REQUIREMENTS for arg in ("-r", name)]
    # Every version is pinned, so pip need not resolve anything (and install nothing).
    command = [str(PIP_AUDIT), *requirements, "--no-deps", "--disable-pip", "--format", "json"]
    result = subprocess.run(
        [*command, "--progress-spinner", "off"], cwd=ROOT, capture_output=True, text=True, timeout=600
    )
    try:
        return json.loads(result.stdout)
    except json.JSONDecodeError:
        if re.search(r"ConnectionError|Max retries|Name or service not known|timed out", result.stderr):
            pytest.skip(f"pip-audit could not reach its vulnerability source: {result.stderr.strip()[-300:]}")
        raise AssertionError(result.stdout + result.stderr) from None


def test_no_pinned_package_has_a_known_vulnerability():
    if not PIP_AUDIT.exists():
        missing("pip-audit is not installed: scripts/setup --dev installs requirements-dev.txt")
    dependencies = _audit()["dependencies"]
    audited = [dependency for dependency in dependencies if "skip_reason" not in dependency]
    if not audited:
        # PyPI's per-release JSON (which carries the advisories) cannot be read from here: a pass
        # would be hollow, so say plainly that nothing was checked.
        pytest.skip(
            f"pip-audit reached no vulnerability source: none of the {len(dependencies)} pinned "
            f"packages could be looked up ({dependencies[0]['skip_reason']})"
        )
    vulnerable = {
        f"{dependency['name']}=={dependency['version']}": [vuln["id"] for vuln in dependency["vulns"]]
        for dependency in audited
        if dependency["vulns"]
    }
    assert vulnerable == {}
    assert [dependency["name"] for dependency in dependencies if "skip_reason" in dependency] == []
