"""The house's shape, checked: dependencies point one way, no import circles between the project's
modules, and no module so long that a reader loses its thread (the conventions' ~300-line split)."""
from __future__ import annotations

import ast
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parent.parent
PACKAGES = ("csm_teamviewer", "sessions_app", "tokens_app", "journal_app")
MAX_LINES = 300
# What each package may import at run time: sessions_app → journal_app → tokens_app → the shell.
# The journal is handed each event's facts and names a session by id; it never reads sessions.
MAY_IMPORT = {
    "csm_teamviewer": {"csm_teamviewer"},
    "tokens_app": {"csm_teamviewer", "tokens_app"},
    "journal_app": {"csm_teamviewer", "tokens_app", "journal_app"},
    "sessions_app": set(PACKAGES),
}
# The shell's one way into the apps: mounting their URLs.
SHELL_ROUTES = "csm_teamviewer.urls"


def _modules() -> dict[str, Path]:
    found = {}
    for package in PACKAGES:
        for path in (ROOT / package).rglob("*.py"):
            parts = path.relative_to(ROOT).with_suffix("").parts
            if parts[-1] == "__init__":
                parts = parts[:-1]
            found[".".join(parts)] = path
    return found


def _imported(node: ast.AST, *, module: str, is_package: bool) -> list[str]:
    """Dotted names one import statement brings in (relative ones resolved)."""
    if isinstance(node, ast.Import):
        return [alias.name for alias in node.names]
    if not isinstance(node, ast.ImportFrom):
        return []
    base = node.module or ""
    if node.level:
        anchor = module.split(".")
        anchor = anchor if is_package else anchor[:-1]
        anchor = anchor[: len(anchor) - (node.level - 1)]
        base = ".".join([*anchor, base] if base else anchor)
    # "from pkg import sub" imports the submodule when there is one.
    return [base, *(f"{base}.{alias.name}" for alias in node.names)]


def _runtime_nodes(tree: ast.AST):
    """Every node but those under ``if TYPE_CHECKING:`` (annotations only: no import at run time)."""
    for node in ast.iter_child_nodes(tree):
        if isinstance(node, ast.If) and "TYPE_CHECKING" in ast.unparse(node.test):
            yield from (inner for child in node.orelse for inner in [child, *_runtime_nodes(child)])
            continue
        yield node
        yield from _runtime_nodes(node)


def _graph() -> dict[str, set[str]]:
    modules = _modules()
    graph: dict[str, set[str]] = {}
    for name, path in modules.items():
        tree = ast.parse(path.read_text(encoding="utf-8"))
        is_package = path.name == "__init__.py"
        targets = {
            target
            for node in _runtime_nodes(tree)
            for target in _imported(node, module=name, is_package=is_package)
        }
        # Package __init__ modules carry nothing here; an edge to one says nothing about shape.
        graph[name] = {
            target
            for target in targets
            if target in modules and target != name and modules[target].name != "__init__.py"
        }
    return graph


def _cycles(graph: dict[str, set[str]]) -> list[list[str]]:
    """Strongly connected components with more than one module (Tarjan)."""
    index: dict[str, int] = {}
    low: dict[str, int] = {}
    stack: list[str] = []
    on_stack: set[str] = set()
    found: list[list[str]] = []

    def visit(node: str) -> None:
        index[node] = low[node] = len(index)
        stack.append(node)
        on_stack.add(node)
        for target in sorted(graph[node]):
            if target not in index:
                visit(target)
                low[node] = min(low[node], low[target])
            elif target in on_stack:
                low[node] = min(low[node], index[target])
        if low[node] == index[node]:
            component = []
            while True:
                member = stack.pop()
                on_stack.discard(member)
                component.append(member)
                if member == node:
                    break
            if len(component) > 1:
                found.append(sorted(component))

    for node in sorted(graph):
        if node not in index:
            visit(node)
    return found


def _wrong_way(graph: dict[str, set[str]]) -> list[tuple[str, str]]:
    """(importer, imported) pairs that point against the house's arrows."""
    return sorted(
        (module, target)
        for module, targets in graph.items()
        if module != SHELL_ROUTES
        for target in targets
        if target.split(".")[0] not in MAY_IMPORT[module.split(".")[0]]
    )


def test_dependencies_point_one_way():
    assert _wrong_way(_graph()) == []


def test_the_direction_check_sees_a_wrong_way_import():
    graph = {"journal_app.services": {"sessions_app.models"}, "sessions_app.models": {"journal_app.models"}}
    assert _wrong_way(graph) == [("journal_app.services", "sessions_app.models")]
    assert "journal_app.services" in _graph()["sessions_app.services.journal"]


def test_the_project_has_no_import_circle():
    assert _cycles(_graph()) == []


def test_the_checker_finds_a_circle():
    # The check above could pass hollow if it never saw an edge: it must see this one.
    assert _cycles({"a": {"b"}, "b": {"c"}, "c": {"a"}, "d": {"a"}}) == [["a", "b", "c"]]
    assert "sessions_app.models" in _graph()["sessions_app.admin"]
    # An import only for annotations makes no circle at run time.
    assert "sessions_app.models" not in _graph()["sessions_app.lifecycle"]


def _readable_modules() -> list[str]:
    # Migrations are written by makemigrations; the tests are code a reader follows too.
    code = [path for path in _modules().values() if "migrations" not in path.parts]
    tests = list((ROOT / "tests").rglob("*.py"))
    return sorted(str(path.relative_to(ROOT)) for path in [*code, *tests, *(ROOT / "static/js").glob("*.js")])


@pytest.mark.parametrize("path", _readable_modules())
def test_no_module_passes_the_length_a_reader_can_follow(path):
    lines = len((ROOT / path).read_text(encoding="utf-8").splitlines())
    assert lines <= MAX_LINES, f"{path} has {lines} lines: split it by topic"
