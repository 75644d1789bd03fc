"""The layering rules of README's "Layout", held by walking every import of the packages.

A failure here names the import that breaks a rule; move the code, do not widen the rule.
"""

import ast
from collections.abc import Iterator
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parent.parent
# Which packages each package may import (itself included). `text` holds the text rules every
# other package shares; the libraries never import `app`; `generator` knows no storage.
ALLOWED = {
    "app": {"app", "ingest", "retriever", "generator", "text"},
    "ingest": {"ingest", "retriever", "text"},
    "retriever": {"retriever", "text"},
    "generator": {"generator", "text"},
    "text": {"text"},
}
PACKAGES = sorted(ALLOWED)
# Inside app: the edges (HTTP, command line) use the services; the services never use the
# edges, nor the container that wires them.
EDGES = ("app.api", "app.cli")
SERVICES = (
    "app.asking",
    "app.citing",
    "app.conversation_tables",
    "app.conversations",
    "app.documents",
    "app.feedback",
    "app.feedback_export",
    "app.ingesting",
    "app.queueing",
    "app.searching",
)
MAX_MODULE_LINES = 350

pytestmark = pytest.mark.unit


def module_files() -> dict[str, Path]:
    files = {}
    for package in PACKAGES:
        for path in sorted((ROOT / package).rglob("*.py")):
            parts = path.relative_to(ROOT).with_suffix("").parts
            if parts[-1] == "__init__":
                parts = parts[:-1]
            files[".".join(parts)] = path
    return files


MODULES = module_files()


def imports_of(path: Path) -> Iterator[tuple[int, str]]:
    """(line, module) for every import, at any depth (lazy imports count too)."""
    for node in ast.walk(ast.parse(path.read_text(), str(path))):
        if isinstance(node, ast.Import):
            for alias in node.names:
                yield node.lineno, alias.name
        elif isinstance(node, ast.ImportFrom) and node.module and node.level == 0:
            for alias in node.names:
                submodule = f"{node.module}.{alias.name}"
                yield node.lineno, submodule if submodule in MODULES else node.module


def internal_imports() -> Iterator[tuple[str, int, str]]:
    for module, path in MODULES.items():
        for line, target in imports_of(path):
            if target.split(".")[0] in ALLOWED:
                yield module, line, target


def test_every_package_is_walked():
    assert {m.split(".")[0] for m in MODULES} == set(PACKAGES)


def test_packages_import_only_what_they_may():
    wrong = [
        f"{module}:{line} imports {target}"
        for module, line, target in internal_imports()
        if target.split(".")[0] not in ALLOWED[module.split(".")[0]]
    ]
    assert wrong == []


def _within(module: str, prefixes: tuple[str, ...]) -> bool:
    return any(module == p or module.startswith(p + ".") for p in prefixes)


def test_inside_app_arrows_point_down():
    wrong = []
    for module, line, target in internal_imports():
        if not module.startswith("app"):
            continue
        if _within(target, EDGES) and not _within(module, EDGES):
            wrong.append(f"{module}:{line} imports the edge {target}")
        if _within(module, SERVICES) and (
            target == "app.kotae" or _within(target, ("app.schemas",))
        ):
            wrong.append(f"{module}:{line}: a service imports {target}")
        if _within(module, ("app.schemas",)) and target == "app.kotae":
            wrong.append(f"{module}:{line}: a wire shape imports the container")
    assert wrong == []


def test_no_import_circle():
    graph: dict[str, set[str]] = {m: set() for m in MODULES}
    for module, _, target in internal_imports():
        while target not in MODULES and "." in target:  # `import a.b.c` of a name in a.b
            target = target.rsplit(".", 1)[0]
        if target in MODULES and target != module:
            graph[module].add(target)
    assert strongly_connected(graph) == []


def strongly_connected(graph: dict[str, set[str]]) -> list[list[str]]:
    """The circles of the graph (Tarjan): components of more than one module."""
    index: dict[str, int] = {}
    low: dict[str, int] = {}
    stack: list[str] = []
    on_stack: set[str] = set()
    circles = []

    def visit(node: str) -> None:
        index[node] = low[node] = len(index)
        stack.append(node)
        on_stack.add(node)
        for nxt in sorted(graph[node]):
            if nxt not in index:
                visit(nxt)
                low[node] = min(low[node], low[nxt])
            elif nxt in on_stack:
                low[node] = min(low[node], index[nxt])
        if low[node] == index[node]:
            component = []
            while True:
                member = stack.pop()
                on_stack.discard(member)
                component.append(member)
                if member == node:
                    break
            if len(component) > 1:
                circles.append(sorted(component))

    for node in sorted(graph):
        if node not in index:
            visit(node)
    return circles


def test_the_circle_finder_finds_circles():
    graph = {"a": {"b"}, "b": {"c"}, "c": {"a"}, "d": {"a"}}
    assert strongly_connected(graph) == [["a", "b", "c"]]


def test_modules_stay_small():
    big = {
        module: lines
        for module, path in MODULES.items()
        if (lines := len(path.read_text().splitlines())) > MAX_MODULE_LINES
    }
    assert big == {}


def test_one_module_creates_the_schema():
    # This project's code only: a virtual environment inside the checkout (.venv) holds
    # SQLAlchemy's and Alembic's own create_all calls.
    ours = [ROOT / name for name in (*PACKAGES, "tests", "bench", "docker")]
    creators = [
        str(path.relative_to(ROOT))
        for folder in ours
        for path in folder.rglob("*.py")
        if ".create_all(" in path.read_text(errors="replace") and path != Path(__file__)
    ]
    assert len(creators) <= 1, creators
