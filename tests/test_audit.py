"""Auditing: every kind of tampering is detected and located; replay, as-of, export, upcasting."""

from __future__ import annotations

import json
from datetime import timedelta
from pathlib import Path
from typing import Any
from uuid import UUID

import pytest
from sqlalchemy import delete, insert, select, update

from ocop_cycle import Dossier, Engine, Role, SettableClock
from ocop_cycle._storage.schema import dossiers, events
from ocop_cycle._storage.store import dossier_row
from ocop_cycle.audit.auditor import Auditor
from ocop_cycle.audit.offline import verify_export
from ocop_cycle.audit.verify import row_hash
from ocop_cycle.workflows.events import Event
from ocop_cycle.workflows.upcast import upcast_payload
from tests.scenario import Walk, tamper

KEY = b"so-bi-mat-cua-so-nong-nghiep"


@pytest.fixture
def store(engine: Engine, clock: SettableClock) -> list[Dossier]:
    """Three certified dossiers and one just registered."""
    walk = Walk(engine, clock)
    made = [walk.certified(name=f"Sản phẩm {i}") for i in range(3)]
    made.append(walk.register("Sản phẩm mới"))
    assert Auditor(engine).verify().intact
    return made


def event_id(engine: Engine, dossier_id: UUID, seq: int) -> int:
    with engine.sa_engine.connect() as conn:
        return int(
            conn.execute(
                select(events.c.id).where(events.c.dossier_id == dossier_id, events.c.seq == seq)
            ).scalar_one()
        )


def located(report: Any, dossier_id: UUID, seq: int | None = None) -> bool:
    return any(b.dossier_id == dossier_id and (seq is None or b.seq == seq) for b in report.breaks)


ALTERED: dict[str, Any] = {
    "type": "certified",
    "schema_version": 9,
    "payload": {"note": "sửa đổi"},
    "actor_role": "ministry",
    "actor_jurisdiction": "VN",
    "actor_id": "kẻ giả mạo",
    "actor_name": "Ai đó",
    "profile_id": "qd1489-2025",
    "prev_hash": "f" * 64,
    "hash": "e" * 64,
}


@pytest.mark.parametrize("column", [*ALTERED, "occurred_at", "recorded_at", "seq", "dossier_id"])
def test_any_changed_field_is_detected_and_located(
    engine: Engine, store: list[Dossier], column: str
) -> None:
    """Changing one field of one event breaks verification at that dossier."""
    target = store[1]
    eid = event_id(engine, target.id, 3)
    if column in ALTERED:
        value = ALTERED[column]
    elif column in {"occurred_at", "recorded_at"}:
        with engine.sa_engine.connect() as conn:
            value = conn.execute(select(events.c[column]).where(events.c.id == eid)).scalar_one()
        value += timedelta(seconds=1)
    elif column == "seq":
        value = 99
    else:
        value = store[3].id
    tamper(engine, update(events).where(events.c.id == eid).values({column: value}))
    report = Auditor(engine).verify()
    assert not report.intact
    assert located(report, target.id)


def test_deleted_event_is_a_gap(engine: Engine, store: list[Dossier]) -> None:
    """Deleting an event in the middle of a chain is reported at the next seq."""
    target = store[0]
    tamper(engine, delete(events).where(events.c.id == event_id(engine, target.id, 3)))
    report = Auditor(engine).verify()
    assert {b.problem for b in report.breaks if b.dossier_id == target.id} >= {"seq_gap"}
    assert located(report, target.id, 4)


def test_deleted_last_events_are_detected(engine: Engine, store: list[Dossier]) -> None:
    """Deleting a dossier's last events leaves its projection ahead of its chain; with the
    projection rewound too, the checkpoint still remembers them."""
    target = store[2]
    auditor = Auditor(engine)
    auditor.checkpoint()
    tamper(engine, delete(events).where(events.c.dossier_id == target.id, events.c.seq >= 4))
    report = auditor.verify()
    assert "projection_head_mismatch" in {b.problem for b in report.breaks}
    # A careful forger rewinds the whole projection to what the remaining events give.
    rewound = dossier_row(engine.replay(target.id))
    assert rewound["version"] == 3
    tamper(engine, update(dossiers).where(dossiers.c.id == target.id).values(rewound))
    report = auditor.verify()
    # The checkpoint remembers the last event; the queue and the outbox still hold the
    # deadlines and notices the deleted events planned and owed (what the forger would also
    # have to find and delete).
    assert sorted({b.problem for b in report.breaks}) == [
        "checkpointed_event_missing",
        "deadline_unplanned",
        "notice_unowed",
    ]
    assert located(report, target.id, target.version)


