// The rq-fake dashboard: one page, no framework, no external assets. Everything it shows comes
// from the admin API (README "The admin API", "The dashboard") a page at a time; every value is
// put into the page as text (textContent, text nodes), never parsed as HTML, so a URL, a
// uniqueKey or userData that holds markup is shown, not run. The Content-Security-Policy of the
// page forbids inline script as a second fence.
'use strict';

// How often the page refreshes; a view refreshes every `every` ticks. localStorage.rqFakePollMs
// sets another interval (100 ms to 60 s; the browser tests poll fast).
const POLL_MS = Math.min(60000, Math.max(100, Number(localStorage.getItem('rqFakePollMs')) || 1000));
const JOURNAL_ROWS = 300;

const app = {
  token: sessionStorage.getItem('rqFakeAdminToken') || '',
  tokenRequired: false,
  live: true,
  view: null,       // the mounted view: {refresh(), every}
  busy: false,      // a refresh is in flight
  ticks: 0,
  refreshes: 0,
  overview: null,   // the latest /__admin/overview
  serverSkewMs: 0,  // server clock minus browser clock (the fake's clock may be virtual)
};

const $ = (sel, root = document) => root.querySelector(sel);

// el('td', {class: 'num'}, 'text', child, ...): children that are not nodes become text nodes.
function el(tag, props, ...children) {
  const e = document.createElement(tag);
  if (props) {
    for (const [k, v] of Object.entries(props)) {
      if (v === undefined || v === null || v === false) continue;
      if (k === 'class') e.className = v;
      else if (k === 'text') e.textContent = String(v);
      else if (k.startsWith('on')) e.addEventListener(k.slice(2), v);
      else e.setAttribute(k, v === true ? '' : String(v));
    }
  }
  for (const c of children.flat(Infinity)) {
    if (c === undefined || c === null || c === false) continue;
    e.append(c instanceof Node ? c : document.createTextNode(String(c)));
  }
  return e;
}

// A link inside the dashboard; `parts` are encoded, so an id cannot change the route.
function hashOf(parts, query) {
  let h = '#/' + parts.map((p) => encodeURIComponent(String(p))).join('/');
  const q = new URLSearchParams();
  for (const [k, v] of Object.entries(query || {})) {
    if (v !== undefined && v !== null && v !== '' && v !== false) q.set(k, String(v));
  }
  const s = q.toString();
  return s ? h + '?' + s : h;
}
const link = (text, parts, query, props) => el('a', { href: hashOf(parts, query), ...props }, text);

class ApiError extends Error {
  constructor(status, type, message) {
    super(message);
    this.status = status;
    this.type = type;
  }
}

function parseJson(text) {
  try {
    return text ? JSON.parse(text) : null;
  } catch (e) {
    return null;
  }
}

// The error of an answer that is not 2xx, from its {"error":{"type","message"}} envelope.
function apiError(res, text) {
  const body = parseJson(text);
  const err = body && body.error ? body.error : {};
  if (res.status === 401) askForToken('The admin token was refused: ' + (err.message || ''));
  return new ApiError(res.status, err.type || 'http-' + res.status, err.message || text || res.statusText);
}

function authHeaders(extra) {
  const headers = { ...(extra || {}) };
  if (app.token) headers.Authorization = 'Bearer ' + app.token;
  return headers;
}

async function api(path, options = {}) {
  const res = await fetch(path, { ...options, headers: authHeaders(options.headers), cache: 'no-store' });
  const text = await res.text();
  if (!res.ok) throw apiError(res, text);
  const body = parseJson(text);
  return body && 'data' in body ? body.data : body;
}

// An answer that is not the admin API's JSON (a key-value store record): the Response itself.
async function apiRaw(path) {
  const res = await fetch(path, { headers: authHeaders(), cache: 'no-store' });
  if (!res.ok) throw apiError(res, await res.text());
  return res;
}

// ---- time --------------------------------------------------------------------------------

function serverNow() { return Date.now() + app.serverSkewMs; }
function fmtTime(iso) {
  if (!iso) return '';
  const d = new Date(iso);
  if (Number.isNaN(d.getTime())) return String(iso);
  return d.toISOString().replace('T', ' ').replace('Z', '');
}
function fmtIn(iso) {
  const ms = new Date(iso).getTime() - serverNow();
  if (!Number.isFinite(ms)) return '';
  const s = Math.round(ms / 1000);
  return s >= 0 ? 'in ' + s + ' s' : Math.abs(s) + ' s ago';
}
const fmtNum = (n) => (typeof n === 'number' ? n.toLocaleString('en-US') : n == null ? '' : String(n));
function fmtBytes(n) {
  if (typeof n !== 'number') return '';
  if (n < 1024) return n + ' B';
  if (n < 1024 * 1024) return (n / 1024).toFixed(1) + ' KiB';
  return (n / 1024 / 1024).toFixed(1) + ' MiB';
}

// ---- chrome: banner, token, detail panel, tabs ---------------------------------------------

function banner(message) {
  const b = $('[data-test=banner]');
  b.textContent = message || '';
  b.hidden = !message;
}

function askForToken(message) {
  const form = $('[data-test=token-form]');
  form.hidden = false;
  $('[data-test=token-error]').textContent = message || '';
  $('[data-test=token-input]').focus();
}

function setupToken() {
  const form = $('[data-test=token-form]');
  form.addEventListener('submit', (ev) => {
    ev.preventDefault();
    app.token = $('[data-test=token-input]').value;
    sessionStorage.setItem('rqFakeAdminToken', app.token);
    $('[data-test=token-input]').value = '';
    form.hidden = true;
    route();
  });
  $('[data-test=token-button]').addEventListener('click', () => {
    if (form.hidden) askForToken(app.tokenRequired ? '' : 'This rq-fake runs without --admin-token.');
    else form.hidden = true;
  });
}

function openDetail(title, ...content) {
  const d = $('[data-test=detail]');
  $('[data-test=detail-title]').textContent = title;
  $('[data-test=detail-body]').replaceChildren(...content);
  d.hidden = false;
}
function closeDetail() {
  $('[data-test=detail]').hidden = true;
  for (const tr of document.querySelectorAll('tr.selected')) tr.classList.remove('selected');
}

