"""Persistence: the event log, the dossier projection, rounds, outbox; SQLite and PostgreSQL."""
