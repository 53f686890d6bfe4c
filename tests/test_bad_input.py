"""Bad input is refused with a typed error naming the field; nothing is written."""

from __future__ import annotations

import unicodedata
from datetime import date, datetime, timedelta, timezone
from typing import Any

import pytest
from pydantic import ValidationError

from ocop_cycle import (
    Actor,
    CouncilSession,
    Engine,
    InvalidCommand,
    MemberSheet,
    RegisterDossier,
    Role,
    SettableClock,
    SqliteSettings,
    Sweeper,
)
from ocop_cycle.jobs.simulation import run_until
from ocop_cycle.workflows.events import Registered
from tests.scenario import Walk, refuses


def invalid(engine: Engine, call: Any) -> InvalidCommand:
    error = refuses(engine, InvalidCommand, call)
    assert isinstance(error, ValueError)
    return error


def _session(walk: Walk, d: Any, edit: Any) -> CouncilSession:
    good = walk.session(d, [60, 60, 60])
    return CouncilSession(**edit(good.model_dump()))


def test_unknown_criterion(engine: Engine, clock: SettableClock) -> None:
    """A criterion the sheet does not have is named with its path."""
    walk = Walk(engine, clock)
    d = walk.in_round()

    def edit(s: dict[str, Any]) -> dict[str, Any]:
        s["sheets"][0]["levels"]["Z9"] = "a"
        return s

    err = invalid(
        engine,
        lambda: engine.score(
            d.id, actor=walk.actor(Role.DISTRICT_COUNCIL), session=_session(walk, d, edit)
        ),
    )
    assert err.fields == ("session.sheets.0.levels.Z9",)


def test_level_not_in_sheet(engine: Engine, clock: SettableClock) -> None:
    """A level code the criterion does not have is named."""
    walk = Walk(engine, clock)
    d = walk.in_round()

    def edit(s: dict[str, Any]) -> dict[str, Any]:
        s["sheets"][1]["levels"]["A1"] = "z"
        return s

    err = invalid(
        engine,
        lambda: engine.score(
            d.id, actor=walk.actor(Role.DISTRICT_COUNCIL), session=_session(walk, d, edit)
        ),
    )
    assert err.fields == ("session.sheets.1.levels.A1",)


def test_missing_member_sheets(engine: Engine, clock: SettableClock) -> None:
    """A present member without a sheet, and a sheet missing criteria, are both named."""
    walk = Walk(engine, clock)
    d = walk.in_round()

    def edit(s: dict[str, Any]) -> dict[str, Any]:
        s["sheets"] = s["sheets"][:2]
        del s["sheets"][0]["levels"]["C6"]
        return s

    err = invalid(
        engine,
        lambda: engine.score(
            d.id, actor=walk.actor(Role.DISTRICT_COUNCIL), session=_session(walk, d, edit)
        ),
    )
    assert err.fields == ("session.sheets.0.levels", "session.sheets")
    assert "Thành viên 3" in str(err)


def test_quorum_and_spread(engine: Engine, clock: SettableClock) -> None:
    """Too few members present, or totals more than 10 apart, is not a valid session."""
    walk = Walk(engine, clock)
    d = walk.in_round()
    profile = engine.rules.profile(d.profile_id)
    sheet = engine.rules.sheet(profile.id, "eggs")
    from ocop_cycle.testing import session_for

    thin = session_for(sheet, profile, [60, 60, 60], council_size=7)
    err = invalid(
        engine, lambda: engine.score(d.id, actor=walk.actor(Role.DISTRICT_COUNCIL), session=thin)
    )
    assert err.fields == ("session.present",)
    wide = session_for(sheet, profile, [55, 60, 66])
    err = invalid(
        engine, lambda: engine.score(d.id, actor=walk.actor(Role.DISTRICT_COUNCIL), session=wide)
    )
    assert "re-score" in str(err)


def test_product_set_not_in_group(engine: Engine, clock: SettableClock) -> None:
    """Honey is not a beverage."""
    walk = Walk(engine, clock)
    err = invalid(
        engine,
        lambda: walk.register(
            product={"name": "Mật ong", "group": "beverages", "product_set": "honey"}
        ),
    )
    assert err.fields == ("product.product_set",)


