"""Tamper evidence and history: the hash chain over each dossier's events."""
