"""What an office or a host really sends by mistake — a year typed 9999 or 1, a name pasted
with a zero-width space, a key typed in another Unicode form, a unit that no longer exists — is
refused with a typed error naming what is wrong, and nothing is written; or, where it means the
same thing, it is taken as that thing."""

from __future__ import annotations

import io
import unicodedata
from datetime import date, datetime, timedelta, timezone
from typing import Any

import pytest
from sqlalchemy import func, select

from ocop_cycle import (
    VN_TZ,
    Actor,
    Auditor,
    Engine,
    GuardRefused,
    InvalidCommand,
    Level,
    OcopCycleError,
    PermissionDenied,
    Role,
    SettableClock,
    Sweeper,
)
from ocop_cycle._storage.schema import rounds
from ocop_cycle.workflows.commands import DossierCommand
from tests.scenario import LANG_GIANG, PROVINCE_ONLY, Walk, at, refuses

PRODUCT = {"name": "Trứng gà", "group": "food", "product_set": "eggs"}


def _register(engine: Engine, product: dict[str, str], producer: str = "HTX Hồ Cao") -> Any:
    return engine.register(
        actor=LANG_GIANG.actor(Role.COMMUNE_OFFICER),
        producer={"name": producer, "kind": "cooperative"},
        product=product,
        commune_code=LANG_GIANG.commune,
        district_code=LANG_GIANG.district,
        province_code=LANG_GIANG.province,
    )


def _import(engine: Engine, decision_date: date) -> Any:
    return engine.import_certificate(
        actor=PROVINCE_ONLY.actor(Role.PROVINCE_OFFICE),
        profile_id="qd26-2026",
        producer={"name": "HTX Mật ong", "kind": "cooperative"},
        product={"name": "Mật ong", "group": "food", "product_set": "honey"},
        commune_code=PROVINCE_ONLY.commune,
        province_code=PROVINCE_ONLY.province,
        stars=3,
        level=Level.PROVINCE,
        decision_number="1/QĐ-UBND",
        decision_date=decision_date,
        issuing_body="UBND tỉnh Bắc Ninh",
    )


def _round_count(engine: Engine) -> int:
    with engine.sa_engine.connect() as conn:
        return int(conn.execute(select(func.count()).select_from(rounds)).scalar_one())


def _open_round(engine: Engine, actor: Actor, code: str, year: int) -> Any:
    return engine.create_round(
        actor=actor,
        year=year,
        number=1,
        jurisdiction_code=code,
        name=f"Đợt 1 năm {year}",
        registration_deadline=date(year, 8, 1),
        council_meeting_on=date(year, 9, 1),
        scoring_deadline=date(year, 10, 1),
    )


def test_a_supplement_due_in_year_9999_is_refused(engine: Engine, clock: SettableClock) -> None:
    """A due date at the calendar's end would plan a deadline past it: refused by field."""
    d = _register(engine, PRODUCT)
    officer = LANG_GIANG.actor(Role.COMMUNE_OFFICER)
    err = refuses(
        engine,
        InvalidCommand,
        lambda: engine.return_for_supplement(
            d.id, actor=officer, guidance="Bổ sung", due_on=date(9999, 12, 31)
        ),
    )
    assert err.fields == ("due_on",)


def test_an_imported_certificate_dated_in_year_9999_is_refused(
    engine: Engine, clock: SettableClock
) -> None:
    clock.set(at(2026, 6, 1))
    err = refuses(engine, InvalidCommand, lambda: _import(engine, date(9999, 12, 31)))
    assert err.fields == ("decision_date",)


def test_an_imported_certificate_dated_after_today_is_refused(
    engine: Engine, clock: SettableClock
) -> None:
    """As ``certify`` refuses it: its 36 months would run from a day that has not come."""
    clock.set(at(2026, 6, 1))
    err = refuses(engine, GuardRefused, lambda: _import(engine, date(2026, 6, 2)))
    assert [r.code for r in err.reasons] == ["decision.in_future"]
    assert _import(engine, date(2026, 6, 1)).state == "certified"


