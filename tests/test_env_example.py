"""``.env.example`` lists every variable the settings read, and nothing they do not read."""

from __future__ import annotations

import ast
import re
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
SETTINGS = ROOT / "csm_teamviewer" / "settings"
NAME = re.compile(r"[A-Z][A-Z0-9_]*")


def _readers(tree: ast.Module) -> set[str]:
    """The settings' own helpers that read a variable: their first parameter is its ``name``."""
    return {
        node.name
        for node in ast.walk(tree)
        if isinstance(node, ast.FunctionDef) and node.args.args and node.args.args[0].arg == "name"
    }


def _is_environment(node: ast.expr) -> bool:
    """``env``, ``environ.Env()``, ``os.environ``, or ``os``: what a variable is read from."""
    if isinstance(node, ast.Name):
        return node.id in ("env", "os")
    if isinstance(node, ast.Call):
        return ast.unparse(node.func) == "environ.Env"
    return isinstance(node, ast.Attribute) and ast.unparse(node) == "os.environ"


def _is_read(call: ast.Call, readers: set[str]) -> bool:
    func = call.func
    if isinstance(func, ast.Name):
        return func.id == "env" or func.id in readers
    return isinstance(func, ast.Attribute) and _is_environment(func.value)


def _first_name(call: ast.Call) -> str | None:
    first = call.args[0] if call.args else None
    if isinstance(first, ast.Constant) and isinstance(first.value, str) and NAME.fullmatch(first.value):
        return first.value
    return None


def names_read_by_settings() -> set[str]:
    names: set[str] = set()
    trees = [ast.parse(path.read_text()) for path in sorted(SETTINGS.glob("*.py"))]
    readers = set().union(*(_readers(tree) for tree in trees))
    for tree in trees:
        for node in ast.walk(tree):
            if isinstance(node, ast.Call) and _is_read(node, readers) and (name := _first_name(node)):
                names.add(name)
            elif isinstance(node, ast.Subscript) and ast.unparse(node.value) == "os.environ":
                if isinstance(node.slice, ast.Constant) and isinstance(node.slice.value, str):
                    names.add(node.slice.value)
    return names


def names_in_env_example() -> set[str]:
    lines = (ROOT / ".env.example").read_text().splitlines()
    return {match.group(1) for line in lines if (match := re.match(r"([A-Z][A-Z0-9_]*)=", line))}


def names_in_readme_table() -> set[str]:
    text = (ROOT / "README.md").read_text().split("## Configuration", 1)[1].split("\n## ", 1)[0]
    rows = [line for line in text.splitlines() if line.startswith("| `")]
    return {name for row in rows for name in re.findall(r"`([A-Z][A-Z0-9_]*)`", row.split("|")[1])}


def test_the_scan_finds_the_variables_read_every_way_the_settings_read_them():
    names = names_read_by_settings()
    # env.str, env.bool, env.list, env.db_url, env.email_url, a reader helper, the VAR_DIR read.
    assert {"SECRET_KEY", "DEBUG", "ALLOWED_HOSTS", "DATABASE_URL", "EMAIL_URL", "API_THROTTLE_PER_KEY"} <= names
    assert {"VAR_DIR", "CACHE_URL", "TEAMVIEWER_READ_TIMEOUT", "DATA_UPLOAD_MAX_MEMORY_SIZE"} <= names


def test_env_example_lists_every_variable_the_settings_read():
    missing = names_read_by_settings() - names_in_env_example()
    assert not missing, f"add to .env.example: {sorted(missing)}"


def test_env_example_lists_nothing_the_settings_do_not_read():
    unknown = names_in_env_example() - names_read_by_settings()
    assert not unknown, f"not read by the settings: {sorted(unknown)}"


def test_the_readme_configuration_table_names_the_same_variables():
    assert names_in_readme_table() == names_read_by_settings()
