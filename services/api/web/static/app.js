/* wirewatch page script: takes over the server-rendered page and keeps it live.
 *
 * Reads the alerts stream (GET /v1/alerts/stream, Server-Sent Events read through fetch so an
 * API key can ride in the Authorization header, which EventSource cannot send), the alert
 * list, clusters, claims and feeds of the same origin, and writes them into the elements
 * that services/api/web/page.py renders. Every text from the data goes in with textContent
 * or as a text node, never as HTML; links are kept only when they are http(s).
 */
'use strict';

(() => {
  const KEY_STORE = 'wirewatch.apiKey';
  const FILTERS = ['actor', 'movement', 'polarity', 'place'];
  const MOVEMENTS = ['buildup', 'deploy', 'advance', 'withdraw'];
  const LIST_MAX = 200;
  const CLAIM_PAGES = 5;
  const $ = (id) => document.getElementById(id);
  const state = {
    alerts: new Map(), // cluster_id -> newest alert of that cluster
    lastSeq: null,
    filters: {},
    streamAbort: null,
    askedForKey: false,
    opener: null,
    detailToken: 0,
    timelineTimer: null,
    timelineToken: 0,
    announced: 0,
    pending: 0,
  };

  /* ---- small DOM helpers ---------------------------------------------------------------- */
  function el(tag, attrs, ...children) {
    const node = document.createElement(tag);
    for (const [name, value] of Object.entries(attrs || {})) {
      if (value === null || value === undefined || value === false) continue;
      if (name === 'class') node.className = value;
      else if (name === 'text') node.textContent = value;
      else if (name === 'on') for (const [ev, fn] of Object.entries(value)) node.addEventListener(ev, fn);
      else node.setAttribute(name, value === true ? '' : String(value));
    }
    for (const child of children.flat()) {
      if (child === null || child === undefined || child === false) continue;
      node.append(child instanceof Node ? child : document.createTextNode(String(child)));
    }
    return node;
  }
  const svg = (tag, attrs) => {
    const node = document.createElementNS('http://www.w3.org/2000/svg', tag);
    for (const [name, value] of Object.entries(attrs || {})) node.setAttribute(name, String(value));
    return node;
  };
  function safeHref(url) {
    if (typeof url !== 'string') return null;
    try {
      const parsed = new URL(url);
      return parsed.protocol === 'http:' || parsed.protocol === 'https:' ? parsed.href : null;
    } catch (_) {
      return null;
    }
  }

  /* ---- formatting, shared with services/api/web/cards.py --------------------------------- */
  function ago(iso) {
    const when = Date.parse(iso);
    if (Number.isNaN(when)) return 'unknown';
    const s = Math.max(0, Math.floor((Date.now() - when) / 1000));
    if (s < 45) return 'just now';
    if (s < 3600) return `${Math.max(1, Math.round(s / 60))} min ago`;
    if (s < 86400) return `${Math.floor(s / 3600)} h ago`;
    const days = Math.floor(s / 86400);
    if (days < 60) return `${days} day${days === 1 ? '' : 's'} ago`;
    if (days < 730) return `${Math.floor(days / 30)} months ago`;
    return `${Math.floor(days / 365)} years ago`;
  }
  const nameOf = (m) => (m ? m.canonical_name || m.text || m.canonical_id || null : null);
  function placeOf(loc) {
    if (!loc) return null;
    const text = loc.text || loc.canonical_name || loc.canonical_id;
    if (!text) return null;
    return loc.relation && loc.relation !== 'unspecified' ? `${loc.relation} ${text}` : text;
  }
  function badgeOf(alert) {
    const kind = String(alert.type || '').replace(/^claim\./, '');
    if (kind === 'corroborated') return [kind, `corroborated · ${alert.independent_sources} sources`];
    return ['new', 'disputed', 'updated'].includes(kind) ? [kind, kind] : ['new', 'new'];
  }
  function headline(alert) {
    const { cluster = {}, claim = {} } = alert.data || {};
    const actor = nameOf(claim.actor) || nameOf(cluster.actor) || 'Unnamed forces';
    return `${actor} · ${claim.movement || cluster.movement || 'movement'}`;
  }
  function claimParts(claim) {
    return [
      ['actor', claim.actor && claim.actor.text],
      ['claimant', claim.claimant && claim.claimant.text],
      ['place', claim.location && claim.location.text],
      ['size', claim.size && claim.size.text],
    ];
  }
  /* The evidence with each part marked; the first occurrence wins, overlaps are skipped. */
  function highlighted(evidence, parts) {
    const spans = [];
    const lower = evidence.toLowerCase();
    for (const [kind, text] of parts) {
      if (!text || !text.trim()) continue;
      let start = evidence.indexOf(text);
      if (start < 0) start = lower.indexOf(text.toLowerCase());
      if (start < 0) continue;
      const end = start + text.length;
      if (spans.some(([s, e]) => start < e && s < end)) continue;
      spans.push([start, end, kind]);
    }
    spans.sort((a, b) => a[0] - b[0]);
    const p = el('p', { class: 'evidence' });
    let at = 0;
    for (const [start, end, kind] of spans) {
      p.append(evidence.slice(at, start), el('mark', { class: `hl hl-${kind}`, title: kind, text: evidence.slice(start, end) }));
      at = end;
    }
    p.append(evidence.slice(at));
    return p;
  }

  /* ---- filters and the URL -------------------------------------------------------------- */
  function readFilters() {
    const params = new URLSearchParams(window.location.search);
    const found = {};
    for (const name of FILTERS) {
      const value = (params.get(name) || '').trim().replace(/\s+/g, ' ');
      if (value && value.length <= 200) found[name] = name === 'movement' || name === 'polarity' ? value.toLowerCase() : value;
    }
    if (found.movement && !MOVEMENTS.includes(found.movement)) delete found.movement;
    if (found.polarity && !['asserted', 'denied'].includes(found.polarity)) delete found.polarity;
    return found;
  }
  function pageQuery(filters) {
    const params = new URLSearchParams();
    for (const name of FILTERS) if (filters[name]) params.set(name, filters[name]);
    const text = params.toString();
    return text ? `?${text}` : '';
  }
  function apiParams(filters, extra) {
    const params = new URLSearchParams(extra || {});
    for (const name of ['actor', 'movement', 'polarity']) if (filters[name]) params.set(name, filters[name]);
    if (filters.place) params.set('location', filters.place);
    return params;
  }
  function writeForm(filters) {
    for (const name of FILTERS) $(`f-${name}`).value = filters[name] || '';
  }
  function setFilters(filters, push) {
    state.filters = filters;
    writeForm(filters);
    if (push) window.history.pushState(null, '', `/${pageQuery(filters)}`);
    loadAlerts();
    scheduleTimeline(0);
  }
  function toggleFilter(name, value) {
    const next = { ...state.filters };
    if (next[name] && next[name].toLowerCase() === String(value).toLowerCase()) delete next[name];
    else next[name] = value;
    setFilters(next, true);
  }
  const same = (a, b) => typeof a === 'string' && typeof b === 'string' && a.toLowerCase() === b.toLowerCase();
  function mentionMatches(value, ...mentions) {
    return mentions.some((m) => m && (same(m.canonical_id, value) || same(m.text, value)));
  }
  function matches(alert) {
    const { cluster = {}, claim = {} } = alert.data || {};
    const f = state.filters;
    if (f.movement && (claim.movement || cluster.movement) !== f.movement) return false;
    if (f.polarity && (claim.polarity || cluster.polarity) !== f.polarity) return false;
    if (f.actor && !mentionMatches(f.actor, cluster.actor, claim.actor)) return false;
    if (f.place && !mentionMatches(f.place, cluster.location, claim.location)) return false;
    return true;
  }

  /* ---- API access ----------------------------------------------------------------------- */
  function authHeaders(extra) {
    const headers = { Accept: 'application/json', ...(extra || {}) };
    const key = window.sessionStorage.getItem(KEY_STORE);
    if (key) headers.Authorization = `Bearer ${key}`;
    return headers;
  }
  async function api(path) {
    const response = await fetch(path, { headers: authHeaders(), cache: 'no-store' });
    if (response.status === 401 || response.status === 403) {
      needKey(response.status);
      throw new Error(`HTTP ${response.status}`);
    }
    if (!response.ok) throw new Error(`HTTP ${response.status} for ${path}`);
    return response.json();
  }
  function setLive(kind, text) {
    const live = $('live');
    live.dataset.state = kind;
    live.textContent = text;
  }
  function needKey(status) {
    setLive('error', status === 403 ? 'API key not accepted' : 'API key needed');
    if (!state.askedForKey) {
      state.askedForKey = true;
      openKeyDialog();
    }
  }

  /* ---- the alert list ------------------------------------------------------------------- */
  function fact(label, value, empty) {
    return el('div', {}, el('dt', { text: label }), el('dd', {}, value || el('span', { class: 'muted', text: empty || '—' })));
  }
  function card(alert) {
    const { cluster = {}, claim = {}, disputes = [] } = alert.data || {};
    const [kind, label] = badgeOf(alert);
    const first = cluster.first_seen_at || alert.created_at;
    const open = el('button', { type: 'button', class: 'open', 'aria-haspopup': 'dialog', 'data-cluster-id': alert.cluster_id },
      claim.polarity === 'denied' ? el('span', { class: 'tag tag-denied', text: 'denied' }) : null,
      claim.polarity === 'denied' ? ' ' : null, headline(alert));
    const polarity = claim.polarity || cluster.polarity;
    const movement = claim.movement || cluster.movement || 'movement';
    const size = (claim.size || cluster.size || {}).text;
    const row = el('li', { class: 'alert', 'data-cluster-id': alert.cluster_id, 'data-seq': alert.seq, 'data-kind': kind },
      el('article', { class: 'card' },
        el('div', { class: 'card-head' },
          el('span', { class: `badge badge-${kind}`, text: label }),
          disputes.length && kind !== 'disputed' ? el('span', { class: 'badge badge-disputed', text: 'disputed' }) : null,
          el('h3', { class: 'card-title' }, open),
          el('time', { class: 'ago', datetime: first, text: ago(first) })),
        el('dl', { class: 'facts' },
          fact('Movement', polarity ? `${movement} (${polarity})` : movement),
          fact('Actor', (claim.actor && claim.actor.text) || nameOf(cluster.actor), 'not stated'),
          fact('Place', placeOf(claim.location || cluster.location)),
          fact('Size', size),
          fact('Claimant', nameOf(claim.claimant), 'unattributed'))));
    open.addEventListener('click', (event) => { event.stopPropagation(); openDetail(alert, open); });
    row.addEventListener('click', (event) => {
      if (!event.target.closest('a, button')) openDetail(alert, open);
    });
    return row;
  }
  function renderList() {
    const list = $('alerts');
    const shown = [...state.alerts.values()].filter(matches).sort((a, b) => b.seq - a.seq).slice(0, LIST_MAX);
    list.replaceChildren(...shown.map(card));
    $('empty').hidden = shown.length > 0;
  }
  async function loadAlerts() {
    try {
      const page = await api(`/v1/alerts?${apiParams(state.filters, { limit: '100' })}`);
      const fresh = new Map();
      for (const alert of page.items) if (!fresh.has(alert.cluster_id)) fresh.set(alert.cluster_id, alert);
      for (const alert of state.alerts.values()) {
        const known = fresh.get(alert.cluster_id);
        if (matches(alert) && (!known || known.seq < alert.seq)) fresh.set(alert.cluster_id, alert);
      }
      state.alerts = fresh;
      for (const alert of page.items) if (state.lastSeq === null || alert.seq > state.lastSeq) state.lastSeq = alert.seq;
      renderList();
    } catch (error) {
      console.warn('alerts', error);
    }
  }
  function onAlert(alert) {
    if (state.lastSeq === null || alert.seq > state.lastSeq) state.lastSeq = alert.seq;
    const known = state.alerts.get(alert.cluster_id);
    if ((known && known.seq >= alert.seq) || !matches(alert)) return;
    state.alerts.set(alert.cluster_id, alert);
    const list = $('alerts');
    const old = list.querySelector(`li[data-cluster-id="${CSS.escape(alert.cluster_id)}"]`);
    const hadFocus = old && old.contains(document.activeElement);
    if (old) old.remove();
    const row = card(alert);
    row.classList.add('fresh');
    list.prepend(row);
    while (list.children.length > LIST_MAX) list.lastElementChild.remove();
    if (hadFocus) row.querySelector('button.open').focus();
    $('empty').hidden = true;
    announce(headline(alert));
    scheduleTimeline(4000);
  }
  function announce(text) {
    // At most one announcement every 10 s, so a busy wire does not drown a screen reader.
    state.pending += 1;
    const now = Date.now();
    if (now - state.announced < 10000) return;
    $('announcer').textContent = state.pending > 1 ? `${state.pending} new alerts, latest: ${text}` : `New alert: ${text}`;
    state.announced = now;
    state.pending = 0;
  }

  /* ---- the live stream ------------------------------------------------------------------ */
  function dispatch(block) {
    let data = '';
    let id = null;
    for (const line of block.split('\n')) {
      if (line.startsWith('data:')) data += line.slice(5).replace(/^ /, '');
      else if (line.startsWith('id:')) id = line.slice(3).trim();
    }
    if (!data) return;
    try {
      const alert = JSON.parse(data);
      onAlert(alert);
    } catch (error) {
      console.warn('stream event', id, error);
    }
  }
  async function streamOnce(signal) {
    const query = state.lastSeq === null ? '' : `?last_event_id=${state.lastSeq}`;
    const response = await fetch(`/v1/alerts/stream${query}`, {
      headers: authHeaders({ Accept: 'text/event-stream' }), cache: 'no-store', signal,
    });
    if (response.status === 401 || response.status === 403) {
      needKey(response.status);
      return false;
    }
    if (!response.ok || !response.body) throw new Error(`stream HTTP ${response.status}`);
    setLive('live', 'Live');
    const reader = response.body.pipeThrough(new TextDecoderStream()).getReader();
    let buffer = '';
    for (;;) {
      const { value, done } = await reader.read();
      if (done) return true;
      buffer = (buffer + value).replace(/\r\n?/g, '\n');
      let end;
      while ((end = buffer.indexOf('\n\n')) >= 0) {
        dispatch(buffer.slice(0, end));
        buffer = buffer.slice(end + 2);
      }
    }
  }
  async function streamLoop() {
    let wait = 1000;
    for (;;) {
      const abort = new AbortController();
      state.streamAbort = abort;
      try {
        const keepGoing = await streamOnce(abort.signal);
        if (!keepGoing) return;
        wait = 1000;
      } catch (error) {
        if (abort.signal.aborted) continue;
        console.warn('stream', error);
      }
      setLive('error', 'Reconnecting…');
      await new Promise((resolve) => setTimeout(resolve, wait));
      wait = Math.min(wait * 2, 15000);
    }
  }
  function restartStream() {
    if (state.streamAbort) state.streamAbort.abort();
    else streamLoop();
  }

  /* ---- claim detail ----------------------------------------------------------------------- */
  function sourceList(sources) {
    const titles = new Map(sources.map((s) => [s.item_id, s.title]));
    return el('ul', { class: 'sources' }, sources.map((s) => {
      const href = safeHref(s.url);
      const tag = s.independent
        ? el('span', { class: 'tag tag-independent', text: 'independent' })
        : el('span', { class: 'tag tag-copy', text: `syndicated (${s.reason || 'copy'})` });
      const copyOf = !s.independent && s.copy_of ? ` copy of “${titles.get(s.copy_of) || s.copy_of}”` : '';
      return el('li', {}, tag, ' ',
        href ? el('a', { href, rel: 'noopener noreferrer', text: s.title || 'untitled' }) : s.title || 'untitled',
        ' ', el('a', { class: 'raw', href: `/v1/items/${encodeURIComponent(s.item_id)}`, text: 'item' }),
        copyOf ? el('span', { class: 'muted', text: copyOf }) : null);
    }));
  }
  function claimBox(title, claim) {
    const meta = [claim.polarity, claim.status, claim.claimant ? `said by ${nameOf(claim.claimant)}` : 'unattributed']
      .filter(Boolean).join(' · ');
    return el('div', { class: 'claim-box' }, el('h4', { text: title }),
      highlighted(claim.evidence || '', claimParts(claim)), el('p', { class: 'muted', text: meta }));
  }
  const legend = () => el('ul', { class: 'legend', 'aria-label': 'Highlight colours' },
    ['actor', 'claimant', 'place', 'size'].map((k) => el('li', {}, el('mark', { class: `hl hl-${k}`, text: k }))));
  async function openDetail(alert, opener) {
    const dialog = $('detail');
    const body = $('detail-body');
    const token = ++state.detailToken;
    state.opener = opener || null;
    const { claim = {}, item = {} } = alert.data || {};
    $('detail-title').textContent = headline(alert);
    body.replaceChildren(legend(), el('h3', { text: 'Evidence' }), highlighted(claim.evidence || '', claimParts(claim)),
      el('p', { class: 'muted', text: `${claim.status || ''} · confidence ${claim.confidence ?? '?'} · from “${item.title || ''}”` }),
      el('p', { class: 'muted', text: 'Loading sources…' }));
    if (!dialog.open) dialog.showModal();
    let cluster;
    try {
      cluster = await api(`/v1/clusters/${encodeURIComponent(alert.cluster_id)}`);
    } catch (error) {
      if (token === state.detailToken) body.lastElementChild.textContent = 'Could not load the cluster.';
      return;
    }
    if (token !== state.detailToken) return;
    const independent = cluster.sources.filter((s) => s.independent).length;
    const parts = [legend(), el('h3', { text: 'Evidence' }), highlighted(claim.evidence || '', claimParts(claim)),
      el('p', { class: 'muted', text: `${claim.status || ''} · confidence ${claim.confidence ?? '?'} · first reported ${ago(cluster.first_seen_at)}` }),
      el('h3', { text: `Sources: ${independent} independent, ${cluster.sources.length - independent} syndicated` }),
      sourceList(cluster.sources)];
    if (cluster.disputes.length) {
      parts.push(el('h3', { text: `Disputed by ${cluster.disputes.length} claim${cluster.disputes.length === 1 ? '' : 's'}` }));
      const others = await Promise.all(cluster.disputes.map((d) =>
        api(`/v1/clusters/${encodeURIComponent(d.cluster_id)}`).catch(() => null)));
      if (token !== state.detailToken) return;
      others.forEach((other, i) => {
        const otherClaim = other && other.claims.length ? other.claims[0] : null;
        parts.push(el('div', { class: 'side-by-side' }, claimBox(`This claim (${claim.polarity})`, claim),
          otherClaim ? claimBox(`Disputing claim (${otherClaim.polarity})`, otherClaim)
            : el('div', { class: 'claim-box', text: `${cluster.disputes[i].polarity} claim (not loaded)` })));
        if (other) parts.push(sourceList(other.sources));
      });
    }
    const rest = cluster.claims.filter((c) => c.claim_id !== claim.claim_id).slice(0, 10);
    if (rest.length) {
      parts.push(el('h3', { text: `Other claims in this cluster (${cluster.claims.length - 1})` }));
      for (const other of rest) parts.push(claimBox(ago(other.published_at), other));
    }
    body.replaceChildren(...parts);
  }

  /* ---- timeline ------------------------------------------------------------------------- */
  function scheduleTimeline(delay) {
    // A throttle, not a debounce: on a busy wire alerts keep coming and would starve it.
    if (state.timelineTimer !== null && delay > 0) return;
    clearTimeout(state.timelineTimer);
    state.timelineTimer = setTimeout(loadTimeline, delay);
  }
  async function loadTimeline() {
    state.timelineTimer = null;
    const token = ++state.timelineToken;
    const claims = [];
    let cursor = null;
    try {
      for (let page = 0; page < CLAIM_PAGES; page += 1) {
        const params = apiParams(state.filters, { limit: '200' });
        if (cursor) params.set('cursor', cursor);
        const found = await api(`/v1/claims?${params}`);
        claims.push(...found.items);
        cursor = found.next_cursor;
        if (!cursor) break;
      }
    } catch (error) {
      console.warn('timeline', error);
      if (token === state.timelineToken) scheduleTimeline(5000);
      return;
    }
    if (token === state.timelineToken) drawTimeline(claims, Boolean(cursor));
  }
  const MONTHS = ['Jan', 'Feb', 'Mar', 'Apr', 'May', 'Jun', 'Jul', 'Aug', 'Sep', 'Oct', 'Nov', 'Dec'];
  function dayLabel(day, withYear) {
    const [y, m, d] = day.split('-');
    const short = `${Number(d)} ${MONTHS[Number(m) - 1] || m}`;
    return withYear ? `${short} '${y.slice(2)}` : short;
  }
  function drawTimeline(claims, truncated) {
    const box = $('timeline');
    if (!claims.length) {
      box.replaceChildren(el('p', { class: 'muted', text: 'No claims match these filters yet.' }));
      return;
    }
    const days = new Map();
    const actors = new Map();
    for (const c of claims) {
      const day = String(c.published_at).slice(0, 10);
      const counts = days.get(day) || Object.fromEntries(MOVEMENTS.map((m) => [m, 0]));
      if (c.movement in counts) counts[c.movement] += 1;
      days.set(day, counts);
      const key = c.actor ? c.actor.canonical_id || c.actor.text : null;
      if (key) {
        const entry = actors.get(key) || { label: nameOf(c.actor), n: 0 };
        entry.n += 1;
        actors.set(key, entry);
      }
    }
    const shown = [...days.keys()].sort().slice(-14);
    const W = 320, H = 170, left = 28, bottom = 22, topPad = 8;
    const max = Math.max(...shown.map((d) => MOVEMENTS.reduce((t, m) => t + days.get(d)[m], 0)));
    const slot = (W - left - 4) / shown.length;
    const bar = Math.min(28, slot * 0.7);
    const scale = (H - topPad - bottom) / max;
    const chart = svg('svg', { viewBox: `0 0 ${W} ${H}`, role: 'img',
      'aria-label': `Claims per day, ${shown[0]} to ${shown[shown.length - 1]}, at most ${max} a day` });
    for (const tick of [0, Math.ceil(max / 2), max]) {
      const y = H - bottom - tick * scale;
      chart.append(svg('line', { class: 'grid', x1: left, x2: W, y1: y, y2: y }));
      const label = svg('text', { class: 'axis', x: left - 4, y: y + 4, 'text-anchor': 'end' });
      label.textContent = String(tick);
      chart.append(label);
    }
    const years = new Set(shown.map((d) => d.slice(0, 4))).size > 1;
    const every = Math.ceil(shown.length / Math.max(1, Math.floor((W - left) / (years ? 58 : 38))));
    shown.forEach((day, i) => {
      const x = left + i * slot + (slot - bar) / 2;
      let y = H - bottom;
      for (const m of MOVEMENTS) {
        const n = days.get(day)[m];
        if (!n) continue;
        const h = n * scale;
        y -= h;
        const rect = svg('rect', { class: `seg m-${m}`, x, y, width: bar, height: h, 'data-movement': m });
        const tip = svg('title', {});
        tip.textContent = `${day} · ${m}: ${n}`;
        rect.append(tip);
        rect.addEventListener('click', () => toggleFilter('movement', m));
        chart.append(rect);
      }
      if (i % every === 0) {
        const label = svg('text', { class: 'axis', x: x + bar / 2, y: H - 6, 'text-anchor': 'middle' });
        label.textContent = dayLabel(day, years);
        chart.append(label);
      }
    });
    const totals = Object.fromEntries(MOVEMENTS.map((m) => [m, claims.filter((c) => c.movement === m).length]));
    const chips = el('ul', { class: 'chips', 'aria-label': 'Filter by movement' }, MOVEMENTS.map((m) =>
      el('li', {}, el('button', { type: 'button', class: 'chip', 'aria-pressed': String(state.filters.movement === m),
        on: { click: () => toggleFilter('movement', m) } }, el('span', { class: `swatch m-${m}`, 'aria-hidden': 'true' }), `${m} ${totals[m]}`))));
    const top = [...actors.entries()].sort((a, b) => b[1].n - a[1].n).slice(0, 8);
    const most = top.length ? top[0][1].n : 1;
    const actorList = el('ul', { class: 'actors', 'aria-label': 'Filter by actor' }, top.map(([key, entry]) => {
      const fill = el('span', { class: 'bar' });
      fill.style.width = `${Math.round((entry.n / most) * 100)}%`;
      return el('li', {}, el('button', { type: 'button', class: 'actor-bar', 'aria-pressed': String(same(state.filters.actor, key)),
        'aria-label': `${entry.label}: ${entry.n} claims`, on: { click: () => toggleFilter('actor', key) } },
        el('span', { class: 'name', text: entry.label }), el('span', { class: 'track' }, fill), el('span', { class: 'n', text: String(entry.n) })));
    }));
    const note = `${claims.length} claims${truncated ? ' (latest only)' : ''} on ${days.size} day${days.size === 1 ? '' : 's'}; click to filter.`;
    box.replaceChildren(chart, chips, el('h3', { class: 'vh', text: 'Top actors' }), actorList, el('p', { class: 'muted', text: note }));
  }

  /* ---- feeds ---------------------------------------------------------------------------- */
  async function loadFeeds() {
    let page;
    try {
      page = await api('/v1/feeds');
    } catch (error) {
      return;
    }
    const rows = page.items.map((f) => {
      const stateName = f.state === 'unspecified' ? 'unknown' : f.state;
      const meta = [`${f.items_seen} items`, `last success ${f.last_success_at ? ago(f.last_success_at) : 'never'}`];
      if (f.consecutive_errors) meta.push(`${f.consecutive_errors} failed polls`);
      return el('li', { class: 'feed' }, el('span', { class: `badge state-${stateName}`, text: stateName }), ' ',
        el('span', { class: 'feed-name', text: f.feed_name || f.feed_url }),
        el('span', { class: 'feed-meta', text: meta.join(' · ') }),
        (stateName === 'erroring' || stateName === 'gone') && (f.last_error_class || f.last_error_message)
          ? el('p', { class: 'feed-error', text: `${f.last_error_class || 'error'}: ${f.last_error_message || ''}` }) : null);
    });
    $('feeds').replaceChildren(...(rows.length ? rows : [el('li', { class: 'muted', text: 'No feed has reported yet.' })]));
  }

  /* ---- API key -------------------------------------------------------------------------- */
  function openKeyDialog() {
    $('key-input').value = window.sessionStorage.getItem(KEY_STORE) || '';
    if (!$('key-dialog').open) $('key-dialog').showModal();
  }
  function onKeyClosed() {
    const action = $('key-dialog').returnValue;
    const value = $('key-input').value.trim();
    $('key-input').value = '';
    if (action === 'save' && value) window.sessionStorage.setItem(KEY_STORE, value);
    else if (action === 'forget') window.sessionStorage.removeItem(KEY_STORE);
    else return;
    state.askedForKey = false;
    setLive('static', 'Connecting…');
    loadAlerts();
    loadFeeds();
    scheduleTimeline(0);
    if (state.streamAbort) restartStream();
    else streamLoop();
  }

  /* ---- start ---------------------------------------------------------------------------- */
  function start() {
    document.documentElement.classList.add('js');
    const seq = $('alerts').dataset.maxSeq;
    if (seq !== undefined && seq !== '') state.lastSeq = Number(seq);
    state.filters = readFilters();
    $('key-button').hidden = false;
    $('key-button').addEventListener('click', openKeyDialog);
    $('key-dialog').addEventListener('close', onKeyClosed);
    $('detail').addEventListener('close', () => {
      state.detailToken += 1;
      // The row may have been replaced by a newer alert of its cluster meanwhile.
      const opener = state.opener && (state.opener.isConnected ? state.opener
        : document.querySelector(`li[data-cluster-id="${CSS.escape(state.opener.dataset.clusterId || '')}"] button.open`));
      if (opener) opener.focus();
    });
    $('detail').querySelector('[data-close]').addEventListener('click', () => $('detail').close());
    $('detail').addEventListener('click', (event) => { if (event.target === $('detail')) $('detail').close(); });
    $('filters').addEventListener('submit', (event) => {
      event.preventDefault();
      const form = new FormData($('filters'));
      const next = {};
      for (const name of FILTERS) {
        const value = String(form.get(name) || '').trim();
        if (value) next[name] = value;
      }
      setFilters(next, true);
    });
    $('clear').addEventListener('click', (event) => { event.preventDefault(); setFilters({}, true); });
    window.addEventListener('popstate', () => setFilters(readFilters(), false));
    setLive('static', 'Connecting…');
    loadAlerts().then(() => streamLoop());
    scheduleTimeline(0);
    loadFeeds();
    setInterval(loadFeeds, 10000);
    setInterval(() => {
      for (const t of document.querySelectorAll('time.ago[datetime]')) t.textContent = ago(t.getAttribute('datetime'));
    }, 30000);
  }
  if (document.readyState === 'loading') document.addEventListener('DOMContentLoaded', start);
  else start();
})();
