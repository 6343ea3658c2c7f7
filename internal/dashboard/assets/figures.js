// intentrt dashboard: the headline row, the window line, the charts and the stale banner,
// all drawn from one summary answer.
'use strict';

import { count, pct, duration, change, clock, dateShort, sameDay, STATUSES, STATUS_LABEL, STATUS_COLOUR } from './format.js';
import { series, bars, statusItems, channelItems, intentItems, deflectionItems } from './charts.js';

const $ = (id) => document.getElementById(id);

// Each tile: where its value is in the answer, how it is written, how its change reads, and
// which direction is good news.
const TILES = {
  sessions: { get: (f) => f.sessions, show: count, kind: 'count', good: 0 },
  containmentRate: { get: (f) => f.containmentRate, show: pct, kind: 'rate', good: 1 },
  dropoffRate: { get: (f) => f.dropoffRate, show: pct, kind: 'rate', good: -1 },
  transferRate: { get: (f) => f.transferRate, show: pct, kind: 'rate', good: -1 },
  deflectionRate: { get: (f) => f.deflectionRate, show: pct, kind: 'rate', good: 1 },
  avg: { get: (f) => f.timeHandled.avg, show: duration, kind: 'time', good: 0 },
  p50: { get: (f) => f.timeHandled.p50, show: duration, kind: 'time', good: 0 },
};

function span(sum, zone) {
  const a = new Date(Date.parse(sum.from));
  const b = new Date(Date.parse(sum.to));
  const day = (d) => `${dateShort(d, zone)} ${clock(d, zone)}`;
  return sameDay(a, b, zone) || (b - a <= 864e5 && clock(b, zone) === '00:00')
    ? `${day(a)} – ${clock(b, zone)}` : `${day(a)} – ${day(b)}`;
}

let last = null;
// Charts are drawn at their shown width: draw again when it changes.
new ResizeObserver(() => {
  if (!last) return;
  cancelAnimationFrame(last.frame);
  last.frame = requestAnimationFrame(() => drawCharts(last.sum, last.zone));
}).observe(document.getElementById('c-series'));

export function renderFigures(sum, zone, name) {
  last = { sum, zone, frame: 0 };
  $('w-name').textContent = name;
  $('w-span').textContent = `${span(sum, zone)} (${zone}) · ${sum.bucket} buckets`;
  $('w-span').dataset.from = sum.from;
  $('w-span').dataset.to = sum.to;
  $('w-compare').textContent = 'Changes compare with the previous window of the same length.';
  for (const tile of document.querySelectorAll('#tiles .tile')) {
    const key = tile.dataset.key;
    const val = tile.querySelector('.t-val');
    const chg = tile.querySelector('.t-chg');
    if (key === 'inProgress') {
      val.textContent = count(sum.inProgress);
      val.dataset.value = String(sum.inProgress);
      chg.textContent = 'now; started in the last 24 h';
      chg.className = 't-chg flat';
      continue;
    }
    const t = TILES[key];
    const cur = t.get(sum.totals);
    val.textContent = t.show(cur);
    val.dataset.value = String(cur);
    // A rate or a handling time of an empty window is 0 by definition, not a figure to compare
    // with: "+56.9 pts" against a window without sessions would be news that is not.
    const c = sum.previous.sessions === 0 && t.kind !== 'count'
      ? { text: 'no sessions in the previous window', tone: 'flat' }
      : change(cur, t.get(sum.previous), t.kind, t.good);
    chg.textContent = c.text.startsWith('no sessions') ? c.text : `${c.text} vs previous`;
    chg.className = `t-chg ${c.tone}`;
    chg.title = `previous window: ${t.show(t.get(sum.previous))}`;
  }
  $('legend').replaceChildren(...STATUSES.map((k) => {
    const s = document.createElement('span');
    s.className = 'key';
    const sw = document.createElement('i');
    sw.className = `sw st-${k}`;
    s.append(sw, `${STATUS_LABEL[k]}`);
    return s;
  }));
  drawCharts(sum, zone);
}

function drawCharts(sum, zone) {
  series($('c-series'), sum, zone);
  const n = sum.totals.sessions;
  bars($('c-intents'), intentItems(sum.intents.slice(0, 10)), n, 'Top intents');
  bars($('c-status'), n ? statusItems(sum.totals) : [], n, 'Status');
  bars($('c-channels'), channelItems(sum.channels), n, 'Channels');
  const defl = deflectionItems(sum.deflectedTo);
  if (n && !defl.length) {
    $('c-deflect').replaceChildren(Object.assign(document.createElement('p'), { className: 'none', textContent: 'No session was deflected in this window.' }));
  } else bars($('c-deflect'), defl, n, 'Deflected to');
}
void STATUS_COLOUR;

// renderStale shows the banner while the live feed is down: the figures may be out of date.
export function renderStale(state) {
  const c = state.conn;
  const stale = state.bot && c.state === 'reconnecting';
  $('stale').hidden = !stale;
  $('figures').classList.toggle('is-stale', Boolean(stale));
  if (!stale) return;
  const since = state.fetchedAt ? `The figures below are from ${clock(new Date(state.fetchedAt), Intl.DateTimeFormat().resolvedOptions().timeZone, true)} and may be out of date.` : '';
  const next = c.retryAt ? Math.max(0, Math.ceil((c.retryAt - Date.now()) / 1000)) : 0;
  $('stale').textContent = `Live feed lost — reconnecting${c.attempt > 1 ? ` (attempt ${c.attempt})` : ''}${next ? `, next try in ${next} s` : ''}. ${since}`;
}

export function tickUpdated(state) {
  const u = $('updated');
  if (!state.fetchedAt) { u.textContent = ''; return; }
  const s = Math.max(0, Math.round((Date.now() - state.fetchedAt) / 1000));
  u.textContent = `· updated ${s < 2 ? 'just now' : `${s} s ago`}`;
  if (state.conn.state === 'reconnecting') renderStale(state);
}
