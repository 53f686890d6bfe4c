"""The write path: each command from validated input to one committed transaction.

validate -> authorise -> load the projection -> the shared machine checks transition and guards
-> build the event and its hash -> one transaction (event, projection checked against its
version, outbox) -> log. A command that fails at any step writes nothing.

This module holds the shared core (event building, idempotency, times) and the commands on
existing dossiers with their consequences (supersede, support); ``creation.py`` holds the
commands that create dossiers and rounds.
"""

from __future__ import annotations

import hashlib
from collections.abc import Callable
from datetime import datetime
from typing import Any
from uuid import UUID

from ocop_cycle._log import get_logger
from ocop_cycle.clock import Clock, to_vn
from ocop_cycle.errors import (
    CommandRefused,
    ConcurrencyConflict,
    DossierNotFound,
    FieldProblem,
    IdempotencyKeyReused,
    InvalidCommand,
    NotFound,
    RoundNotFound,
)
from ocop_cycle.rules.authority import Actor
from ocop_cycle.rules.book import RuleBook
from ocop_cycle.rules.profiles import RuleProfile
from ocop_cycle.rules.scoring import evaluate_session, session_problems
from ocop_cycle.storage.fastpath import Tx
from ocop_cycle.storage.store import KeyCollision, Store
from ocop_cycle.workflows.chain import actor_document, canonical, event_hash
from ocop_cycle.workflows.commands import (
    AssignRound,
    Certify,
    Command,
    DossierCommand,
    Score,
)
from ocop_cycle.workflows.deadlines import deadlines_for
from ocop_cycle.workflows.decide import (
    support_payload,
    transition_payload,
)
from ocop_cycle.workflows.fold import EVENT_TYPES, apply, fold
from ocop_cycle.workflows.guards import GuardContext
from ocop_cycle.workflows.machine import MachineRegistry
from ocop_cycle.workflows.model import Dossier, Event
from ocop_cycle.workflows.notices import notices_for
from ocop_cycle.workflows.permissions import authorize
from ocop_cycle.workflows.states import HOLDING_CERTIFICATE
from ocop_cycle.workflows.upcast import current_version

__all__ = ["Authorise", "Body", "Handlers"]

#: Loads what the command acts on and authorises the actor (given the idempotency record when
#: the key was used before); returns the dossier acted on, if any.
Authorise = Callable[[Tx, dict[str, Any] | None], Dossier | None]
#: The command's work inside the transaction, given what ``Authorise`` loaded.
Body = Callable[[Tx, Dossier | None], Dossier]

