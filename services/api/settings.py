"""The api's settings: where to listen, which database, who may write."""

from __future__ import annotations

from pydantic import Field, SecretStr, field_validator, model_validator

from services.config import CommonSettings, CsvList, reject_placeholder

__all__ = ["ApiSettings", "normalise_database_url"]

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
