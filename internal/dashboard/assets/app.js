// intentrt dashboard. Plain JavaScript modules, no build step, nothing from a CDN.
// Every figure on the page comes from the server's summary (docs/api.md §6) for the window the
// user picked — never from the rows this tab happens to hold. Secrets: the client secret is sent
// once, in the sign-in POST body; the server answers with an HttpOnly cookie scripts cannot read.
'use strict';

import { view, readURL, writeURL, zone, summaryBody, windowName, isRelative } from './view.js';
import { renderFigures, renderStale, tickUpdated } from './figures.js';
import { table } from './table.js';
import { renderHooks } from './hooks.js';

const CSRF = { 'X-Intentrt-Csrf': '1' };
const MIN_GAP_MS = 2000; // a tab refreshes its figures at most this often (the page's rate budget)
const HOOKS_EVERY_MS = 15_000; // the webhook health line's refresh, while the tab is shown

const $ = (id) => document.getElementById(id);
const state = {
  me: null, bot: '', sum: null, fetchedAt: 0, gen: 0,
  conn: { state: 'offline', attempt: 0, retryAt: 0 },
  inflight: false, dirty: false, lastFetch: 0, gapTimer: 0, edgeTimer: 0, backoffUntil: 0, hooksTimer: 0,
  channels: new Set(), intents: new Set(), port: null,
  figSeq: 0, tableSeq: 0, // only the answer to the latest request of each kind is shown
};

// ---- server calls -------------------------------------------------------------------
async function call(method, path, body) {
  const opts = { method, credentials: 'same-origin', headers: { Accept: 'application/json' } };
  if (method !== 'GET') Object.assign(opts.headers, CSRF);
  if (body !== undefined) {
    opts.headers['Content-Type'] = 'application/json';
    opts.body = JSON.stringify(body);
  }
  const resp = await fetch(path, opts);
  let data = null;
  if (resp.status !== 204) {
    try { data = await resp.json(); } catch { data = null; }
  }
  return { ok: resp.ok, status: resp.status, data, retryAfter: +(resp.headers.get('Retry-After') || 0) };
}
const errorText = (r) => {
  const msg = (r.data && r.data.errors && r.data.errors[0] && r.data.errors[0].msg) || `request failed (${r.status})`;
  return msg.charAt(0).toUpperCase() + msg.slice(1) + '.';
};
const botPath = (bot) => `/ui/api/bots/${encodeURIComponent(bot)}`;

// ---- the shared stream (stream-hub.js) ----------------------------------------------
async function hub() {
  if (state.port) return state.port;
  if (typeof SharedWorker === 'function') {
    const w = new SharedWorker('/ui/assets/stream-hub.js', { type: 'module', name: 'intentrt-stream' });
    state.port = w.port;
  } else { // no SharedWorker (some mobile browsers): this tab runs a hub of its own
    const { serve } = await import('./stream-hub.js');
    const ch = new MessageChannel();
    serve(ch.port1);
    state.port = ch.port2;
  }
  state.port.onmessage = (e) => onHub(e.data);
  state.port.start();
  addEventListener('pagehide', () => state.port.postMessage({ type: 'bye' }));
  return state.port;
}

function onHub(m) {
  if (!m || m.bot !== state.bot) return;
  if (m.type === 'state') {
    const was = state.conn.state;
    state.conn = m;
    showConn();
    if (m.state === 'live' && was === 'reconnecting') { loadTable(); requestFigures(); } // catch up
    return;
  }
  if (m.event === 'summary.changed') { requestFigures(); return; }
  let v;
  try { v = JSON.parse(m.data); } catch { return; }
  noteOptions([v]);
  if (table.offer(v, state.sum)) table.render(state.sum, zone(), true);
}

function showConn() {
  const c = state.conn.state;
  const text = { live: 'Live', connecting: 'Connecting…', reconnecting: 'Reconnecting…', offline: 'Not connected' }[c] || c;
  $('conn').className = `conn ${c}`;
  $('conn-text').textContent = text;
  renderStale(state);
}

// ---- sign in / out ------------------------------------------------------------------
function showSignIn(message) {
  leaveBot();
  state.me = null;
  $('app').hidden = true;
  $('who').hidden = true;
  $('signin').hidden = false;
  $('signin-error').textContent = message || '';
  $('in-account').focus();
}

function showApp(me) {
  state.me = me;
  $('signin').hidden = true;
  $('app').hidden = false;
  $('who').hidden = false;
  $('who-text').textContent = `Account ${me.accountId} · app ${me.clientId}`;
  $('bot-list').replaceChildren(...me.bots.map((b) => { const o = document.createElement('option'); o.value = b; return o; }));
  const bot = view.bot || localStorage.getItem(`intentrt.bot.${me.clientId}`) || (me.bots.length === 1 ? me.bots[0] : '');
  $('bot').value = bot;
  if (bot) openBot(bot); else $('bot').focus();
}

