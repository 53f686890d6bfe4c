"""ocop-cycle: the workflow engine of Vietnam's OCOP programme.

Every supported name is importable from here; submodules are internal layout. Nothing happens
on import: no database, no environment reading, no logging configuration, and none of the
optional heavy dependencies (APScheduler loads when a ``CycleScheduler`` starts; rich and openpyxl
only with the CLI and the plan tools).

``VN_TZ`` is the Asia/Ho_Chi_Minh time zone: every date the library records is aware, in it.

Applications built on the library are not part of this namespace: the demo lives in
``ocop_cycle.demo`` and the district plan tools (import, targets, progress) in ``ocop_cycle.plan``.
Helpers for hosts' tests are in ``ocop_cycle.testing``.
"""

from ocop_cycle._storage.database import SqliteSettings
from ocop_cycle._storage.host_alembic import alembic_include_name, alembic_include_object
from ocop_cycle._storage.outbox import Notification
from ocop_cycle.audit.auditor import Auditor, Checkpoint, ReplayReport
from ocop_cycle.audit.offline import verify_export
from ocop_cycle.audit.verify import Break, VerifyReport
from ocop_cycle.clock import VN_TZ, Clock, SettableClock, SystemClock
from ocop_cycle.engine import Engine
from ocop_cycle.errors import (
    CommandRefused,
    ConcurrencyConflict,
    DossierNotFound,
    FieldProblem,
    GuardRefused,
    IdempotencyKeyReused,
    InvalidCommand,
    InvalidTransition,
    KeyMismatch,
    MachineDefinitionError,
    NotFound,
    OcopCycleError,
    PermissionDenied,
    PlaceRefused,
    ProfileNotFound,
    Reason,
    RoundNotFound,
    RuleDataInvalid,
    SchemaNotReady,
    SheetNotFound,
    StorageError,
    TransactionConflict,
    UnitNotFound,
    UnsuitableConnection,
)
from ocop_cycle.jobs.scheduler import CycleScheduler, SchedulerState
from ocop_cycle.jobs.simulation import run_until
from ocop_cycle.jobs.sweep import Applied, Deadline, Sweeper, SweepReport
from ocop_cycle.rules.authority import Actor, Level, Role
from ocop_cycle.rules.book import RuleBook, default_rule_book
from ocop_cycle.rules.profiles import RuleProfile
from ocop_cycle.rules.scoring import CouncilSession, MemberSheet, Outcome, ScoreResult
from ocop_cycle.rules.sheets import ScoringSheet
from ocop_cycle.rules.support import SupportAward, SupportPolicy
from ocop_cycle.workflows.commands import (
    AssignRound,
    Certify,
    CertifyOnUpperResult,
    Command,
    CreateRound,
    EscalateInspection,
    EscalateOverdue,
    Exclude,
    Expire,
    FlagReevaluationWindowMissed,
    FlagRoundMissed,
    Forward,
    ImportCertificate,
    KeepCertificate,
    MarkRenewalDue,
    NotifyReevaluationWindow,
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
    SendReminder,
    StartMonitoring,
    VerifyCommune,
    Withdraw,
)
from ocop_cycle.workflows.events import Event
from ocop_cycle.workflows.machine import DossierMachine
from ocop_cycle.workflows.migration import MigrationItem, MigrationReport
from ocop_cycle.workflows.model import Dossier, DossierKind, ProducerKind, Round
from ocop_cycle.workflows.states import DossierState

__version__ = "0.1.0"

__all__ = [
    "VN_TZ",
    "Actor",
    "Applied",
    "AssignRound",
    "Auditor",
    "Break",
    "Certify",
    "CertifyOnUpperResult",
    "Checkpoint",
    "Clock",
    "Command",
    "CommandRefused",
    "ConcurrencyConflict",
    "CouncilSession",
    "CreateRound",
    "CycleScheduler",
    "Deadline",
    "Dossier",
    "DossierKind",
    "DossierMachine",
    "DossierNotFound",
    "DossierState",
    "Engine",
    "EscalateInspection",
    "EscalateOverdue",
    "Event",
    "Exclude",
    "Expire",
    "FieldProblem",
    "FlagReevaluationWindowMissed",
    "FlagRoundMissed",
    "Forward",
    "GuardRefused",
    "IdempotencyKeyReused",
    "ImportCertificate",
    "InvalidCommand",
    "InvalidTransition",
    "KeepCertificate",
    "KeyMismatch",
    "Level",
    "MachineDefinitionError",
    "MarkRenewalDue",
    "MemberSheet",
    "MigrationItem",
    "MigrationReport",
    "NotFound",
    "NotRecognize",
    "Notification",
    "NotifyReevaluationWindow",
    "OcopCycleError",
    "Outcome",
    "PermissionDenied",
    "PlaceRefused",
    "ProducerInfo",
    "ProducerKind",
    "ProductInfo",
    "ProfileNotFound",
    "Reason",
    "Recipient",
    "RecordInspection",
    "RegisterDossier",
    "RegisterReevaluation",
    "Reject",
    "ReplayReport",
    "Resubmit",
    "ReturnForSupplement",
    "ReturnToLowerTier",
    "RevocationGrounds",
    "Revoke",
    "Role",
    "Round",
    "RoundNotFound",
    "RuleBook",
    "RuleDataInvalid",
    "RuleProfile",
    "SchedulerState",
    "SchemaNotReady",
    "Score",
    "ScoreResult",
    "ScoringSheet",
    "SendReminder",
    "SettableClock",
    "SheetNotFound",
    "SqliteSettings",
    "StartMonitoring",
    "StorageError",
    "SupportAward",
    "SupportPolicy",
    "SweepReport",
    "Sweeper",
    "SystemClock",
    "TransactionConflict",
    "UnitNotFound",
    "UnsuitableConnection",
    "VerifyCommune",
    "VerifyReport",
    "Withdraw",
    "alembic_include_name",
    "alembic_include_object",
    "default_rule_book",
    "run_until",
    "verify_export",
]
