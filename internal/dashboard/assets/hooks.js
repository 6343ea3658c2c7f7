// intentrt dashboard: the webhook health line. The server works out each webhook's state,
// pending count and ages (GET /ui/api/bots/{bot}/webhooks); this module only writes them.
'use strict';

import { count, duration, when } from './format.js';

const $ = (id) => document.getElementById(id);
const STATE_LABEL = { ok: 'Delivering', behind: 'Behind', failing: 'Failing' };

// ago writes how long before the answer's asOf an instant was.
const ago = (t, asOf) => `${duration(Math.max(0, (asOf - Date.parse(t)) / 1000))} ago`;

function item(h, asOf, zone) {
  const li = document.createElement('li');
  li.className = `hook ${h.state}`;
  li.dataset.id = h.id;
  const head = document.createElement('span');
  head.className = 'h-state';
  head.textContent = STATE_LABEL[h.state] || h.state;
  const name = document.createElement('span');
  name.className = 'h-name';
  name.textContent = h.receiver + (h.allBots ? ' (all bots)' : '');
  name.title = `${h.id} · ${h.events.join(', ')}`;
  const parts = [`${count(h.pending)} pending`];
  if (h.oldestPendingSeconds > 0) parts.push(`oldest waiting ${duration(h.oldestPendingSeconds)}`);
  if (h.lastDeliveredAt) parts.push(`last delivered ${ago(h.lastDeliveredAt, asOf)}`);
  if (h.failedAttempts > 0) {
    parts.push(`failing since ${when(new Date(Date.parse(h.failingSince)), zone, new Date(asOf))} (${count(h.failedAttempts)} attempts`
      + (h.nextAttemptAt ? `, next ${when(new Date(Date.parse(h.nextAttemptAt)), zone, new Date(asOf))})` : ')'));
  }
  parts.push(`${count(h.deadLettered)} dead-lettered`);
  const figs = document.createElement('span');
  figs.className = 'h-figs';
  figs.textContent = parts.join(' · ');
  li.append(head, name, figs);
  if (h.state === 'failing' && h.lastError) {
    const err = document.createElement('span');
    err.className = 'h-error';
    err.textContent = `Last error: ${h.lastError}`;
    li.append(err);
  }
  return li;
}

// renderHooks shows the answer; an account without webhooks on this bot sees nothing.
export function renderHooks(ans, zone) {
  const hooks = (ans && ans.webhooks) || [];
  $('hooks').hidden = hooks.length === 0;
  const asOf = ans ? Date.parse(ans.asOf) : Date.now();
  $('hooks-list').replaceChildren(...hooks.map((h) => item(h, asOf, zone)));
}
