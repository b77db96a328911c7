"""One JSON error shape for every failure the HTTP API reports.

``{"error": {"status": 422, "code": "invalid_parameter", "message": "...", "field": "limit"}}``
— validation errors name the field, unknown ids give 404, an unreachable database gives
503 with Retry-After, and nothing ever answers with a traceback.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from typing import Any

from fastapi import FastAPI, Request
from fastapi.exceptions import RequestValidationError
from fastapi.responses import JSONResponse
from pydantic import BaseModel, Field
from starlette.exceptions import HTTPException as StarletteHTTPException

from services.api.store import InvalidCursor, StoreUnavailable
from services.logs import get_logger

__all__ = ["ErrorBody", "ErrorResponse", "error_response", "install_error_handlers"]

log = get_logger("api")

_CODES = {
    400: "bad_request",
    401: "unauthorized",
    403: "forbidden",
    404: "not_found",
    405: "method_not_allowed",
    409: "conflict",
    422: "invalid_parameter",
    429: "rate_limited",
    500: "internal",
    503: "unavailable",
}


class ErrorBody(BaseModel):
    status: int = Field(description="The HTTP status, repeated.")
    code: str = Field(description="Machine-readable error code.")
    message: str = Field(description="What went wrong, for humans.")
    field: str | None = Field(default=None, description="The offending parameter, if any.")


class ErrorResponse(BaseModel):
    """Every error the API returns has this shape."""

    error: ErrorBody

    model_config = {
        "json_schema_extra": {
            "example": {
                "error": {
                    "status": 422,
                    "code": "invalid_parameter",
                    "message": "Input should be less than or equal to 200",
                    "field": "limit",
                }
            }
        }
    }


def error_response(
    status: int, message: str, *, field: str | None = None, headers: Mapping[str, str] | None = None
) -> JSONResponse:
    body = ErrorResponse(
        error=ErrorBody(
            status=status, code=_CODES.get(status, "error"), message=message, field=field
        )
    )
    return JSONResponse(
        body.model_dump(), status_code=status, headers=dict(headers) if headers else None
    )


def _field_of(loc: Sequence[Any]) -> str | None:
    parts = [str(p) for p in loc if p not in ("query", "path", "body", "header")]
    return ".".join(parts) or None


def install_error_handlers(app: FastAPI) -> None:
    """Map validation, HTTP, store and unexpected errors to the one error shape."""

    @app.exception_handler(RequestValidationError)
    async def _invalid(_: Request, exc: RequestValidationError) -> JSONResponse:
        first = exc.errors()[0] if exc.errors() else {"loc": (), "msg": "invalid request"}
        return error_response(422, str(first["msg"]), field=_field_of(first["loc"]))

    @app.exception_handler(StarletteHTTPException)
    async def _http(_: Request, exc: StarletteHTTPException) -> JSONResponse:
        return error_response(exc.status_code, str(exc.detail), headers=exc.headers)

    @app.exception_handler(InvalidCursor)
    async def _cursor(_: Request, exc: InvalidCursor) -> JSONResponse:
        return error_response(422, str(exc) or "invalid cursor", field="cursor")

    @app.exception_handler(StoreUnavailable)
    async def _unavailable(_: Request, exc: StoreUnavailable) -> JSONResponse:
        log.warning("database unavailable", error=str(exc)[:200])
        return error_response(
            503, "the database is unavailable; retry shortly", headers={"Retry-After": "5"}
        )

    @app.exception_handler(Exception)
    async def _unexpected(_: Request, exc: Exception) -> JSONResponse:
        log.error("unhandled error", error=type(exc).__name__, detail=str(exc)[:300])
        return error_response(500, "internal error")
