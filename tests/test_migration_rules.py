"""The migration rule as profile data, and what the pure part decides from it (no database)."""

from __future__ import annotations

from typing import Any

import pytest
from pydantic import ValidationError

from ocop_cycle import DossierState, default_rule_book
from ocop_cycle.rules.profiles import RuleProfile
from ocop_cycle.workflows.machine import DossierMachine
from ocop_cycle.workflows.migration import open_states

S = DossierState


def _profile(**changes: Any) -> dict[str, Any]:
    doc = default_rule_book().profile("qd1489-2025").model_dump(mode="json")
    doc.update(changes)
    return doc


def test_the_shipped_mapping_covers_every_open_state_of_qd148() -> None:
    """Every state a qd148-2023 dossier can be in while evaluated has a mapping, to a state
    where qd1489-2025's workflow continues the evaluation."""
    book = default_rule_book()
    old, new = book.profile("qd148-2023"), book.profile("qd1489-2025")
    rule = new.migration_from[old.id]
    assert set(rule.states) == {s.value for s in open_states(DossierMachine(old))}
    targets = {S(m.to) for m in rule.states.values()}
    assert targets <= set(open_states(DossierMachine(new)))
    assert S.DISTRICT_SCORED not in DossierMachine(new).states


def test_open_states_leave_out_certificates_and_finished_dossiers() -> None:
    """Held or lapsed certificates, finished dossiers and `new` are never carried over."""
    states = open_states(DossierMachine(default_rule_book().profile("qd148-2023")))
    assert states == (
        S.REGISTERED,
        S.RETURNED,
        S.COMMUNE_VERIFIED,
        S.DISTRICT_SCORED,
        S.FORWARDED_PROVINCE,
        S.PROVINCE_SCORED,
        S.FORWARDED_CENTRAL,
        S.CENTRAL_SCORED,
    )


def test_a_state_maps_by_name_for_short() -> None:
    """`"registered": "registered"` is short for `{"to": "registered"}`."""
    rule = {
        "effective": "2025-07-06",
        "legal_basis_vi": "Quyết định 1489/QĐ-TTg",
        "actors": ["system"],
        "states": {"registered": "registered"},
    }
    profile = RuleProfile.model_validate(_profile(migration_from={"qd148-2023": rule}))
    assert profile.migration_from["qd148-2023"].states["registered"].to == "registered"


@pytest.mark.parametrize(
    ("source", "change", "message"),
    [
        ("qd1489-2025", {}, "cannot migrate from itself"),
        ("qd148-2023", {"effective": "2025-07-01"}, "takes effect before this profile"),
        ("qd148-2023", {"actors": []}, "actors"),
        ("qd148-2023", {"states": {"registered": {"to": "x", "clear": ["state"]}}}, "clear"),
    ],
)
def test_a_bad_migration_rule_is_refused_on_load(
    source: str, change: dict[str, Any], message: str
) -> None:
    """A profile migrating from itself, taking effect before it is in force, naming no actor
    or clearing a field that cannot be cleared fails validation."""
    rule = default_rule_book().profile("qd1489-2025").migration_from["qd148-2023"]
    doc = {**rule.model_dump(mode="json"), **change}
    with pytest.raises(ValidationError, match=message):
        RuleProfile.model_validate(_profile(migration_from={source: doc}))
