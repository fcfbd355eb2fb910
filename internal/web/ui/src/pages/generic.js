// Rendering of API answers whose shape the UI does not know in detail: the first array of
// objects in the answer becomes a table.
import { h } from '../dom.js';
import { resultTable, objectsToResult } from '../table.js';

/** firstArray finds the list in an answer such as {"alerts":[...]} or [...]. */
export function firstArray(data) {
  if (Array.isArray(data)) return data;
  if (data && typeof data === 'object') {
    for (const v of Object.values(data)) if (Array.isArray(v)) return v;
  }
  return null;
}

/** listTable renders the list in an answer, or the empty text. */
export function listTable(data, empty) {
  const items = firstArray(data);
  if (!items) return h('pre.json', JSON.stringify(data, null, 2));
  if (!items.length) return h('div.note.muted.empty', empty);
  if (typeof items[0] !== 'object') return h('ul', items.map((x) => h('li', String(x))));
  return resultTable(objectsToResult(items), { maxRows: 500 });
}