def test_deleted_dossier_is_detected(engine: Engine, store: list[Dossier]) -> None:
    """Deleting a whole dossier (events and projection) is caught by the checkpoint, and by
    the deadlines its events planned, left in the queue."""
    target = store[3]
    auditor = Auditor(engine)
    auditor.checkpoint()
    tamper(engine, delete(events).where(events.c.dossier_id == target.id))
    tamper(engine, delete(dossiers).where(dossiers.c.id == target.id))
    report = auditor.verify()
    assert [b.problem for b in report.breaks] == [
        "deadline_unplanned",
        "checkpointed_event_missing",
    ]
    assert {b.dossier_id for b in report.breaks} == {target.id}
    assert located(report, target.id, 1)


def test_forged_event_in_the_middle_is_detected(engine: Engine, store: list[Dossier]) -> None:
    """An event slipped in between two others (later ones renumbered) breaks the chain."""
    target = store[0]
    with engine.sa_engine.begin() as conn:
        for seq in range(target.version, 2, -1):
            conn.execute(
                update(events)
                .where(events.c.dossier_id == target.id, events.c.seq == seq)
                .values(seq=seq + 1)
            )
        before = (
            conn.execute(select(events).where(events.c.dossier_id == target.id, events.c.seq == 2))
            .mappings()
            .one()
        )
        forged = {k: before[k] for k in before if k != "id"}
        forged.update(seq=3, type="rejected", payload={"grounds": "giả"}, prev_hash=before["hash"])
        conn.execute(insert(events).values(**forged))
    report = Auditor(engine).verify()
    assert located(report, target.id, 3)
    assert located(report, target.id, 4)


def test_swapped_events_are_detected(engine: Engine, store: list[Dossier]) -> None:
    """Two events exchanging places break the chain at both."""
    target = store[1]
    a, b = event_id(engine, target.id, 2), event_id(engine, target.id, 3)
    with engine.sa_engine.begin() as conn:
        conn.execute(update(events).where(events.c.id == a).values(seq=-1))
        conn.execute(update(events).where(events.c.id == b).values(seq=2))
        conn.execute(update(events).where(events.c.id == a).values(seq=3))
    report = Auditor(engine).verify()
    assert located(report, target.id, 2)
    assert located(report, target.id, 3)


def test_hmac_key_defeats_recomputed_hashes(db_url: str, clock: SettableClock) -> None:
    """With a key, someone who edits an event and recomputes plain SHA-256 hashes is caught."""
    with Engine.open(db_url, clock=clock, hmac_key=KEY) as engine:
        d = Walk(engine, clock).certified()
        assert Auditor(engine, KEY).verify().intact
        assert not Auditor(engine).verify().intact  # keyed chains do not verify without the key
        eid = event_id(engine, d.id, d.version)
        with engine.sa_engine.begin() as conn:
            row = dict(conn.execute(select(events).where(events.c.id == eid)).mappings().one())
            row["payload"] = {**row["payload"], "stars": 5}
            forged_hash = row_hash(row, None)  # plain SHA-256: the forger has no key
            conn.execute(
                update(events)
                .where(events.c.id == eid)
                .values(payload=row["payload"], hash=forged_hash)
            )
            # The forger keeps the projection consistent with the forged event, too.
            conn.execute(
                update(dossiers)
                .where(dossiers.c.id == d.id)
                .values(last_hash=forged_hash, certified_stars=5)
            )
        report = Auditor(engine, KEY).verify()
        # The hash, and the certification's notice the forged event would have owed (5★, not
        # the stars the producer was told): both at the forged event.
        assert [(b.problem, b.seq) for b in report.breaks] == [
            ("hash_mismatch", d.version),
            ("notice_altered", d.version),
        ]


def test_export_then_offline_verify(engine: Engine, store: list[Dossier], tmp_path: Path) -> None:
    """An export verifies with no database; a modified export fails and says where."""
    auditor = Auditor(engine)
    auditor.checkpoint()
    path = tmp_path / "export.jsonl"
    with path.open("w", encoding="utf-8") as out:
        count = auditor.export(out)
    assert count == sum(d.version for d in store)
    assert verify_export(path).intact
    lines = path.read_text(encoding="utf-8").splitlines()
    doc = json.loads(lines[5])
    doc["event"]["payload"]["note"] = "sửa"
    lines[5] = json.dumps(doc, ensure_ascii=False)
    path.write_text("\n".join(lines) + "\n", encoding="utf-8")
    report = verify_export(path)
    assert [(str(b.dossier_id), b.seq, b.problem) for b in report.breaks][:1] == [
        (doc["event"]["dossier_id"], doc["event"]["seq"], "hash_mismatch")
    ]