def test_naive_datetime(engine: Engine, clock: SettableClock) -> None:
    """A datetime without a time zone is refused, not guessed."""
    walk = Walk(engine, clock)
    err = invalid(engine, lambda: walk.register(occurred_at=datetime(2023, 2, 28, 9, 0)))
    assert err.fields == ("occurred_at",)


def test_future_occurrence(engine: Engine, clock: SettableClock) -> None:
    """Nothing is recorded as having happened after now."""
    walk = Walk(engine, clock)
    err = invalid(engine, lambda: walk.register(occurred_at=walk.later(days=0).replace(year=2030)))
    assert err.fields == ("occurred_at",)


@pytest.mark.parametrize("blank", ["", "   ", "\t\n"])
def test_empty_names(engine: Engine, clock: SettableClock, blank: str) -> None:
    """An empty producer or product name is named as the bad field."""
    walk = Walk(engine, clock)
    err = invalid(
        engine,
        lambda: walk.register(
            producer={"name": blank, "kind": "cooperative"},
            product={"name": blank, "group": "food", "product_set": "eggs"},
        ),
    )
    assert err.fields == ("producer.name", "product.name")


def test_missing_district_under_qd148(engine: Engine, clock: SettableClock) -> None:
    """Under a profile with a district tier the district code is required."""
    walk = Walk(engine, clock)
    err = invalid(engine, lambda: walk.register(district_code=None))
    assert err.fields == ("district_code",)


def test_bad_jurisdiction_code(engine: Engine, clock: SettableClock) -> None:
    """A commune code must be an official five-digit code."""
    walk = Walk(engine, clock)
    err = invalid(engine, lambda: walk.register(commune_code="Xương Lâm"))
    assert err.fields == ("commune_code",)


def test_vietnamese_text_is_nfc(engine: Engine, clock: SettableClock) -> None:
    """Names typed in decomposed form (NFD) are stored in NFC, so one name is one name."""
    walk = Walk(engine, clock)
    nfd = unicodedata.normalize("NFD", "Hội Nuôi ong xã Nghĩa Hoà")
    assert nfd != unicodedata.normalize("NFC", nfd)
    d = walk.register(
        producer={"name": nfd, "kind": "association"},
        product={
            "name": unicodedata.normalize("NFD", "Mật ong Nghĩa Hoà"),
            "group": "food",
            "product_set": "honey",
        },
    )
    assert d.producer_name == "Hội Nuôi ong xã Nghĩa Hoà"
    assert unicodedata.is_normalized("NFC", d.product_name)
    again = walk.register(
        producer={"name": "Hội Nuôi ong xã Nghĩa Hoà", "kind": "association"},
        product={"name": "Mật ong Nghĩa Hoà 2", "group": "food", "product_set": "honey"},
    )
    assert again.producer_id == d.producer_id


def test_member_sheet_model_refuses_empty_member() -> None:
    """Council sheets need a member name."""
    with pytest.raises(InvalidCommand):
        MemberSheet(member=" ", levels={})


@pytest.mark.parametrize(
    ("fields", "bad"),
    [
        ({"role": "mayor", "jurisdiction": "24"}, "role"),
        ({"role": "producer", "jurisdiction": "Bắc Giang"}, "jurisdiction"),
        ({"role": "producer", "jurisdiction": "2401"}, "jurisdiction"),
        ({"role": "producer", "jurisdiction": "07426", "id": "  "}, "id"),
        ({"role": "producer", "jurisdiction": "07426", "jurisdicton": "24"}, "jurisdicton"),
        ({"jurisdiction": "24"}, "role"),
    ],
)
def test_bad_actor_is_an_invalid_command(fields: dict[str, Any], bad: str) -> None:
    """An actor with an unknown role, a malformed code or an unknown field names that field."""
    with pytest.raises(InvalidCommand) as caught:
        Actor(**fields)
    assert caught.value.fields == (bad,)
    assert caught.value.command == "Actor"


def test_actor_stays_a_frozen_hashable_value() -> None:
    """A valid actor is frozen, hashable, equal by value and prints as role@code#id."""
    actor = Actor(role=Role.PRODUCER, jurisdiction=" 07426 ", id="p-1")
    assert actor == Actor(role="producer", jurisdiction="07426", id="p-1")
    assert len({actor, Actor(role="producer", jurisdiction="07426", id="p-1")}) == 1
    assert str(actor) == "producer@07426#p-1"
    assert str(Actor.system()) == "system@VN#scheduler"
    with pytest.raises(ValidationError):
        actor.role = Role.MINISTRY  # type: ignore[misc]


