"""Decision 26/2026's deadlines as the sweep applies them: the commune's check within 15
working days (Art. 7.2), the 45 days of a re-evaluation (Art. 7.6g), the transition's 60 and 30
days for dossiers filed before 22/05/2026 (Art. 12.2) — each escalated once to the province's
OCOP office when the dossier is still unhandled — and a certificate's re-evaluation filing window
(Art. 7.6a): producer and commune told when it opens and before it closes, a missed window
flagged on the certificate. Planned by ``workflows.deadlines``; a deadline that no longer applies
(the dossier moved on, a re-evaluation was filed, the expiry moved) is settled as moot.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from datetime import date, datetime, timedelta
from typing import Any
from uuid import UUID

from ocop_cycle._storage.deadlines import DeadlineQueue
from ocop_cycle._storage.store import Store
from ocop_cycle.clock import to_vn
from ocop_cycle.rules.authority import CENTRAL, Role
from ocop_cycle.rules.book import RuleBook
from ocop_cycle.rules.calendar import working_days_after
from ocop_cycle.workflows.commands import (
    DossierCommand,
    EscalateOverdue,
    FlagReevaluationWindowMissed,
    NotifyReevaluationWindow,
    Recipient,
)
from ocop_cycle.workflows.deadlines import deadlines_for
from ocop_cycle.workflows.events import Event
from ocop_cycle.workflows.fold import apply
from ocop_cycle.workflows.model import Dossier
from ocop_cycle.workflows.states import HOLDING_CERTIFICATE, IN_EVALUATION, DossierState

__all__ = ["STATUTORY_KINDS", "DossierFacts", "StatutoryDeadlines", "plan_statutory"]

S = DossierState
#: Whom a notice for a role of a unit reaches on a day (after the 2025 reform: the successor).
Addressee = Callable[[Dossier, Role, str, date], tuple[Role, str]]

STATUTORY_KINDS = {
    "commune_check",
    "reevaluation_decision",
    "transition_finish",
    "reevaluation_window",
}
#: Events by which the commune receives a dossier (its 15 working days start again).
_RECEIVED = ("registered", "resubmitted")
_OVERDUE_VI = {
    "commune_check": "UBND xã chưa kiểm tra, đề nghị hồ sơ sản phẩm «{product}» trong {days} "
    "ngày làm việc kể từ ngày tiếp nhận (hạn {due}).",
    "reevaluation_decision": "Hồ sơ đánh giá lại sản phẩm «{product}» chưa có kết quả trong "
    "{days} ngày kể từ ngày nhận đủ hồ sơ đề nghị (hạn {due}).",
    "transition_finish": "Hồ sơ sản phẩm «{product}» chưa hoàn thành đánh giá, phân hạng trong "
    "thời hạn chuyển tiếp (hạn {due}; {basis}).",
}


@dataclass(frozen=True, slots=True)
class DossierFacts:
    """What these deadlines read besides the projection, loaded only when asked (in the
    sweeper's transaction): the dossier's events, and its open re-evaluation if any."""

    events: Callable[[], list[Event]]
    open_successor: Callable[[], UUID | None]


class StatutoryDeadlines:
    """The commands Decision 26/2026's due deadlines call for."""

    def __init__(self, addressee: Addressee) -> None:
        self.addressee = addressee

    def command_for(
        self, kind: str, detail: dict[str, Any], d: Dossier, now: datetime, facts: DossierFacts
    ) -> DossierCommand | str:
        """What a due deadline of ``kind`` calls for, or why it no longer applies."""
        today = now.date()
        if kind == "reevaluation_window":
            return self._window(detail, d, today, facts)
        if d.state not in IN_EVALUATION:
            return f"dossier is {d.state.value}: finished"
        if kind == "commune_check":
            days = detail["days"]
            if d.state is not S.REGISTERED or not _still_due(
                facts,
                _RECEIVED,
                detail.get("received_seq"),
                detail["last_day"],
                lambda received: working_days_after(received, days),
            ):
                return f"dossier is {d.state.value}: checked, or received again since"
            due_on = date.fromisoformat(detail["last_day"])
            return self._escalate(
                d, "commune_check", due_on, today, detail, Role.COMMUNE_COMMITTEE, d.commune_code
            )
        if kind == "reevaluation_decision":
            days = detail["days"]
            if not _still_due(
                facts,
                ("commune_verified", "forwarded"),
                detail.get("proposed_seq"),
                detail["decide_by"],
                lambda proposed: proposed + timedelta(days=days),
            ):
                return "proposed again since: a later deadline holds"
            due_on = date.fromisoformat(detail["decide_by"])
            if d.state in {S.FORWARDED_CENTRAL, S.CENTRAL_SCORED}:
                # The ministry holds it: told as well as the province's office.
                return self._escalate(
                    d, "reevaluation_decision", due_on, today, detail, Role.MINISTRY, CENTRAL
                )
            return self._escalate(d, "reevaluation_decision", due_on, today, detail)
        due_on = date.fromisoformat(detail["finish_by"])
        return self._escalate(d, "transition_finish", due_on, today, detail)

    def _escalate(
        self,
        d: Dossier,
        rule: str,
        due_on: date,
        today: date,
        detail: dict[str, Any],
        also: Role | None = None,
        also_code: str | None = None,
    ) -> EscalateOverdue:
        """Tell the province's OCOP office (and ``also``) that ``rule``'s deadline passed."""
        text = _OVERDUE_VI[rule].format(
            product=d.product_name,
            due=f"{due_on:%d/%m/%Y}",
            days=detail.get("days", "?"),
            basis=detail.get("legal_basis_vi", ""),
        )
        to = [self.addressee(d, Role.PROVINCE_OFFICE, d.province_code, today)]
        if also is not None and also_code is not None:
            to.append(self.addressee(d, also, also_code, today))
        return EscalateOverdue(
            dossier_id=d.id,
            rule=rule,
            due_on=due_on,
            notify=tuple(Recipient(role=r, jurisdiction=c, message_vi=text) for r, c in to),
        )

    def _window(
        self, detail: dict[str, Any], d: Dossier, today: date, facts: DossierFacts
    ) -> DossierCommand | str:
        """The re-evaluation window of a certificate: opens, closes soon, or was missed."""
        if d.state not in HOLDING_CERTIFICATE or str(d.valid_until) != detail["valid_until"]:
            return f"dossier is {d.state.value}: no certificate with that expiry"
        stage = detail["stage"]
        if stage != "opens" and facts.open_successor() is not None:
            return "a re-evaluation is filed"
        opens, closes = (
            date.fromisoformat(detail["opens_on"]),
            date.fromisoformat(detail["closes_on"]),
        )
        span = f"từ ngày {opens:%d/%m/%Y} đến ngày {closes:%d/%m/%Y}"
        valid = f"{d.valid_until:%d/%m/%Y}" if d.valid_until else "?"
        commune = d.commune_code or d.province_code
        producer = self.addressee(d, Role.PRODUCER, commune, today)
        officer = self.addressee(d, Role.COMMUNE_OFFICER, commune, today)
        name = f"Giấy chứng nhận OCOP của sản phẩm «{d.product_name}» hết hạn ngày {valid}"
        if stage == "missed":
            text = f"{name}: đã hết thời hạn nộp hồ sơ đánh giá lại ({span}) mà chưa nộp."
            province = self.addressee(d, Role.PROVINCE_OFFICE, d.province_code, today)
            return FlagReevaluationWindowMissed(
                dossier_id=d.id,
                opens_on=opens,
                closes_on=closes,
                notify=tuple(
                    Recipient(role=r, jurisdiction=c, message_vi=text)
                    for r, c in (producer, officer, province)
                ),
            )
        text = (
            f"{name}: nộp hồ sơ đánh giá lại {span}."
            if stage == "opens"
            else f"{name}: hạn nộp hồ sơ đánh giá lại kết thúc ngày {closes:%d/%m/%Y}."
        )
        return NotifyReevaluationWindow(
            dossier_id=d.id,
            stage=stage,
            opens_on=opens,
            closes_on=closes,
            notify=tuple(
                Recipient(role=r, jurisdiction=c, message_vi=text) for r, c in (producer, officer)
            ),
        )


def _still_due(
    facts: DossierFacts,
    types: tuple[str, ...],
    planned_by: int | None,
    last_day: str,
    last_day_from: Callable[[date], date],
) -> bool:
    """Whether a deadline that an event of ``types`` started (event ``planned_by``, ending on
    ``last_day``) is the one the dossier's latest such event runs. A later event restarts the
    count, and plans its own deadline; when that one ends on the same day (returned and
    resubmitted on the day it was received, or over a weekend), it is this very row (one
    natural key), so the row stands for the later event too."""
    found = [e for e in facts.events() if e.type in types]
    if not found:
        return False
    latest = found[-1]
    if latest.seq == planned_by:
        return True
    return last_day_from(to_vn(latest.occurred_at).date()).isoformat() == last_day


#: Where a dossier-id page starts: below every UUID.
_FIRST = UUID(int=0)


def plan_statutory(
    store: Store, queue: DeadlineQueue, rules: RuleBook, now: datetime, *, page: int = 500
) -> int:
    """Plan Decision 26/2026's deadlines for dossiers whose events were written before the
    rules knew them (a store upgraded with dossiers and certificates alive): each dossier's log
    is read again and the statutory deadlines its events start are written, those already
    planned (same natural key) left as they are. Only the statutory kinds: the others were
    planned with their events. Returns how many were added; running it again adds none.
    One transaction per page of dossiers."""
    added = 0
    after = _FIRST
    while True:
        with store.write() as tx:
            ids = queue.dossier_ids(tx, after, page)
            for dossier_id in ids:
                dossier: Dossier | None = None
                for event in store.events(tx, dossier_id):
                    dossier = apply(dossier, event)
                    specs = deadlines_for(
                        event, dossier, rules.profile(event.profile_id), None, rules
                    )
                    wanted = [spec for spec in specs if spec.kind in STATUTORY_KINDS]
                    added += store.add_deadlines(tx, wanted, now) if wanted else 0
        if len(ids) < page:
            return added
        after = ids[-1]
