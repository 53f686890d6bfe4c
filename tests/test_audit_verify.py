"""Verification holes an adversary with write access to the database would try: a deleted
checkpoint under a published root, an unknown dossier asked about, a projection edited behind
the engine's back. Each is reported by ``Auditor.verify`` and by ``ocop-cycle audit verify``."""

from __future__ import annotations

import hashlib
import json
from datetime import datetime
from pathlib import Path
from typing import Any
from uuid import UUID, uuid4

import pytest
from sqlalchemy import delete, insert, select, text, update

from ocop_cycle import VN_TZ, Dossier, Engine, InvalidCommand, SettableClock, Sweeper
from ocop_cycle._storage.schema import (
    checkpoint_heads,
    checkpoints,
    deadlines,
    dossiers,
    events,
    outbox,
)
from ocop_cycle.audit.auditor import Auditor
from ocop_cycle.audit.offline import verify_export
from ocop_cycle.audit.verify import VerifyReport
from ocop_cycle.cli import main
from tests.scenario import Walk, problems, tamper


@pytest.fixture
def store(engine: Engine, clock: SettableClock) -> list[Dossier]:
    """Two certified dossiers and one just registered; every chain verifies."""
    walk = Walk(engine, clock)
    made = [walk.certified(name=f"Sản phẩm {i}") for i in range(2)]
    made.append(walk.register("Sản phẩm mới"))
    assert Auditor(engine).verify().intact
    return made


def verify_cli(db_url: str, capsys: pytest.CaptureFixture[str], *args: str) -> tuple[int, str]:
    """Run `ocop-cycle audit verify ARGS` in-process; (exit status, standard output)."""
    capsys.readouterr()
    status = main(["--db", db_url, "audit", "verify", *args])
    return status, capsys.readouterr().out


DELETE_CHECKPOINTS = (delete(checkpoint_heads), delete(checkpoints))


# -- a published root -----------------------------------------------------------------------


def test_published_root_with_every_checkpoint_deleted_fails(
    engine: Engine, store: list[Dossier]
) -> None:
    """Deleting every stored checkpoint does not make a published root verify: it is unmatched."""
    auditor = Auditor(engine)
    root = auditor.checkpoint().root
    tamper(engine, *DELETE_CHECKPOINTS)
    report = auditor.verify(published_root=root)
    assert problems(report) == ["published_root_unmatched"]
    assert root[:12] in report.breaks[0].detail


def test_published_root_matching_no_checkpoint_fails(engine: Engine, store: list[Dossier]) -> None:
    """A published root that no stored checkpoint has is a break even when others exist."""
    auditor = Auditor(engine)
    auditor.checkpoint()
    assert problems(auditor.verify(published_root="ab" * 32)) == ["published_root_unmatched"]


def test_published_root_of_an_older_checkpoint_is_accepted(
    engine: Engine, clock: SettableClock, store: list[Dossier]
) -> None:
    """A root published at an older checkpoint verifies while that checkpoint still does."""
    auditor = Auditor(engine)
    older = auditor.checkpoint()
    Walk(engine, clock).register("Sản phẩm sau")
    newer = auditor.checkpoint()
    assert older.root != newer.root
    assert auditor.verify(published_root=older.root).intact
    assert auditor.verify(published_root=newer.root).intact


def test_published_older_checkpoint_that_no_longer_verifies_fails(
    engine: Engine, clock: SettableClock, store: list[Dossier]
) -> None:
    """Deleting a dossier and the heads the published checkpoint saw, leaving a later checkpoint
    made afterwards, is caught: the published checkpoint no longer verifies."""
    auditor = Auditor(engine)
    older = auditor.checkpoint()
    victim = store[2]
    tamper(
        engine,
        delete(events).where(events.c.dossier_id == victim.id),
        delete(dossiers).where(dossiers.c.id == victim.id),
        delete(checkpoint_heads).where(checkpoint_heads.c.dossier_id == victim.id),
    )
    auditor.checkpoint()  # a fresh checkpoint over the doctored store verifies on its own
    report = auditor.verify(published_root=older.root)
    assert set(problems(report)) == {
        "deadline_unplanned",  # what the deleted dossier's events planned is still queued
        "checkpoint_root_mismatch",
        "checkpoint_counts_altered",  # its heads are fewer than the chains it records
        "published_checkpoint_broken",
    }
    assert f"checkpoint {older.id}" in str(report.breaks[-1])


