"""One evaluation of a product at a time: a product (producer id + product id) with a dossier in
evaluation cannot be registered again, by the guard and, for racing writers, by the database."""

from __future__ import annotations

import pytest

from ocop_cycle import DossierState, Engine, GuardRefused, Role, SettableClock
from tests.scenario import Walk, snapshot

S = DossierState


def test_a_product_in_evaluation_cannot_be_registered_again(
    engine: Engine, clock: SettableClock
) -> None:
    """The same producer's same product, registered while its first dossier is open: refused
    with ``product.already_open``, nothing written."""
    walk = Walk(engine, clock)
    walk.register()
    before = snapshot(engine)
    with pytest.raises(GuardRefused) as refused:
        walk.register()
    assert refused.value.codes == ("product.already_open",)
    assert snapshot(engine) == before


def test_the_same_name_in_other_letters_is_the_same_product(
    engine: Engine, clock: SettableClock
) -> None:
    """Names are compared NFC-normalised and case-folded, as the product id is derived."""
    walk = Walk(engine, clock)
    walk.register("Trứng gà núi Hương Sơn")
    with pytest.raises(GuardRefused, match=r"product\.already_open"):
        walk.register("TRỨNG GÀ NÚI HƯƠNG SƠN")
    assert walk.register("Trứng vịt").state is S.REGISTERED  # another product of the producer


@pytest.mark.parametrize("ending", ["withdraw", "reject", "not_recognize"])
def test_once_the_evaluation_has_ended_the_product_may_be_registered_again(
    engine: Engine, clock: SettableClock, ending: str
) -> None:
    """A withdrawn, rejected or not recognised dossier no longer holds the product."""
    walk = Walk(engine, clock)
    if ending == "not_recognize":
        d = walk.entry_scored([40, 41, 42])
        engine.not_recognize(d.id, actor=walk.actor(Role.DISTRICT_COMMITTEE))
    elif ending == "reject":
        d = walk.register()
        engine.reject(d.id, actor=walk.actor(Role.COMMUNE_COMMITTEE), grounds="Không đủ điều kiện")
    else:
        d = walk.register()
        engine.withdraw(d.id, actor=walk.actor(Role.COMMUNE_OFFICER), reason="Chủ thể rút")
    again = walk.register()
    assert (again.state, again.product_id) == (S.REGISTERED, d.product_id)


def test_a_re_evaluation_in_evaluation_holds_the_product(
    engine: Engine, clock: SettableClock
) -> None:
    """While a re-evaluation of the product's certificate is being evaluated, the product cannot
    be registered as new (the certificate alone does not hold it: it is not an evaluation)."""
    walk = Walk(engine, clock)
    cert = walk.certified(name="Trứng gà núi Hương Sơn")
    engine.register_reevaluation(cert.id, actor=walk.actor(Role.COMMUNE_OFFICER), kind="upgrade")
    with pytest.raises(GuardRefused, match=r"product\.already_open"):
        walk.register("Trứng gà núi Hương Sơn")


def test_the_database_refuses_what_the_guard_did_not_see(
    engine: Engine, clock: SettableClock, monkeypatch: pytest.MonkeyPatch
) -> None:
    """A racing registration the lookup missed fails on the unique index and comes out as the
    same refusal; nothing is written."""
    walk = Walk(engine, clock)
    walk.register()
    monkeypatch.setattr(engine._store, "open_product", lambda tx, product_id: None)
    before = snapshot(engine)
    with pytest.raises(GuardRefused) as refused:
        walk.register()
    assert refused.value.codes == ("product.already_open",)
    assert snapshot(engine) == before
