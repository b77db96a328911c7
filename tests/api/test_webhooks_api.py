"""The webhook subscription API: create/list/read/change/delete, auth, validation, history."""

from __future__ import annotations

import json
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from fastapi.testclient import TestClient

from services.api.app import create_app
from services.api.settings import ApiSettings
from services.api.webhooks.signing import new_secret

KEY = "test-key-0123456789abcdef"
AUTH = {"Authorization": f"Bearer {KEY}"}
PUBLIC = "https://93.184.215.14/hooks/wirewatch"  # a literal public address: no DNS needed


def _client(tmp_path: Path, **overrides: Any) -> TestClient:
    settings = ApiSettings(
        database_url=f"sqlite+aiosqlite:///{tmp_path / 'api.db'}",
        data_dir=tmp_path,
        api_consume=False,
        api_keys=[KEY],
        webhook_dispatch=False,
        **overrides,
    )
    return TestClient(create_app(settings))


@pytest.fixture
def client(tmp_path: Path) -> Iterator[TestClient]:
    with _client(tmp_path) as opened:
        yield opened


def _create(client: TestClient, **body: Any) -> dict[str, Any]:
    response = client.post("/v1/webhooks", json={"url": PUBLIC, **body}, headers=AUTH)
    assert response.status_code == 201, response.text
    created: dict[str, Any] = response.json()
    return created


def test_create_returns_id_and_whsec_secret_once(client: TestClient) -> None:
    created = _create(client, description="desk", filter={"types": ["claim.new"]})
    assert created["id"].startswith("wh_")
    assert created["secret"].startswith("whsec_")
    assert created["active"] is True
    assert created["filter"]["types"] == ["claim.new"]
    listed = client.get("/v1/webhooks", headers=AUTH).json()["items"]
    assert [w["id"] for w in listed] == [created["id"]]
    one = client.get(f"/v1/webhooks/{created['id']}", headers=AUTH).json()
    assert one["description"] == "desk"
    for shown in (listed[0], one):
        assert "secret" not in shown
        assert created["secret"] not in json.dumps(shown)


def test_patch_changes_only_given_fields_and_delete_removes(client: TestClient) -> None:
    created = _create(client, description="before", filter={"actors": ["RUS"]})
    url = f"/v1/webhooks/{created['id']}"
    patched = client.patch(url, json={"filter": {"movements": ["advance"]}}, headers=AUTH)
    assert patched.status_code == 200
    assert patched.json()["filter"]["movements"] == ["advance"]
    assert patched.json()["filter"]["actors"] is None  # a filter is replaced whole
    assert patched.json()["description"] == "before"
    off = client.patch(url, json={"active": False}, headers=AUTH).json()
    assert off["active"] is False
    assert off["disabled_reason"]
    on = client.patch(url, json={"active": True}, headers=AUTH).json()
    assert on["active"] is True
    assert on["disabled_reason"] is None
    assert client.delete(url, headers=AUTH).status_code == 204
    assert client.get(url, headers=AUTH).status_code == 404
    assert client.delete(url, headers=AUTH).status_code == 404


@pytest.mark.parametrize(
    ("method", "path"),
    [
        pytest.param("post", "/v1/webhooks", id="create"),
        pytest.param("get", "/v1/webhooks", id="list"),
        pytest.param("get", "/v1/webhooks/wh_x", id="read"),
        pytest.param("patch", "/v1/webhooks/wh_x", id="patch"),
        pytest.param("delete", "/v1/webhooks/wh_x", id="delete"),
        pytest.param("get", "/v1/webhooks/wh_x/deliveries", id="deliveries"),
        pytest.param("post", "/v1/webhooks/wh_x/replay?since=2026-01-01T00:00:00Z", id="replay"),
    ],
)
def test_every_webhook_endpoint_needs_an_accepted_key(
    client: TestClient, method: str, path: str
) -> None:
    body: dict[str, Any] = {"json": {"url": PUBLIC}} if method in ("post", "patch") else {}
    missing = client.request(method, path, **body)
    assert missing.status_code == 401
    assert missing.json()["error"]["code"] == "unauthorized"
    wrong = client.request(method, path, headers={"Authorization": "Bearer nope"}, **body)
    assert wrong.status_code == 403
    assert wrong.json()["error"]["code"] == "forbidden"


