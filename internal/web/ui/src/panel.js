// Dashboard panels: a titled card that runs a view and shows it as a chart or a table.
import { h, clear, errorBox, loading } from './dom.js';
import { runView, views } from './api.js';
import { resultTable } from './table.js';
import { drawChart, chartKinds } from './chart.js';
import { resolve } from './range.js';

/** card is a titled box; body is filled by the caller. */
export function card(title, opts = {}) {
  const body = h('div.card-body');
  const el = h('section.card', { id: opts.id, class: opts.wide ? 'card wide' : 'card' },
    h('header', h('h2', title), opts.subtitle ? h('p.subtitle', opts.subtitle) : null), body);
  el.body = body;
  return el;
}

/**
 * viewPanel runs view `name` with params and fills a card. opts: title, subtitle, id, wide,
 * chart (render kind, default the view's render), table (also show the table under a chart),
 * onRowClick, selected (a row predicate), selectedX (the x value to mark in the chart),
 * onChartClick, height, maxRows, empty, after(res, body). A view with since/until parameters
 * shows the page's time range (range.js) unless params set them.
 */
export function viewPanel(name, params, opts = {}) {
  const c = card(opts.title || name, opts);
  c.dataset.view = name;
  c.body.append(loading());
  // A view that declares since/until gets the page's time range, unless the caller set them.
  const known = views().catch(() => new Map());
  Promise.all([known, resolve().catch(() => ({}))]).then(([all, w]) => {
    const v = all.get(name);
    const p = { ...params };
    const declares = (n) => v && (v.params || []).some((x) => x.name === n);
    if (w.since && declares('since') && declares('until') && p.since === undefined && p.until === undefined) {
      p.since = w.since;
      p.until = w.until;
    }
    if (v) {
      // The view's own query, with its parameters as let statements, opens in the query editor.
      const lets = (v.params || []).map((x) => `let ${x.name} = ${literal(x, p[x.name] ?? x.default)};\n`).join('');
      const href = `/query?lang=${v.language}&q=${encodeURIComponent(lets + v.query)}`;
      c.querySelector('header').append(h('a.open-query', { href, dataset: { nav: '' }, title: 'Open this view\'s query in the editor' }, v.language.toUpperCase()));
    }
    c.dataset.params = new URLSearchParams(p).toString();
    return runView(name, p);
  }).then((res) => {
    clear(c.body);
    const kind = opts.chart === undefined ? res.render : opts.chart;
    if (kind && chartKinds.has(kind) && res.rows.length) {
      c.body.append(drawChart(res, kind, { onClick: opts.onChartClick, height: opts.height, selected: opts.selectedX }));
      if (opts.table) c.body.append(resultTable(res, opts));
    } else {
      c.body.append(resultTable(res, opts));
    }
    if (opts.after) opts.after(res, c.body);
    c.dataset.loaded = 'true';
  }, (err) => {
    clear(c.body).append(errorBox(err));
    c.dataset.loaded = 'error';
  });
  return c;
}

// literal writes a parameter value as KQL source for the editor (the server binds real values
// itself; this text is only for a person to read and change).
function literal(p, value) {
  const v = String(value ?? '');
  switch (p.type) {
    case 'datetime': return `datetime(${v})`;
    case 'timespan': return `timespan(${v})`;
    case 'long': case 'real': case 'bool': return v;
    default: return '@"' + v.replace(/"/g, '""') + '"';
  }
}