@pytest.mark.parametrize(
    ("role", "code", "year", "reason"),
    [
        (Role.DISTRICT_OFFICE, "217", 2025, "unit.ended"),  # the district ended 30/06/2025
        (Role.DISTRICT_OFFICE, "99999", 2024, "unit.unknown"),
        (Role.DISTRICT_OFFICE, "07426", 2024, "unit.wrong_tier"),  # a commune's code
        (Role.PROVINCE_OFFICE, "217", 2024, "unit.wrong_tier"),  # a district's code
    ],
)
def test_a_round_is_opened_only_by_a_unit_that_exists_at_its_tier(
    engine: Engine, clock: SettableClock, role: Role, code: str, year: int, reason: str
) -> None:
    clock.set(at(year, 7, 2))
    actor = Actor(role=role, jurisdiction=code)
    before = _round_count(engine)
    with pytest.raises(PermissionDenied) as caught:
        _open_round(engine, actor, code, year)
    assert caught.value.reason.code == reason
    assert _round_count(engine) == before


def test_a_district_opens_its_round_before_the_reform(engine: Engine, clock: SettableClock) -> None:
    clock.set(at(2025, 6, 2))
    found = _open_round(engine, Actor(role=Role.DISTRICT_OFFICE, jurisdiction="217"), "217", 2025)
    assert found.jurisdiction_code == "217"


def test_a_key_typed_in_another_unicode_form_is_the_same_key(
    engine: Engine, clock: SettableClock
) -> None:
    """A retry whose key was typed decomposed (NFD) returns the first result; nothing twice."""
    d = _register(engine, PRODUCT)
    officer = LANG_GIANG.actor(Role.COMMUNE_OFFICER)
    key = "xác-nhận-đợt-1"
    first = engine.verify_commune(
        d.id, actor=officer, idempotency_key=unicodedata.normalize("NFC", key)
    )
    again = engine.verify_commune(
        d.id, actor=officer, idempotency_key=unicodedata.normalize("NFD", key)
    )
    assert (again.id, again.version) == (first.id, first.version)
    assert [e.type for e in engine.history(d.id)].count("commune_verified") == 1


def test_an_actor_id_typed_in_another_unicode_form_is_the_same_actor() -> None:
    name = "cán-bộ-xã-Hồ"
    nfd = Actor(
        role=Role.COMMUNE_OFFICER, jurisdiction="07426", id=unicodedata.normalize("NFD", name)
    )
    assert nfd.id == unicodedata.normalize("NFC", name)


@pytest.mark.parametrize("invisible", ["\u200b", "\ufeff", "\u2060", "\u00ad", "\u202e"])
def test_a_name_of_invisible_characters_only_is_blank(
    engine: Engine, clock: SettableClock, invisible: str
) -> None:
    err = refuses(engine, InvalidCommand, lambda: _register(engine, PRODUCT, producer=invisible))
    assert err.fields == ("producer.name",)


def test_a_zero_width_space_does_not_make_another_product(
    engine: Engine, clock: SettableClock
) -> None:
    """Pasted from a spreadsheet with a zero-width space, "Trứng gà" is still the product in
    evaluation: one evaluation of a product at a time."""
    first = _register(engine, PRODUCT)
    assert first.product_name == "Trứng gà"
    pasted = {**PRODUCT, "name": "\ufeffTrứng\u200b gà\u200b"}
    err = refuses(engine, GuardRefused, lambda: _register(engine, pasted))
    assert [r.code for r in err.reasons] == ["product.already_open"]


def test_a_revocation_dated_before_the_certificate_is_refused(
    engine: Engine, clock: SettableClock
) -> None:
    clock.set(at(2024, 3, 4))
    walk = Walk(engine, clock)
    d = walk.monitored()
    assert d.certified_on is not None
    issued = d.certified_on
    clock.advance(timedelta(days=30))
    err = refuses(
        engine,
        GuardRefused,
        lambda: engine.revoke(
            d.id,
            actor=walk.actor(Role.DISTRICT_COMMITTEE),
            grounds={"code": "inspection_failed", "details": "Không đạt"},
            decision_number="9/QĐ-UBND",
            decision_date=issued - timedelta(days=365),  # the year typed wrong
            issuing_body="UBND huyện Lạng Giang",
        ),
    )
    assert "date.before_certificate" in [r.code for r in err.reasons]


