"""QueryRoute answers exactly as FastAPI's own route with the same declaration would:
same values reach the endpoint, same 422s naming the same field, same OpenAPI."""

from __future__ import annotations

import json
from datetime import datetime
from typing import Annotated, Literal

import pytest
from fastapi import APIRouter, Depends, FastAPI, Query, Request, Response
from fastapi.testclient import TestClient

from services.api.errors import install_error_handlers
from services.api.fastroute import QueryRoute
from services.api.settings import ApiSettings


async def _endpoint(
    request: Request,
    limit: Annotated[int, Query(ge=1, le=200)] = 50,
    since: Annotated[datetime | None, Query()] = None,
    flag: Annotated[bool | None, Query()] = None,
    kind: Annotated[Literal["a", "b"] | None, Query()] = None,
    name: Annotated[str | None, Query(min_length=1, max_length=5)] = None,
) -> Response:
    values = {"limit": limit, "since": since, "flag": flag, "kind": kind, "name": name}
    body = {k: v.isoformat() if isinstance(v, datetime) else v for k, v in values.items()}
    return Response(json.dumps(body), media_type="application/json")


def _app(route_class: type | None) -> FastAPI:
    app = FastAPI()
    app.state.settings = ApiSettings(database_url="sqlite+aiosqlite:///unused.db")
    install_error_handlers(app)
    router = APIRouter(route_class=route_class) if route_class else APIRouter()
    router.add_api_route("/x", _endpoint, methods=["GET"])
    app.include_router(router)
    return app


QUERIES = [
    "",
    "limit=7",
    "limit=0",
    "limit=201",
    "limit=abc",
    "limit=3&limit=9",
    "since=2026-01-02T03:04:05Z",
    "since=2026-01-02",
    "since=yesterday",
    "flag=true",
    "flag=0",
    "flag=maybe",
    "kind=b",
    "kind=c",
    "name=",
    "name=abcdef",
    "name=%C3%BC",
    "unknown=1&limit=5",
]


@pytest.mark.parametrize("query", QUERIES)
def test_same_answers_as_fastapi(query: str) -> None:
    with TestClient(_app(None)) as plain, TestClient(_app(QueryRoute)) as lean:
        expected, got = plain.get(f"/x?{query}"), lean.get(f"/x?{query}")
    assert (got.status_code, got.json()) == (expected.status_code, expected.json())


def test_same_openapi() -> None:
    assert _app(QueryRoute).openapi() == _app(None).openapi()


def test_reads_need_a_key_when_configured() -> None:
    app = _app(QueryRoute)
    app.state.settings = ApiSettings(
        database_url="sqlite+aiosqlite:///unused.db",
        api_keys=["key-one-0123456789abcdef"],
        require_key_for_reads=True,
    )
    with TestClient(app) as client:
        assert client.get("/x").status_code == 401
        assert client.get("/x", headers={"Authorization": "Bearer nope"}).status_code == 403
        key = {"Authorization": "Bearer key-one-0123456789abcdef"}
        assert client.get("/x", headers=key).status_code == 200


async def _with_dependency(request: Request, _: Annotated[None, Depends(lambda: None)]) -> Response:
    return Response()


async def _required(request: Request, q: Annotated[str, Query()]) -> Response:
    return Response()


@pytest.mark.parametrize("endpoint", [_with_dependency, _required])
def test_refuses_endpoints_it_cannot_serve(endpoint: object) -> None:
    router = APIRouter(route_class=QueryRoute)
    with pytest.raises(TypeError, match="QueryRoute"):
        router.add_api_route("/y", endpoint, methods=["GET"])  # type: ignore[arg-type]
