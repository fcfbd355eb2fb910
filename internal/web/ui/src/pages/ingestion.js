// Ingestion: sources with their lag, files and events per workspace, quarantined lines.
import { h, clear, errorBox, loading } from '../dom.js';
import * as api from '../api.js';
import { card, viewPanel } from '../panel.js';
import { resultTable, objectsToResult } from '../table.js';
import { listTable } from './generic.js';

export function ingestionPage(root) {
  const sources = card('Sources', { id: 'ingest-sources', wide: true, subtitle: 'What this server ingests, how far behind it is, and its last run.' });
  sources.body.append(loading());
  const quarantine = card('Quarantine', { id: 'ingest-quarantine', wide: true, subtitle: 'Lines that could not be decoded, with file, line and reason. The rest of each file was ingested.' });
  quarantine.body.append(loading());
  root.append(h('h1', 'Ingestion'), h('div.grid',
    sources,
    viewPanel('ingest_health', {}, { title: 'Files and events', subtitle: 'Per workspace and wire format.', wide: true, id: 'ingest-files' }),
    quarantine));

  api.ingestStatus().then((data) => {
    clear(sources.body).append(listTable(data, 'This server ingests no source (it was started without --source); files already ingested are below.'));
    sources.dataset.loaded = 'true';
  }, (err) => { clear(sources.body).append(errorBox(err)); });

  let items = [];
  const loadPage = (cursor) => api.quarantine(cursor).then((data) => {
    const page = (data && (data.lines || data.quarantine || data.items)) || (Array.isArray(data) ? data : []) ;
    items = items.concat(page);
    clear(quarantine.body);
    if (!items.length) {
      quarantine.body.append(h('div.note.muted.empty', 'No quarantined lines: every line ingested so far decoded.'));
    } else {
      quarantine.body.append(resultTable(objectsToResult(items), { maxRows: 1000 }));
    }
    if (data && data.next_cursor) quarantine.body.append(h('button', { type: 'button', onclick: () => loadPage(data.next_cursor) }, 'More'));
    quarantine.dataset.loaded = 'true';
  }, (err) => { clear(quarantine.body).append(errorBox(err)); quarantine.dataset.loaded = 'error'; });
  loadPage('');
}