def test_an_inspection_dated_before_the_certificate_is_refused(
    engine: Engine, clock: SettableClock
) -> None:
    """Dated so, it would plan the next inspection in the past, for the sweep to escalate."""
    clock.set(at(2024, 3, 4))
    walk = Walk(engine, clock)
    d = walk.monitored()
    clock.advance(timedelta(days=30))
    err = refuses(
        engine,
        GuardRefused,
        lambda: engine.record_inspection(
            d.id, actor=walk.actor(Role.INSPECTOR), inspected_on=date(1900, 1, 1), passed=True
        ),
    )
    assert [r.code for r in err.reasons] == ["date.before_certificate"]


def test_a_producer_id_in_upper_case_is_the_producer(engine: Engine, clock: SettableClock) -> None:
    d = _register(engine, PRODUCT)
    producer = Actor(
        role=Role.PRODUCER, jurisdiction=LANG_GIANG.commune, id=str(d.producer_id).upper()
    )
    assert engine.withdraw(d.id, actor=producer).state == "withdrawn"


def test_an_actor_mapping_with_keys_that_are_not_text_is_refused(
    engine: Engine, clock: SettableClock
) -> None:
    d = _register(engine, PRODUCT)
    err = refuses(engine, InvalidCommand, lambda: engine.withdraw(d.id, actor={1: 2}))  # type: ignore[arg-type]
    assert err.fields == ("actor",)


def test_a_bare_dossier_command_is_no_command(engine: Engine, clock: SettableClock) -> None:
    d = _register(engine, PRODUCT)
    err = refuses(
        engine,
        InvalidCommand,
        lambda: engine.execute(DossierCommand(dossier_id=d.id), LANG_GIANG.actor(Role.PRODUCER)),
    )
    assert err.fields == ("command",)


def test_instants_out_of_the_calendar_are_refused_by_field(
    engine: Engine, clock: SettableClock
) -> None:
    """Year 1, or year 9999 twelve hours west of Greenwich, cannot be moved to Vietnam's zone."""
    far = datetime(9999, 12, 31, 23, 59, tzinfo=timezone(timedelta(hours=-12)))
    with pytest.raises(InvalidCommand) as caught:
        engine.record_simulated_until(far)
    assert caught.value.fields == ("at",)
    with pytest.raises(InvalidCommand) as caught:
        engine.record_simulated_until(datetime(1, 1, 1, tzinfo=VN_TZ))
    assert caught.value.fields == ("at",)
    with pytest.raises(InvalidCommand) as caught:
        Sweeper(engine).sweep(now=datetime(1, 1, 1, tzinfo=VN_TZ))
    assert caught.value.fields == ("now",)
    with pytest.raises(InvalidCommand) as caught:
        Sweeper(engine).sweep(stop=5)  # type: ignore[arg-type]
    assert caught.value.fields == ("stop",)


def test_the_auditor_takes_ids_as_text_and_refuses_bad_arguments_by_field(
    engine: Engine, clock: SettableClock
) -> None:
    d = _register(engine, PRODUCT)
    auditor = Auditor(engine)
    assert auditor.verify(str(d.id)).intact  # type: ignore[arg-type]
    assert [r["seq"] for r in auditor.event_rows(str(d.id))] == [1]  # type: ignore[arg-type]
    assert auditor.replay(str(d.id).upper()).intact  # type: ignore[arg-type]
    bad: list[tuple[Any, str]] = [
        (lambda: auditor.history(d.id, as_of=datetime(2024, 3, 2, 9)), "as_of"),
        (lambda: auditor.history(d.id, known_at=date(2024, 3, 2)), "known_at"),  # type: ignore[arg-type]
        (lambda: auditor.history(d.id, upto_seq="1"), "upto_seq"),  # type: ignore[arg-type]
        (lambda: auditor.history("not-an-id"), "dossier_id"),  # type: ignore[arg-type]
        (lambda: auditor.verify(published_root=5), "published_root"),  # type: ignore[arg-type]
        (lambda: auditor.export(io.StringIO(), fmt="xml"), "fmt"),
    ]
    for call, field in bad:
        with pytest.raises(OcopCycleError) as caught:
            call()
        assert isinstance(caught.value, InvalidCommand)
        assert caught.value.fields == (field,)