function jsonBlock(value) {
  return el('pre', { 'data-test': 'json' }, JSON.stringify(value, null, 2));
}
function kv(pairs) {
  const dl = el('dl', { class: 'kv' });
  for (const [k, v] of pairs) {
    if (v === undefined) continue;
    dl.append(el('dt', null, k), el('dd', null, v === null ? '—' : v));
  }
  return dl;
}
function stateBadge(state) { return el('span', { class: 'state ' + state }, state); }

function table(headers, rows, props) {
  const thead = el('thead', null, el('tr', null, headers.map((h) =>
    typeof h === 'string' ? el('th', null, h) : el('th', { class: h.class }, h.text))));
  return el('table', props, thead, el('tbody', null, rows));
}

function showError(root, e) {
  root.replaceChildren(el('p', { class: 'error', 'data-test': 'error' },
    e instanceof ApiError ? e.status + ' ' + e.type + ': ' + e.message : String(e)));
}

// ---- the header: clock and counters ----------------------------------------------------------

async function refreshOverview() {
  const o = await api('/__admin/overview');
  app.overview = o;
  app.serverSkewMs = o.nowMs - Date.now();
  $('[data-test=clock]').textContent = fmtTime(o.now) + (o.clock === 'virtual' ? ' (virtual clock)' : '');
  const st = o.storages;
  $('[data-test=counters]').textContent =
    fmtNum(st.requestQueues) + ' queues · ' +
    ('keyValueStores' in st ? fmtNum(st.keyValueStores) + ' key-value stores · ' : '') +
    ('datasets' in st ? fmtNum(st.datasets) + ' datasets · ' : '') +
    fmtNum(o.users) + ' users · ' + fmtNum(o.faultRules) + ' fault rules';
}

// ---- pagination: a stack of cursors, so Prev goes back without an offset scan --------------

class Pager {
  constructor(onChange) {
    this.cursors = [null];
    this.offsets = [0];
    this.next = null;
    this.onChange = onChange;
    this.el = el('div', { class: 'pager', 'data-test': 'pager' });
  }
  get cursor() { return this.cursors[this.cursors.length - 1]; }
  get offset() { return this.offsets[this.offsets.length - 1]; }
  get page() { return this.cursors.length; }
  reset() { this.cursors = [null]; this.offsets = [0]; }
  render(count, nextCursor, info) {
    this.next = nextCursor;
    const first = el('button', { type: 'button', 'data-test': 'first', disabled: this.page === 1,
      onclick: () => { this.reset(); this.onChange(); } }, '« first');
    const prev = el('button', { type: 'button', 'data-test': 'prev', disabled: this.page === 1,
      onclick: () => { this.cursors.pop(); this.offsets.pop(); this.onChange(); } }, '‹ prev');
    const next = el('button', { type: 'button', 'data-test': 'next', disabled: !nextCursor,
      onclick: () => {
        this.cursors.push(nextCursor);
        this.offsets.push(this.offset + count);
        this.onChange();
      } }, 'next ›');
    this.el.replaceChildren(first, prev, next,
      el('span', { class: 'muted', 'data-test': 'page-info' }, 'page ' + this.page + ' · ' + info));
  }
}

function limitSelect(value, onChange) {
  return el('label', null, 'per page ', el('select', { 'data-test': 'limit', onchange: (e) => onChange(Number(e.target.value)) },
    [25, 50, 100, 200, 500].map((n) => el('option', { value: n, selected: n === value }, n))));
}

// ---- storages -------------------------------------------------------------------------------

// The kinds of storage the storages view lists, each a section with its own server-side pager.
// A kind is shown when /__admin/overview counts it under `storages` (overviewKey). To add one:
// an admin endpoint that pages its storages like /__admin/queues (items, count, total,
// nextCursor; ?user=, ?cursor=, ?limit=), an entry here, and a view for one storage.
const STORAGE_KINDS = [
  {
    overviewKey: 'requestQueues',
    title: 'Request queues',
    noun: 'queues',
    endpoint: '/__admin/queues',
    headers: ['name', 'id', { text: 'total', class: 'num' }, { text: 'pending', class: 'num' },
      { text: 'locked', class: 'num' }, { text: 'handled', class: 'num' }, 'multiple clients', 'modified'],
    row: (item) => {
      const c = item.counts;
      return el('tr', { 'data-test': 'queue-row', 'data-queue': item.id },
        el('td', null, link(item.name || '(unnamed)', ['queue', item.id], {}, { 'data-test': 'queue-link' })),
        el('td', { class: 'mono' }, item.id),
        el('td', { class: 'num' }, fmtNum(c.total)),
        el('td', { class: 'num' }, link(fmtNum(c.pending), ['queue', item.id], { state: 'pending' })),
        el('td', { class: 'num' }, link(fmtNum(c.locked), ['queue', item.id], { state: 'locked' })),
        el('td', { class: 'num' }, link(fmtNum(c.handled), ['queue', item.id], { state: 'handled' })),
        el('td', null, item.hadMultipleClients ? 'yes' : 'no'),
        el('td', null, fmtTime(item.modifiedAt)));
    },
  },
  {
    overviewKey: 'keyValueStores',
    title: 'Key-value stores',
    noun: 'key-value stores',
    endpoint: '/__admin/key-value-stores',
    headers: ['name', 'id', { text: 'records', class: 'num' }, { text: 'size', class: 'num' }, 'modified'],
    row: (item) => el('tr', { 'data-test': 'kvs-row', 'data-store': item.id },
      el('td', null, link(item.name || '(unnamed)', ['kvs', item.id], {}, { 'data-test': 'kvs-link' })),
      el('td', { class: 'mono' }, item.id),
      el('td', { class: 'num' }, fmtNum(item.recordCount)),
      el('td', { class: 'num', title: fmtNum(item.storageBytes) + ' bytes' }, fmtBytes(item.storageBytes)),
      el('td', null, fmtTime(item.modifiedAt))),
  },
  {
    overviewKey: 'datasets',
    title: 'Datasets',
    noun: 'datasets',
    endpoint: '/__admin/datasets',
    headers: ['name', 'id', { text: 'items', class: 'num' }, { text: 'clean items', class: 'num' },
      { text: 'size', class: 'num' }, 'modified'],
    row: (item) => el('tr', { 'data-test': 'dataset-row', 'data-dataset': item.id },
      el('td', null, link(item.name || '(unnamed)', ['dataset', item.id], {}, { 'data-test': 'dataset-link' })),
      el('td', { class: 'mono' }, item.id),
      el('td', { class: 'num' }, fmtNum(item.itemCount)),
      el('td', { class: 'num' }, fmtNum(item.cleanItemCount)),
      el('td', { class: 'num', title: fmtNum(item.storageBytes) + ' bytes' }, fmtBytes(item.storageBytes)),
      el('td', null, fmtTime(item.modifiedAt))),
  },
];