$('signin-form').addEventListener('submit', async (e) => {
  e.preventDefault();
  const body = { accountId: $('in-account').value.trim(), clientId: $('in-client').value.trim(), clientSecret: $('in-secret').value };
  $('signin-error').textContent = '';
  if (!body.accountId || !body.clientId || !body.clientSecret) {
    $('signin-error').textContent = 'Fill in the account id, client id and client secret.';
    return;
  }
  $('signin-submit').disabled = true;
  try {
    const r = await call('POST', '/ui/api/session', body);
    $('in-secret').value = ''; // the secret lives in the page no longer than needed
    if (r.ok) showApp(r.data); else { $('signin-error').textContent = errorText(r); $('in-secret').focus(); }
  } catch {
    $('signin-error').textContent = 'The server cannot be reached.';
  } finally {
    $('signin-submit').disabled = false;
  }
});

$('signout').addEventListener('click', async () => {
  try { await call('DELETE', '/ui/api/session'); } catch { /* the cookie is refused on next load anyway */ }
  $('signin-form').reset();
  showSignIn('');
});

// ---- bot, window and filters --------------------------------------------------------
function leaveBot() {
  state.gen++;
  if (state.port && state.bot) state.port.postMessage({ type: 'unsub', bot: state.bot });
  clearTimeout(state.edgeTimer);
  clearTimeout(state.gapTimer);
  clearTimeout(state.hooksTimer);
  state.conn = { state: 'offline', attempt: 0, retryAt: 0 };
}

async function openBot(bot) {
  if (bot !== state.bot) { state.channels.clear(); state.intents.clear(); state.sum = null; table.clear(); renderHooks(null, zone()); }
  leaveBot();
  state.bot = bot;
  view.bot = bot;
  writeURL();
  if (state.me) localStorage.setItem(`intentrt.bot.${state.me.clientId}`, bot);
  $('app-error').textContent = '';
  const port = await hub();
  // Subscribe before reading: every change after the read arrives on the stream.
  port.postMessage({ type: 'sub', bot });
  await reload();
  loadHooks();
}

// reload fetches the figures and then the table for the current view.
async function reload() {
  state.lastFetch = 0;
  await fetchFigures();
  await loadTable();
}

$('view-form').addEventListener('submit', (e) => {
  e.preventDefault();
  const bot = $('bot').value.trim();
  if (bot) openBot(bot);
});

let searchTimer = 0;
function onViewChange() {
  view.range = $('range').value;
  view.channel = $('f-channel').value;
  view.intent = $('f-intent').value;
  view.from = $('c-from').value;
  view.to = $('c-to').value;
  view.q = $('q').value.trim(); // a search still being typed goes with the rest
  clearTimeout(searchTimer);
  syncControls();
  writeURL();
  if (view.range === 'custom' && !(view.from && view.to)) return; // wait for both ends
  if (state.bot) reload();
}
for (const id of ['range', 'f-channel', 'f-intent', 'c-from', 'c-to']) $(id).addEventListener('change', onViewChange);
for (const [id, utc] of [['tz-local', false], ['tz-utc', true]]) {
  $(id).addEventListener('click', () => { view.utc = utc; onViewChange(); });
}
$('q').addEventListener('input', () => {
  clearTimeout(searchTimer);
  searchTimer = setTimeout(() => { view.q = $('q').value.trim(); writeURL(); loadTable(); }, 300);
});
$('more').addEventListener('click', () => table.more(state.sum, zone()));

function syncControls() {
  $('range').value = view.range;
  $('c-from').value = view.from;
  $('c-to').value = view.to;
  $('custom').hidden = $('custom-to').hidden = view.range !== 'custom';
  $('tz-local').textContent = `Browser (${Intl.DateTimeFormat().resolvedOptions().timeZone || 'local'})`;
  $('tz-local').setAttribute('aria-pressed', String(!view.utc));
  $('tz-utc').setAttribute('aria-pressed', String(view.utc));
  $('q').value = view.q;
  fillSelect('f-channel', state.channels, view.channel, 'All channels');
  fillSelect('f-intent', state.intents, view.intent, 'All intents');
}

function fillSelect(id, values, current, allText) {
  const opts = [''].concat([...values].sort());
  if (current && !opts.includes(current)) opts.push(current);
  const sel = $(id);
  if (sel.options.length !== opts.length || ![...sel.options].every((o, i) => o.value === opts[i])) {
    sel.replaceChildren(...opts.map((v) => { const o = document.createElement('option'); o.value = v; o.textContent = v || allText; return o; }));
  }
  sel.value = current;
}

function noteOptions(views, sum) {
  const before = state.channels.size + state.intents.size;
  for (const v of views) { state.channels.add(v.channel); for (const i of v.intent) state.intents.add(i); }
  if (sum) { for (const c of sum.channels) state.channels.add(c.channel); for (const i of sum.intents) state.intents.add(i.intent); }
  if (state.channels.size + state.intents.size !== before) syncControls();
}

