"""Structured logging for every process: structlog over the standard library.

Keys follow a fixed vocabulary (feed_url, item_id, claim_id, topic, partition, offset,
attempt, duration_ms). Values that look like secrets are masked before rendering.
"""

from __future__ import annotations

import logging
import re
import sys
from collections.abc import MutableMapping
from typing import Any

import structlog

__all__ = ["configure_logging", "get_logger"]

_SECRET_KEYS = re.compile(r"(secret|password|token|api_key|authorization)", re.IGNORECASE)
_SECRET_VALUES = re.compile(r"(whsec_[A-Za-z0-9+/=]+|Bearer\s+\S+)")
_URL_CREDENTIALS = re.compile(r"(://[^:/@\s]+:)[^@\s]+@")


def _mask(text: str) -> str:
    text = _SECRET_VALUES.sub("***", text)
    return _URL_CREDENTIALS.sub(r"\1***@", text)


def _redact(_: Any, __: str, event: MutableMapping[str, Any]) -> MutableMapping[str, Any]:
    for key, value in list(event.items()):
        if _SECRET_KEYS.search(key):
            event[key] = "***"
        elif isinstance(value, str):
            event[key] = _mask(value)
    return event


def configure_logging(level: str = "info", fmt: str = "console") -> None:
    """Configure structlog once per process; safe to call again (it reconfigures)."""
    renderer: Any = (
        structlog.processors.JSONRenderer()
        if fmt == "json"
        else structlog.dev.ConsoleRenderer(colors=sys.stderr.isatty())
    )
    structlog.configure(
        processors=[
            structlog.contextvars.merge_contextvars,
            structlog.processors.add_log_level,
            structlog.processors.TimeStamper(fmt="iso", utc=True),
            _redact,
            structlog.processors.format_exc_info,
            renderer,
        ],
        wrapper_class=structlog.make_filtering_bound_logger(
            logging.getLevelNamesMapping()[level.upper()]
        ),
        logger_factory=structlog.PrintLoggerFactory(file=sys.stderr),
        cache_logger_on_first_use=False,
    )
    # Libraries log through the standard library; keep them quiet unless debugging.
    logging.basicConfig(
        level=logging.WARNING if level != "debug" else logging.DEBUG,
        format="%(asctime)s %(levelname)s %(name)s %(message)s",
    )
    logging.getLogger("aiokafka").setLevel(logging.ERROR if level != "debug" else logging.DEBUG)


def get_logger(name: str) -> structlog.stdlib.BoundLogger:
    """A logger bound with the component name."""
    logger: structlog.stdlib.BoundLogger = structlog.get_logger(component=name)
    return logger
