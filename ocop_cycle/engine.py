"""The library's front door for hosts: ``Engine`` opens a database, runs commands, reads.

The write path itself is in ``handlers``; this module is the surface a host sees.
"""

from __future__ import annotations

from collections.abc import Iterable
from datetime import timedelta
from types import TracebackType
from typing import Any, Self, TypeVar
from uuid import UUID

from sqlalchemy import Engine as SAEngine

from ocop_cycle.clock import Clock, SystemClock
from ocop_cycle.creation import Creations
from ocop_cycle.errors import (
    DossierNotFound,
    RoundNotFound,
)
from ocop_cycle.handlers import Handlers
from ocop_cycle.rules.authority import Actor
from ocop_cycle.rules.book import RuleBook, default_rule_book
from ocop_cycle.storage.database import (
    DEFAULT_URL,
    SqliteSettings,
    check_schema,
    create_database_engine,
    upgrade,
)
from ocop_cycle.storage.outbox import Notification, Outbox
from ocop_cycle.storage.store import Store
from ocop_cycle.workflows.commands import (
    AssignRound,
    Certify,
    Command,
    CreateRound,
    DossierCommand,
    Expire,
    Forward,
    ImportCertificate,
    MarkRenewalDue,
    NotRecognize,
    RecordInspection,
    RegisterDossier,
    RegisterReevaluation,
    Reject,
    Resubmit,
    ReturnForSupplement,
    Revoke,
    Score,
    StartMonitoring,
    VerifyCommune,
    Withdraw,
)
from ocop_cycle.workflows.fold import fold
from ocop_cycle.workflows.machine import DossierMachine
from ocop_cycle.workflows.model import Dossier, Event, Round
from ocop_cycle.workflows.states import DossierState

__all__ = ["Engine"]


C = TypeVar("C", bound=Command)


