"""Webhook building blocks without a network: schedule, signing, filters, outcomes, settings."""

from __future__ import annotations

import base64
import json
from datetime import UTC, datetime, timedelta, timezone
from typing import Any

import pytest
from pydantic import ValidationError
from standardwebhooks.webhooks import Webhook, WebhookVerificationError

from services.api.models import WebhookFilter
from services.api.settings import ApiSettings
from services.api.webhooks.dispatcher import classify
from services.api.webhooks.filters import independent_sources, matches
from services.api.webhooks.schedule import (
    DEFAULT_DELAYS,
    RetrySchedule,
    parse_schedule,
)
from services.api.webhooks.sender import SendResult
from services.api.webhooks.signing import (
    delivery_id,
    encode_body,
    new_secret,
    sign_headers,
    validate_secret,
)
from tests.api.webhooks_support import payload

T0 = datetime(2026, 3, 2, 8, 0, tzinfo=UTC)


# --- schedule ------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        pytest.param("0.2,0.4,0.8", (0.2, 0.4, 0.8), id="seconds"),
        pytest.param(" 5 , 30 ", (5.0, 30.0), id="spaces"),
        pytest.param("0", (0.0,), id="zero"),
        pytest.param("", DEFAULT_DELAYS, id="empty-is-default"),
        pytest.param(None, DEFAULT_DELAYS, id="none-is-default"),
    ],
)
def test_parse_schedule_reads_comma_separated_seconds(
    text: str | None, expected: tuple[float, ...]
) -> None:
    assert parse_schedule(text) == expected


@pytest.mark.parametrize(
    "text",
    [
        pytest.param("5,abc", id="not-a-number"),
        pytest.param("5,-1", id="negative"),
        pytest.param("nan", id="nan"),
        pytest.param("inf", id="infinite"),
        pytest.param("5,,6", id="empty-step"),
        pytest.param(",".join(["1"] * 1001), id="too-many"),
    ],
)
def test_parse_schedule_refuses_bad_steps(text: str) -> None:
    with pytest.raises(ValueError, match="retry schedule"):
        parse_schedule(text)


def test_default_schedule_ramps_then_repeats_six_hours_within_three_days() -> None:
    """5 s, 30 s, 2 min, 10 min, 30 min, 1 h, 3 h, then 6 h steps; the total stays ≤ 3 days
    and one more 6 h step would pass it."""
    assert DEFAULT_DELAYS[:7] == (5, 30, 120, 600, 1800, 3600, 10800)
    assert set(DEFAULT_DELAYS[7:]) == {21600}
    assert sum(DEFAULT_DELAYS) <= 3 * 86400 < sum(DEFAULT_DELAYS) + 21600
    assert RetrySchedule().max_attempts == len(DEFAULT_DELAYS) + 1


@pytest.mark.parametrize(
    ("rand", "factor"),
    [
        pytest.param(0.0, 0.9, id="low"),
        pytest.param(0.5, 1.0, id="mid"),
        pytest.param(1.0, 1.1, id="high"),
    ],
)
def test_delay_is_the_step_scaled_by_bounded_jitter(rand: float, factor: float) -> None:
    schedule = RetrySchedule((10.0, 20.0), jitter=0.1, rand=lambda: rand)
    assert schedule.delay(1) == pytest.approx(10.0 * factor)
    assert schedule.delay(2) == pytest.approx(20.0 * factor)


def test_delay_is_none_once_the_schedule_is_spent() -> None:
    schedule = RetrySchedule((1.0, 2.0), jitter=0)
    assert [schedule.delay(n) for n in (1, 2, 3)] == [1.0, 2.0, None]
    with pytest.raises(ValueError, match="starts at 1"):
        schedule.delay(0)


# --- signing -------------------------------------------------------------------------------


def test_signed_headers_verify_with_the_standardwebhooks_library() -> None:
    secret = new_secret()
    body = encode_body("claim.new", T0, payload("a1", "claim.new"))
    now = datetime.now(UTC)
    headers = sign_headers(secret, "msg_1", now, body)
    parsed = Webhook(secret).verify(body, headers)
    assert parsed["type"] == "claim.new"
    assert parsed["timestamp"] == "2026-03-02T08:00:00Z"
    assert parsed["data"]["alert"]["alert_id"] == "a1"
    assert headers["webhook-id"] == "msg_1"
    assert headers["webhook-timestamp"] == str(int(now.timestamp()))