CONTROL_CHARACTERS = ["\x00", "\x07", "\x1b", "\x1f", "\x7f", "\x85", "\ud800"]


@pytest.mark.parametrize("char", CONTROL_CHARACTERS, ids=lambda c: f"U+{ord(c):04X}")
def test_control_character_in_a_name(engine: Engine, clock: SettableClock, char: str) -> None:
    """A NUL or other control character in a name is refused on every backend, naming it."""
    walk = Walk(engine, clock)
    err = invalid(
        engine, lambda: walk.register(producer={"name": f"A{char}B", "kind": "cooperative"})
    )
    assert err.fields == ("producer.name",)
    assert f"U+{ord(char):04X}" in str(err)


@pytest.mark.parametrize("char", CONTROL_CHARACTERS, ids=lambda c: f"U+{ord(c):04X}")
def test_control_character_in_free_text(engine: Engine, clock: SettableClock, char: str) -> None:
    """Free text refuses the same characters: the address, a note, nothing written."""
    walk = Walk(engine, clock)
    err = invalid(
        engine,
        lambda: walk.register(
            producer={"name": "HTX", "kind": "cooperative", "address": f"thôn{char}Chùa"},
            note=f"x{char}",
        ),
    )
    assert err.fields == ("producer.address", "note")


def test_command_model_refuses_nul() -> None:
    """Building the command itself refuses NUL, before any engine sees it."""
    with pytest.raises(InvalidCommand) as caught:
        RegisterDossier(
            producer={"name": "A\x00B", "kind": "cooperative"},
            product={"name": "Trứng gà", "group": "food", "product_set": "eggs"},
            commune_code="07426",
            district_code="217",
            province_code="24",
        )
    assert caught.value.fields == ("producer.name",)


def test_control_character_in_a_transition(engine: Engine, clock: SettableClock) -> None:
    """A NUL in a later command's text (rejection grounds) leaves the dossier as it was."""
    walk = Walk(engine, clock)
    d = walk.register()
    err = invalid(
        engine,
        lambda: engine.reject(
            d.id, actor=walk.actor(Role.COMMUNE_COMMITTEE), grounds="thiếu\x00 hồ sơ"
        ),
    )
    assert err.fields == ("grounds",)
    assert engine.get(d.id) == d


def test_free_text_keeps_line_breaks_and_names_collapse_them(
    engine: Engine, clock: SettableClock
) -> None:
    """Tabs and line breaks stay in free text; in a name they collapse to one space."""
    walk = Walk(engine, clock)
    d = walk.register(
        producer={"name": "HTX\tHồ\r\nCao", "kind": "cooperative", "address": "thôn 1\nxã 2"},
        note="dòng 1\r\n\tdòng 2",
    )
    assert d.producer_name == "HTX Hồ Cao"
    payload = engine.history(d.id)[0].payload
    assert isinstance(payload, Registered)
    assert payload.note == "dòng 1\r\n\tdòng 2"


@pytest.mark.parametrize("char", CONTROL_CHARACTERS, ids=lambda c: f"U+{ord(c):04X}")
@pytest.mark.parametrize("field", ["name", "id"])
def test_control_character_in_the_actor(
    engine: Engine, clock: SettableClock, field: str, char: str
) -> None:
    """An actor whose name or id holds NUL or another control character is refused with a typed
    error naming the field, on every backend (PostgreSQL cannot store NUL; SQLite would keep it);
    nothing is written, for a creation and for a transition."""
    walk = Walk(engine, clock)
    d = walk.register()

    def actor() -> Actor:
        fields = {"id": "officer-1", "name": "Nguyễn Văn A", field: f"A{char}B"}
        return Actor(role=Role.COMMUNE_OFFICER, jurisdiction="07426", **fields)

    err = invalid(engine, lambda: walk.engine.register(actor=actor(), **_register_fields(walk)))
    assert (err.command, err.fields) == ("Actor", (field,))
    assert f"U+{ord(char):04X}" in str(err)
    err = invalid(
        engine, lambda: engine.return_for_supplement(d.id, actor=actor(), guidance="Bổ sung")
    )
    assert err.fields == (field,)
    assert engine.get(d.id) == d


