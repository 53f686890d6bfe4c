"""The demo is reproducible, and every notice it writes can be delivered as it stands: no blank
field, Vietnamese dates dd/mm/yyyy in texts, ISO dates in the structured data."""

from __future__ import annotations

import json
import re
import subprocess
import sys
from datetime import date, datetime, timedelta
from pathlib import Path

import pytest

from ocop_cycle import VN_TZ, Engine, Role, SettableClock
from ocop_cycle.workflows.notices import PRODUCER_MESSAGES, producer_message, render
from tests.scenario import Walk

ISO_DATE = re.compile(r"\d{4}-\d{2}-\d{2}")
VN_DATE = re.compile(r"\b\d{2}/\d{2}/\d{4}\b")
DATA_KEYS = {
    "kind",
    "dossier_id",
    "product_name",
    "product_code",
    "due_on",
    "valid_until",
    "recipient_role",
    "recipient_unit",
}


def cli(*args: str) -> str:
    """Run ``ocop-cycle`` in a child process; its stdout (a failure fails the test)."""
    done = subprocess.run(
        [sys.executable, "-m", "ocop_cycle.cli", *args],
        capture_output=True,
        text=True,
        check=False,
    )
    assert done.returncode == 0, done.stderr
    return done.stdout


def demo_store(path: Path, seed: int = 2024) -> str:
    """The demo played into a fresh SQLite file; its URL."""
    url = f"sqlite:///{path}"
    cli("--db", url, "demo", "--seed", str(seed), "--format", "json")
    return url


@pytest.fixture(scope="module")
def demo_url(tmp_path_factory: pytest.TempPathFactory) -> str:
    """One demo store for the module's notice checks."""
    return demo_store(tmp_path_factory.mktemp("demo") / "demo.db")


def test_the_same_seed_gives_the_same_report_and_checkpoint_root(
    demo_url: str, tmp_path: Path
) -> None:
    """The demo played twice from one seed into two databases: `report plan --format json` and
    the `audit checkpoint` root are identical, and the report is as of the simulated end."""
    other = demo_store(tmp_path / "again.db")
    reports = [cli("--db", url, "report", "plan", "--format", "json") for url in (demo_url, other)]
    assert reports[0] == reports[1]
    assert json.loads(reports[0])["as_of"] == "2027-12-31T23:59:00+07:00"
    roots = [cli("--db", url, "audit", "checkpoint").split("root ")[1] for url in (demo_url, other)]
    assert roots[0] == roots[1]
    different = demo_store(tmp_path / "seed7.db", seed=7)
    assert cli("--db", different, "audit", "checkpoint").split("root ")[1] != roots[0]


def test_every_notice_the_demo_writes_is_complete(demo_url: str) -> None:
    """Each notice of each kind the demo produces names its product, leaves no field blank,
    writes dates dd/mm/yyyy, and carries its facts in ``data`` with ISO dates."""
    with Engine.open(demo_url) as engine:
        notices = engine.notifications(include_acked=True, limit=100_000)
        dossiers = {d.id: d for d in engine.dossiers(limit=100_000)}
    kinds = {n.kind for n in notices}
    assert {"reminder_sent", "certified", "returned", "expired", "renewal_due_marked"} <= kinds
    for n in notices:
        text = n.message_vi
        assert not ISO_DATE.search(text), text
        for blank in ("ngày .", " .", "()", "{", "None", "?"):
            assert blank not in text, text
        assert n.data.keys() >= DATA_KEYS
        dossier = dossiers[n.dossier_id]
        assert n.data["kind"] == n.kind
        assert n.data["dossier_id"] == str(n.dossier_id)
        assert n.data["product_name"] == dossier.product_name
        assert f"«{dossier.product_name}»" in text
        assert "»: " not in text  # a kind's own text, not the fallback
        assert (n.data["recipient_role"], n.data["recipient_unit"]) == (
            n.recipient_role,
            n.recipient_jurisdiction,
        )
        for name in ("due_on", "valid_until"):
            if n.data[name] is not None:
                date.fromisoformat(n.data[name])
        if n.data["valid_until"] is not None and "hết hạn ngày" in text:
            shown = date.fromisoformat(n.data["valid_until"]).strftime("%d/%m/%Y")
            assert f"hết hạn ngày {shown}" in text
    reminders = [n for n in notices if n.data["reminder_kind"] == "renewal_notice"]
    assert reminders
    assert all(VN_DATE.search(n.message_vi) for n in reminders)
    assert all(n.data["valid_until"] for n in reminders)


@pytest.mark.parametrize("kind", sorted(PRODUCER_MESSAGES))
def test_a_notice_lacking_a_field_is_never_sent_blank(kind: str) -> None:
    """Rendering a kind's text without its fields raises; the producer's notice then takes the
    kind's shorter text or the event's name, never "… hết hạn ngày ."."""
    for template in PRODUCER_MESSAGES[kind]:
        with pytest.raises(ValueError, match="lacks"):
            render(template, {"product": "", "valid_until": ""})
    text = producer_message(
        PRODUCER_MESSAGES[kind], {"product": "Mật ong", "event_label": "Rút hồ sơ", "reason": ""}
    )
    assert "«Mật ong»" in text
    assert "{" not in text
    assert "()" not in text


def test_a_withdrawal_without_a_reason_reads_complete(engine: Engine, clock: SettableClock) -> None:
    """A dossier withdrawn without a reason tells the producer so in a whole sentence."""
    walk = Walk(engine, clock)
    d = walk.register()
    engine.withdraw(d.id, actor=walk.actor(Role.COMMUNE_OFFICER))
    (notice,) = [n for n in engine.notifications() if n.kind == "withdrawn"]
    assert notice.message_vi == "Hồ sơ sản phẩm «Trứng gà núi Hương Sơn» đã được rút."


def test_the_store_keeps_the_latest_simulated_instant(engine: Engine) -> None:
    """A store run on real time has no simulated instant; simulations record where they
    stopped, and an earlier one never moves it back."""
    assert engine.simulated_until() is None
    later = datetime(2027, 12, 31, 23, 59, tzinfo=VN_TZ)
    engine.record_simulated_until(later)
    engine.record_simulated_until(datetime(2025, 1, 1, tzinfo=VN_TZ))
    assert engine.simulated_until() == later
    engine.record_simulated_until(later + timedelta(microseconds=1))
    assert engine.simulated_until() == later + timedelta(microseconds=1)
