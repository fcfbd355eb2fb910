// Overview: events over time by service, failed logins, errors, top users, ingestion health.
import { h } from '../dom.js';
import { viewPanel } from '../panel.js';

export function overviewPage(root, ctx) {
  root.append(
    h('h1', 'Overview'),
    h('div.grid',
      viewPanel('events_by_service', {}, { title: 'Events over time by service', subtitle: 'Audit events per day, stacked by service. Click a day of clusters to investigate it.', wide: true, id: 'events-by-service',
        onChartClick: (p) => { if (p.series === 'clusters') ctx.navigate('/clusters?day=' + encodeURIComponent(p.x)); } }),
      viewPanel('failed_logins', {}, { title: 'Failed logins', subtitle: 'Per day and login method.', id: 'failed-logins', height: 240,
        onChartClick: () => ctx.navigate('/security') }),
      viewPanel('errors_by_service', {}, { title: 'Errors by service', subtitle: 'Requests answered with 400 or more.', id: 'errors-by-service' }),
      viewPanel('top_users', {}, { title: 'Top users', subtitle: 'The identities with the most events.', id: 'top-users' }),
      viewPanel('ingest_health', {}, { title: 'Ingestion health', subtitle: 'Files, events and quarantined lines per workspace.', id: 'ingest-health',
        after: (res, body) => body.append(h('p', h('a', { href: '/ingestion', dataset: { nav: '' } }, 'Sources, lag and quarantine →'))) }),
    ),
  );
}
