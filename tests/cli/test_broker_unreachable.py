"""A broker nobody listens on: every Kafka command retries, then says so in one line.

The real command runs in a subprocess with ``WIREWATCH_KAFKA_BOOTSTRAP`` at a closed port on
127.0.0.1 (a free port nothing listens on) and a short ``WIREWATCH_KAFKA_CONNECT_TIMEOUT_S``.
Logs are JSON, so the one line that is not a log record is the command's own.
"""

from __future__ import annotations

import asyncio
import json
import os
import signal
import sys
import time
from pathlib import Path

import pytest

from services.broker import free_port
from services.config import ENV_PREFIX

pytestmark = pytest.mark.slow

REPO = Path(__file__).resolve().parents[2]
COMMANDS = {
    "ingest": ["ingest"],
    "extract": ["extract"],
    "extract --workers 2": ["extract", "--workers", "2"],
    "api": ["api"],
    "up": ["up"],
    "tail": ["tail", "items.raw"],
    "replay": ["replay", "--since", "2026-01-01"],
}
# Start-up (imports) plus the connect timeout, with room for a loaded machine.
EXIT_WITHIN_S = 20


def _environment(tmp: Path, bootstrap: str, connect_timeout_s: float) -> dict[str, str]:
    env = {k: v for k, v in os.environ.items() if not k.startswith(ENV_PREFIX)}
    env["PYTHONPATH"] = os.pathsep.join(filter(None, [str(REPO), env.get("PYTHONPATH")]))
    return env | {
        "WIREWATCH_KAFKA_BOOTSTRAP": bootstrap,
        "WIREWATCH_KAFKA_CONNECT_TIMEOUT_S": str(connect_timeout_s),
        "WIREWATCH_DATA_DIR": str(tmp / "data"),
        "WIREWATCH_LOG_FORMAT": "json",
        "WIREWATCH_LOG_LEVEL": "info",
        "WIREWATCH_API_PORT": str(free_port()),
        "WIREWATCH_INGEST_METRICS_PORT": "0",
        "WIREWATCH_EXTRACT_METRICS_PORT": "0",
    }


async def _start(words: list[str], env: dict[str, str], tmp: Path) -> asyncio.subprocess.Process:
    return await asyncio.create_subprocess_exec(
        sys.executable,
        "-m",
        "services.cli",
        *words,
        cwd=tmp,
        env=env,
        stdin=asyncio.subprocess.DEVNULL,
        stdout=asyncio.subprocess.DEVNULL,
        stderr=asyncio.subprocess.PIPE,
    )


def _split(stderr: str) -> tuple[list[dict[str, object]], list[str]]:
    """The JSON log records on stderr, and the lines that are not."""
    records, others = [], []
    for line in stderr.splitlines():
        try:
            records.append(json.loads(line))
        except json.JSONDecodeError:
            others.append(line)
    return records, others


@pytest.mark.parametrize("command", list(COMMANDS))
async def test_an_unreachable_broker_is_retried_then_named_in_one_line(
    command: str, tmp_path: Path
) -> None:
    bootstrap = f"127.0.0.1:{free_port()}"
    proc = await _start(COMMANDS[command], _environment(tmp_path, bootstrap, 1.5), tmp_path)
    _, err = await asyncio.wait_for(proc.communicate(), EXIT_WITHIN_S)
    stderr = err.decode()
    records, others = _split(stderr)

    assert proc.returncode == 1, stderr
    assert "Traceback" not in stderr
    (line,) = others
    assert line.startswith("wirewatch: ")
    assert bootstrap in line
    assert "WIREWATCH_KAFKA_BOOTSTRAP" in line
    retries = [r for r in records if r["event"] == "kafka broker unreachable; retrying"]
    assert [r["attempt"] for r in retries] == list(range(1, len(retries) + 1))
    assert len(retries) >= 2  # 0.5 s, then 1 s (cut to what is left of the 1.5 s)
    assert all(r["level"] == "warning" and r["bootstrap"] == bootstrap for r in retries)


async def test_a_zero_connect_timeout_is_one_attempt(tmp_path: Path) -> None:
    bootstrap = f"127.0.0.1:{free_port()}"
    proc = await _start(["ingest"], _environment(tmp_path, bootstrap, 0), tmp_path)
    _, err = await asyncio.wait_for(proc.communicate(), EXIT_WITHIN_S)
    records, others = _split(err.decode())

    assert proc.returncode == 1
    assert not [r for r in records if r["level"] == "warning"]
    (line,) = others
    assert bootstrap in line


@pytest.mark.parametrize("signum", [signal.SIGTERM, signal.SIGINT], ids=["SIGTERM", "SIGINT"])
async def test_a_signal_during_the_retries_stops_the_command_at_once(
    signum: signal.Signals, tmp_path: Path
) -> None:
    bootstrap = f"127.0.0.1:{free_port()}"
    proc = await _start(["ingest"], _environment(tmp_path, bootstrap, 60), tmp_path)
    assert proc.stderr is not None
    lines: list[str] = []

    async def first_retry() -> None:
        assert proc.stderr is not None
        async for raw in proc.stderr:
            lines.append(raw.decode())
            if "kafka broker unreachable; retrying" in lines[-1]:
                return

    await asyncio.wait_for(first_retry(), EXIT_WITHIN_S)
    sent = time.monotonic()
    proc.send_signal(signum)
    rest, _ = await asyncio.wait_for(
        asyncio.gather(proc.stderr.read(), proc.wait()), EXIT_WITHIN_S
    )
    took = time.monotonic() - sent
    stderr = "".join(lines) + rest.decode()
    records, others = _split(stderr)

    assert took < 2, f"took {took:.1f} s to stop"
    assert proc.returncode == 0, stderr
    assert "Traceback" not in stderr
    assert others == []
    assert any(r["event"] == "stopping" and r["signal"] == signum.name for r in records)
