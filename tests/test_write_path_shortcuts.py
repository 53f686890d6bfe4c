"""The write path's shortcuts give what the plain forms give: a notice's id is uuid5's, and an
event's payload is stored exactly as ``wire()`` writes it."""

from __future__ import annotations

import uuid
from datetime import date

from hypothesis import given
from hypothesis import strategies as st

from ocop_cycle.workflows.events import Resubmitted, Returned, stored_form
from ocop_cycle.workflows.notices import notice_id
from ocop_cycle.workflows.states import DossierState


@given(st.uuids(), st.text())
def test_a_notice_id_is_uuid5_of_the_dossier_and_its_name(dossier_id: uuid.UUID, name: str) -> None:
    ours = notice_id(dossier_id, name)
    assert ours == uuid.uuid5(dossier_id, name)
    assert (ours.version, ours.variant) == (5, uuid.RFC_4122)


def test_the_stored_form_is_the_wire_form_of_the_payload_asked_for() -> None:
    returned = Returned(state=DossierState.RETURNED, guidance="Bổ sung", due_on=date(2024, 3, 16))
    other = Resubmitted(state=DossierState.REGISTERED, note="")
    assert stored_form(returned) == returned.wire()
    assert stored_form(returned) is stored_form(returned)  # built once for hash and row
    assert stored_form(other) == other.wire()  # another payload: its own form, not the last one
    assert stored_form(returned) == returned.wire()


def test_a_hosts_wire_form_is_its_own_copy() -> None:
    returned = Returned(state=DossierState.RETURNED, guidance="Bổ sung", due_on=date(2024, 3, 16))
    form = stored_form(returned)
    mine = returned.wire()
    mine["guidance"] = "changed by a host"
    assert form["guidance"] == "Bổ sung"
    assert returned.wire() is not returned.wire()
