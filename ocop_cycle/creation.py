"""Commands that create: a dossier (registration, re-evaluation, an imported certificate) and a
round. Each runs in one transaction through the core in ``handlers.py``."""

from __future__ import annotations

from datetime import datetime
from functools import partial
from typing import Any
from uuid import UUID, uuid4

from ocop_cycle._log import get_logger
from ocop_cycle.clock import to_vn
from ocop_cycle.errors import (
    DossierNotFound,
    FieldProblem,
    GuardRefused,
    InvalidCommand,
    PermissionDenied,
    Reason,
)
from ocop_cycle.handlers import Handlers
from ocop_cycle.rules.authority import Actor, Role
from ocop_cycle.rules.profiles import RuleProfile
from ocop_cycle.storage.fastpath import Tx
from ocop_cycle.storage.store import KeyCollision, OpenSuccessorExists
from ocop_cycle.workflows.chain import GENESIS
from ocop_cycle.workflows.commands import (
    CreateRound,
    ImportCertificate,
    ProductInfo,
    RegisterDossier,
    RegisterReevaluation,
)
from ocop_cycle.workflows.deadlines import deadlines_for
from ocop_cycle.workflows.decide import creation_payload, import_payload
from ocop_cycle.workflows.fold import apply
from ocop_cycle.workflows.model import Dossier, DossierKind, Round
from ocop_cycle.workflows.notices import notices_for
from ocop_cycle.workflows.permissions import authorize, authorize_creation
from ocop_cycle.workflows.states import HOLDING_CERTIFICATE

__all__ = ["Creations"]

log = get_logger("ocop_cycle")

ALREADY_OPEN = Reason(
    "reevaluation.already_open",
    "Đã có hồ sơ đánh giá lại đang xử lý",
    "a re-evaluation of this certificate is already open",
)


class Creations:
    """Creates dossiers and rounds on the core's store, rules and clock."""

    def __init__(self, core: Handlers) -> None:
        self.core = core
        self.store = core.store
        self.rules = core.rules
        self.clock = core.clock

    def create_round(self, command: CreateRound, actor: Actor) -> Round:
        """Open an evaluation round; the same round opened again is returned, not duplicated.

        Who may open one is profile data (``permissions.create_round``, under the profile in
        force today), and only for the actor's own jurisdiction (the ministry's is ``VN``).
        """
        profile = self.rules.profile_in_force(to_vn(self.clock.now()).date())
        if actor.role not in profile.permissions.get("create_round", ()):
            raise PermissionDenied(
                "create_round",
                actor.role.value,
                actor.jurisdiction,
                Reason(
                    "permission.role",
                    "Chỉ cơ quan thường trực OCOP của địa bàn được mở đợt đánh giá",
                    f"role {actor.role.value} may not open a round under {profile.id}",
                ),
            )
        if actor.jurisdiction != command.jurisdiction_code:
            raise PermissionDenied(
                "create_round",
                actor.role.value,
                actor.jurisdiction,
                Reason(
                    "permission.jurisdiction",
                    "Đợt đánh giá không thuộc địa bàn quản lý của người thực hiện",
                    f"the round's jurisdiction {command.jurisdiction_code} is not the actor's",
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
        _before: Dossier | None = None,
        *,
        trigger: str,
        payload: dict[str, Any],
        actor: Actor,
        profile: RuleProfile,
        occurred: datetime,
        now: datetime,
    ) -> Dossier:
        event = self.core.new_event(
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

    def register(self, command: RegisterDossier, actor: Actor) -> Dossier:
        occurred, now = self.core.times(command)
        profile = self.rules.profile_in_force(occurred.date())
        self._check_product("RegisterDossier", command.product)
        self._check_jurisdiction("RegisterDossier", profile, command.district_code)

        def authorise(_tx: Tx, _found: dict[str, Any] | None) -> None:
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
        body = partial(
            self._create,
            trigger="register",
            payload=payload,
            actor=actor,
            profile=profile,
            occurred=occurred,
            now=now,
        )
        return self.core.run(command, authorise, body)

    def import_certificate(self, command: ImportCertificate, actor: Actor) -> Dossier:
        occurred, now = self.core.times(command)
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

        def authorise(_tx: Tx, _found: dict[str, Any] | None) -> None:
            authorize_creation(
                profile,
                actor,
                "import_certificate",
                command.commune_code,
                command.district_code,
                command.province_code,
            )

        payload = import_payload(command, profile)
        body = partial(
            self._create,
            trigger="import_certificate",
            payload=payload,
            actor=actor,
            profile=profile,
            occurred=occurred,
            now=now,
        )
        return self.core.run(command, authorise, body)

    def register_reevaluation(self, command: RegisterReevaluation, actor: Actor) -> Dossier:
        occurred, now = self.core.times(command)
        profile = self.rules.profile_in_force(occurred.date())

        def codes(before: Dossier) -> tuple[str | None, str | None, str]:
            return (
                command.commune_code or before.commune_code,
                command.district_code or before.district_code,
                command.province_code or before.province_code,
            )

        def authorise(tx: Tx, _found: dict[str, Any] | None) -> Dossier:
            before = self.store.load(tx, command.predecessor_id)
            if before is None:
                raise DossierNotFound(command.predecessor_id)
            commune, district, province = codes(before)
            self._check_jurisdiction("RegisterReevaluation", profile, district)
            authorize_creation(profile, actor, "register_reevaluation", commune, district, province)
            if actor.role is Role.PRODUCER and actor.id != str(before.producer_id):
                authorize(profile, actor, "register_reevaluation", before)
            return before

        def body(tx: Tx, before: Dossier | None) -> Dossier:
            assert before is not None
            reasons = self._reevaluation_refusals(tx, before, command.kind)
            if reasons:
                raise GuardRefused(before.id, "register_reevaluation", reasons)
            commune, district, province = codes(before)
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
            try:
                return self._create(
                    tx,
                    trigger="register_reevaluation",
                    payload=payload,
                    actor=actor,
                    profile=profile,
                    occurred=occurred,
                    now=now,
                )
            except OpenSuccessorExists:
                # A racing call opened one first (the database's unique index said so).
                raise GuardRefused(before.id, "register_reevaluation", [ALREADY_OPEN]) from None

        return self.core.run(command, authorise, body)

    def _reevaluation_refusals(self, conn: Tx, before: Dossier, kind: str) -> list[Reason]:
        reasons = []
        if before.state not in HOLDING_CERTIFICATE:
            reasons.append(
                Reason(
                    "reevaluation.no_certificate",
                    "Sản phẩm không có giấy chứng nhận còn hiệu lực",
                    f"the dossier holds no valid certificate (state {before.state.value})",
                )
            )
        if self.store.open_successor(conn, before.id) is not None:
            reasons.append(ALREADY_OPEN)
        if kind == "upgrade" and (before.certified_stars or 0) >= 5:
            reasons.append(
                Reason(
                    "upgrade.at_top",
                    "Sản phẩm đã đạt 5 sao",
                    "the product already holds 5 stars",
                )
            )
        return reasons
