"""The write path: each command is load -> authorise -> decide -> append, in one transaction.

``workflows.decide`` is the one pure decision (machine, guards, typed events, projection, notices,
deadlines); this module loads what it needs, authorises the actor, and appends what it decided:
events, projection checked against the version read, outbox, deadlines. A command that fails at
any step writes nothing. Idempotency keys are resolved here, after authorisation.

``creation.py`` holds the commands that create dossiers and rounds, on this same core.
"""

from __future__ import annotations

import hashlib
import logging
from collections.abc import Callable
from dataclasses import dataclass
from datetime import date, datetime
from functools import partial
from typing import Any

from ocop_cycle._log import get_logger
from ocop_cycle._storage.fastpath import Tx
from ocop_cycle._storage.store import KeyCollision, Store
from ocop_cycle.clock import Clock, to_vn
from ocop_cycle.errors import (
    CommandRefused,
    ConcurrencyConflict,
    DossierNotFound,
    FieldProblem,
    IdempotencyKeyReused,
    InvalidCommand,
    KeyMismatch,
    NotFound,
    OcopCycleError,
    RoundNotFound,
    StorageError,
    TransactionConflict,
)
from ocop_cycle.rules.authority import Actor
from ocop_cycle.rules.book import RuleBook
from ocop_cycle.workflows.chain import key_fingerprint, row_hash
from ocop_cycle.workflows.commands import (
    AssignRound,
    Certify,
    Command,
    DossierCommand,
    NotRecognize,
    VerifyCommune,
)
from ocop_cycle.workflows.decide import Context, Decision, decide
from ocop_cycle.workflows.events import CertificateImported, Registered
from ocop_cycle.workflows.fold import fold
from ocop_cycle.workflows.jurisdiction import proposing_place
from ocop_cycle.workflows.machine import MachineRegistry
from ocop_cycle.workflows.model import Dossier, DossierKind
from ocop_cycle.workflows.permissions import authorize
from ocop_cycle.workflows.states import DossierState

__all__ = ["Authorise", "Body", "Handlers"]

#: Loads what the command acts on and authorises the actor (given the idempotency record when
#: the key was used before); returns the dossier acted on, if any.
Authorise = Callable[[Tx, dict[str, Any] | None], Dossier | None]
#: The command's work inside the transaction, given what ``Authorise`` loaded.
Body = Callable[[Tx, Dossier | None], Dossier]

log = get_logger("ocop_cycle")

_KEY_MISMATCH = (
    "the store's hash chains are made with another key than this engine's (a key where the "
    "store has none, none where it has one, or another key): nothing written; open it with the "
    "store's key (--key-file, hmac_key)"
)


@dataclass(slots=True)
class _Attempt:
    """Whether a command may use, and did use, a cached projection."""

    use_cache: bool = True
    from_cache: bool = False


