"""Standard Webhooks signing: secrets, the event body, and the three headers of each attempt.

Consumes a subscription's ``whsec_`` secret, a stable message id and the alert's type, time and
``data`` object; emits the exact body bytes and the ``webhook-id`` / ``webhook-timestamp`` /
``webhook-signature`` headers, computed with the ``standardwebhooks`` library so any receiver
using it (or the specification) verifies them. The body is the same bytes on every attempt;
the timestamp header and signature are per attempt, as the specification requires.
"""

from __future__ import annotations

import base64
import binascii
import hashlib
import json
import secrets
from datetime import UTC, datetime
from typing import Any

from standardwebhooks.webhooks import Webhook

__all__ = [
    "SECRET_PREFIX",
    "delivery_id",
    "encode_body",
    "new_secret",
    "sign_headers",
    "validate_secret",
]

SECRET_PREFIX = "whsec_"
_SECRET_BYTES = 32
_MIN_SECRET_BYTES = 24
_MAX_SECRET_BYTES = 64


def new_secret() -> str:
    """Return a fresh secret: ``whsec_`` + base64 of 32 random bytes."""
    return SECRET_PREFIX + base64.b64encode(secrets.token_bytes(_SECRET_BYTES)).decode("ascii")


def validate_secret(secret: str) -> str:
    """Return ``secret`` if it is ``whsec_`` + base64 of 24 to 64 bytes; else ``ValueError``
    (whose message never contains the secret)."""
    if not secret.startswith(SECRET_PREFIX):
        raise ValueError("a webhook secret starts with whsec_")
    try:
        raw = base64.b64decode(secret[len(SECRET_PREFIX) :], validate=True)
    except (binascii.Error, ValueError):
        raise ValueError("a webhook secret is whsec_ followed by base64") from None
    if not _MIN_SECRET_BYTES <= len(raw) <= _MAX_SECRET_BYTES:
        raise ValueError(
            f"a webhook secret decodes to {_MIN_SECRET_BYTES} to {_MAX_SECRET_BYTES} bytes"
        )
    return secret


def delivery_id(alert_id: str, subscription_id: str, replay: str | None = None) -> str:
    """The ``webhook-id`` of one alert to one subscription: stable across attempts, restarts
    and replicas, so receivers can deduplicate. A replay gets its own id (``replay`` is the
    replay's token) so receivers that already deduplicated the original still process it."""
    key = f"{alert_id}\x1f{subscription_id}".encode()
    digest = hashlib.sha256(key).hexdigest()[:32]
    return f"msg_{digest}" if replay is None else f"msg_{digest}_r{replay}"


def _iso(moment: datetime) -> str:
    return moment.astimezone(UTC).isoformat().replace("+00:00", "Z")


def encode_body(event_type: str, occurred_at: datetime, data: dict[str, Any]) -> bytes:
    """The request body ``{"type", "timestamp", "data"}`` as compact UTF-8 JSON; ``timestamp``
    is when the alert was raised, so every attempt sends identical bytes."""
    envelope = {"type": event_type, "timestamp": _iso(occurred_at), "data": data}
    return json.dumps(envelope, separators=(",", ":"), ensure_ascii=False).encode("utf-8")


def sign_headers(secret: str, message_id: str, sent_at: datetime, body: bytes) -> dict[str, str]:
    """The Standard Webhooks headers for sending ``body`` at ``sent_at`` (aware datetime).

    ``standardwebhooks`` replaces (not converts) the timezone when signing, so the time is
    converted to UTC first; the header carries the same whole second the signature covers.
    """
    if sent_at.tzinfo is None:
        raise ValueError("sent_at must be timezone-aware")
    utc = sent_at.astimezone(UTC).replace(microsecond=0)
    signature = Webhook(secret).sign(message_id, utc, body.decode("utf-8"))
    return {
        "webhook-id": message_id,
        "webhook-timestamp": str(int(utc.timestamp())),
        "webhook-signature": signature,
        "content-type": "application/json",
    }
