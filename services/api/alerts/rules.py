"""The alert engine's decision rules, as pure functions of claim and cluster rows.

Consumes ``claims`` / ``clusters`` rows (mappings) and emits keys, dispute verdicts and diffs:

- **key**: a claim's fingerprint split into actor, movement, place and polarity keys (rebuilt
  from its columns when an older extractor left the fingerprint empty);
- **dispute**: two clusters of opposite polarity and the same movement dispute each other when
  neither actor nor place conflicts and at least one of them is the same non-empty key on both
  sides. A side that leaves the actor or the place open (empty, or a place the gazetteer could
  not resolve, like "the border") matches anything there: "Russian troops are not crossing the
  border" disputes "Russian troops crossed into Ukraine", but two claims open on both actor and
  place say too little to be linked;
- **diff**: a later claim changes a cluster's picture when it gives a size the cluster lacks or a
  different one, or places the movement differently (another relation, or place words the
  cluster's place text does not already contain).
"""

from __future__ import annotations

import json
import re
from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any, Literal

from sqlalchemy import RowMapping

__all__ = [
    "ClaimKey",
    "alertable",
    "claim_key",
    "diff_json",
    "dispute_rule",
    "opposite",
    "picture_diff",
]

Row = Mapping[str, Any] | RowMapping
_STOP = {"the", "a", "an", "of", "with", "in", "on", "at", "near", "to", "into", "from", "and"}
_WORD = re.compile(r"\w+", re.UNICODE)
# Word stems by prefix: "Ukraine" / "Ukrainian", "border" / "borders" compare equal.
_STEM = 5


@dataclass(frozen=True, slots=True)
class ClaimKey:
    """The parts of a fingerprint: canonical actor, movement, canonical place, polarity."""

    actor: str
    movement: str
    place: str
    polarity: str

    @property
    def fingerprint(self) -> str:
        return "|".join((self.actor, self.movement, self.place, self.polarity))


def _column_key(canonical_id: str | None, text: str | None) -> str:
    if canonical_id:
        return canonical_id.lower()
    return " ".join(_WORD.findall((text or "").lower()))


def claim_key(claim: Row) -> ClaimKey:
    """The claim's novelty key; the stored fingerprint when it has four parts."""
    parts = (claim["fingerprint"] or "").split("|")
    if len(parts) == 4:
        return ClaimKey(*parts)
    return ClaimKey(
        _column_key(claim["actor_id"], claim["actor_text"]),
        claim["movement"],
        _column_key(claim["location_id"], claim["location_text"]),
        claim["polarity"],
    )


def alertable(key: ClaimKey) -> bool:
    """Whether a claim says enough to alert on: whose forces, or where. Claims naming neither
    ("the redeployment had begun") are clustered and counted but raise nothing."""
    return bool(key.actor or key.place)


def opposite(polarity: str) -> str | None:
    """The polarity that disputes ``polarity``; None for an unspecified one."""
    return {"asserted": "denied", "denied": "asserted"}.get(polarity)


def _relation(a: str, b: str, *, a_open: bool, b_open: bool) -> Literal["same", "open", "no"]:
    if a == b:
        return "same"
    return "open" if a_open or b_open else "no"


def dispute_rule(new: Row, other: Row) -> Literal["exact", "partial"] | None:
    """How cluster ``other`` disputes cluster ``new`` ("exact": same actor and place;
    "partial": one side leaves actor or place open), or None when they do not.
    Both rows need actor_key, location_key, location_id, movement and polarity."""
    if new["movement"] != other["movement"] or opposite(new["polarity"]) != other["polarity"]:
        return None
    actor = _relation(
        new["actor_key"],
        other["actor_key"],
        a_open=not new["actor_key"],
        b_open=not other["actor_key"],
    )
    place = _relation(
        new["location_key"],
        other["location_key"],
        a_open=not new["location_id"],
        b_open=not other["location_id"],
    )
    if "no" in (actor, place):
        return None
    concrete = (actor == "same" and bool(new["actor_key"])) or (
        place == "same" and bool(new["location_key"])
    )
    if not concrete:
        return None
    return "exact" if actor == "same" and place == "same" else "partial"


def _place_words(text: str | None) -> frozenset[str]:
    words = _WORD.findall((text or "").lower())
    return frozenset(w[:_STEM] for w in words if w not in _STOP)


def picture_diff(cluster: Row, claim: Row) -> dict[str, list[Any]]:
    """Attributes ``claim`` changes in ``cluster``'s picture, as {"name": [old, new]}; empty
    when it repeats what the cluster already says."""
    diff: dict[str, list[Any]] = {}
    if claim["size_min"] is not None or claim["size_text"]:
        new_range = (claim["size_min"], claim["size_max"])
        if cluster["size_text"] is None and cluster["size_min"] is None:
            diff["size"] = [None, claim["size_text"]]
        elif new_range != (cluster["size_min"], cluster["size_max"]):
            diff["size"] = [cluster["size_text"], claim["size_text"]]
    if claim["location_text"]:
        new_words = _place_words(claim["location_text"])
        if not new_words <= _place_words(cluster["location_text"]):
            diff["location"] = [cluster["location_text"], claim["location_text"]]
        old_rel, new_rel = cluster["location_relation"], claim["location_relation"]
        if old_rel and new_rel and old_rel != new_rel:
            diff["relation"] = [old_rel, new_rel]
    return diff


def diff_json(diff: Mapping[str, list[Any]]) -> str:
    """The diff as the compact JSON text the Alert message carries."""
    return json.dumps(diff, separators=(",", ":"), sort_keys=True) if diff else ""
