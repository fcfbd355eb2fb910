// The results table: typed columns, sortable, optional row clicks.
import { h, fmtTime } from './dom.js';

const numeric = new Set(['long', 'int', 'real', 'decimal', 'BIGINT', 'INTEGER', 'DOUBLE', 'HUGEINT', 'SMALLINT', 'TINYINT', 'FLOAT', 'UBIGINT', 'UINTEGER']);

/** isNumeric says whether a column type holds numbers. */
export function isNumeric(type) { return numeric.has(type) || /^DECIMAL/.test(type || ''); }

/** cellText renders one value as text. */
export function cellText(v, type) {
  if (v === null || v === undefined) return '';
  if (type === 'datetime' || /^TIMESTAMP/.test(type || '')) return fmtTime(v);
  if (typeof v === 'object') return JSON.stringify(v);
  return String(v);
}

/**
 * resultTable renders {columns, rows}. Options: onRowClick(rowObject, row), selected(rowObject)
 * to highlight a row, maxRows (default 1000), empty (text when there are no rows), actions(rowObject)
 * returning an element (buttons) for a last column.
 */
export function resultTable(res, opts = {}) {
  const cols = res.columns || [];
  let rows = res.rows || [];
  const max = opts.maxRows ?? 1000;
  if (rows.length === 0) return h('div.note.muted.empty', opts.empty || 'No rows.');
  const obj = (r) => Object.fromEntries(cols.map((c, i) => [c.name, r[i]]));
  let sortCol = -1;
  let asc = true;
  const tbody = h('tbody');
  const draw = () => {
    tbody.replaceChildren();
    let shown = rows;
    if (sortCol >= 0) {
      const i = sortCol;
      shown = [...rows].sort((a, b) => {
        const x = a[i], y = b[i];
        if (x === y) return 0;
        if (x === null || x === undefined) return 1;
        if (y === null || y === undefined) return -1;
        const c = typeof x === 'number' && typeof y === 'number' ? x - y : String(x).localeCompare(String(y));
        return asc ? c : -c;
      });
    }
    for (const r of shown.slice(0, max)) {
      const o = obj(r);
      const tr = h('tr', {
        class: [opts.onRowClick ? 'clickable' : '', opts.selected && opts.selected(o) ? 'selected' : ''].join(' ').trim() || undefined,
        onclick: opts.onRowClick ? () => opts.onRowClick(o, r) : undefined,
        tabindex: opts.onRowClick ? '0' : undefined,
        onkeydown: opts.onRowClick ? (e) => { if (e.key === 'Enter') opts.onRowClick(o, r); } : undefined,
      });
      if (opts.actions) tr.append(h('td.actions', opts.actions(o)));
      cols.forEach((c, i) => {
        const text = cellText(r[i], c.type);
        tr.append(h('td', { class: isNumeric(c.type) ? 'num' : undefined, title: text.length > 60 ? text : undefined }, text));
      });
      tbody.append(tr);
    }
  };
  const head = h('tr', opts.actions ? h('th', '') : null, cols.map((c, i) => h('th', {
    class: isNumeric(c.type) ? 'num' : undefined,
    title: `${c.name} (${c.type}); click to sort`,
    onclick: () => { if (sortCol === i) asc = !asc; else { sortCol = i; asc = !isNumeric(c.type); } draw(); },
  }, c.name)));
  draw();
  const wrap = h('div.table-wrap', h('table.results', h('thead', head), tbody));
  if (rows.length > max) wrap.append(h('div.note.muted', `Showing ${max} of ${rows.length} rows.`));
  return wrap;
}

/** objectsToResult turns an array of JSON objects into {columns, rows} for resultTable. */
export function objectsToResult(items) {
  const names = [];
  for (const it of items || []) for (const k of Object.keys(it || {})) if (!names.includes(k)) names.push(k);
  const columns = names.map((n) => {
    const v = (items.find((it) => it[n] !== null && it[n] !== undefined) || {})[n];
    let type = typeof v === 'number' ? 'real' : 'string';
    if (typeof v === 'string' && /^\d{4}-\d{2}-\d{2}T[\d:.]+Z$/.test(v)) type = 'datetime';
    if (v && typeof v === 'object') type = 'dynamic';
    return { name: n, type };
  });
  return { columns, rows: (items || []).map((it) => names.map((n) => it[n] ?? null)) };
}

/** toCSV renders a result as RFC 4180 CSV. */
export function toCSV(res) {
  const q = (s) => (/[",\r\n]/.test(s) ? '"' + s.replace(/"/g, '""') + '"' : s);
  const lines = [res.columns.map((c) => q(c.name)).join(',')];
  for (const r of res.rows) lines.push(r.map((v, i) => q(v === null || v === undefined ? '' : typeof v === 'object' ? JSON.stringify(v) : String(v))).join(','));
  return lines.join('\r\n') + '\r\n';
}
