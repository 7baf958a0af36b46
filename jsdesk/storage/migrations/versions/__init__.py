"""Migration scripts, one per schema revision (Alembic reads them by path)."""
