// Ingestion: what the server ingests (sources, files, freshness, lag), files and events per
// workspace, quarantined lines with their reasons.
import { h, clear, errorBox, loading, fmtTime } from '../dom.js';
import * as api from '../api.js';
import { card, viewPanel } from '../panel.js';
import { resultTable, objectsToResult } from '../table.js';

/** fmtDuration renders seconds as "3.2 s", "4 min", "5 h", "12 d". */
export function fmtDuration(s) {
  if (typeof s !== 'number' || !isFinite(s)) return '—';
  if (s < 60) return `${s.toFixed(s < 10 ? 1 : 0)} s`;
  if (s < 3600) return `${Math.round(s / 60)} min`;
  if (s < 86400 * 2) return `${(s / 3600).toFixed(1)} h`;
  return `${Math.round(s / 86400)} d`;
}

function fmtBytes(n) {
  if (typeof n !== 'number') return '—';
  const u = ['B', 'KB', 'MB', 'GB', 'TB'];
  let i = 0;
  while (n >= 1000 && i < u.length - 1) { n /= 1000; i++; }
  return `${n.toFixed(i ? 1 : 0)} ${u[i]}`;
}

const tile = (label, value, title) => h('div.tile', { title }, h('div.tile-value', value), h('div.tile-label', label));

export function ingestionPage(root) {
  const status = card('Status', { id: 'ingest-status', wide: true, subtitle: 'Totals over everything ingested, how fresh the newest event is, and the lag from delivery to query.' });
  status.body.append(loading());
  const sources = card('Sources', { id: 'ingest-sources', wide: true, subtitle: 'The buckets and folders this server watches.' });
  sources.body.append(loading());
  const quarantine = card('Quarantine', { id: 'ingest-quarantine', wide: true, subtitle: 'Lines that could not be decoded, with file, line and reason. The rest of each file was ingested.' });
  quarantine.body.append(loading());
  root.append(h('h1', 'Ingestion'), h('div.grid',
    status, sources,
    viewPanel('ingest_health', {}, { title: 'Files and events per workspace', subtitle: 'Files, events, quarantined lines and rewritten files per workspace and wire format.', wide: true, id: 'ingest-files' }),
    quarantine));

  api.ingestStatus().then((st) => {
    st = st || {};
    const files = st.files || {};
    const q = st.quarantine || {};
    clear(status.body).append(h('div.tiles',
      tile('files', String(files.count ?? '—'), Object.entries(files.by_format || {}).map(([k, v]) => `${k}: ${v}`).join(', ')),
      tile('bytes', fmtBytes(files.bytes)),
      tile('events', String(st.events ?? '—')),
      tile('newest event', fmtTime(st.newest_event_time || '—')),
      tile('freshness', fmtDuration(st.freshness_seconds), 'time since the newest event'),
      tile('delivery lag', fmtDuration(st.delivery_lag_seconds), 'from a file landing to its rows being queryable'),
      tile('last ingest', fmtTime(files.last_ingested_at || '—')),
      tile('quarantined lines', String(q.lines ?? 0), `${q.files ?? 0} files`)));
    if ((q.by_reason || []).length) status.body.append(h('h3', 'Quarantine by reason'), resultTable(objectsToResult(q.by_reason)));
    status.dataset.loaded = 'true';
    const list = st.sources || [];
    clear(sources.body).append(list.length ? resultTable(objectsToResult(list)) :
      h('div.note.muted.empty', 'This server watches no source (start it with --source or a config file); the files ingested before are counted above.'));
    sources.dataset.loaded = 'true';
  }, (err) => { clear(status.body).append(errorBox(err)); clear(sources.body).append(errorBox(err)); });

  let items = [];
  const loadPage = (cursor) => api.quarantine(cursor).then((data) => {
    items = items.concat((data && data.lines) || []);
    clear(quarantine.body);
    if (!items.length) quarantine.body.append(h('div.note.muted.empty', 'No quarantined lines: every line ingested so far decoded.'));
    else quarantine.body.append(resultTable(objectsToResult(items), { maxRows: 1000 }));
    if (data && data.has_more && data.next_cursor) quarantine.body.append(h('button', { type: 'button', onclick: () => loadPage(data.next_cursor) }, 'More'));
    quarantine.dataset.loaded = 'true';
  }, (err) => { clear(quarantine.body).append(errorBox(err)); quarantine.dataset.loaded = 'error'; });
  loadPage('');
}