// ---- figures ------------------------------------------------------------------------
// requestFigures refreshes the figures when the server says they changed (summary.changed) or
// the window moved on: at once if the last refresh is old enough, else after MIN_GAP_MS; not
// while the tab is hidden (it catches up when shown), never two at a time.
function requestFigures() {
  if (!state.bot) return;
  if (document.hidden || state.inflight) { state.dirty = true; return; }
  const wait = Math.max(state.lastFetch + MIN_GAP_MS, state.backoffUntil) - Date.now();
  if (wait > 0) {
    if (!state.gapTimer) state.gapTimer = setTimeout(() => { state.gapTimer = 0; requestFigures(); }, wait);
    return;
  }
  fetchFigures();
}
document.addEventListener('visibilitychange', () => { if (!document.hidden && state.dirty) { state.dirty = false; requestFigures(); } });

async function fetchFigures() {
  const gen = state.gen;
  const seq = ++state.figSeq;
  const body = summaryBody(new Date());
  state.inflight = true;
  state.lastFetch = Date.now();
  let r;
  try {
    r = await call('POST', `${botPath(state.bot)}/summary`, body);
  } catch {
    r = { ok: false, status: 0 };
  } finally {
    state.inflight = false;
  }
  if (gen !== state.gen || seq !== state.figSeq) return;
  if (r.status === 401) { showSignIn(errorText(r)); return; }
  if (!r.ok) {
    $('app-error').textContent = r.status ? errorText(r) : 'The server cannot be reached; the figures will refresh when it answers.';
    if (r.status === 429 || r.status >= 500 || !r.status) state.backoffUntil = Date.now() + Math.max(2, r.retryAfter || 0) * 1000;
    state.dirty = false;
    requestFigures();
    return;
  }
  $('app-error').textContent = '';
  state.sum = r.data;
  state.fetchedAt = Date.now();
  $('figures').dataset.request = JSON.stringify(body);
  noteOptions([], r.data);
  renderFigures(r.data, zone(), windowName());
  renderStale(state);
  table.render(state.sum, zone(), false);
  scheduleEdge(r.data);
  if (state.dirty) { state.dirty = false; requestFigures(); }
}

// scheduleEdge refreshes when the bucket that is filling ends: a relative window moves on then,
// whether or not anything happened — a timer at a known instant, not polling.
function scheduleEdge(sum) {
  clearTimeout(state.edgeTimer);
  if (!isRelative()) return;
  const asOf = Date.parse(sum.asOf);
  const next = sum.series.map((p) => Date.parse(p.start)).concat([Date.parse(sum.to)]).find((t) => t > asOf);
  if (!next) return;
  state.edgeTimer = setTimeout(requestFigures, Math.min(next - asOf + 500, 2 ** 31 - 1));
}

// ---- table --------------------------------------------------------------------------
async function loadTable() {
  if (!state.bot || !state.sum) return;
  const gen = state.gen;
  const seq = ++state.tableSeq;
  const p = new URLSearchParams({ limit: '200', from: state.sum.from, to: state.sum.to });
  if (view.channel) p.set('channel', view.channel);
  if (view.intent) p.set('intent', view.intent);
  if (view.q) p.set('q', view.q);
  let r;
  try { r = await call('GET', `${botPath(state.bot)}/sessions?${p}`); } catch { return; }
  if (gen !== state.gen || seq !== state.tableSeq) return;
  if (r.status === 401) { showSignIn(errorText(r)); return; }
  if (!r.ok) { $('app-error').textContent = errorText(r); return; }
  noteOptions(r.data.sessions);
  table.load(r.data, view);
  table.render(state.sum, zone(), false);
}

// ---- webhook health (hooks.js) --------------------------------------------------------
// loadHooks shows how the account's webhooks on this bot are doing, every HOOKS_EVERY_MS
// while the tab is shown. A failure leaves the last line and tries again at the next tick.
async function loadHooks() {
  clearTimeout(state.hooksTimer);
  if (!state.bot) return;
  const gen = state.gen;
  state.hooksTimer = setTimeout(loadHooks, HOOKS_EVERY_MS);
  if (document.hidden) return;
  let r;
  try { r = await call('GET', `${botPath(state.bot)}/webhooks`); } catch { return; }
  if (gen !== state.gen) return;
  if (r.status === 401) { showSignIn(errorText(r)); return; }
  if (r.ok) renderHooks(r.data, zone());
}
document.addEventListener('visibilitychange', () => { if (!document.hidden && state.bot) loadHooks(); });

// ---- start --------------------------------------------------------------------------
setInterval(() => tickUpdated(state), 1000);
// New-row marks expire; the layout changes between table and cards with the width.
setInterval(() => { if (state.sum) table.render(state.sum, zone()); }, 15_000);
document.addEventListener('intentrt:relayout', () => { if (state.sum) table.render(state.sum, zone()); });
readURL();
syncControls();
(async () => {
  try {
    const r = await call('GET', '/ui/api/session');
    if (r.ok) showApp(r.data); else showSignIn('');
  } catch {
    showSignIn('The server cannot be reached.');
  }
})();