def test_published_root_is_checked_when_verifying_one_dossier(
    engine: Engine, store: list[Dossier]
) -> None:
    """With --dossier, the published checkpoint must still exist and verify in full."""
    auditor = Auditor(engine)
    root = auditor.checkpoint().root
    target, victim = store[0], store[2]
    assert auditor.verify(target.id, published_root=root).intact
    tamper(
        engine,
        delete(events).where(events.c.dossier_id == victim.id),
        delete(dossiers).where(dossiers.c.id == victim.id),
    )
    report = auditor.verify(target.id, published_root=root)
    assert problems(report) == ["checkpointed_event_missing", "published_checkpoint_broken"]
    assert report.breaks[0].dossier_id == victim.id
    tamper(engine, *DELETE_CHECKPOINTS)
    assert problems(auditor.verify(target.id, published_root=root)) == ["published_root_unmatched"]


def test_cli_published_root_after_checkpoints_deleted_exits_1(
    engine: Engine, store: list[Dossier], db_url: str, capsys: pytest.CaptureFixture[str]
) -> None:
    """`audit verify --published-root R` exits 1 naming the unmatched root when the store's
    checkpoints are gone."""
    root = Auditor(engine).checkpoint().root
    assert verify_cli(db_url, capsys, "--published-root", root)[0] == 0
    tamper(engine, *DELETE_CHECKPOINTS)
    status, out = verify_cli(db_url, capsys, "--published-root", root)
    assert status == 1
    assert f"published_root_unmatched: no stored checkpoint has the published root {root[:12]}" in (
        out
    )
    assert "intact" not in out


def test_export_published_root_is_checked_offline(
    engine: Engine,
    store: list[Dossier],
    db_url: str,
    tmp_path: Path,
    capsys: pytest.CaptureFixture[str],
) -> None:
    """An export made after the checkpoints were deleted does not verify against the published
    root, offline or through `audit verify --from-export`."""
    auditor = Auditor(engine)
    root = auditor.checkpoint().root
    kept = tmp_path / "kept.jsonl"
    with kept.open("w", encoding="utf-8") as out:
        auditor.export(out)
    assert verify_export(kept, published_root=root).intact
    tamper(engine, *DELETE_CHECKPOINTS)
    doctored = tmp_path / "doctored.jsonl"
    with doctored.open("w", encoding="utf-8") as out:
        auditor.export(out)
    assert problems(verify_export(doctored, published_root=root)) == ["published_root_unmatched"]
    status, out = verify_cli(
        db_url, capsys, "--from-export", str(doctored), "--published-root", root
    )
    assert status == 1
    assert "published_root_unmatched" in out


def test_published_root_as_copied_is_normalised(
    engine: Engine,
    store: list[Dossier],
    db_url: str,
    tmp_path: Path,
    capsys: pytest.CaptureFixture[str],
) -> None:
    """A root pasted in upper case with spaces and a line break around it is the same root:
    the CLI, the auditor and the offline check all verify against it."""
    auditor = Auditor(engine)
    root = auditor.checkpoint().root
    pasted = f"  {root.upper()}\n"
    status, out = verify_cli(db_url, capsys, "--published-root", pasted)
    assert status == 0
    assert out.endswith("1 checkpoint(s): intact\n")
    assert auditor.verify(published_root=pasted).intact
    export = tmp_path / "export.jsonl"
    with export.open("w", encoding="utf-8") as out:
        auditor.export(out)
    assert verify_export(export, published_root=pasted).intact
    status, _ = verify_cli(db_url, capsys, "--from-export", str(export), "--published-root", pasted)
    assert status == 0


@pytest.mark.parametrize(
    "bad",
    ["", "   ", "abc", "ab" * 31 + "a", "ab" * 32 + "0", "g" * 64, "0x" + "ab" * 31, "ab " * 32],
)
def test_malformed_published_root_is_a_usage_error(
    engine: Engine,
    store: list[Dossier],
    db_url: str,
    capsys: pytest.CaptureFixture[str],
    bad: str,
) -> None:
    """A root that is not 64 hex digits (truncated, padded, not hex) is the auditor's typo, not
    a finding about the store: exit 2 with the rule, before anything is read; the library
    raises ``InvalidCommand`` naming ``published_root``."""
    Auditor(engine).checkpoint()
    capsys.readouterr()
    with pytest.raises(SystemExit) as exited:
        main(["--db", db_url, "audit", "verify", "--published-root", bad])
    assert exited.value.code == 2
    captured = capsys.readouterr()
    assert captured.out == ""
    assert "argument --published-root: a checkpoint root is 64 hexadecimal digits" in captured.err
    assert "Traceback" not in captured.err
    with pytest.raises(InvalidCommand) as caught:
        Auditor(engine).verify(published_root=bad)
    assert caught.value.fields == ("published_root",)


