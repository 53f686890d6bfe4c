"""Which deadlines an event starts: pure, from the event, the dossier after it and the rules.

Deadlines are planned when their clock starts and written with the event. Whether one still
applies is decided when it falls due (the dossier may have moved on), never by deleting rows.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import date, datetime, time, timedelta
from typing import Any
from uuid import UUID

from dateutil.relativedelta import relativedelta

from ocop_cycle.clock import VN_TZ
from ocop_cycle.rules.profiles import RuleProfile
from ocop_cycle.workflows.derive import council_dossier_day
from ocop_cycle.workflows.events import Event, InspectionRecorded, Returned
from ocop_cycle.workflows.model import Dossier, Round

__all__ = ["KINDS", "DeadlineSpec", "deadlines_for"]

#: Deadline kinds, with what happens when one falls due.
KINDS = {
    "supplement_due": "a returned dossier not resubmitted in time is withdrawn",
    "council_reminder": "council members get the e-dossier 1 working day before the meeting",
    "round_scoring": "an unscored dossier is carried to the next round, or flagged",
    "renewal_notice": "renewal notices before expiry; the statutory one marks renewal_due",
    "expiry": "the certificate lapses: expired, and the recognising body is asked to revoke",
    "inspection_due": "a monitored product not inspected in time is escalated",
}

MORNING = time(8, 0)


def _at(day: date, hour: time = time(0, 0)) -> datetime:
    return datetime.combine(day, hour, tzinfo=VN_TZ)


@dataclass(frozen=True, slots=True)
class DeadlineSpec:
    """One deadline to write: its kind, subject, due time and what the sweep needs to know."""

    kind: str
    dossier_id: UUID
    due_at: datetime
    round_id: UUID | None = None
    detail: dict[str, Any] = field(default_factory=dict)

    @property
    def key(self) -> str:
        """The natural key: the same deadline planned twice is one row."""
        subject = f"{self.dossier_id}/{self.round_id}" if self.round_id else str(self.dossier_id)
        extra = self.detail.get("offset_days", "")
        return f"{self.kind}|{subject}|{self.due_at.isoformat()}|{extra}"


def deadlines_for(
    event: Event, after: Dossier, profile: RuleProfile, round_: Round | None = None
) -> list[DeadlineSpec]:
    """The deadlines whose clock ``event`` starts."""
    d = profile.durations
    dossier_id = after.id
    payload = event.payload
    if isinstance(payload, Returned):
        due_on = payload.due_on
        return [
            DeadlineSpec(
                "supplement_due",
                dossier_id,
                _at(due_on + timedelta(days=1)),  # the whole due day is allowed
                detail={"due_on": due_on.isoformat(), "returned_seq": event.seq},
            )
        ]
    if event.type == "round_assigned" and round_ is not None:
        reminder_day = council_dossier_day(profile, round_)
        return [
            DeadlineSpec(
                "council_reminder",
                dossier_id,
                _at(reminder_day, MORNING),
                round_id=round_.id,
                detail={"meeting_on": round_.council_meeting_on.isoformat()},
            ),
            DeadlineSpec(
                "round_scoring",
                dossier_id,
                _at(round_.scoring_deadline + timedelta(days=1)),
                round_id=round_.id,
                detail={"scoring_deadline": round_.scoring_deadline.isoformat()},
            ),
        ]
    if event.type in {"certified", "certificate_imported"} and after.valid_until is not None:
        valid_until = after.valid_until
        specs = [
            DeadlineSpec(
                "renewal_notice",
                dossier_id,
                _at(valid_until - timedelta(days=offset), MORNING),
                detail={
                    "offset_days": offset,
                    "statutory": offset == d.statutory_notice_days,
                    "valid_until": valid_until.isoformat(),
                },
            )
            for offset in sorted(d.renewal_notice_days, reverse=True)
        ]
        specs.append(
            DeadlineSpec(
                "expiry",
                dossier_id,
                _at(valid_until + timedelta(days=1)),
                detail={"valid_until": valid_until.isoformat()},
            )
        )
        return specs
    if event.type in {"monitoring_started", "inspection_recorded"}:
        since = (
            payload.inspected_on
            if isinstance(payload, InspectionRecorded)
            else event.occurred_at.date()
        )
        due = since + relativedelta(months=d.inspection_interval_months)
        return [
            DeadlineSpec(
                "inspection_due",
                dossier_id,
                _at(due, MORNING),
                detail={"since": since.isoformat()},
            )
        ]
    return []
