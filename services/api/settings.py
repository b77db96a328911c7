"""The api's settings: where to listen, which database, who may write."""

from __future__ import annotations

from urllib.parse import urlsplit

from pydantic import BaseModel, ConfigDict, Field, SecretStr, ValidationInfo, field_validator

from services.api.models import WebhookFilter
from services.api.webhooks.schedule import check_delays
from services.api.webhooks.signing import validate_secret
from services.config import CommonSettings, reject_placeholder
from services.outbound import redact

__all__ = ["ApiSettings", "StaticWebhookConfig", "normalise_database_url"]

_SCHEMES = {
    "sqlite": "sqlite+aiosqlite",
    "sqlite+aiosqlite": "sqlite+aiosqlite",
    "postgres": "postgresql+asyncpg",
    "postgresql": "postgresql+asyncpg",
    "postgresql+asyncpg": "postgresql+asyncpg",
}


def normalise_database_url(url: str) -> str:
    """Map ``sqlite://`` / ``postgresql://`` to their async drivers; refuse other schemes."""
    scheme, sep, rest = url.partition("://")
    if not sep or scheme not in _SCHEMES:
        raise ValueError("must start with sqlite+aiosqlite:/// or postgresql+asyncpg://")
    return f"{_SCHEMES[scheme]}://{rest}"


class StaticWebhookConfig(BaseModel):
    """One entry of ``WIREWATCH_WEBHOOKS``: a subscription kept in step with the settings."""

    model_config = ConfigDict(frozen=True, extra="forbid")

    url: str = Field(min_length=1, max_length=2048)
    secret: SecretStr = Field(description="whsec_ + base64 of 24 to 64 random bytes.")
    description: str = Field(default="", max_length=500)
    filter: WebhookFilter = Field(default_factory=WebhookFilter)

    @field_validator("secret")
    @classmethod
    def _check_secret(cls, value: SecretStr) -> SecretStr:
        validate_secret(value.get_secret_value())
        return value

    @field_validator("url")
    @classmethod
    def _check_url(cls, value: str) -> str:
        # Only the form is checked: a DNS hiccup must not stop the api from starting, and the
        # connect-time guard still refuses inward addresses on every send.
        try:
            parts = urlsplit(value)
        except ValueError:
            parts = None
        if parts is None or parts.scheme not in ("http", "https") or not parts.hostname:
            raise ValueError(f"{redact(value)} is not an http(s) URL with a host")
        return value


class ApiSettings(CommonSettings):
    """``WIREWATCH_*`` settings read by ``wirewatch api``."""

    api_host: str = Field(default="127.0.0.1", description="Interface the HTTP API binds.")
    api_port: int = Field(default=8000, ge=0, le=65535)
    database_url: str | None = Field(
        default=None,
        description="SQLAlchemy URL; unset = SQLite file `wirewatch.sqlite3` in the data dir.",
    )
    api_keys: list[str] = Field(
        default_factory=list,
        description="API keys (Bearer) for write endpoints: comma-separated or a JSON list; "
        "empty = none (writes refused).",
    )
    require_key_for_reads: bool = Field(default=False)
    api_group_id: str = Field(default="wirewatch-api", description="The sink's consumer group.")
    api_consume: bool = Field(
        default=True, description="Consume the enriched and status topics (off: HTTP only)."
    )
    novelty_window_s: float = Field(
        default=7 * 86_400,
        gt=0,
        description="A claim joins a cluster of its fingerprint last seen at most this long "
        "before (or after) it; later, it starts a new cluster and raises claim.new again.",
    )
    dispute_window_s: float = Field(
        default=30 * 86_400,
        gt=0,
        description="How far apart a claim and its denial may be to be linked as a dispute.",
    )
    alerts_publish: bool = Field(
        default=True, description="Publish every alert to the `alerts` topic (with the sink)."
    )

    allow_private_urls: bool = Field(
        default=False, description="Allow webhook URLs on loopback/private addresses (SSRF)."
    )
    webhooks: list[StaticWebhookConfig] = Field(
        default_factory=list,
        description='Static webhooks, JSON: [{"url": ..., "secret": "whsec_...", "filter": {}}].',
    )
    webhook_dispatch: bool = Field(default=True, description="Run the webhook dispatcher.")
    webhook_retry_schedule: list[float] = Field(
        default_factory=list,
        description="Seconds between attempts, comma-separated or a JSON list; empty = 5,30,"
        "120,600,1800,3600,10800, then 21600 until 3 days.",
    )
    webhook_retry_jitter: float = Field(default=0.1, ge=0, lt=1, description="± share of a wait.")
    webhook_timeout_s: float = Field(default=10.0, gt=0, le=60)
    webhook_lease_s: float = Field(
        default=60.0, gt=0, description="How long a claimed delivery is reserved to its sender."
    )
    webhook_poll_interval_s: float = Field(default=0.5, gt=0, le=60)
    webhook_concurrency: int = Field(default=8, ge=1, le=256)

    @field_validator("webhook_retry_schedule")
    @classmethod
    def _check_schedule(cls, value: list[float]) -> list[float]:
        check_delays(value)
        return value

    @field_validator("webhook_lease_s")
    @classmethod
    def _check_lease(cls, value: float, info: ValidationInfo) -> float:
        timeout = info.data.get("webhook_timeout_s")
        if timeout is not None and value <= timeout:
            raise ValueError(f"must exceed WIREWATCH_WEBHOOK_TIMEOUT_S ({timeout:g})")
        return value

    @property
    def webhook_retry_delays(self) -> tuple[float, ...]:
        """The retry waits in effect, in seconds."""
        return check_delays(self.webhook_retry_schedule)

    @field_validator("database_url")
    @classmethod
    def _check_database_url(cls, value: str | None) -> str | None:
        return normalise_database_url(value) if value else None

    @field_validator("api_keys")
    @classmethod
    def _check_keys(cls, value: list[str]) -> list[str]:
        for key in value:
            reject_placeholder(SecretStr(key))
        return value

    @property
    def database(self) -> str:
        """The database URL in effect."""
        if self.database_url:
            return self.database_url
        return f"sqlite+aiosqlite:///{(self.data_dir / 'wirewatch.sqlite3').as_posix()}"

    def prepare_data_dir(self) -> None:
        """Create the data dir when the default SQLite file is to live in it (a first start)."""
        if not self.database_url:
            self.data_dir.mkdir(parents=True, exist_ok=True)

    @property
    def keys(self) -> tuple[SecretStr, ...]:
        return tuple(SecretStr(k) for k in self.api_keys)
