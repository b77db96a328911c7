"""A lean request path for the hot read endpoints, with FastAPI's documentation and checks.

FastAPI resolves every declared parameter and dependency of a route on every request: for a
listing with eight optional query parameters that machinery costs more than a trivial
endpoint's whole request. ``QueryRoute`` keeps the route exactly as declared (the OpenAPI
operation, its parameters, constraints and examples are FastAPI's own) but answers requests
with a handler that

- checks read access (``require_read``) itself, instead of through the dependency system;
- validates only the query parameters present, each with the very pydantic validator FastAPI
  built for it (same coercions, constraints and messages); absent ones take their default;
- calls the endpoint with ``request`` and those values, and returns its ``Response`` as is.

The endpoint must be ``async``, take ``request: Request`` and otherwise only query
parameters, and return a ``Response``; the route checks this when it is created, so a route
that needs more of FastAPI fails at import, not at run time.
"""

from __future__ import annotations

from collections.abc import Callable, Coroutine, Sequence
from typing import Any

from fastapi import Request, Response, routing
from fastapi.exceptions import RequestValidationError
from fastapi.routing import APIRoute

from services.api.auth import require_read

__all__ = ["QueryRoute"]

_IMMUTABLE = (type(None), bool, int, float, str)
Handler = Callable[[Request], Coroutine[Any, Any, Response]]


def _dependant(route: APIRoute) -> Any:
    """The dependant FastAPI serves ``route`` with: where a router includes it, the
    including context's (which adds that router's dependencies), else the route's own."""
    context = getattr(routing, "_effective_route_context_var", None)
    effective = context.get() if context is not None else None
    if effective is not None and getattr(effective, "original_route", None) is route:
        return effective.dependant
    return route.dependant


def _fields(route: APIRoute) -> Sequence[Any]:
    dependant = _dependant(route)
    unsupported = (
        dependant.path_params
        or dependant.header_params
        or dependant.cookie_params
        or dependant.body_params
        or dependant.dependencies
    )
    if unsupported or dependant.request_param_name != "request":
        raise TypeError(
            f"QueryRoute {route.path}: the endpoint may take only `request: Request` and "
            "query parameters (read access is checked by the route itself)"
        )
    for field in dependant.query_params:
        if field.field_info.is_required():
            raise TypeError(f"QueryRoute {route.path}: parameter {field.name} needs a default")
        if not isinstance(field.default, _IMMUTABLE):
            # The default is shared by every request, so it must not be mutable.
            raise TypeError(f"QueryRoute {route.path}: default of {field.name} is mutable")
    fields: Sequence[Any] = dependant.query_params
    return fields


class QueryRoute(APIRoute):
    """An ``APIRoute`` for read endpoints whose inputs are query parameters only."""

    def get_route_handler(self) -> Handler:
        fields = [(field, field.alias, field.name, field.default) for field in _fields(self)]
        endpoint = self.endpoint

        async def handler(request: Request) -> Response:
            await require_read(request)
            received = request.query_params
            values: dict[str, Any] = {}
            for field, alias, name, default in fields:
                raw = received.get(alias)
                if raw is None:
                    values[name] = default  # defaults are immutable (None, numbers)
                    continue
                value, errors = field.validate(raw, values, loc=("query", alias))
                if errors:
                    raise RequestValidationError(errors)
                values[name] = value
            response: Response = await endpoint(request=request, **values)
            return response

        return handler
