"""PostgreSQL waits: at READ COMMITTED whatever the database's default, and for a lock another
transaction holds no longer than SQLite's busy timeout, ending in a typed, retryable error."""

from __future__ import annotations

from sqlalchemy import make_url

from ocop_cycle import Engine, Role, SettableClock, TransactionConflict
from ocop_cycle._storage.database import create_database_engine
from tests.conftest import truncate_postgres
from tests.scenario import LANG_GIANG, Walk, at, refuses


def _show(url: str, setting: str) -> str:
    with Engine.open(url) as engine, engine.sa_engine.connect() as conn:
        return str(conn.exec_driver_sql(f"SHOW {setting}").scalar_one())


def _with_options(url: str, options: str) -> str:
    return make_url(url).update_query_dict({"options": options}).render_as_string(False)


def test_the_engines_own_connections_wait_30_seconds_for_a_lock(postgres_ready: str) -> None:
    assert _show(postgres_ready, "lock_timeout") == "30s"
    assert _show(postgres_ready, "transaction_isolation") == "read committed"


def test_a_urls_own_options_are_kept(postgres_ready: str) -> None:
    """A URL that sets lock_timeout keeps its value; one that sets something else keeps it and
    gets the lock timeout beside it."""
    assert _show(_with_options(postgres_ready, "-c lock_timeout=2s"), "lock_timeout") == "2s"
    url = _with_options(postgres_ready, "-c application_name=office")
    assert _show(url, "application_name") == "office"
    assert _show(url, "lock_timeout") == "30s"


def test_a_command_behind_a_held_lock_ends_in_transaction_conflict(postgres_ready: str) -> None:
    """A host holds a dossier's row in an open transaction; another engine's command on it
    waits for the lock timeout, then is refused with ``TransactionConflict``, writing nothing;
    once the host ends its transaction the command goes through."""
    truncate_postgres(postgres_ready)
    clock = SettableClock(at(2024, 3, 1))
    officer = LANG_GIANG.actor(Role.COMMUNE_OFFICER)
    impatient = _with_options(postgres_ready, "-c lock_timeout=200ms")
    with Engine.open(impatient, clock=clock) as other:
        d = Walk(other, clock).register()
        host = create_database_engine(postgres_ready)
        try:
            with host.connect() as conn:
                Engine(conn, clock=clock).return_for_supplement(
                    d.id, actor=officer, guidance="Bổ sung"
                )  # the host's transaction stays open, holding the row
                error = refuses(
                    other, TransactionConflict, lambda: other.verify_commune(d.id, actor=officer)
                )
                assert error.context["sqlstate"] == "55P03"
                conn.rollback()
            assert other.verify_commune(d.id, actor=officer).version == 2
        finally:
            host.dispose()