@pytest.mark.parametrize(
    ("body", "field"),
    [
        pytest.param({"url": "ftp://93.184.215.14/x"}, "url", id="not-http"),
        pytest.param({"url": "http:///nohost"}, "url", id="no-host"),
        pytest.param({"url": "http://127.0.0.1:8080/hook"}, "url", id="loopback"),
        pytest.param({"url": "http://10.1.2.3/hook"}, "url", id="private"),
        pytest.param({"url": "http://169.254.169.254/latest"}, "url", id="metadata"),
        pytest.param({"url": "http://[::1]/hook"}, "url", id="ipv6-loopback"),
        pytest.param({"url": "https://user:pw@93.184.215.14/x"}, "url", id="credentials"),
        pytest.param({}, "url", id="missing-url"),
        pytest.param({"url": PUBLIC, "filter": {"types": ["nope"]}}, "filter.types.0", id="type"),
        pytest.param(
            {"url": PUBLIC, "filter": {"min_sources": 0}}, "filter.min_sources", id="min-sources"
        ),
        pytest.param({"url": PUBLIC, "extra": 1}, "extra", id="unknown-field"),
    ],
)
def test_invalid_create_is_422_naming_the_field(
    client: TestClient, body: dict[str, Any], field: str
) -> None:
    response = client.post("/v1/webhooks", json=body, headers=AUTH)
    assert response.status_code == 422, response.text
    assert response.json()["error"]["field"] == field
    assert client.get("/v1/webhooks", headers=AUTH).json()["items"] == []


def test_patch_to_a_private_url_is_refused(client: TestClient) -> None:
    created = _create(client)
    response = client.patch(
        f"/v1/webhooks/{created['id']}", json={"url": "http://192.168.1.1/x"}, headers=AUTH
    )
    assert response.status_code == 422
    assert response.json()["error"]["field"] == "url"


def test_loopback_targets_are_accepted_when_private_urls_are_allowed(tmp_path: Path) -> None:
    with _client(tmp_path, allow_private_urls=True) as client:
        response = client.post(
            "/v1/webhooks", json={"url": "http://127.0.0.1:9/hook"}, headers=AUTH
        )
    assert response.status_code == 201


@pytest.mark.parametrize(
    "path",
    [
        pytest.param("/v1/webhooks/wh_missing", id="read"),
        pytest.param("/v1/webhooks/wh_missing/deliveries", id="deliveries"),
    ],
)
def test_unknown_webhook_is_404(client: TestClient, path: str) -> None:
    response = client.get(path, headers=AUTH)
    assert response.status_code == 404
    assert response.json()["error"]["code"] == "not_found"


def test_replay_of_unknown_webhook_is_404_and_since_is_required(client: TestClient) -> None:
    missing = client.post("/v1/webhooks/wh_missing/replay?since=2026-01-01T00:00:00Z", headers=AUTH)
    assert missing.status_code == 404
    created = _create(client)
    no_since = client.post(f"/v1/webhooks/{created['id']}/replay", headers=AUTH)
    assert no_since.status_code == 422
    assert no_since.json()["error"]["field"] == "since"


def test_bad_deliveries_cursor_is_422(client: TestClient) -> None:
    created = _create(client)
    response = client.get(f"/v1/webhooks/{created['id']}/deliveries?cursor=garbage", headers=AUTH)
    assert response.status_code == 422
    assert response.json()["error"]["field"] == "cursor"


def test_static_webhooks_are_listed_and_read_only(tmp_path: Path) -> None:
    secret = new_secret()
    static = [{"url": "https://hooks.example/static", "secret": secret}]
    with _client(tmp_path, webhooks=static) as client:
        (listed,) = client.get("/v1/webhooks", headers=AUTH).json()["items"]
        assert listed["static"] is True
        assert listed["url"] == "https://hooks.example/static"
        url = f"/v1/webhooks/{listed['id']}"
        assert client.patch(url, json={"active": False}, headers=AUTH).status_code == 409
        assert client.delete(url, headers=AUTH).status_code == 409
    # Removed from the settings: disabled at the next start, not silently kept sending.
    with _client(tmp_path) as client:
        (kept,) = client.get("/v1/webhooks", headers=AUTH).json()["items"]
        assert kept["active"] is False
