// intentrt dashboard: how figures, times and colours are written. Shared by the page's modules.
'use strict';

// A fixed colour per status and per channel: the same thing always has the same colour,
// whatever its rank in this window. An unknown channel gets one from its name.
export const STATUSES = ['completed', 'Dropoff', 'agentTransfer', 'error'];
export const STATUS_LABEL = { completed: 'Completed', Dropoff: 'Drop-off', agentTransfer: 'Agent transfer', error: 'Error' };
export const STATUS_COLOUR = { completed: '#1d7a46', Dropoff: '#c2410c', agentTransfer: '#5b3fb8', error: '#7f1d1d' };
const CHANNEL_COLOUR = {
  rtm: '#1f5fbf', korevg: '#00707a', audiocodes: '#9a5b00', twiliovoice: '#b4237a',
  msteams: '#4f46e5', slack: '#0f766e', whatsapp: '#15803d', email: '#4f5b6b', sms: '#a16207',
};
const SPARE = ['#0e7490', '#7c3aed', '#be123c', '#4d7c0f', '#1e40af', '#92400e', '#86198f', '#334155'];
export function channelColour(name) {
  if (CHANNEL_COLOUR[name]) return CHANNEL_COLOUR[name];
  let h = 0;
  for (const c of name) h = (h * 31 + c.codePointAt(0)) >>> 0;
  return SPARE[h % SPARE.length];
}

const nf = new Intl.NumberFormat('en-US');
export const count = (n) => nf.format(n);
// A rate of the API (0–1) as a percentage with one decimal.
export const pct = (r) => `${(Math.round(r * 1000) / 10).toFixed(1)} %`;
export const share = (n, whole) => (whole ? pct(n / whole) : '0.0 %');

// Seconds as a supervisor reads a handling time: 45 s, 4 min 05 s, 1 h 02 min.
export function duration(sec) {
  const s = Math.round(sec);
  if (s < 60) return `${s} s`;
  if (s < 3600) return `${Math.floor(s / 60)} min ${String(s % 60).padStart(2, '0')} s`;
  return `${Math.floor(s / 3600)} h ${String(Math.floor((s % 3600) / 60)).padStart(2, '0')} min`;
}

// Change against the previous window. kind: 'count' (relative), 'rate' (percentage points),
// 'time' (seconds). good: which direction is good news (+1, −1, or 0 for neither).
export function change(cur, prev, kind, good) {
  let text;
  let d = cur - prev;
  if (kind === 'rate') {
    d = Math.round(d * 1000) / 10;
    text = `${d > 0 ? '+' : d < 0 ? '−' : '±'}${Math.abs(d).toFixed(1)} pts`;
  } else if (kind === 'time') {
    d = Math.round(d);
    text = `${d > 0 ? '+' : d < 0 ? '−' : '±'}${duration(Math.abs(d))}`;
  } else if (prev === 0) {
    text = cur === 0 ? '±0' : 'new';
  } else {
    const r = Math.round(((cur - prev) / prev) * 1000) / 10;
    d = r;
    text = `${r > 0 ? '+' : r < 0 ? '−' : '±'}${Math.abs(r).toFixed(1)} %`;
  }
  const tone = d === 0 || !good ? 'flat' : (d > 0) === (good > 0) ? 'good' : 'bad';
  return { text, tone };
}

// Times in the zone the user chose (the browser's, or UTC).
const fmtCache = new Map();
function fmt(zone, opts) {
  const key = zone + JSON.stringify(opts);
  if (!fmtCache.has(key)) fmtCache.set(key, new Intl.DateTimeFormat('en-GB', { timeZone: zone, hourCycle: 'h23', ...opts }));
  return fmtCache.get(key);
}
const dayKey = (d, zone) => fmt(zone, { year: 'numeric', month: '2-digit', day: '2-digit' }).format(d);
export const sameDay = (a, b, zone) => dayKey(a, zone) === dayKey(b, zone);
export const clock = (d, zone, seconds) => fmt(zone, { hour: '2-digit', minute: '2-digit', ...(seconds ? { second: '2-digit' } : {}) }).format(d);
export const dateShort = (d, zone) => fmt(zone, { day: 'numeric', month: 'short' }).format(d);
export const weekday = (d, zone) => fmt(zone, { weekday: 'short', day: 'numeric', month: 'short' }).format(d);
// A time of a row: the clock alone when it is today, with the date otherwise.
export function when(d, zone, now) {
  return sameDay(d, now, zone) ? clock(d, zone, true) : `${dateShort(d, zone)} ${clock(d, zone, true)}`;
}

// The local parts of an instant in a zone, for custom windows and the "today" window.
export function parts(d, zone) {
  const o = {};
  for (const p of fmt(zone, { year: 'numeric', month: '2-digit', day: '2-digit', hour: '2-digit', minute: '2-digit', second: '2-digit' }).formatToParts(d)) o[p.type] = p.value;
  return { y: +o.year, m: +o.month, d: +o.day, h: +o.hour, min: +o.minute, s: +o.second };
}

// The instant at which the zone's wall clock reads y-m-d h:min (the earlier one when the clock
// reads it twice): two passes of "guess, see what the zone says, correct".
export function instant(zone, y, m, d, h, min) {
  const want = Date.UTC(y, m - 1, d, h, min);
  let t = want;
  for (let i = 0; i < 2; i++) {
    const p = parts(new Date(t), zone);
    t += want - Date.UTC(p.y, p.m - 1, p.d, p.h, p.min, p.s);
  }
  return new Date(t);
}
