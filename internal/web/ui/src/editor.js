// The query editor: CodeMirror 6 with KQL (a stream tokenizer of our own) and SQL (DuckDB
// flavour from @codemirror/lang-sql) highlighting, and completion of table and column names
// from GET /api/v1/tables.
import { EditorView, keymap, placeholder as placeholderExt } from '@codemirror/view';
import { EditorState, Compartment } from '@codemirror/state';
import { basicSetup } from 'codemirror';
import { StreamLanguage, LanguageSupport } from '@codemirror/language';
import { sql, PostgreSQL } from '@codemirror/lang-sql';
import { autocompletion } from '@codemirror/autocomplete';
import { indentWithTab } from '@codemirror/commands';

const kqlOperators = ['where', 'filter', 'project', 'project-away', 'project-keep', 'project-rename', 'project-reorder', 'extend',
  'summarize', 'count', 'take', 'limit', 'top', 'sort', 'order', 'distinct', 'join', 'union', 'render', 'mv-expand', 'print',
  'datatable', 'range', 'let', 'by', 'on', 'kind', 'with', 'asc', 'desc', 'nulls', 'first', 'last', 'and', 'or', 'not', 'in', 'between',
  'has', 'has_cs', 'contains', 'contains_cs', 'startswith', 'endswith', 'matches', 'regex', 'hasprefix', 'hassuffix', 'has_any', 'has_all',
  'inner', 'innerunique', 'leftouter', 'rightouter', 'fullouter', 'leftanti', 'rightanti', 'leftsemi', 'rightsemi'];
const kqlFunctions = ['ago', 'now', 'bin', 'startofday', 'startofweek', 'startofmonth', 'endofday', 'hourofday', 'dayofweek', 'dayofmonth',
  'datetime_diff', 'datetime_add', 'format_datetime', 'todatetime', 'tostring', 'toint', 'tolong', 'todouble', 'toreal', 'tobool',
  'totimespan', 'parse_json', 'todynamic', 'array_length', 'bag_keys', 'pack_array', 'bag_pack', 'split', 'strcat', 'strcat_delim',
  'strlen', 'substring', 'tolower', 'toupper', 'trim', 'replace_string', 'replace_regex', 'extract', 'extract_all', 'indexof',
  'isempty', 'isnotempty', 'isnull', 'isnotnull', 'coalesce', 'iff', 'iif', 'case', 'round', 'floor', 'ceiling', 'abs', 'log', 'pow', 'sqrt',
  'count', 'countif', 'dcount', 'dcountif', 'sum', 'sumif', 'avg', 'avgif', 'min', 'max', 'minif', 'maxif', 'percentile', 'percentiles',
  'make_set', 'make_list', 'make_set_if', 'make_list_if', 'arg_max', 'arg_min', 'take_any', 'stdev', 'variance'];
const kqlRender = ['timechart', 'linechart', 'areachart', 'columnchart', 'barchart', 'piechart', 'scatterchart', 'table'];
const kqlTypes = ['datetime', 'timespan', 'dynamic', 'string', 'long', 'int', 'real', 'bool', 'guid', 'decimal', 'time'];

const opSet = new Set(kqlOperators);
const fnSet = new Set(kqlFunctions);
const typeSet = new Set(kqlTypes);