@pytest.mark.parametrize(("field", "limit"), [("name", 300), ("id", 200)])
def test_over_long_actor_is_refused(
    engine: Engine, clock: SettableClock, field: str, limit: int
) -> None:
    """An actor name or id longer than the event log keeps is refused the same on SQLite and
    PostgreSQL (whose column would fail the write); at the limit it is written as given."""
    walk = Walk(engine, clock)
    d = walk.register()

    def actor(length: int) -> Actor:
        return Actor(role=Role.COMMUNE_OFFICER, jurisdiction="07426", **{field: "x" * length})

    err = invalid(
        engine,
        lambda: engine.return_for_supplement(d.id, actor=actor(limit + 1), guidance="Bổ sung"),
    )
    assert err.fields == (field,)
    returned = engine.return_for_supplement(d.id, actor=actor(limit), guidance="Bổ sung")
    assert getattr(engine.history(returned.id)[-1].actor, field) == "x" * limit


def _register_fields(walk: Walk) -> dict[str, Any]:
    return {
        "producer": {"name": "Hợp tác xã Hồ Hồ Cao", "kind": "cooperative"},
        "product": {"name": "Trứng gà", "group": walk.group, "product_set": walk.product_set},
        "commune_code": walk.place.commune,
        "district_code": walk.place.district,
        "province_code": walk.place.province,
    }


@pytest.mark.parametrize("key", ["plan:2024\x00:1", "plan\x07", "\x9b", "   ", "\t"])
def test_an_idempotency_key_with_a_control_character_is_refused(
    engine: Engine, clock: SettableClock, key: str
) -> None:
    """PostgreSQL cannot store a NUL: a key holding one (or another control character) is
    refused alike on both databases, naming the field, with nothing written; so is a blank key
    (every blank key would otherwise be one and the same key)."""
    walk = Walk(engine, clock)
    d = walk.register()
    err = refuses(
        engine,
        InvalidCommand,
        lambda: engine.verify_commune(
            d.id, actor=walk.actor(Role.COMMUNE_COMMITTEE), idempotency_key=key
        ),
    )
    assert [p.field for p in err.problems] == ["idempotency_key"]


def test_a_command_dated_before_the_dossier_existed_is_refused(
    engine: Engine, clock: SettableClock
) -> None:
    """A verification dated two months before the registration (a typo in the year or month):
    refused naming ``occurred_at``, with nothing written; the same command dated after the
    registration goes through."""
    walk = Walk(engine, clock)
    d = walk.register()
    committee = walk.actor(Role.COMMUNE_COMMITTEE)
    early = d.registered_at - timedelta(days=60)
    err = refuses(
        engine,
        InvalidCommand,
        lambda: engine.verify_commune(d.id, actor=committee, occurred_at=early),
    )
    assert [p.field for p in err.problems] == ["occurred_at"]
    assert engine.verify_commune(d.id, actor=committee, occurred_at=d.registered_at).version == 2


_EDGE = timezone(timedelta(hours=14))
_OFFICER = Actor(role=Role.COMMUNE_OFFICER, jurisdiction="07426")