// One kind's section of the storages view: its storages grouped by user, a page at a time.
function storageSection(kind, user, limit) {
  const body = el('div', { 'data-test': 'storages-' + kind.overviewKey });
  const pager = new Pager(() => load());
  const root = el('section', null, el('h2', null, kind.title), body, pager.el);

  async function load() {
    const t0 = performance.now();
    let page;
    try {
      const q = new URLSearchParams({ limit: String(limit()) });
      if (user) q.set('user', user);
      if (pager.cursor) q.set('cursor', pager.cursor);
      page = await api(kind.endpoint + '?' + q);
    } catch (e) {
      showError(body, e);
      return;
    }
    const ms = Math.round(performance.now() - t0);
    const rows = [];
    let lastUser = null;
    for (const item of page.items) {
      if (item.userId !== lastUser) {
        lastUser = item.userId;
        rows.push(el('tr', { class: 'group', 'data-test': 'user-row' }, el('td', { colspan: kind.headers.length },
          'user ', link(item.username || item.userId, ['storages'], { user: item.userId }), ' ',
          el('span', { class: 'muted mono' }, item.userId))));
      }
      rows.push(kind.row(item));
    }
    body.replaceChildren(rows.length
      ? table(kind.headers, rows)
      : el('p', { class: 'empty' }, user ? 'No ' + kind.noun + ' of this user.' : 'No ' + kind.noun + ' yet.'));
    pager.render(page.count, page.nextCursor, fmtNum(page.count) + ' of ' + fmtNum(page.total) + ' ' + kind.noun + ' · ' + ms + ' ms');
  }
  return { root, load, reset: () => pager.reset() };
}

function storagesView(query) {
  const root = el('div');
  const user = query.get('user') || '';
  let limit = Number(query.get('limit')) || 50;
  const counted = (app.overview && app.overview.storages) || {};
  const sections = STORAGE_KINDS.filter((k) => k.overviewKey in counted).map((k) => storageSection(k, user, () => limit));
  const load = () => Promise.all(sections.map((s) => s.load()));
  const userInput = el('input', { type: 'search', placeholder: 'user id or username', value: user, 'data-test': 'user-filter' });
  root.append(
    el('h1', null, 'Storages'),
    el('form', { class: 'toolbar', onsubmit: (ev) => { ev.preventDefault(); location.hash = hashOf(['storages'], { user: userInput.value.trim(), limit }); } },
      el('label', null, 'user ', userInput), el('button', { type: 'submit' }, 'filter'),
      limitSelect(limit, (n) => { limit = n; for (const s of sections) s.reset(); load(); })),
    el('div', { 'data-test': 'storages' }, sections.map((s) => s.root)));
  return { root, refresh: load, every: 2 };
}

// ---- one queue: its requests by state ---------------------------------------------------------

const STATES = ['pending', 'locked', 'handled', 'all'];

