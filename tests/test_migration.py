"""Carrying qd148-2023 dossiers in flight over to qd1489-2025 (issue 10, item 4), on SQLite and
PostgreSQL: a store stopped at 30/06/2025, migrated after Decision 1489 took effect."""

from __future__ import annotations

from datetime import date
from decimal import Decimal
from typing import Any
from uuid import UUID

import pytest

from ocop_cycle import (
    Actor,
    Auditor,
    DossierState,
    Engine,
    GuardRefused,
    InvalidCommand,
    MigrationReport,
    PermissionDenied,
    ProfileNotFound,
    Role,
    RuleBook,
    SettableClock,
    Sweeper,
)
from ocop_cycle.workflows.events import ProfileMigrated
from tests.migration_store import AFTER, EFFECTIVE, ELSEWHERE, EXPECTED, KEPT, TAN_YEN, build
from tests.scenario import Walk, at, snapshot

S = DossierState
OLD, NEW = "qd148-2023", "qd1489-2025"


@pytest.fixture
def stopped(engine: Engine, clock: SettableClock) -> dict[str, UUID]:
    """The store stopped at 30/06/2025; the clock then moves to 10/07/2025."""
    ids = build(engine, clock)
    clock.set(AFTER)
    return ids


def migrate(engine: Engine, **kw: Any) -> MigrationReport:
    return engine.migrate(from_profile=OLD, to_profile=NEW, effective=EFFECTIVE, **kw)


def by_id(report: MigrationReport) -> dict[UUID, Any]:
    return {i.dossier_id: i for i in report.items}


def test_dry_run_says_what_the_run_does_and_writes_nothing(
    engine: Engine, stopped: dict[str, UUID]
) -> None:
    """The dry run lists the same dossiers with the same fates as the real run after it, and
    writes nothing."""
    before = snapshot(engine)
    dry = migrate(engine, dry_run=True)
    assert snapshot(engine) == before
    assert dry.dry_run
    assert "dry run, nothing written" in dry.summary()
    real = migrate(engine)
    assert real.items == dry.items
    assert len(real.migrated) == len(EXPECTED)
    assert snapshot(engine)[0] == before[0] + len(EXPECTED)  # one event per dossier


def test_each_open_dossier_goes_where_the_mapping_says(
    engine: Engine, stopped: dict[str, UUID]
) -> None:
    """Open dossiers land in the mapped state under qd1489-2025, by one profile_migrated event
    each; certified and finished dossiers keep their profile and certificate untouched."""
    kept = {label: engine.get(stopped[label]) for label in KEPT}
    report = migrate(engine)
    items = by_id(report)
    for label, state in EXPECTED.items():
        dossier = engine.get(stopped[label])
        assert (dossier.profile_id, dossier.state.value) == (NEW, state), label
        assert items[dossier.id].to_state == S(state)
        assert engine.history(dossier.id)[-1].type == "profile_migrated"
    for label, before in kept.items():
        assert engine.get(before.id) == before, label
        assert before.id not in items
    certified = engine.get(stopped["certified"])
    assert (certified.certified_stars, certified.profile_id) == (3, OLD)


def test_the_event_records_rule_basis_and_what_was_cleared(
    engine: Engine, stopped: dict[str, UUID]
) -> None:
    """A district-scored dossier goes to the province council: the event names both profiles,
    both states, the rule, the legal basis and the effective date, and clears the district's
    result and round; the province office is told to put it in a round."""
    before = engine.get(stopped["district_3star"])
    assert (before.level, before.score, before.round_id is not None) == ("district", 61, True)
    migrate(engine)
    event = engine.history(before.id)[-1]
    payload = event.payload
    assert isinstance(payload, ProfileMigrated)
    assert (payload.from_profile, payload.to_profile) == (OLD, NEW)
    assert (payload.from_state, payload.state) == (S.DISTRICT_SCORED, S.COMMUNE_VERIFIED)
    assert payload.rule == "qd148-2023/district_scored"
    assert payload.legal_basis_vi == "Quyết định 1489/QĐ-TTg ngày 06/7/2025"
    assert payload.effective == date(2025, 7, 6)
    assert payload.cleared == ("round_id", "level", "score", "stars", "outcome", "scored_on")
    assert event.profile_id == OLD  # recorded under the profile the dossier had
    assert event.actor == Actor(role=Role.SYSTEM, jurisdiction="VN", id="migration")
    after = engine.get(before.id)
    assert (after.level, after.score, after.stars, after.round_id, after.scored_on) == ((None,) * 5)
    told = [
        (n.recipient_role, n.recipient_jurisdiction)
        for n in engine.notifications(limit=1000)
        if n.dossier_id == before.id and n.seq == event.seq
    ]
    # Addressed to the units of the day: xã Xương Lâm (07426) is part of xã Lạng Giang (07375).
    assert told == [(Role.PRODUCER, "07375"), (Role.PROVINCE_OFFICE, "24")]


