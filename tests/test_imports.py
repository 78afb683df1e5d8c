"""The import graph DESIGN.md promises, read from the source with `ast` (nothing is imported).

No import cycles between our modules; `tutor` and `simulator` never import each other; no package imports `app`;
only `inference` imports the model runtimes; our own modules are imported at module level, except the few
function-level imports listed in DELIBERATE with their reason.
"""

from __future__ import annotations

import ast
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
PACKAGES = ("inference", "knowledge", "tutor", "simulator", "store", "evals", "ui")
TOP_MODULES = ("app", "errors", "settings", "vocabulary")
RUNTIMES = ("llama_cpp", "transformers", "openai")

# "importer -> imported": why the import must run inside a function.
_GRADIO = "gradio reads GRADIO_TEMP_DIR at import; create_app sets it (the data dir's temp folder) first"
DELIBERATE: dict[str, str] = {"app -> ui.api": _GRADIO, "app -> ui.blocks": _GRADIO, "app -> ui.web": _GRADIO}


def _module_name(path: Path) -> str:
    parts = list(path.relative_to(ROOT).with_suffix("").parts)
    if parts[-1] == "__init__":
        parts.pop()
    return ".".join(parts)


def _sources() -> dict[str, Path]:
    found = {name: ROOT / f"{name}.py" for name in TOP_MODULES}
    for package in PACKAGES:
        for path in sorted((ROOT / package).rglob("*.py")):
            found[_module_name(path)] = path
    return found


SOURCES = _sources()


def _own(name: str) -> str | None:
    """The module of ours that `import name` loads, or None for a third-party name."""
    while name:
        if name in SOURCES:
            return name
        name = name.rpartition(".")[0]
    return None


def _imports(module: str) -> list[tuple[str, bool]]:
    """(imported name, at module level) for every import in `module`; relative imports resolved."""
    tree = ast.parse(SOURCES[module].read_text(encoding="utf-8"))
    package = module if SOURCES[module].name == "__init__.py" else module.rpartition(".")[0]
    top_level = {id(node) for node in tree.body}
    for node in tree.body:  # imports guarded by `if TYPE_CHECKING:` or `try:` at module level still run there
        if isinstance(node, (ast.If, ast.Try)):
            top_level.update(id(child) for child in ast.walk(node))
    found = []
    for node in ast.walk(tree):
        if isinstance(node, ast.Import):
            found += [(alias.name, id(node) in top_level) for alias in node.names]
        elif isinstance(node, ast.ImportFrom):
            base = node.module or ""
            if node.level:
                anchor = package.split(".")[: len(package.split(".")) - node.level + 1]
                base = ".".join([*anchor, base] if base else anchor)
            names = [f"{base}.{alias.name}" for alias in node.names] if base else []
            found += [(name if _own(name) == name else base, id(node) in top_level) for name in names or [base]]
    return found


def _graph() -> dict[str, set[str]]:
    graph: dict[str, set[str]] = {}
    for module in SOURCES:
        edges = {_own(name) for name, top in _imports(module) if top}
        graph[module] = {edge for edge in edges if edge and edge != module}
    return graph


def _cycles(graph: dict[str, set[str]]) -> list[list[str]]:
    """Strongly connected components of more than one module (Tarjan)."""
    index: dict[str, int] = {}
    low: dict[str, int] = {}
    stack: list[str] = []
    on_stack: set[str] = set()
    components: list[list[str]] = []

    def visit(node: str) -> None:
        index[node] = low[node] = len(index)
        stack.append(node)
        on_stack.add(node)
        for nxt in sorted(graph.get(node, ())):
            if nxt not in index:
                visit(nxt)
                low[node] = min(low[node], low[nxt])
            elif nxt in on_stack:
                low[node] = min(low[node], index[nxt])
        if low[node] == index[node]:
            component = []
            while True:
                top = stack.pop()
                on_stack.discard(top)
                component.append(top)
                if top == node:
                    break
            if len(component) > 1:
                components.append(sorted(component))

    for node in sorted(graph):
        if node not in index:
            visit(node)
    return components


def _package(module: str) -> str:
    return module.split(".")[0]


def test_the_walk_sees_every_package():
    assert {_package(module) for module in SOURCES} == set(PACKAGES) | set(TOP_MODULES)
    assert "tutor.session" in SOURCES and "ui.blocks" in SOURCES


def test_cycle_finder_finds_a_cycle():
    assert _cycles({"a": {"b"}, "b": {"c"}, "c": {"a"}, "d": {"a"}}) == [["a", "b", "c"]]


def test_no_import_cycles():
    assert _cycles(_graph()) == []


def test_tutor_and_simulator_never_import_each_other():
    crossing = [
        (module, name)
        for module in SOURCES
        for name, _top in _imports(module)
        if {_package(module), (_own(name) or "").split(".")[0]} == {"tutor", "simulator"}
    ]
    assert crossing == []


def test_no_package_imports_app():
    importers = [module for module in SOURCES if module != "app" and any(_own(n) == "app" for n, _ in _imports(module))]
    assert importers == []


def test_only_inference_imports_model_runtimes():
    offenders = [
        (module, name)
        for module in SOURCES
        for name, _top in _imports(module)
        if name.split(".")[0] in RUNTIMES and _package(module) != "inference"
    ]
    assert offenders == []


def test_own_modules_are_imported_at_module_level():
    lazy = sorted(
        {f"{module} -> {_own(name)}" for module in SOURCES for name, top in _imports(module) if not top and _own(name)}
    )
    assert [edge for edge in lazy if edge not in DELIBERATE] == []
    assert [edge for edge in DELIBERATE if edge not in lazy] == [], "a DELIBERATE entry that no longer exists"
