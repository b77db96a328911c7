"""Event time: finds the date expression that governs a movement ("On October 12",
"Tuesday", "next summer") and resolves the simple ones against the item's publication time.
Consumes a trigger token and its sentence; emits the phrase as written and, when it can, an
absolute UTC datetime (midnight of the day meant).
"""

from __future__ import annotations

import re
from datetime import UTC, datetime, timedelta

from spacy.tokens import Span, Token

from services.extract.claims import lexicon as lx
from services.extract.claims.syntax import lemma

_WEEKDAYS = ("monday", "tuesday", "wednesday", "thursday", "friday", "saturday", "sunday")
_MONTHS = (
    "january",
    "february",
    "march",
    "april",
    "may",
    "june",
    "july",
    "august",
    "september",
    "october",
    "november",
    "december",
)
_RELATIVE = {"today": 0, "yesterday": -1, "tomorrow": 1, "tonight": 0}


def time_phrase(tok: Token, sent: Span) -> Span | None:
    """The DATE entity attached to the trigger or a verb above it, stopping at the first
    reporting verb (so "..., he said on Tuesday" dates the report, not the move)."""
    chain = [tok.i]
    for anc in tok.ancestors:
        if not sent.start <= anc.i < sent.end or lemma(anc) in lx.REPORT_VERBS:
            break
        chain.append(anc.i)
    for ent in sent.ents:
        if ent.label_ not in ("DATE", "TIME"):
            continue
        head = ent.root.head
        if head.i not in chain and not (head.pos_ == "ADP" and head.head.i in chain):
            continue
        start = ent.start
        doc = sent.doc
        if start > sent.start and doc[start - 1].lower_ in ("on", "in", "since", "by"):
            start -= 1
        return doc[start : ent.end]
    return None


def resolve(text: str, published_at: datetime | None, future: bool) -> datetime | None:
    """Absolute date for weekday names, "Month Day" and today/yesterday/tomorrow, else None.
    Weekdays resolve to the nearest such day before publication (after it when `future`)."""
    if published_at is None:
        return None
    base = published_at.astimezone(UTC).replace(hour=0, minute=0, second=0, microsecond=0)
    low = text.lower()
    for word, delta in _RELATIVE.items():
        if re.search(rf"\b{word}\b", low):
            return base + timedelta(days=delta)
    for idx, name in enumerate(_WEEKDAYS):
        if re.search(rf"\b{name}\b", low):
            diff = (base.weekday() - idx) % 7
            if future:
                return base + timedelta(days=(idx - base.weekday()) % 7)
            return base - timedelta(days=diff)
    match = re.search(r"\b(" + "|".join(_MONTHS) + r")\s+(\d{1,2})\b(?:,?\s+(\d{4}))?", low)
    if match is not None:
        month = _MONTHS.index(match.group(1)) + 1
        year = int(match.group(3)) if match.group(3) else base.year
        try:
            when = base.replace(year=year, month=month, day=int(match.group(2)))
        except ValueError:
            return None
        if not match.group(3) and not future and when > base + timedelta(days=2):
            when = when.replace(year=year - 1)
        return when
    return None
