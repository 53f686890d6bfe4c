"""Module-level functions run in child processes by the exactly-once tests (spawn-safe).

Each child opens its own engine, waits at the barrier so that all children fire together, runs
one command and reports what it got back: the dossier and version, or the error's class name.
"""

from __future__ import annotations

from datetime import datetime
from multiprocessing.synchronize import Barrier
from typing import Any
from uuid import UUID

from sqlalchemy import Engine as SaEngine
from sqlalchemy import create_engine

from ocop_cycle import Engine, OcopCycleError, Role, RuleBook, SettableClock, default_rule_book
from ocop_cycle._storage.database import normalise_url
from ocop_cycle.jobs.sweep import Sweeper
from ocop_cycle.testing import Place

Outcome = tuple[str, str, int]


def rules_with_product_codes() -> RuleBook:
    """The shipped rules, with qd1489-2025 giving product codes on the commune's proposal."""
    book = default_rule_book()
    profiles = [
        p.model_copy(update={"product_codes": True}) if p.id == "qd1489-2025" else p
        for p in book.profiles.values()
    ]
    return book.with_profiles(profiles)


def command(url: str, now: str, spec: dict[str, Any], barrier: Barrier, out: Any) -> None:
    """Run one command described by ``spec`` when every racer is ready; put the outcome."""
    rules = rules_with_product_codes() if spec.get("product_codes") else None
    clock = SettableClock(datetime.fromisoformat(now))
    host = spec.get("host_isolation")  # a host's own engine, at the isolation level it chose
    sa_engine = create_engine(normalise_url(url), isolation_level=host) if host else None
    engine = (
        Engine(sa_engine, clock=clock, rules=rules)
        if sa_engine
        else Engine.open(url, clock=clock, rules=rules)
    )
    try:
        place = Place(**spec["place"])
        actor = place.actor(Role(spec["role"]))
        key = spec.get("key")
        barrier.wait(timeout=120)
        try:
            if spec["op"] == "reevaluate":
                d = engine.register_reevaluation(
                    UUID(spec["predecessor"]),
                    actor=actor,
                    kind="re_evaluation",
                    idempotency_key=key,
                )
            elif spec["op"] == "verify":
                d = engine.verify_commune(UUID(spec["dossier"]), actor=actor, idempotency_key=key)
            elif spec["op"] == "return":
                d = engine.return_for_supplement(
                    UUID(spec["dossier"]),
                    actor=actor,
                    guidance=spec["guidance"],
                    idempotency_key=key,
                )
            else:
                d = engine.register(
                    actor=actor,
                    producer={"name": "Hợp tác xã Hồ Hồ Cao", "kind": "cooperative"},
                    product={"name": spec["name"], "group": "food", "product_set": "eggs"},
                    commune_code=place.commune,
                    district_code=place.district,
                    province_code=place.province,
                    idempotency_key=key,
                )
            result: Outcome = ("ok", str(d.id), d.version)
            if sa_engine is not None and _level(sa_engine) != host:
                result = ("crashed", f"the host's connection left at {_level(sa_engine)}", 0)
        except OcopCycleError as exc:
            result = ("refused", type(exc).__name__, 0)
        except Exception as exc:  # reported to the parent, which fails the test
            result = ("crashed", f"{type(exc).__name__}: {exc}", 0)
    finally:
        engine.close()
        if sa_engine is not None:
            sa_engine.dispose()
    out.put(result)


def _level(sa_engine: SaEngine) -> str:
    """How the host's pooled connection stands now: AUTOCOMMIT, or its isolation level."""
    raw = sa_engine.raw_connection()
    try:
        driver = raw.dbapi_connection
        assert driver is not None
        if driver.autocommit:
            return "AUTOCOMMIT"
        return str(driver.isolation_level.name).replace("_", " ")
    finally:
        raw.close()


def sweep(url: str, now: str, barrier: Barrier, out: Any) -> None:
    """Sweep everything due at ``now`` together with the other sweepers; put how many it
    applied, its conflicts and how many it set aside as failed."""
    at = datetime.fromisoformat(now)
    engine = Engine.open(url, clock=SettableClock(at))
    try:
        barrier.wait(timeout=120)
        report = Sweeper(engine).sweep(now=at)
        out.put(("ok", report.count, report.conflicts, len(report.failed)))
    except Exception as exc:
        out.put(("crashed", f"{type(exc).__name__}: {exc}", 0, 0))
    finally:
        engine.close()


def toggle(
    url: str, now: str, dossier: str, turns: int, lockstep: bool, barrier: Barrier, out: Any
) -> None:
    """Move one dossier ``turns`` times from this process's own engine, whose projection cache
    goes stale whenever the other process acts. In ``lockstep`` the process the barrier picks
    returns the dossier and the other resubmits it, in strict turns; otherwise each process tries
    return then resubmit, ``turns`` times, as fast as it can. Puts every outcome, in order."""
    engine = Engine.open(url, clock=SettableClock(datetime.fromisoformat(now)))
    outcomes: list[str] = []
    try:
        actor = Place().actor(Role.COMMUNE_OFFICER)
        dossier_id = UUID(dossier)
        engine.get(dossier_id)
        first = barrier.wait(timeout=120) == 0  # exactly one of the two

        def step(which: str) -> None:
            try:
                if which == "return":
                    engine.return_for_supplement(dossier_id, actor=actor, guidance="Bổ sung")
                else:
                    engine.resubmit(dossier_id, actor=actor)
                outcomes.append("ok")
            except OcopCycleError as exc:
                outcomes.append(type(exc).__name__)

        for _ in range(turns):
            if not lockstep:
                step("return")
                step("resubmit")
            elif first:
                step("return")
                barrier.wait(timeout=120)  # the other may go
                barrier.wait(timeout=120)  # the other is done
            else:
                barrier.wait(timeout=120)
                step("resubmit")
                barrier.wait(timeout=120)
    except Exception as exc:  # reported to the parent, which fails the test
        outcomes.append(f"crashed: {type(exc).__name__}: {exc}")
    finally:
        engine.close()
    out.put(("crashed" if any(o.startswith("crashed") for o in outcomes) else "done", outcomes))
