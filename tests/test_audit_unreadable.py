"""Values that are not of their column's type (SQLite keeps any value in any column): the audit
reports each where it is and goes on; it never stops on one with a traceback, never accuses a
dossier nobody touched, and never writes a checkpoint or an export it could not verify."""

from __future__ import annotations

import json
from datetime import datetime, time, timedelta
from pathlib import Path

import pytest
from sqlalchemy import func, select, text

from ocop_cycle import VN_TZ, Dossier, Engine, SettableClock, StorageError, Sweeper
from ocop_cycle._storage.schema import checkpoints
from ocop_cycle.audit.auditor import Auditor
from ocop_cycle.audit.offline import verify_export
from ocop_cycle.cli import main
from tests.scenario import Walk
from tests.test_audit_verify import problems, tamper, verify_cli


@pytest.fixture
def store(db_url: str, engine: Engine, clock: SettableClock) -> list[Dossier]:
    """Two certified dossiers and one just registered, on SQLite (PostgreSQL refuses a value
    of another type than its column's, so none of these edits can be made there)."""
    if not db_url.startswith("sqlite"):
        pytest.skip("PostgreSQL refuses a value of another type than its column's")
    walk = Walk(engine, clock)
    made = [walk.certified(name=f"Sản phẩm {i}") for i in range(2)]
    made.append(walk.register("Sản phẩm mới"))
    assert Auditor(engine).verify().intact
    return made


def sql(engine: Engine, statement: str) -> None:
    tamper(engine, text(statement))


def checkpoint_count(engine: Engine) -> int:
    with engine.sa_engine.connect() as conn:
        return int(conn.execute(select(func.count()).select_from(checkpoints)).scalar_one())


# -- a checkpoint's heads ---------------------------------------------------------------------


@pytest.mark.parametrize("value", ["'x'", "5.5"])
def test_a_checkpoint_head_whose_seq_is_not_an_integer_is_a_break(
    engine: Engine,
    store: list[Dossier],
    db_url: str,
    capsys: pytest.CaptureFixture[str],
    value: str,
) -> None:
    """A head's seq edited into text or a fraction: reported at its dossier (with the root it
    no longer gives), by the whole-store walk and by one dossier's; never a crash."""
    target = store[0]
    cp = Auditor(engine).checkpoint()
    sql(
        engine,
        f"UPDATE ocop_checkpoint_heads SET seq = {value} "
        f"WHERE checkpoint_id = {cp.id} AND dossier_id = '{target.id.hex}'",
    )
    report = Auditor(engine).verify()
    assert [(b.dossier_id, b.problem) for b in report.breaks] == [
        (target.id, "checkpoint_head_unreadable"),
        (None, "checkpoint_root_mismatch"),
    ]
    alone = Auditor(engine).verify(target.id)
    assert [(b.dossier_id, b.problem) for b in alone.breaks] == [
        (target.id, "checkpoint_head_unreadable")
    ]
    status, out = verify_cli(db_url, capsys)
    assert status == 1
    assert "checkpoint_head_unreadable" in out
    assert "internal error" not in capsys.readouterr().err


@pytest.mark.parametrize(
    ("column", "value"),
    [("seq", "'two'"), ("seq", "4.5"), ("dossier_id", "'274f25d9Z' || substr(dossier_id, 10)")],
)
def test_no_checkpoint_is_made_over_a_chain_head_that_cannot_be_read(
    engine: Engine,
    store: list[Dossier],
    db_url: str,
    capsys: pytest.CaptureFixture[str],
    column: str,
    value: str,
) -> None:
    """A chain whose last event's seq or id was edited out of its type: a checkpoint over it
    could never verify, and one without it would vouch for a store with a chain left out.
    ``StorageError`` naming it, nothing written; the CLI says so on one line, exit 1."""
    target = store[0]
    sql(
        engine,
        f"UPDATE ocop_events SET {column} = {value} "
        f"WHERE dossier_id = '{target.id.hex}' AND seq = {target.version}",
    )
    with pytest.raises(StorageError, match="no checkpoint made: the last event of chain"):
        Auditor(engine).checkpoint()
    assert checkpoint_count(engine) == 0
    capsys.readouterr()
    assert main(["--db", db_url, "audit", "checkpoint"]) == 1
    err = capsys.readouterr().err
    assert "no checkpoint made" in err
    assert "internal error" not in err
    assert checkpoint_count(engine) == 0


def test_a_readable_store_is_still_checkpointed(engine: Engine, store: list[Dossier]) -> None:
    """An unreadable value elsewhere than a chain's head (a payload that is not JSON) does not
    stop a checkpoint: its heads are all as written, and verify reports the payload."""
    sql(
        engine,
        f"UPDATE ocop_events SET payload = '{{not json' WHERE dossier_id = '{store[0].id.hex}' "
        "AND seq = 2",
    )
    cp = Auditor(engine).checkpoint()
    assert cp.dossier_count == len(store)
    assert problems(Auditor(engine).verify()) == ["row_unreadable", "fold_failed"]


# -- an altered id, among the others ----------------------------------------------------------


