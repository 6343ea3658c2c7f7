// intentrt dashboard: what the user chose to see — bot, window, zone, filters, search — kept in
// the URL so that a view can be shared, and the summary request it makes.
'use strict';

import { parts, instant } from './format.js';

export const view = { bot: '', range: '1h', utc: false, channel: '', intent: '', q: '', from: '', to: '' };

// Each window's span and bucket: a few dozen bars at most, except 7 days by the hour, which
// shows the daily curve.
const RANGES = {
  '15m': { name: 'Last 15 minutes', span: 15 * 60e3, bucket: '1m' },
  '1h': { name: 'Last hour', span: 60 * 60e3, bucket: '5m' },
  '4h': { name: 'Last 4 hours', span: 4 * 3600e3, bucket: '15m' },
  today: { name: 'Today', bucket: '1h' },
  '24h': { name: 'Last 24 hours', span: 24 * 3600e3, bucket: '1h' },
  '7d': { name: 'Last 7 days', span: 7 * 24 * 3600e3, bucket: '1h' },
  custom: { name: 'Custom window' },
};

export const zone = () => (view.utc ? 'UTC' : Intl.DateTimeFormat().resolvedOptions().timeZone || 'UTC');
export const windowName = () => RANGES[view.range].name;
export const isRelative = () => view.range !== 'custom' || Date.parse(customEnd() || 0) > Date.now();

export function readURL() {
  const p = new URLSearchParams(location.search);
  view.bot = p.get('bot') || '';
  view.range = RANGES[p.get('window')] ? p.get('window') : '1h';
  view.utc = p.get('tz') === 'utc';
  view.channel = p.get('channel') || '';
  view.intent = p.get('intent') || '';
  view.q = p.get('q') || '';
  view.from = p.get('from') || '';
  view.to = p.get('to') || '';
}

export function writeURL() {
  const p = new URLSearchParams();
  if (view.bot) p.set('bot', view.bot);
  p.set('window', view.range);
  if (view.utc) p.set('tz', 'utc');
  if (view.channel) p.set('channel', view.channel);
  if (view.intent) p.set('intent', view.intent);
  if (view.q) p.set('q', view.q);
  if (view.range === 'custom') { p.set('from', view.from); p.set('to', view.to); }
  history.replaceState(null, '', `${location.pathname}?${p}`);
}

// A datetime-local value ("2026-11-30T14:00") read in the chosen zone.
function local(v) {
  const m = /^(\d{4})-(\d{2})-(\d{2})T(\d{2}):(\d{2})/.exec(v || '');
  return m ? instant(zone(), +m[1], +m[2], +m[3], +m[4], +m[5]) : null;
}
const customEnd = () => { const t = local(view.to); return t ? t.toISOString() : ''; };

// The smallest bucket that keeps a custom window within about 200 bars.
function bucketFor(ms) {
  for (const [b, w] of [['1m', 60e3], ['5m', 300e3], ['15m', 900e3], ['1h', 3600e3]]) if (ms / w <= 200) return b;
  return '1d';
}

// summaryBody is the §6 request of the view at now. The server widens from/to to bucket edges
// and its answer says which window that was; the page shows that window.
export function summaryBody(now) {
  const r = RANGES[view.range];
  let from, to = now, bucket = r.bucket;
  if (view.range === 'today') {
    const p = parts(now, zone());
    from = instant(zone(), p.y, p.m, p.d, 0, 0);
  } else if (view.range === 'custom') {
    from = local(view.from) || new Date(now - 3600e3);
    to = local(view.to) || now;
    if (to <= from) to = new Date(from.getTime() + 60e3);
    bucket = bucketFor(to - from);
  } else {
    from = new Date(now - r.span);
  }
  const body = { from: from.toISOString(), to: to.toISOString(), bucket, timezone: zone(), top: 25 };
  if (view.channel) body.channels = [view.channel];
  if (view.intent) body.intent = view.intent;
  return body;
}
