"""HTML of the analysts' page: the shell, the filter form, the alert list and the feeds panel.

Consumes a ``PageView`` (alerts as API JSON, feeds as ``FeedOut``, the filters of the URL)
and emits one complete HTML document that is useful with scripts off: the latest alerts,
a GET form whose fields are the URL's filters, and each feed's health. ``static/app.js``
then takes the same elements over (by id) to add the live stream, details and the timeline.
Nothing from the data is written unescaped, and the page loads nothing but ``/static/``.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from datetime import datetime
from html import escape
from typing import Any

from services.api.models import FeedOut
from services.api.web.cards import ago, alert_card
from services.api.web.filters import MAX_TEXT, MOVEMENTS, POLARITIES, ViewFilters

__all__ = ["PageView", "render_page"]


@dataclass(frozen=True, slots=True)
class PageView:
    """What one rendering of ``/`` shows. ``key_required``: reads need an API key that this
    request did not carry, so alerts and feeds are left for the script to fetch."""

    now: datetime
    filters: ViewFilters
    alerts: Sequence[Mapping[str, Any]] = ()
    feeds: Sequence[FeedOut] = ()
    key_required: bool = False
    max_seq: int = 0
    notes: Sequence[str] = field(default=())


def _select(name: str, label: str, choices: Sequence[str], chosen: str | None) -> str:
    options = ['<option value="">any</option>'] + [
        f'<option value="{c}"{" selected" if c == chosen else ""}>{c}</option>' for c in choices
    ]
    return (
        f'<label class="field"><span>{label}</span>'
        f'<select name="{name}" id="f-{name}">{"".join(options)}</select></label>'
    )


def _text(name: str, label: str, value: str | None, hint: str) -> str:
    return (
        f'<label class="field"><span>{label}</span><input type="search" name="{name}"'
        f' id="f-{name}" value="{escape(value or "")}" maxlength="{MAX_TEXT}"'
        f' placeholder="{escape(hint)}" autocomplete="off"></label>'
    )


def _filters_form(filters: ViewFilters) -> str:
    return (
        '<form id="filters" class="filters" method="get" action="/" role="search"'
        ' aria-label="Filter alerts">'
        + _text("actor", "Actor", filters.actor, "e.g. RUS or Russian")
        + _select("movement", "Movement", MOVEMENTS, filters.movement)
        + _select("polarity", "Polarity", POLARITIES, filters.polarity)
        + _text("place", "Place", filters.place, "e.g. UKR or Crimea")
        + '<div class="actions"><button type="submit">Apply</button>'
        '<a class="button secondary" id="clear" href="/">Clear</a></div></form>'
    )


def _feed(feed: FeedOut, now: datetime) -> str:
    state = feed.state if feed.state != "unspecified" else "unknown"
    details = [f"{feed.items_seen} items", f"last success {ago(feed.last_success_at, now)}"]
    if feed.consecutive_errors:
        details.append(f"{feed.consecutive_errors} failed polls")
    error = (
        f'<p class="feed-error">{escape(feed.last_error_class or "error")}: '
        f"{escape(feed.last_error_message or '')}</p>"
        if state in ("erroring", "gone") and (feed.last_error_class or feed.last_error_message)
        else ""
    )
    return (
        f'<li class="feed"><span class="badge state-{escape(state)}">{escape(state)}</span> '
        f'<span class="feed-name">{escape(feed.feed_name or feed.feed_url)}</span>'
        f'<span class="feed-meta">{escape(" · ".join(details))}</span>{error}</li>'
    )


def _alerts(view: PageView) -> str:
    rows = "".join(alert_card(alert, view.now) for alert in view.alerts)
    if view.key_required:
        empty = "Reads need an API key: enter it with the “API key” button (scripts needed)."
    elif view.filters.is_empty():
        empty = "No alerts yet. They appear here as claims arrive."
    else:
        empty = "No alerts match these filters yet."
    hidden = " hidden" if view.alerts else ""
    # The script resumes the stream after this seq; unknown (omitted) when reads were refused.
    seq = "" if view.key_required else f' data-max-seq="{view.max_seq}"'
    return (
        f'<ol id="alerts" class="alerts"{seq}>{rows}</ol>'
        f'<p id="empty" class="empty"{hidden}>{escape(empty)}</p>'
    )


def _dialogs() -> str:
    return (
        '<dialog id="detail" class="detail" aria-labelledby="detail-title">'
        '<div class="detail-head"><h2 id="detail-title">Claim</h2>'
        '<button type="button" class="close" data-close aria-label="Close details">'
        'Close</button></div><div id="detail-body" class="detail-body"></div></dialog>'
        '<dialog id="key-dialog" aria-labelledby="key-title"><form id="key-form" method="dialog">'
        '<h2 id="key-title">API key</h2><p>Reads on this server may need a key. It is kept in '
        "this browser tab only (session storage) and sent as a Bearer token.</p>"
        '<label class="field"><span>Key</span><input id="key-input" type="password"'
        ' autocomplete="off" maxlength="512"></label><div class="actions">'
        '<button type="submit" value="save">Save</button>'
        '<button type="submit" value="forget" class="secondary">Forget</button>'
        '<button type="submit" value="cancel" class="secondary">Cancel</button></div>'
        "</form></dialog>"
    )


def render_page(view: PageView) -> str:
    """The whole document for ``view``."""
    notes = "".join(f'<p class="notice">{escape(note)}</p>' for note in view.notes)
    feeds = "".join(_feed(feed, view.now) for feed in view.feeds) or (
        '<li class="muted">No feed has reported yet.</li>'
    )
    return (
        '<!doctype html><html lang="en"><head><meta charset="utf-8">'
        '<meta name="viewport" content="width=device-width, initial-scale=1">'
        "<title>wirewatch · live claims of troop movement</title>"
        '<link rel="stylesheet" href="/static/app.css">'
        '<script src="/static/app.js" defer></script></head><body>'
        '<a class="skip" href="#alerts-title">Skip to alerts</a>'
        '<header class="top"><div class="brand"><h1>wirewatch</h1>'
        '<p class="tagline">Live claims of troop movement from the news wires</p></div>'
        '<div class="status"><p id="live" class="live" data-state="static" role="status">'
        "Static view: reload for newer alerts</p>"
        '<button id="key-button" type="button" class="secondary" hidden>API key</button>'
        "</div></header>"
        f"{_filters_form(view.filters)}{notes}"
        '<main class="layout"><section class="panel alerts-panel" aria-labelledby="alerts-title">'
        '<h2 id="alerts-title" tabindex="-1">Latest alerts</h2>'
        f"{_alerts(view)}</section>"
        '<div class="side"><section class="panel" aria-labelledby="timeline-title">'
        '<h2 id="timeline-title">Claims per day</h2><div id="timeline" class="timeline">'
        '<p class="muted">The timeline is drawn by the page script.</p></div></section>'
        '<section class="panel" aria-labelledby="feeds-title"><h2 id="feeds-title">Feeds</h2>'
        f'<ul id="feeds" class="feeds">{feeds}</ul></section></div></main>'
        f'{_dialogs()}<div id="announcer" class="vh" aria-live="polite"></div></body></html>'
    )
