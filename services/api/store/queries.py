"""SELECT builders for the store's listings: filters, full-text search and keyset pages.

Consumes listing parameters (already validated types) and emits SQLAlchemy ``Select``
statements; the repository executes them. Listings are newest first by ``(published_at, id)``
and page by keyset ("rows strictly before the last one served"), so rows inserted while a
client pages never shift, repeat or hide the rows it has yet to see. Full-text search means
"every word of q, stemmed" on both dialects: FTS5 MATCH with each word quoted on SQLite,
``plainto_tsquery`` on PostgreSQL.
"""

from __future__ import annotations

import re
from datetime import datetime

from sqlalchemy import (
    ColumnElement,
    Select,
    and_,
    false,
    func,
    literal,
    literal_column,
    or_,
    select,
    text,
    true,
    tuple_,
)

from services.api.store.cursor import Position
from services.api.store.schema import (
    PG_SEARCH_DOCUMENT,
    SQLITE_FTS_TABLE,
    UtcDateTime,
    claims,
    entities,
    items,
)

__all__ = ["after", "claims_filters", "item_filters", "search_terms"]

_WORD = re.compile(r"\w+")
_SUMMARY_COLUMNS = (
    "item_id",
    "version",
    "feed_url",
    "feed_name",
    "url",
    "title",
    "language",
    "published_at",
    "published_at_estimated",
    "claims_count",
)


def search_terms(q: str) -> list[str]:
    """Return the words of a free-text query; punctuation and FTS operators are dropped."""
    return _WORD.findall(q)


def _matches(column: ColumnElement[str | None], value: str) -> ColumnElement[bool]:
    # lower() on both sides: SQLite's lower() folds ASCII only, so folding the argument in
    # Python would disagree with the stored side on non-ASCII text.
    return func.lower(column) == func.lower(value)


def _fulltext(dialect: str, q: str) -> ColumnElement[bool]:
    terms = search_terms(q)
    if not terms:
        return false()
    if dialect == "postgresql":
        document: ColumnElement[str] = literal_column(PG_SEARCH_DOCUMENT.format(t="items."))
        query = func.plainto_tsquery(literal_column("'english'"), " ".join(terms))
        return document.op("@@", is_comparison=True)(query)
    # Quoting each word makes it a phrase of one token: no FTS5 syntax can leak through.
    match = " ".join(f'"{term}"' for term in terms)
    hits: Select[tuple[int]] = (
        select(literal_column("rowid"))
        .select_from(text(SQLITE_FTS_TABLE))
        .where(text(f"{SQLITE_FTS_TABLE} MATCH :fts_query").bindparams(fts_query=match))
    )
    return items.c.id.in_(hits)


def after(
    columns: tuple[ColumnElement[datetime], ColumnElement[str]], position: Position
) -> ColumnElement[bool]:
    """Return "sorts after ``position`` in newest-first order" as a row-value comparison."""
    return tuple_(*columns) < tuple_(
        literal(position.published_at, UtcDateTime()), literal(position.row_id)
    )


def item_filters(
    dialect: str,
    *,
    since: datetime | None,
    until: datetime | None,
    feed: str | None,
    entity: str | None,
    has_claims: bool | None,
    q: str | None,
) -> Select[tuple[object, ...]]:
    """Return the newest-first item summary query with every given filter applied."""
    query = select(*(items.c[name] for name in _SUMMARY_COLUMNS))
    conditions: list[ColumnElement[bool]] = [true()]
    if since is not None:
        conditions.append(items.c.published_at >= since)
    if until is not None:
        conditions.append(items.c.published_at < until)
    if feed is not None:
        conditions.append(items.c.feed_url == feed)
    if entity is not None:
        mentioned = select(entities.c.item_id).where(
            or_(_matches(entities.c.canonical_id, entity), _matches(entities.c.text, entity))
        )
        conditions.append(items.c.item_id.in_(mentioned))
    if has_claims is not None:
        conditions.append(items.c.claims_count > 0 if has_claims else items.c.claims_count == 0)
    if q is not None:
        conditions.append(_fulltext(dialect, q))
    return query.where(and_(*conditions)).order_by(
        items.c.published_at.desc(), items.c.item_id.desc()
    )


def _party(prefix: str, value: str) -> ColumnElement[bool]:
    return or_(
        _matches(claims.c[f"{prefix}_id"], value), _matches(claims.c[f"{prefix}_text"], value)
    )


def claims_filters(
    *,
    actor: str | None,
    claimant: str | None,
    movement: str | None,
    polarity: str | None,
    location: str | None,
    since: datetime | None,
) -> Select[tuple[object, ...]]:
    """Return the newest-first claims query with every given filter applied."""
    conditions: list[ColumnElement[bool]] = [true()]
    for prefix, value in (("actor", actor), ("claimant", claimant), ("location", location)):
        if value is not None:
            conditions.append(_party(prefix, value))
    if movement is not None:
        conditions.append(claims.c.movement == movement.lower())
    if polarity is not None:
        conditions.append(claims.c.polarity == polarity.lower())
    if since is not None:
        conditions.append(claims.c.published_at >= since)
    return (
        select(claims)
        .where(and_(*conditions))
        .order_by(claims.c.published_at.desc(), claims.c.claim_id.desc())
    )
