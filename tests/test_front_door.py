"""The public surface: one front door, nothing on import, errors in one tree."""

from __future__ import annotations

import ast
import inspect
import subprocess
import sys
import types
from pathlib import Path

import pytest

import ocop_cycle
from ocop_cycle import errors


def test_all_is_a_sorted_literal() -> None:
    """`__all__` is written out as a literal list of strings, constants first, then sorted."""
    tree = ast.parse(Path(ocop_cycle.__file__).read_text(encoding="utf-8"))
    [assigned] = [
        node.value
        for node in tree.body
        if isinstance(node, ast.Assign)
        and any(isinstance(t, ast.Name) and t.id == "__all__" for t in node.targets)
    ]
    assert isinstance(assigned, ast.List)
    assert all(isinstance(e, ast.Constant) and isinstance(e.value, str) for e in assigned.elts)
    names = ocop_cycle.__all__
    assert list(names) == sorted(names, key=lambda n: (not n.isupper(), n))


def test_all_is_exactly_the_public_namespace() -> None:
    """Every public name of the package is in `__all__`, and every name in `__all__` is there."""
    public = {
        name
        for name, value in vars(ocop_cycle).items()
        if not name.startswith("_") and not isinstance(value, types.ModuleType)
    }
    assert set(ocop_cycle.__all__) == public
    assert len(ocop_cycle.__all__) == len(public)


def test_every_export_is_documented() -> None:
    """Every exported class and function has its own docstring; constants are described above."""
    undocumented = []
    for name in ocop_cycle.__all__:
        value = getattr(ocop_cycle, name)
        if isinstance(value, type) or callable(value):
            documented = bool((value.__doc__ or "").strip())
        else:  # a constant cannot carry a docstring: the package docstring describes it
            documented = f"``{name}``" in (ocop_cycle.__doc__ or "")
        if not documented:
            undocumented.append(name)
    assert undocumented == []


@pytest.mark.parametrize("application", ["run_demo", "DemoResult", "import_plan", "plan_progress"])
def test_applications_stay_out_of_the_core(application: str) -> None:
    """The demo and the plan tools are applications on the library, not in its namespace."""
    assert application not in ocop_cycle.__all__
    assert not hasattr(ocop_cycle, application)


def _modules_after_import(*names: str) -> list[str]:
    """Which of ``names`` are in ``sys.modules`` after ``import ocop_cycle`` in a fresh process."""
    code = f"import sys, ocop_cycle\nprint(sorted(set({names!r}) & set(sys.modules)))\n"
    result = subprocess.run(
        [sys.executable, "-c", code], capture_output=True, text=True, check=False
    )
    assert result.returncode == 0, result.stderr
    loaded: list[str] = ast.literal_eval(result.stdout.strip())
    return loaded


@pytest.mark.parametrize(
    "module",
    [
        "apscheduler",
        "openpyxl",
        "rich",
        "structlog",
        "ocop_cycle.cli",
        "ocop_cycle.demo",
        "ocop_cycle.plan",
    ],
)
def test_import_loads_no_heavy_dependency(module: str) -> None:
    """`import ocop_cycle` loads neither the optional heavy libraries nor the applications."""
    assert _modules_after_import(module) == []


def test_scheduler_names_are_cheap() -> None:
    """CycleScheduler and SchedulerState come from the front door without loading APScheduler."""
    code = (
        "import sys\n"
        "from ocop_cycle import CycleScheduler, SchedulerState\n"
        "assert SchedulerState.STOPPED == 'stopped' and CycleScheduler.start\n"
        "print('apscheduler' in sys.modules)\n"
    )
    result = subprocess.run(
        [sys.executable, "-c", code], capture_output=True, text=True, check=False
    )
    assert result.stdout.strip() == "False", result.stderr


def test_every_error_is_exported_and_under_the_root() -> None:
    """Every exception class in errors.py subclasses OcopCycleError and is exported."""
    classes = [
        c
        for _, c in inspect.getmembers(errors, inspect.isclass)
        if issubclass(c, Exception) and c.__module__ == errors.__name__
    ]
    assert classes
    for cls in classes:
        assert issubclass(cls, ocop_cycle.OcopCycleError)
        assert cls.__name__ in ocop_cycle.__all__


def test_import_does_nothing() -> None:
    """Importing the package starts no thread, configures no logging, reads no rule data."""
    code = (
        "import threading, logging, structlog, ocop_cycle\n"
        "from ocop_cycle.rules.book import default_rule_book\n"
        "assert threading.active_count() == 1\n"
        "assert not structlog.is_configured()\n"
        "assert logging.getLogger().handlers == []\n"
        "assert default_rule_book.cache_info().currsize == 0\n"
        "print('ok')\n"
    )
    result = subprocess.run(
        [sys.executable, "-c", code], capture_output=True, text=True, check=False
    )
    assert result.stdout.strip() == "ok", result.stderr


def test_package_is_typed() -> None:
    """The package ships py.typed for type checkers."""
    from importlib.resources import files

    assert files("ocop_cycle").joinpath("py.typed").is_file()
