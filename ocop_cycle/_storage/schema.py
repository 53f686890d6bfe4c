"""The tables, as SQLAlchemy 2.x typed ORM classes on ocop-cycle's own MetaData.

Every table name starts with ``ocop_`` so the schema can live in a host's database. The event log
is append-only; ``ocop_dossiers`` is the projection derived from it.
"""

from __future__ import annotations

from datetime import date, datetime
from decimal import Decimal
from typing import Any, cast
from uuid import UUID

from sqlalchemy import (
    BigInteger,
    Boolean,
    Date,
    ForeignKey,
    Index,
    Integer,
    MetaData,
    String,
    Table,
    Text,
    UniqueConstraint,
    text,
)
from sqlalchemy.orm import DeclarativeBase, Mapped, mapped_column

from ocop_cycle._storage.types import AwareDateTime, DecimalScore, JsonDocument

__all__ = [
    "NEW_IN_EVALUATION",
    "OPEN_SUCCESSOR",
    "SUCCESSOR_CLOSED_STATES",
    "Base",
    "CheckpointHeadRow",
    "CheckpointRow",
    "DeadlineRow",
    "DeliveryRow",
    "DossierRow",
    "EventRow",
    "IdempotencyRow",
    "OutboxRow",
    "PlanRow",
    "ProducerRow",
    "ProductRow",
    "ProductSequenceRow",
    "RoundRow",
    "SettingRow",
    "checkpoint_heads",
    "checkpoints",
    "deadlines",
    "deliveries",
    "dossiers",
    "events",
    "idempotency",
    "metadata",
    "outbox",
    "plans",
    "producers",
    "product_sequences",
    "products",
    "rounds",
    "store_settings",
]

metadata = MetaData(
    naming_convention={
        "ix": "ix_%(table_name)s_%(column_0_N_name)s",
        "uq": "uq_%(table_name)s_%(column_0_N_name)s",
        "fk": "fk_%(table_name)s_%(column_0_name)s_%(referred_table_name)s",
        "pk": "pk_%(table_name)s",
    }
)

#: The states in which a re-evaluation no longer counts as open: ``workflows.states.
#: TERMINAL_STATES`` as stored. Equal to it by test (tests/test_storage.py), which also reads the
#: index back from a migrated database: changing the terminal states needs a migration.
SUCCESSOR_CLOSED_STATES = (
    "renewed",
    "revoked",
    "not_recognized",
    "withdrawn",
    "rejected",
    "excluded",
)

#: The rows of successors still open (not in a terminal state).
OPEN_SUCCESSOR = text(
    "predecessor_id IS NOT NULL AND state NOT IN ("
    + ", ".join(f"'{state}'" for state in SUCCESSOR_CLOSED_STATES)
    + ")"
)

#: The rows of new dossiers still in evaluation; kept in step with
#: ``workflows.states.IN_EVALUATION`` by a test.
NEW_IN_EVALUATION = text(
    "kind = 'new' AND state IN ('registered', 'returned', 'commune_verified', "
    "'district_scored', 'forwarded_province', 'province_scored', 'forwarded_central', "
    "'central_scored')"
)

#: A global ordering id: BIGINT on PostgreSQL, SQLite's INTEGER rowid alias.
BigId = BigInteger().with_variant(Integer(), "sqlite")


class Base(DeclarativeBase):
    """Declarative base bound to ocop-cycle's own metadata."""

    metadata = metadata


class ProducerRow(Base):
    """A producer ("chủ thể"): enterprise, cooperative, group, household business, association."""

    __tablename__ = "ocop_producers"

    id: Mapped[UUID] = mapped_column(primary_key=True)
    name: Mapped[str] = mapped_column(String(300))
    kind: Mapped[str] = mapped_column(String(40))
    address: Mapped[str] = mapped_column(String(500), default="")
    commune_code: Mapped[str | None] = mapped_column(String(5))
    district_code: Mapped[str | None] = mapped_column(String(3))
    province_code: Mapped[str] = mapped_column(String(2))
    created_at: Mapped[datetime] = mapped_column(AwareDateTime())


class ProductRow(Base):
    """A product of a producer, in one product set."""

    __tablename__ = "ocop_products"

    id: Mapped[UUID] = mapped_column(primary_key=True)
    producer_id: Mapped[UUID] = mapped_column(ForeignKey("ocop_producers.id"), index=True)
    name: Mapped[str] = mapped_column(String(300))
    product_group: Mapped[str] = mapped_column(String(60))
    product_set: Mapped[str] = mapped_column(String(60))
    created_at: Mapped[datetime] = mapped_column(AwareDateTime())


