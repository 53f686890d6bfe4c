"""Every kind of refusal raises a typed error and writes nothing."""

from __future__ import annotations

import hashlib
from datetime import date, timedelta
from typing import Any
from uuid import uuid4

import pytest
from sqlalchemy import update

from ocop_cycle import (
    Actor,
    ConcurrencyConflict,
    DossierNotFound,
    Engine,
    GuardRefused,
    IdempotencyKeyReused,
    InvalidCommand,
    InvalidTransition,
    PermissionDenied,
    PlaceRefused,
    RegisterDossier,
    Reject,
    Role,
    RoundNotFound,
    SettableClock,
)
from ocop_cycle._storage.schema import idempotency
from tests.scenario import Walk, refuses, snapshot


def test_wrong_state(engine: Engine, clock: SettableClock) -> None:
    """Certifying a dossier that was never scored is an invalid transition."""
    walk = Walk(engine, clock)
    d = walk.register()
    err = refuses(
        engine,
        InvalidTransition,
        lambda: engine.certify(d.id, actor=walk.actor(Role.DISTRICT_COMMITTEE), **walk.decision()),
    )
    assert (err.dossier_id, err.state, err.event) == (d.id, "registered", "certify")


def test_terminal_state_refuses_everything(engine: Engine, clock: SettableClock) -> None:
    """A withdrawn dossier takes no further command."""
    walk = Walk(engine, clock)
    d = walk.register()
    engine.withdraw(d.id, actor=walk.actor(Role.COMMUNE_OFFICER))
    refuses(
        engine,
        InvalidTransition,
        lambda: engine.verify_commune(d.id, actor=walk.actor(Role.COMMUNE_COMMITTEE)),
    )


def test_guard_lists_its_reasons(engine: Engine, clock: SettableClock) -> None:
    """Scoring before the dossier is in a round is refused with a coded reason."""
    walk = Walk(engine, clock)
    d = walk.verified()
    err = refuses(
        engine,
        GuardRefused,
        lambda: walk.score(d, [60, 60, 60], Role.DISTRICT_COUNCIL),
    )
    assert err.codes == ("round.not_assigned",)
    assert err.reasons[0].vi.startswith("Hồ sơ chưa")


def test_guard_decision_before_scoring(engine: Engine, clock: SettableClock) -> None:
    """A recognition decision dated before the council session is refused."""
    walk = Walk(engine, clock)
    d = walk.entry_scored([60, 60, 60])
    err = refuses(
        engine,
        GuardRefused,
        lambda: engine.certify(
            d.id,
            actor=walk.actor(Role.DISTRICT_COMMITTEE),
            **walk.decision(on=date(2023, 1, 1)),
        ),
    )
    assert err.codes == ("decision.before_scoring",)


def test_round_guards(engine: Engine, clock: SettableClock) -> None:
    """A round of another district, or one past its deadline (and its council's e-dossier day),
    is refused; a missing one too."""
    walk = Walk(engine, clock)
    d = walk.verified()
    other = engine.create_round(
        actor=Actor(role=Role.DISTRICT_OFFICE, jurisdiction="218"),
        year=2023,
        number=1,
        jurisdiction_code="218",
        name="Đợt 1 huyện khác",
        registration_deadline=date(2023, 3, 1),
        council_meeting_on=date(2023, 3, 1),
        scoring_deadline=date(2023, 3, 1),
    )
    clock.set(clock.now().replace(day=2))
    err = refuses(
        engine,
        GuardRefused,
        lambda: engine.assign_round(
            d.id, actor=walk.actor(Role.DISTRICT_OFFICE), round_id=other.id
        ),
    )
    assert err.codes == ("round.other_jurisdiction", "round.closed", "round.council_dossier_late")
    refuses(
        engine,
        RoundNotFound,
        lambda: engine.assign_round(d.id, actor=walk.actor(Role.DISTRICT_OFFICE), round_id=uuid4()),
    )