function queueView(id, query) {
  const state = STATES.includes(query.get('state')) ? query.get('state') : 'pending';
  const contains = query.get('contains') || '';
  const exact = query.get('key') || '';
  let limit = Number(query.get('limit')) || 100;
  const root = el('div');
  const head = el('div', { 'data-test': 'queue-head' });
  const chips = el('div', { class: 'chips', 'data-test': 'state-chips' });
  const body = el('div', { 'data-test': 'requests' });
  const pager = new Pager(() => load());
  let selected = null;
  let lastShown = null;
  const containsInput = el('input', { type: 'search', placeholder: 'id, uniqueKey or URL contains', value: contains, 'data-test': 'contains' });
  const keyInput = el('input', { type: 'search', placeholder: 'exact uniqueKey or request id', value: exact, 'data-test': 'exact' });
  const go = (changes) => { location.hash = hashOf(['queue', id], { state, contains, key: exact, limit, ...changes }); };
  root.append(
    el('p', null, link('« storages', ['storages'])),
    head, chips,
    el('form', { class: 'toolbar', onsubmit: (ev) => { ev.preventDefault(); go({ contains: containsInput.value, key: keyInput.value.trim() }); } },
      containsInput, keyInput, el('button', { type: 'submit', 'data-test': 'filter' }, 'filter'),
      (contains || exact) ? el('button', { type: 'button', onclick: () => go({ contains: '', key: '' }) }, 'clear') : null,
      el('span', { class: 'spacer' }), limitSelect(limit, (n) => { limit = n; pager.reset(); load(); })),
    body, pager.el);

  function renderHead(q) {
    head.replaceChildren(
      el('h1', { 'data-test': 'queue-title' }, q.name || '(unnamed queue)', ' ', el('span', { class: 'muted mono' }, q.id)),
      kv([['user', (q.username || '') + ' (' + q.userId + ')'], ['created', fmtTime(q.createdAt)],
        ['modified', fmtTime(q.modifiedAt)], ['multiple clients', q.hadMultipleClients ? 'yes' : 'no']]));
    const c = q.counts;
    const counts = { pending: c.pending, locked: c.locked, handled: c.handled, all: c.total };
    chips.replaceChildren(...STATES.map((s) => el('a', {
      class: 'chip' + (s === state ? ' active' : ''), href: hashOf(['queue', id], { state: s, limit }), 'data-test': 'chip-' + s,
    }, s, el('b', { 'data-test': 'count-' + s }, fmtNum(counts[s])))));
  }

  function row(r, i) {
    const cells = [
      el('td', { class: 'num muted' }, fmtNum(pager.offset + i + 1)),
      el('td', { class: 'mono' }, r.id),
      el('td', { class: 'clip', title: r.uniqueKey, 'data-test': 'unique-key' }, r.uniqueKey),
      el('td', { class: 'clip', title: r.url, 'data-test': 'url' }, r.url),
      el('td', null, r.method),
      el('td', { class: 'num' }, r.retryCount),
    ];
    if (state === 'all') cells.push(el('td', null, stateBadge(r.state)));
    if (state === 'locked' || state === 'all') {
      cells.push(el('td', { class: 'mono', 'data-test': 'lock-client' }, r.state === 'locked' ? (r.lockClientKey ?? '(no clientKey)') : ''));
      cells.push(el('td', { title: r.lockExpiresAt || '' }, r.lockExpiresAt ? fmtIn(r.lockExpiresAt) : ''));
    }
    if (state === 'handled' || state === 'all') cells.push(el('td', null, fmtTime(r.handledAt)));
    const tr = el('tr', { class: 'clickable' + (r.id === selected ? ' selected' : ''), 'data-test': 'request-row', 'data-id': r.id }, cells);
    tr.addEventListener('click', () => {
      for (const t of body.querySelectorAll('tr.selected')) t.classList.remove('selected');
      tr.classList.add('selected');
      selected = r.id;
      showRequest(id, r.id);
    });
    return tr;
  }

  async function load() {
    const t0 = performance.now();
    let q, page;
    try {
      const params = new URLSearchParams({ state, limit: String(limit) });
      if (exact) params.set(/^[A-Za-z0-9]{15}$/.test(exact) ? 'id' : 'uniqueKey', exact);
      else if (contains) params.set('contains', contains);
      if (pager.cursor) params.set('cursor', pager.cursor);
      [q, page] = await Promise.all([
        api('/__admin/queues/' + encodeURIComponent(id)),
        api('/__admin/queues/' + encodeURIComponent(id) + '/requests?' + params),
      ]);
    } catch (e) {
      showError(body, e);
      return;
    }
    const ms = Math.round(performance.now() - t0);
    // A live refresh that brings nothing new leaves the page as it is (a page of 500 rows is not
    // rebuilt every 2 s), unless it shows lock expiries counting down.
    const shown = JSON.stringify([q, page, pager.page]);
    if (shown === lastShown && state !== 'locked' && state !== 'all') return;
    lastShown = shown;
    renderHead(q);
    const headers = ['#', 'id', 'uniqueKey', 'url', 'method', { text: 'retries', class: 'num' }];
    if (state === 'all') headers.push('state');
    if (state === 'locked' || state === 'all') headers.push('locked by', 'lock expires');
    if (state === 'handled' || state === 'all') headers.push('handled at');
    const order = { pending: 'in queue order', locked: 'by lock expiry', handled: 'newest first', all: 'by id' }[state];
    body.replaceChildren(page.items.length
      ? table(headers, page.items.map(row), { 'data-test': 'requests-table' })
      : el('p', { class: 'empty', 'data-test': 'no-requests' },
        page.nextCursor ? 'No match among the ' + fmtNum(page.scanned) + ' requests looked at; next looks further.' : 'No ' + (state === 'all' ? '' : state + ' ') + 'requests.'));
    let info = fmtNum(page.count) + ' requests ' + order;
    if (contains) info += ' · ' + fmtNum(page.scanned) + ' looked at';
    pager.render(page.count, page.nextCursor, info + ' · ' + ms + ' ms');
    pager.el.dataset.ms = String(ms);
  }
  return { root, refresh: load, every: 2 };
}

async function showRequest(queueId, requestId) {
  try {
    const r = await api('/__admin/queues/' + encodeURIComponent(queueId) + '/requests/' + encodeURIComponent(requestId));
    openDetail('Request ' + requestId,
      kv([['state', stateBadge(r.state)],
        ['locked by', r.state === 'locked' ? (r.lockClientKey ?? '(no clientKey)') : undefined],
        ['lock expires', r.lockExpiresAt ? fmtTime(r.lockExpiresAt) + ' (' + fmtIn(r.lockExpiresAt) + ')' : undefined]]),
      jsonBlock(r.request));
  } catch (e) {
    openDetail('Request ' + requestId, el('p', { class: 'error' }, e.message));
  }
}

// ---- one key-value store: its keys, a record's preview or download ---------------------------

// Records of these content types, up to this size, are previewed as text; others are offered
// for download only (the page never renders a record, it sets its text).
const PREVIEW_BYTES = 64 * 1024;
function mediaType(ct) { return String(ct || '').split(';')[0].trim().toLowerCase(); }
function isJsonType(ct) { const t = mediaType(ct); return t === 'application/json' || t.endsWith('+json'); }
function isTextType(ct) {
  const t = mediaType(ct);
  return t.startsWith('text/') || isJsonType(ct) || t === 'application/xml' || t.endsWith('+xml') ||
    t === 'application/javascript' || t === 'application/x-ndjson' || t === 'application/jsonl';
}
const recordPath = (storeId, key) => '/__admin/key-value-stores/' + encodeURIComponent(storeId) + '/records/' + encodeURIComponent(key);

// Saves a record under its key: fetched with the admin token, handed to the browser as a blob.
async function downloadRecord(storeId, key) {
  const res = await apiRaw(recordPath(storeId, key) + '?download=1');
  const url = URL.createObjectURL(await res.blob());
  const a = el('a', { href: url, download: key, hidden: true });
  document.body.append(a);
  a.click();
  a.remove();
  setTimeout(() => URL.revokeObjectURL(url), 60000);
}

function storageHead(title, s, extra) {
  return [
    el('h1', { 'data-test': 'storage-title' }, s.name || '(unnamed ' + title + ')', ' ', el('span', { class: 'muted mono' }, s.id)),
    kv([['user', (s.username || '') + ' (' + s.userId + ')'], ['created', fmtTime(s.createdAt)],
      ['modified', fmtTime(s.modifiedAt)], ['accessed', fmtTime(s.accessedAt)], ...extra]),
  ];
}

