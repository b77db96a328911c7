"""Non-aiokafka clients subscribe to the stack ``wirewatch up --demo`` starts: confluent-kafka
(its wheel bundles a current librdkafka) and, where Debian's package is installed, kcat on
the older librdkafka that Tansu's ApiVersions answer used to break. Each decodes the
protobuf values of the alerts topic."""

from __future__ import annotations

import os
import re
import shutil
import signal
import subprocess
import sys
import time
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import httpx2
import pytest
from confluent_kafka import Consumer, TopicPartition

from proto import ALERTS, Alert, AlertType
from services.broker import free_port
from tests.e2e.updemo import spawn_up_demo

pytestmark = [pytest.mark.integration, pytest.mark.slow, pytest.mark.timeout(90)]

REPO = Path(__file__).resolve().parents[2]
README = (REPO / "README.md").read_text(encoding="utf-8")


@dataclass
class Stack:
    bootstrap: str
    api: str
    alerts: list[dict[str, Any]]  # GET /v1/alerts once the first alert was raised

    def clusters_now(self) -> set[str]:
        page = httpx2.get(f"{self.api}/v1/alerts", params={"limit": 200}, timeout=5).json()
        return {alert["cluster_id"] for alert in page["items"]}


@pytest.fixture(scope="module")
def stack(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Stack]:
    """``wirewatch up --demo`` on free ports, once at least one alert has been raised."""
    data = tmp_path_factory.mktemp("up")
    broker_port, api_port = free_port(), free_port()
    proc, log_path = spawn_up_demo(
        data, api_port=api_port, rate_per_s=20, broker_port=broker_port
    )
    try:
        deadline = time.monotonic() + 45
        alerts: list[dict[str, Any]] = []
        while not alerts:
            assert proc.poll() is None, log_path.read_text(errors="replace")[-4000:]
            assert time.monotonic() < deadline, "no alert within 45 s"
            try:
                response = httpx2.get(f"http://127.0.0.1:{api_port}/v1/alerts", timeout=2)
                if response.status_code == 200:
                    alerts = response.json()["items"]
            except httpx2.TransportError:
                pass
            time.sleep(0.25)
        yield Stack(f"127.0.0.1:{broker_port}", f"http://127.0.0.1:{api_port}", alerts)
    finally:
        proc.send_signal(signal.SIGTERM)
        try:
            proc.wait(timeout=10)
        except subprocess.TimeoutExpired:
            os.killpg(proc.pid, signal.SIGKILL)
            proc.wait()


def test_confluent_kafka_group_consumer_decodes_alerts(stack: Stack) -> None:
    """A consumer group on librdkafka joins, reads Alert records keyed by cluster id — the
    alerts the API lists — and commits its offsets."""
    consumer = Consumer(
        {
            "bootstrap.servers": stack.bootstrap,
            "group.id": "desk-librdkafka",
            "auto.offset.reset": "earliest",
            "enable.auto.commit": False,
            "session.timeout.ms": 6000,
        }
    )
    listed = {alert["alert_id"]: alert for alert in stack.alerts}
    decoded: dict[str, Alert] = {}
    try:
        consumer.subscribe([ALERTS.name])
        deadline = time.monotonic() + 20
        while not listed.keys() <= decoded.keys():
            assert time.monotonic() < deadline, f"only {len(decoded)} of {len(listed)} alerts"
            record = consumer.poll(0.5)
            if record is None:
                continue
            assert record.error() is None, record.error()
            alert = Alert.FromString(record.value())
            assert record.key() == alert.cluster_id.encode()
            decoded[alert.alert_id] = alert
        consumer.commit(asynchronous=False)
        committed = consumer.committed(
            [TopicPartition(ALERTS.name, p) for p in range(3)], timeout=10
        )
    finally:
        consumer.close()
    for alert_id, listed_alert in listed.items():
        alert = decoded[alert_id]
        assert alert.cluster_id == listed_alert["cluster_id"]
        assert alert.type != AlertType.ALERT_TYPE_UNSPECIFIED
        assert alert.claim.fingerprint == alert.fingerprint
    assert sum(max(tp.offset, 0) for tp in committed) >= len(decoded)


def test_readme_confluent_kafka_example_prints_alerts(stack: Stack, tmp_path: Path) -> None:
    block = re.search(r"```python\n(# consume_alerts_librdkafka\.py.*?)```", README, re.DOTALL)
    assert block, "the README lost its confluent-kafka example"
    script = tmp_path / "consume_alerts_librdkafka.py"
    script.write_text(block.group(1), encoding="utf-8")
    env = {**os.environ, "WIREWATCH_KAFKA_BOOTSTRAP": stack.bootstrap, "PYTHONPATH": str(REPO)}
    with subprocess.Popen(
        [sys.executable, str(script)], env=env, stdout=subprocess.PIPE, text=True
    ) as proc:
        try:
            assert proc.stdout is not None
            line = proc.stdout.readline()  # the module's timeout bounds it
        finally:
            proc.terminate()
    assert line.split(" ", 1)[0] in stack.clusters_now(), line
    assert "'type': 'ALERT_TYPE_" in line, line


def _readme_kcat_commands() -> list[str]:
    block = re.search(r"```sh\n(# key, partition:offset.*?)```", README, re.DOTALL)
    assert block, "the README lost its kcat examples"
    joined = block.group(1).replace("\\\n", " ")
    return [line.strip() for line in joined.splitlines() if line.startswith("kcat ")]


@pytest.mark.skipif(shutil.which("kcat") is None, reason="kcat is not installed (tools/)")
def test_kcat_on_old_librdkafka_reads_alerts_as_the_readme_shows(stack: Stack) -> None:
    """Debian 12's kcat (librdkafka 2.0.2, which failed with "ApiVersionRequest failed:
    Local: Read underflow" against bare Tansu) joins a group and reads alerts, and the
    README's decode pipeline prints an Alert, with the README's own commands."""
    group, decode = _readme_kcat_commands()
    here = {"127.0.0.1:9092": stack.bootstrap, ".venv/bin/python": sys.executable}
    for old, new in here.items():
        group, decode = group.replace(old, new), decode.replace(old, new)
    listed = subprocess.run(
        f"{group} -c 1", shell=True, capture_output=True, text=True, timeout=30, check=False
    )
    assert listed.returncode == 0, listed.stderr
    key, place, size, unit = listed.stdout.split()
    assert key in stack.clusters_now(), listed.stdout
    assert re.fullmatch(r"[0-2]:\d+", place), listed.stdout
    assert int(size) > 0, listed.stdout
    assert unit == "bytes"
    decoded = subprocess.run(
        ["bash", "-o", "pipefail", "-c", decode],
        cwd=REPO,
        capture_output=True,
        text=True,
        timeout=30,
        check=False,
    )
    assert decoded.returncode == 0, decoded.stderr
    cluster = re.search(r'^cluster_id: "([0-9a-f]+)"$', decoded.stdout, re.MULTILINE)
    assert cluster, decoded.stdout
    assert cluster.group(1) in stack.clusters_now(), decoded.stdout
    assert re.search(r"^type: ALERT_TYPE_", decoded.stdout, re.MULTILINE), decoded.stdout
