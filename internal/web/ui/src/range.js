// The dashboards' time range: one choice (last 24 h, 7 d, 30 d, 90 d, all, or custom dates) that
// every panel of a page applies through its view's since/until parameters. Relative ranges
// count back from the newest event in the data (the data_range view), not from the wall clock,
// so logs delivered long ago (the December 2019 demo) still show. The choice lives in the URL
// (?range=7d, or range=custom&since=…&until=…) and in sessionStorage, so it follows the user
// from page to page.
import { h } from './dom.js';
import { runView } from './api.js';

const HOUR = 3600e3;
const DAY = 24 * HOUR;

/** PRESETS are the relative ranges: id, button label, length. */
export const PRESETS = [
  { id: '24h', label: '24 h', ms: DAY, unit: HOUR },
  { id: '7d', label: '7 d', ms: 7 * DAY, unit: DAY },
  { id: '30d', label: '30 d', ms: 30 * DAY, unit: DAY },
  { id: '90d', label: '90 d', ms: 90 * DAY, unit: DAY },
];
export const DEFAULT_RANGE = '30d';
/** RANGE_KEYS are the URL parameters of the range; pages keep them when they set their own. */
export const RANGE_KEYS = ['range', 'since', 'until'];
const STORE = 'auditlake.range';

const dateRe = /^\d{4}-\d{2}-\d{2}$/;

// iso writes a time as RFC 3339 without zero milliseconds (2019-12-25T00:00:00Z).
const iso = (d) => d.toISOString().replace('.000Z', 'Z');

/** current reads the chosen range from the URL, else the session, else the default. */
export function current(params = new URLSearchParams(location.search)) {
  let r = { range: params.get('range') || '', since: params.get('since') || '', until: params.get('until') || '' };
  if (!r.range) {
    try { r = { ...r, ...JSON.parse(sessionStorage.getItem(STORE) || '{}') }; } catch { /* a bad entry means the default */ }
  }
  if (r.range === 'custom' && !(dateRe.test(r.since) && dateRe.test(r.until) && r.since <= r.until)) r.range = '';
  if (r.range !== 'all' && r.range !== 'custom' && !PRESETS.some((p) => p.id === r.range)) r.range = DEFAULT_RANGE;
  if (r.range !== 'custom') { r.since = ''; r.until = ''; }
  return r;
}

/** choose stores a range for this session (the caller re-renders the page with it). */
export function choose(r) {
  sessionStorage.setItem(STORE, JSON.stringify(r));
}

/** urlParams is the range as URL parameters. */
export function urlParams(r) {
  return r.range === 'custom' ? { range: 'custom', since: r.since, until: r.until } : { range: r.range };
}

let span = null;
/** dataSpan resolves to the newest event's time (a Date, or null for an empty database). */
export function dataSpan() {
  if (!span) {
    span = runView('data_range').then((res) => {
      const i = res.columns.findIndex((c) => c.name === 'newest');
      const v = res.rows.length && i >= 0 ? res.rows[0][i] : null;
      return v ? new Date(v) : null;
    }).catch((e) => { span = null; throw e; });
    setTimeout(() => { span = null; }, 30000); // new data moves the newest event
  }
  return span;
}

/**
 * resolve turns the range to {since, until} (ISO strings, until exclusive) and a label, or to
 * {} for all of the data. Relative ranges end at the end of the hour (24 h) or the UTC day of
 * the newest event, so the newest event is inside.
 */
export async function resolve(r = current()) {
  if (r.range === 'all') return { label: 'all of the data' };
  if (r.range === 'custom') {
    const until = new Date(Date.parse(r.until + 'T00:00:00Z') + DAY);
    return { since: r.since + 'T00:00:00Z', until: iso(until), label: `${r.since} – ${r.until} (UTC)` };
  }
  const p = PRESETS.find((x) => x.id === r.range) || PRESETS.find((x) => x.id === DEFAULT_RANGE);
  const newest = (await dataSpan().catch(() => null)) || new Date();
  const until = new Date(Math.floor(newest.getTime() / p.unit) * p.unit + p.unit);
  const since = new Date(until.getTime() - p.ms);
  const fmt = (d) => (p.unit === DAY ? d.toISOString().slice(0, 10) : d.toISOString().slice(0, 16).replace('T', ' '));
  const last = p.unit === DAY ? new Date(until.getTime() - DAY) : until;
  return {
    since: iso(since), until: iso(until),
    label: `${fmt(since)} – ${fmt(last)} UTC, counted back from the newest event (${newest.toISOString().slice(0, 16).replace('T', ' ')})`,
  };
}

/** rangeBar is the control: preset buttons, custom dates and the resolved window as text. */
export function rangeBar(onChange) {
  const r = current();
  const label = h('span.range-label.muted#range-label', '…');
  resolve(r).then((w) => { label.textContent = w.label; }, () => { label.textContent = ''; });
  const pick = (next) => { choose(next); onChange(next); };
  const button = (id, text) => h('button.small', {
    type: 'button', dataset: { range: id }, 'aria-pressed': String(r.range === id), class: r.range === id ? 'small active' : 'small',
    onclick: () => (id === 'custom' ? (custom.hidden = !custom.hidden) : pick({ range: id })),
  }, text);
  const since = h('input#range-since', { type: 'date', value: r.since || '' });
  const until = h('input#range-until', { type: 'date', value: r.until || '' });
  const custom = h('form.range-custom', {
    hidden: r.range !== 'custom',
    onsubmit: (e) => {
      e.preventDefault();
      let [a, b] = [since.value, until.value];
      if (!dateRe.test(a) || !dateRe.test(b)) return;
      if (a > b) [a, b] = [b, a];
      pick({ range: 'custom', since: a, until: b });
    },
  }, h('label', { for: 'range-since' }, 'from'), since, h('label', { for: 'range-until' }, 'to'), until,
  h('button.small#range-apply', { type: 'submit' }, 'Apply'));
  if (r.range !== 'custom') {
    // Custom starts from the window shown now.
    resolve(r).then((w) => {
      if (w.since && !since.value) since.value = w.since.slice(0, 10);
      if (w.until && !until.value) until.value = new Date(Date.parse(w.until) - 1).toISOString().slice(0, 10);
    }, () => {});
  }
  return h('div.range-bar#time-range', { role: 'group', 'aria-label': 'Time range' },
    h('span.muted', 'Time range'),
    PRESETS.map((p) => button(p.id, p.label)), button('all', 'All'), button('custom', 'Custom…'),
    custom, label);
}
