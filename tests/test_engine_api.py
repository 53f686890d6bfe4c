"""The engine's shortcuts: typed keyword parameters that match their commands exactly."""

from __future__ import annotations

import inspect
import subprocess
import sys
from pathlib import Path

import pytest

from ocop_cycle import Engine
from ocop_cycle.workflows import commands

SHORTCUTS = {
    "register": commands.RegisterDossier,
    "register_reevaluation": commands.RegisterReevaluation,
    "import_certificate": commands.ImportCertificate,
    "return_for_supplement": commands.ReturnForSupplement,
    "resubmit": commands.Resubmit,
    "verify_commune": commands.VerifyCommune,
    "reject": commands.Reject,
    "assign_round": commands.AssignRound,
    "score": commands.Score,
    "forward": commands.Forward,
    "certify": commands.Certify,
    "not_recognize": commands.NotRecognize,
    "keep_certificate": commands.KeepCertificate,
    "start_monitoring": commands.StartMonitoring,
    "record_inspection": commands.RecordInspection,
    "revoke": commands.Revoke,
    "withdraw": commands.Withdraw,
    "mark_renewal_due": commands.MarkRenewalDue,
    "expire": commands.Expire,
    "create_round": commands.CreateRound,
}


@pytest.mark.parametrize("name", sorted(SHORTCUTS))
def test_shortcut_parameters_are_the_commands_fields(name: str) -> None:
    """Each shortcut takes exactly its command's fields (plus the actor), no ``**kwargs``."""
    params = inspect.signature(getattr(Engine, name)).parameters
    assert not any(p.kind is inspect.Parameter.VAR_KEYWORD for p in params.values())
    taken = set(params) - {"self", "actor"}
    assert taken == set(SHORTCUTS[name].model_fields)


def test_mypy_catches_a_misspelled_field(tmp_path: Path) -> None:
    """`mypy --strict` rejects `engine.certify(..., decison_number=...)`."""
    host = tmp_path / "host.py"
    host.write_text(
        "from datetime import date\n"
        "from uuid import uuid4\n"
        "from ocop_cycle import Actor, Engine\n"
        "def certify(engine: Engine, actor: Actor) -> None:\n"
        "    engine.certify(uuid4(), actor=actor, decison_number='42',\n"
        "                   decision_date=date(2024, 6, 20), issuing_body='UBND')\n",
        encoding="utf-8",
    )
    result = subprocess.run(
        [sys.executable, "-m", "mypy", "--strict", "--no-incremental", str(host)],
        capture_output=True,
        text=True,
        check=False,
    )
    assert result.returncode == 1
    assert 'Unexpected keyword argument "decison_number"' in result.stdout
