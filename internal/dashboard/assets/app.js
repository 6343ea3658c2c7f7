// intentrt dashboard. Plain JavaScript, no build step, nothing from a CDN.
// Secrets: the client secret is sent once, in the sign-in POST body; the server answers with an
// HttpOnly cookie that scripts cannot read. Only the chosen bot id is kept in localStorage.
'use strict';

(() => {
  const MAX_SESSIONS = 500;   // the window the table and charts work on
  const MAX_ROWS = 200;       // rows drawn at once
  const NEW_FOR_MS = 60_000;  // how long a live row stays marked as new
  const CSRF = { 'X-Intentrt-Csrf': '1' };
  const STATUSES = ['completed', 'Dropoff', 'agentTransfer', 'error'];
  const STATUS_COLOURS = { completed: '#1d7a46', Dropoff: '#b42318', agentTransfer: '#5b3fb8', error: '#6b2a00' };
  const PALETTE = ['#1f5fbf', '#1d7a46', '#9a5b00', '#5b3fb8', '#b42318', '#00707a', '#6b2a00', '#4f5b6b'];

  const $ = (id) => document.getElementById(id);
  const state = {
    me: null, bot: '', sessions: new Map(), es: null, paused: false, queue: [],
    retryMs: 1000, retryTimer: 0, renderQueued: false, generation: 0,
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
    return { ok: resp.ok, status: resp.status, data };
  }
  const errorText = (r) => {
    const msg = (r.data && r.data.errors && r.data.errors[0] && r.data.errors[0].msg) || `request failed (${r.status})`;
    return msg.charAt(0).toUpperCase() + msg.slice(1) + '.';
  };
  const botPath = (bot) => `/ui/api/bots/${encodeURIComponent(bot)}`;

  // ---- sign in / out ------------------------------------------------------------------
  function showSignIn(message) {
    stopStream();
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
    const list = $('bot-list');
    list.replaceChildren(...me.bots.map((b) => { const o = document.createElement('option'); o.value = b; return o; }));
    const remembered = localStorage.getItem(`intentrt.bot.${me.clientId}`) || '';
    const bot = remembered || (me.bots.length === 1 ? me.bots[0] : '');
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
    try { await call('DELETE', '/ui/api/session'); } catch { /* the cookie is cleared below anyway on next load */ }
    state.sessions.clear();
    render();
    $('signin-form').reset();
    showSignIn('');
  });

  // ---- bot and stream -----------------------------------------------------------------
  $('bot-form').addEventListener('submit', (e) => {
    e.preventDefault();
    const bot = $('bot').value.trim();
    if (bot) openBot(bot);
  });

  function stopStream() {
    state.generation++;
    clearTimeout(state.retryTimer);
    if (state.es) { state.es.close(); state.es = null; }
  }

  function setConn(kind, text) {
    $('conn').className = `conn ${kind}`;
    $('conn-text').textContent = text;
  }

  function showConn() {
    if (!state.es) return;
    if (state.es.readyState === EventSource.OPEN) {
      if (state.paused) setConn('paused', 'Paused'); else setConn('live', 'Live');
    } else setConn('reconnecting', 'Reconnecting…');
  }

  async function openBot(bot) {
    const switching = bot !== state.bot;
    stopStream();
    const gen = state.generation;
    state.bot = bot;
    if (state.me) localStorage.setItem(`intentrt.bot.${state.me.clientId}`, bot);
    if (switching) { state.sessions.clear(); state.queue = []; render(); }
    $('app-error').textContent = '';
    setConn('reconnecting', 'Connecting…');
    let r;
    try {
      r = await call('GET', `${botPath(bot)}/sessions`);
    } catch {
      return retryLater(gen);
    }
    if (gen !== state.generation) return;
    if (r.status === 401) return showSignIn(errorText(r));
    if (!r.ok) {
      if (r.status >= 500 || r.status === 429) return retryLater(gen);
      setConn('offline', 'Not connected');
      $('app-error').textContent = errorText(r);
      return;
    }
    // Merge rather than replace: rows keep their "new" marks across a reconnect.
    for (const v of r.data.sessions) upsert(v, false);
    render();
    connect(bot, r.data.cursor, gen);
  }

  // connect opens the stream from the cursor read before the listed sessions: every change
  // after them arrives, none is missed. EventSource resumes by itself (with Last-Event-ID) when
  // the server ends the response; only a refused reconnect needs us to start over.
  function connect(bot, cursor, gen) {
    const es = new EventSource(`${botPath(bot)}/stream?lastEventId=${encodeURIComponent(cursor)}`);
    state.es = es;
    es.onopen = () => { state.retryMs = 1000; showConn(); };
    const onChange = (e) => {
      if (gen !== state.generation) return;
      let v;
      try { v = JSON.parse(e.data); } catch { return; }
      if (state.paused) { state.queue.push(v); showPausedNote(); return; }
      upsert(v, true);
      scheduleRender();
    };
    es.addEventListener('session', onChange);
    es.addEventListener('session.updated', onChange);
    es.onerror = () => {
      if (gen !== state.generation) return;
      if (es.readyState === EventSource.CLOSED) { es.close(); retryLater(gen); } else showConn();
    };
  }

  function retryLater(gen) {
    if (gen !== state.generation) return;
    setConn('reconnecting', 'Reconnecting…');
    clearTimeout(state.retryTimer);
    state.retryTimer = setTimeout(() => { if (gen === state.generation) openBot(state.bot); }, state.retryMs);
    state.retryMs = Math.min(state.retryMs * 2, 15000);
  }

  // ---- data ---------------------------------------------------------------------------
  function upsert(v, live) {
    const old = state.sessions.get(v.sessionId);
    const newAt = live && !old ? Date.now() : (old ? old.newAt : 0);
    state.sessions.set(v.sessionId, { v, newAt });
    if (state.sessions.size > MAX_SESSIONS) {
      const oldest = sorted().slice(MAX_SESSIONS);
      for (const s of oldest) state.sessions.delete(s.v.sessionId);
    }
  }

  // The API's order: newest endTime first, ties by sessionId descending. The timestamps share
  // one fixed format, so comparing strings compares times.
  function sorted() {
    return [...state.sessions.values()].sort((a, b) =>
      a.v.endTime === b.v.endTime ? cmp(b.v.sessionId, a.v.sessionId) : cmp(b.v.endTime, a.v.endTime));
  }
  const cmp = (a, b) => (a < b ? -1 : a > b ? 1 : 0);

  // ---- pause and filters --------------------------------------------------------------
  $('pause').addEventListener('click', () => {
    state.paused = !state.paused;
    $('pause').setAttribute('aria-pressed', String(state.paused));
    $('pause').textContent = state.paused ? 'Resume' : 'Pause';
    if (!state.paused) {
      for (const v of state.queue) upsert(v, true);
      state.queue = [];
      render();
    }
    showPausedNote();
    showConn();
  });

  function showPausedNote() {
    const note = $('paused-note');
    note.hidden = !state.paused;
    const n = state.queue.length;
    note.textContent = `Paused: ${n} new ${n === 1 ? 'session' : 'sessions'} held back. Press Resume to show them.`;
  }

  for (const id of ['f-channel', 'f-status', 'f-intent']) $(id).addEventListener('change', render);

  function fillSelect(id, values) {
    const sel = $(id);
    const current = sel.value;
    const opts = [''].concat(values);
    if (current && !opts.includes(current)) opts.push(current);
    if (sel.options.length === opts.length && [...sel.options].every((o, i) => o.value === opts[i])) return;
    sel.replaceChildren(...opts.map((v) => { const o = document.createElement('option'); o.value = v; o.textContent = v || 'All'; return o; }));
    sel.value = current;
  }

  // ---- rendering ----------------------------------------------------------------------
  function scheduleRender() {
    if (state.renderQueued) return;
    state.renderQueued = true;
    requestAnimationFrame(() => { state.renderQueued = false; render(); });
  }

  // Times stay in UTC, as the API gives them; today's drop the date to keep the table narrow.
  const shortTime = (s) => {
    if (!s) return '';
    return s.slice(0, 10) === new Date().toISOString().slice(0, 10) ? s.slice(11, 19) : s.slice(0, 19).replace('T', ' ');
  };

  function td(label, content, cls) {
    const c = document.createElement('td');
    c.dataset.label = label;
    if (cls) c.className = cls;
    // One wrapper per cell, so that the phone layout (label beside value) sees two items.
    const v = document.createElement('span');
    if (content instanceof Node) v.append(content); else v.textContent = content;
    c.append(v);
    return c;
  }
  function span(cls, text) { const s = document.createElement('span'); s.className = cls; s.textContent = text; return s; }

  function render() {
    const all = sorted();
    fillSelect('f-channel', [...new Set(all.map((s) => s.v.channel))].sort());
    fillSelect('f-status', STATUSES);
    fillSelect('f-intent', [...new Set(all.flatMap((s) => s.v.intent))].sort());
    const fc = $('f-channel').value, fs = $('f-status').value, fi = $('f-intent').value;
    const shown = all.filter((s) => (!fc || s.v.channel === fc) && (!fs || s.v.status === fs) && (!fi || s.v.intent.includes(fi)));
    const now = Date.now();
    const rows = shown.slice(0, MAX_ROWS).map(({ v, newAt }) => {
      const tr = document.createElement('tr');
      tr.dataset.sessionId = v.sessionId;
      const isNew = newAt && now - newAt < NEW_FOR_MS;
      if (isNew) tr.className = 'is-new';
      const intents = document.createDocumentFragment();
      if (isNew) intents.append(span('tag new', 'New'));
      if (v.intent.length === 0) intents.append('—');
      for (const name of v.intent) intents.append(span('chip', name));
      const start = td('startTime', shortTime(v.startTime), 'mono'); start.title = v.startTime;
      const end = td('endTime', shortTime(v.endTime), 'mono'); end.title = v.endTime;
      tr.append(td('intent', intents, 'intent'), td('ANI', v.ANI, 'mono id'), td('DNI', v.DNI, 'mono id'), td('channel', v.channel),
        start, end, td('status', span(`st st-${v.status}`, v.status)), td('timeHandled', v.timeHandled),
        td('deflectedTo', v.deflectedTo === null ? '—' : v.deflectedTo), td('userId', v.userId, 'mono id'), td('sessionId', v.sessionId, 'mono id'));
      for (const c of tr.querySelectorAll('td.id')) c.title = c.textContent; // the whole value, when cut short
      return tr;
    });
    $('rows').replaceChildren(...rows);
    $('empty').hidden = rows.length > 0;
    $('empty').textContent = all.length ? 'No session matches the filters.' : 'No sessions yet.';
    $('count').textContent = all.length ? `(${shown.length === all.length ? all.length : `${shown.length} of ${all.length}`}; times in UTC)` : '';
    renderCharts(all.map((s) => s.v), now);
  }

  // ---- charts (inline SVG) ------------------------------------------------------------
  const SVG = 'http://www.w3.org/2000/svg';
  function el(name, attrs, text) {
    const e = document.createElementNS(SVG, name);
    for (const [k, val] of Object.entries(attrs || {})) e.setAttribute(k, val);
    if (text !== undefined) e.textContent = text;
    return e;
  }
  function svg(w, h, label) {
    return el('svg', { viewBox: `0 0 ${w} ${h}`, role: 'img', 'aria-label': label });
  }
  const clip = (s, n) => (s.length > n ? `${s.slice(0, n - 1)}…` : s);
  const pct = (n, d) => (d ? Math.round((n / d) * 1000) / 10 : 0);

  function counts(values) {
    const m = new Map();
    for (const v of values) m.set(v, (m.get(v) || 0) + 1);
    return [...m.entries()].sort((a, b) => b[1] - a[1] || cmp(a[0], b[0]));
  }

  function bars(target, items, label, colour) {
    const box = $(target);
    if (!items.length) { box.replaceChildren(span('none', 'No data yet.')); return; }
    const rowH = 26, w = 340, labelW = 130, valW = 44;
    const max = Math.max(...items.map((i) => i[1]));
    const s = svg(w, items.length * rowH, `${label}: ${items.map(([k, n]) => `${k} ${n}`).join(', ')}`);
    items.forEach(([k, n], i) => {
      const y = i * rowH;
      const bw = Math.max(2, ((w - labelW - valW) * n) / max);
      s.append(el('text', { x: 0, y: y + 17, class: 'lbl' }, clip(k, 19)));
      s.append(el('rect', { x: labelW, y: y + 5, width: bw, height: 16, rx: 3, fill: colour(k, i) }));
      s.append(el('text', { x: labelW + bw + 6, y: y + 17, class: 'val' }, String(n)));
    });
    box.replaceChildren(s);
  }

  function ring(target, part, whole, label, colour, sub) {
    const box = $(target);
    if (!whole) { box.replaceChildren(span('none', 'No data yet.')); return; }
    const p = pct(part, whole), r = 44, c = 2 * Math.PI * r;
    const s = svg(340, 110, `${label}: ${p}% (${part} of ${whole})`);
    s.append(el('circle', { cx: 55, cy: 55, r, fill: 'none', stroke: '#e5e9ef', 'stroke-width': 14 }));
    s.append(el('circle', { cx: 55, cy: 55, r, fill: 'none', stroke: colour, 'stroke-width': 14,
      'stroke-dasharray': `${(c * part) / whole} ${c}`, transform: 'rotate(-90 55 55)' }));
    s.append(el('text', { x: 125, y: 50, class: 'big' }, `${p}%`));
    s.append(el('text', { x: 125, y: 74, class: 'small' }, `${part} of ${whole} sessions`));
    if (sub) s.append(el('text', { x: 125, y: 94, class: 'small' }, sub));
    box.replaceChildren(s);
  }

  function perMinute(target, views, now) {
    const box = $(target);
    const minutes = 15, w = 340, h = 120, base = 96;
    const start = Math.floor(now / 60000) - minutes + 1;
    const buckets = new Array(minutes).fill(0);
    for (const v of views) {
      const m = Math.floor(Date.parse(v.endTime) / 60000) - start;
      if (m >= 0 && m < minutes) buckets[m]++;
    }
    const max = Math.max(1, ...buckets);
    const s = svg(w, h, `Sessions per minute, last ${minutes} minutes: ${buckets.join(', ')}`);
    const colW = w / minutes;
    s.append(el('line', { x1: 0, y1: base + 0.5, x2: w, y2: base + 0.5, stroke: '#8592a3' }));
    buckets.forEach((n, i) => {
      const bh = (n / max) * (base - 18);
      s.append(el('rect', { x: i * colW + 3, y: base - bh, width: colW - 6, height: bh, rx: 2, fill: '#1f5fbf' }));
      if (n) s.append(el('text', { x: i * colW + colW / 2, y: base - bh - 4, class: 'val', 'text-anchor': 'middle' }, String(n)));
    });
    s.append(el('text', { x: 0, y: h - 4, class: 'small' }, `−${minutes} min`));
    s.append(el('text', { x: w, y: h - 4, class: 'small', 'text-anchor': 'end' }, 'now'));
    box.replaceChildren(s);
  }

  function renderCharts(views, now) {
    $('charts-sub').textContent = views.length ? `(the ${views.length} most recent sessions)` : '';
    bars('c-intents', counts(views.flatMap((v) => v.intent)).slice(0, 6), 'Top intents', () => '#1f5fbf');
    bars('c-status', counts(views.map((v) => v.status)), 'Status mix', (k) => STATUS_COLOURS[k] || '#4f5b6b');
    bars('c-channels', counts(views.map((v) => v.channel)).slice(0, 6), 'Channel mix', (_, i) => PALETTE[i % PALETTE.length]);
    ring('c-dropoff', views.filter((v) => v.status === 'Dropoff').length, views.length, 'Drop-off rate', '#b42318');
    const deflected = views.filter((v) => v.deflectedTo !== null);
    const targets = counts(deflected.map((v) => v.deflectedTo)).slice(0, 3).map(([k, n]) => `${k} ${n}`).join(' · ');
    ring('c-deflect', deflected.length, views.length, 'Deflections', '#9a5b00', targets ? `to ${targets}` : 'none deflected');
    perMinute('c-rate', views, now);
  }

  // New-row marks expire and the per-minute chart moves on even when nothing arrives.
  setInterval(() => { if (!$('app').hidden) scheduleRender(); }, 5000);

  // ---- start --------------------------------------------------------------------------
  (async () => {
    try {
      const r = await call('GET', '/ui/api/session');
      if (r.ok) showApp(r.data); else showSignIn('');
    } catch {
      showSignIn('The server cannot be reached.');
    }
  })();
})();