# -- an unknown dossier ---------------------------------------------------------------------


def test_unknown_dossier_is_a_break(engine: Engine, store: list[Dossier]) -> None:
    """Verifying a dossier the store has never held reports it unknown instead of intact."""
    unknown = uuid4()
    report = Auditor(engine).verify(unknown)
    assert [(b.dossier_id, b.problem) for b in report.breaks] == [(unknown, "dossier_unknown")]
    assert report.events == 0


def test_known_dossier_alone_is_intact(engine: Engine, store: list[Dossier]) -> None:
    """A dossier verified on its own, untouched, is intact and counts only its events."""
    report = Auditor(engine).verify(store[0].id)
    assert report.intact
    assert (report.dossiers, report.events) == (1, store[0].version)


def test_dossier_with_projection_only_is_missing_events_not_unknown(
    engine: Engine, store: list[Dossier]
) -> None:
    """A dossier whose events were all deleted but whose projection remains is reported as
    missing its events (and its queue and outbox rows as planned and owed by none)."""
    target = store[1]
    tamper(engine, delete(events).where(events.c.dossier_id == target.id))
    found = problems(Auditor(engine).verify(target.id))
    assert set(found) == {"events_missing", "deadline_unplanned", "notice_unowed"}
    assert found.count("events_missing") == 1


def test_cli_unknown_dossier_exits_1(
    engine: Engine, store: list[Dossier], db_url: str, capsys: pytest.CaptureFixture[str]
) -> None:
    """`audit verify --dossier <unknown id>` exits 1 and names the dossier as unknown."""
    unknown = uuid4()
    status, out = verify_cli(db_url, capsys, "--dossier", str(unknown))
    assert status == 1
    assert f"BROKEN  dossier {unknown}: dossier_unknown" in out


# -- an edited projection -------------------------------------------------------------------


def edit_projection(engine: Engine, dossier_id: UUID, **values: Any) -> None:
    """Change projection columns without touching version or last_hash."""
    tamper(engine, update(dossiers).where(dossiers.c.id == dossier_id).values(**values))


def test_edited_projection_is_reported_with_its_field(engine: Engine, store: list[Dossier]) -> None:
    """Raising certified stars in the projection alone is a projection_differs naming the field."""
    target = store[0]
    assert target.certified_stars is not None
    assert target.certified_stars != 5
    edit_projection(engine, target.id, certified_stars=5)
    expected = [(target.id, target.version, "projection_differs", "certified_stars")]
    for report in (Auditor(engine).verify(), Auditor(engine).verify(target.id)):
        assert [(b.dossier_id, b.seq, b.problem, b.detail) for b in report.breaks] == expected


def test_every_edited_projection_field_is_named(engine: Engine, store: list[Dossier]) -> None:
    """Each edited column is named, whatever its type (state, date, text, bool, decimal)."""
    target = store[1]
    edit_projection(
        engine,
        target.id,
        state="monitored",
        valid_until=None,
        producer_name="Người khác",
        last_inspection_passed=True,
        score=target.score + 1 if target.score is not None else 1,
    )
    (only,) = Auditor(engine).verify().breaks
    assert only.problem == "projection_differs"
    assert set(only.detail.split(", ")) == {
        "state",
        "valid_until",
        "producer_name",
        "last_inspection_passed",
        "score",
    }


def test_projection_inserted_for_an_unknown_dossier_is_reported(
    engine: Engine, store: list[Dossier]
) -> None:
    """A projection row copied under a new id, with no events, is reported as such."""
    with engine.sa_engine.connect() as conn:
        row = dict(
            conn.execute(select(dossiers).where(dossiers.c.id == store[0].id)).mappings().one()
        )
    forged = uuid4()
    tamper(engine, insert(dossiers).values({**row, "id": forged}))
    report = Auditor(engine).verify()
    assert [(b.dossier_id, b.problem) for b in report.breaks] == [(forged, "events_missing")]


def test_event_that_cannot_be_folded_is_reported_not_raised(
    engine: Engine, store: list[Dossier]
) -> None:
    """An event whose type no fold knows breaks its hash and the fold; verify reports both."""
    target = store[0]
    tamper(
        engine,
        update(events)
        .where(events.c.dossier_id == target.id, events.c.seq == 2)
        .values(type="frobnicated"),
    )
    report = Auditor(engine).verify()
    assert [(b.seq, b.problem) for b in report.breaks] == [
        (2, "hash_mismatch"),
        (2, "fold_failed"),
    ]


