"""A local SQLite file of ingest's (seen state, archive): open, write safely, close.

WAL journal, NORMAL sync (an application crash loses nothing; an OS crash at worst repeats
items, which downstream dedupes), the schema applied on open, an idempotent close.
"""

from __future__ import annotations

from pathlib import Path
from types import TracebackType
from typing import Any, Self

import aiosqlite

__all__ = ["LocalDb"]


class LocalDb:
    """Base of the ingest SQLite files; subclasses set ``SCHEMA`` and ``NAME``."""

    SCHEMA = ""
    NAME = "local database"

    def __init__(self, path: Path) -> None:
        self._path = path
        self._db: aiosqlite.Connection | None = None

    async def __aenter__(self) -> Self:
        self._path.parent.mkdir(parents=True, exist_ok=True)
        self._db = await aiosqlite.connect(self._path)
        await self._db.execute("PRAGMA journal_mode=WAL")
        await self._db.execute("PRAGMA synchronous=NORMAL")
        await self._db.executescript(self.SCHEMA)
        await self._db.commit()
        return self

    async def __aexit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        tb: TracebackType | None,
    ) -> None:
        await self.aclose()

    async def aclose(self) -> None:
        """Close the file; safe to call more than once."""
        if self._db is not None:
            db, self._db = self._db, None
            await db.close()

    @property
    def db(self) -> aiosqlite.Connection:
        if self._db is None:
            raise RuntimeError(f"the {self.NAME} is not open")
        return self._db

    async def _write(self, sql: str, params: Any, *, many: bool = False) -> int:
        """Run one write and commit it; returns the rows it changed."""
        # The cursor is closed on aiosqlite's thread: a cursor left to the garbage collector
        # resets its cached statement on the event loop's thread, racing a concurrent write
        # that reuses it (sqlite3.InterfaceError "bad parameter or other API misuse").
        run = self.db.executemany if many else self.db.execute
        cursor = await run(sql, params)
        try:
            changed = cursor.rowcount
        finally:
            await cursor.close()
        await self.db.commit()
        return changed
