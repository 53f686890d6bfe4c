"""Running a profile migration: every open dossier of the old profile, each in a transaction of
its own, through the same core as any command (load -> authorise -> decide -> append).

``workflows.migration`` decides each dossier's ``profile_migrated`` event (pure). This module
lists the candidates, loads each dossier with the round it is in, authorises the actor, and
appends what was decided, checked against the version it loaded: of two runs at once, one
carries a dossier over and the other, finding it moved (or losing the version race, then
looking again), leaves it. A run is idempotent: carried over, a dossier is no longer under the
old profile, so a second run finds nothing new and says how many earlier runs carried over.

A dry run makes the same decisions on the same candidates and writes nothing.
"""

from __future__ import annotations

from collections.abc import Callable
from datetime import date
from uuid import UUID

from ocop_cycle._handlers import Handlers
from ocop_cycle._log import get_logger
from ocop_cycle._storage.migrating import MigrationQueries
from ocop_cycle.clock import to_vn
from ocop_cycle.errors import ConcurrencyConflict, DossierNotFound, PermissionDenied
from ocop_cycle.rules.authority import CENTRAL, Actor, role_level
from ocop_cycle.workflows.decide import Decision
from ocop_cycle.workflows.events import ProfileMigrated
from ocop_cycle.workflows.migration import (
    ItemOutcome,
    MigrationItem,
    MigrationJob,
    MigrationReport,
    Unmappable,
    authorize_migration,
    decide_migration,
    migration_actor,
    migration_job,
    open_states,
    unit_codes,
)
from ocop_cycle.workflows.model import Dossier, Round
from ocop_cycle.workflows.states import DossierState

__all__ = ["Migrations", "Progress"]

#: Called after each dossier with (dossiers done, dossiers in the run).
Progress = Callable[[int, int], None]

log = get_logger("ocop_cycle")

#: Version races lost on one dossier before it is left for the next run.
_ATTEMPTS = 5


class Migrations:
    """Carries open dossiers over from one rule profile to another, on the core's store."""

    def __init__(self, core: Handlers, queries: MigrationQueries) -> None:
        self.core = core
        self.store = core.store
        self.queries = queries

    def migrate(
        self,
        *,
        from_profile: str,
        to_profile: str,
        effective: date,
        unit: str | None = None,
        dry_run: bool = False,
        actor: Actor | None = None,
        progress: Progress | None = None,
    ) -> MigrationReport:
        """Carry over every open dossier of ``from_profile`` (filed under ``unit``); see
        ``Engine.migrate``."""
        rules = self.core.rules
        source, target = rules.profile(from_profile), rules.profile(to_profile)
        today = to_vn(self.core.clock.now()).date()
        job = migration_job(source, target, effective, today, unit)
        actor = actor or migration_actor()
        authorize_migration(job, actor, units=rules.units, on=today)
        states = [s.value for s in open_states(self.core.machines.get(source))]
        # Without a unit, an actor of a unit looks at its own territory only (its counts
        # included); the system and national roles at every dossier.
        scope = unit
        if scope is None and actor.jurisdiction != CENTRAL and role_level(actor.role) is not None:
            scope = actor.jurisdiction
        codes = unit_codes(rules.units, scope, today) if scope is not None else None
        ids = self.queries.candidates(source.id, states, codes)
        report = MigrationReport(
            source.id,
            target.id,
            effective,
            unit,
            dry_run,
            migrated_earlier=self.queries.migrated(ProfileMigrated.name, source.id, codes),
        )
        # A dossier outside the actor's jurisdiction is not the actor's to see: it is left out
        # of the report (its id, product and state are not listed), not "skipped".
        if dry_run:
            with self.store.read() as tx:
                for done, dossier_id in enumerate(ids, start=1):
                    dossier = self.store.load(tx, dossier_id)
                    in_round = (
                        self.store.round(tx, dossier.round_id)
                        if dossier is not None and dossier.round_id is not None
                        else None
                    )
                    item, _ = self._step(job, actor, dossier_id, dossier, in_round)
                    if item is not None:
                        report.items.append(item)
                    if progress is not None:
                        progress(done, len(ids))
        else:
            for done, dossier_id in enumerate(ids, start=1):
                carried = self._carry_over(job, actor, dossier_id)
                if carried is not None:
                    report.items.append(carried)
                if progress is not None:
                    progress(done, len(ids))
        log.info(
            "migration.done",
            from_profile=source.id,
            to_profile=target.id,
            unit=unit,
            dry_run=dry_run,
            migrated=len(report.migrated),
            unmappable=len(report.unmappable),
            skipped=len(report.skipped),
        )
        return report

    def _carry_over(
        self, job: MigrationJob, actor: Actor, dossier_id: UUID
    ) -> MigrationItem | None:
        """One dossier in its own transaction; a lost version race is looked at again."""
        last: Dossier | None = None
        for _ in range(_ATTEMPTS):
            try:
                with self.store.write() as tx:
                    last = self.store.load(tx, dossier_id)
                    in_round = (
                        self.store.round(tx, last.round_id)
                        if last is not None and last.round_id is not None
                        else None
                    )
                    item, decision = self._step(job, actor, dossier_id, last, in_round)
                    if decision is not None:
                        self.core.append(tx, decision)
                    return item
            except ConcurrencyConflict:
                continue  # another writer moved it after we read it: read it again
        assert last is not None  # a version race needs a dossier that was read
        return MigrationItem(
            last.id,
            last.product_name,
            last.state,
            None,
            "skipped",
            f"kept changing under other writers ({_ATTEMPTS} attempts): run again",
        )

    def _step(
        self,
        job: MigrationJob,
        actor: Actor,
        dossier_id: UUID,
        dossier: Dossier | None,
        round_: Round | None,
    ) -> tuple[MigrationItem | None, Decision | None]:
        """What happens to one loaded dossier: the item to report (None: outside the actor's
        jurisdiction, not reported), and what to append."""
        if dossier is None:  # listed, then gone: the store was tampered with
            raise DossierNotFound(dossier_id)

        def item(
            outcome: ItemOutcome, detail: str, to: DossierState | None = None
        ) -> MigrationItem:
            assert dossier is not None
            return MigrationItem(
                dossier.id, dossier.product_name, dossier.state, to, outcome, detail
            )

        if dossier.profile_id != job.source.id:
            moved = "migrated by another run" if dossier.profile_id == job.target.id else "moved"
            return item("skipped", f"{moved}: now under {dossier.profile_id}"), None
        if dossier.state not in open_states(self.core.machines.get(job.source)):
            return item("skipped", f"no longer open: now {dossier.state.value}"), None
        now = to_vn(self.core.clock.now())
        try:
            authorize_migration(job, actor, dossier, units=self.core.rules.units, on=now.date())
        except PermissionDenied as exc:
            if exc.reason.code == "permission.jurisdiction":
                return None, None
            return item("skipped", exc.reason.en), None
        ctx = self.core.context(actor, now, now, round=round_)
        decision = decide_migration(dossier, ctx, job)
        if isinstance(decision, Unmappable):
            return item("unmappable", decision.reason), None
        payload = decision.writes[0].event.payload
        assert isinstance(payload, ProfileMigrated)
        return item("migrated", payload.rule_vi or payload.rule, payload.state), decision
