"""SELECT builders for the store's listings: filters, full-text search and keyset pages.

Consumes listing parameters (already validated types) and emits ``Listing``s: a SQLAlchemy
``Select`` plus the values of its bind parameters. The statement depends only on which
filters are given (its shape), so it is built once per shape and reused, and its compiled
form with it; the repository executes it. Listings are newest first by ``(published_at, id)``
and page by keyset ("rows strictly before the last one served"), so rows inserted while a
client pages never shift, repeat or hide the rows it has yet to see. Full-text search means
"every word of q, stemmed" on both dialects: FTS5 MATCH with each word quoted on SQLite,
``plainto_tsquery`` on PostgreSQL. Queries are shaped for the indexes of migration 0004.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from datetime import datetime
from functools import cache
from typing import Any

from sqlalchemy import (
    BindParameter,
    ColumnElement,
    Integer,
    Select,
    String,
    and_,
    bindparam,
    false,
    func,
    literal_column,
    or_,
    select,
    text,
    true,
    tuple_,
    union,
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

__all__ = ["Listing", "claims_page", "item_filters", "items_page", "search_terms"]

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
_PARTIES = ("actor", "claimant", "location")
# Every column a listed claim shows: updated_at would only cost a timestamp parse per row.
_CLAIM_COLUMNS = tuple(column for column in claims.c if column.name != "updated_at")


@dataclass(frozen=True, slots=True)
class Listing:
    """One page's query: a statement shared by every request of its shape, and the values
    of its bind parameters. When ``parts`` is given, the page is the newest ``page_size``
    distinct rows of their results together, each part already newest first; running them
    and merging the rows costs less than ``statement``, which gives the same page in one."""

    statement: Select[Any]
    params: dict[str, Any]
    parts: tuple[Select[Any], ...] = ()


def search_terms(q: str) -> list[str]:
    """Return the words of a free-text query; punctuation and FTS operators are dropped."""
    return _WORD.findall(q)


def _bind(name: str, type_: Any = None) -> BindParameter[Any]:
    return bindparam(name, type_=type_ if type_ is not None else String())


def _matches(column: ColumnElement[str | None], name: str) -> ColumnElement[bool]:
    # lower() on both sides: SQLite's lower() folds ASCII only, so folding the argument in
    # Python would disagree with the stored side on non-ASCII text.
    return func.lower(column) == func.lower(_bind(name))


def _after(columns: tuple[ColumnElement[datetime], ColumnElement[str]]) -> ColumnElement[bool]:
    """ "Sorts after the cursor's position in newest-first order", as a row-value comparison."""
    return tuple_(*columns) < tuple_(_bind("after_t", UtcDateTime()), _bind("after_id"))


def _fts_hits() -> Select[tuple[int]]:
    return (
        select(literal_column("rowid"))
        .select_from(text(SQLITE_FTS_TABLE))
        .where(text(f"{SQLITE_FTS_TABLE} MATCH :fts_query").bindparams(_bind("fts_query")))
    )


def _fulltext(dialect: str) -> ColumnElement[bool]:
    if dialect == "postgresql":
        document: ColumnElement[str] = literal_column(PG_SEARCH_DOCUMENT.format(t="items."))
        query = func.plainto_tsquery(literal_column("'english'"), _bind("fts_query"))
        return document.op("@@", is_comparison=True)(query)
    return items.c.id.in_(_fts_hits())


def _fts_value(dialect: str, terms: list[str]) -> str:
    if dialect == "postgresql":
        return " ".join(terms)
    # Quoting each word makes it a phrase of one token: no FTS5 syntax can leak through.
    return " ".join(f'"{term}"' for term in terms)


@cache  # bounded: one entry per shape, a few hundred at most
def _items_statement(
    dialect: str,
    paged: bool,
    since: bool,
    until: bool,
    feed: bool,
    entity: bool,
    has_claims: bool | None,
    search: bool | None,
) -> Select[Any]:
    """The items query of one shape; ``search`` is None without q, False for a q of no words."""
    keyset = (items.c.published_at, items.c.item_id)
    order = (items.c.published_at.desc(), items.c.item_id.desc())
    conditions: list[ColumnElement[bool]] = [_after(keyset)] if paged else []
    if since:
        conditions.append(items.c.published_at >= _bind("since", UtcDateTime()))
    if until:
        conditions.append(items.c.published_at < _bind("until", UtcDateTime()))
    if search and dialect == "sqlite" and not (feed or entity or has_claims is not None):
        # The hits' sort keys come from a covering index instead of each hit's row, which
        # SQLite reads through the whole text to reach published_at; then only the page's
        # rows are read. INDEXED BY, because the planner prefers the rowid lookup (and
        # SQLAlchemy's SQLite compiler renders no table hints).
        hit = (
            text(
                "SELECT id, published_at, item_id FROM items "
                "INDEXED BY ix_items_id_published_at_item_id"
            )
            .columns(id=Integer(), published_at=UtcDateTime(), item_id=String())
            .subquery("hit")
        ).c
        hit_conditions: list[ColumnElement[bool]] = [hit.id.in_(_fts_hits())]
        if paged:
            hit_conditions.append(_after((hit.published_at, hit.item_id)))
        if since:
            hit_conditions.append(hit.published_at >= _bind("since", UtcDateTime()))
        if until:
            hit_conditions.append(hit.published_at < _bind("until", UtcDateTime()))
        page = (
            select(hit.id)
            .where(*hit_conditions)
            .order_by(hit.published_at.desc(), hit.item_id.desc())
            .limit(_bind("page_size", Integer()))
        )
        return (
            select(*(items.c[name] for name in _SUMMARY_COLUMNS))
            .where(items.c.id.in_(page))
            .order_by(*order)
        )
    if feed:
        conditions.append(items.c.feed_url == _bind("feed"))
    if entity:
        mentioned = select(entities.c.item_id).where(
            or_(_matches(entities.c.canonical_id, "entity"), _matches(entities.c.text, "entity"))
        )
        conditions.append(items.c.item_id.in_(mentioned))
    if has_claims is not None:
        conditions.append(items.c.claims_count > 0 if has_claims else items.c.claims_count == 0)
    if search is not None:
        conditions.append(_fulltext(dialect) if search else false())
    return (
        select(*(items.c[name] for name in _SUMMARY_COLUMNS))
        .where(and_(true(), *conditions))
        .order_by(*order)
        .limit(_bind("page_size", Integer()))
    )


def items_page(
    dialect: str,
    *,
    position: Position | None,
    limit: int,
    since: datetime | None,
    until: datetime | None,
    feed: str | None,
    entity: str | None,
    has_claims: bool | None,
    q: str | None,
) -> Listing:
    """Return the query for up to ``limit`` item summaries after ``position`` (from the top
    without one), newest first, matching every given filter."""
    terms = search_terms(q) if q is not None else []
    statement = _items_statement(
        dialect,
        position is not None,
        since is not None,
        until is not None,
        feed is not None,
        entity is not None,
        has_claims,
        None if q is None else bool(terms),
    )
    params: dict[str, Any] = {"page_size": limit}
    if position is not None:
        params.update(after_t=position.published_at, after_id=position.row_id)
    values = {"since": since, "until": until, "feed": feed, "entity": entity}
    params.update((name, value) for name, value in values.items() if value is not None)
    if terms:
        params["fts_query"] = _fts_value(dialect, terms)
    return Listing(statement, params)


def item_filters(
    dialect: str,
    *,
    since: datetime | None,
    until: datetime | None,
    feed: str | None,
    entity: str | None,
    has_claims: bool | None,
    q: str | None,
) -> Select[Any]:
    """Return the first page (up to 50) of the items query, with the given filters' values
    bound; for inspecting plans."""
    listing = items_page(
        dialect,
        position=None,
        limit=50,
        since=since,
        until=until,
        feed=feed,
        entity=entity,
        has_claims=has_claims,
        q=q,
    )
    return listing.statement.params(listing.params)


def _party(prefix: str) -> ColumnElement[bool]:
    return or_(
        _matches(claims.c[f"{prefix}_id"], prefix), _matches(claims.c[f"{prefix}_text"], prefix)
    )


@cache  # bounded: one entry per shape, a few hundred at most
def _claims_statement(
    paged: bool,
    parties: tuple[str, ...],
    movement: bool,
    polarity: bool,
    since: bool,
) -> tuple[Select[Any], tuple[Select[Any], ...]]:
    """The claims query of one shape. A party filter matches the canonical id OR the text;
    an OR cannot walk one index in listing order, so the first party filter is split in
    two: each half reads at most a page of ids from its ``(lower(x), published_at,
    claim_id)`` index, and the page is the newest of their union (which holds every row of
    the true page)."""
    order = (claims.c.published_at.desc(), claims.c.claim_id.desc())
    page_size = _bind("page_size", Integer())
    conditions: list[ColumnElement[bool]] = []
    if paged:
        conditions.append(_after((claims.c.published_at, claims.c.claim_id)))
    if movement:
        conditions.append(claims.c.movement == _bind("movement"))
    if polarity:
        conditions.append(claims.c.polarity == _bind("polarity"))
    if since:
        conditions.append(claims.c.published_at >= _bind("since", UtcDateTime()))
    conditions.extend(_party(prefix) for prefix in parties[1:])
    if not parties:
        plain = (
            select(*_CLAIM_COLUMNS)
            .where(and_(true(), *conditions))
            .order_by(*order)
            .limit(page_size)
        )
        return plain, ()
    parts = tuple(
        select(*_CLAIM_COLUMNS)
        .where(_matches(claims.c[f"{parties[0]}_{suffix}"], parties[0]), *conditions)
        .order_by(*order)
        .limit(page_size)
        for suffix in ("id", "text")
    )
    halves = [
        select(claims.c.claim_id)
        .where(_matches(claims.c[f"{parties[0]}_{suffix}"], parties[0]), *conditions)
        .order_by(*order)
        .limit(page_size)
        .subquery()
        for suffix in ("id", "text")
    ]
    chosen = union(*(select(half.c.claim_id) for half in halves))
    listed = select(*_CLAIM_COLUMNS).where(claims.c.claim_id.in_(chosen))
    return listed.order_by(*order).limit(page_size), parts


def claims_page(
    *,
    position: Position | None,
    limit: int,
    actor: str | None,
    claimant: str | None,
    movement: str | None,
    polarity: str | None,
    location: str | None,
    since: datetime | None,
) -> Listing:
    """Return the query for up to ``limit`` claims after ``position``, newest first,
    matching every given filter: parties by canonical id or text, case-insensitively;
    ``movement``/``polarity`` by short name, case-insensitively; published_at >= ``since``."""
    given = {"actor": actor, "claimant": claimant, "location": location}
    parties = tuple(prefix for prefix in _PARTIES if given[prefix] is not None)
    statement, parts = _claims_statement(
        position is not None, parties, movement is not None, polarity is not None, since is not None
    )
    params: dict[str, Any] = {"page_size": limit}
    if position is not None:
        params.update(after_t=position.published_at, after_id=position.row_id)
    params.update((prefix, given[prefix]) for prefix in parties)
    if movement is not None:
        params["movement"] = movement.lower()
    if polarity is not None:
        params["polarity"] = polarity.lower()
    if since is not None:
        params["since"] = since
    return Listing(statement, params, parts)
