"""The api's settings: where to listen, which database, who may write."""

from __future__ import annotations

from pydantic import BaseModel, ConfigDict, Field, SecretStr, field_validator, model_validator

from services.api.models import WebhookFilter
from services.api.webhooks.schedule import parse_schedule
from services.api.webhooks.signing import validate_secret
from services.config import CommonSettings, CsvList, reject_placeholder

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


class ApiSettings(CommonSettings):
    """``WIREWATCH_*`` settings read by ``wirewatch api``."""

    api_host: str = Field(default="127.0.0.1", description="Interface the HTTP API binds.")
    api_port: int = Field(default=8000, ge=0, le=65535)
    database_url: str | None = Field(
        default=None,
        description="SQLAlchemy URL; unset = SQLite file `wirewatch.sqlite3` in the data dir.",
    )
    api_keys: CsvList = Field(
        default_factory=list, description="Comma-separated API keys (Bearer) for write endpoints."
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
    webhook_retry_schedule: str = Field(
        default="",
        description="Comma-separated seconds between attempts; empty = 5,30,120,600,1800,"
        "3600,10800, then 21600 until 3 days.",
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
    def _check_schedule(cls, value: str) -> str:
        parse_schedule(value)
        return value

    @model_validator(mode="after")
    def _check_lease(self) -> ApiSettings:
        if self.webhook_lease_s <= self.webhook_timeout_s:
            raise ValueError("webhook_lease_s must exceed webhook_timeout_s")
        return self

    @property
    def webhook_retry_delays(self) -> tuple[float, ...]:
        """The retry waits in effect, in seconds."""
        return parse_schedule(self.webhook_retry_schedule)

    @field_validator("database_url")
    @classmethod
    def _check_database_url(cls, value: str | None) -> str | None:
        return normalise_database_url(value) if value else None

    @model_validator(mode="after")
    def _check_keys(self) -> ApiSettings:
        for key in self.api_keys:
            reject_placeholder(SecretStr(key))
        return self

    @property
    def database(self) -> str:
        """The database URL in effect."""
        if self.database_url:
            return self.database_url
        return f"sqlite+aiosqlite:///{(self.data_dir / 'wirewatch.sqlite3').as_posix()}"

    @property
    def keys(self) -> tuple[SecretStr, ...]:
        return tuple(SecretStr(k) for k in self.api_keys)
