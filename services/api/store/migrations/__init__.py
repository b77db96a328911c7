"""Alembic migrations of the api store (env.py and versions/), shipped inside the package."""
