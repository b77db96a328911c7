"""Settings shared by every service: the Kafka connection, the data dir, logging.

Each service defines one frozen pydantic-settings class that extends ``CommonSettings``
with its own fields; all read ``WIREWATCH_*`` environment variables. A class is built
once in the service's ``main()`` via ``load_settings`` and passed down; invalid values
stop start-up with one line that names the variable. Every list setting reads the same three
forms from the environment: comma-separated, a JSON list, or an empty value for none; an empty
value of a setting that may be unset leaves it unset.
"""

from __future__ import annotations

import json
import re
from pathlib import Path
from types import UnionType
from typing import Any, Literal, TypeVar, Union, get_args, get_origin

from pydantic import Field, SecretStr, ValidationError, ValidationInfo, field_validator
from pydantic_settings import BaseSettings, SettingsConfigDict

__all__ = ["CommonSettings", "SettingsError", "load_settings", "parse_list"]

ENV_PREFIX = "WIREWATCH_"
_PLACEHOLDERS = {"changeme", "change-me", "secret", "password", "xxx", "todo", "example"}
_BOOTSTRAP_RE = re.compile(r"^[A-Za-z0-9_.\-\[\]:]+:\d{1,5}$")
# A file name on every file system: pod names and host names fit; no "..", no separators.
_MEMBER_NAME_RE = re.compile(r"[A-Za-z0-9][A-Za-z0-9_.\-]{0,127}")


class SettingsError(Exception):
    """Raised when a setting is invalid; the message is one line naming the variable."""


def parse_list(value: object, *, csv: bool = True) -> object:
    """A list setting as users write it: ``a,b,c`` (when ``csv``), a JSON list, or empty = none.

    Anything but a string (a list given to the constructor) is left for validation.
    """
    if not isinstance(value, str):
        return value
    text = value.strip()
    if not text:
        return []
    if text.startswith("["):
        try:
            return json.loads(text)
        except json.JSONDecodeError as exc:
            detail = f"{exc.msg} at character {exc.pos}"
            raise ValueError(f"is not a valid JSON list ({detail})") from None
    if not csv:
        raise ValueError("expected a JSON list, or an empty value for none")
    return [part.strip() for part in text.split(",") if part.strip()]


def _optional(annotation: Any) -> bool:
    return get_origin(annotation) in (Union, UnionType) and type(None) in get_args(annotation)


def _list_item(annotation: Any) -> Any | None:
    """The item type when ``annotation`` is a list (or an optional list), else None."""
    if get_origin(annotation) is list:
        return (get_args(annotation) or (Any,))[0]
    for arm in get_args(annotation) if get_origin(annotation) is not None else ():
        if get_origin(arm) is list:
            return (get_args(arm) or (Any,))[0]
    return None