log = get_logger("ocop_cycle")


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

    def new_event(
        self,
        *,
        dossier_id: UUID,
        seq: int,
        trigger: str,
        payload: dict[str, Any],
        actor: Actor,
        profile: RuleProfile,
        occurred_at: datetime,
        recorded_at: datetime,
        prev_hash: str,
    ) -> Event:
        type_ = EVENT_TYPES[trigger]
        fields: dict[str, Any] = {
            "dossier_id": dossier_id,
            "seq": seq,
            "type": type_,
            "schema_version": current_version(type_),
            "payload": payload,
            "profile_id": profile.id,
            "occurred_at": occurred_at,
            "recorded_at": recorded_at,
            "prev_hash": prev_hash,
        }
        content = canonical(
            **fields,
            actor=actor_document(actor.role.value, actor.jurisdiction, actor.id, actor.name),
        )
        return Event.model_construct(
            **fields, actor=actor, hash=event_hash(content, self.hmac_key), id=None
        )

    def _append(
        self,
        tx: Tx,
        before: Dossier,
        trigger: str,
        payload: dict[str, Any],
        actor: Actor,
        profile: RuleProfile,
        occurred: datetime,
        now: datetime,
    ) -> tuple[Event, Dossier]:
        """Chain the next event onto ``before`` and write it with the projection and notices."""
        event = self.new_event(
            dossier_id=before.id,
            seq=before.version + 1,
            trigger=trigger,
            payload=payload,
            actor=actor,
            profile=profile,
            occurred_at=occurred,
            recorded_at=now,
            prev_hash=before.last_hash,
        )
        after = apply(before, event)
        self.store.append(tx, before, after, event, notices_for(event, after))
        return event, after

    @staticmethod
    def _fingerprint(command: Command) -> str:
        body = command.model_dump_json(exclude={"idempotency_key"})
        return hashlib.sha256(f"{type(command).__name__}|{body}".encode()).hexdigest()

    def _replayed(self, tx: Tx, command: Command, authorise: Authorise) -> Dossier | None:
        """The first result of a repeated idempotency key, or None when the key is new.

        The actor is authorised before anything about the key is told: a key is not a pass.
        """
        key = command.idempotency_key
        assert key is not None
        found = self.store.idempotent(tx, key)
        if found is None:
            return None
        authorise(tx, found)
        if found["command"] != type(command).__name__ or found["fingerprint"] != (
            self._fingerprint(command)
        ):
            raise IdempotencyKeyReused(key)
        dossier = fold(self.store.events(tx, found["dossier_id"], found["version"]))
        if dossier is None:  # the key's dossier is gone: the store was tampered with
            raise DossierNotFound(found["dossier_id"])
        return dossier

    def run(self, command: Command, authorise: Authorise, body: Body) -> Dossier:
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
                    first = self._replayed(tx, command, authorise)
                    if first is not None:
                        return first
                before = authorise(tx, None)
                result = body(tx, before)
                if key is not None:
                    self.store.remember(
                        tx,
                        key,
                        type(command).__name__,
                        self._fingerprint(command),
                        result.id,
                        result.version,
                        before.version if before is not None else 0,
                        self.clock.now(),
                    )
                return result
        except (KeyCollision, ConcurrencyConflict, CommandRefused, NotFound):
            if key is None:
                raise
            with self.store.read() as tx:
                first = self._replayed(tx, command, authorise)
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
        """Run a command on an existing dossier in its own transaction."""
        occurred, now = self.times(command)

        def authorise(tx: Tx, found: dict[str, Any] | None) -> Dossier:
            return self.authorise(tx, command, actor, found)

        def body(tx: Tx, before: Dossier | None) -> Dossier:
            assert before is not None
            return self.transition_in(tx, command, actor, occurred, now, before=before)

        return self.run(command, authorise, body)

    def authorise(
        self,
        tx: Tx,
        command: DossierCommand,
        actor: Actor,
        found: dict[str, Any] | None = None,
        *,
        on_deadline: bool = False,
    ) -> Dossier:
        """Load the dossier and authorise ``actor``; for a replayed key, as the first call found
        the dossier (its version then), so the same call is allowed again and no other is."""
        before: Dossier | None
        if found is not None and found["dossier_id"] == command.dossier_id:
            before = fold(self.store.events(tx, command.dossier_id, found["base_version"] or None))
        else:
            before = self.store.load(tx, command.dossier_id)
        if before is None:
            raise DossierNotFound(command.dossier_id)
        profile = self.rules.profile(before.profile_id)
        authorize(profile, actor, type(command).trigger, before, on_deadline=on_deadline)
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
        deadlines so).

        Everything that can refuse runs before the first write, so a refusal leaves the
        transaction as it found it.
        """
        trigger = type(command).trigger
        if command.expected_version is not None and command.expected_version != before.version:
            raise ConcurrencyConflict(before.id, command.expected_version, before.version)
        profile = self.rules.profile(before.profile_id)
        round_ = None
        result = None
        if isinstance(command, AssignRound):
            round_ = self.store.round(tx, command.round_id)
            if round_ is None:
                raise RoundNotFound(command.round_id)
        elif isinstance(command, Score):
            sheet = self.rules.sheet(profile.id, before.product_set)
            problems = session_problems(command.session, sheet, profile)
            if problems:
                raise InvalidCommand(
                    "Score",
                    [FieldProblem(f"session.{p.field}", p.message) for p in problems],
                )
            result = evaluate_session(command.session, sheet, profile)
        machine = self.machines.get(profile)
        ctx = GuardContext(before, profile, command, now, round_)
        state = machine.fire(trigger, ctx)
        predecessor = None
        if isinstance(command, Certify) and before.predecessor_id is not None:
            predecessor = self.store.load(tx, before.predecessor_id)
        payload = transition_payload(command, before, profile, occurred.date(), result, predecessor)
        event, after = self._append(tx, before, trigger, payload, actor, profile, occurred, now)
        # The machine decides, the fold records: they must agree, or the code is wrong. Not an
        # assert: ``python -O`` would drop it, and the transaction must roll back.
        if after.state is not state:
            raise RuntimeError(f"fold gives {after.state} where the machine gives {state}")
        self.store.add_deadlines(tx, deadlines_for(event, after, profile, round_), now)
        log.info(
            "dossier.transition",
            dossier_id=str(before.id),
            event_type=event.type,
            from_state=before.state.value,
            to_state=after.state.value,
            actor=str(actor),
        )
        if predecessor is not None and predecessor.state in HOLDING_CERTIFICATE:
            self._supersede(tx, predecessor, after, actor, occurred, now)
        if isinstance(command, Certify):
            after = self._grant_support(tx, after, predecessor, profile, occurred, now)
        return after

    def _grant_support(
        self,
        tx: Tx,
        certified: Dossier,
        predecessor: Dossier | None,
        profile: RuleProfile,
        occurred: datetime,
        now: datetime,
    ) -> Dossier:
        """Record the support a certification earns under the province's policy, if any.

        Written in the certification's transaction, as its own event (the amount is part of the
        verified history) with a notice to the producer and one to the paying office.
        """
        assert certified.certified_on is not None
        assert certified.certified_stars is not None
        policy = self.rules.support_policy(certified.province_code, certified.certified_on)
        if policy is None:
            return certified
        award = policy.award(
            certified.kind.value,  # type: ignore[arg-type]
            certified.certified_stars,
            predecessor.certified_stars if predecessor is not None else None,
            certified.certified_on,
            certified.province_code,
        )
        if award is None:
            return certified
        machine = self.machines.get(profile)
        machine.fire("grant_support", GuardContext(certified, profile, None, now))
        payload = support_payload(award, policy.title_vi, certified)
        _, after = self._append(
            tx, certified, "grant_support", payload, Actor.system(), profile, occurred, now
        )
        log.info(
            "dossier.support_granted",
            dossier_id=str(certified.id),
            basis=award.basis,
            amount=str(award.amount),
        )
        return after

    def _supersede(
        self,
        conn: Tx,
        old: Dossier,
        new: Dossier,
        actor: Actor,
        occurred: datetime,
        now: datetime,
    ) -> None:
        """The new certificate replaces the old one: the old dossier becomes ``renewed``."""
        profile = self.rules.profile(old.profile_id)
        self.machines.get(profile).fire("supersede", GuardContext(old, profile, None, now))
        payload = {"successor_id": str(new.id), "successor_stars": new.certified_stars}
        self._append(conn, old, "supersede", payload, actor, profile, occurred, now)
