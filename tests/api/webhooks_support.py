"""Test support for webhooks: alert rows written straight into the store, and a real receiver.

``insert_alert`` writes a ``clusters`` row and an ``alerts`` row with SQLAlchemy Core, as the
alert engine would, so webhook tests need no broker or extractor. ``Receiver`` is a threaded
HTTP server on 127.0.0.1 that verifies every request with ``standardwebhooks`` and behaves as
told (status per request, optional delay); it records each request and, like a well-behaved
application, counts each ``webhook-id`` it accepted once (deduplicating repeats).
"""

from __future__ import annotations

import http.server
import json
import threading
import time
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from datetime import UTC, datetime
from typing import Any

from sqlalchemy import insert
from standardwebhooks.webhooks import Webhook, WebhookVerificationError

from services.api.store import Store
from services.api.store.alerts_schema import alerts, clusters

__all__ = ["ReceivedRequest", "Receiver", "insert_alert", "payload", "receiver"]


def payload(
    alert_id: str,
    event_type: str,
    *,
    actor: str = "RUS",
    movement: str = "buildup",
    polarity: str = "asserted",
    location: str = "UKR",
    independent_sources: int = 1,
) -> dict[str, Any]:
    """A webhook ``data`` object shaped like the alert engine's."""
    return {
        "alert": {"alert_id": alert_id, "type": event_type},
        "cluster": {"cluster_id": f"c-{alert_id}", "independent_sources": independent_sources},
        "claim": {
            "movement": movement,
            "polarity": polarity,
            "actor": {"text": f"{actor} forces", "canonical_id": actor},
            "location": {"text": f"near {location}", "canonical_id": location},
        },
        "item": {"item_id": f"i-{alert_id}"},
        "sources": [{"item_id": f"i-{alert_id}", "independent": True}],
        "disputes": [],
    }


async def insert_alert(
    store: Store,
    alert_id: str,
    event_type: str = "claim.new",
    *,
    created_at: datetime | None = None,
    seq: int | None = None,
    **claim: Any,
) -> None:
    """Append one alert (and its cluster) to the alerts log, in one write transaction;
    ``seq`` forces the log position (to imitate a late commit on PostgreSQL)."""
    now = created_at or datetime.now(UTC)
    data = payload(alert_id, event_type, **claim)
    cluster_id = f"c-{alert_id}"[:32]
    async with store.transaction(write=True) as conn:
        await conn.execute(
            insert(clusters).values(
                cluster_id=cluster_id,
                fingerprint=f"fp-{alert_id}",
                generation=1,
                movement=data["claim"]["movement"],
                polarity=data["claim"]["polarity"],
                actor_key="k",
                location_key="k",
                first_claim_id=f"cl-{alert_id}",
                first_seen_at=now,
                last_seen_at=now,
                independent_sources=1,
                total_sources=1,
                claims_count=1,
                created_at=now,
                updated_at=now,
            )
        )
        await conn.execute(
            insert(alerts).values(
                **({} if seq is None else {"seq": seq}),
                alert_id=alert_id,
                type=event_type,
                cluster_id=cluster_id,
                claim_id=f"cl-{alert_id}",
                item_id=f"i-{alert_id}",
                created_at=now,
                payload=json.dumps(data),
                fingerprint=f"fp-{alert_id}",
                movement=data["claim"]["movement"],
                polarity=data["claim"]["polarity"],
                independent_sources=1,
                total_sources=1,
            )
        )


@dataclass(frozen=True)
class ReceivedRequest:
    """One request the receiver saw and how it answered."""

    webhook_id: str
    at: float  # time.monotonic() on arrival
    status: int
    verified: bool
    body: dict[str, Any] | None
    headers: dict[str, str]


@dataclass
class Receiver:
    """A webhook receiver; ``answer(n, webhook_id)`` picks the status of the n-th request
    (0-based). Only verified requests answered 2xx count as accepted."""

    answer: Callable[[int, str], int] = lambda n, wid: 204
    delay_s: float = 0.0
    secret: str = ""
    url: str = ""
    requests: list[ReceivedRequest] = field(default_factory=list)
    accepted: dict[str, int] = field(default_factory=dict)  # webhook-id → times processed
    arrived: int = 0  # requests that reached the server, answered or not
    lock: threading.Lock = field(default_factory=threading.Lock)

    def handle(self, headers: dict[str, str], raw: bytes) -> int:
        arrived = time.monotonic()
        with self.lock:
            self.arrived += 1
        webhook_id = headers.get("webhook-id", "")
        try:
            body = Webhook(self.secret).verify(raw, headers)
            verified = True
        except WebhookVerificationError:
            body, verified = None, False
        if self.delay_s:
            time.sleep(self.delay_s)
        with self.lock:
            status = self.answer(len(self.requests), webhook_id) if verified else 401
            self.requests.append(
                ReceivedRequest(webhook_id, arrived, status, verified, body, headers)
            )
            if 200 <= status < 300 and webhook_id not in self.accepted:
                self.accepted[webhook_id] = 1  # the application dedupes by webhook-id
        return status

    def attempts_of(self, webhook_id: str) -> list[ReceivedRequest]:
        with self.lock:
            return [r for r in self.requests if r.webhook_id == webhook_id]


@contextmanager
def receiver(target: Receiver, path: str = "/hook") -> Iterator[Receiver]:
    """Serve ``target`` on 127.0.0.1 (a free port) until the block ends."""

    class Handler(http.server.BaseHTTPRequestHandler):
        protocol_version = "HTTP/1.1"

        def do_POST(self) -> None:
            length = int(self.headers.get("content-length", "0"))
            raw = self.rfile.read(length)
            headers = {k.lower(): v for k, v in self.headers.items()}
            status = target.handle(headers, raw)
            self.send_response(status)
            self.send_header("content-length", "0")
            self.end_headers()

        def log_message(self, format: str, *args: object) -> None:
            return

    class Server(http.server.ThreadingHTTPServer):
        daemon_threads = True

        def handle_error(self, request: object, client_address: object) -> None:
            # A sender killed mid-request leaves a broken pipe behind; that is the test.
            return

    server = Server(("127.0.0.1", 0), Handler)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    target.url = f"http://127.0.0.1:{server.server_address[1]}{path}"
    try:
        yield target
    finally:
        server.shutdown()
        server.server_close()
        thread.join(timeout=5)
