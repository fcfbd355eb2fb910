// Query: a KQL/SQL editor with highlighting and completion, results as a table and, for a KQL
// render operator, a chart; CSV download; saved queries.
import { h, clear, errorBox } from '../dom.js';
import * as api from '../api.js';
import { createEditor, catalogFrom } from '../editor.js';
import { resultTable, toCSV } from '../table.js';
import { drawChart, chartKinds } from '../chart.js';

const examples = {
  kql: 'DatabricksClusters\n| where ActionName == "create"\n| summarize creates = count() by bin(TimeGenerated, 1d)\n| render timechart',
  sql: "SELECT event_date, count(*) AS creates\nFROM gold.clusters\nWHERE action_name = 'create'\nGROUP BY ALL\nORDER BY 1",
};

export function queryPage(root, ctx) {
  let language = ctx.params.get('lang') === 'sql' ? 'sql' : 'kql';
  let catalog = null;
  let last = null;
  const out = h('div#query-result.query-result');
  const status = h('span.status.muted#query-status');
  const now = h('input#query-now', { type: 'text', placeholder: 'now (optional): 2019-12-29T00:00:00Z', title: 'Pins now() and ago() in KQL', size: 28 });
  const savedList = h('div#saved-queries');
  const editorBox = h('div.editor#editor');

  const langButtons = ['kql', 'sql'].map((l) => h('button', {
    type: 'button', class: l === language ? 'seg active' : 'seg', dataset: { lang: l }, 'aria-pressed': String(l === language),
    onclick: () => setLanguage(l),
  }, l.toUpperCase()));

  const editor = createEditor(editorBox, {
    doc: ctx.params.get('q') || '', language, catalog: null, onRun: () => run(),
    placeholder: 'Type a query; Ctrl+Enter runs it. Example:\n' + examples[language],
  });

  function setLanguage(l) {
    language = l;
    langButtons.forEach((b) => { const on = b.dataset.lang === l; b.classList.toggle('active', on); b.setAttribute('aria-pressed', String(on)); });
    editor.setLanguage(l, catalog);
    editor.view.focus();
  }

  async function run() {
    const text = editor.getText().trim();
    if (!text) { clear(out).append(h('div.note.muted', 'The editor is empty.')); return; }
    status.textContent = 'Running…';
    const t0 = performance.now();
    try {
      const res = await api.runQuery(text, language, now.value.trim() || undefined);
      last = res;
      const ms = Math.round(performance.now() - t0);
      status.textContent = `${res.rows.length} row${res.rows.length === 1 ? '' : 's'} in ${ms} ms`;
      clear(out);
      if (res.render && chartKinds.has(res.render) && res.rows.length) out.append(drawChart(res, res.render, { height: 340 }));
      out.append(resultTable(res, { maxRows: 2000 }));
      csv.disabled = false;
    } catch (err) {
      status.textContent = '';
      last = null;
      csv.disabled = true;
      clear(out).append(err.status === 403 ? h('div.note.warn', 'Your role may run dashboards but not ad hoc queries (an analyst or admin token can).') : h('pre.note.error.query-error', err.message));
    }
  }

  const csv = h('button#download-csv', { type: 'button', disabled: true, onclick: () => {
    if (!last) return;
    const a = h('a', { href: URL.createObjectURL(new Blob([toCSV(last)], { type: 'text/csv' })), download: 'auditlake-query.csv' });
    document.body.append(a);
    a.click();
    setTimeout(() => { URL.revokeObjectURL(a.href); a.remove(); }, 1000);
  } }, 'Download CSV');

  const saveName = h('input#save-name', { type: 'text', placeholder: 'Name to save as', size: 22 });
  const save = h('button#save-query', { type: 'button', onclick: async () => {
    const name = saveName.value.trim();
    if (!name) { saveName.focus(); return; }
    try {
      await api.saveQuery({ name, language, query: editor.getText() });
      saveName.value = '';
      loadSaved();
    } catch (err) { clear(savedList).append(errorBox(err)); }
  } }, 'Save');

  async function loadSaved() {
    try {
      const data = await api.savedQueries();
      const items = (data && data.saved_queries) || [];
      clear(savedList);
      if (!items.length) { savedList.append(h('p.note.muted', 'No saved queries yet.')); return; }
      savedList.append(h('ul.saved', items.map((q) => h('li',
        h('button.link', { type: 'button', title: q.query, onclick: () => { setLanguage(q.language); editor.setText(q.query); } }, q.name),
        h('span.muted', ` ${q.language.toUpperCase()} · ${q.created_by}`),
        h('button.link.danger', { type: 'button', title: 'Delete', onclick: async () => { try { await api.deleteSavedQuery(q.id); loadSaved(); } catch (err) { alert(err.message); } } }, '×')))));
    } catch (err) { clear(savedList).append(errorBox(err)); }
  }

  root.append(
    h('h1', 'Query'),
    h('div.query-layout',
      h('div.query-main',
        h('div.toolbar', h('div.segmented', langButtons), h('button.primary#run-query', { type: 'button', onclick: () => run() }, 'Run'),
          h('span.muted.hint', 'Ctrl+Enter'), now, status, h('span.spacer'), csv),
        editorBox,
        out),
      h('aside.query-side',
        h('h2', 'Saved queries'), h('div.save-row', saveName, save), savedList,
        h('h2', 'Tables'), h('div#table-list.note.muted', 'Loading…'))),
  );

  api.tables().then((data) => {
    catalog = catalogFrom(data);
    editor.setLanguage(language, catalog);
    const list = document.getElementById('table-list');
    if (!list) return;
    clear(list).classList.remove('note', 'muted');
    list.append(h('ul.tables', catalog.tables.filter((t) => !/^Databricks/.test(t.name) || t.name === 'DatabricksClusters' || t.name === 'DatabricksJobs' || t.name === 'DatabricksAccounts' || t.name === 'DatabricksUnityCatalog' || t.name === 'DatabricksSecrets')
      .map((t) => h('li', h('details', h('summary', t.name), h('ul.columns', t.columns.map((c) => h('li', c.name, h('span.muted', ' ' + (c.kql_type || c.type))))))))),
    h('p.muted', `${catalog.tables.length} tables and views; the editor completes all of them.`));
  }, (err) => { const list = document.getElementById('table-list'); if (list) clear(list).append(errorBox(err)); });
  loadSaved();
  editor.view.focus();
}
