"""A resolver seam for the SSRF guard's tests: answers from a table, records every question."""

from __future__ import annotations

import asyncio
import ipaddress

__all__ = ["FakeResolver"]


class FakeResolver:
    """Answers from a table (IP literals resolve to themselves) and records every question."""

    def __init__(self, table: dict[str, list[str]], delay_s: float = 0.0) -> None:
        self.table = table
        self.delay_s = delay_s
        self.asked: list[tuple[str, int]] = []

    async def resolve(self, host: str, port: int) -> list[str]:
        self.asked.append((host, port))
        await asyncio.sleep(self.delay_s)
        try:
            ipaddress.ip_address(host)
        except ValueError:
            pass
        else:
            return [host]
        if host not in self.table:
            raise OSError(f"no such host {host}")
        return self.table[host]