function kvsView(id, query) {
  const prefix = query.get('prefix') || '';
  let limit = Number(query.get('limit')) || 100;
  const root = el('div');
  const head = el('div', { 'data-test': 'kvs-head' });
  const body = el('div', { 'data-test': 'keys' });
  const pager = new Pager(() => load());
  let selected = null;
  let lastShown = null;
  const prefixInput = el('input', { type: 'search', placeholder: 'key prefix', value: prefix, 'data-test': 'prefix' });
  const go = (changes) => { location.hash = hashOf(['kvs', id], { prefix, limit, ...changes }); };
  root.append(
    el('p', null, link('« storages', ['storages'])),
    head,
    el('form', { class: 'toolbar', onsubmit: (ev) => { ev.preventDefault(); go({ prefix: prefixInput.value }); } },
      prefixInput, el('button', { type: 'submit', 'data-test': 'filter' }, 'filter'),
      prefix ? el('button', { type: 'button', onclick: () => go({ prefix: '' }) }, 'clear') : null,
      el('span', { class: 'spacer' }), limitSelect(limit, (n) => { limit = n; pager.reset(); load(); })),
    body, pager.el);

  function row(k, i) {
    const previewable = isTextType(k.contentType) && k.size <= PREVIEW_BYTES;
    const tr = el('tr', { class: 'clickable' + (k.key === selected ? ' selected' : ''), 'data-test': 'key-row', 'data-key': k.key },
      el('td', { class: 'num muted' }, fmtNum(pager.offset + i + 1)),
      el('td', { class: 'mono clip', title: k.key, 'data-test': 'key' }, k.key),
      el('td', { class: 'num', title: fmtNum(k.size) + ' bytes', 'data-test': 'key-size' }, fmtBytes(k.size)),
      el('td', { class: 'mono', 'data-test': 'key-type' }, k.contentType),
      el('td', { class: 'muted' }, previewable ? 'preview' : 'download'));
    tr.addEventListener('click', () => {
      for (const t of body.querySelectorAll('tr.selected')) t.classList.remove('selected');
      tr.classList.add('selected');
      selected = k.key;
      showRecord(id, k);
    });
    return tr;
  }

  async function load() {
    const t0 = performance.now();
    let s, page;
    try {
      const params = new URLSearchParams({ limit: String(limit) });
      if (prefix) params.set('prefix', prefix);
      if (pager.cursor) params.set('cursor', pager.cursor);
      [s, page] = await Promise.all([
        api('/__admin/key-value-stores/' + encodeURIComponent(id)),
        api('/__admin/key-value-stores/' + encodeURIComponent(id) + '/keys?' + params),
      ]);
    } catch (e) {
      showError(body, e);
      return;
    }
    const ms = Math.round(performance.now() - t0);
    const shown = JSON.stringify([s, page, pager.page]);
    if (shown === lastShown) return;
    lastShown = shown;
    head.replaceChildren(...storageHead('key-value store', s,
      [['records', fmtNum(s.recordCount)], ['size', fmtBytes(s.storageBytes) + ' (' + fmtNum(s.storageBytes) + ' bytes)']]));
    body.replaceChildren(page.items.length
      ? table(['#', 'key', { text: 'size', class: 'num' }, 'content type', ''], page.items.map(row), { 'data-test': 'keys-table' })
      : el('p', { class: 'empty', 'data-test': 'no-keys' }, prefix ? 'No key starts with this prefix.' : 'No records.'));
    pager.render(page.count, page.nextCursor, fmtNum(page.count) + ' keys by key' + (prefix ? ' starting with ' + prefix : '') + ' · ' + ms + ' ms');
  }
  return { root, refresh: load, every: 2 };
}

async function showRecord(storeId, k) {
  const title = 'Record ' + k.key;
  const dl = el('a', { href: recordPath(storeId, k.key) + '?download=1', download: k.key, 'data-test': 'record-download',
    onclick: (ev) => {
      ev.preventDefault();
      downloadRecord(storeId, k.key).catch((e) => { note.className = 'error'; note.textContent = e.message; });
    } }, 'download ' + k.key);
  const note = el('span', { 'data-test': 'record-note' });
  const facts = kv([['key', k.key], ['content type', k.contentType], ['size', fmtBytes(k.size) + ' (' + fmtNum(k.size) + ' bytes)']]);
  const actions = el('p', { class: 'toolbar' }, dl, note);
  if (!isTextType(k.contentType) || k.size > PREVIEW_BYTES) {
    openDetail(title, facts, actions, el('p', { class: 'muted', 'data-test': 'no-preview' },
      isTextType(k.contentType) ? 'Larger than ' + fmtBytes(PREVIEW_BYTES) + ': not previewed.' : 'Not text: not previewed.'));
    return;
  }
  openDetail(title, facts, actions, el('p', { class: 'muted' }, 'loading…'));
  let text;
  try {
    text = await (await apiRaw(recordPath(storeId, k.key))).text();
  } catch (e) {
    openDetail(title, facts, actions, el('p', { class: 'error' }, e.message));
    return;
  }
  let preview = text;
  let kind = 'text';
  if (isJsonType(k.contentType)) {
    const v = parseJson(text);
    if (v !== null || text.trim() === 'null') {
      preview = JSON.stringify(v, null, 2);
      kind = 'json';
    }
  }
  openDetail(title, facts, actions, el('pre', { 'data-test': 'record-preview', 'data-kind': kind }, preview));
}

// ---- one dataset: its items, a page at a time by offset ------------------------------------

