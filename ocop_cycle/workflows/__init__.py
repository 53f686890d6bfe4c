"""The dossier workflow: states, the shared machine and its guards, commands, events and their
fold, deadline planning. Pure: no database, no clock reads, no logging."""