def test_cli_edited_projection_exits_1(
    engine: Engine, store: list[Dossier], db_url: str, capsys: pytest.CaptureFixture[str]
) -> None:
    """`audit verify` exits 1 on an edited projection and names the dossier and the field."""
    target = store[0]
    edit_projection(engine, target.id, certified_stars=5)
    status, out = verify_cli(db_url, capsys)
    assert status == 1
    assert f"BROKEN  dossier {target.id} seq {target.version}: projection_differs: " in out
    assert "certified_stars" in out


# -- a tampered payload: reported, never raised -----------------------------------------------


def _without(payload: dict[str, Any], key: str) -> dict[str, Any]:
    return {k: v for k, v in payload.items() if k != key}


PAYLOAD_EDITS = {
    "total_not_a_number": lambda p: {**p, "total": "abc"},
    "total_deleted": lambda p: _without(p, "total"),
    "session_deleted": lambda p: _without(p, "session"),
    "session_not_a_mapping": lambda p: {**p, "session": "abc"},
    "level_unknown": lambda p: {**p, "level": "galactic"},
}


def tamper_scored(engine: Engine, dossier: Dossier, edit: Any) -> int:
    """Edit the stored payload of ``dossier``'s scored event in SQL; returns its seq."""
    scored = next(e for e in engine.history(dossier.id) if e.type == "scored")
    tamper(
        engine,
        update(events).where(events.c.id == scored.id).values(payload=edit(scored.payload.wire())),
    )
    return scored.seq


@pytest.mark.parametrize("edit", PAYLOAD_EDITS.values(), ids=PAYLOAD_EDITS.keys())
def test_tampered_scored_payload_is_reported_by_replay_not_raised(
    engine: Engine, store: list[Dossier], edit: Any
) -> None:
    """A scored event whose payload was edited into something the fold or the score check
    cannot take breaks that dossier at that event (fold_failed); the replay goes on and checks
    the others. Verify reports the same event."""
    target, other = store[0], store[1]
    seq = tamper_scored(engine, target, edit)
    report = Auditor(engine).replay()
    assert [(b.dossier_id, b.seq, b.problem) for b in report.mismatches] == [
        (target.id, seq, "fold_failed")
    ]
    assert report.dossiers == 3
    assert report.scores_checked == 1  # the other certified dossier's score, still recomputed
    assert report.events == sum(d.version for d in store)
    assert Auditor(engine).replay(other.id).intact
    verified = Auditor(engine).verify()  # the chain check finds any edit; it recomputes no score
    assert (target.id, seq, "hash_mismatch") in {
        (b.dossier_id, b.seq, b.problem) for b in verified.breaks
    }


@pytest.mark.parametrize("edit", PAYLOAD_EDITS.values(), ids=PAYLOAD_EDITS.keys())
def test_cli_replay_of_a_tampered_payload_exits_1_without_a_traceback(
    engine: Engine,
    store: list[Dossier],
    db_url: str,
    capsys: pytest.CaptureFixture[str],
    edit: Any,
) -> None:
    """`audit replay` and `audit replay --dossier` name the event as fold_failed, `audit verify`
    as hash_mismatch, and exit 1; `audit history` of that dossier says it cannot be replayed
    where the fold fails."""
    target = store[0]
    seq = tamper_scored(engine, target, edit)
    where = f"dossier {target.id} seq {seq}: fold_failed: "
    checks = {
        ("replay",): where,
        ("replay", "--dossier", str(target.id)): where,
        ("verify",): f"dossier {target.id} seq {seq}: hash_mismatch: ",
    }
    for args, expected in checks.items():
        capsys.readouterr()
        assert main(["--db", db_url, "audit", *args]) == 1, args
        captured = capsys.readouterr()
        assert expected in captured.out, args
        assert "Traceback" not in captured.err
    capsys.readouterr()
    status = main(["--db", db_url, "audit", "history", str(target.id)])
    captured = capsys.readouterr()
    if status == 1:
        assert f"ocop-cycle: dossier {target.id} cannot be replayed: {where}" in captured.err
    else:  # history shows what was recorded; only the replay recomputes the score
        assert edit in (PAYLOAD_EDITS["session_deleted"], PAYLOAD_EDITS["session_not_a_mapping"])
    assert "Traceback" not in captured.err