@pytest.mark.parametrize(
    ("call", "field"),
    [
        (
            lambda e, d: e.resubmit(d, actor=_OFFICER, occurred_at=datetime(1, 1, 1, tzinfo=_EDGE)),
            "occurred_at",
        ),
        (lambda e, d: e.claim_notifications("p", lease=5), "lease"),
        (lambda e, d: e.claim_notifications("p", lease=timedelta.max), "lease"),
        (lambda e, d: e.claim_notifications("p", limit="5"), "limit"),
        (lambda e, d: e.claim_notifications("p\x00"), "consumer"),
        (lambda e, d: e.ack_notifications(["abc"], consumer="p"), "notification_ids"),
        (lambda e, d: e.ack_notifications(None, consumer="p"), "notification_ids"),
        (lambda e, d: e.notifications(consumer="a\x00"), "consumer"),
        (lambda e, d: e.notifications(limit=-1), "limit"),
        (lambda e, d: e.notifications(limit=2**70), "limit"),
        (lambda e, d: e.dossiers(limit=-1), "limit"),
        (lambda e, d: e.dossiers(limit=2**70), "limit"),
        (lambda e, d: e.dossiers(state="no_such_state"), "state"),
        (lambda e, d: e.replay(d, upto_seq=2**70), "upto_seq"),
        (lambda e, d: e.replay(d, upto_seq="x"), "upto_seq"),
        (lambda e, d: e.get_round("abc"), "round_id"),
        (lambda e, d: e.record_simulated_until(datetime(2024, 1, 1)), "at"),
        (lambda e, d: e.record_simulated_until("2024"), "at"),
    ],
)
def test_arguments_of_reads_and_the_outbox_are_checked_alike_on_both_databases(
    engine: Engine, clock: SettableClock, call: Any, field: str
) -> None:
    """Out of range, of the wrong kind, or with a control character: ``InvalidCommand`` naming
    the argument, nothing written, whichever the database (they came out as OverflowError,
    TypeError, AttributeError, or worked on SQLite and were a StorageError on PostgreSQL)."""
    d = Walk(engine, clock).register().id
    error = refuses(engine, InvalidCommand, lambda: call(engine, d))
    assert field in {p.field for p in error.problems}


def test_reads_take_ids_and_states_as_text(engine: Engine, clock: SettableClock) -> None:
    walk = Walk(engine, clock)
    d = walk.in_round()
    assert d.round_id is not None
    assert engine.get_round(str(d.round_id)).id == d.round_id
    assert [x.id for x in engine.dossiers(state=d.state.value)] == [d.id]  # type: ignore[arg-type]


SWEEPER_CALLS: list[tuple[str, Any, str]] = [
    ("retry", lambda s: s.retry(["abc"]), "deadline_ids.0"),
    ("retry", lambda s: s.retry([2**70]), "deadline_ids.0"),
    ("retry", lambda s: s.retry([True]), "deadline_ids.0"),
    ("retry", lambda s: s.retry(None), "deadline_ids"),
    ("retry", lambda s: s.retry("12"), "deadline_ids"),
    ("pending", lambda s: s.pending(limit=-1), "limit"),
    ("pending", lambda s: s.pending(limit=2**70), "limit"),
    ("pending", lambda s: s.pending(due_before="2024-01-01"), "due_before"),
    ("failed", lambda s: s.failed(limit="5"), "limit"),
    ("sweep", lambda s: s.sweep(limit=-1), "limit"),
]


@pytest.mark.parametrize(("call", "bad", "field"), SWEEPER_CALLS)
def test_a_sweepers_bad_arguments_are_refused_by_name(
    engine: Engine, call: str, bad: Any, field: str
) -> None:
    """The same refusal on SQLite and PostgreSQL (a negative limit lists everything on SQLite;
    a huge one overflows either database), naming the argument; nothing written."""
    error = invalid(engine, lambda: bad(Sweeper(engine)))
    assert error.fields == (field,)
    assert call in str(error)


def test_the_system_actor_acts_for_the_whole_country() -> None:
    """The scheduler's actor has no province: one given a unit's code is refused by name."""
    with pytest.raises(InvalidCommand) as caught:
        Actor(role=Role.SYSTEM, jurisdiction="24")
    assert "jurisdiction VN" in str(caught.value)
    assert Actor(role=Role.SYSTEM, jurisdiction="VN") == Actor.system().model_copy(
        update={"id": None}
    )


@pytest.mark.parametrize("field", ["decision_number", "certificate_number"])
def test_a_document_number_longer_than_its_column_is_refused_on_every_backend(
    engine: Engine, clock: SettableClock, field: str
) -> None:
    """A certification's decision or certificate number of 101 characters is refused naming the
    field, on SQLite as on PostgreSQL (whose column holds 100), with nothing written; 100 go
    through."""
    walk = Walk(engine, clock)
    d = walk.entry_scored([60, 61, 62], "Trứng gà")
    role = Role.DISTRICT_COMMITTEE if walk.place.district else Role.PROVINCE_COMMITTEE
    fields = {**walk.decision(), field: "9" * 101}
    err = invalid(engine, lambda: engine.certify(d.id, actor=walk.actor(role), **fields))
    assert [p.field for p in err.problems] == [field]
    certified = engine.certify(d.id, actor=walk.actor(role), **{**fields, field: "9" * 100})
    assert getattr(certified, field) == "9" * 100