def test_a_round_survives_only_when_its_council_still_holds_the_dossier(
    engine: Engine, stopped: dict[str, UUID]
) -> None:
    """A district round is cleared; a province round kept for a dossier the province council
    now evaluates first; a central round kept; a province round of a dossier now before the
    central council cleared."""
    rounds = {label: engine.get(stopped[label]).round_id for label in EXPECTED}
    migrate(engine)
    after = {label: engine.get(stopped[label]).round_id for label in EXPECTED}
    assert after["verified_in_round"] is None  # a district round
    assert after["forwarded_province_in_round"] == rounds["forwarded_province_in_round"]
    assert after["province_scored"] == rounds["province_scored"]
    assert after["central_scored"] == rounds["central_scored"]
    assert after["forwarded_central"] is None  # was in the province's round


def test_replay_equals_projection_and_the_audit_is_intact(
    engine: Engine, stopped: dict[str, UUID], db_url: str, capsys: pytest.CaptureFixture[str]
) -> None:
    """Every migrated dossier replays to its projection; verify (which folds every chain) and
    replay find nothing, in the library and with `ocop-cycle audit verify`."""
    from ocop_cycle.cli import main

    migrate(engine)
    for dossier_id in stopped.values():
        assert engine.replay(dossier_id) == engine.get(dossier_id)
    auditor = Auditor(engine)
    assert auditor.verify().intact
    assert auditor.replay().intact
    capsys.readouterr()
    assert main(["--db", db_url, "audit", "verify"]) == 0
    assert "intact" in capsys.readouterr().out


def test_running_again_migrates_nothing_and_says_so(
    engine: Engine, stopped: dict[str, UUID]
) -> None:
    """A second run writes nothing and counts the dossiers carried over earlier."""
    first = migrate(engine)
    before = snapshot(engine)
    again = migrate(engine)
    assert snapshot(engine) == before
    assert again.items == []
    assert again.migrated_earlier == len(first.migrated)
    assert "0 migrated (nothing left to migrate)" in again.summary()
    assert f"{len(EXPECTED)} migrated earlier" in again.summary()


def _rules_without(engine: Engine, **states: str | None) -> RuleBook:
    """The engine's rule book with qd1489-2025's mapping changed (None: no mapping)."""
    rules = engine.rules
    target = rules.profile(NEW)
    rule = target.migration_from[OLD]
    mapping = dict(rule.states)
    for state, to in states.items():
        if to is None:
            mapping.pop(state)
        else:
            mapping[state] = mapping[state].model_copy(update={"to": to})
    changed = target.model_copy(
        update={"migration_from": {OLD: rule.model_copy(update={"states": mapping})}}
    )
    profiles = [changed if p.id == NEW else p for p in rules.profiles.values()]
    return rules.with_profiles(profiles)


