// intentrt dashboard: the live stream of a bot, shared by every tab of the browser.
//
// A browser keeps at most six HTTP/1.1 connections per host; a page that opened its own stream
// in every tab would leave the seventh tab waiting for a connection forever. So the tabs share
// one EventSource per bot: this file runs as a SharedWorker (one for the whole browser) and each
// tab talks to it through a MessagePort. Where SharedWorker does not exist, the page loads this
// same file as a module and runs one hub of its own over a MessageChannel — same protocol.
//
// Tab → hub:  {type:'sub', bot} | {type:'unsub', bot} | {type:'bye'}
// Hub → tab:  {type:'state', bot, state:'connecting'|'live'|'reconnecting', attempt, retryAt}
//             {type:'event', bot, event, data}   (event: session, session.updated, summary.changed)
'use strict';

const streams = new Map(); // bot → { es, ports:Set, state, attempt, lastId, timer, retryAt }

// Backoff with full jitter: 1 s, 2 s, 4 s … up to 30 s, each drawn uniformly from its upper
// half, so that a thousand pages cut off by one restart do not come back in the same instant.
function delay(attempt) {
  const cap = Math.min(30_000, 1000 * 2 ** Math.min(attempt, 5));
  return cap / 2 + Math.random() * (cap / 2);
}

function tell(s, msg) {
  for (const p of s.ports) {
    try { p.postMessage(msg); } catch { s.ports.delete(p); }
  }
}

function announce(bot, s) {
  tell(s, { type: 'state', bot, state: s.state, attempt: s.attempt, retryAt: s.retryAt });
}

function open(bot, s) {
  clearTimeout(s.timer);
  const q = s.lastId ? `?lastEventId=${encodeURIComponent(s.lastId)}` : '';
  const es = new EventSource(`/ui/api/bots/${encodeURIComponent(bot)}/stream${q}`);
  s.es = es;
  es.onopen = () => {
    s.attempt = 0;
    s.retryAt = 0;
    s.state = 'live';
    announce(bot, s);
  };
  const forward = (e) => {
    if (e.lastEventId) s.lastId = e.lastEventId;
    tell(s, { type: 'event', bot, event: e.type, data: e.data });
  };
  for (const name of ['session', 'session.updated', 'summary.changed']) es.addEventListener(name, forward);
  // Every error — the server ended the response, went away, or refused — is handled here rather
  // than by EventSource's own fixed-delay retry, so that reconnecting always backs off with
  // jitter and resumes from the last event id this hub saw.
  es.onerror = () => {
    if (s.es !== es) return;
    es.close();
    s.es = null;
    s.state = 'reconnecting';
    const wait = delay(s.attempt);
    s.attempt++;
    // A cursor refused again and again may belong to a database that was replaced: start from
    // the head instead. Nothing is lost to the tabs — they reload their table and figures
    // whenever the stream comes back.
    if (s.attempt >= 3) s.lastId = '';
    s.retryAt = Date.now() + wait;
    announce(bot, s);
    s.timer = setTimeout(() => { if (s.ports.size) open(bot, s); }, wait);
  };
}

function subscribe(port, bot) {
  let s = streams.get(bot);
  if (!s) {
    s = { es: null, ports: new Set(), state: 'connecting', attempt: 0, lastId: '', timer: 0, retryAt: 0 };
    streams.set(bot, s);
  }
  s.ports.add(port);
  if (!s.es && !s.timer) open(bot, s);
  port.postMessage({ type: 'state', bot, state: s.state, attempt: s.attempt, retryAt: s.retryAt });
}

function unsubscribe(port, bot) {
  for (const [b, s] of streams) {
    if (bot !== undefined && b !== bot) continue;
    s.ports.delete(port);
    if (s.ports.size === 0) { // the last tab on this bot has gone: free the connection
      clearTimeout(s.timer);
      if (s.es) s.es.close();
      streams.delete(b);
    }
  }
}

export function serve(port) {
  port.onmessage = (e) => {
    const m = e.data || {};
    if (m.type === 'sub') subscribe(port, m.bot);
    else if (m.type === 'unsub') unsubscribe(port, m.bot);
    else if (m.type === 'bye') unsubscribe(port);
  };
  port.start();
}

// As a SharedWorker: every tab that connects gets a port.
if (typeof self !== 'undefined' && typeof self.onconnect !== 'undefined' && typeof window === 'undefined') {
  self.onconnect = (e) => serve(e.ports[0]);
}
