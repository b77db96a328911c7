"""The HTTP API over a real uvicorn server and a real database, on SQLite and PostgreSQL."""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator
from dataclasses import dataclass
from datetime import timedelta
from pathlib import Path
from typing import Any

import asyncpg
import httpx2
import pytest
from sqlalchemy.engine import make_url

from proto import Movement, Polarity
from services.api.service import run_api
from services.api.settings import ApiSettings
from services.api.store import Store
from services.broker import free_port
from tests.api.conftest import T0, _asyncpg_dsn, claim, enriched, mention

KEY = "k3y-for-tests-0123456789"


@dataclass
class Api:
    base: str
    client: httpx2.AsyncClient


async def _serve(settings: ApiSettings) -> AsyncIterator[Api]:
    stop = asyncio.Event()
    task = asyncio.create_task(run_api(settings, stop))
    base = f"http://127.0.0.1:{settings.api_port}"
    async with httpx2.AsyncClient(base_url=base, timeout=10) as client:
        for _ in range(200):
            try:
                if (await client.get("/healthz")).status_code == 200:
                    break
            except httpx2.TransportError:
                await asyncio.sleep(0.05)
        try:
            yield Api(base, client)
        finally:
            stop.set()
            await asyncio.wait_for(task, timeout=15)


async def _seed(url: str) -> None:
    async with await Store.open(url) as store:
        for index in range(25):
            published = T0 + timedelta(hours=index)
            if index % 5 == 0:
                message = enriched(
                    f"troops-{index}",
                    published_at=published,
                    title=f"Russian troops mass near Ukraine border ({index})",
                    body="NATO says Russia has moved 20,000 troops to the border.",
                    entities=[("Russia", "GPE", "RUS"), ("NATO", "ORG", "Q7184")],
                    claims=[
                        claim(
                            f"claim-{index}",
                            actor=mention("Russia", "RUS", "Russia"),
                            claimant=mention("NATO", "Q7184", "NATO"),
                            place=mention("Ukraine", "UKR", "Ukraine"),
                            polarity=Polarity.POLARITY_DENIED
                            if index == 10
                            else Polarity.POLARITY_ASSERTED,
                        )
                    ],
                    feed_url="https://wire.example/world.rss",
                )
            else:
                message = enriched(f"markets-{index}", published_at=published)
            await store.upsert_enriched(message)


@pytest.fixture
async def api(store_url: str, tmp_path: Path) -> AsyncIterator[Api]:
    await _seed(store_url)
    settings = ApiSettings(
        data_dir=tmp_path,
        database_url=store_url,
        api_port=free_port(),
        api_consume=False,
        api_keys=[KEY],
    )
    async for served in _serve(settings):
        yield served


async def _all_pages(client: httpx2.AsyncClient, path: str, **params: Any) -> list[dict[str, Any]]:
    seen: list[dict[str, Any]] = []
    cursor = None
    while True:
        response = await client.get(
            path, params={**params, **({"cursor": cursor} if cursor else {})}
        )
        assert response.status_code == 200, response.text
        body = response.json()
        seen.extend(body["items"])
        cursor = body["next_cursor"]
        if cursor is None:
            return seen


async def test_items_page_newest_first_through_every_item_once(api: Api) -> None:
    items = await _all_pages(api.client, "/v1/items", limit=7)
    assert len(items) == 25
    assert len({i["item_id"] for i in items}) == 25
    published = [i["published_at"] for i in items]
    assert published == sorted(published, reverse=True)


@pytest.mark.parametrize(
    ("params", "expected"),
    [
        ({"has_claims": "true"}, 5),
        ({"has_claims": "false"}, 20),
        ({"entity": "RUS"}, 5),
        ({"entity": "nato"}, 5),
        ({"q": "troops"}, 5),
        ({"feed": "https://wire.example/world.rss"}, 5),
        ({"since": "2026-03-02T18:00:00Z"}, 15),
        ({"until": "2026-03-02T18:00:00"}, 10),
    ],
    ids=[
        "has-claims",
        "no-claims",
        "entity-id",
        "entity-text",
        "q",
        "feed",
        "since",
        "until-naive",
    ],
)
async def test_item_filters(api: Api, params: dict[str, str], expected: int) -> None:
    assert len(await _all_pages(api.client, "/v1/items", **params)) == expected


async def test_item_detail_has_entities_and_claims(api: Api) -> None:
    body = (await api.client.get("/v1/items/troops-5")).json()
    assert {e["canonical_id"] for e in body["entities"]} == {"RUS", "Q7184"}
    (only,) = body["claims"]
    assert only["actor"]["canonical_id"] == "RUS"
    assert only["movement"] == "buildup"


@pytest.mark.parametrize(
    ("params", "expected"),
    [
        ({"actor": "RUS"}, 5),
        ({"actor": "russia"}, 5),
        ({"claimant": "Q7184"}, 5),
        ({"polarity": "denied"}, 1),
        ({"movement": "withdraw"}, 0),
        ({"location": "UKR"}, 5),
    ],
    ids=["actor-id", "actor-text", "claimant", "denied", "movement", "location"],
)
async def test_claim_filters(api: Api, params: dict[str, str], expected: int) -> None:
    assert len(await _all_pages(api.client, "/v1/claims", limit=2, **params)) == expected