def test_unmappable_dossiers_are_listed_with_reasons_and_left_alone(
    engine: Engine, stopped: dict[str, UUID], db_url: str, clock: SettableClock
) -> None:
    """A state with no mapping, or mapped to a state the new workflow lacks, or to one that
    would decide the evaluation: each such dossier is listed with its reason and untouched."""
    rules = _rules_without(
        engine,
        central_scored=None,
        forwarded_province="forwarded_province",
        returned="certified",
    )
    with Engine.open(db_url, clock=clock, rules=rules) as other:
        untouched = {
            label: engine.get(stopped[label])
            for label in ("central_scored", "forwarded_province", "returned")
        }
        untouched["in_round"] = engine.get(stopped["forwarded_province_in_round"])
        dry = other.migrate(from_profile=OLD, to_profile=NEW, effective=EFFECTIVE, dry_run=True)
        report = other.migrate(from_profile=OLD, to_profile=NEW, effective=EFFECTIVE)
    assert report.items == dry.items
    reasons = {i.dossier_id: i.detail for i in report.unmappable}
    assert reasons == {
        stopped["central_scored"]: (
            "no mapping for central_scored in qd1489-2025 migration_from.qd148-2023"
        ),
        stopped["forwarded_province"]: (
            "forwarded_province is not a state of the qd1489-2025 workflow"
        ),
        stopped["forwarded_province_in_round"]: (
            "forwarded_province is not a state of the qd1489-2025 workflow"
        ),
        stopped["returned"]: (
            "certified ends or decides an evaluation: a migration only carries a dossier to a "
            "state where its evaluation continues"
        ),
    }
    for before in untouched.values():
        assert engine.get(before.id) == before
    assert len(report.migrated) == len(EXPECTED) - 4
    # The shipped mapping, run afterwards, carries over what was left.
    assert len(migrate(engine).migrated) == 4


def test_unit_limits_the_run_to_dossiers_filed_under_it(
    engine: Engine, stopped: dict[str, UUID]
) -> None:
    """--unit takes a district, a commune or a province code: as registered (district 216,
    abolished), or a unit of today covering those it succeeded (xã Lạng Giang 07375 covers xã
    Xương Lâm 07426; province "24" covers the old Bắc Giang "24" and Bắc Ninh "27")."""
    tan_yen = {stopped["tan_yen_registered"], stopped["tan_yen_district_scored"]}
    dry = migrate(engine, unit=TAN_YEN.district, dry_run=True)
    assert {i.dossier_id for i in dry.items} == tan_yen
    assert {i.dossier_id for i in migrate(engine, unit=TAN_YEN.commune).migrated} == tan_yen
    lang_giang = migrate(engine, unit="07375")
    assert len(lang_giang.migrated) == len(EXPECTED) - len(ELSEWHERE)
    assert lang_giang.migrated_earlier == 0
    province = migrate(engine, unit="24")
    assert [i.dossier_id for i in province.migrated] == [stopped["bac_ninh_registered"]]
    assert province.migrated_earlier == len(EXPECTED) - 1
    again = migrate(engine, unit="24")
    assert (again.items, again.migrated_earlier) == ([], len(EXPECTED))


def test_a_province_office_migrates_only_its_own_province(
    engine: Engine, stopped: dict[str, UUID]
) -> None:
    """The profile data lets province offices migrate, each within its province (today's "24"
    also for the old Bắc Ninh "27" merged into it); a role the data does not name, or an actor
    of a unit that no longer exists, is refused before anything is read; another province's
    dossiers are neither listed nor counted, even when its unit is named."""
    before = snapshot(engine)
    with pytest.raises(PermissionDenied):
        migrate(engine, actor=Actor(role=Role.COMMUNE_OFFICER, jurisdiction="07375"))
    with pytest.raises(PermissionDenied) as ended:
        migrate(engine, actor=Actor(role=Role.PROVINCE_OFFICE, jurisdiction="27"))
    assert ended.value.reason.code == "unit.ended"
    elsewhere = migrate(engine, actor=Actor(role=Role.PROVINCE_OFFICE, jurisdiction="01"))
    assert snapshot(engine) == before
    # Another province's dossiers are not Hà Nội's to see: not listed, not counted.
    assert (elsewhere.items, elsewhere.migrated_earlier) == ([], 0)
    named = migrate(engine, actor=Actor(role=Role.PROVINCE_OFFICE, jurisdiction="01"), unit="24")
    assert named.items == []
    office = Actor(role=Role.PROVINCE_OFFICE, jurisdiction="24")
    assert len(migrate(engine, actor=office).migrated) == len(EXPECTED)
    assert engine.history(stopped["registered"])[-1].actor == office