class RoundRow(Base):
    """An evaluation round ("đợt đánh giá")."""

    __tablename__ = "ocop_rounds"
    __table_args__ = (UniqueConstraint("year", "jurisdiction_code", "number"),)

    id: Mapped[UUID] = mapped_column(primary_key=True)
    year: Mapped[int] = mapped_column(Integer)
    number: Mapped[int] = mapped_column(Integer)
    jurisdiction_code: Mapped[str] = mapped_column(String(5))
    name: Mapped[str] = mapped_column(String(300))
    registration_deadline: Mapped[date] = mapped_column(Date)
    council_meeting_on: Mapped[date] = mapped_column(Date)
    scoring_deadline: Mapped[date] = mapped_column(Date)
    created_at: Mapped[datetime] = mapped_column(AwareDateTime())


class DossierRow(Base):
    """The projection: each dossier's current state, derived from its events."""

    __tablename__ = "ocop_dossiers"
    # One open re-evaluation per certificate, and one new evaluation of a product at a time,
    # enforced by the database: two processes that both saw none cannot both insert one (the
    # second waits, then fails on the index).
    __table_args__ = (
        Index(
            "uq_ocop_dossiers_open_successor",
            "predecessor_id",
            unique=True,
            sqlite_where=OPEN_SUCCESSOR,
            postgresql_where=OPEN_SUCCESSOR,
        ),
        # A product code (Decision 26/2026: T-X-STT-year) names one dossier, ever.
        Index("uq_ocop_dossiers_product_code", "product_code", unique=True),
        Index(
            "uq_ocop_dossiers_product_in_evaluation",
            "product_id",
            unique=True,
            sqlite_where=NEW_IN_EVALUATION,
            postgresql_where=NEW_IN_EVALUATION,
        ),
    )

    id: Mapped[UUID] = mapped_column(primary_key=True)
    version: Mapped[int] = mapped_column(Integer)
    state: Mapped[str] = mapped_column(String(40), index=True)
    profile_id: Mapped[str] = mapped_column(String(40))
    kind: Mapped[str] = mapped_column(String(20))
    producer_id: Mapped[UUID] = mapped_column(ForeignKey("ocop_producers.id"), index=True)
    producer_name: Mapped[str] = mapped_column(String(300))
    producer_kind: Mapped[str] = mapped_column(String(40))
    product_id: Mapped[UUID] = mapped_column(ForeignKey("ocop_products.id"), index=True)
    product_name: Mapped[str] = mapped_column(String(300))
    product_group: Mapped[str] = mapped_column(String(60))
    product_set: Mapped[str] = mapped_column(String(60))
    commune_code: Mapped[str | None] = mapped_column(String(5), index=True)
    district_code: Mapped[str | None] = mapped_column(String(3), index=True)
    province_code: Mapped[str] = mapped_column(String(2), index=True)
    predecessor_id: Mapped[UUID | None] = mapped_column(ForeignKey("ocop_dossiers.id"), index=True)
    successor_id: Mapped[UUID | None] = mapped_column()
    round_id: Mapped[UUID | None] = mapped_column(ForeignKey("ocop_rounds.id"), index=True)
    level: Mapped[str | None] = mapped_column(String(20))
    score: Mapped[Decimal | None] = mapped_column(DecimalScore())
    stars: Mapped[int | None] = mapped_column(Integer)
    outcome: Mapped[str | None] = mapped_column(String(20))
    scored_on: Mapped[date | None] = mapped_column(Date)
    supplement_due_on: Mapped[date | None] = mapped_column(Date)
    certified_stars: Mapped[int | None] = mapped_column(Integer)
    certified_level: Mapped[str | None] = mapped_column(String(20))
    certificate_number: Mapped[str | None] = mapped_column(String(100))
    decision_number: Mapped[str | None] = mapped_column(String(100))
    issuing_body: Mapped[str | None] = mapped_column(String(300))
    certified_on: Mapped[date | None] = mapped_column(Date)
    valid_until: Mapped[date | None] = mapped_column(Date, index=True)
    last_inspection_on: Mapped[date | None] = mapped_column(Date)
    last_inspection_passed: Mapped[bool | None] = mapped_column(Boolean)
    product_code: Mapped[str | None] = mapped_column(String(40))
    registered_at: Mapped[datetime] = mapped_column(AwareDateTime())
    updated_at: Mapped[datetime] = mapped_column(AwareDateTime())
    last_hash: Mapped[str] = mapped_column(String(64))


