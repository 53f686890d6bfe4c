"""Storage is the only gateway to the database: outside ``ocop_cycle/_storage/`` no module
imports SQLAlchemy, the table definitions or the prebuilt-statement fast path."""

from __future__ import annotations

import ast
from pathlib import Path

PACKAGE = Path(__file__).resolve().parent.parent / "ocop_cycle"
STORAGE = PACKAGE / "_storage"
FORBIDDEN = ("sqlalchemy", "ocop_cycle._storage.schema", "ocop_cycle._storage.fastpath")

#: Known offenders that other engineers are moving behind storage's named interface. Each
#: entry names exactly what the module may still import; delete it when the fix lands (the
#: stale-entry test below says when). Never add to this list: add a method to storage instead.
PENDING: dict[str, frozenset[str]] = {
    "engine.py": frozenset({"sqlalchemy"}),
    "_handlers.py": frozenset({"ocop_cycle._storage.fastpath"}),
    "_creation.py": frozenset({"ocop_cycle._storage.fastpath"}),
    "jobs/sweep.py": frozenset({"ocop_cycle._storage.fastpath"}),
}


def _module_name(path: Path) -> str:
    parts = list(path.relative_to(PACKAGE.parent).with_suffix("").parts)
    if parts[-1] == "__init__":
        parts.pop()
    return ".".join(parts)


def _imports_in(source: str, package: str) -> set[str]:
    """Every module ``source`` imports, anywhere in it (functions and TYPE_CHECKING included),
    relative imports resolved against ``package``; ``from a import b`` counts as ``a``, ``a.b``."""
    found: set[str] = set()
    for node in ast.walk(ast.parse(source)):
        if isinstance(node, ast.Import):
            found.update(alias.name for alias in node.names)
        elif isinstance(node, ast.ImportFrom):
            module = node.module or ""
            if node.level:
                parts = package.split(".")
                base = parts[: len(parts) - node.level + 1]
                module = ".".join(base + ([module] if module else []))
            found.add(module)
            found.update(f"{module}.{alias.name}" for alias in node.names)
    return found


def _imported(path: Path) -> set[str]:
    """Every module the file at ``path`` imports."""
    name = _module_name(path)
    package = name if path.name == "__init__.py" else name.rpartition(".")[0]
    return _imports_in(path.read_text(encoding="utf-8"), package)


def _forbidden(modules: set[str]) -> set[str]:
    return {rule for rule in FORBIDDEN for m in modules if m == rule or m.startswith(f"{rule}.")}


def _offences() -> dict[str, set[str]]:
    """Forbidden imports by module path (relative to the package), outside storage."""
    result = {}
    for path in sorted(PACKAGE.rglob("*.py")):
        if path.is_relative_to(STORAGE):
            continue
        bad = _forbidden(_imported(path))
        if bad:
            result[path.relative_to(PACKAGE).as_posix()] = bad
    return result


def test_the_import_scanner_sees_every_form() -> None:
    """The scanner catches plain, from, submodule, nested and relative imports."""
    source = (
        "import sqlalchemy.orm\n"
        "from ocop_cycle._storage import schema\n"
        "from . import progress\n"
        "def f():\n    from .._storage.fastpath import Tx\n"
    )
    found = _imports_in(source, "ocop_cycle.plan")
    assert _forbidden(found) == set(FORBIDDEN)
    assert "ocop_cycle.plan.progress" in found
    assert _forbidden(_imports_in("from ocop_cycle._storage.reports import X\n", "x")) == set()
    assert _forbidden({"apscheduler.jobstores.sqlalchemy", "sqlalchemy_utils"}) == set()
    assert "ocop_cycle._storage.reports" in _imported(PACKAGE / "plan" / "progress.py")
    assert _module_name(PACKAGE / "jobs" / "__init__.py") == "ocop_cycle.jobs"


def test_only_storage_touches_the_database() -> None:
    """Outside storage, nothing imports a FORBIDDEN module beyond what PENDING allows."""
    new = {
        module: sorted(bad - PENDING.get(module, frozenset()))
        for module, bad in _offences().items()
        if bad - PENDING.get(module, frozenset())
    }
    assert new == {}, (
        f"these modules reach past storage's named interface (add a storage method instead): {new}"
    )


def test_pending_entries_are_still_needed() -> None:
    """Every PENDING allowance is still used: when a fix lands, its entry must go."""
    offences = _offences()
    stale = {
        module: sorted(allowed - offences.get(module, set()))
        for module, allowed in PENDING.items()
        if allowed - offences.get(module, set())
    }
    assert stale == {}, f"remove these from PENDING in tests/test_layers.py: {stale}"
    assert all((PACKAGE / module).is_file() for module in PENDING)