async def test_claim_by_id(api: Api) -> None:
    assert (await api.client.get("/v1/claims/claim-0")).json()["claimant"]["text"] == "NATO"


@pytest.mark.parametrize(
    ("path", "field"),
    [
        ("/v1/items?limit=0", "limit"),
        ("/v1/items?limit=201", "limit"),
        ("/v1/items?limit=ten", "limit"),
        ("/v1/items?since=yesterday", "since"),
        ("/v1/items?has_claims=maybe", "has_claims"),
        ("/v1/items?cursor=not-a-cursor", "cursor"),
        ("/v1/claims?movement=flying", "movement"),
        ("/v1/claims?polarity=perhaps", "polarity"),
    ],
    ids=[
        "limit-0",
        "limit-201",
        "limit-text",
        "since",
        "has-claims",
        "cursor",
        "movement",
        "polarity",
    ],
)
async def test_invalid_parameters_are_422_naming_the_field(api: Api, path: str, field: str) -> None:
    response = await api.client.get(path)
    assert response.status_code == 422
    error = response.json()["error"]
    assert error["field"] == field
    assert error["status"] == 422
    assert error["code"] == "invalid_parameter"


@pytest.mark.parametrize("path", ["/v1/items/nope", "/v1/claims/nope", "/v1/nothing"])
async def test_unknown_ids_are_404_in_the_error_shape(api: Api, path: str) -> None:
    response = await api.client.get(path)
    assert response.status_code == 404
    assert response.json()["error"]["code"] == "not_found"


async def test_readyz_reports_database_and_disabled_consumer(api: Api) -> None:
    response = await api.client.get("/readyz")
    assert response.status_code == 200
    assert response.json()["checks"]["database"] == "ok"
    assert response.json()["checks"]["consumer"] == "disabled"


async def test_openapi_documents_every_list_with_an_example(api: Api) -> None:
    spec = (await api.client.get("/openapi.json")).json()
    for path in ("/v1/items", "/v1/items/{item_id}", "/v1/claims", "/v1/feeds"):
        assert path in spec["paths"]
        assert spec["paths"][path]["get"]["summary"]
    assert "example" in spec["components"]["schemas"]["ItemSummary"] or any(
        "examples" in s for s in spec["components"]["schemas"].values()
    )


@pytest.mark.parametrize(
    ("header", "status"),
    [(None, 401), ("Bearer wrong-key-0123456789abcdef", 403), (f"Bearer {KEY}", 200)],
    ids=["no-key", "wrong-key", "right-key"],
)
async def test_reads_need_a_key_when_configured(
    tmp_path: Path, header: str | None, status: int
) -> None:
    url = f"sqlite+aiosqlite:///{tmp_path / 'keyed.db'}"
    await _seed(url)
    settings = ApiSettings(
        data_dir=tmp_path,
        database_url=url,
        api_port=free_port(),
        api_consume=False,
        api_keys=[KEY],
        require_key_for_reads=True,
    )
    async for served in _serve(settings):
        headers = {"Authorization": header} if header else {}
        response = await served.client.get("/v1/items", headers=headers)
        assert response.status_code == status
        if status != 200:
            assert response.json()["error"]["status"] == status
        assert (await served.client.get("/healthz")).status_code == 200


@pytest.mark.postgres
@pytest.mark.integration
async def test_database_outage_is_503_with_retry_after_then_recovers(
    store_url: str, tmp_path: Path, postgres_admin_url: tuple[str | None, str]
) -> None:
    """PostgreSQL refusing our role answers 503 + Retry-After (never 500); service resumes."""
    admin_url, _ = postgres_admin_url
    if not store_url.startswith("postgresql") or admin_url is None:
        pytest.skip("needs PostgreSQL: SQLite files cannot be taken away from an open pool")
    role = make_url(store_url).username
    await _seed(store_url)
    settings = ApiSettings(
        data_dir=tmp_path, database_url=store_url, api_port=free_port(), api_consume=False
    )
    admin = await asyncpg.connect(_asyncpg_dsn(admin_url), timeout=10)
    try:
        async for served in _serve(settings):
            assert (await served.client.get("/v1/items")).status_code == 200
            await admin.execute(f"ALTER ROLE {role} CONNECTION LIMIT 0")
            await admin.execute(
                "SELECT pg_terminate_backend(pid) FROM pg_stat_activity WHERE usename = $1", role
            )
            response = await served.client.get("/v1/items?limit=3")
            ready = await served.client.get("/readyz")
            assert response.status_code == 503, response.text
            assert response.headers["Retry-After"]
            assert response.json()["error"]["code"] == "unavailable"
            assert ready.status_code == 503
            assert ready.json()["checks"]["database"].startswith("unavailable")
            await admin.execute(f"ALTER ROLE {role} CONNECTION LIMIT -1")
            assert (await served.client.get("/v1/items?limit=3")).status_code == 200
    finally:
        await admin.execute(f"ALTER ROLE {role} CONNECTION LIMIT -1")
        await admin.close()


def test_movements_and_polarities_are_the_proto_names() -> None:
    """The API's enum names are the proto enum names, lower-cased and unprefixed."""
    names = Movement.keys()  # an EnumTypeWrapper is not iterable itself
    short = {name.lower().removeprefix("movement_") for name in names} - {"unspecified"}
    assert short == {"buildup", "deploy", "advance", "withdraw"}