/** kqlLanguage is a stream tokenizer for KQL: strings, comments, numbers, timespans, keywords. */
export const kqlLanguage = StreamLanguage.define({
  name: 'kql',
  startState: () => ({}),
  token(stream) {
    if (stream.eatSpace()) return null;
    if (stream.match('//')) { stream.skipToEnd(); return 'comment'; }
    if (stream.match(/^@?"(?:[^"\\]|\\.)*"?/) || stream.match(/^@?'(?:[^'\\]|\\.)*'?/)) return 'string';
    if (stream.match(/^\d+(\.\d+)?(d|h|m|s|ms|microsecond|tick|days|hours|minutes|seconds)\b/)) return 'number';
    if (stream.match(/^\d+(\.\d+)?([eE][-+]?\d+)?/)) return 'number';
    if (stream.match(/^\['(?:[^'\\]|\\.)*'\]/) || stream.match(/^\["(?:[^"\\]|\\.)*"\]/)) return 'variableName';
    if (stream.match(/^[A-Za-z_][\w-]*/)) {
      const w = stream.current();
      if (typeSet.has(w)) return 'typeName';
      if (opSet.has(w)) return 'keyword';
      if (w === 'true' || w === 'false' || w === 'null') return 'atom';
      if (fnSet.has(w) && stream.match(/^\s*\(/, false)) return 'variableName.function';
      if (kqlRender.includes(w)) return 'labelName';
      if (/-/.test(w)) { stream.backUp(w.length - w.indexOf('-')); }
      return 'variableName';
    }
    if (stream.match(/^(==|!=|=~|!~|<=|>=|\.\.|!has|!contains|!in|!startswith)/)) return 'operator';
    if (stream.match(/^[|]/)) return 'punctuation';
    stream.next();
    return 'operator';
  },
  languageData: { commentTokens: { line: '//' } },
});

/** kqlCompletions completes operators, functions and the catalog's tables and columns. */
function kqlCompletion(catalog) {
  return (ctx) => {
    const word = ctx.matchBefore(/\[?'?[\w.-]*/);
    if (!word || (word.from === word.to && !ctx.explicit)) return null;
    const before = ctx.state.sliceDoc(Math.max(0, word.from - 200), word.from);
    const afterPipe = /\|\s*$/.test(before);
    const atStart = /(^|;|\(|union\s+|join\s+(kind\s*=\s*\w+\s+)?)\s*$/.test(before);
    const options = [];
    if (afterPipe) {
      for (const o of kqlOperators) options.push({ label: o, type: 'keyword', boost: 2 });
    } else {
      for (const t of catalog.tables) {
        const label = /^[A-Za-z_]\w*$/.test(t.name) ? t.name : `['${t.name}']`;
        options.push({ label, type: 'class', detail: `${t.columns.length} columns`, boost: atStart ? 3 : 0 });
      }
      for (const c of catalog.columns(before)) options.push({ label: c.name, type: 'property', detail: c.kql_type || c.type, boost: 2 });
      for (const f of kqlFunctions) options.push({ label: f, type: 'function', apply: f + '(' });
      for (const o of kqlOperators) options.push({ label: o, type: 'keyword', boost: -1 });
      for (const r of kqlRender) options.push({ label: r, type: 'enum', boost: -2 });
    }
    return { from: word.from, options, validFor: /^[\w.-]*$/ };
  };
}

/**
 * catalogFrom turns GET /api/v1/tables into {tables, columns(textBefore)}: columns of the tables
 * the query names come first, then every column.
 */
export function catalogFrom(data) {
  const tables = (data && data.tables) || [];
  return {
    tables,
    columns(textBefore) {
      const named = tables.filter((t) => textBefore.includes(t.name));
      const src = named.length ? named : tables;
      const seen = new Set();
      const out = [];
      for (const t of src) for (const c of t.columns) if (!seen.has(c.name)) { seen.add(c.name); out.push(c); }
      return out;
    },
  };
}

function sqlSupport(catalog) {
  const schema = {};
  for (const t of catalog.tables) {
    const name = t.schema && t.schema !== 'main' ? `${t.schema}.${t.table}` : t.table || t.name;
    schema[name] = t.columns.map((c) => ({ label: c.name, type: 'property', detail: c.type }));
  }
  return sql({ dialect: PostgreSQL, schema, upperCaseKeywords: true });
}

/**
 * createEditor mounts an editor in parent. Options: doc, language ('kql'|'sql'), catalog,
 * onRun (Mod-Enter). Returns {view, getText, setLanguage(language, catalog)}.
 */
export function createEditor(parent, opts) {
  const lang = new Compartment();
  const langExt = (language, catalog) => {
    const cat = catalog || { tables: [], columns: () => [] };
    if (language === 'sql') return sqlSupport(cat);
    return [new LanguageSupport(kqlLanguage), autocompletion({ override: [kqlCompletion(cat)], activateOnTyping: true })];
  };
  const view = new EditorView({
    parent,
    state: EditorState.create({
      doc: opts.doc || '',
      extensions: [
        keymap.of([{ key: 'Mod-Enter', run: () => { opts.onRun && opts.onRun(); return true; } }, indentWithTab]),
        basicSetup,
        placeholderExt(opts.placeholder || ''),
        lang.of(langExt(opts.language, opts.catalog)),
        EditorView.lineWrapping,
      ],
    }),
  });
  return {
    view,
    getText: () => view.state.doc.toString(),
    setText: (t) => view.dispatch({ changes: { from: 0, to: view.state.doc.length, insert: t } }),
    setLanguage: (language, catalog) => view.dispatch({ effects: lang.reconfigure(langExt(language, catalog)) }),
  };
}
