"""The regulation as data and pure functions: profiles, catalogue, sheets, scoring, authority."""
