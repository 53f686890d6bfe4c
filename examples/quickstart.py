"""One product from registration to a 3★ certificate, on the embedded SQLite default."""

from datetime import date, datetime

from ocop_cycle import VN_TZ, Engine, Role, SettableClock
from ocop_cycle.testing import Place, session_for

clock = SettableClock(datetime(2024, 3, 1, 9, tzinfo=VN_TZ))
place = Place(commune="07426", district="217", province="24")  # Xương Lâm, Lạng Giang, Bắc Giang

with Engine.open("sqlite:///ocop.db", clock=clock) as engine:
    engine.upgrade()  # the same as `ocop-cycle db upgrade`
    dossier = engine.register(
        actor=place.actor(Role.COMMUNE_OFFICER),
        producer={"name": "HTX du lịch cộng đồng Núi Hản", "kind": "cooperative"},
        product={"name": "Bò một nắng Núi Hản", "group": "food", "product_set": "processed_meat"},
        commune_code="07426",
        district_code="217",
        province_code="24",
        idempotency_key="quickstart/register",  # run the script twice: nothing is written twice
    )
    engine.verify_commune(
        dossier.id, actor=place.actor(Role.COMMUNE_COMMITTEE), idempotency_key="quickstart/verify"
    )
    june = engine.create_round(
        actor=place.actor(Role.DISTRICT_OFFICE),
        year=2024,
        number=1,
        jurisdiction_code="217",
        name="Đợt 1 năm 2024",
        registration_deadline=date(2024, 5, 15),
        council_meeting_on=date(2024, 6, 5),
        scoring_deadline=date(2024, 6, 15),
    )
    engine.assign_round(
        dossier.id,
        actor=place.actor(Role.DISTRICT_OFFICE),
        round_id=june.id,
        idempotency_key="quickstart/round",
    )

    clock.set(datetime(2024, 6, 5, 9, tzinfo=VN_TZ))  # the district council meets
    profile = engine.rules.profile(dossier.profile_id)
    sheet = engine.rules.sheet(profile.id, "processed_meat")
    scored = engine.score(
        dossier.id,
        actor=place.actor(Role.DISTRICT_COUNCIL),
        session=session_for(sheet, profile, [63, 65, 64, 66]),  # four members' sheets
        idempotency_key="quickstart/score",
    )
    print(scored.state.label_vi, scored.score, f"{scored.stars}★", scored.outcome.value)

    clock.set(datetime(2024, 6, 20, 9, tzinfo=VN_TZ))  # the district People's Committee decides
    certified = engine.certify(
        dossier.id,
        actor=place.actor(Role.DISTRICT_COMMITTEE),
        decision_number="1520/QĐ-UBND",
        decision_date=date(2024, 6, 20),
        issuing_body="UBND huyện Lạng Giang",
        idempotency_key="quickstart/certify",
    )
    print(certified.state.label_vi, f"{certified.certified_stars}★ đến", certified.valid_until)
    assert engine.replay(dossier.id) == certified  # the projection is the fold of the log
    print("Lịch sử:", [event.type for event in engine.history(dossier.id)])
