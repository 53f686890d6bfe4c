"""ocop-cycle: the workflow engine of Vietnam's OCOP programme.

Every supported name is importable from here; submodules are internal layout. Nothing happens
on import: no database, no environment reading, no logging configuration.
"""

from ocop_cycle.audit.auditor import Auditor, Checkpoint, ReplayReport
from ocop_cycle.audit.offline import verify_export
from ocop_cycle.audit.verify import Break, VerifyReport
from ocop_cycle.clock import VN_TZ, Clock, SettableClock, SystemClock
from ocop_cycle.demo.runner import DemoResult, run_demo
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
    MachineDefinitionError,
    NotFound,
    OcopCycleError,
    PermissionDenied,
    ProfileNotFound,
    Reason,
    RoundNotFound,
    RuleDataInvalid,
    SchemaNotReady,
    SheetNotFound,
    StorageError,
)
from ocop_cycle.jobs.scheduler import CycleScheduler, SchedulerState
from ocop_cycle.jobs.simulation import run_until
from ocop_cycle.jobs.sweep import Applied, Deadline, Sweeper, SweepReport
from ocop_cycle.plan.entries import PlanEntry, SupportRequest
from ocop_cycle.plan.importer import ImportSettings, PlanProblem, import_plan, read_plan_csv
from ocop_cycle.plan.progress import PlanProgress, plan_progress
from ocop_cycle.plan.targets import PlanTarget, PlanTargets
from ocop_cycle.rules.authority import Actor, Level, Role
from ocop_cycle.rules.book import RuleBook, default_rule_book
from ocop_cycle.rules.profiles import RuleProfile
from ocop_cycle.rules.scoring import CouncilSession, MemberSheet, Outcome, ScoreResult
from ocop_cycle.rules.sheets import ScoringSheet
from ocop_cycle.rules.support import SupportAward, SupportPolicy
from ocop_cycle.storage.database import SqliteSettings
from ocop_cycle.storage.outbox import Notification
from ocop_cycle.workflows.commands import (
    AssignRound,
    Certify,
    Command,
    CreateRound,
    EscalateInspection,
    Expire,
    FlagRoundMissed,
    Forward,
    ImportCertificate,
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
    RevocationGrounds,
    Revoke,
    Score,
    SendReminder,
    StartMonitoring,
    VerifyCommune,
    Withdraw,
)
from ocop_cycle.workflows.machine import DossierMachine
from ocop_cycle.workflows.model import Dossier, DossierKind, Event, ProducerKind, Round
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
    "Checkpoint",
    "Clock",
    "Command",
    "CommandRefused",
    "ConcurrencyConflict",
    "CouncilSession",
    "CreateRound",
    "CycleScheduler",
    "Deadline",
    "DemoResult",
    "Dossier",
    "DossierKind",
    "DossierMachine",
    "DossierNotFound",
    "DossierState",
    "Engine",
    "EscalateInspection",
    "Event",
    "Expire",
    "FieldProblem",
    "FlagRoundMissed",
    "Forward",
    "GuardRefused",
    "IdempotencyKeyReused",
    "ImportCertificate",
    "ImportSettings",
    "InvalidCommand",
    "InvalidTransition",
    "Level",
    "MachineDefinitionError",
    "MarkRenewalDue",
    "MemberSheet",
    "NotFound",
    "NotRecognize",
    "Notification",
    "OcopCycleError",
    "Outcome",
    "PermissionDenied",
    "PlanEntry",
    "PlanProblem",
    "PlanProgress",
    "PlanTarget",
    "PlanTargets",
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
    "SupportRequest",
    "SweepReport",
    "Sweeper",
    "SystemClock",
    "VerifyCommune",
    "VerifyReport",
    "Withdraw",
    "default_rule_book",
    "import_plan",
    "plan_progress",
    "read_plan_csv",
    "run_demo",
    "run_until",
    "verify_export",
]
