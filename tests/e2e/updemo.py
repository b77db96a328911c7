"""`wirewatch up --demo` started as a user starts it, for the end-to-end tests: in its own
session (so a signal to the group reaches every child), on the ports asked, with its log in
the data dir."""

from __future__ import annotations

import os
import subprocess
import sys
from collections.abc import Iterable
from pathlib import Path


def spawn_up_demo(
    data: Path,
    *,
    api_port: int,
    rate_per_s: int,
    broker_port: int = 0,
    unset: Iterable[str] = (),
) -> tuple[subprocess.Popen[bytes], Path]:
    """Start the stack on `api_port` (the broker on `broker_port`, 0 = any free port) with the
    demo feed releasing `rate_per_s` items a second; returns the process and its log's path.
    Metrics servers are off; WIREWATCH_KAFKA_BOOTSTRAP and the `unset` variables are removed
    from the environment."""
    env = {
        **os.environ,
        "WIREWATCH_DATA_DIR": str(data),
        "WIREWATCH_BROKER_PORT": str(broker_port),
        "WIREWATCH_API_PORT": str(api_port),
        "WIREWATCH_INGEST_METRICS_PORT": "0",
        "WIREWATCH_EXTRACT_METRICS_PORT": "0",
        "WIREWATCH_DEMO_RATE_PER_S": str(rate_per_s),
    }
    for name in ("WIREWATCH_KAFKA_BOOTSTRAP", *unset):
        env.pop(name, None)
    log_path = data / "up.log"
    with log_path.open("wb") as log_file:
        proc = subprocess.Popen(
            [sys.executable, "-m", "services.cli", "up", "--demo"],
            env=env,
            stdout=subprocess.DEVNULL,
            stderr=log_file,
            start_new_session=True,
        )
    return proc, log_path
