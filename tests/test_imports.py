"""The project's modules import in one direction: no module imports, directly or through others,
a module that imports it back.

Every Python file of the project's packages is read with `ast` (nothing is imported or run), and
every import statement in it becomes an edge: top-level ones, those inside functions (an import
moved into a function still runs, and moving it there is the usual way to dodge a cycle), and
those under `if TYPE_CHECKING:` (a type-only cycle is still two modules that each need the other).
Nothing is excluded.

Packages: `infra`, `components`, `mlp` (from the project root) and the policy pack's
`mlplatform_policy` (from `policy/`, as the pack and the tests import it), plus the pack's entry
point `policy/__main__.py`. An import names the most specific project module it reaches:
`from a.b import c` is an edge to `a.b.c` when that is a module, else to `a.b`. The packages above
an imported module (whose `__init__` Python runs first) are not edges of their own; a package's
`__init__` that imports its modules gets its own edges from its own imports.
"""

from __future__ import annotations

import ast
import graphlib
from pathlib import Path

import pytest

PROJECT = Path(__file__).resolve().parent.parent
# (directory the modules are imported from, top-level package) for each of the project's packages.
PACKAGES = [
    (PROJECT, "infra"),
    (PROJECT, "components"),
    (PROJECT, "mlp"),
    (PROJECT / "policy", "mlplatform_policy"),
]
# The pack's entry point is a file the engine runs, never imported; named as a module here.
ENTRY_POINTS = {"policy.__main__": PROJECT / "policy" / "__main__.py"}


def project_modules() -> dict[str, Path]:
    """Module name -> file, for every module of the project's packages."""
    modules = dict(ENTRY_POINTS)
    for root, package in PACKAGES:
        for path in sorted((root / package).rglob("*.py")):
            parts = list(path.relative_to(root).with_suffix("").parts)
            if parts[-1] == "__init__":
                parts.pop()
            modules[".".join(parts)] = path
    return modules


def _absolute(module: str, is_package: bool, node: ast.ImportFrom) -> str:
    """The absolute module a (possibly relative) `from ... import` names."""
    if not node.level:
        return node.module or ""
    base = module.split(".")
    # A package's own module name is its directory; a plain module's package is one level up.
    base = base[: len(base) - node.level + (1 if is_package else 0)]
    return ".".join([*base, node.module] if node.module else base)


def imported_modules(module: str, path: Path, modules: dict[str, Path]) -> set[str]:
    """The project modules `module` imports anywhere in its file."""
    tree = ast.parse(path.read_text(), filename=str(path))
    is_package = path.name == "__init__.py"
    found: set[str] = set()

    def reach(name: str) -> None:
        # The longest project module that `name` starts with (`a.b.c` -> `a.b.c`, else `a.b`...).
        parts = name.split(".")
        while parts:
            candidate = ".".join(parts)
            if candidate in modules:
                found.add(candidate)
                return
            parts.pop()

    for node in ast.walk(tree):
        if isinstance(node, ast.Import):
            for alias in node.names:
                reach(alias.name)
        elif isinstance(node, ast.ImportFrom):
            source = _absolute(module, is_package, node)
            for alias in node.names:
                submodule = f"{source}.{alias.name}"
                reach(submodule if submodule in modules else source)
    found.discard(module)
    return found


def import_graph() -> dict[str, set[str]]:
    modules = project_modules()
    return {module: imported_modules(module, path, modules) for module, path in modules.items()}


def strongly_connected(graph: dict[str, set[str]]) -> list[list[str]]:
    """The groups of two or more modules that reach each other through imports (Tarjan's
    strongly connected components), each sorted, in sorted order."""
    index: dict[str, int] = {}
    low: dict[str, int] = {}
    stack: list[str] = []
    groups: list[list[str]] = []

    def visit(module: str) -> None:
        index[module] = low[module] = len(index)
        stack.append(module)
        for imported in sorted(graph.get(module, ())):
            if imported not in index:
                visit(imported)
                low[module] = min(low[module], low[imported])
            elif imported in stack:
                low[module] = min(low[module], index[imported])
        if low[module] == index[module]:
            group = []
            while True:
                member = stack.pop()
                group.append(member)
                if member == module:
                    break
            if len(group) > 1:
                groups.append(sorted(group))

    for module in sorted(graph):
        if module not in index:
            visit(module)
    return sorted(groups)


def one_cycle(graph: dict[str, set[str]], group: list[str]) -> list[str]:
    """A concrete cycle through `group` (its modules in import order, the first repeated)."""
    inside = {module: graph[module] & set(group) for module in group}
    try:
        graphlib.TopologicalSorter(inside).prepare()
    except graphlib.CycleError as error:
        return list(error.args[1])
    raise AssertionError(f"{group} is not a cycle")


def test_the_graph_reads_the_imports_it_should() -> None:
    # The reader itself: a function-level import, a TYPE_CHECKING import and a relative one all
    # count (so the cycle check below could fail on them).
    graph = import_graph()
    assert "mlplatform_policy.resources" in graph["mlplatform_policy.evaluate"]
    assert "mlp.plan" in graph["mlp.cli"], "mlp.cli imports mlp.plan inside a function"
    assert "mlplatform_policy.pack" in graph["policy.__main__"]


def test_a_cycle_is_found(tmp_path: Path) -> None:
    modules = {"pkg.a": tmp_path / "a.py", "pkg.b": tmp_path / "b.py"}
    modules["pkg.a"].write_text("from pkg.b import thing\n")
    modules["pkg.b"].write_text(
        "from typing import TYPE_CHECKING\nif TYPE_CHECKING:\n    from pkg import a\n"
    )
    graph = {name: imported_modules(name, path, modules) for name, path in modules.items()}
    assert strongly_connected(graph) == [["pkg.a", "pkg.b"]]
    assert one_cycle(graph, ["pkg.a", "pkg.b"]) in (["pkg.a", "pkg.b", "pkg.a"], ["pkg.b", "pkg.a", "pkg.b"])


@pytest.mark.parametrize("relative, expected", [("from . import b", "pkg.b"), ("from .b import x", "pkg.b")])
def test_relative_imports_resolve(tmp_path: Path, relative: str, expected: str) -> None:
    modules = {"pkg.a": tmp_path / "a.py", "pkg.b": tmp_path / "b.py"}
    modules["pkg.a"].write_text(relative + "\n")
    assert imported_modules("pkg.a", modules["pkg.a"], modules) == {expected}


def test_no_import_cycles() -> None:
    graph = import_graph()
    cycles = [" -> ".join(one_cycle(graph, group)) for group in strongly_connected(graph)]
    assert not cycles, "modules that import each other:\n" + "\n".join(cycles)