class ProductSequenceRow(Base):
    """Each commune's last product sequence number of a year (the STT of T-X-STT-year): taken
    and raised in the transaction that assigns the code, so numbers have no gaps."""

    __tablename__ = "ocop_product_sequences"

    province_code: Mapped[str] = mapped_column(String(2), primary_key=True)
    commune_code: Mapped[str] = mapped_column(String(5), primary_key=True)
    year: Mapped[int] = mapped_column(Integer, primary_key=True)
    last_seq: Mapped[int] = mapped_column(Integer)


class EventRow(Base):
    """The append-only log. ``(dossier_id, seq)`` is unique: the concurrency guard."""

    __tablename__ = "ocop_events"
    __table_args__ = (
        UniqueConstraint("dossier_id", "seq"),
        Index("ix_ocop_events_recorded_at", "recorded_at"),
    )

    id: Mapped[int] = mapped_column(BigId, primary_key=True, autoincrement=True)
    # No foreign key to the projection: the log is the record, the projection derives from it.
    dossier_id: Mapped[UUID] = mapped_column()
    seq: Mapped[int] = mapped_column(Integer)
    type: Mapped[str] = mapped_column(String(60))
    schema_version: Mapped[int] = mapped_column(Integer)
    payload: Mapped[dict[str, Any]] = mapped_column(JsonDocument)
    actor_role: Mapped[str] = mapped_column(String(40))
    actor_jurisdiction: Mapped[str] = mapped_column(String(5))
    actor_id: Mapped[str | None] = mapped_column(String(200))
    actor_name: Mapped[str | None] = mapped_column(String(300))
    profile_id: Mapped[str] = mapped_column(String(40))
    occurred_at: Mapped[datetime] = mapped_column(AwareDateTime())
    recorded_at: Mapped[datetime] = mapped_column(AwareDateTime())
    prev_hash: Mapped[str] = mapped_column(String(64))
    hash: Mapped[str] = mapped_column(String(64))


class OutboxRow(Base):
    """Notifications waiting for the host: written with their event, claimed and acknowledged."""

    __tablename__ = "ocop_outbox"

    id: Mapped[int] = mapped_column(BigId, primary_key=True, autoincrement=True)
    notification_id: Mapped[UUID] = mapped_column(unique=True)
    dossier_id: Mapped[UUID] = mapped_column(index=True)
    seq: Mapped[int] = mapped_column(Integer)
    kind: Mapped[str] = mapped_column(String(60))
    recipient_role: Mapped[str] = mapped_column(String(40))
    recipient_jurisdiction: Mapped[str] = mapped_column(String(5))
    message_vi: Mapped[str] = mapped_column(Text)
    data: Mapped[dict[str, Any]] = mapped_column(JsonDocument)
    created_at: Mapped[datetime] = mapped_column(AwareDateTime())


class DeliveryRow(Base):
    """One consumer's lease and acknowledgement of one notification: each named consumer
    ("portal", "sms") receives every notification, and acknowledges it for itself only. No row
    yet: the consumer has not claimed it."""

    __tablename__ = "ocop_outbox_deliveries"

    consumer: Mapped[str] = mapped_column(String(200), primary_key=True)
    # No foreign key: outbox rows are never deleted, and SQLite rebuilds ``ocop_outbox`` to
    # alter it (a migration's batch mode), which a reference to it would forbid.
    outbox_id: Mapped[int] = mapped_column(BigId, primary_key=True, autoincrement=False)
    claimed_until: Mapped[datetime] = mapped_column(AwareDateTime())
    #: How many times the consumer claimed it (a lease that ran out is claimed again).
    claims: Mapped[int] = mapped_column(Integer)
    acked_at: Mapped[datetime | None] = mapped_column(AwareDateTime())


class SettingRow(Base):
    """What the store records about itself, by name: ``simulated_until``, where the simulated
    clock that drove it (the demo, ``scheduler run --simulated``) stopped."""

    __tablename__ = "ocop_store_settings"

    name: Mapped[str] = mapped_column(String(100), primary_key=True)
    value: Mapped[str] = mapped_column(Text)


