"""Session-wide fixtures: a real embedded broker per test, settings pointing at it."""

from __future__ import annotations

import os
from collections.abc import AsyncIterator
from pathlib import Path

import pytest

from services.broker import EmbeddedBroker
from services.kafka import ensure_topics
from services.logs import configure_logging

REPO = Path(__file__).resolve().parent.parent
SHARED = REPO.parent / "shared"

configure_logging(os.environ.get("WIREWATCH_TEST_LOG_LEVEL", "warning"))


@pytest.fixture
async def broker() -> AsyncIterator[EmbeddedBroker]:
    """A fresh Tansu broker on a free port with the wirewatch topics (it starts in ~50 ms)."""
    async with EmbeddedBroker() as embedded:
        await ensure_topics(embedded.bootstrap, partitions=3)
        yield embedded


@pytest.fixture
def shared_dir() -> Path:
    """The project's shared data folder beside the checkout; skips when absent."""
    if not SHARED.is_dir():
        pytest.skip("../shared is not beside this checkout")
    return SHARED
