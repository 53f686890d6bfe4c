"""Filters for a host's own Alembic: leave ocop-cycle's tables to ocop-cycle.

A host whose database also holds ocop-cycle's tables and runs ``alembic revision
--autogenerate`` on its own metadata would otherwise be offered a ``drop_table`` for every
``ocop_`` table (they are in the database, not in the host's metadata). The ``ocop_`` prefix is
ocop-cycle's: its tables, their indexes and constraints, its version table
(``ocop_alembic_version``) and the job tables APScheduler makes for the scheduler
(``ocop_scheduler_jobs_<name>``). Pure functions: no database, no import of Alembic.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

__all__ = ["PREFIX", "alembic_include_name", "alembic_include_object", "is_ocop_table"]

#: The table-name prefix ocop-cycle reserves in a database it shares.
PREFIX = "ocop_"


def is_ocop_table(name: str | None) -> bool:
    """Whether a table of that name belongs to ocop-cycle (including the scheduler's job
    tables and the migrations' version table)."""
    return name is not None and name.startswith(PREFIX)


def alembic_include_name(
    name: str | None, type_: str, parent_names: Mapping[str, str | None]
) -> bool:
    """Alembic's ``include_name`` hook for a host's ``env.py``: False for ocop-cycle's tables
    and for anything (columns, indexes, constraints) on them; True for everything else.

    ``context.configure(..., include_name=ocop_cycle.alembic_include_name)``: the tables are
    then not even reflected. Combine it with a filter of the host's own by ``and``.
    """
    if type_ == "schema":
        return True
    table = name if type_ == "table" else parent_names.get("table_name")
    return not is_ocop_table(table)


def alembic_include_object(
    object_: Any, name: str | None, type_: str, reflected: bool, compare_to: Any
) -> bool:
    """Alembic's ``include_object`` hook for a host's ``env.py``, for hosts that filter objects
    rather than names: False for ocop-cycle's tables and anything on them."""
    if type_ == "table":
        return not is_ocop_table(name)
    table = getattr(object_, "table", None)
    return not is_ocop_table(getattr(table, "name", None))