class CommonSettings(BaseSettings):
    """What every wirewatch process needs to know."""

    # Decoding off: pydantic-settings would JSON-decode list settings before validation, so
    # the documented `a,b` and an empty value could never reach `_from_env`.
    model_config = SettingsConfigDict(
        env_prefix=ENV_PREFIX,
        frozen=True,
        extra="ignore",
        validate_default=True,
        enable_decoding=False,
    )

    kafka_bootstrap: str | None = Field(
        default=None,
        description="Kafka bootstrap servers (host:port[,host:port]). Unset: `up` starts the "
        "embedded broker; the single-service commands require it.",
    )
    kafka_connect_timeout_s: float = Field(
        default=30,
        ge=0,
        le=3600,
        description="How long a command retries, with backoff, a broker it cannot reach at "
        "start-up before it exits with one line naming the bootstrap servers (0: one attempt).",
    )
    data_dir: Path = Field(
        default=Path("./data"), description="Local state: SQLite files, archive."
    )
    topic_partitions: int = Field(default=3, ge=1, le=1024, description="Partitions per topic.")
    log_level: Literal["debug", "info", "warning", "error"] = Field(default="info")
    log_format: Literal["console", "json"] = Field(default="console")
    kafka_session_timeout_s: float = Field(
        default=6,
        ge=1,
        le=300,
        description="Consumer-group session timeout: how soon a dead consumer's partitions move "
        "(6 s is also the lowest Apache Kafka accepts by default).",
    )
    kafka_rebalance_timeout_s: float = Field(
        default=3,
        ge=1,
        le=300,
        description="How long a rebalance waits for members to rejoin (aiokafka rejoins in the "
        "background, so a batch in flight does not have to finish within it).",
    )
    kafka_member_name: str | None = Field(
        default=None,
        description="This process's name in its consumer groups, unique among the processes "
        "that share a data dir (the pod name in Kubernetes). Set: the consumer's member id is "
        "kept under the data dir and the next process of that name leaves the group for it on "
        "start, so a killed consumer's partitions move at once. Unset: off.",
    )
    kafka_idempotence: bool = Field(
        default=False,
        description="Idempotent producer (Apache Kafka only; the embedded broker lacks it).",
    )
    metrics_host: str = Field(
        default="127.0.0.1",
        description="Interface the ingest and extract /metrics servers bind (0.0.0.0 in "
        "containers, so Prometheus can reach them).",
    )

    @field_validator("*", mode="before")
    @classmethod
    def _from_env(cls, value: object, info: ValidationInfo) -> object:
        """Every setting of every subclass as users write it: a list is comma-separated (of
        strings or numbers), a JSON list, or empty = none; an empty optional setting is unset."""
        field = cls.model_fields.get(info.field_name or "")
        if field is None:
            return value
        item = _list_item(field.annotation)
        if item is not None:
            return parse_list(value, csv=item in (str, int, float))
        if isinstance(value, str) and not value.strip() and _optional(field.annotation):
            return None
        return value

    @field_validator("kafka_bootstrap")
    @classmethod
    def _check_bootstrap(cls, value: str | None) -> str | None:
        if value is None or value == "":
            return None
        for server in value.split(","):
            if not _BOOTSTRAP_RE.match(server.strip()):
                raise ValueError(f"expected host:port[,host:port], got {server.strip()!r}")
        return value

    @field_validator("kafka_member_name")
    @classmethod
    def _check_member_name(cls, value: str | None) -> str | None:
        if value is None or value == "":
            return None
        if not _MEMBER_NAME_RE.fullmatch(value):
            raise ValueError(
                "expected 1-128 letters, digits, '.', '_' or '-', starting with a letter or digit"
            )
        return value

    @property
    def bootstrap(self) -> str:
        """The bootstrap servers; raises ``SettingsError`` when none is configured."""
        if not self.kafka_bootstrap:
            raise SettingsError(
                f"{ENV_PREFIX}KAFKA_BOOTSTRAP is not set: point it at a broker "
                "(or use `wirewatch up`, which starts the embedded one)"
            )
        return self.kafka_bootstrap


def reject_placeholder(secret: SecretStr) -> SecretStr:
    """Refuse obviously placeholder secrets ("changeme", short keys)."""
    raw = secret.get_secret_value()
    if raw.lower() in _PLACEHOLDERS or len(raw) < 16:
        raise ValueError("is a placeholder or shorter than 16 characters")
    return secret


S = TypeVar("S", bound=BaseSettings)


def load_settings(cls: type[S], **overrides: Any) -> S:
    """Build a settings class from the environment, turning errors into ``SettingsError``."""
    try:
        return cls(**overrides)
    except ValidationError as exc:
        first = exc.errors()[0]
        field, *inner = first["loc"] or ("?",)
        where = "".join(f"[{part}]" if isinstance(part, int) else f".{part}" for part in inner)
        detail = f"{where.lstrip('.')}: " if where else ""
        name = f"{ENV_PREFIX}{str(field).upper()}"
        raise SettingsError(f"invalid setting {name}: {detail}{first['msg']}") from None
