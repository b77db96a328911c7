"""API keys: Bearer tokens from ``WIREWATCH_API_KEYS``, compared in constant time.

Writes always need a key; reads need one only when ``WIREWATCH_REQUIRE_KEY_FOR_READS`` is
set. No key configured at all means writes are refused (403), never silently open.
"""

from __future__ import annotations

import hmac

from fastapi import HTTPException, Request
from fastapi.security import HTTPAuthorizationCredentials, HTTPBearer

__all__ = ["key_matches", "require_read", "require_write"]

_bearer = HTTPBearer(auto_error=False, description="An API key from WIREWATCH_API_KEYS.")


def key_matches(presented: str, keys: tuple[str, ...]) -> bool:
    """Whether ``presented`` equals one of ``keys``; every key is compared (constant time)."""
    found = False
    for key in keys:
        found |= hmac.compare_digest(presented.encode(), key.encode())
    return found


async def _check(request: Request, *, write: bool) -> None:
    settings = request.app.state.settings
    if not write and not settings.require_key_for_reads:
        return
    credentials: HTTPAuthorizationCredentials | None = await _bearer(request)
    if credentials is None:
        raise HTTPException(
            401,
            "an API key is required (Authorization: Bearer <key>)",
            headers={"WWW-Authenticate": "Bearer"},
        )
    keys = tuple(k.get_secret_value() for k in settings.keys)
    if not keys or not key_matches(credentials.credentials, keys):
        raise HTTPException(403, "this API key is not accepted")


async def require_read(request: Request) -> None:
    """Dependency of every read endpoint."""
    await _check(request, write=False)


async def require_write(request: Request) -> None:
    """Dependency of every write endpoint."""
    await _check(request, write=True)
