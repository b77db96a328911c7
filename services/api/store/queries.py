"""SELECT builders for the store's listings: filters, full-text search and keyset pages.

Consumes listing parameters (already validated types) and emits ``Listing``s: a SQLAlchemy
``Select`` plus the values of its bind parameters. The statement depends only on which
filters are given (its shape), so it is built once per shape and reused, and its compiled
form with it; the repository executes it. Listings are newest first, items by their listing
key (``items.id``, see ``sortkey``), claims by ``(published_at, claim_id)``, and page by
keyset ("rows strictly before the last one served"), so rows inserted while a client pages
never shift, repeat or hide the rows it has yet to see. Full-text search means "every word
of q, stemmed" on both dialects: FTS5 MATCH with each word quoted on SQLite,
``plainto_tsquery`` on PostgreSQL. Queries are shaped for the indexes of migrations 0004
and 0005.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from datetime import datetime
from functools import cache
from typing import Any, Literal

from sqlalchemy import (
    BigInteger,
    BindParameter,
    ColumnElement,
    Integer,
    LargeBinary,
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
    type_coerce,
    union,
)
from sqlalchemy.ext.compiler import compiles
from sqlalchemy.sql.functions import FunctionElement

from services.api.store import sortkey
from services.api.store.cursor import Position
from services.api.store.schema import (
    PG_SEARCH_DOCUMENT,
    SQLITE_FTS_TABLE,
    UtcDateTime,
    claims,
    entities,
    item_docs,
    items,
)

__all__ = ["Listing", "claims_page", "item_filters", "items_page", "search_terms"]

_WORD = re.compile(r"\w+")
_PARTIES = ("actor", "claimant", "location")
# A listed claim is its stored doc; the other two columns page and merge.


class _Utf8(FunctionElement[bytes]):
    """A text column read as its UTF-8 bytes: stored docs are joined into an answer as they
    are, never decoded to ``str`` and encoded back."""

    type = LargeBinary()
    inherit_cache = True


@compiles(_Utf8, "sqlite")
def _utf8_sqlite(element: _Utf8, compiler: Any, **kw: Any) -> str:
    return f"CAST({compiler.process(element.clauses, **kw)} AS BLOB)"


@compiles(_Utf8)
def _utf8(element: _Utf8, compiler: Any, **kw: Any) -> str:
    # Not CAST(.. AS bytea), which would read backslashes in the JSON as escapes.
    return f"convert_to({compiler.process(element.clauses, **kw)}, 'UTF8')"


# A listed claim is its stored doc. published_at only pages and merges, so it is read as
# stored (SQLite: fixed-width UTC text, which sorts as time; cursor.cut_page parses the one
# it needs), not converted on every row.
_CLAIM_COLUMNS = (
    type_coerce(claims.c.published_at, String()).label("published_at"),
    claims.c.claim_id,
    _Utf8(claims.c.doc).label("doc"),
)


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


# How a time bound is applied: as a range of listing keys (exact within the keyed span, see
# sortkey) or, outside that span, on published_at itself.
_Bound = Literal["key", "time"] | None


def _key_bounds(
    key: ColumnElement[int], paged: bool, since: _Bound, until: _Bound
) -> list[ColumnElement[bool]]:
    bounds = [key < _bind("after_key", BigInteger())] if paged else []
    if since == "key":
        bounds.append(key >= _bind("since_key", BigInteger()))
    if until == "key":
        bounds.append(key < _bind("until_key", BigInteger()))
    return bounds


@cache  # bounded: one entry per shape, a few hundred at most
def _items_statement(
    dialect: str,
    paged: bool,
    since: _Bound,
    until: _Bound,
    feed: bool,
    entity: bool,
    has_claims: bool | None,
    search: bool | None,
) -> Select[Any]:
    """The items query of one shape; ``search`` is None without q, False for a q of no words.
    Newest first is ``id`` (the listing key) descending."""
    docs = select(item_docs.c.id, _Utf8(item_docs.c.doc).label("doc"))
    page_size = _bind("page_size", Integer())
    if (
        search
        and dialect == "sqlite"
        and not (feed or entity or has_claims is not None)
        and "time" not in (since, until)
    ):
        # The FTS5 rowid is the listing key: the page is the first page_size matching rowids
        # read newest first, so the search stops after one page instead of ranking every hit.
        rowid: ColumnElement[int] = literal_column("rowid")
        page = (
            _fts_hits()
            .where(*_key_bounds(rowid, paged, since, until))
            .order_by(rowid.desc())
            .limit(page_size)
        )
        return docs.where(item_docs.c.id.in_(page)).order_by(item_docs.c.id.desc())
    filtered = feed or entity or has_claims is not None or search is not None
    if not filtered and "time" not in (since, until):
        # Nothing to test but keys: the docs alone, in listing order.
        bounds = _key_bounds(item_docs.c.id, paged, since, until)
        return docs.where(*bounds).order_by(item_docs.c.id.desc()).limit(page_size)
    conditions = _key_bounds(items.c.id, paged, since, until)
    if since == "time":
        conditions.append(items.c.published_at >= _bind("since", UtcDateTime()))
    if until == "time":
        conditions.append(items.c.published_at < _bind("until", UtcDateTime()))
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
    matching = select(items.c.id).where(and_(true(), *conditions))
    chosen = matching.order_by(items.c.id.desc()).limit(page_size).subquery()
    return docs.join(chosen, chosen.c.id == item_docs.c.id).order_by(item_docs.c.id.desc())


def items_page(
    dialect: str,
    *,
    position: int | None,
    limit: int,
    since: datetime | None,
    until: datetime | None,
    feed: str | None,
    entity: str | None,
    has_claims: bool | None,
    q: str | None,
) -> Listing:
    """Return the query for up to ``limit`` items' ``(id, doc)`` (listing key, stored
    summary JSON) after the item whose key is ``position`` (from the top without one),
    newest first, matching every given filter."""
    terms = search_terms(q) if q is not None else []
    params: dict[str, Any] = {"page_size": limit}
    if position is not None:
        params["after_key"] = position
    shape: dict[str, _Bound] = {"since": None, "until": None}
    for name, value, key in (
        ("since", since, None if since is None else sortkey.key_from(since)),
        ("until", until, None if until is None else sortkey.key_before(until)),
    ):
        if key is not None:
            shape[name], params[f"{name}_key"] = "key", key
        elif value is not None:
            shape[name], params[name] = "time", value
    statement = _items_statement(
        dialect,
        position is not None,
        shape["since"],
        shape["until"],
        feed is not None,
        entity is not None,
        has_claims,
        None if q is None else bool(terms),
    )
    if feed is not None:
        params["feed"] = feed
    if entity is not None:
        params["entity"] = entity
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