def test_cli_replay_of_one_dossier(
    engine: Engine, store: list[Dossier], db_url: str, capsys: pytest.CaptureFixture[str]
) -> None:
    """`audit replay --dossier` replays that dossier alone; an unknown id is a difference."""
    target = store[0]
    capsys.readouterr()
    assert main(["--db", db_url, "audit", "replay", "--dossier", str(target.id)]) == 0
    out = capsys.readouterr().out
    assert f"replayed {target.version} events into 1 dossiers, rechecked 1 scores: all equal" in out
    edit_projection(engine, target.id, certified_stars=5)
    assert main(["--db", db_url, "audit", "replay", "--dossier", str(target.id)]) == 1
    assert "projection_differs: certified_stars" in capsys.readouterr().out
    unknown = uuid4()
    assert main(["--db", db_url, "audit", "replay", "--dossier", str(unknown)]) == 1
    assert f"DIFFERS dossier {unknown}: dossier_unknown" in capsys.readouterr().out


# -- values that are not of their column's type (SQLite keeps anything) -------------------------


def _sqlite_only(url: str) -> None:
    if not url.startswith("sqlite"):
        pytest.skip("PostgreSQL refuses a value of another type than its column's")


@pytest.mark.parametrize(
    ("sql", "column"),
    [
        ("UPDATE ocop_events SET payload = 'not json' WHERE {where}", "payload"),
        ("UPDATE ocop_events SET occurred_at = 'yesterday' WHERE {where}", "occurred_at"),
        ("UPDATE ocop_events SET seq = 'two' WHERE {where}", "seq"),
    ],
)
def test_an_unreadable_event_value_is_a_break_named_where_it_is(
    db_url: str,
    engine: Engine,
    store: list[Dossier],
    capsys: pytest.CaptureFixture[str],
    sql: str,
    column: str,
) -> None:
    """A stored value that cannot be read as its column's type is reported with its dossier
    (and its seq when that can be read), and the walk goes on: never a crash of the audit."""
    _sqlite_only(db_url)
    target = store[0]
    where = f"dossier_id = '{target.id.hex}' AND seq = 2"
    tamper(engine, text(sql.format(where=where)))
    report = Auditor(engine).verify()
    unreadable = [b for b in report.breaks if b.problem == "row_unreadable"]
    assert len(unreadable) == 1
    assert unreadable[0].dossier_id == target.id
    assert column in unreadable[0].detail
    assert report.events == sum(d.version for d in store)  # every event was still walked
    status, out = verify_cli(db_url, capsys, "--dossier", str(target.id))
    assert status == 1
    assert f"dossier {target.id}" in out
    assert "row_unreadable" in out


def test_an_unreadable_projection_value_is_a_break(
    db_url: str, engine: Engine, store: list[Dossier], capsys: pytest.CaptureFixture[str]
) -> None:
    _sqlite_only(db_url)
    target = store[0]
    tamper(
        engine,
        text(f"UPDATE ocop_dossiers SET valid_until = 'not a date' WHERE id = '{target.id.hex}'"),
    )
    report = Auditor(engine).verify()
    assert [(b.dossier_id, b.problem) for b in report.breaks] == [
        (target.id, "projection_unreadable")
    ]
    assert "valid_until 'not a date'" in report.breaks[0].detail
    status, out = verify_cli(db_url, capsys)
    assert status == 1
    assert "projection_unreadable" in out


def test_an_id_respelled_in_upper_case_is_a_break(
    db_url: str, engine: Engine, store: list[Dossier], capsys: pytest.CaptureFixture[str]
) -> None:
    """Upper-casing a dossier's id in its events reads as the same UUID, yet the engine no longer
    finds those events by the id: the events are reported, and the projection left without."""
    _sqlite_only(db_url)
    target = store[0]
    tamper(
        engine,
        text(
            "UPDATE ocop_events SET dossier_id = upper(dossier_id) "
            f"WHERE dossier_id = '{target.id.hex}'"
        ),
    )
    report = Auditor(engine).verify()
    found = problems(report)
    assert found.count("row_unreadable") == target.version
    assert "events_missing" in found
    status, _ = verify_cli(db_url, capsys)
    assert status == 1


