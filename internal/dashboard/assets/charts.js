// intentrt dashboard: charts as inline SVG, drawn from a summary (no library: the page's
// Content-Security-Policy loads nothing from elsewhere, and these few shapes do not need one).
'use strict';

import { STATUSES, STATUS_LABEL, STATUS_COLOUR, channelColour, count, share, clock, dateShort, weekday, sameDay, parts } from './format.js';

const NS = 'http://www.w3.org/2000/svg';
function el(name, attrs, text) {
  const e = document.createElementNS(NS, name);
  for (const [k, v] of Object.entries(attrs || {})) e.setAttribute(k, v);
  if (text !== undefined) e.textContent = text;
  return e;
}
const none = (box, text) => {
  const p = document.createElement('p');
  p.className = 'none';
  p.textContent = text;
  box.replaceChildren(p);
};

// niceTicks returns 0 and round steps up to at least max (1, 2 or 5 times a power of ten).
function niceTicks(max, want) {
  if (max <= 0) return [0, 1];
  const raw = max / want;
  const mag = 10 ** Math.floor(Math.log10(raw));
  const step = [1, 2, 5, 10].map((m) => m * mag).find((s) => s >= raw && s >= 1) || Math.max(1, mag * 10);
  const ticks = [];
  for (let v = 0; v < max + step; v += step) ticks.push(v);
  return ticks;
}

const BUCKET_NAME = { '1m': 'minute', '5m': '5 minutes', '15m': '15 minutes', '1h': 'hour', '1d': 'day' };

// series draws sessions per bucket, stacked by status, with a y axis of counts, an x axis of
// local times, and the bucket still filling (the one holding asOf) hatched and labelled.
export function series(box, sum, zone) {
  const pts = sum.series;
  if (!pts.length) return none(box, 'No buckets in this window.');
  // Drawn at the size it is shown, so that its text is the page's size at every width.
  const W = Math.max(300, box.clientWidth || 960), H = W < 600 ? 220 : 260, L = 48, R = 12, T = 22, B = 44;
  const iw = W - L - R, ih = H - T - B;
  const max = Math.max(...pts.map((p) => p.sessions));
  const ticks = niceTicks(max, 4);
  const top = ticks[ticks.length - 1];
  const y = (v) => T + ih - (v / top) * ih;
  const bw = iw / pts.length;
  const asOf = Date.parse(sum.asOf);
  const ends = pts.map((p, i) => (i + 1 < pts.length ? Date.parse(pts[i + 1].start) : Date.parse(sum.to)));
  const partial = pts.findIndex((p, i) => Date.parse(p.start) <= asOf && asOf < ends[i]);
  const s = el('svg', { viewBox: `0 0 ${W} ${H}`, role: 'img', class: 'series',
    'aria-label': `Sessions per ${BUCKET_NAME[sum.bucket]}, by status: ${pts.map((p) => p.sessions).join(', ')}` });
  const defs = el('defs');
  const pat = el('pattern', { id: 'hatch', width: 6, height: 6, patternUnits: 'userSpaceOnUse', patternTransform: 'rotate(45)' });
  pat.append(el('rect', { width: 6, height: 6, fill: '#ffffff', 'fill-opacity': 0.55 }), el('line', { x1: 0, y1: 0, x2: 0, y2: 6, stroke: '#ffffff', 'stroke-width': 3 }));
  defs.append(pat);
  s.append(defs);
  for (const t of ticks) {
    s.append(el('line', { x1: L, x2: W - R, y1: y(t) + 0.5, y2: y(t) + 0.5, class: t ? 'grid' : 'axis' }));
    s.append(el('text', { x: L - 6, y: y(t) + 4, class: 'tick', 'text-anchor': 'end' }, count(t)));
  }
  s.append(el('text', { x: 4, y: 12, class: 'unit' }, `sessions per ${BUCKET_NAME[sum.bucket]}`));
  pts.forEach((p, i) => {
    let acc = 0;
    const x = L + i * bw + Math.min(2, bw * 0.15);
    const w = Math.max(1, bw - 2 * Math.min(2, bw * 0.15));
    const g = el('g', { 'data-start': p.start, 'data-n': p.sessions });
    const title = el('title', {}, `${label(p.start, sum, zone)}: ${count(p.sessions)} sessions${i === partial ? ' (partial: still filling)' : ''}` +
      STATUSES.map((k) => `\n${STATUS_LABEL[k]} ${count(p[k])} (${share(p[k], p.sessions)})`).join(''));
    g.append(title);
    for (const k of STATUSES) {
      if (!p[k]) continue;
      const h = (p[k] / top) * ih;
      g.append(el('rect', { x, y: y(acc) - h, width: w, height: h, fill: STATUS_COLOUR[k] }));
      acc += p[k];
    }
    if (i === partial && p.sessions) g.append(el('rect', { x, y: y(p.sessions), width: w, height: (p.sessions / top) * ih, fill: 'url(#hatch)' }));
    s.append(g);
  });
  if (partial >= 0) { // a dashed line where the filling bucket starts, named at the top
    const x = L + partial * bw;
    s.append(el('line', { x1: x + 0.5, x2: x + 0.5, y1: T - 4, y2: T + ih, class: 'partial-line' }));
    const right = x + bw > W - R - 60;
    s.append(el('text', { x: right ? x - 4 : x + 4, y: T + 6, class: 'partial', 'text-anchor': right ? 'end' : 'start' }, 'filling →'));
  }
  // x ticks on round local times (every 15 min, 1 h, 6 h, a day …), at most about eight, with
  // the date under the first tick and wherever the day changes.
  const ticksAt = xTicks(pts, sum.bucket, zone, W < 600 ? 5 : 8);
  let prevDay = null;
  for (const i of ticksAt.index) {
    const x = L + i * bw;
    s.append(el('line', { x1: x + 0.5, x2: x + 0.5, y1: T + ih, y2: T + ih + 5, class: 'axis' }));
    const d = new Date(Date.parse(pts[i].start));
    const daily = sum.bucket === '1d' || ticksAt.step >= 1440;
    const newDay = !prevDay || !sameDay(d, prevDay, zone);
    const anchor = x > W - R - 70 ? 'end' : 'start'; // the last label stays inside the chart
    const tx = anchor === 'end' ? Math.min(x + bw, W - R) : x;
    s.append(el('text', { x: tx, y: T + ih + 18, class: daily ? 'tick sub' : 'tick', 'text-anchor': anchor }, daily ? weekday(d, zone) : clock(d, zone)));
    if (!daily && newDay) s.append(el('text', { x: tx, y: T + ih + 32, class: 'tick sub', 'text-anchor': anchor }, dateShort(d, zone)));
    prevDay = d;
  }
  box.replaceChildren(s);
}