function datasetView(id, query) {
  let limit = Number(query.get('limit')) || 100;
  const start = Math.max(0, Math.floor(Number(query.get('offset')) || 0));
  const root = el('div');
  const head = el('div', { 'data-test': 'dataset-head' });
  const body = el('div', { 'data-test': 'items' });
  const pager = new Pager(() => load());
  // An offset from the hash starts the walk there (prev goes back to the first page).
  const startAt = (offset) => {
    pager.reset();
    if (offset > 0) { pager.cursors.push(String(offset)); pager.offsets.push(offset); }
  };
  startAt(start);
  let selected = null;
  let lastShown = null;
  const offsetInput = el('input', { type: 'number', min: 1, placeholder: 'item #', size: 8, 'data-test': 'goto-item' });
  root.append(
    el('p', null, link('« storages', ['storages'])),
    head,
    el('form', { class: 'toolbar', onsubmit: (ev) => {
      ev.preventDefault();
      location.hash = hashOf(['dataset', id], { offset: Math.max(0, (Number(offsetInput.value) || 1) - 1), limit });
    } }, el('label', null, 'from item ', offsetInput), el('button', { type: 'submit', 'data-test': 'goto' }, 'go'),
    el('span', { class: 'spacer' }), limitSelect(limit, (n) => { limit = n; startAt(pager.offset); load(); })),
    body, pager.el);

  function row(item) {
    const tr = el('tr', { class: 'clickable' + (item.index === selected ? ' selected' : ''), 'data-test': 'item-row', 'data-index': item.index },
      el('td', { class: 'num muted', 'data-test': 'item-index' }, fmtNum(item.index + 1)),
      el('td', { class: 'mono clip wide', title: item.clipped ? '' : item.json, 'data-test': 'item-json' }, item.json),
      el('td', { class: 'num', title: fmtNum(item.size) + ' bytes' }, fmtBytes(item.size) + (item.clipped ? ' (cut)' : '')));
    tr.addEventListener('click', () => {
      for (const t of body.querySelectorAll('tr.selected')) t.classList.remove('selected');
      tr.classList.add('selected');
      selected = item.index;
      const v = item.clipped ? null : parseJson(item.json);
      openDetail('Item ' + fmtNum(item.index + 1),
        kv([['index', String(item.index)], ['size', fmtBytes(item.size) + ' (' + fmtNum(item.size) + ' bytes)'],
          ['shown', item.clipped ? 'the first ' + fmtBytes(item.json.length) + ' only' : undefined]]),
        v !== null ? jsonBlock(v) : el('pre', { 'data-test': 'json' }, item.json));
    });
    return tr;
  }

  async function load() {
    const t0 = performance.now();
    let d, page;
    try {
      const params = new URLSearchParams({ limit: String(limit), offset: String(pager.cursor || 0) });
      [d, page] = await Promise.all([
        api('/__admin/datasets/' + encodeURIComponent(id)),
        api('/__admin/datasets/' + encodeURIComponent(id) + '/items?' + params),
      ]);
    } catch (e) {
      showError(body, e);
      return;
    }
    const ms = Math.round(performance.now() - t0);
    const shown = JSON.stringify([d, page.offset, page.count, page.total, pager.page]);
    if (shown === lastShown) return;
    lastShown = shown;
    head.replaceChildren(...storageHead('dataset', d,
      [['items', fmtNum(d.itemCount)], ['clean items', fmtNum(d.cleanItemCount)],
        ['size', fmtBytes(d.storageBytes) + ' (' + fmtNum(d.storageBytes) + ' bytes)']]));
    body.replaceChildren(page.items.length
      ? table([{ text: '#', class: 'num' }, 'item (JSON)', { text: 'size', class: 'num' }], page.items.map(row), { 'data-test': 'items-table' })
      : el('p', { class: 'empty', 'data-test': 'no-items' }, page.total ? 'No items past item ' + fmtNum(page.total) + '.' : 'No items.'));
    const last = page.offset + page.count;
    pager.render(page.count, page.nextOffset === null ? null : String(page.nextOffset),
      (page.count ? 'items ' + fmtNum(page.offset + 1) + '–' + fmtNum(last) : 'no items') + ' of ' + fmtNum(page.total) + ' · ' + ms + ' ms');
  }
  return { root, refresh: load, every: 2 };
}

// ---- journal: a live tail -------------------------------------------------------------------

const JOURNAL_FILTERS = ['operation', 'status', 'clientKey', 'faulted', 'findings'];

function journalView(query, openSeq) {
  const root = el('div');
  const filters = {};
  for (const k of JOURNAL_FILTERS) if (query.get(k)) filters[k] = query.get(k);
  const ops = (app.overview && app.overview.operations) || [];
  const opSelect = el('select', { 'data-test': 'filter-operation' }, el('option', { value: '' }, 'any operation'),
    ops.map((o) => el('option', { value: o.id, selected: o.id === filters.operation }, o.alias + ' (' + o.method + ')')));
  const statusInput = el('input', { type: 'text', inputmode: 'numeric', size: 5, placeholder: 'status', value: filters.status || '', 'data-test': 'filter-status' });
  const clientInput = el('input', { type: 'text', size: 14, placeholder: 'clientKey', value: filters.clientKey || '', 'data-test': 'filter-client' });
  const faulted = el('input', { type: 'checkbox', checked: filters.faulted === '1', 'data-test': 'filter-faulted' });
  const findings = el('input', { type: 'checkbox', checked: filters.findings === '1', 'data-test': 'filter-findings' });
  const info = el('span', { class: 'muted', 'data-test': 'journal-info' });
  const tbody = el('tbody', { 'data-test': 'journal-rows' });
  const seen = new Set();
  let lastSeq = 0;
  const empty = el('p', { class: 'empty' }, 'No calls yet.');
  root.append(el('h1', null, 'Journal'),
    el('form', { class: 'toolbar', onsubmit: (ev) => {
      ev.preventDefault();
      location.hash = hashOf(['journal'], { operation: opSelect.value, status: statusInput.value.trim(),
        clientKey: clientInput.value, faulted: faulted.checked ? 1 : '', findings: findings.checked ? 1 : '' });
    } }, opSelect, statusInput, clientInput, el('label', null, faulted, 'faulted'), el('label', null, findings, 'with findings'),
    el('button', { type: 'submit', 'data-test': 'filter' }, 'filter'), el('span', { class: 'spacer' }), info),
    el('table', { 'data-test': 'journal-table' },
      el('thead', null, el('tr', null, ['seq', 'arrived', 'method', 'path', 'status', 'operation', 'clientKey', 'fault', 'findings', 'ms'].map((h) => el('th', null, h)))),
      tbody),
    empty);

  function row(e, fresh) {
    const statusClass = 'status-' + String(e.status).charAt(0);
    const tr = el('tr', { class: 'clickable' + (fresh ? ' new' : ''), 'data-test': 'journal-row', 'data-seq': e.seq },
      el('td', { class: 'num' }, e.seq),
      el('td', null, fmtTime(e.arrivedAt)),
      el('td', null, e.method),
      el('td', { class: 'clip', title: e.path + (e.query ? '?' + e.query : '') }, e.path),
      el('td', { class: statusClass, 'data-test': 'journal-status' }, e.status === 0 ? 'dropped' : e.status),
      el('td', null, e.operation || ''),
      el('td', { class: 'mono' }, e.clientKey ?? ''),
      el('td', { 'data-test': 'journal-fault' }, e.fault ? e.fault.action + ' (' + e.fault.rule + ')' : ''),
      el('td', { class: 'num' }, e.findings.length || ''),
      el('td', { class: 'num' }, e.durationMs));
    tr.addEventListener('click', () => showJournalEntry(e.seq));
    return tr;
  }

  async function load() {
    const q = new URLSearchParams(filters);
    // Entries are appended when their answer is sent, so a slow call can land behind a faster,
    // later one: look back a little and drop what is already shown.
    if (lastSeq > 0) q.set('since', String(Math.max(0, lastSeq - 50)));
    q.set('limit', lastSeq > 0 ? '1000' : '100');
    let page;
    try {
      page = await api('/__admin/journal?' + q);
    } catch (e) {
      showError(empty, e);
      empty.hidden = false;
      return;
    }
    const fresh = page.entries.filter((e) => !seen.has(e.seq));
    const first = lastSeq === 0;
    for (const e of fresh) {
      seen.add(e.seq);
      lastSeq = Math.max(lastSeq, e.seq);
    }
    // Newest first: each new entry goes in above those with a lower seq.
    fresh.sort((a, b) => a.seq - b.seq);
    for (const e of fresh) {
      const tr = row(e, !first);
      let before = tbody.firstChild;
      while (before && Number(before.dataset.seq) > e.seq) before = before.nextSibling;
      tbody.insertBefore(tr, before);
    }
    while (tbody.children.length > JOURNAL_ROWS) {
      const last = tbody.lastChild;
      seen.delete(Number(last.dataset.seq));
      last.remove();
    }
    empty.hidden = tbody.children.length > 0;
    info.textContent = fmtNum(page.appended) + ' calls journaled · the newest ' + fmtNum(page.capacity) + ' kept';
  }
  if (openSeq) showJournalEntry(openSeq);
  return { root, refresh: load, every: 1 };
}

