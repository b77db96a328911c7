"""End-to-end tests reuse the api tests' databases: a fresh SQLite file or PostgreSQL schema."""

from tests.api.conftest import postgres_admin_url, store_url

__all__ = ["postgres_admin_url", "store_url"]