def test_an_export_with_lines_of_another_kind_is_reported_not_raised(tmp_path: Path) -> None:
    """A file that is not an export (a CSV, another JSON document) given to verify: each line
    is a break naming it, and the exit status says broken."""
    path = tmp_path / "not-an-export.jsonl"
    path.write_text('{"a": 1}\n{"event": {"seq": 1}}\nma,tinh\n', encoding="utf-8")
    report = verify_export(path)
    assert problems(report) == ["unreadable_line"] * 3 + ["export_incomplete"]
    assert [b.detail.split(":")[0] for b in report.breaks[:3]] == ["line 1", "line 2", "line 3"]
    assert main(["audit", "verify", "--from-export", str(path)]) == 1


def test_a_planted_lower_seq_is_reported_where_it_is_not_at_every_event_after(
    engine: Engine, store: list[Dossier]
) -> None:
    """One event planted with seq 0 before a certified dossier's chain: it is reported, and the
    genuine events after it are not all reported as duplicates."""
    first = store[0]
    with engine.sa_engine.connect() as conn:
        row = dict(
            conn.execute(select(events).where(events.c.dossier_id == first.id, events.c.seq == 1))
            .mappings()
            .one()
        )
    row.pop("id")
    tamper(engine, insert(events).values({**row, "seq": 0}))

    report = Auditor(engine).verify(first.id)

    seqs = [b.seq for b in report.breaks if b.problem.startswith("seq_")]
    assert seqs == [0]
    # The planted row, and its neighbour's link to it: nothing past the first genuine event.
    assert {b.seq for b in report.breaks} == {0, 1}


def test_a_payload_that_fails_its_model_is_reported_on_one_line(
    engine: Engine, store: list[Dossier]
) -> None:
    """Pydantic's multi-line text (and its help link) would break the one-line-per-break
    report: the failure names the field and what is wrong, on one line."""
    target = store[0]
    certified = next(e for e in engine.history(target.id) if e.type == "certified")
    wire = certified.payload.wire()
    tamper(
        engine,
        update(events).where(events.c.id == certified.id).values(payload={**wire, "stars": "many"}),
    )
    (failed,) = [b for b in Auditor(engine).verify().breaks if b.problem == "fold_failed"]
    assert "\n" not in failed.detail
    assert "stars" in failed.detail
    assert "errors.pydantic.dev" not in failed.detail


def test_a_dossier_asked_for_before_its_first_event_is_not_called_unknown(
    engine: Engine, store: list[Dossier]
) -> None:
    with pytest.raises(InvalidCommand, match="first event") as caught:
        Auditor(engine).history(store[0].id, as_of=datetime(2020, 1, 1, tzinfo=VN_TZ))
    assert caught.value.fields == ("as_of",)


def test_verifying_one_dossier_counts_the_checkpoints_it_checked(
    engine: Engine, store: list[Dossier]
) -> None:
    auditor = Auditor(engine)
    auditor.checkpoint()
    auditor.checkpoint()
    assert auditor.verify(store[0].id).checkpoints == 2


# -- an export's completeness and a checkpoint's counts ---------------------------------------


def export_lines(auditor: Auditor, tmp_path: Path) -> list[str]:
    """An export's lines, as written (the last one is its end line)."""
    path = tmp_path / "whole.jsonl"
    with path.open("w", encoding="utf-8") as out:
        auditor.export(out)
    return path.read_text(encoding="utf-8").splitlines(keepends=True)


def verify_lines(tmp_path: Path, lines: list[str], key: bytes | None = None) -> VerifyReport:
    path = tmp_path / "copy.jsonl"
    path.write_text("".join(lines), encoding="utf-8")
    return verify_export(path, key)


def test_an_export_cut_short_after_whole_events_is_broken(
    engine: Engine, store: list[Dossier], tmp_path: Path
) -> None:
    """A copy that stops after some whole events chains correctly up to there: only its end
    line can tell it is incomplete, and with it missing the export does not verify."""
    lines = export_lines(Auditor(engine), tmp_path)
    assert verify_lines(tmp_path, lines).intact
    assert problems(verify_lines(tmp_path, lines[:3])) == ["export_incomplete"]
    assert problems(verify_lines(tmp_path, [])) == ["export_incomplete"]


def test_an_export_missing_its_last_events_under_its_end_line_is_broken(
    engine: Engine, store: list[Dossier], tmp_path: Path
) -> None:
    """Dropping a chain's last event and keeping the end line: the counts and the hash of the
    lines both differ (the chains alone cannot see it)."""
    lines = export_lines(Auditor(engine), tmp_path)
    last_event = max(i for i, line in enumerate(lines) if line.startswith('{"event"'))
    doctored = lines[:last_event] + lines[last_event + 1 :]
    assert problems(verify_lines(tmp_path, doctored)) == [
        "export_counts_differ",
        "export_digest_mismatch",
    ]


