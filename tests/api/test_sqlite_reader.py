"""SqliteReader: quick reads run on the event loop; a read over its time budget is
interrupted and finished on a worker thread, and the loop keeps running meanwhile."""

from __future__ import annotations

import asyncio
import itertools
import time
from pathlib import Path

import pytest
from sqlalchemy import Connection, text

from services.api.store.engine import SqliteReader
from services.api.store.migrate import upgrade

# About 0.3 s of SQLite work on this kind of machine: far over a 2 ms budget.
SLOW = "WITH RECURSIVE n(i) AS (SELECT 1 UNION ALL SELECT i + 1 FROM n WHERE i < 3000000) "
SLOW += "SELECT count(*) FROM n"


@pytest.fixture
async def reader(tmp_path: Path) -> SqliteReader:
    url = f"sqlite+aiosqlite:///{tmp_path / 'reader.db'}"
    await upgrade(url)
    return SqliteReader(url, inline_budget_s=0.002)


def _scalar(sql: str) -> object:
    def work(conn: Connection) -> object:
        return conn.execute(text(sql)).scalar_one()

    return work


async def test_quick_reads_stay_on_the_loop(reader: SqliteReader) -> None:
    try:
        for _ in range(20):
            assert await reader.run(_scalar("SELECT count(*) FROM items")) == 0
        assert (reader.inline_runs, reader.thread_runs) == (20, 0)
    finally:
        await reader.aclose()


async def test_slow_read_moves_to_a_thread_without_blocking_the_loop(
    reader: SqliteReader,
) -> None:
    ticks: list[float] = []

    async def ticker() -> None:
        while True:
            ticks.append(time.perf_counter())
            await asyncio.sleep(0.005)

    try:
        task = asyncio.create_task(ticker())
        await asyncio.sleep(0.02)
        started = time.perf_counter()
        assert await reader.run(_scalar(SLOW)) == 3_000_000
        elapsed = time.perf_counter() - started
        task.cancel()
        assert reader.thread_runs == 1
        assert reader.inline_runs == 0
        during = [b - a for a, b in itertools.pairwise(ticks) if b > started]
        assert elapsed > 0.05, "the query was meant to be slow"
        # The loop kept ticking while the query ran: no gap near the query's length.
        assert max(during) < elapsed / 2, (max(during), elapsed)
        # The next quick read is inline again.
        assert await reader.run(_scalar("SELECT 1")) == 1
        assert reader.inline_runs == 1
    finally:
        await reader.aclose()


async def test_errors_other_than_the_budget_propagate(reader: SqliteReader) -> None:
    try:
        with pytest.raises(Exception, match="no such table"):
            await reader.run(_scalar("SELECT * FROM nowhere"))
        assert reader.thread_runs == 0
    finally:
        await reader.aclose()


async def test_a_shape_that_overran_goes_to_a_thread_next_time(reader: SqliteReader) -> None:
    try:
        assert await reader.run(_scalar(SLOW), shape="count") == 3_000_000
        assert await reader.run(_scalar("SELECT 2"), shape="count") == 2
        # Tried inline once (interrupted), then straight to a thread: no second try inline.
        assert (reader.inline_runs, reader.thread_runs) == (0, 2)
        assert await reader.run(_scalar("SELECT 3"), shape="other") == 3
        assert reader.inline_runs == 1
    finally:
        await reader.aclose()
