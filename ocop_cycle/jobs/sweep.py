"""Sweeps: find what is due at time T, and apply each due deadline exactly once.

"What is due" is one indexed range query on ``(status, due_at)``: its cost follows what is
due, not the size of the store. Each due row is claimed and applied in one transaction with the
events it causes: PostgreSQL claims with ``FOR UPDATE SKIP LOCKED`` so several schedulers share
the work; SQLite's write lock (BEGIN IMMEDIATE) serialises them, and the status flip is a
compare-and-set. A crash before COMMIT leaves the row pending for the next sweep; a crash after
leaves it done. Applying is an ordinary command by the system actor, so its effects are events
and outbox rows like any other. A deadline whose application fails unexpectedly (a defect, data
no rule foresaw) is settled ``failed`` with its error instead of staying first in the queue and
stopping every deadline after it; an operator puts it back with ``retry`` once the cause is
fixed. The database's own failures are not that: they leave the row pending for the next sweep.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from datetime import date, datetime, timedelta
from typing import TYPE_CHECKING, Any
from uuid import UUID

from pydantic import BaseModel, ConfigDict

from ocop_cycle._log import get_logger
from ocop_cycle._storage.deadlines import DeadlineQueue
from ocop_cycle._storage.fastpath import Tx
from ocop_cycle.clock import to_vn
from ocop_cycle.errors import (
    CommandRefused,
    ConcurrencyConflict,
    FieldProblem,
    InvalidCommand,
    NotFound,
    StorageError,
)
from ocop_cycle.jobs.aftercare import expiry_message_vi, monitoring_agency
from ocop_cycle.jobs.statutory import (
    STATUTORY_KINDS,
    DossierFacts,
    StatutoryDeadlines,
    plan_statutory,
)
from ocop_cycle.limits import MAX_ID, count_problems, instant_problems
from ocop_cycle.rules.authority import CENTRAL, Actor, Level, Role
from ocop_cycle.text import format_date_vi
from ocop_cycle.workflows.commands import (
    AssignRound,
    DossierCommand,
    EscalateInspection,
    Expire,
    FlagRoundMissed,
    MarkRenewalDue,
    Recipient,
    SendReminder,
    Withdraw,
)
from ocop_cycle.workflows.deadlines import renewal_notice_superseded
from ocop_cycle.workflows.derive import council_dossier_day
from ocop_cycle.workflows.jurisdiction import addressee, recorded_on
from ocop_cycle.workflows.model import Dossier, Round
from ocop_cycle.workflows.states import HOLDING_CERTIFICATE, DossierState

if TYPE_CHECKING:
    from ocop_cycle.engine import Engine

__all__ = ["Applied", "Deadline", "SweepReport", "Sweeper"]

log = get_logger("ocop_cycle.jobs")

S = DossierState
_AWAITING_COUNCIL = {S.COMMUNE_VERIFIED, S.FORWARDED_PROVINCE, S.FORWARDED_CENTRAL}


class Deadline(BaseModel):
    """A deadline row, as a read model."""

    model_config = ConfigDict(frozen=True)

    id: int
    key: str
    kind: str
    dossier_id: UUID
    round_id: UUID | None
    due_at: datetime
    status: str
    detail: dict[str, Any]
    applied_at: datetime | None = None
    lateness_seconds: int | None = None
    outcome: str | None = None


@dataclass(frozen=True, slots=True)
class Applied:
    """One deadline the sweep settled: what it did and how late."""

    deadline_id: int
    kind: str
    dossier_id: UUID
    due_at: datetime
    outcome: str
    lateness: timedelta

    @property
    def status(self) -> str:
        """How it was settled: ``done``, ``skipped`` (it no longer applied) or ``failed``."""
        head = self.outcome.split(":", 1)[0]
        return head if head in ("skipped", "failed") else "done"


@dataclass
class SweepReport:
    """What one sweep did: the deadlines it applied (or found moot), and those whose application
    failed with an unexpected error, set aside as ``failed`` so that they block nothing else."""

    applied: list[Applied] = field(default_factory=list)
    conflicts: int = 0
    failed: list[Applied] = field(default_factory=list)

    @property
    def count(self) -> int:
        """How many deadlines were settled (applied or skipped as moot)."""
        return len(self.applied)


def _office(code: str) -> Role:
    return {2: Role.PROVINCE_OFFICE, 3: Role.DISTRICT_OFFICE}.get(len(code), Role.MINISTRY)


def _council(code: str) -> Role:
    if code == CENTRAL:
        return Role.CENTRAL_COUNCIL
    return {2: Role.PROVINCE_COUNCIL, 3: Role.DISTRICT_COUNCIL}.get(len(code), Role.CENTRAL_COUNCIL)


class _ApplyFailed(Exception):
    """Applying the claimed ``row`` raised ``cause`` unexpectedly: raised out of its
    transaction so that everything it did rolls back before the row is set aside."""

    def __init__(self, row: dict[str, Any], cause: Exception) -> None:
        super().__init__(row["id"])
        self.row, self.cause = row, cause


def _listing_checked(where: str, due_before: object, limit: object) -> None:
    """Refuse a listing's bad arguments by name (a negative limit would list everything on
    SQLite; a huge one overflows either database)."""
    problems = count_problems("limit", limit)
    if due_before is not None:
        problems += instant_problems("due_before", due_before)
    if problems:
        raise InvalidCommand(where, problems)


def _vn_now(now: datetime, where: str) -> datetime:
    """``now`` in Vietnam's zone. Why: deadlines fall due on Vietnam's days; given in UTC
    between 00:00 and 07:00 Vietnam time, an expiry due that night would be judged a day early
    by its guard and settled as moot for good."""
    problems = instant_problems("now", now)  # a year 1 cannot even be moved to Vietnam's zone
    if problems:
        raise InvalidCommand(where, problems)
    return to_vn(now)


class Sweeper:
    """Applies due deadlines of one engine's database."""

    def __init__(self, engine: Engine, *, actor: Actor | None = None) -> None:
        self.engine = engine
        self.actor = actor or Actor.system()
        self._store = engine._store
        self._handlers = engine._handlers
        # The engine's own database: on a host's connection, sweeps run in the host's transaction.
        self._queue = DeadlineQueue(self._store.database)
        self._statutory = StatutoryDeadlines(self._addressee)

    # -- queries ------------------------------------------------------------------------------

    def pending(self, *, due_before: datetime | None = None, limit: int = 1000) -> list[Deadline]:
        """Pending deadlines in due order, optionally only those due before a time."""
        _listing_checked("pending", due_before, limit)
        rows = self._queue.pending(due_before=due_before, limit=limit)
        return [Deadline.model_validate(r) for r in rows]

    def failed(self, *, due_before: datetime | None = None, limit: int = 1000) -> list[Deadline]:
        """Deadlines set aside because applying them failed (``outcome`` says how), in due
        order: an operator fixes the cause, then puts them back with ``retry``."""
        _listing_checked("failed", due_before, limit)
        rows = self._queue.pending(due_before=due_before, limit=limit, status="failed")
        return [Deadline.model_validate(r) for r in rows]

    def retry(self, deadline_ids: Sequence[int]) -> list[int]:
        """Put failed deadlines back in the queue: the next sweep applies them as if they had
        never failed (late, and in due order). The ids put back, sorted; an id that is not a
        failed deadline is left as it is (not in the result)."""
        if isinstance(deadline_ids, str | bytes) or not isinstance(deadline_ids, Sequence):
            raise InvalidCommand(
                "retry", [FieldProblem("deadline_ids", "must be a list of deadline ids")]
            )
        problems = [
            p
            for i, found in enumerate(deadline_ids)
            for p in count_problems(f"deadline_ids.{i}", found, high=MAX_ID)
        ]
        if problems:
            raise InvalidCommand("retry", problems)
        return self._queue.retry(deadline_ids)

    def last_recorded_at(self) -> datetime | None:
        """When the store recorded its latest event, if any."""
        with self._store.read() as tx:
            found = self._store.last_recorded_at(tx)
        return None if found is None else to_vn(found)

    def next_due_at(self) -> datetime | None:
        """When the earliest pending deadline falls due, if any."""
        return self._queue.next_due_at()

    def plan_statutory(self) -> int:
        """Plan Decision 26/2026's deadlines (filing windows, transition, commune check, 45
        days) for dossiers written before the rules knew them; how many were added. Run once
        after upgrading a store with dossiers alive; again, it adds none."""
        return plan_statutory(self._store, self._queue, self.engine.rules, self.engine.clock.now())

    # -- applying -----------------------------------------------------------------------------

    def sweep(
        self,
        *,
        now: datetime | None = None,
        limit: int | None = None,
        stop: Callable[[], bool] | None = None,
    ) -> SweepReport:
        """Apply everything due at ``now`` (the clock's now by default), in due order; ``stop``
        is asked before each deadline (a scheduler shutting down ends the sweep there)."""
        now = _vn_now(now, "sweep") if now is not None else self.engine.clock.now()
        if limit is not None and (problems := count_problems("limit", limit)):
            raise InvalidCommand("sweep", problems)
        if stop is not None and not callable(stop):
            raise InvalidCommand("sweep", [FieldProblem("stop", "must be callable")])
        report = SweepReport()
        while (limit is None or report.count < limit) and not (stop is not None and stop()):
            try:
                applied = self.apply_next(now)
            except ConcurrencyConflict:
                # Another writer moved the dossier between our read and write: the row is still
                # pending and is retried on the next turn of this loop.
                report.conflicts += 1
                if report.conflicts > 100 + report.count:
                    break
                continue
            if applied is None:
                break
            (report.failed if applied.status == "failed" else report.applied).append(applied)
        if report.count or report.failed:
            log.info(
                "sweep.done",
                applied=report.count,
                conflicts=report.conflicts,
                failed=len(report.failed),
            )
        return report

    def apply_next(self, now: datetime) -> Applied | None:
        """Claim the earliest due deadline of a dossier no other sweeper holds and settle it in
        one transaction with its effects; None when nothing is due.

        When applying it fails with an unexpected error (not a refusal, a conflict or the
        database's own failure, which the next sweep retries), nothing it did is kept and the
        deadline is settled ``failed`` with the error, in a transaction of its own: a deadline
        that cannot be applied must not stay first in the queue and stop every later one.
        """
        now = _vn_now(now, "apply_next")
        try:
            return self._apply_claimed(now)
        except _ApplyFailed as failed:  # its transaction rolled back on the way out
            return self._set_aside(failed.row, now, failed.cause)

    def _apply_claimed(self, now: datetime) -> Applied | None:
        with self._store.write() as tx:
            row = self._queue.claim(tx, now)
            if row is None:
                return None
            try:
                outcome, at = self._apply(tx, row, now)
            except (ConcurrencyConflict, StorageError):
                raise
            except Exception as exc:
                raise _ApplyFailed(row, exc) from exc
            lateness = at - row["due_at"]
            settled = self._queue.settle(
                tx,
                row["id"],
                status="done" if not outcome.startswith("skipped") else "skipped",
                applied_at=at,
                lateness_seconds=int(lateness.total_seconds()),
                outcome=outcome,
            )
            if not settled:  # someone settled it first: undo everything we did
                raise ConcurrencyConflict(row["dossier_id"], None, None)
        log.info(
            "deadline.applied",
            kind=row["kind"],
            dossier_id=str(row["dossier_id"]),
            due_at=row["due_at"].isoformat(),
            lateness_s=int(lateness.total_seconds()),
            outcome=outcome,
        )
        return Applied(row["id"], row["kind"], row["dossier_id"], row["due_at"], outcome, lateness)

    def _set_aside(self, row: dict[str, Any], now: datetime, exc: Exception) -> Applied:
        """Settle a deadline whose application failed as ``failed``, with the error."""
        lateness = now - row["due_at"]
        outcome = f"failed: {type(exc).__name__}: {' '.join(str(exc).split())}"
        with self._store.write() as tx:
            settled = self._queue.settle(
                tx,
                row["id"],
                status="failed",
                applied_at=now,
                lateness_seconds=int(lateness.total_seconds()),
                outcome=outcome,
            )
        if not settled:  # another sweeper settled it meanwhile: its outcome stands
            raise ConcurrencyConflict(row["dossier_id"], None, None) from exc
        log.error(
            "deadline.failed",
            kind=row["kind"],
            dossier_id=str(row["dossier_id"]),
            due_at=row["due_at"].isoformat(),
            error=outcome,
            exc_info=exc,
        )
        return Applied(row["id"], row["kind"], row["dossier_id"], row["due_at"], outcome, lateness)

    def _apply(self, tx: Tx, row: dict[str, Any], now: datetime) -> tuple[str, datetime]:
        """What applying the claimed ``row`` did, and when it was applied: ``now``, or the
        time of the dossier's last event when that is later. Why: another clock may have
        written the dossier ahead of this one (a simulation ahead of this one on the same
        store, a live store simulated into the future); an event recorded before the one
        already last in its log would give the log a history that runs backwards ("known at"
        queries would hide it). The sweep's clock moves on to the log's for this dossier."""
        dossier = self._store.load(tx, row["dossier_id"])
        if dossier is None:
            return "skipped: dossier not found", now
        now = max(now, to_vn(dossier.updated_at))
        try:
            command = self._command_for(tx, row, dossier, now)
        except NotFound as exc:
            return f"skipped: {exc}", now
        if isinstance(command, str):
            return f"skipped: {command}", now
        handlers = self._handlers
        try:
            before = handlers.authorise(tx, command, self.actor, on_deadline=True, loaded=dossier)
            after = handlers.transition_in(
                tx, command, self.actor, row["due_at"], now, before=before
            )
        except CommandRefused as exc:
            return f"skipped: {exc}", now
        return f"{type(command).trigger} -> {after.state.value}", now

    def _command_for(
        self, tx: Tx, row: dict[str, Any], d: Dossier, now: datetime
    ) -> DossierCommand | str:
        """The system command a due deadline calls for, or why it no longer applies."""
        kind, detail = row["kind"], row["detail"]
        if kind == "supplement_due":
            if d.state is not S.RETURNED or str(d.supplement_due_on) != detail["due_on"]:
                return f"dossier is {d.state.value}, not awaiting that supplement"
            return Withdraw(
                dossier_id=d.id,
                reason="Quá hạn bổ sung hồ sơ (hạn "
                f"{format_date_vi(date.fromisoformat(detail['due_on']))})",
            )
        if kind in {"council_reminder", "round_scoring"}:
            if d.round_id != row["round_id"] or d.state not in _AWAITING_COUNCIL:
                return f"dossier is {d.state.value}, no longer awaiting that round"
            round_ = self._store.round(tx, row["round_id"])
            if round_ is None:
                return "round not found"
            if kind == "council_reminder":
                return self._council_reminder(d, round_, row["due_at"])
            return self._carry_over(tx, d, round_, now)
        if kind == "renewal_notice":
            if d.state not in HOLDING_CERTIFICATE or str(d.valid_until) != detail["valid_until"]:
                return f"dossier is {d.state.value}: no certificate to renew"
            if detail["statutory"]:
                # It asks the producer to file: not once a later profile's window has closed.
                superseded = renewal_notice_superseded(
                    d, to_vn(row["due_at"]).date(), self.engine.rules
                )
                if superseded is not None:
                    return superseded
                if d.state is S.RENEWAL_DUE:
                    return "already renewal_due"
                return MarkRenewalDue(dossier_id=d.id)
            return SendReminder(dossier_id=d.id, kind="renewal_notice", due_at=row["due_at"])
        if kind == "expiry":
            if d.state not in HOLDING_CERTIFICATE or str(d.valid_until) != detail["valid_until"]:
                return f"dossier is {d.state.value}: nothing to expire"
            return Expire(dossier_id=d.id, notify=self._revocation_request(d, now.date()))
        if kind == "inspection_due":
            since = date.fromisoformat(detail["since"])
            if d.state not in {S.MONITORED, S.RENEWAL_DUE}:
                return f"dossier is {d.state.value}: not monitored"
            if d.last_inspection_on is not None and d.last_inspection_on > since:
                return f"inspected on {d.last_inspection_on.isoformat()}"
            agency, unit = monitoring_agency(self.engine.rules.profile(d.profile_id), d)
            role, code = self._addressee(d, agency, unit, now.date())
            return EscalateInspection(
                dossier_id=d.id,
                since=since,
                notify=(
                    Recipient(
                        role=role,
                        jurisdiction=code,
                        message_vi=f"Sản phẩm «{d.product_name}» quá hạn kiểm tra định kỳ "
                        f"(lần kiểm tra trước: {since.strftime('%d/%m/%Y')}).",
                    ),
                ),
            )
        if kind in STATUTORY_KINDS:
            store = self._store
            facts = DossierFacts(
                events=lambda: store.events(tx, d.id),
                open_successor=lambda: store.open_successor(tx, d.id),
            )
            return self._statutory.command_for(kind, detail, d, now, facts)
        return f"unknown deadline kind {kind!r}"

    def _council_reminder(self, d: Dossier, round_: Round, due_at: datetime) -> SendReminder:
        meeting = round_.council_meeting_on.strftime("%d/%m/%Y")
        return SendReminder(
            dossier_id=d.id,
            kind="council_reminder",
            due_at=due_at,
            notify=(
                Recipient(
                    role=_council(round_.jurisdiction_code),
                    jurisdiction=round_.jurisdiction_code,
                    message_vi=f"Gửi hồ sơ điện tử sản phẩm «{d.product_name}» cho thành viên "
                    f"Hội đồng trước phiên họp ngày {meeting} ({round_.name}).",
                ),
            ),
        )

    def _carry_over(self, tx: Tx, d: Dossier, round_: Round, now: datetime) -> DossierCommand:
        code = round_.jurisdiction_code
        profile = self.engine.rules.profile(d.profile_id)
        following = self._queue.round_after(tx, code, max(round_.scoring_deadline, now.date()))
        # Pass over rounds whose council gets its e-dossiers before today: too late to join.
        while following is not None and council_dossier_day(profile, following) < now.date():
            following = self._queue.round_after(tx, code, following.scoring_deadline)
        if following is None:
            return FlagRoundMissed(
                dossier_id=d.id,
                round_id=round_.id,
                notify=(
                    Recipient(
                        role=_office(code),
                        jurisdiction=code,
                        message_vi=f"Hồ sơ «{d.product_name}» chưa được chấm điểm trong "
                        f"{round_.name} và chưa có đợt đánh giá tiếp theo.",
                    ),
                ),
            )
        return AssignRound(
            dossier_id=d.id,
            round_id=following.id,
            carried_from=round_.id,
            notify=(
                Recipient(
                    role=_office(code),
                    jurisdiction=code,
                    message_vi=f"Hồ sơ «{d.product_name}» chưa được chấm điểm trong "
                    f"{round_.name}, chuyển sang {following.name}.",
                ),
            ),
        )

    def _addressee(self, d: Dossier, role: Role, code: str, on: date) -> tuple[Role, str]:
        """Whom a notice for ``role`` of ``code`` reaches on ``on``: after the 2025 reform, the
        body that took over (computed when the notice is made, so nothing stored is rewritten)."""
        profile = self.engine.rules.profile(d.profile_id)
        return addressee(self.engine.rules.units, profile, role, code, on, recorded_on(d))

    def _revocation_request(self, d: Dossier, on: date) -> tuple[Recipient, ...]:
        level = d.certified_level or Level.PROVINCE
        profile = self.engine.rules.profile(d.profile_id)
        try:
            roles = profile.tier(level).certifier_roles
        except KeyError:
            roles = (Role.PROVINCE_COMMITTEE,)
        code = {
            Level.DISTRICT: d.district_code,
            Level.PROVINCE: d.province_code,
        }.get(level) or CENTRAL
        role, code = self._addressee(d, roles[0] if roles else Role.PROVINCE_COMMITTEE, code, on)
        return (
            Recipient(
                role=role,
                jurisdiction=code,
                message_vi=expiry_message_vi(profile, d),
            ),
        )
