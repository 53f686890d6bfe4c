"""The library's front door for hosts: ``Engine`` opens a database, runs commands, reads.

The write path itself is in ``handlers``; this module is the surface a host sees.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable, Iterator, Mapping, Sequence
from contextlib import contextmanager, suppress
from datetime import date, datetime, timedelta
from decimal import Decimal
from types import TracebackType
from typing import Any, Literal, Self, TypeVar, overload
from uuid import UUID, uuid4

from sqlalchemy import Connection
from sqlalchemy import Engine as SAEngine

from ocop_cycle._creation import Creations
from ocop_cycle._handlers import Handlers
from ocop_cycle._migration import Migrations, Progress
from ocop_cycle._storage.connections import Database
from ocop_cycle._storage.database import (
    DEFAULT_URL,
    SqliteSettings,
    check_schema,
    create_database_engine,
    upgrade,
)
from ocop_cycle._storage.migrating import MigrationQueries
from ocop_cycle._storage.outbox import Notification, Outbox
from ocop_cycle._storage.settings import StoreSettings
from ocop_cycle._storage.store import Store
from ocop_cycle._validation import uuid_argument
from ocop_cycle.clock import Clock, SystemClock, in_vietnam, to_vn
from ocop_cycle.errors import (
    DossierNotFound,
    FieldProblem,
    InvalidCommand,
    RoundNotFound,
    UnsuitableConnection,
)
from ocop_cycle.limits import A_DAY, MAX_NAME, count_problems, instant_problems
from ocop_cycle.rules.authority import Actor, Level
from ocop_cycle.rules.book import RuleBook, default_rule_book
from ocop_cycle.rules.scoring import CouncilSession
from ocop_cycle.text import refuse_control_characters
from ocop_cycle.workflows.commands import (
    AssignRound,
    Certify,
    CertifyOnUpperResult,
    Command,
    CreateRound,
    DossierCommand,
    Exclude,
    Expire,
    Forward,
    ImportCertificate,
    KeepCertificate,
    MarkRenewalDue,
    NotRecognize,
    ProducerInfo,
    ProductInfo,
    Recipient,
    RecordInspection,
    RegisterDossier,
    RegisterReevaluation,
    Reject,
    Resubmit,
    ReturnForSupplement,
    ReturnToLowerTier,
    RevocationGrounds,
    Revoke,
    Score,
    StartMonitoring,
    VerifyCommune,
    Withdraw,
)
from ocop_cycle.workflows.events import Event
from ocop_cycle.workflows.fold import fold
from ocop_cycle.workflows.jurisdiction import territory
from ocop_cycle.workflows.machine import DossierMachine
from ocop_cycle.workflows.migration import MigrationReport
from ocop_cycle.workflows.model import Dossier, Round
from ocop_cycle.workflows.states import DossierState

__all__ = ["Engine"]

C = TypeVar("C", bound=Command)


def _actor(actor: object) -> Actor:
    """``actor`` as an ``Actor``: one already, or a mapping of its fields (validated)."""
    if isinstance(actor, Actor):
        return actor
    if isinstance(actor, Mapping):
        if not all(isinstance(name, str) for name in actor):
            raise InvalidCommand("actor", [FieldProblem("actor", "field names must be text")])
        return Actor(**actor)  # InvalidCommand naming each bad field
    raise InvalidCommand("actor", [FieldProblem("actor", f"not an Actor: {type(actor).__name__}")])


def _dossier_id(value: object) -> UUID:
    """A dossier id given as a UUID or its text."""
    return uuid_argument(value, "dossier_id", "dossier id")


def _refuse(call: str, problems: list[FieldProblem]) -> None:
    if problems:
        raise InvalidCommand(call, problems)


def _consumer_problems(consumer: str) -> list[FieldProblem]:
    """What is wrong with a consumer's name (a blank one would be a consumer of its own; a
    longer one than the outbox stores, or one with a control character, would fail on
    PostgreSQL only)."""
    if not isinstance(consumer, str) or not consumer.strip():
        return [FieldProblem("consumer", "must be a name, not blank")]
    if len(consumer) > MAX_NAME:
        return [FieldProblem("consumer", f"at most {MAX_NAME} characters ({len(consumer)})")]
    try:
        refuse_control_characters(consumer)
    except ValueError as exc:
        return [FieldProblem("consumer", str(exc))]
    return []


def _make(model: type[C], **fields: Any) -> C:
    # The shortcuts' own signatures are what hosts and mypy check; the command model then
    # validates the values (``InvalidCommand`` naming each bad field).
    return model(**fields)


class Engine:
    """ocop-cycle on one database: commands in, dossiers and events out.

    Open it on a URL (``Engine.open("sqlite:///ocop.db")``, or ``Engine("sqlite:///ocop.db")``)
    and it owns and disposes its SQLAlchemy engine; or hand it a host's engine
    (``Engine(sa_engine)``), which it never disposes: each command is then a transaction of its
    own, committed.

    Or hand it a host's ``Connection`` (``Engine(connection)``): the connection is the host's
    unit of work. Every command and read runs on it, inside the host's transaction -- begun on
    the first call if none is open, as ``Connection.execute`` would, and left open. Each command
    is a SAVEPOINT: a refused or failed one (``ConcurrencyConflict`` included) rolls back to it,
    and the host's earlier writes and its transaction stay usable. The engine never commits,
    rolls back or closes the connection: the host's commit makes everything durable, its
    rollback undoes the engine's writes (events, projections, outbox, deadlines, idempotency
    keys) with its own. Reads see the host's uncommitted work. ``Sweeper(engine)`` sweeps
    inside the host's transaction too; ``CycleScheduler`` needs transactions of its own and
    refuses such an engine (``UnsuitableConnection``); ``Auditor`` and the reports read with
    connections of their own from the connection's engine, so they see committed data only.

    SQLite settings (``sqlite``: WAL, foreign keys on, busy timeout, synchronous) hold whichever
    way the database came: set on each connection of a host's engine (pooled ones at their next
    checkout), and on a host's connection before it is used. SQLite cannot switch foreign keys
    or ``synchronous`` inside a transaction: a host's connection already inside one with foreign
    keys off or a weaker ``synchronous`` is refused (``UnsuitableConnection``), so hand it over
    before its transaction begins. A PostgreSQL connection in autocommit is refused too.
    """

    def __init__(
        self,
        bind: SAEngine | Connection | str,
        *,
        clock: Clock | None = None,
        rules: RuleBook | None = None,
        hmac_key: bytes | None = None,
        sqlite: SqliteSettings | None = None,
        ids: Callable[[], UUID] | None = None,
        _owns_engine: bool = False,
    ) -> None:
        _refuse("Engine", _option_problems(clock, hmac_key, sqlite, ids))
        if isinstance(bind, str):  # a URL: the same as ``Engine.open(url)``
            bind, _owns_engine = create_database_engine(bind, sqlite), True
        elif not isinstance(bind, SAEngine | Connection):
            raise UnsuitableConnection(
                "Engine needs a database URL, a SQLAlchemy Engine or a SQLAlchemy Connection, "
                f"not {type(bind).__name__}"
            )
        database = Database(bind, sqlite, hold=_owns_engine)
        #: The SQLAlchemy engine underneath (for a host's connection, the one it came from).
        self.sa_engine: SAEngine = database.engine
        #: The host's connection everything runs on, or None when the engine has its own.
        self.connection: Connection | None = database.connection
        self.clock: Clock = in_vietnam(clock) if clock is not None else SystemClock()
        self.rules = rules or default_rule_book()
        self._owns_engine = _owns_engine
        self._database = database
        self._store = Store(database)
        self._outbox = Outbox(database)
        self._settings = StoreSettings(database)
        self._handlers = Handlers(self._store, self.rules, self.clock, hmac_key)
        #: Where new dossier and round ids come from (uuid4 unless a host or the demo gives a
        #: factory: ``testing.seeded_ids`` makes a run reproducible).
        self.ids: Callable[[], UUID] = ids or uuid4
        self._creations = Creations(self._handlers, self.ids)
        self._migrations = Migrations(self._handlers, MigrationQueries(database))

    @classmethod
    def open(
        cls,
        url: str = DEFAULT_URL,
        *,
        clock: Clock | None = None,
        rules: RuleBook | None = None,
        hmac_key: bytes | None = None,
        sqlite: SqliteSettings | None = None,
        ids: Callable[[], UUID] | None = None,
    ) -> Engine:
        """Open ``url`` (SQLite file or PostgreSQL); the engine is disposed by ``close()``."""
        _refuse("Engine", _option_problems(clock, hmac_key, sqlite, ids))
        sa_engine = create_database_engine(url, sqlite)
        return cls(
            sa_engine, clock=clock, rules=rules, hmac_key=hmac_key, ids=ids, _owns_engine=True
        )

    def close(self) -> None:
        """Release the database connections, if this engine opened them (a host's engine or
        connection is left as it is)."""
        self._database.close()
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

    @contextmanager
    def unit_of_work(self) -> Iterator[Engine]:
        """Several commands as one transaction: the engine given runs them on one connection of
        this engine's database, with the same clock, rules, key and ids. They all commit when
        the block ends, and none does when it raises (a refused command included): a batch
        that must be written whole or not at all (``import-plan``). On an engine that is
        already on a host's connection, that engine: the host's transaction is the unit.

        The transaction holds SQLite's write lock from its first write to its end: other
        writers wait for it (up to the busy timeout), so keep the block short."""
        if self.connection is not None:
            yield self
            return
        with self._database.guard():
            conn = self.sa_engine.connect()
        try:
            inner = Engine(
                conn,
                clock=self.clock,
                rules=self.rules,
                hmac_key=self._handlers.hmac_key,
                ids=self.ids,
            )
            yield inner
        except BaseException:
            with suppress(Exception):  # the error raised in the block is the one to report
                conn.close()  # rolls back everything the block wrote
            raise
        with self._database.guard():
            try:
                conn.commit()
            finally:
                conn.close()

    # -- schema -------------------------------------------------------------------------------

    def upgrade(self) -> str | None:
        """Create or migrate the ocop-cycle tables (Alembic) to the current schema (on a host's
        connection, inside its transaction: the host commits).

        Safe at every start of every worker: concurrent upgrades are serialised (PostgreSQL
        advisory lock, SQLite write lock), so one migrates and the others find it done. Returns
        the revision the database was at before (None: it had no ocop-cycle schema)."""
        return upgrade(self._database)

    def check_schema(self) -> None:
        """Raise ``SchemaNotReady`` unless the schema is current."""
        check_schema(self._database)

    def machine(self, profile_id: str) -> DossierMachine:
        """The shared workflow machine of a rule profile."""
        return self._handlers.machines.get(self.rules.profile(profile_id))

    # -- reads --------------------------------------------------------------------------------

    def get(self, dossier_id: UUID) -> Dossier:
        """A dossier's current state."""
        dossier_id = _dossier_id(dossier_id)
        with self._store.read() as conn:
            dossier = self._store.load(conn, dossier_id)
        if dossier is None:
            raise DossierNotFound(dossier_id)
        return dossier

    def history(self, dossier_id: UUID) -> list[Event]:
        """A dossier's events, oldest first."""
        dossier_id = _dossier_id(dossier_id)
        with self._store.read() as conn:
            events = self._store.events(conn, dossier_id)
        if not events:
            raise DossierNotFound(dossier_id)
        return events

    def replay(self, dossier_id: UUID, upto_seq: int | None = None) -> Dossier:
        """A dossier rebuilt from its events alone (optionally as of a seq)."""
        dossier_id = _dossier_id(dossier_id)
        if upto_seq is not None:
            _refuse("replay", count_problems("upto_seq", upto_seq))
        with self._store.read() as conn:
            dossier = fold(self._store.events(conn, dossier_id, upto_seq))
        if dossier is None:
            raise DossierNotFound(dossier_id)
        return dossier

    def dossiers(
        self,
        *,
        state: DossierState | None = None,
        unit: str | None = None,
        limit: int = 1000,
    ) -> list[Dossier]:
        """Dossiers, newest registration first, optionally in one state and within one
        administrative unit as it is today — with those filed under the units it succeeded
        (today's tỉnh Bắc Ninh "24" finds tỉnh Bắc Giang's 2024 dossiers; xã Lạng Giang "07375"
        finds xã Xương Lâm's). ``UnitNotFound`` for a code that names no unit today."""
        codes = None
        problems = count_problems("limit", limit)
        if unit is not None and not isinstance(unit, str):
            problems.append(FieldProblem("unit", "must be a unit's code"))
        if state is not None:
            try:
                state = DossierState(state)  # its value ("registered") names it as well
            except ValueError:
                problems.append(FieldProblem("state", f"not a dossier state: {state!r}"))
        _refuse("dossiers", problems)
        if unit is not None:
            codes = territory(self.rules.units, unit, to_vn(self.clock.now()).date())
        return self._store.list_dossiers(
            state.value if state is not None else None, limit, codes=codes
        )

    def count_events(self) -> int:
        """How many events the log holds."""
        return self._store.count_events()

    # -- outbox -------------------------------------------------------------------------------

    def claim_notifications(
        self, consumer: str, *, limit: int = 100, lease: timedelta = timedelta(minutes=5)
    ) -> list[Notification]:
        """Lease to ``consumer`` up to ``limit`` notifications it has not acknowledged. Each
        named consumer ("portal", "sms") receives every notification; one it leaves
        unacknowledged comes back to it after the lease (at-least-once delivery; drop repeats
        by ``notification_id``). Several processes may claim as one consumer: each
        notification goes to one of them per lease. ``InvalidCommand`` for a blank consumer, a
        limit below 1 or a lease that is not above zero (or longer than a day), with nothing
        claimed."""
        problems = _consumer_problems(consumer) + count_problems("limit", limit)
        if not isinstance(lease, timedelta) or not timedelta(0) < lease <= A_DAY:
            problems.append(FieldProblem("lease", "must be a timedelta above zero, at most a day"))
        _refuse("claim_notifications", problems)
        return self._outbox.claim(consumer, self.clock.now(), limit=limit, lease=lease)

    def ack_notifications(self, notification_ids: Iterable[UUID], *, consumer: str) -> int:
        """Acknowledge notifications ``consumer`` delivered; returns how many were newly
        acknowledged (a repeat, or one the consumer never claimed, counts 0). Ids may be
        given as UUIDs or their text."""
        _refuse("ack_notifications", _consumer_problems(consumer))
        if isinstance(notification_ids, str | bytes) or not isinstance(notification_ids, Iterable):
            raise InvalidCommand(
                "ack_notifications",
                [FieldProblem("notification_ids", "must be a collection of notification ids")],
            )
        ids = [uuid_argument(n, "notification_ids", "notification id") for n in notification_ids]
        return self._outbox.ack(consumer, ids, self.clock.now())

    def notifications(
        self, *, consumer: str | None = None, include_acked: bool = False, limit: int = 100
    ) -> list[Notification]:
        """Notifications in the outbox, oldest first: for ``consumer``, those it has not
        acknowledged (with its lease); without one, those no consumer has acknowledged;
        ``include_acked`` lists them all."""
        problems = count_problems("limit", limit)
        if consumer is not None:
            problems += _consumer_problems(consumer)
        _refuse("notifications", problems)
        return self._outbox.list(consumer=consumer, include_acked=include_acked, limit=limit)

    def simulated_until(self) -> datetime | None:
        """Where a simulated clock (``run_until``: the demo, ``scheduler run --simulated``)
        left this store, or None: reports on such a store are as of that instant."""
        return self._settings.simulated_until()

    def record_simulated_until(self, at: datetime) -> None:
        """Record that a simulated clock drove this store to ``at`` (kept when later)."""
        _refuse("record_simulated_until", instant_problems("at", at))
        self._settings.record_simulated_until(to_vn(at))

    def get_round(self, round_id: UUID) -> Round:
        """An evaluation round."""
        round_id = uuid_argument(round_id, "round_id", "round id")
        with self._store.read() as conn:
            found = self._store.round(conn, round_id)
        if found is None:
            raise RoundNotFound(round_id)
        return found

    # -- commands -----------------------------------------------------------------------------

    @overload
    def execute(self, command: CreateRound, actor: Actor) -> Round: ...

    @overload
    def execute(self, command: Command, actor: Actor) -> Dossier: ...

    def execute(self, command: Command | CreateRound, actor: Actor) -> Dossier | Round:
        """Run any command object; the named methods below are shortcuts to this.
        ``InvalidCommand`` for something that is not a command, or an actor that is not an
        ``Actor`` (a mapping of an actor's fields is read as one)."""
        actor = _actor(actor)
        if isinstance(command, CreateRound):
            return self.execute_round(command, actor)
        creations = self._creations
        if isinstance(command, RegisterDossier):
            return creations.register(command, actor)
        if isinstance(command, RegisterReevaluation):
            return creations.register_reevaluation(command, actor)
        if isinstance(command, ImportCertificate):
            return creations.import_certificate(command, actor)
        # A subclass of its own that names no trigger is no command the engine knows.
        if isinstance(command, DossierCommand) and hasattr(command, "trigger"):
            return self._handlers.transition(command, actor)
        raise InvalidCommand(
            "execute", [FieldProblem("command", f"not a command: {type(command).__name__}")]
        )

    def execute_round(self, command: CreateRound, actor: Actor) -> Round:
        """Open an evaluation round (``CreateRound``); the same round again returns it."""
        if not isinstance(command, CreateRound):
            raise InvalidCommand(
                "execute_round",
                [FieldProblem("command", f"not a CreateRound: {type(command).__name__}")],
            )
        return self._creations.create_round(command, _actor(actor))

    def register(
        self,
        *,
        actor: Actor,
        producer: ProducerInfo | Mapping[str, Any],
        product: ProductInfo | Mapping[str, Any],
        commune_code: str,
        province_code: str,
        district_code: str | None = None,
        note: str = "",
        occurred_at: datetime | None = None,
        idempotency_key: str | None = None,
    ) -> Dossier:
        """Register a new dossier ("đăng ký tham gia") at the commune."""
        return self.execute(
            _make(
                RegisterDossier,
                producer=producer,
                product=product,
                commune_code=commune_code,
                province_code=province_code,
                district_code=district_code,
                note=note,
                occurred_at=occurred_at,
                idempotency_key=idempotency_key,
            ),
            actor,
        )

    def register_reevaluation(
        self,
        predecessor_id: UUID,
        *,
        actor: Actor,
        kind: Literal["re_evaluation", "upgrade"],
        commune_code: str | None = None,
        district_code: str | None = None,
        province_code: str | None = None,
        note: str = "",
        occurred_at: datetime | None = None,
        idempotency_key: str | None = None,
    ) -> Dossier:
        """Open a re-evaluation or upgrade of a certified dossier."""
        return self.execute(
            _make(
                RegisterReevaluation,
                predecessor_id=predecessor_id,
                kind=kind,
                commune_code=commune_code,
                district_code=district_code,
                province_code=province_code,
                note=note,
                occurred_at=occurred_at,
                idempotency_key=idempotency_key,
            ),
            actor,
        )

    def import_certificate(
        self,
        *,
        actor: Actor,
        profile_id: str,
        producer: ProducerInfo | Mapping[str, Any],
        product: ProductInfo | Mapping[str, Any],
        commune_code: str,
        province_code: str,
        stars: int,
        level: Level | str,
        decision_number: str,
        decision_date: date,
        issuing_body: str,
        district_code: str | None = None,
        score: Decimal | int | str | None = None,
        certificate_number: str | None = None,
        occurred_at: datetime | None = None,
        idempotency_key: str | None = None,
    ) -> Dossier:
        """Bring in a certificate issued before this system, as history under its profile."""
        return self.execute(
            _make(
                ImportCertificate,
                profile_id=profile_id,
                producer=producer,
                product=product,
                commune_code=commune_code,
                province_code=province_code,
                stars=stars,
                level=level,
                decision_number=decision_number,
                decision_date=decision_date,
                issuing_body=issuing_body,
                district_code=district_code,
                score=score,
                certificate_number=certificate_number,
                occurred_at=occurred_at,
                idempotency_key=idempotency_key,
            ),
            actor,
        )

    def return_for_supplement(
        self,
        dossier_id: UUID,
        *,
        actor: Actor,
        guidance: str,
        due_on: date | None = None,
        occurred_at: datetime | None = None,
        idempotency_key: str | None = None,
        expected_version: int | None = None,
        notify: Sequence[Recipient | Mapping[str, Any]] = (),
    ) -> Dossier:
        """Return a dossier for supplement ("trả lại để bổ sung") with guidance and a due date."""
        return self.execute(
            _make(
                ReturnForSupplement,
                dossier_id=dossier_id,
                guidance=guidance,
                due_on=due_on,
                occurred_at=occurred_at,
                idempotency_key=idempotency_key,
                expected_version=expected_version,
                notify=notify,
            ),
            actor,
        )

    def resubmit(
        self,
        dossier_id: UUID,
        *,
        actor: Actor,
        note: str = "",
        occurred_at: datetime | None = None,
        idempotency_key: str | None = None,
        expected_version: int | None = None,
        notify: Sequence[Recipient | Mapping[str, Any]] = (),
    ) -> Dossier:
        """The producer resubmits a returned dossier."""
        return self.execute(
            _make(
                Resubmit,
                dossier_id=dossier_id,
                note=note,
                occurred_at=occurred_at,
                idempotency_key=idempotency_key,
                expected_version=expected_version,
                notify=notify,
            ),
            actor,
        )

    def verify_commune(
        self,
        dossier_id: UUID,
        *,
        actor: Actor,
        local_labour_share: Decimal | str | None = None,
        local_material_share: Decimal | str | None = None,
        note: str = "",
        occurred_at: datetime | None = None,
        idempotency_key: str | None = None,
        expected_version: int | None = None,
        notify: Sequence[Recipient | Mapping[str, Any]] = (),
    ) -> Dossier:
        """The commune confirms the dossier ("UBND xã xác nhận")."""
        return self.execute(
            _make(
                VerifyCommune,
                dossier_id=dossier_id,
                local_labour_share=local_labour_share,
                local_material_share=local_material_share,
                note=note,
                occurred_at=occurred_at,
                idempotency_key=idempotency_key,
                expected_version=expected_version,
                notify=notify,
            ),
            actor,
        )

    def reject(
        self,
        dossier_id: UUID,
        *,
        actor: Actor,
        grounds: str,
        occurred_at: datetime | None = None,
        idempotency_key: str | None = None,
        expected_version: int | None = None,
        notify: Sequence[Recipient | Mapping[str, Any]] = (),
    ) -> Dossier:
        """The dossier is not eligible, on ``grounds``."""
        return self.execute(
            _make(
                Reject,
                dossier_id=dossier_id,
                grounds=grounds,
                occurred_at=occurred_at,
                idempotency_key=idempotency_key,
                expected_version=expected_version,
                notify=notify,
            ),
            actor,
        )

    def assign_round(
        self,
        dossier_id: UUID,
        *,
        actor: Actor,
        round_id: UUID,
        carried_from: UUID | None = None,
        occurred_at: datetime | None = None,
        idempotency_key: str | None = None,
        expected_version: int | None = None,
        notify: Sequence[Recipient | Mapping[str, Any]] = (),
    ) -> Dossier:
        """Put the dossier in an evaluation round."""
        return self.execute(
            _make(
                AssignRound,
                dossier_id=dossier_id,
                round_id=round_id,
                carried_from=carried_from,
                occurred_at=occurred_at,
                idempotency_key=idempotency_key,
                expected_version=expected_version,
                notify=notify,
            ),
            actor,
        )

    def score(
        self,
        dossier_id: UUID,
        *,
        actor: Actor,
        session: CouncilSession | Mapping[str, Any],
        occurred_at: datetime | None = None,
        idempotency_key: str | None = None,
        expected_version: int | None = None,
        notify: Sequence[Recipient | Mapping[str, Any]] = (),
    ) -> Dossier:
        """Record a council session at the tier the dossier stands before."""
        return self.execute(
            _make(
                Score,
                dossier_id=dossier_id,
                session=session,
                occurred_at=occurred_at,
                idempotency_key=idempotency_key,
                expected_version=expected_version,
                notify=notify,
            ),
            actor,
        )

    def forward(
        self,
        dossier_id: UUID,
        *,
        actor: Actor,
        note: str = "",
        occurred_at: datetime | None = None,
        idempotency_key: str | None = None,
        expected_version: int | None = None,
        notify: Sequence[Recipient | Mapping[str, Any]] = (),
    ) -> Dossier:
        """Send the dossier up to the next tier's council."""
        return self.execute(
            _make(
                Forward,
                dossier_id=dossier_id,
                note=note,
                occurred_at=occurred_at,
                idempotency_key=idempotency_key,
                expected_version=expected_version,
                notify=notify,
            ),
            actor,
        )

    def certify(
        self,
        dossier_id: UUID,
        *,
        actor: Actor,
        decision_number: str,
        decision_date: date,
        issuing_body: str,
        certificate_number: str | None = None,
        occurred_at: datetime | None = None,
        idempotency_key: str | None = None,
        expected_version: int | None = None,
        notify: Sequence[Recipient | Mapping[str, Any]] = (),
    ) -> Dossier:
        """Record the recognition decision: number, date and issuing body."""
        return self.execute(
            _make(
                Certify,
                dossier_id=dossier_id,
                decision_number=decision_number,
                decision_date=decision_date,
                issuing_body=issuing_body,
                certificate_number=certificate_number,
                occurred_at=occurred_at,
                idempotency_key=idempotency_key,
                expected_version=expected_version,
                notify=notify,
            ),
            actor,
        )

    def certify_on_upper_result(
        self,
        dossier_id: UUID,
        *,
        actor: Actor,
        decision_number: str,
        decision_date: date,
        issuing_body: str,
        certificate_number: str | None = None,
        occurred_at: datetime | None = None,
        idempotency_key: str | None = None,
        expected_version: int | None = None,
        notify: Sequence[Recipient | Mapping[str, Any]] = (),
    ) -> Dossier:
        """The tier that forwarded the dossier certifies it on the upper council's result, at
        the stars it may (Decision 26/2026, Art. 7.4g: the province, 3★/4★, on a central result
        below 90)."""
        return self.execute(
            _make(
                CertifyOnUpperResult,
                dossier_id=dossier_id,
                decision_number=decision_number,
                decision_date=decision_date,
                issuing_body=issuing_body,
                certificate_number=certificate_number,
                occurred_at=occurred_at,
                idempotency_key=idempotency_key,
                expected_version=expected_version,
                notify=notify,
            ),
            actor,
        )

    def return_to_lower_tier(
        self,
        dossier_id: UUID,
        *,
        actor: Actor,
        note: str = "",
        occurred_at: datetime | None = None,
        idempotency_key: str | None = None,
        expected_version: int | None = None,
        notify: Sequence[Recipient | Mapping[str, Any]] = (),
    ) -> Dossier:
        """Instead, the tier that forwarded the dossier has its own council evaluate it again
        (Art. 7.4g): the dossier goes back before that council, to a new round."""
        return self.execute(
            _make(
                ReturnToLowerTier,
                dossier_id=dossier_id,
                note=note,
                occurred_at=occurred_at,
                idempotency_key=idempotency_key,
                expected_version=expected_version,
                notify=notify,
            ),
            actor,
        )

    def exclude(
        self,
        dossier_id: UUID,
        *,
        actor: Actor,
        ground: str,
        details: str = "",
        occurred_at: datetime | None = None,
        idempotency_key: str | None = None,
        expected_version: int | None = None,
        notify: Sequence[Recipient | Mapping[str, Any]] = (),
    ) -> Dossier:
        """Exclude the dossier on one of its scoring sheet's grounds ("Hồ sơ bị loại khi …",
        Decision 26/2026), where the profile lets the province: a terminal outcome."""
        return self.execute(
            _make(
                Exclude,
                dossier_id=dossier_id,
                ground=ground,
                details=details,
                occurred_at=occurred_at,
                idempotency_key=idempotency_key,
                expected_version=expected_version,
                notify=notify,
            ),
            actor,
        )

    def not_recognize(
        self,
        dossier_id: UUID,
        *,
        actor: Actor,
        note: str = "",
        occurred_at: datetime | None = None,
        idempotency_key: str | None = None,
        expected_version: int | None = None,
        notify: Sequence[Recipient | Mapping[str, Any]] = (),
    ) -> Dossier:
        """Record that the result is below the recognised minimum."""
        return self.execute(
            _make(
                NotRecognize,
                dossier_id=dossier_id,
                note=note,
                occurred_at=occurred_at,
                idempotency_key=idempotency_key,
                expected_version=expected_version,
                notify=notify,
            ),
            actor,
        )

    def keep_certificate(
        self,
        dossier_id: UUID,
        *,
        actor: Actor,
        note: str = "",
        occurred_at: datetime | None = None,
        idempotency_key: str | None = None,
        expected_version: int | None = None,
        notify: Sequence[Recipient | Mapping[str, Any]] = (),
    ) -> Dossier:
        """[open] Close the upper council's evaluation of a dossier certified at a lower tier's
        cap without raising it: the certificate stands as issued."""
        return self.execute(
            _make(
                KeepCertificate,
                dossier_id=dossier_id,
                note=note,
                occurred_at=occurred_at,
                idempotency_key=idempotency_key,
                expected_version=expected_version,
                notify=notify,
            ),
            actor,
        )

    def start_monitoring(
        self,
        dossier_id: UUID,
        *,
        actor: Actor,
        occurred_at: datetime | None = None,
        idempotency_key: str | None = None,
        expected_version: int | None = None,
        notify: Sequence[Recipient | Mapping[str, Any]] = (),
    ) -> Dossier:
        """Begin post-certification surveillance."""
        return self.execute(
            _make(
                StartMonitoring,
                dossier_id=dossier_id,
                occurred_at=occurred_at,
                idempotency_key=idempotency_key,
                expected_version=expected_version,
                notify=notify,
            ),
            actor,
        )

    def record_inspection(
        self,
        dossier_id: UUID,
        *,
        actor: Actor,
        inspected_on: date,
        passed: bool,
        findings: str = "",
        occurred_at: datetime | None = None,
        idempotency_key: str | None = None,
        expected_version: int | None = None,
        notify: Sequence[Recipient | Mapping[str, Any]] = (),
    ) -> Dossier:
        """Record an inspection: when, whether it passed, what was found."""
        return self.execute(
            _make(
                RecordInspection,
                dossier_id=dossier_id,
                inspected_on=inspected_on,
                passed=passed,
                findings=findings,
                occurred_at=occurred_at,
                idempotency_key=idempotency_key,
                expected_version=expected_version,
                notify=notify,
            ),
            actor,
        )

    def revoke(
        self,
        dossier_id: UUID,
        *,
        actor: Actor,
        grounds: RevocationGrounds | Mapping[str, Any],
        decision_number: str,
        decision_date: date,
        issuing_body: str,
        conclusion_date: date | None = None,
        occurred_at: datetime | None = None,
        idempotency_key: str | None = None,
        expected_version: int | None = None,
        notify: Sequence[Recipient | Mapping[str, Any]] = (),
    ) -> Dossier:
        """Revoke the certificate ("thu hồi"): grounds (a code of the profile's) and the
        decision; under a profile with a time limit (Decision 26/2026, Art. 8.4: 15 days), the
        date of the conclusion it acts on."""
        return self.execute(
            _make(
                Revoke,
                dossier_id=dossier_id,
                grounds=grounds,
                decision_number=decision_number,
                decision_date=decision_date,
                issuing_body=issuing_body,
                conclusion_date=conclusion_date,
                occurred_at=occurred_at,
                idempotency_key=idempotency_key,
                expected_version=expected_version,
                notify=notify,
            ),
            actor,
        )

    def withdraw(
        self,
        dossier_id: UUID,
        *,
        actor: Actor,
        reason: str = "",
        occurred_at: datetime | None = None,
        idempotency_key: str | None = None,
        expected_version: int | None = None,
        notify: Sequence[Recipient | Mapping[str, Any]] = (),
    ) -> Dossier:
        """The producer withdraws before a decision ("rút hồ sơ")."""
        return self.execute(
            _make(
                Withdraw,
                dossier_id=dossier_id,
                reason=reason,
                occurred_at=occurred_at,
                idempotency_key=idempotency_key,
                expected_version=expected_version,
                notify=notify,
            ),
            actor,
        )

    def mark_renewal_due(
        self,
        dossier_id: UUID,
        *,
        actor: Actor,
        occurred_at: datetime | None = None,
        idempotency_key: str | None = None,
        expected_version: int | None = None,
        notify: Sequence[Recipient | Mapping[str, Any]] = (),
    ) -> Dossier:
        """The statutory renewal notice went out (system)."""
        return self.execute(
            _make(
                MarkRenewalDue,
                dossier_id=dossier_id,
                occurred_at=occurred_at,
                idempotency_key=idempotency_key,
                expected_version=expected_version,
                notify=notify,
            ),
            actor,
        )

    def expire(
        self,
        dossier_id: UUID,
        *,
        actor: Actor,
        occurred_at: datetime | None = None,
        idempotency_key: str | None = None,
        expected_version: int | None = None,
        notify: Sequence[Recipient | Mapping[str, Any]] = (),
    ) -> Dossier:
        """The certificate lapsed (system)."""
        return self.execute(
            _make(
                Expire,
                dossier_id=dossier_id,
                occurred_at=occurred_at,
                idempotency_key=idempotency_key,
                expected_version=expected_version,
                notify=notify,
            ),
            actor,
        )

    def create_round(
        self,
        *,
        actor: Actor,
        year: int,
        number: int,
        jurisdiction_code: str,
        name: str,
        registration_deadline: date,
        council_meeting_on: date,
        scoring_deadline: date,
    ) -> Round:
        """Open an evaluation round; opening the same round again returns it."""
        return self.execute_round(
            CreateRound(
                year=year,
                number=number,
                jurisdiction_code=jurisdiction_code,
                name=name,
                registration_deadline=registration_deadline,
                council_meeting_on=council_meeting_on,
                scoring_deadline=scoring_deadline,
            ),
            actor,
        )

    # -- profile migration --------------------------------------------------------------------

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
        """Carry the dossiers still in evaluation under ``from_profile`` over to ``to_profile``
        (``ocop-cycle migrate``): the 2025 reform moves qd148-2023's open dossiers to
        qd1489-2025.

        ``to_profile``'s data says how (``migration_from``): each state's new state, what no
        longer holds, the legal basis, the roles that may do it. Each dossier gets one
        ``profile_migrated`` event (hashed into its chain, folded into its projection) in a
        transaction of its own; certified, lapsed and finished dossiers keep their profile. A
        dossier no mapping carries over is listed with the reason and left as it is. ``unit``
        (a commune, district or province code, as registered or a unit of today covering those
        it succeeded) limits the run to dossiers filed under it.
        ``effective`` is the day the change takes legal effect (not before the data's, not after
        today), recorded in each event. ``actor`` defaults to the system acting for the
        operator (``system@VN#migration``); a province office may carry over its province's.

        Idempotent: a dossier carried over is no longer under ``from_profile``, so running again
        changes nothing and the report counts it in ``migrated_earlier``; two runs at once carry
        each dossier over once. ``dry_run`` decides the same for the same dossiers and writes
        nothing. ``progress(done, total)`` is called after each dossier.
        """
        _refuse(
            "migrate",
            _migration_problems(from_profile, to_profile, effective, unit, dry_run, progress),
        )
        return self._migrations.migrate(
            from_profile=from_profile,
            to_profile=to_profile,
            effective=effective,
            unit=unit,
            dry_run=dry_run,
            actor=_actor(actor) if actor is not None else None,
            progress=progress,
        )


