"""mypy (with the Django and DRF stubs) finds nothing in the modules that are typed clean."""

from __future__ import annotations

import subprocess
import sys
from importlib.util import find_spec
from pathlib import Path

from tests.prerequisites import missing

ROOT = Path(__file__).resolve().parent.parent
# The checked paths: a folder stands for every module under it; migrations (generated) are not.
CHECKED = ("csm_teamviewer", "tokens_app", "journal_app", "sessions_app")
NOT_YET = ("/migrations/",)


def checked_modules() -> list[str]:
    paths = [ROOT / name for name in CHECKED]
    files = [file for path in paths for file in (sorted(path.rglob("*.py")) if path.is_dir() else [path])]
    modules = [str(file.relative_to(ROOT)) for file in files]
    return [path for path in modules if not any(part in path for part in NOT_YET)]


def test_the_typed_modules_pass_mypy():
    if find_spec("mypy") is None:
        missing("mypy is not installed: scripts/setup --dev installs requirements-dev.txt")
    result = subprocess.run(
        [sys.executable, "-m", "mypy", "--follow-imports=silent", *checked_modules()],
        cwd=ROOT,
        capture_output=True,
        text=True,
        timeout=600,
    )
    assert result.returncode == 0, result.stdout + result.stderr


def test_the_shell_is_checked_whole_but_for_what_is_not_yet_typed():
    modules = checked_modules()
    assert {"csm_teamviewer/errors.py", "csm_teamviewer/settings/__init__.py", "sessions_app/throttles.py"} <= set(modules)
    assert "csm_teamviewer/sandbox/oauth.py" in modules
    assert {"tokens_app/teamviewer/agent.py", "tokens_app/admin.py", "sessions_app/views.py"} <= set(modules)
    assert not [path for path in modules if "migrations" in path]
