"""The public surface: one front door, nothing on import, errors in one tree."""

from __future__ import annotations

import inspect
import subprocess
import sys

import ocop_cycle
from ocop_cycle import errors


def test_all_is_sorted_and_complete() -> None:
    """`__all__` is sorted and every name in it exists."""
    names = ocop_cycle.__all__
    assert list(names) == sorted(names, key=lambda n: (not n.isupper(), n))
    assert all(hasattr(ocop_cycle, n) for n in names)


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
