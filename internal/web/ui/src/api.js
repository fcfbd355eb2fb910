// The HTTP API of auditlake serve. The session is an HttpOnly cookie set by POST /api/v1/session;
// state-changing requests carry the CSRF token that the session returned.

let csrf = sessionStorage.getItem('auditlake.csrf') || '';

/** ApiError is a non-2xx answer: status, the API's error type and message. */
export class ApiError extends Error {
  constructor(status, type, message) {
    super(message);
    this.status = status;
    this.type = type;
  }
}

let onUnauthorized = () => {};
/** setUnauthorizedHandler is called with the error when a request answers 401. */
export function setUnauthorizedHandler(fn) { onUnauthorized = fn; }

/** request sends one API request and returns the decoded JSON (or null for 204). */
export async function request(method, path, body) {
  const headers = { Accept: 'application/json' };
  if (body !== undefined) headers['Content-Type'] = 'application/json';
  if (method !== 'GET' && method !== 'HEAD' && csrf) headers['X-CSRF-Token'] = csrf;
  let resp;
  try {
    resp = await fetch(path, { method, headers, body: body === undefined ? undefined : JSON.stringify(body), credentials: 'same-origin' });
  } catch (e) {
    throw new ApiError(0, 'unavailable', `the server did not answer (${e.message})`);
  }
  if (resp.status === 204) return null;
  const text = await resp.text();
  let data = null;
  if (text) {
    try { data = JSON.parse(text); } catch { data = null; }
  }
  if (!resp.ok) {
    const err = data && data.error ? data.error : {};
    const e = new ApiError(resp.status, err.type || 'http', err.message || `${method} ${path}: HTTP ${resp.status}`);
    if (resp.status === 401 && !path.startsWith('/api/v1/session')) onUnauthorized(e);
    throw e;
  }
  return data;
}

function keepCSRF(s) {
  csrf = (s && (s.csrf_token || s.csrf)) || '';
  if (csrf) sessionStorage.setItem('auditlake.csrf', csrf);
  else sessionStorage.removeItem('auditlake.csrf');
  return s;
}

/** signIn exchanges a token for a session cookie. */
export async function signIn(token) { return keepCSRF(await request('POST', '/api/v1/session', { token })); }

/** session returns who is signed in, or null when nobody is. */
export async function session() {
  try {
    return keepCSRF(await request('GET', '/api/v1/session'));
  } catch (e) {
    if (e.status === 401) return null;
    throw e;
  }
}

/** signOut ends the cookie session. */
export async function signOut() {
  try { await request('DELETE', '/api/v1/session'); } finally { keepCSRF(null); }
}

/** runQuery runs an ad hoc KQL or SQL query. */
export function runQuery(query, language, now) {
  const body = { query, language };
  if (now) body.now = now;
  return request('POST', '/api/v1/query', body);
}

const viewCache = new Map();

/** runView runs a named dashboard view with parameters; identical calls share one request. */
export function runView(name, params = {}) {
  const qs = new URLSearchParams(Object.entries(params).filter(([, v]) => v !== undefined && v !== '')).toString();
  const path = `/api/v1/views/${encodeURIComponent(name)}${qs ? '?' + qs : ''}`;
  if (!viewCache.has(path)) {
    const p = request('GET', path);
    viewCache.set(path, p);
    p.catch(() => viewCache.delete(path));
    setTimeout(() => viewCache.delete(path), 30000);
  }
  return viewCache.get(path);
}

let viewList = null;
/** views returns the dashboard views by name (GET /api/v1/views), fetched once. */
export function views() {
  if (!viewList) {
    viewList = request('GET', '/api/v1/views').then((d) => new Map(((d && d.views) || []).map((v) => [v.name, v])))
      .catch((e) => { viewList = null; throw e; });
  }
  return viewList;
}

let openapi = null;
/** routes returns the set of "METHOD /path" the server offers, from its OpenAPI document. */
export async function routes() {
  if (!openapi) {
    openapi = request('GET', '/api/openapi.json').then((doc) => {
      const out = new Set();
      for (const [p, ops] of Object.entries((doc && doc.paths) || {})) {
        for (const m of Object.keys(ops)) out.add(`${m.toUpperCase()} ${p}`);
      }
      return out;
    }).catch((e) => { openapi = null; throw e; });
  }
  return openapi;
}

export const tables = () => request('GET', '/api/v1/tables');
export const savedQueries = () => request('GET', '/api/v1/saved-queries');
export const saveQuery = (q) => request('POST', '/api/v1/saved-queries', q);
export const deleteSavedQuery = (id) => request('DELETE', `/api/v1/saved-queries/${encodeURIComponent(id)}`);
export const ingestStatus = () => request('GET', '/api/v1/ingest/status');
export const quarantine = (cursor) => request('GET', `/api/v1/ingest/quarantine?limit=100${cursor ? '&cursor=' + encodeURIComponent(cursor) : ''}`);