@pytest.mark.parametrize(
    ("dates", "fields"),
    [
        ((date(2024, 9, 1), date(9999, 12, 30), date(9999, 12, 31)), "council_meeting_on"),
        ((date(1, 1, 1), date(2024, 6, 5), date(2024, 6, 15)), "registration_deadline"),
        ((date(2026, 1, 1), date(2026, 2, 1), date(2026, 3, 1)), "registration_deadline"),
    ],
)
def test_a_round_dated_far_from_its_year_is_refused(
    engine: Engine, dates: tuple[date, date, date], fields: str
) -> None:
    """A round of 2024 whose dates fall years away (a typo: 9999 for 2024) is refused, nothing
    written: it would plan deadlines beyond any calendar, and every sweep then failed."""
    registration, council, scoring = dates
    err = refuses(
        engine,
        InvalidCommand,
        lambda: engine.create_round(
            actor=Actor(role=Role.DISTRICT_OFFICE, jurisdiction="217"),
            year=2024,
            number=9,
            jurisdiction_code="217",
            name="Đợt gõ nhầm",
            registration_deadline=registration,
            council_meeting_on=council,
            scoring_deadline=scoring,
        ),
    )
    assert fields in str(err)


@pytest.mark.parametrize(
    ("actor", "code"),
    [
        (Actor(role=Role.COMMUNE_COMMITTEE, jurisdiction="07375"), "permission.jurisdiction"),
        (Actor(role=Role.DISTRICT_COUNCIL, jurisdiction="217"), "permission.role"),
        (Actor(role=Role.AUDITOR, jurisdiction="VN"), "permission.role"),
        # A commune's role with the code of the province or district around the commune: it
        # would act for every commune there.
        (Actor(role=Role.COMMUNE_COMMITTEE, jurisdiction="24"), "unit.wrong_tier"),
        (Actor(role=Role.COMMUNE_COMMITTEE, jurisdiction="217"), "unit.wrong_tier"),
        (Actor(role=Role.COMMUNE_COMMITTEE, jurisdiction="VN"), "unit.wrong_tier"),
    ],
    ids=["other-commune", "wrong-role", "auditor", "province-code", "district-code", "vn"],
)
def test_permission(engine: Engine, clock: SettableClock, actor: Actor, code: str) -> None:
    """Only the dossier's own commune verifies it; auditors are read-only."""
    d = Walk(engine, clock).register()
    err = refuses(engine, PermissionDenied, lambda: engine.verify_commune(d.id, actor=actor))
    assert err.reason.code == code
    assert isinstance(err, PermissionError)


def test_producer_acts_on_its_own_dossiers_only(engine: Engine, clock: SettableClock) -> None:
    """A producer may withdraw its own dossier, not another producer's."""
    walk = Walk(engine, clock)
    d = walk.register()
    stranger = Actor(role=Role.PRODUCER, jurisdiction="07426", id=str(uuid4()))
    err = refuses(engine, PermissionDenied, lambda: engine.withdraw(d.id, actor=stranger))
    assert err.reason.code == "permission.not_owner"
    owner = Actor(role=Role.PRODUCER, jurisdiction="07426", id=str(d.producer_id))
    assert engine.withdraw(d.id, actor=owner).state == "withdrawn"


def test_revoke_only_by_the_recognising_body(engine: Engine, clock: SettableClock) -> None:
    """A district-certified product is revoked by the district committee, not the province."""
    walk = Walk(engine, clock)
    d = walk.certified()
    fields: dict[str, Any] = {
        "grounds": {"code": "food_safety_sanction", "details": "Vi phạm ATTP"},
        **walk.decision("7/QĐ-UBND"),
    }
    refuses(
        engine,
        PermissionDenied,
        lambda: engine.revoke(d.id, actor=walk.actor(Role.PROVINCE_COMMITTEE), **fields),
    )
    assert (
        engine.revoke(d.id, actor=walk.actor(Role.DISTRICT_COMMITTEE), **fields).state == "revoked"
    )


def test_bad_payload_names_the_field(engine: Engine, clock: SettableClock) -> None:
    """Empty grounds are a bad payload, named, and nothing is written."""
    walk = Walk(engine, clock)
    d = walk.register()
    err = refuses(
        engine,
        InvalidCommand,
        lambda: engine.reject(d.id, actor=walk.actor(Role.COMMUNE_COMMITTEE), grounds="   "),
    )
    assert err.fields == ("grounds",)


def test_unknown_field_is_refused(engine: Engine, clock: SettableClock) -> None:
    """A misspelt field is not silently ignored: the command names it, nothing is written."""
    walk = Walk(engine, clock)
    d = walk.register()
    err = refuses(
        engine,
        InvalidCommand,
        lambda: engine.execute(
            Reject(dossier_id=d.id, ground="x"),  # type: ignore[call-arg]
            walk.actor(Role.COMMUNE_COMMITTEE),
        ),
    )
    assert "ground" in err.fields


