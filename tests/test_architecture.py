"""The shape of the code: the core modules (access policy, dashboard, task queue, background
jobs) import no domain, packages import each other without cycles, and what the domains
declare at start-up is what the core collects."""

from __future__ import annotations

import ast
import enum
from pathlib import Path
from types import SimpleNamespace

import pytest
from flask import Flask

import qaportal
from qaportal.access import policy

PACKAGE = Path(qaportal.__file__).parent

# The core may use these; anything else under qaportal.* is a domain it must not know.
# audit: background jobs record their state changes in the trail (qaportal.audit.services).
CORE_MAY_IMPORT = {
    "qaportal.access",
    "qaportal.auth",
    "qaportal.audit",
    "qaportal.config",
    "qaportal.db",
    "qaportal.extensions",
    "qaportal.jobs",
    "qaportal.paths",
    "qaportal.web",
}
CORE_MODULES = [
    PACKAGE / "access" / "policy.py",
    PACKAGE / "web" / "dashboard.py",
    PACKAGE / "web" / "context.py",
    PACKAGE / "tasks.py",
    *sorted((PACKAGE / "jobs").glob("*.py")),
]
# The command line also collects what the domains declare (their commands), but it starts
# the app and the demo, so it is held to the shorter rule: it names no domain package.
COLLECTING_MODULES = [*CORE_MODULES, PACKAGE / "cli.py"]
# Every state change writes the trail, the core's included: the one domain anyone may use.
SHARED_DOMAINS = {"qaportal.audit"}


def _module_name(path: Path) -> str:
    parts = path.relative_to(PACKAGE.parent).with_suffix("").parts
    return ".".join(parts[:-1] if parts[-1] == "__init__" else parts)


def _imported(node: ast.AST, module: str, is_package: bool) -> list[str]:
    """The qaportal.* names an import statement brings in (relative ones resolved)."""
    if isinstance(node, ast.Import):
        return [alias.name for alias in node.names]
    if not isinstance(node, ast.ImportFrom):
        return []
    base = node.module or ""
    if node.level:
        parent = module.split(".") if is_package else module.split(".")[:-1]
        parent = parent[: len(parent) - node.level + 1]
        base = ".".join([*parent, *([node.module] if node.module else [])])
    return [f"{base}.{alias.name}" for alias in node.names] or [base]


def _all_imports(path: Path) -> set[str]:
    """Every import in the file, at any depth: a lazy import inside a function counts too."""
    module = _module_name(path)
    tree = ast.parse(path.read_text(encoding="utf-8"))
    found: set[str] = set()
    for node in ast.walk(tree):
        found.update(_imported(node, module, path.name == "__init__.py"))
    return {name for name in found if name == "qaportal" or name.startswith("qaportal.")}


def _allowed(name: str) -> bool:
    return any(name == core or name.startswith(core + ".") for core in CORE_MAY_IMPORT)


@pytest.mark.parametrize("path", CORE_MODULES, ids=lambda p: _module_name(p))
def test_core_modules_import_no_domain(path: Path) -> None:
    domains = sorted(name for name in _all_imports(path) if not _allowed(name))
    assert domains == [], f"{_module_name(path)} imports domains: {domains}"


def _names_domain(name: str) -> bool:
    return any(
        name == domain or name.startswith(domain + ".")
        for domain in set(qaportal.DOMAINS) - SHARED_DOMAINS
    )


@pytest.mark.parametrize("path", COLLECTING_MODULES, ids=lambda p: _module_name(p))
def test_collecting_modules_name_no_domain_package(path: Path) -> None:
    domains = sorted(name for name in _all_imports(path) if _names_domain(name))
    assert domains == [], f"{_module_name(path)} imports domains: {domains}"


def test_the_domain_check_can_fail() -> None:
    assert _names_domain("qaportal.reviews.models.PanelMember")
    assert _names_domain("qaportal.decisions")
    assert not _names_domain("qaportal.reviewsx")
    assert not _names_domain("qaportal.tasks.enqueue")
    assert not _names_domain("qaportal.audit.services.Actor")


def test_every_package_that_registers_is_a_domain() -> None:
    """A package with ``register(app)`` left out of ``DOMAINS`` would never be collected,
    and the check above would not know to keep the core away from it."""
    registering = {
        _module_name(init)
        for init in PACKAGE.glob("*/__init__.py")
        if "\ndef register(app" in init.read_text(encoding="utf-8")
    }
    assert registering == set(qaportal.DOMAINS)


def test_the_check_sees_a_lazy_domain_import(tmp_path: Path) -> None:
    """The check must be able to fail: an import hidden in a function is found."""
    sample = PACKAGE / "access" / "policy.py"
    source = "def f():\n    from qaportal.cases.models import Case\n    from . import util\n"
    tree = ast.parse(source)
    names = {
        name for node in ast.walk(tree) for name in _imported(node, _module_name(sample), False)
    }
    assert "qaportal.cases.models.Case" in names and "qaportal.access.util" in names
    assert not _allowed("qaportal.cases.models.Case")


