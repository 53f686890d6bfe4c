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
from ocop_cycle.rules.book import RuleBook
from ocop_cycle.rules.calendar import working_days_after
from ocop_cycle.rules.profiles import RuleProfile
from ocop_cycle.workflows.derive import council_dossier_day
from ocop_cycle.workflows.events import (
    Event,
    InspectionRecorded,
    Returned,
    ValidityExtended,
)
from ocop_cycle.workflows.model import Dossier, DossierKind, Round

__all__ = ["KINDS", "DeadlineSpec", "deadlines_for", "renewal_notice_superseded"]

#: Deadline kinds, with what happens when one falls due.
KINDS = {
    "supplement_due": "a returned dossier not resubmitted in time is withdrawn",
    "council_reminder": "council members get the e-dossier 1 working day before the meeting",
    "round_scoring": "an unscored dossier is carried to the next round, or flagged",
    "renewal_notice": "renewal notices before expiry; the statutory one marks renewal_due",
    "expiry": "the certificate lapses: expired, and the recognising body is asked to revoke",
    "inspection_due": "a monitored product not inspected in time is escalated",
    "commune_check": "a dossier the commune has not checked and proposed in time is escalated",
    "reevaluation_decision": "a re-evaluation undecided 45 days after its proposal is escalated",
    "transition_finish": "a dossier filed before a new decision and unfinished in time is "
    "escalated",
    "reevaluation_window": "producer and commune are told when filing opens and before it "
    "closes; a window closed with nothing filed is flagged",
}

MORNING = time(8, 0)


def _at(day: date, hour: time = time(0, 0)) -> datetime:
    return datetime.combine(day, hour, tzinfo=VN_TZ)


def _after(last_day: date) -> datetime:
    """Due at the first moment after ``last_day``: the whole last day is allowed."""
    return _at(last_day + timedelta(days=1))


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
    event: Event,
    after: Dossier,
    profile: RuleProfile,
    round_: Round | None = None,
    rules: RuleBook | None = None,
) -> list[DeadlineSpec]:
    """The deadlines whose clock ``event`` starts (with ``rules``, also those a later profile
    sets: the transition's finishing days, the re-evaluation window of a certificate)."""
    specs = _deadlines_for(event, after, profile, round_)
    specs += _qd26_deadlines(event, after, profile, rules)
    return specs


def _qd26_deadlines(
    event: Event, after: Dossier, profile: RuleProfile, rules: RuleBook | None
) -> list[DeadlineSpec]:
    """Decision 26/2026's deadlines: the commune's check (Art. 7.2), the 45 days of a
    re-evaluation (Art. 7.6g), the filing window (Art. 7.6a), the transition (Art. 12.2), and
    the expiry an extension moves (Art. 12.3)."""
    d = profile.durations
    day = event.occurred_at.date()
    out: list[DeadlineSpec] = []
    if event.type in {"registered", "resubmitted"} and d.commune_check_working_days:
        last = working_days_after(day, d.commune_check_working_days)
        out.append(
            DeadlineSpec(
                "commune_check",
                after.id,
                _after(last),
                detail={
                    "last_day": last.isoformat(),
                    "received_seq": event.seq,
                    "days": d.commune_check_working_days,
                },
            )
        )
    if event.type == "registered" and rules is not None:
        out += _transition(event, after, profile, rules)
    if (
        # Art. 7.6.g: "45 ngày kể từ ngày nhận đủ hồ sơ đề nghị của UBND cấp xã hoặc UBND cấp
        # tỉnh": from the commune's proposal, and again from the province's request upward.
        event.type in {"commune_verified", "forwarded"}
        and after.kind is DossierKind.RE_EVALUATION
        and d.reevaluation_decision_days
    ):
        decide_by = day + timedelta(days=d.reevaluation_decision_days)
        out.append(
            DeadlineSpec(
                "reevaluation_decision",
                after.id,
                _after(decide_by),
                detail={
                    "decide_by": decide_by.isoformat(),
                    "proposed_seq": event.seq,
                    "days": d.reevaluation_decision_days,
                },
            )
        )
    if event.type in {"certified", "certificate_imported"} and rules is not None:
        out += _window(after, rules, event.recorded_at)
    if isinstance(event.payload, ValidityExtended):
        until = event.payload.valid_until
        out.append(
            DeadlineSpec(
                "expiry",
                after.id,
                _after(until),
                detail={"valid_until": until.isoformat()},
            )
        )
    return out