class DeadlineRow(Base):
    """A deadline: something that must happen once at ``due_at`` unless the dossier moved on.

    Written in the same transaction as the event that starts its clock; ``key`` is its natural
    key (kind, subject, due time), so planning it twice cannot make it happen twice.
    """

    __tablename__ = "ocop_deadlines"
    __table_args__ = (
        Index("ix_ocop_deadlines_status_due_at", "status", "due_at"),
        # The dossiers a failed deadline holds back: every claim asks, and there are few.
        Index(
            "ix_ocop_deadlines_failed",
            "dossier_id",
            sqlite_where=text("status = 'failed'"),
            postgresql_where=text("status = 'failed'"),
        ),
    )

    id: Mapped[int] = mapped_column(BigId, primary_key=True, autoincrement=True)
    key: Mapped[str] = mapped_column(String(200), unique=True)
    kind: Mapped[str] = mapped_column(String(40))
    dossier_id: Mapped[UUID] = mapped_column(index=True)
    round_id: Mapped[UUID | None] = mapped_column()
    due_at: Mapped[datetime] = mapped_column(AwareDateTime())
    status: Mapped[str] = mapped_column(String(12))
    detail: Mapped[dict[str, Any]] = mapped_column(JsonDocument)
    created_at: Mapped[datetime] = mapped_column(AwareDateTime())
    applied_at: Mapped[datetime | None] = mapped_column(AwareDateTime())
    lateness_seconds: Mapped[int | None] = mapped_column(BigInteger)
    outcome: Mapped[str | None] = mapped_column(String(300))


class CheckpointRow(Base):
    """A checkpoint: one root over every chain's head at a moment, so that deleting a whole
    dossier, or a dossier's last events, is detected too. Publish the root outside the database."""

    __tablename__ = "ocop_checkpoints"

    id: Mapped[int] = mapped_column(BigId, primary_key=True, autoincrement=True)
    created_at: Mapped[datetime] = mapped_column(AwareDateTime())
    max_event_id: Mapped[int] = mapped_column(BigInteger)
    dossier_count: Mapped[int] = mapped_column(Integer)
    event_count: Mapped[int] = mapped_column(BigInteger)
    keyed: Mapped[bool] = mapped_column(Boolean)
    root: Mapped[str] = mapped_column(String(64))


class CheckpointHeadRow(Base):
    """One chain's head as a checkpoint saw it."""

    __tablename__ = "ocop_checkpoint_heads"

    checkpoint_id: Mapped[int] = mapped_column(
        BigId, ForeignKey("ocop_checkpoints.id"), primary_key=True
    )
    dossier_id: Mapped[UUID] = mapped_column(primary_key=True)
    seq: Mapped[int] = mapped_column(Integer)
    hash: Mapped[str] = mapped_column(String(64))


class IdempotencyRow(Base):
    """The first result of each idempotency key, so a repeat returns it and writes nothing."""

    __tablename__ = "ocop_idempotency"

    key: Mapped[str] = mapped_column(String(200), primary_key=True)
    command: Mapped[str] = mapped_column(String(60))
    fingerprint: Mapped[str] = mapped_column(String(64))
    dossier_id: Mapped[UUID] = mapped_column()
    version: Mapped[int] = mapped_column(Integer)
    #: The dossier's version before the command (0 for a creation): a replay is authorised
    #: against the dossier as the first call found it.
    base_version: Mapped[int | None] = mapped_column(Integer)
    recorded_at: Mapped[datetime] = mapped_column(AwareDateTime())


class PlanRow(Base):
    """A unit's OCOP plan for a year, as imported (Biểu 1 and 2, rounds, targets, communes):
    one document per (year, unit); ``digest`` tells a re-import of the same plan from a new one.
    """

    __tablename__ = "ocop_plans"

    year: Mapped[int] = mapped_column(Integer, primary_key=True)
    unit_code: Mapped[str] = mapped_column(String(5), primary_key=True)
    digest: Mapped[str] = mapped_column(String(64))
    document: Mapped[dict[str, Any]] = mapped_column(JsonDocument)
    imported_at: Mapped[datetime] = mapped_column(AwareDateTime())


def _table(model: type[Base]) -> Table:
    return cast(Table, model.__table__)


producers = _table(ProducerRow)
products = _table(ProductRow)
rounds = _table(RoundRow)
dossiers = _table(DossierRow)
events = _table(EventRow)
outbox = _table(OutboxRow)
deliveries = _table(DeliveryRow)
store_settings = _table(SettingRow)
idempotency = _table(IdempotencyRow)
deadlines = _table(DeadlineRow)
product_sequences = _table(ProductSequenceRow)
checkpoints = _table(CheckpointRow)
checkpoint_heads = _table(CheckpointHeadRow)
plans = _table(PlanRow)
