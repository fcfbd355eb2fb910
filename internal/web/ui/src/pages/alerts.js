// Alerts: rules, firing alerts, history and silences, as far as the server offers them (read
// from its OpenAPI document, so the page asks only for routes that exist).
import { h, clear, errorBox, loading } from '../dom.js';
import * as api from '../api.js';
import { card } from '../panel.js';
import { listTable } from './generic.js';

const sections = [
  { id: 'rules', title: 'Rules', paths: ['/api/v1/rules'], empty: 'No rules are loaded.' },
  { id: 'firing', title: 'Firing alerts', paths: ['/api/v1/alerts', '/api/v1/alerts/active'], empty: 'Nothing is firing.' },
  { id: 'history', title: 'History', paths: ['/api/v1/alerts/history'], empty: 'No alert has fired or resolved yet.' },
  { id: 'silences', title: 'Silences', paths: ['/api/v1/silences'], empty: 'No silences.' },
];

export function alertsPage(root) {
  root.append(h('h1', 'Alerts'));
  const grid = h('div.grid');
  root.append(grid);
  const cards = sections.map((s) => {
    const c = card(s.title, { id: `alerts-${s.id}`, wide: true });
    c.body.append(loading());
    grid.append(c);
    return [s, c];
  });
  api.routes().then((have) => {
    for (const [s, c] of cards) {
      const path = s.paths.find((p) => have.has(`GET ${p}`));
      if (!path) {
        clear(c.body).append(h('div.note.muted.empty', `This server offers no ${s.title.toLowerCase()} API yet. Rules run from rule files; see `, h('code', 'auditlake rules --help'), '.'));
        c.dataset.loaded = 'empty';
        continue;
      }
      api.request('GET', path).then((data) => {
        clear(c.body).append(listTable(data, s.empty));
        c.dataset.loaded = 'true';
      }, (err) => { clear(c.body).append(errorBox(err)); c.dataset.loaded = 'error'; });
    }
  }, (err) => { for (const [, c] of cards) clear(c.body).append(errorBox(err)); });
}