def test_signature_fails_for_another_secret_or_an_altered_body() -> None:
    secret = new_secret()
    body = encode_body("claim.new", T0, {"x": 1})
    headers = sign_headers(secret, "msg_1", datetime.now(UTC), body)
    with pytest.raises(WebhookVerificationError):
        Webhook(new_secret()).verify(body, headers)
    with pytest.raises(WebhookVerificationError):
        Webhook(secret).verify(body.replace(b"1", b"2"), headers)


def test_signing_converts_non_utc_times_before_signing() -> None:
    """standardwebhooks replaces the zone instead of converting; the header must still match."""
    secret = new_secret()
    body = b"{}"
    plus_two = datetime.now(UTC).astimezone(timezone(timedelta(hours=2)))
    headers = sign_headers(secret, "msg_1", plus_two, body)
    assert headers["webhook-timestamp"] == str(int(plus_two.timestamp()))
    Webhook(secret).verify(body, headers)


def test_body_is_identical_bytes_on_every_attempt() -> None:
    data = payload("a1", "claim.new")
    assert encode_body("claim.new", T0, data) == encode_body("claim.new", T0, dict(data))
    assert json.loads(encode_body("claim.new", T0, data))["data"] == data


def test_delivery_id_is_stable_per_alert_and_subscription_and_replays_differ() -> None:
    first = delivery_id("a1", "wh_1")
    assert first == delivery_id("a1", "wh_1")
    assert first.startswith("msg_")
    assert len({first, delivery_id("a2", "wh_1"), delivery_id("a1", "wh_2")}) == 3
    replayed = delivery_id("a1", "wh_1", "abc")
    assert replayed != first
    assert replayed.startswith(first)
    assert len(replayed) <= 64


def test_new_secret_is_whsec_base64_of_32_random_bytes() -> None:
    secret = new_secret()
    assert secret.startswith("whsec_")
    assert len(base64.b64decode(secret[6:])) == 32
    assert secret != new_secret()
    assert validate_secret(secret) == secret


@pytest.mark.parametrize(
    "secret",
    [
        pytest.param("MfKQ9r8GKYqrTwjUPD8ILPZIo2LaLaSw", id="no-prefix"),
        pytest.param("whsec_not base64!", id="not-base64"),
        pytest.param("whsec_" + base64.b64encode(b"short").decode(), id="too-short"),
    ],
)
def test_validate_secret_refuses_without_echoing_it(secret: str) -> None:
    with pytest.raises(ValueError, match="webhook secret") as caught:
        validate_secret(secret)
    assert secret not in str(caught.value)


# --- filters -------------------------------------------------------------------------------

_DATA = payload("a1", "claim.new", actor="RUS", location="UKR", independent_sources=2)


@pytest.mark.parametrize(
    ("flt", "expected"),
    [
        pytest.param({}, True, id="empty-matches-all"),
        pytest.param({"types": ["claim.new", "claim.disputed"]}, True, id="type-listed"),
        pytest.param({"types": ["claim.updated"]}, False, id="type-not-listed"),
        pytest.param({"actors": ["rus"]}, True, id="actor-canonical-case-insensitive"),
        pytest.param({"actors": ["RUS forces"]}, True, id="actor-text"),
        pytest.param({"actors": ["UKR", "BLR"]}, False, id="actor-other"),
        pytest.param({"movements": ["buildup"]}, True, id="movement"),
        pytest.param({"movements": ["withdraw"]}, False, id="movement-other"),
        pytest.param({"polarity": ["denied"]}, False, id="polarity-other"),
        pytest.param({"locations": ["ukr"]}, True, id="location-canonical"),
        pytest.param({"locations": ["near UKR"]}, True, id="location-text"),
        pytest.param({"locations": ["POL"]}, False, id="location-other"),
        pytest.param({"min_sources": 2}, True, id="min-sources-reached"),
        pytest.param({"min_sources": 3}, False, id="min-sources-not-reached"),
        pytest.param(
            {"types": ["claim.new"], "actors": ["RUS"], "polarity": ["denied"]},
            False,
            id="all-fields-must-match",
        ),
    ],
)
def test_filter_matches(flt: dict[str, object], expected: bool) -> None:
    assert matches(WebhookFilter.model_validate(flt), "claim.new", _DATA) is expected