def test_lines_after_an_exports_end_line_are_broken(
    engine: Engine, store: list[Dossier], tmp_path: Path
) -> None:
    """An event appended after the end line is reported where it is, not taken in."""
    lines = export_lines(Auditor(engine), tmp_path)
    report = verify_lines(tmp_path, [*lines, lines[0]])
    assert problems(report) == ["export_after_end"]
    assert f"line {len(lines) + 1}" in report.breaks[0].detail


def test_an_export_whose_line_endings_changed_still_verifies(
    engine: Engine, store: list[Dossier], tmp_path: Path
) -> None:
    """A copy moved through a system that writes CRLF line endings is the same export."""
    lines = export_lines(Auditor(engine), tmp_path)
    path = tmp_path / "crlf.jsonl"
    path.write_bytes("".join(lines).replace("\n", "\r\n").encode("utf-8"))
    assert verify_export(path).intact


def test_an_export_with_the_stores_key_needs_it_to_vouch_for_its_end(
    db_url: str, clock: SettableClock, tmp_path: Path
) -> None:
    """With a keyed store, the end line's hash is keyed: a forger who drops events and
    recomputes a plain hash is caught, and verifying without the key says the key is needed."""
    key = b"k" * 32
    with Engine.open(db_url, clock=clock, hmac_key=key) as engine:
        Walk(engine, clock).certified(name="Sản phẩm có khóa")
        lines = export_lines(Auditor(engine, key), tmp_path)
    assert verify_lines(tmp_path, lines, key).intact
    end = json.loads(lines[-1])["end"]
    assert end["keyed"] is True
    forged = lines[1:-1]  # the first event dropped (the chain then breaks too)
    digest = hashlib.sha256("".join(forged).encode("utf-8")).hexdigest()
    end.update(events=end["events"] - 1, keyed=False, digest=digest)
    report = verify_lines(tmp_path, [*forged, json.dumps({"end": end}) + "\n"], key)
    assert "export_digest_mismatch" in problems(report)
    unkeyed = verify_lines(tmp_path, lines)
    assert any(
        b.problem == "export_digest_mismatch" and "with the store's key" in b.detail
        for b in unkeyed.breaks
    )


def test_a_checkpoints_edited_counts_are_reported(
    engine: Engine, store: list[Dossier], tmp_path: Path
) -> None:
    """The root covers the heads, not the counts stored beside them: counts edited to claim
    more (or fewer) chains and events than the heads give are a break, in the database and in
    an export made of it."""
    auditor = Auditor(engine)
    cp = auditor.checkpoint()
    tamper(
        engine,
        update(checkpoints)
        .where(checkpoints.c.id == cp.id)
        .values(dossier_count=cp.dossier_count + 1, event_count=cp.event_count + 5),
    )
    report = auditor.verify()
    assert problems(report) == ["checkpoint_counts_altered"]
    assert f"{cp.dossier_count + 1} chains and {cp.event_count + 5} events" in (
        report.breaks[0].detail
    )
    assert problems(verify_lines(tmp_path, export_lines(auditor, tmp_path))) == [
        "checkpoint_counts_altered"
    ]


def test_an_export_that_is_not_utf8_is_reported_not_raised(tmp_path: Path) -> None:
    """A binary file (or one saved in another encoding) given as an export: each such line is
    a break, and the exit status says broken."""
    path = tmp_path / "binary.jsonl"
    path.write_bytes(b"\xff\xfe{\x00}\n" + "Xã Tân Dĩnh\n".encode("cp1258", errors="replace"))
    report = verify_export(path)
    assert problems(report) == ["unreadable_line", "unreadable_line", "export_incomplete"]
    assert main(["audit", "verify", "--from-export", str(path)]) == 1


# -- the deadline queue -----------------------------------------------------------------------


def test_a_deleted_deadline_is_reported_where_its_event_planned_it(
    engine: Engine, store: list[Dossier], db_url: str, capsys: pytest.CaptureFixture[str]
) -> None:
    """Deleting a certificate's pending expiry (so it would never lapse) leaves every chain and
    projection intact: the audit replans what each event planned and finds it missing."""
    certified = store[0]
    tamper(
        engine,
        delete(deadlines).where(
            deadlines.c.dossier_id == certified.id, deadlines.c.kind == "expiry"
        ),
    )
    report = Auditor(engine).verify()
    assert problems(report) == ["deadline_missing"]
    found = report.breaks[0]
    assert (found.dossier_id, found.seq) == (certified.id, certified.version)
    assert "expiry due" in found.detail
    assert "planned by certified" in found.detail
    assert problems(Auditor(engine).verify(certified.id)) == ["deadline_missing"]
    status, out = verify_cli(db_url, capsys)
    assert status == 1
    assert "deadline_missing" in out


