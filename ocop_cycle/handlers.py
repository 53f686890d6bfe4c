"""The write path: each command from validated input to one committed transaction.

validate -> authorise -> load the projection -> the shared machine checks transition and guards
-> build the event and its hash -> one transaction (event, projection checked against its
version, outbox) -> log. A command that fails at any step writes nothing.
"""

from __future__ import annotations

import hashlib
from collections.abc import Callable
from datetime import datetime
from typing import Any
from uuid import UUID, uuid4

import structlog

from ocop_cycle.audit.chain import GENESIS, actor_document, canonical, event_hash
from ocop_cycle.clock import Clock, to_vn
from ocop_cycle.errors import (
    ConcurrencyConflict,
    DossierNotFound,
    FieldProblem,
    GuardRefused,
    IdempotencyKeyReused,
    InvalidCommand,
    PermissionDenied,
    Reason,
    RoundNotFound,
)
from ocop_cycle.jobs.plan import deadlines_for
from ocop_cycle.rules.authority import Actor, Role
from ocop_cycle.rules.book import RuleBook
from ocop_cycle.rules.profiles import RuleProfile
from ocop_cycle.rules.scoring import evaluate_session, session_problems
from ocop_cycle.storage.fastpath import Tx
from ocop_cycle.storage.store import KeyCollision, Store
from ocop_cycle.workflows.commands import (
    AssignRound,
    Certify,
    Command,
    CreateRound,
    DossierCommand,
    ImportCertificate,
    ProductInfo,
    RegisterDossier,
    RegisterReevaluation,
    Score,
)
from ocop_cycle.workflows.decide import (
    creation_payload,
    import_payload,
    support_payload,
    transition_payload,
)
from ocop_cycle.workflows.fold import EVENT_TYPES, apply, fold
from ocop_cycle.workflows.guards import GuardContext
from ocop_cycle.workflows.machine import MachineRegistry
from ocop_cycle.workflows.model import Dossier, DossierKind, Event, Round
from ocop_cycle.workflows.notices import notices_for
from ocop_cycle.workflows.permissions import authorize, authorize_creation
from ocop_cycle.workflows.states import DossierState
from ocop_cycle.workflows.upcast import current_version

__all__ = ["Handlers"]

log = structlog.get_logger("ocop_cycle")