def test_an_altered_id_does_not_make_verify_accuse_its_neighbour(
    engine: Engine, store: list[Dossier], db_url: str, capsys: pytest.CaptureFixture[str]
) -> None:
    """One dossier's events given an id that is no id, spelled to sort just before another
    dossier as SQLite orders the stored text ('.' before every hex digit) but after it in the
    dashed text ('-' before '.'): the streams stay paired, the altered rows are reported, and
    no break names the untouched neighbour."""
    altered, neighbour = store[0], store[1]
    spelled = f"{neighbour.id.hex[:8]}.{altered.id.hex[9:]}"
    sql(
        engine,
        f"UPDATE ocop_events SET dossier_id = '{spelled}' WHERE dossier_id = '{altered.id.hex}'",
    )
    report = Auditor(engine).verify()
    assert neighbour.id not in {b.dossier_id for b in report.breaks}
    assert str(neighbour.id) not in "\n".join(b.detail for b in report.breaks)
    assert problems(report).count("row_unreadable") == altered.version
    assert (altered.id, "events_missing") in {(b.dossier_id, b.problem) for b in report.breaks}
    status, out = verify_cli(db_url, capsys)
    assert status == 1
    assert str(neighbour.id) not in out


# -- an export of a store holding a value it cannot read ---------------------------------------

UNREADABLE_EVENTS = {  # column, SQL value, what the export holds, what the offline check finds
    "payload_not_json": ("payload", "'{not json'", "{not json", "hash_mismatch"),
    "occurred_at_garbled": ("occurred_at", "'yesterday'", "yesterday", "unreadable_line"),
    "dossier_id_altered": (
        "dossier_id",
        "'274f25d9Z' || substr(dossier_id, 10)",
        "274f25d9Z",
        "unreadable_line",
    ),
}


@pytest.mark.parametrize(
    ("column", "value", "stored", "found"),
    UNREADABLE_EVENTS.values(),
    ids=UNREADABLE_EVENTS.keys(),
)
def test_an_export_holds_an_unreadable_value_as_stored_for_the_offline_check_to_find(
    engine: Engine,
    store: list[Dossier],
    db_url: str,
    tmp_path: Path,
    capsys: pytest.CaptureFixture[str],
    column: str,
    value: str,
    stored: str,
    found: str,
) -> None:
    """An event value that cannot be read (a payload that is not JSON, a garbled date, an
    altered id) is exported as it is stored, whole, with the end line: `audit verify
    --from-export` then reports it, as the database's verify does, instead of the export
    stopping half written. The CSV export writes it as stored too."""
    target = store[0]
    sql(
        engine,
        f"UPDATE ocop_events SET {column} = {value} "
        f"WHERE dossier_id = '{target.id.hex}' AND seq = 2",
    )
    path = tmp_path / "export.jsonl"
    capsys.readouterr()
    assert main(["--db", db_url, "audit", "export", "--out", str(path)]) == 0
    lines = path.read_text(encoding="utf-8").splitlines()
    assert json.loads(lines[-1])["end"]["events"] == sum(d.version for d in store)
    assert stored in "\n".join(lines)
    report = verify_export(path)
    assert found in problems(report)
    status, out = verify_cli(db_url, capsys, "--from-export", str(path))
    assert status == 1
    assert found in out
    csv_path = tmp_path / "export.csv"
    assert main(["--db", db_url, "audit", "export", "--format", "csv", "--out", str(csv_path)]) == 0
    assert stored in csv_path.read_text(encoding="utf-8")


# -- an export edited past what a parser takes -------------------------------------------------


def test_an_export_line_past_what_json_can_hold_is_a_located_break(
    engine: Engine, store: list[Dossier], tmp_path: Path
) -> None:
    """A checkpoint id edited to 1e999 (infinity: no integer) and a line of 200,000 nested
    arrays (past the parser's recursion): each is an unreadable_line at its number, and the
    check goes on, instead of stopping on an OverflowError or a RecursionError."""
    auditor = Auditor(engine)
    auditor.checkpoint()
    path = tmp_path / "export.jsonl"
    with path.open("w", encoding="utf-8") as out:
        auditor.export(out)
    lines = path.read_text(encoding="utf-8").splitlines()
    (at,) = [i for i, line in enumerate(lines) if line.startswith('{"checkpoint"')]
    doc = json.loads(lines[at])
    lines[at] = lines[at].replace(f'"id": {doc["checkpoint"]["id"]},', '"id": 1e999,', 1)
    lines.insert(1, "[" * 200_000)
    path.write_text("\n".join(lines) + "\n", encoding="utf-8")
    report = verify_export(path)
    unreadable = [b.detail for b in report.breaks if b.problem == "unreadable_line"]
    assert [d.split(":")[0] for d in unreadable] == ["line 2", f"line {at + 2}"]
    assert "RecursionError" in unreadable[0]
    assert "OverflowError" in unreadable[1]
    assert report.events == sum(d.version for d in store)  # every event line was still read


def test_a_garbled_recorded_at_does_not_hide_the_latest_time_the_store_has_seen(
    engine: Engine, store: list[Dossier]
) -> None:
    """A sweep run ahead of the clock settles deadlines at its own time and records events at
    it: that is the latest time the store has seen. One event's recorded_at garbled elsewhere
    (text sorts after every time on SQLite) is reported where it is, and the sweep's
    settlements are still judged against that time, not taken for early ones."""
    certified = store[0]
    assert certified.valid_until is not None
    Sweeper(engine).sweep(
        now=datetime.combine(certified.valid_until, time(), VN_TZ) + timedelta(days=2)
    )
    assert Auditor(engine).verify().intact
    sql(
        engine,
        "UPDATE ocop_events SET recorded_at = 'yesterday' "
        f"WHERE dossier_id = '{store[2].id.hex}' AND seq = 1",
    )
    found = problems(Auditor(engine).verify())
    assert "row_unreadable" in found
    assert "deadline_settled_early" not in found
