"""Alembic environment of the api store: runs the packaged migrations on one connection.

``services.api.store.migrate`` passes an open connection in ``config.attributes["connection"]``
(one transaction, already locked against concurrent upgrades). The alembic command line works
too, given ``sqlalchemy.url``: it then opens its own async engine. SQLite migrations render in
batch mode because SQLite cannot ALTER most things in place.
"""

from __future__ import annotations

import asyncio

from alembic import context
from sqlalchemy.engine import Connection

from services.api.store.engine import create_engine
from services.api.store.migrate import include_name
from services.api.store.schema import metadata

config = context.config


def _configure(connection: Connection) -> None:
    context.configure(
        connection=connection,
        target_metadata=metadata,
        render_as_batch=connection.dialect.name == "sqlite",
        include_name=include_name,
        compare_type=True,
    )


def _run_on(connection: Connection) -> None:
    _configure(connection)
    with context.begin_transaction():
        context.run_migrations()


async def _run_with_own_engine(url: str) -> None:
    engine = create_engine(url)
    try:
        async with engine.begin() as conn:
            await conn.run_sync(_run_on)
    finally:
        await engine.dispose()


def _run_offline() -> None:
    context.configure(
        url=config.get_main_option("sqlalchemy.url"),
        target_metadata=metadata,
        literal_binds=True,
        include_name=include_name,
    )
    with context.begin_transaction():
        context.run_migrations()


if context.is_offline_mode():
    _run_offline()
elif (shared := config.attributes.get("connection")) is not None:
    _run_on(shared)
else:
    asyncio.run(_run_with_own_engine(config.get_main_option("sqlalchemy.url") or ""))
