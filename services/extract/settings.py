"""Extract's settings: batch sizes, worker processes, limits."""

from __future__ import annotations

from pydantic import Field

from services.config import CommonSettings

__all__ = ["ExtractSettings"]


class ExtractSettings(CommonSettings):
    """``WIREWATCH_*`` settings read by ``wirewatch extract``."""

    extract_group_id: str = Field(default="wirewatch-extract", description="Consumer group.")
    extract_batch_size: int = Field(default=64, ge=1, le=4096, description="Records per batch.")
    extract_workers: int = Field(default=1, ge=1, le=64, description="Worker processes.")
    extract_max_chars: int = Field(
        default=100_000, ge=1000, description="Longer texts are cut before NLP (memory bound)."
    )
    extract_metrics_port: int = Field(
        default=9102, ge=0, le=65535, description="0 disables /metrics."
    )