async function showJournalEntry(seq) {
  let e;
  try {
    e = await api('/__admin/journal/' + encodeURIComponent(seq));
  } catch (err) {
    openDetail('Journal entry ' + seq, el('p', { class: 'error', 'data-test': 'journal-missing' }, err.message));
    return;
  }
  const list = (items) => (items && items.length ? el('ul', null, items.map((x) => el('li', { class: 'mono' }, x))) : '—');
  const parts = [
    kv([['seq', String(e.seq)], ['arrived', fmtTime(e.arrivedAt)], ['duration', e.durationMs + ' ms'],
      ['request', e.method + ' ' + e.path + (e.query ? '?' + e.query : '')],
      ['status', e.status === 0 ? '0 (no answer: connection dropped)' : String(e.status)],
      ['error type', e.errorType], ['operation', e.operation],
      ['queue', e.queue ? link(e.queue, ['queue', e.queue]) : null],
      ['clientKey', e.clientKey], ['user', e.user || null], ['user agent', e.userAgent || null],
      ['body', e.bodyBytes + ' bytes' + (e.bodyDigest ? ', sha256 ' + e.bodyDigest + '…' : '')],
      ['fault', e.fault ? e.fault.action + ' by rule ' + e.fault.rule : null],
      ['Retry-After', e.retryAfterSecs !== undefined ? e.retryAfterSecs + ' s' : undefined]]),
    el('h3', null, 'Findings'), el('div', { 'data-test': 'entry-findings' }, list(e.findings)),
    el('h3', null, 'Headers (secrets redacted)'),
    table(['name', 'value'], e.headers.map(([k, v]) => el('tr', null, el('td', { class: 'mono' }, k), el('td', { class: 'mono wrap' }, v))), { 'data-test': 'entry-headers' }),
  ];
  if (e.itemKeys) parts.push(el('h3', null, 'Item keys'), list(e.itemKeys));
  if (e.unprocessedKeys) parts.push(el('h3', null, 'Unprocessed'), list(e.unprocessedKeys));
  if (e.alreadyPresentKeys) parts.push(el('h3', null, 'Already present'), list(e.alreadyPresentKeys));
  parts.push(el('h3', null, 'As JSON'), jsonBlock(e));
  openDetail('Journal entry ' + e.seq, ...parts);
}

// ---- faults -----------------------------------------------------------------------------------

function faultsView() {
  const root = el('div');
  const rulesBox = el('div', { 'data-test': 'rules' });
  const logBox = el('div', { 'data-test': 'fault-log' });
  const text = el('textarea', { rows: 3, 'data-test': 'rule-text', placeholder: '429@30%:batch_add   or a JSON rule {"action":{"type":"error","status":503}}' });
  const msg = el('span', { 'data-test': 'rule-message' });
  root.append(el('h1', null, 'Fault rules'),
    el('form', { 'data-test': 'rule-form', onsubmit: async (ev) => {
      ev.preventDefault();
      const body = text.value.trim();
      if (!body) return;
      const json = body.startsWith('{') || body.startsWith('[');
      try {
        const r = await api('/__admin/faults', { method: 'POST', body, headers: { 'Content-Type': json ? 'application/json' : 'text/plain' } });
        msg.className = '';
        msg.textContent = 'added ' + r.ids.join(', ');
        text.value = '';
        load();
      } catch (e) {
        msg.className = 'error';
        msg.textContent = e.message;
      }
    } },
    el('p', { class: 'muted' }, 'A shorthand (rq-fake --fault, docs/faults.md) or a JSON rule:'), text,
    el('div', { class: 'toolbar' }, el('button', { type: 'submit', 'data-test': 'add-rule' }, 'add rule'), msg)),
    rulesBox, el('h2', null, 'Fault log (newest 50)'), logBox);

  async function remove(id) {
    try {
      await api('/__admin/faults/' + encodeURIComponent(id), { method: 'DELETE' });
      load();
    } catch (e) {
      msg.className = 'error';
      msg.textContent = e.message;
    }
  }

  async function load() {
    let rules, log;
    try {
      [rules, log] = await Promise.all([api('/__admin/faults'), api('/__admin/faults/log')]);
    } catch (e) {
      showError(rulesBox, e);
      return;
    }
    const rows = rules.rules.map((r) => el('tr', { 'data-test': 'rule-row', 'data-rule': r.id },
      el('td', { class: 'mono' }, r.id),
      el('td', { class: 'mono wrap' }, JSON.stringify(r.match || {})),
      el('td', { class: 'mono wrap' }, JSON.stringify(r.action || {})),
      el('td', { class: 'mono wrap' }, JSON.stringify(r.schedule || {})),
      el('td', { class: 'num', 'data-test': 'rule-calls' }, fmtNum(r.calls)),
      el('td', { class: 'num', 'data-test': 'rule-fires' }, fmtNum(r.fires)),
      el('td', null, el('button', { type: 'button', 'data-test': 'remove-rule', onclick: () => remove(r.id) }, 'remove'))));
    rulesBox.replaceChildren(el('p', { class: 'muted' }, 'seed ' + rules.seed),
      rows.length ? table(['id', 'match', 'action', 'schedule', { text: 'calls', class: 'num' }, { text: 'fires', class: 'num' }, ''], rows)
        : el('p', { class: 'empty' }, 'No fault rules: every call is answered as the contract says.'));
    const entries = log.entries.slice(-50).reverse();
    logBox.replaceChildren(entries.length ? table(['at', 'rule', 'action', 'operation', 'path', 'journal'],
      entries.map((e) => el('tr', null, el('td', null, fmtTime(e.at)), el('td', { class: 'mono' }, e.rule), el('td', null, e.action),
        el('td', null, e.operation || ''), el('td', { class: 'clip' }, e.method + ' ' + e.path),
        el('td', null, e.seq ? link('#' + e.seq, ['journal', e.seq]) : ''))))
      : el('p', { class: 'empty' }, 'No fault has fired.'));
  }
  return { root, refresh: load, every: 1 };
}

