"""The shape of the house: components grouped by concern, layered without cycles, one component
per file named after its class, and no module too long to read.

These are the rules `../shared/STYLE.md`-style reviews kept asking for by hand; here they fail the
suite instead, naming the file that breaks them.
"""

from __future__ import annotations

import ast
import re
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parent.parent
COMPONENTS = ROOT / "components"
PROJECT_PACKAGES = ("components", "infra", "mlp", "policy", "tools", "services", "tests")
MAX_MODULE_LINES = 500

PACKAGES = sorted(p.name for p in COMPONENTS.iterdir() if (p / "__init__.py").is_file())


def _imports(path: Path, root: Path = ROOT) -> set[str]:
    """Every module a file imports, at any depth (function-level imports included), relative
    imports resolved against the file's own package (for `__init__.py` and a module alike, the
    folder it sits in)."""
    package = list(path.relative_to(root).parts[:-1])
    found: set[str] = set()
    for node in ast.walk(ast.parse(path.read_text(), filename=str(path))):
        if isinstance(node, ast.Import):
            found.update(alias.name for alias in node.names)
        elif isinstance(node, ast.ImportFrom):
            base = package[: len(package) - node.level + 1] if node.level else []
            module = ".".join([*base, *([node.module] if node.module else [])])
            found.add(module)
            found.update(f"{module}.{alias.name}" for alias in node.names)
    return found


def _package_graph() -> dict[str, set[str]]:
    graph: dict[str, set[str]] = {package: set() for package in PACKAGES}
    for path in COMPONENTS.rglob("*.py"):
        package = path.relative_to(COMPONENTS).parts[0]
        for module in _imports(path):
            parts = module.split(".")
            if parts[0] == "components" and len(parts) > 1 and parts[1] != package:
                graph[package].add(parts[1])
    return graph


def _cycle(graph: dict[str, set[str]]) -> list[str] | None:
    """A dependency cycle as a path (first node repeated at the end), or None."""
    state: dict[str, str] = {}

    def visit(node: str, path: list[str]) -> list[str] | None:
        state[node] = "open"
        for target in sorted(graph.get(node, ())):
            if state.get(target) == "open":
                return [*path[path.index(target) :], target]
            if target not in state and (found := visit(target, [*path, target])):
                return found
        state[node] = "done"
        return None

    for node in sorted(graph):
        if node not in state and (found := visit(node, [node])):
            return found
    return None


def test_components_are_subpackages_by_concern_each_saying_what_it_holds():
    loose = sorted(p.name for p in COMPONENTS.glob("*.py") if p.name != "__init__.py")
    assert not loose, f"modules directly under components/ (put each in the subpackage of its concern): {loose}"
    assert {"network", "cluster", "nodes", "capacity", "interruption", "search", "services"} <= set(PACKAGES)
    for package in PACKAGES:
        docstring = ast.get_docstring(ast.parse((COMPONENTS / package / "__init__.py").read_text()))
        assert docstring and len(docstring) > 40, f"components/{package}/__init__.py needs a docstring saying what it holds"


def test_component_packages_depend_on_each_other_without_cycles():
    graph = _package_graph()
    assert _cycle(graph) is None, f"components subpackages import each other in a cycle: {' -> '.join(_cycle(graph))}"
    # The foundation stays a foundation: what every node shares depends on no other concern.
    assert graph["nodes"] == set(), f"components/nodes imports {sorted(graph['nodes'])}"


def test_relative_imports_count(tmp_path):
    probe = tmp_path / "components" / "nodes" / "probe.py"
    probe.parent.mkdir(parents=True)
    probe.write_text("from ..capacity import worker_pool\nfrom . import placement\n")
    assert {"components.capacity", "components.capacity.worker_pool", "components.nodes.placement"} <= _imports(
        probe, root=tmp_path
    )


def test_the_cycle_finder_finds_a_cycle():
    assert _cycle({"a": {"b"}, "b": {"c"}, "c": {"a"}}) == ["a", "b", "c", "a"]
    assert _cycle({"a": {"b"}, "b": set()}) is None


def test_components_never_import_the_program_or_the_harness():
    for path in COMPONENTS.rglob("*.py"):
        upward = sorted(m for m in _imports(path) if m.split(".")[0] in {"infra", "mlp", "policy", "tests"})
        assert not upward, f"{path.relative_to(ROOT)} imports {upward}: components get everything through their Args"


def _component_classes():
    for path in sorted(COMPONENTS.rglob("*.py")):
        tree = ast.parse(path.read_text())
        for node in tree.body:
            if isinstance(node, ast.ClassDef) and any(
                isinstance(base, ast.Attribute) and base.attr == "ComponentResource" for base in node.bases
            ):
                yield path, node


def test_one_component_per_file_named_after_its_class_and_typed_by_its_package():
    seen: dict[Path, list[str]] = {}
    for path, node in _component_classes():
        seen.setdefault(path, []).append(node.name)
        snake = re.sub(r"(?<!^)(?=[A-Z])", "_", node.name).lower()
        assert path.stem == snake, f"{path.relative_to(ROOT)} holds {node.name}; name the file {snake}.py"
        tokens = [
            c.value
            for c in ast.walk(node)
            if isinstance(c, ast.Constant) and isinstance(c.value, str) and c.value.startswith("mlplatform:")
        ]
        package = path.relative_to(COMPONENTS).parts[0]
        assert tokens == [f"mlplatform:{package}:{node.name}"], (
            f"{path.relative_to(ROOT)}: {node.name}'s type token is {tokens}, expected mlplatform:{package}:{node.name}"
        )
    assert len(seen) >= 15, "the component finder found too few components to be looking in the right place"
    crowded = {str(p.relative_to(ROOT)): names for p, names in seen.items() if len(names) > 1}
    assert not crowded, f"one ComponentResource per file: {crowded}"


def test_the_tests_mirror_the_components():
    tested = sorted(p.name for p in (ROOT / "tests" / "components").iterdir() if (p / "__init__.py").is_file())
    assert tested == PACKAGES, f"tests/components/ subpackages {tested} differ from components/ {PACKAGES}"


@pytest.mark.parametrize("package", PROJECT_PACKAGES)
def test_no_module_is_too_long_to_read(package):
    long = {
        str(path.relative_to(ROOT)): lines
        for path in (ROOT / package).rglob("*.py")
        if (lines := len(path.read_text().splitlines())) > MAX_MODULE_LINES
    }
    assert not long, f"modules over {MAX_MODULE_LINES} lines (split them along their seams): {long}"
