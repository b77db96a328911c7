"""``wirewatch up --demo`` as a user runs it: a real process tree, stopped by a signal."""

from __future__ import annotations

import os
import signal
import subprocess
import time
from pathlib import Path

import httpx2
import pytest

from services.broker import free_port
from tests.e2e.updemo import spawn_up_demo

pytestmark = [pytest.mark.integration, pytest.mark.slow]


def _children_of(pid: int) -> set[int]:
    """Every descendant of ``pid`` (Linux /proc)."""
    parents: dict[int, int] = {}
    for entry in Path("/proc").iterdir():
        if entry.name.isdigit():
            try:
                fields = (entry / "stat").read_text().rsplit(")", 1)[1].split()
            except OSError:
                continue
            parents[int(entry.name)] = int(fields[1])
    found: set[int] = set()
    frontier = {pid}
    while frontier:
        frontier = {child for child, parent in parents.items() if parent in frontier} - found
        found |= frontier
    return found


def _alive(pid: int) -> bool:
    try:
        state = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()[0]
    except OSError:
        return False
    return state != "Z"


@pytest.mark.parametrize("how", ["sigterm-to-up", "ctrl-c-to-group"])
def test_up_demo_serves_items_offline_and_stops_cleanly(tmp_path: Path, how: str) -> None:
    """Items appear in GET /v1/items within 60 s; a signal stops everything within 10 s."""
    api_port = free_port()
    proc, log_path = spawn_up_demo(tmp_path, api_port=api_port, rate_per_s=10)

    def log() -> str:
        return log_path.read_text(encoding="utf-8", errors="replace")[-4000:]

    descendants: set[int] = set()
    try:
        deadline = time.monotonic() + 60
        items: list[object] = []
        while time.monotonic() < deadline and not items:
            assert proc.poll() is None, log()
            descendants |= _children_of(proc.pid)
            try:
                response = httpx2.get(f"http://127.0.0.1:{api_port}/v1/items", timeout=2)
                if response.status_code == 200:
                    items = response.json()["items"]
            except httpx2.TransportError:
                pass
            time.sleep(0.5)
        assert items, f"no items within 60 s; log:\n{log()}"
        # up names its consumers: each keeps its member id for a restarted successor.
        members = tmp_path / "kafka-members"
        named = [
            members / "group-wirewatch-extract/extract.json",
            members / "group-wirewatch-api/api.json",
        ]
        assert all(path.is_file() for path in named), sorted(members.rglob("*"))
        descendants |= _children_of(proc.pid)
        assert len(descendants) >= 4  # broker, api, extract, ingest
    finally:
        started = time.monotonic()
        if how == "sigterm-to-up":
            proc.send_signal(signal.SIGTERM)
        else:
            os.killpg(proc.pid, signal.SIGINT)
        try:
            proc.wait(timeout=10)
        except subprocess.TimeoutExpired:
            os.killpg(proc.pid, signal.SIGKILL)
            raise
        took = time.monotonic() - started
    assert proc.returncode == 0, log()
    assert "forced exit" not in log(), "a service was killed instead of draining"
    assert took < 10
    assert not any(path.exists() for path in named)  # they left the group on the way out
    time.sleep(0.2)
    leftovers = {pid for pid in descendants if _alive(pid)}
    assert not leftovers, f"processes left behind: {leftovers}"