@pytest.mark.parametrize("notify", [None, 5, "commune_officer@07375"])
def test_notify_that_is_not_a_list_of_recipients_is_refused_by_name(
    engine: Engine, clock: SettableClock, notify: Any
) -> None:
    """A shortcut's ``notify`` given as None, a number or a string: ``InvalidCommand`` naming
    ``notify``, never a raw TypeError, nothing written."""
    walk = Walk(engine, clock)
    d = walk.register()
    err = invalid(
        engine,
        lambda: engine.reject(
            d.id, actor=walk.actor(Role.COMMUNE_COMMITTEE), grounds="Thiếu hồ sơ", notify=notify
        ),
    )
    assert [p.field.split(".")[0] for p in err.problems] == ["notify"]


class _NaiveClock:
    def now(self) -> datetime:
        return datetime(2024, 3, 1, 9)  # naive: the mistake under test


@pytest.mark.parametrize(
    ("options", "field"),
    [
        ({"hmac_key": "bí mật"}, "hmac_key"),
        ({"hmac_key": b""}, "hmac_key"),
        ({"clock": _NaiveClock()}, "clock"),
        ({"clock": object()}, "clock"),
        ({"ids": "uuid4"}, "ids"),
        ({"sqlite": {"synchronous": "NORMAL"}}, "sqlite"),
    ],
)
def test_engine_options_are_checked_when_it_is_built(
    tmp_path: Any, options: dict[str, Any], field: str
) -> None:
    """An option a host gets wrong (a key read from the environment as text, a clock without a
    time zone) is refused by name when the engine is built, by ``Engine`` and ``Engine.open``,
    not as a TypeError on the first command; nothing is created."""
    url = f"sqlite:///{tmp_path / 'never.db'}"
    for build in (lambda: Engine(url, **options), lambda: Engine.open(url, **options)):
        with pytest.raises(InvalidCommand) as caught:
            build()
        assert [p.field for p in caught.value.problems] == [field]
    assert not (tmp_path / "never.db").exists()


@pytest.mark.parametrize(
    ("options", "field"),
    [
        ({"synchronous": "OFF"}, "synchronous"),
        ({"busy_timeout_ms": "5s"}, "busy_timeout_ms"),
        ({"busy_timeout_ms": -1}, "busy_timeout_ms"),
    ],
)
def test_sqlite_settings_refuse_what_they_would_not_apply(
    options: dict[str, Any], field: str
) -> None:
    """``SqliteSettings(synchronous="OFF")`` would weaken durability behind the host's back:
    refused when made, naming the field."""
    with pytest.raises(InvalidCommand) as caught:
        SqliteSettings(**options)
    assert [p.field for p in caught.value.problems] == [field]


@pytest.mark.parametrize(
    ("arguments", "field"),
    [
        ({"effective": "2025-07-06"}, "effective"),
        ({"effective": None}, "effective"),
        ({"unit": 24}, "unit"),
        ({"dry_run": "yes"}, "dry_run"),
        ({"progress": 5}, "progress"),
        ({"actor": {"role": "chief"}}, "jurisdiction"),
    ],
)
def test_migrate_refuses_arguments_of_the_wrong_kind_by_name(
    engine: Engine, arguments: dict[str, Any], field: str
) -> None:
    """``migrate`` given a date as text, a unit as a number, an actor as a bad mapping:
    ``InvalidCommand`` naming it, never Python's TypeError or AttributeError."""
    call = {
        "from_profile": "qd148-2023",
        "to_profile": "qd1489-2025",
        "effective": date(2025, 7, 6),
        "dry_run": True,
        **arguments,
    }
    with pytest.raises(InvalidCommand) as caught:
        engine.migrate(**call)
    assert field in [p.field for p in caught.value.problems]


@pytest.mark.parametrize("until", [date(2024, 6, 1), datetime(2024, 6, 1, 9), "2024-06-01"])
def test_a_simulation_until_something_else_than_an_aware_instant_is_refused(
    engine: Engine, until: Any
) -> None:
    """``run_until`` given a date, a naive datetime or text: ``InvalidCommand`` naming
    ``until``."""
    with pytest.raises(InvalidCommand) as caught:
        run_until(engine, until)
    assert [p.field for p in caught.value.problems] == ["until"]
