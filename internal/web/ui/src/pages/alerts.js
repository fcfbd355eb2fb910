// Alerts: rules (enable, disable), firing alerts, notification history and silences (create,
// expire), as far as the server offers them: the page reads the server's OpenAPI document and
// asks only for routes that exist.
import { h, clear, errorBox, loading } from '../dom.js';
import * as api from '../api.js';
import { card } from '../panel.js';
import { resultTable, objectsToResult } from '../table.js';
import { firstArray } from './generic.js';

const sections = [
  { id: 'rules', title: 'Rules', path: '/api/v1/rules', empty: 'No rules are loaded.',
    subtitle: 'Built-in and configured alert rules, their schedule and state.',
    columns: ['name', 'severity', 'enabled', 'firing', 'pending', 'schedule', 'window', 'last_eval', 'last_error', 'description', 'builtin', 'language', 'split_by', 'action_groups', 'file', 'line'], only: true },
  { id: 'firing', title: 'Firing alerts', path: '/api/v1/alerts/active', empty: 'Nothing is firing.',
    subtitle: 'Alerts pending or firing now.' },
  { id: 'history', title: 'History', path: '/api/v1/alerts/history', empty: 'No notification has been sent yet.',
    subtitle: 'Notifications of fired and resolved alerts, with their delivery outcome.' },
  { id: 'silences', title: 'Silences', path: '/api/v1/silences', empty: 'No active silences.',
    subtitle: 'Notifications for alerts matching these labels are held back until the silence ends.' },
];

// pick puts the listed columns first (those present), then the rest unless only is set.
function pick(items, columns, only) {
  const res = objectsToResult(items);
  if (!columns) return res;
  const rest = only ? [] : res.columns.map((c) => c.name).filter((n) => !columns.includes(n));
  const order = [...columns.filter((c) => res.columns.some((x) => x.name === c)), ...rest];
  const idx = order.map((n) => res.columns.findIndex((c) => c.name === n));
  return { columns: idx.map((i) => res.columns[i]), rows: res.rows.map((r) => idx.map((i) => r[i])) };
}

export function alertsPage(root, ctx) {
  const admin = ctx.who && ctx.who.role === 'admin';
  root.append(h('h1', 'Alerts'));
  const grid = h('div.grid');
  root.append(grid);
  const cards = new Map(sections.map((s) => {
    const c = card(s.title, { id: `alerts-${s.id}`, wide: true, subtitle: s.subtitle });
    c.body.append(loading());
    grid.append(c);
    return [s.id, { s, c }];
  }));

  api.routes().then((have) => {
    const load = (id) => {
      const { s, c } = cards.get(id);
      if (!have.has(`GET ${s.path}`)) {
        clear(c.body).append(h('div.note.muted.empty', `This server does not offer ${s.title.toLowerCase()} (no GET ${s.path} in its API).`));
        c.dataset.loaded = 'empty';
        return;
      }
      api.request('GET', s.path).then((data) => {
        const items = firstArray(data) || [];
        clear(c.body);
        if (id === 'silences' && admin && have.has('POST /api/v1/silences')) c.body.append(silenceForm(() => load('silences')));
        if (!items.length) {
          c.body.append(h('div.note.muted.empty', s.empty));
        } else {
          let actions;
          if (id === 'rules' && admin) {
            actions = (r) => h('button.small', { type: 'button', onclick: () => act('POST', `/api/v1/rules/${encodeURIComponent(r.name)}/${r.enabled ? 'disable' : 'enable'}`, () => load('rules')) }, r.enabled ? 'Disable' : 'Enable');
          }
          if (id === 'silences' && admin && have.has('DELETE /api/v1/silences/{id}')) {
            actions = (r) => h('button.small', { type: 'button', onclick: () => act('DELETE', `/api/v1/silences/${encodeURIComponent(r.id)}`, () => load('silences')) }, 'Expire');
          }
          c.body.append(resultTable(pick(items, s.columns, s.only), { maxRows: 500, actions }));
        }
        c.dataset.loaded = 'true';
      }, (err) => {
        // 503: the feature does not run in this process (no rule scheduler, no outbox).
        clear(c.body).append(err.status === 503 ? h('div.note.muted.empty', err.message) : errorBox(err));
        c.dataset.loaded = err.status === 503 ? 'empty' : 'error';
      });
    };
    for (const id of cards.keys()) load(id);
  }, (err) => { for (const { c } of cards.values()) clear(c.body).append(errorBox(err)); });
}

async function act(method, path, done) {
  try {
    await api.request(method, path);
    done();
  } catch (err) {
    alert(err.message);
  }
}

function silenceForm(done) {
  const matchers = h('input', { type: 'text', name: 'matchers', placeholder: 'rule=cluster_create_spike, workspace_id=123', size: 40, required: true });
  const duration = h('input', { type: 'text', name: 'duration', value: '2h', size: 6, title: 'Go duration: 30m, 2h, 24h' });
  const comment = h('input', { type: 'text', name: 'comment', placeholder: 'why', size: 24, required: true });
  const msg = h('span.note.error', { hidden: true });
  return h('form.inline-form', {
    onsubmit: async (e) => {
      e.preventDefault();
      msg.hidden = true;
      try {
        await api.request('POST', '/api/v1/silences', {
          matchers: matchers.value.split(',').map((m) => m.trim()).filter(Boolean),
          duration: duration.value.trim(), comment: comment.value.trim(),
        });
        done();
      } catch (err) { msg.textContent = err.message; msg.hidden = false; }
    },
  }, h('label', 'Matchers ', matchers), h('label', 'for ', duration), h('label', 'Comment ', comment), h('button', { type: 'submit' }, 'Silence'), msg);
}
