"""Alembic revision scripts of the api store, one per schema change, applied in order."""