_HELD = {DossierState.CERTIFIED, DossierState.MONITORED, DossierState.RENEWAL_DUE}


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

    def create_round(self, command: CreateRound, actor: Actor) -> Round:
        """Open an evaluation round; the same round opened again is returned, not duplicated."""
        allowed = {Role.DISTRICT_OFFICE, Role.PROVINCE_OFFICE, Role.MINISTRY, Role.SYSTEM}
        if actor.role not in allowed or (
            actor.role is not Role.SYSTEM and actor.jurisdiction != command.jurisdiction_code
        ):
            raise PermissionDenied(
                "create_round",
                actor.role.value,
                actor.jurisdiction,
                Reason(
                    "permission.role",
                    "Chỉ cơ quan thường trực OCOP của địa bàn được mở đợt đánh giá",
                    "only the OCOP office of the round's jurisdiction may open it",
                ),
            )
        row = {"id": uuid4(), **command.model_dump(), "created_at": self.clock.now()}
        try:
            with self.store.write() as tx:
                self.store.insert_round(tx, row)
            row.pop("created_at")
            return Round.model_validate(row)
        except KeyCollision:
            pass
        # Opening the same round twice returns it (a retry); a different one is an error.
        with self.store.read() as tx:
            existing = self.store.round_by_number(
                tx, command.year, command.jurisdiction_code, command.number
            )
        if existing is not None and existing.model_dump(exclude={"id"}) == command.model_dump():
            return existing
        raise InvalidCommand(
            "CreateRound",
            [FieldProblem("number", "this jurisdiction already has that round this year")],
        )

    def _new_event(
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

    @staticmethod
    def _fingerprint(command: Command) -> str:
        body = command.model_dump_json(exclude={"idempotency_key"})
        return hashlib.sha256(f"{type(command).__name__}|{body}".encode()).hexdigest()

    def _replayed(self, conn: Tx, command: Command) -> Dossier | None:
        """The first result of a repeated idempotency key, or None when the key is new."""
        key = command.idempotency_key
        if key is None:
            return None
        found = self.store.idempotent(conn, key)
        if found is None:
            return None
        if found["command"] != type(command).__name__ or found["fingerprint"] != (
            self._fingerprint(command)
        ):
            raise IdempotencyKeyReused(key)
        dossier = fold(self.store.events(conn, found["dossier_id"], found["version"]))
        assert dossier is not None
        return dossier

    def _idempotent(self, command: Command, body: Callable[[Tx], Dossier]) -> Dossier:
        """Run ``body`` in one write transaction, honouring the command's idempotency key."""
        try:
            with self.store.write() as conn:
                first = self._replayed(conn, command)
                if first is not None:
                    return first
                result = body(conn)
                if command.idempotency_key is not None:
                    self.store.remember(
                        conn,
                        command.idempotency_key,
                        type(command).__name__,
                        self._fingerprint(command),
                        result.id,
                        result.version,
                        self.clock.now(),
                    )
                return result
        except (KeyCollision, ConcurrencyConflict):
            # A racing duplicate of this very command won: return its result, not an error.
            if command.idempotency_key is not None:
                with self.store.read() as conn:
                    first = self._replayed(conn, command)
                if first is not None:
                    return first
            raise

    def _times(self, command: Command) -> tuple[datetime, datetime]:
        now = to_vn(self.clock.now())
        occurred = to_vn(command.occurred_at) if command.occurred_at is not None else now
        if occurred > now:
            raise InvalidCommand(
                type(command).__name__, [FieldProblem("occurred_at", "is in the future")]
            )
        return occurred, now

    def _check_product(self, command_name: str, product: ProductInfo) -> None:
        group = self.rules.catalogue.group(product.group)
        if group is None:
            raise InvalidCommand(
                command_name, [FieldProblem("product.group", f"unknown group {product.group!r}")]
            )
        if all(s.code != product.product_set for s in group.sets):
            raise InvalidCommand(
                command_name,
                [
                    FieldProblem(
                        "product.product_set",
                        f"{product.product_set!r} is not a product set of group {group.code!r}",
                    )
                ],
            )

    def _check_jurisdiction(
        self, command_name: str, profile: RuleProfile, district_code: str | None
    ) -> None:
        has_district = any(t.level.value == "district" for t in profile.tiers)
        if has_district and district_code is None:
            raise InvalidCommand(
                command_name,
                [FieldProblem("district_code", f"required under {profile.id} (district tier)")],
            )

    def _create(
        self,
        conn: Tx,
        *,
        trigger: str,
        payload: dict[str, Any],
        actor: Actor,
        profile: RuleProfile,
        occurred: datetime,
        now: datetime,
    ) -> Dossier:
        event = self._new_event(
            dossier_id=uuid4(),
            seq=1,
            trigger=trigger,
            payload=payload,
            actor=actor,
            profile=profile,
            occurred_at=occurred,
            recorded_at=now,
            prev_hash=GENESIS,
        )
        dossier = apply(None, event)
        producer, product = payload["producer"], payload["product"]
        self.store.ensure_parties(
            conn,
            {
                "id": UUID(producer["id"]),
                "name": producer["name"],
                "kind": producer["kind"],
                "address": producer.get("address", ""),
                "commune_code": payload["commune_code"],
                "district_code": payload["district_code"],
                "province_code": payload["province_code"],
                "created_at": now,
            },
            {
                "id": UUID(product["id"]),
                "producer_id": UUID(producer["id"]),
                "name": product["name"],
                "product_group": product["group"],
                "product_set": product["product_set"],
                "created_at": now,
            },
        )
        self.store.create(conn, dossier, event, notices_for(event, dossier))
        self.store.add_deadlines(conn, deadlines_for(event, dossier, profile), now)
        log.info(
            "dossier.created",
            dossier_id=str(dossier.id),
            state=dossier.state.value,
            profile=profile.id,
            actor=str(actor),
        )
        return dossier

    def _create_once(
        self,
        command: Command,
        trigger: str,
        payload: dict[str, Any],
        actor: Actor,
        profile: RuleProfile,
        occurred: datetime,
        now: datetime,
    ) -> Dossier:
        """Create a dossier in its own transaction, honouring the idempotency key."""
        return self._idempotent(
            command,
            lambda tx: self._create(
                tx,
                trigger=trigger,
                payload=payload,
                actor=actor,
                profile=profile,
                occurred=occurred,
                now=now,
            ),
        )

    def register(self, command: RegisterDossier, actor: Actor) -> Dossier:
        occurred, now = self._times(command)
        profile = self.rules.profile_in_force(occurred.date())
        self._check_product("RegisterDossier", command.product)
        self._check_jurisdiction("RegisterDossier", profile, command.district_code)
        authorize_creation(
            profile,
            actor,
            "register",
            command.commune_code,
            command.district_code,
            command.province_code,
        )
        payload = creation_payload(
            kind=DossierKind.NEW,
            producer=command.producer,
            product=command.product,
            commune_code=command.commune_code,
            district_code=command.district_code,
            province_code=command.province_code,
            note=command.note,
        )
        return self._create_once(command, "register", payload, actor, profile, occurred, now)

    def import_certificate(self, command: ImportCertificate, actor: Actor) -> Dossier:
        occurred, now = self._times(command)
        profile = self.rules.profile(command.profile_id)
        problems = []
        if not profile.in_force_on(command.decision_date):
            problems.append(
                FieldProblem("decision_date", f"{profile.id} was not in force on that date")
            )
        try:
            tier = profile.tier(command.level)
        except KeyError:
            problems.append(FieldProblem("level", f"{profile.id} has no {command.level} tier"))
        else:
            if command.stars > tier.certifies_up_to:
                problems.append(
                    FieldProblem("stars", f"the {tier.level} tier cannot certify {command.stars}★")
                )
        if problems:
            raise InvalidCommand("ImportCertificate", problems)
        self._check_product("ImportCertificate", command.product)
        authorize_creation(
            profile,
            actor,
            "import_certificate",
            command.commune_code,
            command.district_code,
            command.province_code,
        )
        payload = import_payload(command, profile)
        return self._create_once(
            command, "import_certificate", payload, actor, profile, occurred, now
        )

    def register_reevaluation(self, command: RegisterReevaluation, actor: Actor) -> Dossier:
        occurred, now = self._times(command)
        profile = self.rules.profile_in_force(occurred.date())

        def body(conn: Tx) -> Dossier:
            before = self.store.load(conn, command.predecessor_id)
            if before is None:
                raise DossierNotFound(command.predecessor_id)
            commune = command.commune_code or before.commune_code
            district = command.district_code or before.district_code
            province = command.province_code or before.province_code
            self._check_jurisdiction("RegisterReevaluation", profile, district)
            authorize_creation(profile, actor, "register_reevaluation", commune, district, province)
            if actor.role is Role.PRODUCER and actor.id != str(before.producer_id):
                authorize(profile, actor, "register_reevaluation", before)
            reasons = self._reevaluation_refusals(conn, before, command.kind)
            if reasons:
                raise GuardRefused(before.id, "register_reevaluation", reasons)
            payload = {
                "kind": command.kind,
                "producer": {
                    "id": str(before.producer_id),
                    "name": before.producer_name,
                    "kind": before.producer_kind.value,
                },
                "product": {
                    "id": str(before.product_id),
                    "name": before.product_name,
                    "group": before.product_group,
                    "product_set": before.product_set,
                },
                "commune_code": commune,
                "district_code": district,
                "province_code": province,
                "predecessor_id": str(before.id),
                "note": command.note,
            }
            return self._create(
                conn,
                trigger="register_reevaluation",
                payload=payload,
                actor=actor,
                profile=profile,
                occurred=occurred,
                now=now,
            )

        return self._idempotent(command, body)

    def _reevaluation_refusals(self, conn: Tx, before: Dossier, kind: str) -> list[Reason]:
        reasons = []
        if before.state not in _HELD:
            reasons.append(
                Reason(
                    "reevaluation.no_certificate",
                    "Sản phẩm không có giấy chứng nhận còn hiệu lực",
                    f"the dossier holds no valid certificate (state {before.state.value})",
                )
            )
        if self.store.open_successor(conn, before.id) is not None:
            reasons.append(
                Reason(
                    "reevaluation.already_open",
                    "Đã có hồ sơ đánh giá lại đang xử lý",
                    "a re-evaluation of this certificate is already open",
                )
            )
        if kind == "upgrade" and (before.certified_stars or 0) >= 5:
            reasons.append(
                Reason(
                    "upgrade.at_top",
                    "Sản phẩm đã đạt 5 sao",
                    "the product already holds 5 stars",
                )
            )
        return reasons

    def transition(self, command: DossierCommand, actor: Actor) -> Dossier:
        """Run a command on an existing dossier in its own transaction."""
        occurred, now = self._times(command)
        return self._idempotent(
            command, lambda tx: self.transition_in(tx, command, actor, occurred, now)
        )

    def transition_in(
        self, tx: Tx, command: DossierCommand, actor: Actor, occurred: datetime, now: datetime
    ) -> Dossier:
        """Run a command inside an open transaction (the scheduler applies deadlines so).

        Everything that can refuse runs before the first write, so a refusal leaves the
        transaction as it found it.
        """
        trigger = type(command).trigger
        before = self.store.load(tx, command.dossier_id)
        if before is None:
            raise DossierNotFound(command.dossier_id)
        if command.expected_version is not None and command.expected_version != before.version:
            raise ConcurrencyConflict(before.id, command.expected_version, before.version)
        profile = self.rules.profile(before.profile_id)
        authorize(profile, actor, trigger, before)
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
        event = self._new_event(
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
        # The machine decides, the fold records: they must agree, or the code is wrong.
        assert after.state is state, (after.state, state)
        self.store.append(tx, before, after, event, notices_for(event, after))
        self.store.add_deadlines(tx, deadlines_for(event, after, profile, round_), now)
        log.info(
            "dossier.transition",
            dossier_id=str(before.id),
            event_type=event.type,
            from_state=before.state.value,
            to_state=after.state.value,
            actor=str(actor),
        )
        if predecessor is not None and predecessor.state in _HELD:
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
        event = self._new_event(
            dossier_id=certified.id,
            seq=certified.version + 1,
            trigger="grant_support",
            payload=payload,
            actor=Actor.system(),
            profile=profile,
            occurred_at=occurred,
            recorded_at=now,
            prev_hash=certified.last_hash,
        )
        after = apply(certified, event)
        self.store.append(tx, certified, after, event, notices_for(event, after))
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
        event = self._new_event(
            dossier_id=old.id,
            seq=old.version + 1,
            trigger="supersede",
            payload={"successor_id": str(new.id), "successor_stars": new.certified_stars},
            actor=actor,
            profile=profile,
            occurred_at=occurred,
            recorded_at=now,
            prev_hash=old.last_hash,
        )
        after = apply(old, event)
        self.store.append(conn, old, after, event, notices_for(event, after))