def _transition(
    event: Event, after: Dossier, profile: RuleProfile, rules: RuleBook
) -> list[DeadlineSpec]:
    """A dossier filed before a later profile took effect finishes within its transition's days
    (Decision 26/2026, Art. 12.2), under the profile it was filed under."""
    later = rules.succeeding(profile.id)
    if later is None or later.transition is None:
        return []
    transition = later.transition
    finish_by = transition.finish_by(after.kind.value)
    if event.occurred_at.date() >= transition.effective or finish_by is None:
        return []
    return [
        DeadlineSpec(
            "transition_finish",
            after.id,
            _after(finish_by),
            detail={
                "finish_by": finish_by.isoformat(),
                "under": later.id,
                "legal_basis_vi": transition.legal_basis_vi,
            },
        )
    ]


def renewal_notice_superseded(certificate: Dossier, day: date, rules: RuleBook) -> str | None:
    """Why the statutory renewal notice of the certificate's own profile (it marks the
    certificate renewal due and asks the producer to file) is not given on ``day``, if it is
    not: a later profile re-evaluates the certificate inside a filing window of its own
    (Decision 26/2026, Art. 7.6.a), and that window closed before ``day`` -- it would ask for
    what the engine then refuses. The other notices only say when the certificate expires."""
    expires = certificate.valid_until
    if expires is None:
        return None
    later = rules.window_profile(expires)
    if later is None or later.id == certificate.profile_id:
        return None
    window = later.durations.reevaluation_window_days
    assert window is not None
    closes = expires - timedelta(days=window[1])
    if day <= closes:
        return None
    return (
        f"the re-evaluation window of {later.id} closed on {closes.isoformat()}: "
        "no filing left to give notice of"
    )


def _window(certificate: Dossier, rules: RuleBook, recorded_at: datetime) -> list[DeadlineSpec]:
    """The filing window of a certificate's re-evaluation, under the profile that will take it:
    a notice when it opens, reminders before it closes, a flag the day after it closed. What
    fell due before the certificate was recorded (an old certificate imported late) is not
    owed by this system and is not planned; what falls due after is, downtime or not."""
    expires = certificate.valid_until
    if expires is None:
        return []
    later = rules.window_profile(expires)
    if later is None:
        return []
    durations = later.durations
    assert durations.reevaluation_window_days is not None
    first, last = durations.reevaluation_window_days
    opens, closes = expires - timedelta(days=first), expires - timedelta(days=last)
    detail = {
        "opens_on": opens.isoformat(),
        "closes_on": closes.isoformat(),
        "valid_until": expires.isoformat(),
    }
    specs = [
        DeadlineSpec(
            "reevaluation_window",
            certificate.id,
            _at(opens, MORNING),
            detail={**detail, "stage": "opens"},
        )
    ]
    specs += [
        DeadlineSpec(
            "reevaluation_window",
            certificate.id,
            _at(closes - timedelta(days=days), MORNING),
            detail={**detail, "stage": "closes", "offset_days": days},
        )
        for days in sorted(durations.reevaluation_window_reminder_days, reverse=True)
    ]
    specs.append(
        DeadlineSpec(
            "reevaluation_window",
            certificate.id,
            _after(closes),
            detail={**detail, "stage": "missed"},
        )
    )
    return [spec for spec in specs if spec.due_at > recorded_at]


def _deadlines_for(
    event: Event, after: Dossier, profile: RuleProfile, round_: Round | None = None
) -> list[DeadlineSpec]:
    """The deadlines of the workflow every profile shares."""
    d = profile.durations
    dossier_id = after.id
    payload = event.payload
    if isinstance(payload, Returned):
        due_on = payload.due_on
        return [
            DeadlineSpec(
                "supplement_due",
                dossier_id,
                _after(due_on),
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
                _after(round_.scoring_deadline),
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
                _after(valid_until),
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