def _option_problems(
    clock: object, hmac_key: object, sqlite: object, ids: object
) -> list[FieldProblem]:
    """What is wrong with an engine's options, found when it is built rather than on its first
    command (a key read from the environment as text, a clock without a time zone)."""
    problems = []
    if hmac_key is not None and not (isinstance(hmac_key, bytes) and hmac_key):
        problems.append(
            FieldProblem(
                "hmac_key",
                "must be non-empty bytes (a key read as text: encode it)"
                if isinstance(hmac_key, str)
                else "must be non-empty bytes",
            )
        )
    if sqlite is not None and not isinstance(sqlite, SqliteSettings):
        problems.append(FieldProblem("sqlite", "must be a SqliteSettings"))
    if ids is not None and not callable(ids):
        problems.append(FieldProblem("ids", "must be a callable returning a UUID"))
    if clock is not None:
        now = getattr(clock, "now", None)
        reading = now() if callable(now) else None
        if not isinstance(reading, datetime):
            problems.append(FieldProblem("clock", "must have now() returning a datetime"))
        elif reading.tzinfo is None or reading.utcoffset() is None:
            problems.append(
                FieldProblem("clock", "now() must return an aware datetime (with its time zone)")
            )
    return problems


def _migration_problems(
    from_profile: object,
    to_profile: object,
    effective: object,
    unit: object,
    dry_run: object,
    progress: object,
) -> list[FieldProblem]:
    """What is wrong with ``migrate``'s arguments by their kind (their meaning is the job's)."""
    problems = [
        FieldProblem(name, "must be a profile id (text)")
        for name, value in (("from_profile", from_profile), ("to_profile", to_profile))
        if not isinstance(value, str)
    ]
    if not isinstance(effective, date) or isinstance(effective, datetime):
        problems.append(FieldProblem("effective", f"must be a date, not {effective!r}"))
    if unit is not None and not isinstance(unit, str):
        problems.append(FieldProblem("unit", f"must be a unit's code (text), not {unit!r}"))
    if not isinstance(dry_run, bool):
        problems.append(FieldProblem("dry_run", f"must be True or False, not {dry_run!r}"))
    if progress is not None and not callable(progress):
        problems.append(FieldProblem("progress", "must be callable as progress(done, total)"))
    return problems
