// Small DOM helpers: h() builds elements, so no HTML is ever assembled from data.

/** h creates an element: h('div.card#id', {onclick, title, ...}, children...). */
export function h(tag, attrs, ...children) {
  const m = /^([a-z0-9]+)((?:[.#][\w-]+)*)$/i.exec(tag);
  const el = document.createElement(m ? m[1] : tag);
  if (m && m[2]) {
    for (const part of m[2].match(/[.#][\w-]+/g)) {
      if (part[0] === '.') el.classList.add(part.slice(1));
      else el.id = part.slice(1);
    }
  }
  if (attrs && (typeof attrs !== 'object' || attrs instanceof Node || Array.isArray(attrs))) {
    children.unshift(attrs);
    attrs = null;
  }
  for (const [k, v] of Object.entries(attrs || {})) {
    if (v === undefined || v === null || v === false) continue;
    if (k.startsWith('on') && typeof v === 'function') el.addEventListener(k.slice(2), v);
    else if (k === 'class') el.className = v;
    else if (k === 'dataset') Object.assign(el.dataset, v);
    else if (k in el && typeof v !== 'string') el[k] = v;
    else el.setAttribute(k, v === true ? '' : v);
  }
  append(el, children);
  return el;
}

function append(el, children) {
  for (const c of children) {
    if (c === undefined || c === null || c === false) continue;
    if (Array.isArray(c)) append(el, c);
    else el.append(c instanceof Node ? c : String(c));
  }
}

/** clear empties an element and returns it. */
export function clear(el) {
  while (el.firstChild) el.firstChild.remove();
  return el;
}

/** fmtTime renders an ISO time ending in Z as "2019-12-28 14:03:05" (UTC), a midnight as the date. */
export function fmtTime(s) {
  if (typeof s !== 'string') return String(s ?? '');
  const m = /^(\d{4}-\d{2}-\d{2})T(\d{2}:\d{2}:\d{2})(\.\d+)?Z$/.exec(s);
  if (!m) return s;
  return m[2] === '00:00:00' && !m[3] ? m[1] : `${m[1]} ${m[2]}`;
}

/** errorBox renders an API error for a panel. */
export function errorBox(err) {
  if (err && err.status === 403) return h('div.note.warn', 'Your role may not see this: ', err.message);
  return h('div.note.error', (err && err.message) || String(err));
}

/** loading is the placeholder of a panel whose data is on its way. */
export const loading = () => h('div.note.muted.loading', 'Loading…');
