"""Rewrite the README's Mermaid block from the running machine (tests check it is current).

Run: python scripts/update_readme_diagram.py
"""

from __future__ import annotations

import re
from pathlib import Path

from ocop_cycle.rules.book import default_rule_book
from ocop_cycle.workflows.machine import DossierMachine

README = Path(__file__).resolve().parents[1] / "README.md"


def main() -> None:
    diagram = DossierMachine(default_rule_book().profile("qd148-2023")).mermaid()
    text = README.read_text(encoding="utf-8")
    text = re.sub(r"```mermaid\n.*?```", lambda _: f"```mermaid\n{diagram}```", text, flags=re.S)
    README.write_text(text, encoding="utf-8")


if __name__ == "__main__":
    main()
