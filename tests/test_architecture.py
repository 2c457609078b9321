"""The house rules of the code: imports point down the layers, no import loops, one Stripe boundary.

Layers, lowest first: shop (settings, money, database) -> accounts, catalog -> cart -> orders ->
subscriptions -> payments (the one Stripe integration). A module imports only from its own app or a
lower layer, lazy imports included; the shipped apps import no development tool.
"""

import ast
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parent.parent
LAYERS = {
    "shop": 0,
    "accounts": 1,
    "catalog": 1,
    "pages": 1,
    "cart": 2,
    "orders": 3,
    "subscriptions": 4,
    "payments": 5,
}
DEVELOPMENT_PACKAGES = {"devtools", "stripe_simulator", "bench", "tests"}


def modules_of(package):
    for path in sorted((ROOT / package).rglob("*.py")):
        parts = path.relative_to(ROOT).with_suffix("").parts
        yield ".".join(parts[:-1] if parts[-1] == "__init__" else parts), path


def imports_of(path):
    """Yield (line, module) for every absolute import in the file, at any depth."""
    for node in ast.walk(ast.parse(path.read_text())):
        if isinstance(node, ast.Import):
            yield from ((node.lineno, alias.name) for alias in node.names)
        elif isinstance(node, ast.ImportFrom) and node.level == 0 and node.module:
            yield node.lineno, node.module
            yield from ((node.lineno, f"{node.module}.{alias.name}") for alias in node.names)


SHIPPED = {name: path for package in LAYERS for name, path in modules_of(package)}


@pytest.mark.parametrize("package", LAYERS)
def test_imports_point_down_the_layers(package):
    upward = [
        f"{path.relative_to(ROOT)}:{line} imports {module}"
        for name, path in SHIPPED.items()
        if name.split(".")[0] == package
        for line, module in imports_of(path)
        if (top := module.split(".")[0]) in DEVELOPMENT_PACKAGES
        or (top in LAYERS and top != package and LAYERS[top] >= LAYERS[package])
    ]
    assert upward == []


def test_no_module_imports_itself_through_a_loop():
    graph = {
        name: {module for _, module in imports_of(path) if module in SHIPPED and module != name}
        for name, path in SHIPPED.items()
        if not name.endswith(".migrations") and ".migrations." not in name
    }
    loops = []

    def visit(name, trail):
        for target in graph.get(name, ()):
            if target in trail:
                loops.append(" -> ".join([*trail[trail.index(target) :], target]))
            elif target not in visited:
                visited.add(target)
                visit(target, [*trail, target])

    visited = set()
    for start in graph:
        if start not in visited:
            visited.add(start)
            visit(start, [start])
    assert loops == []


def test_only_the_payments_app_speaks_to_stripe():
    callers = [
        f"{path.relative_to(ROOT)}:{line}"
        for name, path in SHIPPED.items()
        if not name.startswith("payments")
        for line, module in imports_of(path)
        if module.split(".")[0] == "stripe"
    ]
    assert callers == []