def test_a_deadline_marked_done_before_it_was_due_is_reported(
    engine: Engine, store: list[Dossier]
) -> None:
    """Marking a pending expiry done (the sweep would then pass it by) is a break: the sweep
    settles a deadline only once it is due."""
    certified = store[1]
    tamper(
        engine,
        update(deadlines)
        .where(deadlines.c.dossier_id == certified.id, deadlines.c.kind == "expiry")
        .values(status="done", applied_at=deadlines.c.created_at, outcome="expire -> expired"),
    )
    report = Auditor(engine).verify()
    assert problems(report) == ["deadline_settled_early"]
    assert report.breaks[0].dossier_id == certified.id


def test_deadlines_settled_by_the_sweep_verify(
    engine: Engine, clock: SettableClock, store: list[Dossier]
) -> None:
    """A store swept past its certificates' expiry (deadlines done, skipped, moot) verifies:
    nothing the engine itself did is reported."""
    expires = max(d.valid_until for d in store if d.valid_until is not None)
    Sweeper(engine).sweep(
        now=datetime.combine(expires, datetime.min.time(), VN_TZ).replace(year=expires.year + 1)
    )
    assert Auditor(engine).verify().intact


# -- the outbox -------------------------------------------------------------------------------


def test_a_notice_deleted_edited_or_planted_in_the_outbox_is_reported(
    engine: Engine, store: list[Dossier], db_url: str, capsys: pytest.CaptureFixture[str]
) -> None:
    """The outbox is what reaches people: a certification's notice deleted (the producer never
    hears), another's message edited (it misleads), a notice planted that no event owed: each
    is a break where it is, though every chain and projection is intact."""
    first, second, _ = store
    with engine.sa_engine.connect() as conn:
        rows = conn.execute(
            select(outbox.c.id, outbox.c.dossier_id, outbox.c.kind).order_by(outbox.c.id)
        ).all()
    deleted = next(r for r in rows if r.dossier_id == first.id and r.kind == "certified")
    edited = next(r for r in rows if r.dossier_id == second.id and r.kind == "certified")
    planted = {
        "notification_id": uuid4(),
        "dossier_id": second.id,
        "seq": 1,
        "kind": "certified",
        "recipient_role": "producer",
        "recipient_jurisdiction": second.commune_code,
        "message_vi": "Sản phẩm được công nhận 5 sao.",
        "data": {},
        "created_at": datetime(2024, 6, 1, 9, tzinfo=VN_TZ),
    }
    tamper(
        engine,
        delete(outbox).where(outbox.c.id == deleted.id),
        update(outbox)
        .where(outbox.c.id == edited.id)
        .values(message_vi="Sản phẩm được công nhận 5 sao."),
        insert(outbox).values(planted),
    )
    report = Auditor(engine).verify()
    assert sorted(problems(report)) == ["notice_altered", "notice_missing", "notice_unowed"]
    where = {b.problem: b.dossier_id for b in report.breaks}
    assert where == {
        "notice_missing": first.id,
        "notice_altered": second.id,
        "notice_unowed": second.id,
    }
    status, out = verify_cli(db_url, capsys)
    assert status == 1
    assert "notice_altered: message_vi" in out


def test_chains_only_leaves_the_queue_and_outbox_out(
    engine: Engine, store: list[Dossier], db_url: str, capsys: pytest.CaptureFixture[str]
) -> None:
    """`audit verify --chains-only` (``derived=False``) checks chains, projections and
    checkpoints only: a deleted expiry and outbox row are not its to find; the default is."""
    certified = store[0]
    tamper(
        engine,
        delete(deadlines).where(deadlines.c.dossier_id == certified.id),
        delete(outbox).where(outbox.c.dossier_id == certified.id),
    )
    assert Auditor(engine).verify(derived=False).intact
    assert verify_cli(db_url, capsys, "--chains-only")[0] == 0
    assert {"deadline_missing", "notice_missing"} <= set(problems(Auditor(engine).verify()))
    assert verify_cli(db_url, capsys)[0] == 1
