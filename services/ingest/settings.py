"""Ingest's settings: which feeds, how politely to poll them, what to refuse."""

from __future__ import annotations

from pathlib import Path
from typing import Literal

from pydantic import Field, ValidationInfo, field_validator

from services.config import CommonSettings

__all__ = ["IngestSettings"]


class IngestSettings(CommonSettings):
    """``WIREWATCH_*`` settings read by ``wirewatch ingest``."""

    feeds_file: Path | None = Field(
        default=None, description="YAML feeds file; unset = the bundled list of world news feeds."
    )
    default_poll_interval_s: float = Field(default=300, gt=0)
    min_poll_interval_s: float = Field(
        default=30, ge=0, description="Floor of every feed's interval: protects publishers."
    )
    max_poll_interval_s: float = Field(default=3600, gt=0)
    backoff_cap_s: float = Field(default=3600, gt=0, description="Longest wait after errors.")
    allow_private_urls: bool = Field(
        default=False, description="Allow feeds on loopback/private addresses (SSRF guard off)."
    )
    contact: str = Field(
        default="", description="Contact (URL or e-mail) added to the User-Agent for publishers."
    )
    max_body_bytes: int = Field(default=10 * 1024 * 1024, gt=0)
    connect_timeout_s: float = Field(default=10, gt=0)
    read_timeout_s: float = Field(default=20, gt=0)
    total_timeout_s: float = Field(default=60, gt=0)
    max_connections: int = Field(default=50, ge=1)
    max_per_host: int = Field(default=4, ge=1)
    seen_retention_days: int = Field(default=90, ge=1)
    archive_retention_days: int = Field(
        default=30, ge=1, description="How long produced items are kept for replay."
    )
    full_text_concurrency: int = Field(
        default=4, ge=1, description="Article pages fetched at once for full_text feeds."
    )
    fault_inject: Literal["", "crash-after-produce"] = Field(
        default="",
        description="Tests only: crash-after-produce SIGKILLs ingest after the broker acked "
        "a batch and before it is marked seen, to prove a crash loses nothing.",
    )
    ingest_metrics_port: int = Field(
        default=9101, ge=0, le=65535, description="0 disables /metrics."
    )

    @field_validator("max_poll_interval_s")
    @classmethod
    def _check_intervals(cls, value: float, info: ValidationInfo) -> float:
        floor = info.data.get("min_poll_interval_s")
        if floor is not None and floor > value:
            raise ValueError(f"is below WIREWATCH_MIN_POLL_INTERVAL_S ({floor:g})")
        return value

    @property
    def state_path(self) -> Path:
        return self.data_dir / "ingest.sqlite3"

    @property
    def archive_path(self) -> Path:
        return self.data_dir / "archive.sqlite3"