def test_csv_export(engine: Engine, store: list[Dossier], tmp_path: Path) -> None:
    """CSV export: a header and one line per event."""
    path = tmp_path / "export.csv"
    with path.open("w", encoding="utf-8", newline="") as out:
        Auditor(engine).export(out, "csv")
    rows = path.read_text(encoding="utf-8").splitlines()
    assert rows[0].startswith("id,dossier_id,seq,type")
    assert len(rows) == 1 + sum(d.version for d in store)


def test_replay_matches_and_finds_differences(engine: Engine, store: list[Dossier]) -> None:
    """Whole-store replay equals the projections and recomputes every score; an edited
    projection is reported with the field that differs."""
    auditor = Auditor(engine)
    report = auditor.replay()
    assert report.intact
    assert (report.dossiers, report.scores_checked) == (4, 3)
    tamper(engine, update(dossiers).where(dossiers.c.id == store[0].id).values(certified_stars=5))
    report = auditor.replay()
    assert [(b.dossier_id, b.problem, b.detail) for b in report.mismatches] == [
        (store[0].id, "projection_differs", "certified_stars")
    ]


def test_recorded_score_is_recomputed_from_sheets(engine: Engine, store: list[Dossier]) -> None:
    """A recorded mean that the members' sheets do not give is reported."""
    target = store[2]
    scored = next(e for e in Engine.history(engine, target.id) if e.type == "scored")
    payload = {**scored.payload.wire(), "total": "99.00"}
    tamper(engine, update(events).where(events.c.id == scored.id).values(payload=payload))
    report = Auditor(engine).replay()
    assert ("score_differs", target.id) in {(b.problem, b.dossier_id) for b in report.mismatches}


def test_as_of_and_known_at(engine: Engine, clock: SettableClock) -> None:
    """A decision signed on one date and entered a week later: as of the signing date the
    dossier is certified; as the system knew it on that date, it was not yet."""
    walk = Walk(engine, clock)
    d = walk.entry_scored([60, 61, 62])
    signed = clock.now()
    clock.advance(timedelta(days=7))
    engine.certify(
        d.id,
        actor=walk.actor(Role.DISTRICT_COMMITTEE),
        occurred_at=signed,
        **walk.decision(on=signed.date()),
    )
    auditor = Auditor(engine)
    assert auditor.history(d.id, as_of=signed)[0].state == "certified"
    assert auditor.history(d.id, known_at=signed + timedelta(days=1))[0].state == "district_scored"
    assert auditor.history(d.id, upto_seq=2)[0].state == "commune_verified"


def test_round_assigned_v1_is_upcast() -> None:
    """A round_assigned event stored at schema v1 (before carried_from existed) reads as v2."""
    stored = {
        "dossier_id": "8d0c4a47-1c0e-4bd4-9c55-6a6f3a0b1f10",
        "seq": 3,
        "type": "round_assigned",
        "schema_version": 1,
        "payload": {"round_id": "1f0e3c2b-2d4a-4f4e-8a57-3c1b9d9e7a11"},
        "actor": {"role": "district_office", "jurisdiction": "217", "id": None, "name": None},
        "profile_id": "qd148-2023",
        "occurred_at": "2024-05-02T09:00:00.000000+07:00",
        "recorded_at": "2024-05-02T09:00:00.000000+07:00",
        "prev_hash": "a" * 64,
        "hash": "b" * 64,
    }
    version, payload = upcast_payload("round_assigned", 1, stored["payload"])
    event = Event.model_validate({**stored, "schema_version": version, "payload": payload})
    assert event.schema_version == 2
    assert event.payload.wire() == {
        "round_id": "1f0e3c2b-2d4a-4f4e-8a57-3c1b9d9e7a11",
        "carried_from": None,
    }


@pytest.mark.parametrize(
    ("event_type", "payload", "state"),
    [
        ("resubmitted", {"note": ""}, "registered"),
        ("scored", {"level": "province"}, "province_scored"),
        ("forwarded", {"from_level": "district", "to_level": "central"}, "forwarded_central"),
        ("superseded", {"successor_id": "1f0e3c2b-2d4a-4f4e-8a57-3c1b9d9e7a11"}, "renewed"),
    ],
)
def test_v1_events_read_with_the_state_they_led_to(
    event_type: str, payload: dict[str, object], state: str
) -> None:
    """Events written before they carried their resulting state get it from the upcaster."""
    version, upcast = upcast_payload(event_type, 1, payload)
    assert version == 2
    assert upcast == {**payload, "state": state}
