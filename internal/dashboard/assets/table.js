// intentrt dashboard: the table of the latest sessions in the window (cards on a phone). It
// starts from the server's list for the view (filters and search applied there) and takes the
// sessions the stream brings that match the same view.
'use strict';

import { view } from './view.js';
import { when, STATUS_LABEL } from './format.js';

const MAX_ROWS = 200;      // kept and drawn on a desktop
const PHONE_PAGE = 20;     // cards per "show more" on a phone
const NEW_FOR_MS = 60_000; // how long a live row stays marked as new
const $ = (id) => document.getElementById(id);
const phone = matchMedia('(max-width: 640px)');

const rows = new Map(); // sessionId → { v, newAt }
let shown = PHONE_PAGE;
let searched = null;    // the server's note on a search: { searched, complete }

// The API's order: newest endTime first, ties by sessionId descending. The timestamps share one
// fixed format, so comparing strings compares times.
const cmp = (a, b) => (a < b ? -1 : a > b ? 1 : 0);
const sorted = () => [...rows.values()].sort((a, b) =>
  a.v.endTime === b.v.endTime ? cmp(b.v.sessionId, a.v.sessionId) : cmp(b.v.endTime, a.v.endTime));

// matches is the server's rule for the view (sessions.go): channel, intent, search of ANI,
// userId and sessionId, and endTime within the window.
function matches(v, sum) {
  if (view.channel && v.channel.toLowerCase() !== view.channel.toLowerCase()) return false;
  if (view.intent && !v.intent.includes(view.intent)) return false;
  const q = view.q.toLowerCase();
  if (q && ![v.ANI, v.userId, v.sessionId].some((s) => s.toLowerCase().includes(q))) return false;
  const end = Date.parse(v.endTime);
  return !sum || (end >= Date.parse(sum.from) && end < Date.parse(sum.to));
}

function td(label, content, cls) {
  const c = document.createElement('td');
  c.dataset.label = label;
  if (cls) c.className = cls;
  const v = document.createElement('span'); // one wrapper, so the card layout sees two items
  if (content instanceof Node) v.append(content); else v.textContent = content;
  c.append(v);
  return c;
}
function span(cls, text) {
  const s = document.createElement('span');
  s.className = cls;
  s.textContent = text;
  return s;
}

function row({ v, newAt }, zone, now) {
  const tr = document.createElement('tr');
  tr.dataset.sessionId = v.sessionId;
  const isNew = newAt && now - newAt < NEW_FOR_MS;
  if (isNew) tr.className = 'is-new';
  const intents = document.createDocumentFragment();
  if (isNew) intents.append(span('tag new', 'New'));
  if (v.intent.length === 0) intents.append('—');
  for (const name of v.intent) intents.append(span('chip', name));
  const nowD = new Date(now);
  const end = td('Ended', when(new Date(Date.parse(v.endTime)), zone, nowD), 'time');
  end.title = v.endTime;
  const start = td('Started', v.startTime ? when(new Date(Date.parse(v.startTime)), zone, nowD) : '—', 'time');
  start.title = v.startTime;
  tr.append(end, start, td('Intents', intents, 'intent'), td('Status', span(`st st-${v.status}`, STATUS_LABEL[v.status] || v.status)),
    td('Channel', v.channel), td('Handled', v.timeHandled, 'num'), td('Deflected to', v.deflectedTo === null ? '—' : v.deflectedTo),
    td('Caller (ANI)', v.ANI, 'mono id'), td('Dialled (DNI)', v.DNI, 'mono id'), td('User id', v.userId, 'mono id'),
    td('Session id', v.sessionId, 'mono id'));
  return tr;
}

export const table = {
  clear() { rows.clear(); shown = PHONE_PAGE; searched = null; },

  // load replaces the rows with the server's list for the view; marks of new rows survive.
  load(data, v) {
    const old = new Map(rows);
    rows.clear();
    for (const s of data.sessions) rows.set(s.sessionId, { v: s, newAt: old.get(s.sessionId)?.newAt || 0 });
    searched = v.q ? { n: data.searched || 0, complete: Boolean(data.complete) } : null;
    shown = PHONE_PAGE;
  },

  // offer takes a session from the stream; true when the table changed.
  offer(v, sum) {
    const had = rows.get(v.sessionId);
    if (!matches(v, sum)) {
      return had ? rows.delete(v.sessionId) : false; // an update may take it out of the view
    }
    rows.set(v.sessionId, { v, newAt: had ? had.newAt : Date.now() });
    if (rows.size > MAX_ROWS) for (const s of sorted().slice(MAX_ROWS)) rows.delete(s.v.sessionId);
    return true;
  },

  more(sum, zone) { shown += PHONE_PAGE; this.render(sum, zone, false); },

  render(sum, zone) {
    const all = sorted().filter((r) => matches(r.v, sum));
    const limit = phone.matches ? shown : MAX_ROWS;
    const now = Date.now();
    $('rows').replaceChildren(...all.slice(0, limit).map((r) => row(r, zone, now)));
    $('more').hidden = all.length <= limit;
    $('empty').hidden = all.length > 0;
    $('empty').textContent = view.q ? 'No session in this window matches the search.' : 'No sessions in this window yet.';
    let note = all.length ? `(${all.length === MAX_ROWS ? `the latest ${MAX_ROWS}` : all.length}; times in ${zone})` : '';
    if (searched && !searched.complete) note += ` — searched the latest ${searched.n.toLocaleString('en-US')} sessions of the window`;
    $('count').textContent = note;
  },
};
phone.addEventListener('change', () => document.dispatchEvent(new Event('intentrt:relayout')));