def test_unknown_keyword_of_a_shortcut_is_a_type_error(
    engine: Engine, clock: SettableClock
) -> None:
    """A shortcut's parameters are its signature: a misspelt keyword is Python's TypeError
    (and mypy's error before that); nothing is written."""
    walk = Walk(engine, clock)
    d = walk.register()
    refuses(
        engine,
        TypeError,
        lambda: engine.reject(  # type: ignore[call-arg]
            d.id, actor=walk.actor(Role.COMMUNE_COMMITTEE), ground="x"
        ),
    )


def test_stale_version_is_a_concurrency_conflict(engine: Engine, clock: SettableClock) -> None:
    """A command based on an older version raises ConcurrencyConflict with both versions."""
    walk = Walk(engine, clock)
    d = walk.register()
    engine.verify_commune(d.id, actor=walk.actor(Role.COMMUNE_COMMITTEE), expected_version=1)
    err = refuses(
        engine,
        ConcurrencyConflict,
        lambda: engine.reject(
            d.id, actor=walk.actor(Role.COMMUNE_COMMITTEE), grounds="x", expected_version=1
        ),
    )
    assert (err.expected_version, err.actual_version) == (1, 2)


def test_unknown_dossier(engine: Engine, clock: SettableClock) -> None:
    """A command on a dossier id that does not exist raises DossierNotFound (a LookupError)."""
    err = refuses(
        engine,
        DossierNotFound,
        lambda: engine.verify_commune(
            uuid4(), actor=Walk(engine, clock).actor(Role.COMMUNE_COMMITTEE)
        ),
    )
    assert isinstance(err, LookupError)


def test_idempotent_repeat_returns_the_first_result(engine: Engine, clock: SettableClock) -> None:
    """The same key twice: one dossier, one event; the repeat returns what the first returned."""
    walk = Walk(engine, clock)
    first = walk.register(idempotency_key="đơn-001")
    before = snapshot(engine)
    again = walk.register(idempotency_key="đơn-001")
    assert again == first
    assert snapshot(engine) == before
    verified = engine.verify_commune(
        first.id, actor=walk.actor(Role.COMMUNE_COMMITTEE), idempotency_key="xn-001"
    )
    engine.assign_round(first.id, actor=walk.actor(Role.DISTRICT_OFFICE), round_id=walk.round_id())
    repeat = engine.verify_commune(
        first.id, actor=walk.actor(Role.COMMUNE_COMMITTEE), idempotency_key="xn-001"
    )
    assert repeat == verified
    assert repeat.version == 2


def _fields(walk: Walk) -> dict[str, Any]:
    place = walk.place_today()
    return {
        "producer": {"name": "Hợp tác xã Hồ Hồ Cao", "kind": "cooperative"},
        "product": {"name": "Trứng gà", "group": walk.group, "product_set": walk.product_set},
        "commune_code": place.commune,
        "district_code": place.district,
        "province_code": place.province,
        "idempotency_key": "plan:2024:1",
    }


def test_a_key_repeated_by_another_actor_is_taken_not_a_pass(
    engine: Engine, clock: SettableClock
) -> None:
    """A key is one client's: another actor of the same commune sending the same command with
    it (a producer guessing a plan's key) is told the key is taken, not handed the dossier, and
    nothing is written; the actor who made it still gets its result."""
    walk = Walk(engine, clock)
    officer = walk.actor(Role.COMMUNE_OFFICER)
    first = engine.register(actor=officer, **_fields(walk))
    stranger = Actor(role=Role.PRODUCER, jurisdiction=officer.jurisdiction, id=str(uuid4()))
    refuses(engine, IdempotencyKeyReused, lambda: engine.register(actor=stranger, **_fields(walk)))
    assert engine.register(actor=officer, **_fields(walk)) == first


def test_a_key_recorded_before_keys_named_their_actor_still_replays(
    engine: Engine, clock: SettableClock
) -> None:
    """A key stored by an earlier version (its fingerprint of the command alone) still returns
    its first result to the same call: plans imported then re-import as "already imported"."""
    walk = Walk(engine, clock)
    officer = walk.actor(Role.COMMUNE_OFFICER)
    first = engine.register(actor=officer, **_fields(walk))
    body = RegisterDossier(**_fields(walk)).model_dump_json(exclude={"idempotency_key"})
    legacy = hashlib.sha256(f"RegisterDossier|{body}".encode()).hexdigest()
    with engine.sa_engine.begin() as conn:
        conn.execute(update(idempotency).values(fingerprint=legacy))
    before = snapshot(engine)
    assert engine.register(actor=officer, **_fields(walk)) == first
    assert snapshot(engine) == before


