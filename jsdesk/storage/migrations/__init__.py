"""Alembic migrations for the jsdesk database (see env.py)."""