// ---- compliance report ------------------------------------------------------------------------

function reportView() {
  const root = el('div');
  const box = el('div', { 'data-test': 'report' });
  root.append(el('h1', null, 'Client compliance'), box);
  async function load() {
    let r;
    try {
      r = await api('/__admin/report');
    } catch (e) {
      showError(box, e);
      return;
    }
    const s = r.summary;
    const parts = [el('div', { class: 'chips', 'data-test': 'report-summary' },
      [['clients', s.clients], ['calls', s.calls], ['faults met', s.faultsMet], ['retries', s.retries],
        ['errors', s.errors], ['warnings', s.warnings], ['infos', s.infos]].map(([k, v]) => el('span', { class: 'chip' }, k, el('b', null, fmtNum(v)))))];
    for (const c of r.clients) {
      parts.push(el('h2', { 'data-test': 'report-client' }, 'client ', el('span', { class: 'mono' }, c.clientKey ?? '(no clientKey)'),
        ' · user ', el('span', { class: 'mono' }, c.user || '(anonymous)'), ' ', el('span', { class: 'muted' }, c.userAgent)),
      el('p', { class: 'muted' }, fmtNum(c.calls) + ' calls · ' + fmtNum(c.faultsMet) + ' faults met · ' + fmtNum(c.retries) + ' retries'));
      if (!c.findings.length) {
        parts.push(el('p', { class: 'empty' }, 'No findings.'));
        continue;
      }
      parts.push(table(['severity', 'rule', 'message', 'journal entries'], c.findings.map((f) => el('tr', { 'data-test': 'finding', 'data-client': c.clientKey ?? '', 'data-rule': f.rule },
        el('td', { class: 'sev-' + f.severity }, f.severity),
        el('td', { class: 'mono', title: (r.rules[f.rule] || {}).description || '' }, f.rule),
        el('td', { class: 'wrap' }, f.message),
        el('td', { class: 'seqs' }, f.seqs.map((seq) => link('#' + seq, ['journal', seq], {}, { 'data-test': 'finding-seq' })))))));
    }
    if (!r.clients.length) parts.push(el('p', { class: 'empty' }, 'No client has called yet.'));
    box.replaceChildren(...parts);
  }
  return { root, refresh: load, every: 3 };
}

// ---- routing and polling ------------------------------------------------------------------------

// The views of one storage, shown under the Storages tab.
const STORAGE_VIEWS = ['queue', 'kvs', 'dataset'];

function parseHash() {
  const h = location.hash.replace(/^#\/?/, '');
  const [path, qs] = h.split('?', 2);
  const parts = path.split('/').filter(Boolean).map((p) => {
    try { return decodeURIComponent(p); } catch (e) { return p; }
  });
  return { parts, query: new URLSearchParams(qs || '') };
}

async function route() {
  const { parts, query } = parseHash();
  const tab = parts[0] || 'storages';
  if (!app.overview) {
    try {
      await refreshOverview();
    } catch (e) {
      if (!(e instanceof ApiError && e.status === 401)) banner('rq-fake does not answer: ' + e.message);
      return;
    }
  }
  banner('');
  const shownTab = STORAGE_VIEWS.includes(tab) ? 'storages' : tab;
  for (const a of document.querySelectorAll('[data-tab]')) a.classList.toggle('active', a.dataset.tab === shownTab);
  closeDetail();
  let view;
  if (tab === 'queue' && parts[1]) view = queueView(parts[1], query);
  else if (tab === 'kvs' && parts[1]) view = kvsView(parts[1], query);
  else if (tab === 'dataset' && parts[1]) view = datasetView(parts[1], query);
  else if (tab === 'journal') view = journalView(query, parts[1]);
  else if (tab === 'faults') view = faultsView();
  else if (tab === 'report') view = reportView();
  else view = storagesView(query);
  app.view = view;
  $('[data-test=view]').replaceChildren(view.root);
  await view.refresh();
  // For the browser tests: which view has rendered its first page.
  document.body.dataset.view = shownTab;
  document.body.dataset.ready = '1';
}

async function tick() {
  app.ticks++;
  if (!app.live || document.hidden || app.busy || !app.view) return;
  app.busy = true;
  try {
    await refreshOverview();
    banner('');
    if (app.ticks % (app.view.every || 1) === 0) await app.view.refresh();
    // For the browser tests: how many live refreshes have completed.
    document.body.dataset.refreshes = String(++app.refreshes);
  } catch (e) {
    if (!(e instanceof ApiError && e.status === 401)) banner('rq-fake does not answer: ' + e.message);
  } finally {
    app.busy = false;
  }
}

async function start() {
  setupToken();
  $('[data-test=detail-close]').addEventListener('click', closeDetail);
  $('[data-test=live]').addEventListener('change', (e) => { app.live = e.target.checked; });
  window.addEventListener('hashchange', route);
  try {
    const s = await api('/__admin/ui/session');
    app.tokenRequired = s.tokenRequired;
  } catch (e) {
    banner('rq-fake does not answer: ' + e.message);
  }
  if (app.tokenRequired && !app.token) {
    askForToken('');
  } else {
    await route();
  }
  setInterval(tick, POLL_MS);
}

document.addEventListener('DOMContentLoaded', start);