def test_idempotency_key_reused_for_another_command(engine: Engine, clock: SettableClock) -> None:
    """A key first used for one command cannot be reused for a different one."""
    walk = Walk(engine, clock)
    d = walk.register(idempotency_key="k-1")
    refuses(
        engine,
        IdempotencyKeyReused,
        lambda: engine.reject(
            d.id, actor=walk.actor(Role.COMMUNE_COMMITTEE), grounds="x", idempotency_key="k-1"
        ),
    )


def test_a_communes_officer_registers_only_with_a_communes_code(
    engine: Engine, clock: SettableClock
) -> None:
    """Registering takes a commune's role acting with a commune's code, not a district's."""
    walk = Walk(engine, clock)
    place = walk.place_today()
    err = refuses(
        engine,
        PermissionDenied,
        lambda: engine.register(
            actor=Actor(role=Role.COMMUNE_OFFICER, jurisdiction=place.district or place.province),
            producer={"name": "Hợp tác xã Hồ Hồ Cao", "kind": "cooperative"},
            product={"name": "Mật ong", "group": walk.group, "product_set": walk.product_set},
            commune_code=place.commune,
            district_code=place.district,
            province_code=place.province,
        ),
    )
    assert err.reason.code == "unit.wrong_tier"


def test_arguments_of_the_wrong_kind_are_refused_as_invalid(
    engine: Engine, clock: SettableClock
) -> None:
    """A host that passes the wrong kind of value gets ``InvalidCommand`` naming it, never a
    raw Python error from deep inside, and nothing is written; an actor given as a mapping of
    its fields is read as the actor."""
    walk = Walk(engine, clock)
    d = walk.register()
    committee = walk.actor(Role.COMMUNE_COMMITTEE)
    cases: list[tuple[Any, str]] = [
        (lambda: engine.verify_commune(d.id, actor=None), "actor"),  # type: ignore[arg-type]
        (lambda: engine.get("not-an-id"), "dossier_id"),  # type: ignore[arg-type]
        (lambda: engine.history(123), "dossier_id"),  # type: ignore[arg-type]
        (lambda: engine.execute(None, committee), "command"),  # type: ignore[call-overload]
        (lambda: engine.dossiers(unit=["24"]), "unit"),  # type: ignore[arg-type]
    ]
    for call, field in cases:
        err = refuses(engine, InvalidCommand, call)
        assert [p.field for p in err.problems] == [field]
    as_mapping = {"role": "commune_committee", "jurisdiction": committee.jurisdiction}
    assert engine.verify_commune(d.id, actor=as_mapping).version == 2  # type: ignore[arg-type]


def test_a_decision_dated_after_the_day_it_is_entered_is_refused(
    engine: Engine, clock: SettableClock
) -> None:
    """A certificate's 36 months run from its decision's date: one dated a year ahead (a typo
    for the year) would push its validity a year on. Refused, nothing written; dated today,
    it is accepted."""
    walk = Walk(engine, clock)
    d = walk.entry_scored([60, 61, 62])
    chair = walk.actor(Role.DISTRICT_COMMITTEE)
    ahead = walk.decision(on=clock.now().date() + timedelta(days=365))
    before = snapshot(engine)
    with pytest.raises(GuardRefused) as caught:
        engine.certify(d.id, actor=chair, **ahead)
    assert caught.value.codes == ("decision.in_future",)
    assert snapshot(engine) == before
    assert engine.certify(d.id, actor=chair, **walk.decision()).state.value == "certified"


@pytest.mark.parametrize("field", ["commune_code", "district_code", "province_code"])
def test_the_country_is_no_dossiers_place(engine: Engine, clock: SettableClock, field: str) -> None:
    """``VN`` is a valid jurisdiction for a national actor, never a commune, district or
    province of a dossier: a registration naming it is refused as a place of the wrong tier,
    nothing written."""
    walk = Walk(engine, clock)
    place = walk.place_today()
    codes = {
        "commune_code": place.commune,
        "district_code": place.district,
        "province_code": place.province,
    }
    codes[field] = "VN"
    err = refuses(
        engine,
        PlaceRefused,
        lambda: engine.register(
            actor=walk.actor(Role.COMMUNE_OFFICER),
            producer={"name": "Hợp tác xã Hồ Cao", "kind": "cooperative"},
            product={"name": "Mật ong", "group": walk.group, "product_set": walk.product_set},
            **codes,
        ),
    )
    assert "unit.wrong_tier" in err.codes
