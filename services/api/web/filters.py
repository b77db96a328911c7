"""The page's view filters: actor, movement, polarity and place, as they appear in its URL.

Consumes the query string of ``GET /`` (the same names the page's script writes with
``history.pushState``) and emits a ``ViewFilters`` that the server-rendered list passes to
``AlertStore.list_alerts`` and that renders back into the filter form and into links. Unknown
or malformed values are dropped rather than refused: a shared link with a stale value still
opens a page, just less filtered.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any
from urllib.parse import urlencode

__all__ = ["MAX_TEXT", "MOVEMENTS", "POLARITIES", "ViewFilters"]

MOVEMENTS = ("buildup", "deploy", "advance", "withdraw")
POLARITIES = ("asserted", "denied")
# The API's own limit on actor / location filters.
MAX_TEXT = 200


def _text(value: str | None) -> str | None:
    if value is None:
        return None
    cleaned = " ".join(value.split())
    if not cleaned or len(cleaned) > MAX_TEXT:
        return None
    return cleaned


def _choice(value: str | None, allowed: tuple[str, ...]) -> str | None:
    if value is None:
        return None
    lowered = value.strip().lower()
    return lowered if lowered in allowed else None


@dataclass(frozen=True, slots=True)
class ViewFilters:
    """What the list shows. ``None`` means "any"; ``place`` is the API's ``location``."""

    actor: str | None = None
    movement: str | None = None
    polarity: str | None = None
    place: str | None = None

    @classmethod
    def from_query(cls, params: Mapping[str, str]) -> ViewFilters:
        """Filters from a query string; blank, over-long or unknown values become ``None``."""
        return cls(
            actor=_text(params.get("actor")),
            movement=_choice(params.get("movement"), MOVEMENTS),
            polarity=_choice(params.get("polarity"), POLARITIES),
            place=_text(params.get("place")),
        )

    def is_empty(self) -> bool:
        """Whether no filter is set."""
        return not any((self.actor, self.movement, self.polarity, self.place))

    def store_kwargs(self) -> dict[str, Any]:
        """Keyword arguments for ``AlertStore.list_alerts`` (unset filters left out)."""
        found = {
            "actor": self.actor,
            "movement": self.movement,
            "polarity": self.polarity,
            "location": self.place,
        }
        return {key: value for key, value in found.items() if value is not None}

    def query(self, **changes: str | None) -> str:
        """The page's query string for these filters with ``changes`` applied ("" if none)."""
        values = {
            "actor": self.actor,
            "movement": self.movement,
            "polarity": self.polarity,
            "place": self.place,
        }
        values.update(changes)
        kept = [(key, value) for key, value in values.items() if value]
        return "?" + urlencode(kept) if kept else ""