def test_filter_on_a_claim_without_actor_matches_only_without_actor_filter() -> None:
    data = {**_DATA, "claim": {"movement": "buildup", "polarity": "asserted", "actor": None}}
    assert matches(WebhookFilter(), "claim.new", data)
    assert not matches(WebhookFilter(actors=["RUS"]), "claim.new", data)


def test_independent_sources_falls_back_to_counting_sources() -> None:
    data = {"sources": [{"independent": True}, {"independent": False}, {}]}
    assert independent_sources(data) == 2
    assert independent_sources({}) == 0


@pytest.mark.parametrize(
    "flt",
    [
        pytest.param({"types": ["claim.exploded"]}, id="unknown-type"),
        pytest.param({"min_sources": 0}, id="min-sources-zero"),
        pytest.param({"colour": ["red"]}, id="unknown-field"),
        pytest.param({"actors": []}, id="empty-list"),
    ],
)
def test_invalid_filters_are_refused(flt: dict[str, object]) -> None:
    with pytest.raises(ValidationError):
        WebhookFilter.model_validate(flt)


# --- outcomes ------------------------------------------------------------------------------

_SCHEDULE = RetrySchedule((1.0, 2.0), jitter=0)


@pytest.mark.parametrize(
    ("status", "error", "attempt", "outcome", "retry_in_s"),
    [
        pytest.param(200, None, 1, "success", None, id="200"),
        pytest.param(204, None, 3, "success", None, id="204-on-last"),
        pytest.param(410, None, 1, "gone", None, id="410"),
        pytest.param(503, None, 1, "retry", 1.0, id="503-first"),
        pytest.param(302, None, 2, "retry", 2.0, id="redirect-is-failure"),
        pytest.param(None, "timed out", 1, "retry", 1.0, id="timeout"),
        pytest.param(500, None, 3, "dead", None, id="500-after-last"),
    ],
)
def test_classify(
    status: int | None, error: str | None, attempt: int, outcome: str, retry_in_s: float | None
) -> None:
    result = classify(SendResult(status, error, 0.25), attempt, _SCHEDULE, T0)
    assert result.outcome == outcome
    assert result.duration_ms == 250
    expected_next = None if retry_in_s is None else T0 + timedelta(seconds=retry_in_s)
    assert result.next_attempt_at == expected_next
    if outcome != "success":
        assert result.error


# --- settings ------------------------------------------------------------------------------


def test_static_webhooks_parse_from_json_and_hide_the_secret(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    secret = new_secret()
    monkeypatch.setenv(
        "WIREWATCH_WEBHOOKS",
        json.dumps(
            [{"url": "https://hooks.example/a", "secret": secret, "filter": {"actors": ["RUS"]}}]
        ),
    )
    settings = ApiSettings()
    (hook,) = settings.webhooks
    assert hook.secret.get_secret_value() == secret
    assert secret not in repr(settings)
    assert hook.filter.actors == ["RUS"]


@pytest.mark.parametrize(
    "overrides",
    [
        pytest.param(
            {"webhooks": [{"url": "https://h.example", "secret": "plain"}]}, id="bad-secret"
        ),
        pytest.param({"webhook_retry_schedule": "5,x"}, id="bad-schedule"),
        pytest.param(
            {"webhook_lease_s": 5, "webhook_timeout_s": 10}, id="lease-shorter-than-timeout"
        ),
    ],
)
def test_bad_webhook_settings_are_refused(overrides: dict[str, Any]) -> None:
    with pytest.raises(ValidationError):
        ApiSettings(**overrides)


def test_retry_schedule_setting_takes_seconds() -> None:
    assert ApiSettings(webhook_retry_schedule="0.2,0.4").webhook_retry_delays == (0.2, 0.4)
