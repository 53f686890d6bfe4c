"""Deadlines and the scheduler: what falls due, applying it once, and waking up to do so."""