class Handlers:
    """Runs commands against one store under one rule book and clock."""

    def __init__(
        self,
        store: Store,
        rules: RuleBook,
        clock: Clock,
        hmac_key: bytes | None = None,
    ) -> None:
        self.store = store
        self.rules = rules
        self.clock = clock
        self.hmac_key = hmac_key
        self.machines = MachineRegistry()
        self._key_checked = False

    def context(
        self,
        actor: Actor,
        occurred: datetime,
        now: datetime,
        **loaded: Any,
    ) -> Context:
        """What ``decide`` may look at, with what was loaded for this command."""
        return Context(self.rules, self.machines, actor, occurred, now, self.hmac_key, **loaded)

    def check_key(self, tx: Tx) -> None:
        """Refuse (``KeyMismatch``) to write events hashed with another key than the store's
        chains are made with: one such event would break its chain for good. The store records
        its key's fingerprint with its first event; a store written before it did is judged by
        its last event's hash. Asked until a transaction that found the record (or made it)
        has committed -- on a host's connection, until the host committed one: its rollback
        takes the record back."""
        if self._key_checked:
            return
        mine = key_fingerprint(self.hmac_key)
        found = self.store.key_check(tx)
        if found is None:
            latest = self.store.latest_event_row(tx)
            if latest is not None and row_hash(latest, self.hmac_key) != latest["hash"]:
                raise KeyMismatch(_KEY_MISMATCH)
            self.store.record_key_check(tx, mine)
            # Read back: a racing first writer with another key may have recorded first.
            found = self.store.key_check(tx)
        if found != mine:
            raise KeyMismatch(_KEY_MISMATCH)
        tx.after_commit.append(self._key_confirmed)  # once durable: the host's commit, too

    def _key_confirmed(self) -> None:
        self._key_checked = True

    def append(self, tx: Tx, decision: Decision) -> Dossier:
        """Write what a decision says, in order; the dossier the command acted on."""
        self.check_key(tx)
        first = decision.writes[0].before if decision.writes else None
        if first is not None and all(w.before is not None for w in decision.writes):
            # Appends only: their writes go to the database together (one round trip on
            # PostgreSQL), their version checks still before the COMMIT.
            with self.store.batch(tx, first):
                self._append(tx, decision)
        else:
            self._append(tx, decision)
        logger = log.at(logging.INFO)
        if logger is not None:
            # Told once committed: a log that blocks (a full pipe, a stalled shipper) must not
            # hold the database's lock, and a rolled-back command is not told as done.
            tx.after_commit.append(partial(_log, logger, decision))
        return decision.result

    def _append(self, tx: Tx, decision: Decision) -> None:
        for write in decision.writes:
            event, after = write.event, write.after
            if write.before is None:
                payload = event.payload
                assert isinstance(payload, Registered | CertificateImported)
                self.store.ensure_parties(tx, *_parties(after, payload, write.event.recorded_at))
                self.store.create(tx, after, event, write.notices)
            else:
                self.store.append(tx, write.before, after, event, write.notices)
            self.store.add_deadlines(tx, write.deadlines, event.recorded_at)

    @staticmethod
    def _fingerprint(command: Command, actor: Actor | None = None) -> str:
        """The command's content -- and who sent it: a key is one client's, so another actor
        repeating it (with the same content) is told the key is taken, not handed the result.
        Without ``actor``: the form keys were recorded with before they named their actor."""
        body = command.model_dump_json(exclude={"idempotency_key"})
        sender = "" if actor is None else f"|{actor.role.value}|{actor.jurisdiction}|{actor.id}"
        return hashlib.sha256(f"{type(command).__name__}|{body}{sender}".encode()).hexdigest()

    def _replayed(
        self, tx: Tx, command: Command, actor: Actor, authorise: Authorise
    ) -> Dossier | None:
        """The first result of a repeated idempotency key, or None when the key is new.

        The actor is authorised before anything about the key is told: a key is not a pass.
        """
        key = command.idempotency_key
        assert key is not None
        found = self.store.idempotent(tx, key)
        if found is None:
            return None
        authorise(tx, found)
        if found["command"] != type(command).__name__ or found["fingerprint"] not in (
            self._fingerprint(command, actor),
            self._fingerprint(command),  # recorded before keys named their actor
        ):
            raise IdempotencyKeyReused(key)
        dossier = fold(self.store.events(tx, found["dossier_id"], found["version"]))
        if dossier is None:  # the key's dossier is gone: the store was tampered with
            raise DossierNotFound(found["dossier_id"])
        return dossier

    def run(self, command: Command, actor: Actor, authorise: Authorise, body: Body) -> Dossier:
        """One command in one write transaction: authorise, resolve the idempotency key, run.

        A repeated key returns the first result and writes nothing. When a racing call with the
        same key commits first, this one fails on whatever the first one changed (a taken key, a
        moved version, a state that no longer allows the command, an open successor): the key
        is then settled again, so every caller of one keyed command gets its one result.
        """
        key = command.idempotency_key
        try:
            with self.store.write() as tx:
                if key is not None:
                    first = self._replayed(tx, command, actor, authorise)
                    if first is not None:
                        return first
                before = authorise(tx, None)
                result = body(tx, before)
                if key is not None:
                    self.store.remember(
                        tx,
                        key,
                        type(command).__name__,
                        self._fingerprint(command, actor),
                        result.id,
                        result.version,
                        before.version if before is not None else 0,
                        self.clock.now(),
                    )
                return result
        except (KeyCollision, ConcurrencyConflict, TransactionConflict, CommandRefused, NotFound):
            if key is None:
                raise
            with self.store.read() as tx:
                first = self._replayed(tx, command, actor, authorise)
            if first is None:
                raise
            return first

    def times(self, command: Command) -> tuple[datetime, datetime]:
        now = to_vn(self.clock.now())
        occurred = to_vn(command.occurred_at) if command.occurred_at is not None else now
        if occurred > now:
            raise InvalidCommand(
                type(command).__name__, [FieldProblem("occurred_at", "is in the future")]
            )
        return occurred, now

    def transition(self, command: DossierCommand, actor: Actor) -> Dossier:
        """Run a command on an existing dossier in its own transaction.

        The first attempt decides on the projection this engine last committed or read, when it
        still has it (the store's cache). A cached projection is trusted only through the
        version-checked UPDATE: if the command fails in any way that the dossier's state could
        explain (a conflict, a refusal), nothing was written, and the command runs once more on
        a fresh read, so its outcome is the one the database's state gives.
        """
        occurred, now = self.times(command)
        attempt = _Attempt()

        def authorise(tx: Tx, found: dict[str, Any] | None) -> Dossier:
            cached = None
            if found is None and attempt.use_cache:
                cached = self.store.cached(command.dossier_id)
                attempt.from_cache = cached is not None
            return self.authorise(tx, command, actor, found, loaded=cached, on=occurred.date())

        def body(tx: Tx, before: Dossier | None) -> Dossier:
            assert before is not None
            if occurred < before.registered_at:
                # Nothing happens to a dossier before it exists: a date this early is a typo,
                # and it would also choose the day the actor's rights are read on.
                raise InvalidCommand(
                    type(command).__name__,
                    [
                        FieldProblem(
                            "occurred_at",
                            "is before the dossier was registered "
                            f"({to_vn(before.registered_at):%d/%m/%Y %H:%M})",
                        )
                    ],
                )
            return self.transition_in(tx, command, actor, occurred, now, before=before)

        try:
            return self.run(command, actor, authorise, body)
        except StorageError:
            raise  # not a question of state: the outcome may even be unknown; never run twice
        except OcopCycleError:
            if not attempt.from_cache:
                raise
        self.store.forget(command.dossier_id)
        attempt.use_cache = attempt.from_cache = False
        return self.run(command, actor, authorise, body)

    def authorise(
        self,
        tx: Tx,
        command: DossierCommand,
        actor: Actor,
        found: dict[str, Any] | None = None,
        *,
        on_deadline: bool = False,
        loaded: Dossier | None = None,
        on: date | None = None,
    ) -> Dossier:
        """Load the dossier (unless the caller has, in this transaction: ``loaded``) and
        authorise ``actor``; for a replayed key, as the first call found the dossier (its version
        then), so the same call is allowed again and no other is."""
        before: Dossier | None
        if loaded is not None and found is None:
            before = loaded
        elif found is not None and found["dossier_id"] == command.dossier_id:
            before = fold(self.store.events(tx, command.dossier_id, found["base_version"] or None))
        else:
            before = self.store.load(tx, command.dossier_id)
        if before is None:
            raise DossierNotFound(command.dossier_id)
        profile = self.rules.profile(before.profile_id)
        authorize(
            profile,
            actor,
            type(command).trigger,
            before,
            units=self.rules.units,
            on=on or self.times(command)[0].date(),
            on_deadline=on_deadline,
        )
        return before

    def transition_in(
        self,
        tx: Tx,
        command: DossierCommand,
        actor: Actor,
        occurred: datetime,
        now: datetime,
        *,
        before: Dossier,
    ) -> Dossier:
        """Run an authorised command inside an open transaction (the scheduler applies
        deadlines so): load what the decision needs, decide, append.

        Everything that can refuse runs before the first write, so a refusal leaves the
        transaction as it found it.
        """
        loaded: dict[str, Any] = {}
        if before.predecessor_id is not None and (
            isinstance(command, Certify | NotRecognize) or before.kind is DossierKind.RE_EVALUATION
        ):
            # A certification supersedes it (an upgrade's only when it raises it: so does an
            # upgrade end as not recognised); a re-evaluation's end may end its extension.
            loaded["predecessor"] = self.store.load(tx, before.predecessor_id)
        if isinstance(command, AssignRound):
            loaded["round"] = self.store.round(tx, command.round_id)
            if loaded["round"] is None:
                raise RoundNotFound(command.round_id)
            loaded["proposed_on"] = self._proposed_on(tx, before)
        elif isinstance(command, VerifyCommune) and before.product_code is None:
            profile = self.rules.profile(before.profile_id)
            if profile.product_codes:
                province, commune = proposing_place(self.rules.units, before, occurred.date())
                loaded["product_seq"] = self.store.next_product_seq(
                    tx, province, commune, occurred.year
                )
        decision = decide(before, command, self.context(actor, occurred, now, **loaded))
        return self.append(tx, decision)

    def _proposed_on(self, tx: Tx, dossier: Dossier) -> date | None:
        """When the dossier was last proposed to the tier that now holds it: the commune's
        proposal (verification), or the forward to the upper tier."""
        kinds = ("forwarded",) if dossier.state is not DossierState.COMMUNE_VERIFIED else ()
        kinds = kinds or ("commune_verified",)
        found = [e for e in self.store.events(tx, dossier.id) if e.type in kinds]
        return to_vn(found[-1].occurred_at).date() if found else None


def _parties(
    dossier: Dossier, payload: Registered | CertificateImported, now: datetime
) -> tuple[dict[str, Any], dict[str, Any]]:
    """The producer and product rows a new dossier refers to."""
    return (
        {
            "id": dossier.producer_id,
            "name": dossier.producer_name,
            "kind": dossier.producer_kind.value,
            "address": payload.producer.address,
            "commune_code": dossier.commune_code,
            "district_code": dossier.district_code,
            "province_code": dossier.province_code,
            "created_at": now,
        },
        {
            "id": dossier.product_id,
            "producer_id": dossier.producer_id,
            "name": dossier.product_name,
            "product_group": dossier.product_group,
            "product_set": dossier.product_set,
            "created_at": now,
        },
    )


def _log(logger: Any, decision: Decision) -> None:
    """Tell the host's logs what a committed command wrote."""
    for write in decision.writes:
        event, after = write.event, write.after
        logger.info(
            "dossier.created" if write.before is None else "dossier.transition",
            dossier_id=str(after.id),
            event_type=event.type,
            from_state=write.before.state.value if write.before is not None else None,
            to_state=after.state.value,
            profile=after.profile_id,
            actor=str(event.actor),
        )
