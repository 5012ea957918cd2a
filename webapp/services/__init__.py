"""Use cases: plain arguments and a DB session in, domain objects or domain errors out.

Services flush; the entry point (a view or a CLI command) commits once per user action.
"""