@pytest.mark.parametrize(
    ("kw", "field"),
    [
        ({"effective": date(2025, 7, 5)}, "effective"),
        ({"effective": date(2025, 7, 11)}, "effective"),
        ({"from_profile": "qd1048-2019"}, "from_profile"),
        ({"unit": "2170"}, "unit"),
    ],
)
def test_a_migration_asked_wrongly_is_refused_before_anything_is_read(
    engine: Engine, stopped: dict[str, UUID], kw: dict[str, Any], field: str
) -> None:
    """Effective before Decision 1489 or in the future, no mapping from that profile, a
    malformed unit: InvalidCommand naming the field, nothing written."""
    before = snapshot(engine)
    asked: dict[str, Any] = {"from_profile": OLD, "to_profile": NEW, "effective": EFFECTIVE}
    with pytest.raises(InvalidCommand) as caught:
        engine.migrate(**{**asked, **kw})
    assert caught.value.fields == (field,)
    with pytest.raises(ProfileNotFound):
        engine.migrate(**{**asked, "to_profile": "qd999-2030"})
    assert snapshot(engine) == before


def test_migrated_dossiers_continue_under_qd1489(
    engine: Engine, stopped: dict[str, UUID], clock: SettableClock
) -> None:
    """A district-scored dossier is put in a province round, scored by the province council and
    certified by the province committee; a dossier whose district round was cleared cannot be
    scored before a province round; one kept in its province round is scored at once."""
    migrate(engine)
    walk = Walk(engine, clock)
    office, council = walk.actor(Role.PROVINCE_OFFICE), walk.actor(Role.PROVINCE_COUNCIL)
    cleared = engine.get(stopped["verified_in_round"])
    with pytest.raises(GuardRefused) as refused:
        walk.score(cleared, [60, 61, 62], Role.PROVINCE_COUNCIL)
    assert [r.code for r in refused.value.reasons] == ["round.not_assigned"]
    in_round = engine.get(stopped["forwarded_province_in_round"])
    kept = walk.score(in_round, [65, 66, 67], council.role)
    assert (kept.state, kept.level) == (S.PROVINCE_SCORED, "province")
    dossier = engine.assign_round(
        stopped["district_3star"], actor=office, round_id=walk.round_id("24")
    )
    clock.set(at(2025, 8, 20))
    scored = walk.score(dossier, [72, 73, 74], Role.PROVINCE_COUNCIL)
    assert (scored.state, scored.level, scored.stars, scored.profile_id) == (
        S.PROVINCE_SCORED,
        "province",
        4,
        NEW,
    )
    assert scored.score == Decimal("73.00")
    clock.set(at(2025, 8, 25))  # the chair's decision, entered the day it is signed
    certified = engine.certify(
        scored.id,
        actor=walk.actor(Role.PROVINCE_COMMITTEE),
        decision_number="812/QĐ-UBND",
        decision_date=date(2025, 8, 25),
        issuing_body="UBND tỉnh Bắc Ninh",
    )
    assert (certified.state, certified.certified_stars, certified.certified_level) == (
        S.CERTIFIED,
        4,
        "province",
    )
    assert engine.replay(certified.id) == certified
    assert Auditor(engine).verify().intact
    assert Auditor(engine).replay().intact


def test_pending_deadlines_decide_for_themselves_and_none_is_planned(
    engine: Engine, stopped: dict[str, UUID], clock: SettableClock
) -> None:
    """The migration plans no deadline. Later, the round deadlines of a cleared district round
    are skipped; the kept province round's reminder still goes out; the returned dossier's
    supplement deadline still withdraws it, now under qd1489-2025."""
    sweeper = Sweeper(engine)
    pending = sweeper.pending(limit=10_000)
    migrate(engine)
    assert sweeper.pending(limit=10_000) == pending
    clock.set(at(2025, 9, 1))
    applied = sweeper.sweep().applied
    done = {(a.dossier_id, a.kind): a.outcome for a in applied}
    assert done[(stopped["verified_in_round"], "council_reminder")].startswith("skipped")
    assert done[(stopped["forwarded_province_in_round"], "council_reminder")] == (
        "remind -> commune_verified"
    )
    assert done[(stopped["returned"], "supplement_due")] == "withdraw -> withdrawn"
    returned = engine.get(stopped["returned"])
    assert (returned.state, returned.profile_id) == (S.WITHDRAWN, NEW)
    assert Auditor(engine).verify().intact
