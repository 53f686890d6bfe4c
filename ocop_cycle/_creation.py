"""Commands that create: a dossier (registration, re-evaluation, an imported certificate) and a
round. A dossier's creation is a transition out of ``new`` of the same machine, decided by
``workflows.decide`` and run through the core in ``handlers.py`` (authorise, decide, append)."""

from __future__ import annotations

from collections.abc import Callable
from functools import partial
from typing import Any
from uuid import UUID, uuid4

from ocop_cycle._handlers import Handlers
from ocop_cycle._log import get_logger
from ocop_cycle._storage.fastpath import Tx
from ocop_cycle._storage.store import KeyCollision, OpenSuccessorExists, ProductInEvaluation
from ocop_cycle.clock import to_vn
from ocop_cycle.errors import (
    DossierNotFound,
    FieldProblem,
    GuardRefused,
    InvalidCommand,
)
from ocop_cycle.rules.authority import Actor
from ocop_cycle.workflows.commands import (
    CreateRound,
    ImportCertificate,
    RegisterDossier,
    RegisterReevaluation,
)
from ocop_cycle.workflows.decide import decide, reevaluation_place
from ocop_cycle.workflows.derive import producer_id, product_id
from ocop_cycle.workflows.guards import ALREADY_OPEN, PRODUCT_ALREADY_OPEN
from ocop_cycle.workflows.model import Dossier, Round
from ocop_cycle.workflows.permissions import authorize, authorize_creation, authorize_round

__all__ = ["Creations"]

log = get_logger("ocop_cycle")


class Creations:
    """Creates dossiers and rounds on the core's store, rules and clock."""

    def __init__(self, core: Handlers, ids: Callable[[], UUID] = uuid4) -> None:
        self.core = core
        self.ids = ids
        self.store = core.store
        self.rules = core.rules
        self.clock = core.clock

    def create_round(self, command: CreateRound, actor: Actor) -> Round:
        """Open an evaluation round; the same round opened again is returned, not duplicated.

        Who may open one is profile data (``permissions.create_round``, under the profile in
        force today), and only for the actor's own jurisdiction (the ministry's is ``VN``).
        """
        on = to_vn(self.clock.now()).date()
        profile = self.rules.profile_in_force(on)
        authorize_round(profile, actor, command.jurisdiction_code, units=self.rules.units, on=on)
        row = {"id": self.ids(), **command.model_dump(), "created_at": self.clock.now()}
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

    def _create(
        self,
        tx: Tx,
        command: RegisterDossier | RegisterReevaluation | ImportCertificate,
        actor: Actor,
        predecessor: Dossier | None = None,
    ) -> Dossier:
        """Decide the creation (a transition out of ``new``) and append it."""
        occurred, now = self.core.times(command)
        open_successor = (
            self.store.open_successor(tx, predecessor.id) if predecessor is not None else None
        )
        open_product = None
        if isinstance(command, RegisterDossier):
            producer = producer_id(command.producer.name, command.commune_code)
            open_product = self.store.open_product(tx, product_id(producer, command.product.name))
        context = self.core.context(
            actor,
            occurred,
            now,
            predecessor=predecessor,
            open_successor=open_successor,
            open_product=open_product,
            new_id=self.ids(),
        )
        try:
            return self.core.append(tx, decide(None, command, context))
        except ProductInEvaluation:
            # A racing registration of the product committed first (the unique index said so).
            raise GuardRefused(None, "register", [PRODUCT_ALREADY_OPEN]) from None

    def register(self, command: RegisterDossier, actor: Actor) -> Dossier:
        occurred, _ = self.core.times(command)
        profile = self.rules.profile_in_force(occurred.date())
        codes = (command.commune_code, command.district_code, command.province_code)
        allowed = partial(
            authorize_creation,
            profile,
            actor,
            "register",
            *codes,
            units=self.rules.units,
            on=occurred.date(),
        )
        return self._new(command, actor, allowed)

    def import_certificate(self, command: ImportCertificate, actor: Actor) -> Dossier:
        occurred, _ = self.core.times(command)  # a future occurred_at is refused first
        profile = self.rules.profile(command.profile_id)
        codes = (command.commune_code, command.district_code, command.province_code)
        # The codes are read as they were when the certificate was issued; the actor acts today.
        allowed = partial(
            authorize_creation,
            profile,
            actor,
            "import_certificate",
            *codes,
            units=self.rules.units,
            on=occurred.date(),
            place_on=command.decision_date,
        )
        return self._new(command, actor, allowed)

    def _new(
        self,
        command: RegisterDossier | ImportCertificate,
        actor: Actor,
        allowed: Callable[[], None],
    ) -> Dossier:
        def authorise(_tx: Tx, _found: dict[str, Any] | None) -> None:
            allowed()

        def body(tx: Tx, _before: Dossier | None) -> Dossier:
            return self._create(tx, command, actor)

        return self.core.run(command, actor, authorise, body)

    def register_reevaluation(self, command: RegisterReevaluation, actor: Actor) -> Dossier:
        occurred, _ = self.core.times(command)
        profile = self.rules.profile_in_force(occurred.date())

        def authorise(tx: Tx, _found: dict[str, Any] | None) -> Dossier:
            before = self.store.load(tx, command.predecessor_id)
            if before is None:
                raise DossierNotFound(command.predecessor_id)
            on = occurred.date()
            place = reevaluation_place(command, before, profile, self.rules, on)
            units = self.rules.units
            authorize_creation(profile, actor, "register_reevaluation", *place, units=units, on=on)
            # Only for a certificate of its own place (or one its unit succeeded), and a
            # producer only for its own.
            authorize(
                profile,
                actor,
                "register_reevaluation",
                before,
                units=units,
                on=on,
                role_checked=True,
            )
            return before

        def body(tx: Tx, before: Dossier | None) -> Dossier:
            assert before is not None
            try:
                return self._create(tx, command, actor, before)
            except OpenSuccessorExists:
                # A racing call opened one first (the database's unique index said so).
                raise GuardRefused(before.id, "register_reevaluation", [ALREADY_OPEN]) from None

        return self.core.run(command, actor, authorise, body)
