"""Applies the store's alembic migrations from code, with no alembic.ini on disk.

Consumes a database URL and brings its schema to the newest revision shipped in
``migrations/versions``; emits nothing but the migrated schema. Store.open calls ``upgrade``;
deploy scripts can call ``upgrade_sync``. Several api replicas may start at once against one
PostgreSQL database, so the upgrade runs under a transaction-scoped advisory lock there; on
SQLite the write lock of the migration transaction serialises them.
"""

from __future__ import annotations

import asyncio
from pathlib import Path

from alembic import command
from alembic.config import Config
from alembic.runtime.migration import MigrationContext
from alembic.script import ScriptDirectory
from sqlalchemy import text
from sqlalchemy.engine import Connection
from sqlalchemy.exc import SQLAlchemyError

from services.api.store.engine import WRITER_OPTION, create_engine, is_unavailable
from services.api.store.errors import MigrationError, StoreUnavailable

__all__ = [
    "MIGRATIONS_DIR",
    "alembic_config",
    "current_revision",
    "head_revision",
    "include_name",
    "upgrade",
    "upgrade_sync",
]

MIGRATIONS_DIR = Path(__file__).with_name("migrations")
# Objects the migrations create outside schema.metadata (dialect-specific full-text search),
# which autogenerate must not propose to drop.
_UNMANAGED_PREFIXES = ("items_fts", "ix_items_search")
# An arbitrary constant shared by every replica: "ww" in ASCII.
_PG_MIGRATION_LOCK = 0x7777


def include_name(name: str | None, type_: str, parent_names: object) -> bool:
    """Alembic ``include_name`` hook: hide the full-text objects that schema.py does not model."""
    return not (name or "").startswith(_UNMANAGED_PREFIXES)


def alembic_config(url: str | None = None) -> Config:
    """Return an alembic ``Config`` pointing at the packaged migrations (and at ``url``, for
    the alembic CLI path of env.py; the programmatic path passes a connection instead)."""
    config = Config()
    config.set_main_option("script_location", str(MIGRATIONS_DIR))
    # Without it alembic warns about legacy path splitting on every run.
    config.set_main_option("path_separator", "os")
    if url is not None:
        config.set_main_option("sqlalchemy.url", url.replace("%", "%%"))
    return config


def head_revision() -> str:
    """Return the newest revision id shipped with the code."""
    head = ScriptDirectory.from_config(alembic_config()).get_current_head()
    if head is None:
        raise MigrationError("no migrations found in the package")
    return head


def _upgrade_on(connection: Connection) -> None:
    if connection.dialect.name == "postgresql":
        # Keyed by schema: replicas sharing a schema take turns, unrelated schemas do not wait.
        connection.execute(
            text("SELECT pg_advisory_xact_lock(:key, hashtext(current_schema()))"),
            {"key": _PG_MIGRATION_LOCK},
        )
    config = alembic_config()
    config.attributes["connection"] = connection
    command.upgrade(config, "head")


def _current_on(connection: Connection) -> str | None:
    return MigrationContext.configure(connection).get_current_revision()


async def upgrade(url: str) -> None:
    """Bring the database at ``url`` to the head revision, in one transaction. Idempotent.

    Raises ``StoreUnavailable`` when the database cannot be reached and ``MigrationError``
    when a migration fails (the transaction is rolled back; on SQLite too, as DDL is
    transactional there).
    """
    engine = create_engine(url)
    try:
        async with engine.connect() as conn:
            await conn.execution_options(**{WRITER_OPTION: True})
            async with conn.begin():
                await conn.run_sync(_upgrade_on)
    except (OSError, SQLAlchemyError) as exc:
        if is_unavailable(exc):
            raise StoreUnavailable(f"database unavailable during migration: {exc}") from exc
        raise MigrationError(f"migration failed: {exc}") from exc
    finally:
        await engine.dispose()


def upgrade_sync(url: str) -> None:
    """Blocking form of ``upgrade`` for scripts; must not be called from a running event loop."""
    asyncio.run(upgrade(url))


async def current_revision(url: str) -> str | None:
    """Return the revision the database at ``url`` is at, or None for an empty database."""
    engine = create_engine(url)
    try:
        async with engine.connect() as conn:
            return await conn.run_sync(_current_on)
    finally:
        await engine.dispose()