const BUCKET_MIN = { '1m': 1, '5m': 5, '15m': 15, '1h': 60, '1d': 1440 };
const STEPS = [1, 5, 10, 15, 30, 60, 120, 180, 360, 720, 1440, 2880, 10080];

// xTicks picks the smallest round step (in minutes) that gives at most want ticks, and the
// buckets that start on it in local time.
function xTicks(pts, bucket, zone, want) {
  const minutes = pts.map((p) => {
    const q = parts(new Date(Date.parse(p.start)), zone);
    return q.h * 60 + q.min;
  });
  for (const step of STEPS) {
    if (step < BUCKET_MIN[bucket]) continue;
    const index = [];
    pts.forEach((p, i) => {
      const onStep = step >= 1440 ? minutes[i] === 0 && (step === 1440 || dayNumber(p.start, zone) % (step / 1440) === 0) : minutes[i] % step === 0;
      if (onStep) index.push(i);
    });
    if (index.length && index.length <= want) return { step, index };
  }
  return { step: 0, index: [0] };
}
const dayNumber = (start, zone) => {
  const q = parts(new Date(Date.parse(start)), zone);
  return Math.round(Date.UTC(q.y, q.m - 1, q.d) / 864e5);
};

function label(start, sum, zone) {
  const d = new Date(Date.parse(start));
  return sum.bucket === '1d' ? weekday(d, zone) : `${dateShort(d, zone)} ${clock(d, zone)}`;
}

// bars draws one horizontal bar per item with its count and its share of the window's sessions.
// items: [{name, label, n, colour}]; whole: the sessions the shares are of.
export function bars(box, items, whole, caption) {
  if (!items.length) return none(box, 'No sessions in this window.');
  const W = Math.max(260, box.clientWidth || 440), rowH = 26, labelW = Math.min(160, W * 0.4), valW = 104;
  const max = Math.max(...items.map((i) => i.n), 1);
  const s = el('svg', { viewBox: `0 0 ${W} ${items.length * rowH}`, role: 'img',
    'aria-label': `${caption}: ${items.map((i) => `${i.label} ${i.n} (${share(i.n, whole)})`).join(', ')}` });
  items.forEach((it, i) => {
    const y0 = i * rowH;
    const bw = Math.max(2, ((W - labelW - valW) * it.n) / max);
    const room = Math.floor(labelW / 8);
    const g = el('g', { class: 'bar', 'data-name': it.name, 'data-n': it.n });
    const t = el('text', { x: 0, y: y0 + 17, class: 'lbl' }, it.label.length > room ? `${it.label.slice(0, room - 1)}…` : it.label);
    t.append(el('title', {}, it.label));
    g.append(t, el('rect', { x: labelW, y: y0 + 6, width: bw, height: 16, rx: 3, fill: it.colour }));
    const v = el('text', { x: labelW + bw + 6, y: y0 + 17, class: 'val' }, count(it.n));
    v.append(el('tspan', { class: 'pct', dx: 6 }, share(it.n, whole)));
    g.append(v);
    s.append(g);
  });
  box.replaceChildren(s);
}

export function statusItems(f) {
  return STATUSES.map((k) => ({ name: k, label: STATUS_LABEL[k], n: f[k], colour: STATUS_COLOUR[k] }));
}
export function channelItems(list) {
  return list.map((c) => ({ name: c.channel, label: c.channel, n: c.sessions, colour: channelColour(c.channel) }));
}
export function intentItems(list) {
  return list.map((c) => ({ name: c.intent, label: c.intent, n: c.sessions, colour: '#1f5fbf' }));
}
export function deflectionItems(list) {
  return list.map((c) => ({ name: c.channel, label: `to ${c.channel}`, n: c.sessions, colour: channelColour(c.channel) }));
}