def _module_graph() -> dict[str, set[str]]:
    """Module -> the qaportal modules it imports when it is loaded (module level, outside
    ``if TYPE_CHECKING``): the imports that can make a circle at start-up."""
    paths = {_module_name(p): p for p in PACKAGE.rglob("*.py")}
    graph: dict[str, set[str]] = {}
    for module, path in paths.items():
        tree = ast.parse(path.read_text(encoding="utf-8"))
        edges: set[str] = set()
        for statement in tree.body:
            if isinstance(statement, ast.If) and "TYPE_CHECKING" in ast.unparse(statement.test):
                continue
            for node in ast.walk(statement):
                if isinstance(node, ast.FunctionDef | ast.AsyncFunctionDef):
                    break
                for name in _imported(node, module, path.name == "__init__.py"):
                    # "from pkg import mod" names a module; "from mod import obj" its module.
                    target = name if name in paths else name.rpartition(".")[0]
                    if target in paths and target != module:
                        edges.add(target)
        graph[module] = edges
    return graph


def _cycles(graph: dict[str, set[str]]) -> list[list[str]]:
    """The strongly connected components with more than one module (Tarjan)."""
    index: dict[str, int] = {}
    low: dict[str, int] = {}
    stack: list[str] = []
    on_stack: set[str] = set()
    found: list[list[str]] = []

    def visit(node: str) -> None:
        index[node] = low[node] = len(index)
        stack.append(node)
        on_stack.add(node)
        for target in sorted(graph.get(node, ())):
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


def _package(module: str) -> str:
    return ".".join(module.split(".")[:2])


def test_no_import_cycle_between_packages() -> None:
    """A circle inside one package (a blueprint whose routes are split over two modules) is
    that package's business; a circle between packages (the task queue and the feedback
    domain, once) means the core and a domain know each other."""
    across = [c for c in _cycles(_module_graph()) if len({_package(m) for m in c}) > 1]
    assert across == []


def test_the_cycle_check_finds_a_cycle() -> None:
    graph = {"qaportal.tasks": {"qaportal.feedback.attach"}, "qaportal.feedback.attach": set()}
    assert _cycles(graph) == []
    graph["qaportal.feedback.attach"] = {"qaportal.tasks"}
    assert _cycles(graph) == [["qaportal.feedback.attach", "qaportal.tasks"]]


def test_every_domain_registers_through_its_package(app: Flask) -> None:
    import importlib

    for name in qaportal.DOMAINS:
        assert callable(importlib.import_module(name).register), name
    blueprints = set(app.blueprints)
    for name in (
        "orgs",
        "audit",
        "notifications",
        "catalogue",
        "cases",
        "evidence",
        "feedback",
        "reviews",
        "decisions",
    ):
        assert name in blueprints


def test_dashboard_and_navigation_are_registered_by_register_only() -> None:
    """A domain's dashboard sources and navigation entries are put in by its ``register(app)``,
    not by decorators that run when some module happens to be imported."""
    registrars = {"register_tasks", "register_links", "register_next_step", "register_nav"}
    found = []
    for name in qaportal.DOMAINS:
        folder = PACKAGE / name.rpartition(".")[2]
        for path in sorted(folder.rglob("*.py")):
            if path.name == "__init__.py":
                continue
            for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
                if isinstance(node, ast.FunctionDef):
                    decorators = {ast.unparse(d).split("(")[0] for d in node.decorator_list}
                    if decorators & registrars:
                        found.append(f"{_module_name(path)}.{node.name}")
    assert found == []


def test_every_domain_action_has_a_rule(app: Flask) -> None:
    """Each domain's enum of actions (in its ``access.py``) is declared to the policy; the
    policy keeps no list of its own."""
    import importlib

    actions = [
        member.value
        for name in qaportal.DOMAINS
        if (PACKAGE / name.rpartition(".")[2] / "access.py").exists()
        for value in vars(importlib.import_module(f"{name}.access")).values()
        if isinstance(value, type)
        and issubclass(value, enum.StrEnum)
        and value.__module__ == f"{name}.access"
        for member in value
    ]
    assert {"case.list", "panel.manage", "decision.settings"} <= set(actions)
    assert [action for action in actions if action not in policy.RULES] == []
    assert not hasattr(policy, "Action")


def test_domains_declare_navigation_and_commands(app: Flask) -> None:
    """What the main navigation and the ``qaportal`` command list comes from the domains'
    ``register(app)``, not from the core naming them."""
    from qaportal.web import context

    endpoints = [link.endpoint for _order, link in context._NAV_LINKS]
    for endpoint in ("orgs.providers", "catalogue.index", "cases.index", "reviews.workspace"):
        assert endpoint in endpoints
    assert endpoints.index("cases.index") < endpoints.index("reviews.workspace")
    for command in ("create-admin", "audit", "mail", "forms", "reminders", "db", "demo"):
        assert command in app.cli.commands


def test_rules_are_keyed_by_the_action_string(app: Flask) -> None:
    """An action of any package's enum, or its plain string, names one rule."""
    from qaportal.cases.access import CaseAction

    class ElsewhereAction(enum.StrEnum):
        PING = "architecture-test.ping"

    user = SimpleNamespace(is_authenticated=True, is_active=True, memberships=[])
    policy.register_rules({ElsewhereAction.PING: lambda user, obj: True})
    try:
        assert policy.can(user, ElsewhereAction.PING)
        assert policy.can(user, "architecture-test.ping")
        assert not policy.can(SimpleNamespace(is_authenticated=False), ElsewhereAction.PING)
    finally:
        del policy.RULES["architecture-test.ping"]
    assert policy.RULES["case.list"] is policy.RULES[CaseAction.CASE_LIST]
    with pytest.raises(KeyError, match="is its domain registered"):
        policy.can(user, "architecture-test.ping")
