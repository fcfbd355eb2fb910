// The auditlake web UI: a sign-in page and the dashboards, routed by path (/clusters, /query)
// with the History API; the server answers every such path with index.html.
import './style.css';
import { h, clear } from './dom.js';
import * as api from './api.js';
import { overviewPage } from './pages/overview.js';
import { clustersPage } from './pages/clusters.js';
import { securityPage } from './pages/security.js';
import { jobsPage } from './pages/jobs.js';
import { queryPage } from './pages/query.js';
import { alertsPage } from './pages/alerts.js';
import { ingestionPage } from './pages/ingestion.js';
import { rangeBar, urlParams, RANGE_KEYS } from './range.js';

const pages = [
  // ranged: the page has a time-range control that all its panels follow.
  { path: '/', title: 'Overview', render: overviewPage, ranged: true },
  { path: '/clusters', title: 'Clusters', render: clustersPage, ranged: true },
  { path: '/security', title: 'Security', render: securityPage, ranged: true },
  { path: '/jobs', title: 'Jobs', render: jobsPage, ranged: true },
  { path: '/query', title: 'Query', render: queryPage },
  { path: '/alerts', title: 'Alerts', render: alertsPage },
  { path: '/ingestion', title: 'Ingestion', render: ingestionPage },
];

const app = document.getElementById('app');
let who = null;

/** navigate goes to a path inside the UI (adding a history entry unless replace). */
export function navigate(path, replace = false) {
  if (replace) history.replaceState(null, '', path);
  else history.pushState(null, '', path);
  render();
}

/** setQuery changes the current page's URL parameters without re-rendering it; the time range's
 * parameters stay unless params has them. */
export function setQuery(params) {
  const u = new URL(location.href);
  const keep = RANGE_KEYS.map((k) => [k, u.searchParams.get(k)]);
  u.search = '';
  for (const [k, v] of keep) if (v && !(k in params)) u.searchParams.set(k, v);
  for (const [k, v] of Object.entries(params)) if (v !== undefined && v !== null && v !== '') u.searchParams.set(k, v);
  history.replaceState(null, '', u.pathname + u.search);
}

document.addEventListener('click', (e) => {
  const a = e.target.closest && e.target.closest('a[data-nav]');
  if (!a || e.button !== 0 || e.metaKey || e.ctrlKey || e.shiftKey) return;
  e.preventDefault();
  navigate(a.getAttribute('href'));
});
window.addEventListener('popstate', () => render());

api.setUnauthorizedHandler(() => {
  who = null;
  if (location.pathname !== '/signin') navigate('/signin?next=' + encodeURIComponent(location.pathname + location.search), true);
});

function shell(current, content) {
  const nav = h('nav.top',
    h('a.brand', { href: '/', dataset: { nav: '' } }, 'auditlake'),
    h('ul', pages.map((p) => h('li', h('a', { href: p.path, dataset: { nav: '' }, class: p === current ? 'active' : undefined, 'aria-current': p === current ? 'page' : undefined }, p.title)))),
    h('div.who', who ? [h('span.muted', `${who.name} · ${who.role}`), h('button.link', { onclick: async () => { await api.signOut().catch(() => {}); who = null; navigate('/signin'); } }, 'Sign out')] : null));
  return [nav, h('main', { id: 'page', dataset: { page: current.title.toLowerCase() } }, content)];
}

function signInPage() {
  const next = new URLSearchParams(location.search).get('next') || '/';
  const msg = h('div.note.error', { hidden: true });
  const input = h('input', { type: 'password', name: 'token', id: 'token', autocomplete: 'off', required: true, placeholder: 'al_…', autofocus: true });
  const form = h('form.signin', {
    onsubmit: async (e) => {
      e.preventDefault();
      msg.hidden = true;
      try {
        who = await api.signIn(input.value.trim());
        navigate(next.startsWith('/') && !next.startsWith('//') ? next : '/', true);
      } catch (err) {
        msg.textContent = err.status === 401 ? 'That token is not valid (or it was revoked).' : err.message;
        msg.hidden = false;
      }
    },
  },
  h('h1', 'auditlake'),
  h('p.muted', 'Sign in with an API token. Create one with ', h('code', 'auditlake token create --role analyst'), '.'),
  h('label', { for: 'token' }, 'Token'), input, msg,
  h('button.primary', { type: 'submit' }, 'Sign in'));
  return h('div.signin-wrap', form);
}

async function render() {
  const path = location.pathname;
  if (path === '/signin') {
    document.title = 'Sign in · auditlake';
    clear(app).append(signInPage());
    return;
  }
  if (!who) {
    who = await api.session().catch(() => null);
    if (!who) { navigate('/signin?next=' + encodeURIComponent(path + location.search), true); return; }
  }
  const page = pages.find((p) => p.path === path) || null;
  if (!page) {
    clear(app).append(...shell(pages[0], h('div.note', 'No page at ', h('code', path), '. ', h('a', { href: '/', dataset: { nav: '' } }, 'Go to the overview'))));
    return;
  }
  document.title = `${page.title} · auditlake`;
  const content = h('div.page-content');
  clear(app).append(...shell(page, content));
  page.render(content, { params: new URLSearchParams(location.search), who, navigate, setQuery });
  if (page.ranged) {
    // The range control sits next to the page's heading; a new range renders the page again
    // (its drill-down state is in the URL).
    const bar = rangeBar((r) => {
      const u = new URLSearchParams(location.search);
      for (const k of RANGE_KEYS) u.delete(k);
      for (const [k, v] of Object.entries(urlParams(r))) u.set(k, v);
      navigate(location.pathname + '?' + u.toString(), true);
    });
    const h1 = content.querySelector('h1');
    if (h1) {
      const head = h('div.page-head');
      h1.replaceWith(head);
      head.append(h1, bar);
    } else content.prepend(bar);
  }
}

render();