class Engine:
    """ocop-cycle on one database: commands in, dossiers and events out.

    Open it on a URL (``Engine.open("sqlite:///ocop.db")``) and it owns and disposes its
    SQLAlchemy engine; or hand it a host's engine (``Engine(sa_engine)``), which it never
    disposes.
    """

    def __init__(
        self,
        sa_engine: SAEngine,
        *,
        clock: Clock | None = None,
        rules: RuleBook | None = None,
        hmac_key: bytes | None = None,
        _owns_engine: bool = False,
    ) -> None:
        self.sa_engine = sa_engine
        self.clock: Clock = clock or SystemClock()
        self.rules = rules or default_rule_book()
        self._owns_engine = _owns_engine
        self._store = Store(sa_engine)
        self._outbox = Outbox(sa_engine)
        self._handlers = Handlers(self._store, self.rules, self.clock, hmac_key)
        self._creations = Creations(self._handlers)

    @classmethod
    def open(
        cls,
        url: str = DEFAULT_URL,
        *,
        clock: Clock | None = None,
        rules: RuleBook | None = None,
        hmac_key: bytes | None = None,
        sqlite: SqliteSettings | None = None,
    ) -> Engine:
        """Open ``url`` (SQLite file or PostgreSQL); the engine is disposed by ``close()``."""
        sa_engine = create_database_engine(url, sqlite)
        return cls(sa_engine, clock=clock, rules=rules, hmac_key=hmac_key, _owns_engine=True)

    def close(self) -> None:
        """Release the database connections, if this engine opened them."""
        if self._owns_engine:
            self.sa_engine.dispose()

    def __enter__(self) -> Self:
        return self

    def __exit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        tb: TracebackType | None,
    ) -> None:
        self.close()

    # -- schema -------------------------------------------------------------------------------

    def upgrade(self) -> None:
        """Create or migrate the ocop-cycle tables (Alembic) to the current schema."""
        upgrade(self.sa_engine)

    def check_schema(self) -> None:
        """Raise ``SchemaNotReady`` unless the schema is current."""
        check_schema(self.sa_engine)

    def machine(self, profile_id: str) -> DossierMachine:
        """The shared workflow machine of a rule profile."""
        return self._handlers.machines.get(self.rules.profile(profile_id))

    # -- reads --------------------------------------------------------------------------------

    def get(self, dossier_id: UUID) -> Dossier:
        """A dossier's current state."""
        with self._store.read() as conn:
            dossier = self._store.load(conn, dossier_id)
        if dossier is None:
            raise DossierNotFound(dossier_id)
        return dossier

    def history(self, dossier_id: UUID) -> list[Event]:
        """A dossier's events, oldest first."""
        with self._store.read() as conn:
            events = self._store.events(conn, dossier_id)
        if not events:
            raise DossierNotFound(dossier_id)
        return events

    def replay(self, dossier_id: UUID, upto_seq: int | None = None) -> Dossier:
        """A dossier rebuilt from its events alone (optionally as of a seq)."""
        with self._store.read() as conn:
            dossier = fold(self._store.events(conn, dossier_id, upto_seq))
        if dossier is None:
            raise DossierNotFound(dossier_id)
        return dossier

    def dossiers(self, *, state: DossierState | None = None, limit: int = 1000) -> list[Dossier]:
        """Dossiers, newest registration first, optionally in one state."""
        return self._store.list_dossiers(state.value if state is not None else None, limit)

    def count_events(self) -> int:
        """How many events the log holds."""
        return self._store.count_events()

    # -- outbox -------------------------------------------------------------------------------

    def claim_notifications(
        self, consumer: str, *, limit: int = 100, lease: timedelta = timedelta(minutes=5)
    ) -> list[Notification]:
        """Lease up to ``limit`` undelivered notifications; unacknowledged ones come back after
        the lease (at-least-once delivery; drop repeats by ``notification_id``)."""
        return self._outbox.claim(consumer, self.clock.now(), limit=limit, lease=lease)

    def ack_notifications(self, notification_ids: Iterable[UUID]) -> int:
        """Acknowledge delivered notifications; returns how many were newly acknowledged."""
        return self._outbox.ack(notification_ids, self.clock.now())

    def notifications(self, *, include_acked: bool = False, limit: int = 100) -> list[Notification]:
        """Notifications in the outbox, oldest first."""
        return self._outbox.list(include_acked=include_acked, limit=limit)

    def get_round(self, round_id: UUID) -> Round:
        """An evaluation round."""
        with self._store.read() as conn:
            found = self._store.round(conn, round_id)
        if found is None:
            raise RoundNotFound(round_id)
        return found

    # -- commands -----------------------------------------------------------------------------

    def execute(self, command: Command, actor: Actor) -> Dossier:
        """Run any command object; the named methods below are shortcuts to this."""
        creations = self._creations
        if isinstance(command, RegisterDossier):
            return creations.register(command, actor)
        if isinstance(command, RegisterReevaluation):
            return creations.register_reevaluation(command, actor)
        if isinstance(command, ImportCertificate):
            return creations.import_certificate(command, actor)
        if isinstance(command, DossierCommand):
            return self._handlers.transition(command, actor)
        raise TypeError(f"not a dossier command: {type(command).__name__}")

    def _run(self, model: type[C], actor: Actor, fields: dict[str, Any]) -> Dossier:
        return self.execute(model(**fields), actor)

    def register(self, *, actor: Actor, **fields: Any) -> Dossier:
        """Register a new dossier; fields of ``RegisterDossier``."""
        return self._run(RegisterDossier, actor, fields)

    def register_reevaluation(
        self, predecessor_id: UUID, *, actor: Actor, **fields: Any
    ) -> Dossier:
        """Open a re-evaluation or upgrade of a certified dossier (``RegisterReevaluation``)."""
        return self._run(RegisterReevaluation, actor, {"predecessor_id": predecessor_id, **fields})

    def import_certificate(self, *, actor: Actor, **fields: Any) -> Dossier:
        """Bring in a certificate issued before this system; fields of ``ImportCertificate``."""
        return self._run(ImportCertificate, actor, fields)

    def _on(
        self, model: type[C], dossier_id: UUID, actor: Actor, fields: dict[str, Any]
    ) -> Dossier:
        return self._run(model, actor, {"dossier_id": dossier_id, **fields})

    def return_for_supplement(self, dossier_id: UUID, *, actor: Actor, **fields: Any) -> Dossier:
        """Return a dossier for supplement ("trả lại để bổ sung"): ``guidance``, ``due_on``."""
        return self._on(ReturnForSupplement, dossier_id, actor, fields)

    def resubmit(self, dossier_id: UUID, *, actor: Actor, **fields: Any) -> Dossier:
        """The producer resubmits a returned dossier."""
        return self._on(Resubmit, dossier_id, actor, fields)

    def verify_commune(self, dossier_id: UUID, *, actor: Actor, **fields: Any) -> Dossier:
        """The commune confirms the dossier ("UBND xã xác nhận")."""
        return self._on(VerifyCommune, dossier_id, actor, fields)

    def reject(self, dossier_id: UUID, *, actor: Actor, **fields: Any) -> Dossier:
        """The dossier is not eligible: ``grounds``."""
        return self._on(Reject, dossier_id, actor, fields)

    def assign_round(self, dossier_id: UUID, *, actor: Actor, **fields: Any) -> Dossier:
        """Put the dossier in a round: ``round_id``."""
        return self._on(AssignRound, dossier_id, actor, fields)

    def score(self, dossier_id: UUID, *, actor: Actor, **fields: Any) -> Dossier:
        """Record a council session (``session``) at the tier the profile says."""
        return self._on(Score, dossier_id, actor, fields)

    def forward(self, dossier_id: UUID, *, actor: Actor, **fields: Any) -> Dossier:
        """Send the dossier up to the next tier's council."""
        return self._on(Forward, dossier_id, actor, fields)

    def certify(self, dossier_id: UUID, *, actor: Actor, **fields: Any) -> Dossier:
        """Record the recognition decision: number, date and issuing body (``Certify``)."""
        return self._on(Certify, dossier_id, actor, fields)

    def not_recognize(self, dossier_id: UUID, *, actor: Actor, **fields: Any) -> Dossier:
        """Record that the result is below the recognised minimum."""
        return self._on(NotRecognize, dossier_id, actor, fields)

    def start_monitoring(self, dossier_id: UUID, *, actor: Actor, **fields: Any) -> Dossier:
        """Begin post-certification surveillance."""
        return self._on(StartMonitoring, dossier_id, actor, fields)

    def record_inspection(self, dossier_id: UUID, *, actor: Actor, **fields: Any) -> Dossier:
        """Record an inspection: ``inspected_on``, ``passed``, ``findings``."""
        return self._on(RecordInspection, dossier_id, actor, fields)

    def revoke(self, dossier_id: UUID, *, actor: Actor, **fields: Any) -> Dossier:
        """Revoke the certificate: grounds and the decision (``Revoke``)."""
        return self._on(Revoke, dossier_id, actor, fields)

    def withdraw(self, dossier_id: UUID, *, actor: Actor, **fields: Any) -> Dossier:
        """The producer withdraws before a decision."""
        return self._on(Withdraw, dossier_id, actor, fields)

    def mark_renewal_due(self, dossier_id: UUID, *, actor: Actor, **fields: Any) -> Dossier:
        """The statutory renewal notice went out (system)."""
        return self._on(MarkRenewalDue, dossier_id, actor, fields)

    def expire(self, dossier_id: UUID, *, actor: Actor, **fields: Any) -> Dossier:
        """The certificate lapsed (system)."""
        return self._on(Expire, dossier_id, actor, fields)

    def create_round(self, *, actor: Actor, **fields: Any) -> Round:
        """Open an evaluation round; fields of ``CreateRound``. Opening it again returns it."""
        return self._creations.create_round(CreateRound(**fields), actor)
