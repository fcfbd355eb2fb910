// Clusters: creates per day → the creators of a day → the jobs behind them → who created the
// job. Each click narrows the investigation and is kept in the URL (?day=&creator=&job=).
import { h, clear, fmtTime } from '../dom.js';
import { viewPanel, card } from '../panel.js';
import { runView } from '../api.js';
import { resultTable } from '../table.js';

export function clustersPage(root, ctx) {
  const state = { day: ctx.params.get('day') || '', creator: ctx.params.get('creator') || '', job: ctx.params.get('job') || '' };
  const drill = h('div.grid#drill');
  const sync = () => ctx.setQuery(state);

  const showJob = () => {
    drill.querySelectorAll('[data-step=job]').forEach((e) => e.remove());
    if (!state.job) return;
    const who = card(`Who created job ${state.job}`, { id: 'job-creator', wide: true,
      subtitle: 'The jobs/create event that returned this job id, and the SCIM add that maps the owner\'s user_id to an email.' });
    who.dataset.step = 'job';
    who.body.append(h('div.note.muted.loading', 'Loading…'));
    drill.append(who);
    runView('job_creator', { job_id: state.job }).then((res) => {
      clear(who.body);
      const email = res.columns.findIndex((c) => c.name === 'email');
      const emails = [...new Set(res.rows.map((r) => r[email]).filter(Boolean))];
      const created = res.rows.find((r) => String(r[1]).startsWith('jobs/create'));
      who.body.append(emails.length
        ? h('p.finding#job-creator-email', 'Job ', h('strong', state.job), ' was created by ', h('strong', emails.join(', ')),
          created ? ` on ${fmtTime(created[0])}` : '', '.')
        : h('p.note.muted', `No jobs/create event in the data returns job ${state.job}; it was created before the logs start.`));
      who.body.append(resultTable(res));
      who.dataset.loaded = 'true';
    }, (err) => { clear(who.body).append(h('div.note.error', err.message)); });
    const events = viewPanel('job_events', { job_id: state.job }, { title: `Events of job ${state.job}`, wide: true, id: 'job-events', maxRows: 50 });
    events.dataset.step = 'job';
    drill.append(events);
  };

  const showCreator = () => {
    drill.querySelectorAll('[data-step=creator],[data-step=job]').forEach((e) => e.remove());
    if (!state.creator) return;
    if (state.creator !== 'JOB_LAUNCHER') {
      const c = card(`Clusters ${state.creator} created on ${state.day}`, { id: 'creator-note', wide: true });
      c.dataset.step = 'creator';
      c.body.append(h('p', 'A person created these clusters by hand. ', h('a', { href: '/query', dataset: { nav: '' } }, 'Query'), ' DatabricksClusters for details.'));
      drill.append(c);
      return;
    }
    let first = true;
    const jobs = viewPanel('jobs_behind_creates', { day: state.day }, {
      title: `Jobs behind the cluster creates of ${state.day}`, wide: true, id: 'jobs-behind',
      subtitle: 'Job clusters by the job whose runs asked for them. Click a job to see who created it.',
      selected: (r) => r.job_id === state.job,
      onRowClick: (r) => { state.job = r.job_id; sync(); markSelected(jobs, r.job_id); showJob(); reveal(drill.querySelector('#job-creator')); },
      after: (res) => {
        // The job with the most creates is the answer to "why": show its creator right away.
        if (first && !state.job && res.rows.length) { state.job = res.rows[0][0]; sync(); markSelected(jobs, state.job); showJob(); }
        first = false;
      },
    });
    jobs.dataset.step = 'creator';
    drill.append(jobs);
    if (state.job) showJob();
  };

  const showDay = () => {
    clear(drill);
    if (!state.day) {
      drill.append(h('p.note.muted.wide', 'Click a day in the chart to see who created its clusters.'));
      return;
    }
    const creators = viewPanel('cluster_creators_on_day', { day: state.day }, {
      title: `Cluster creators on ${state.day}`, id: 'creators', wide: true,
      subtitle: 'JOB_LAUNCHER creates the clusters of job runs; click it to see the jobs.',
      selected: (r) => r.creator === state.creator,
      onRowClick: (r) => { state.creator = r.creator; state.job = ''; sync(); markSelected(creators, r.creator); showCreator(); reveal(creators); },
    });
    drill.append(creators);
    if (state.creator) showCreator();
  };

  root.append(
    h('h1', 'Clusters'),
    h('div.grid',
      viewPanel('cluster_creates_per_day', {}, {
        title: 'Cluster creates per day', wide: true, id: 'creates-per-day', height: 280,
        subtitle: 'Click a bar to see who created that day\'s clusters.',
        selectedX: state.day,
        onChartClick: (p) => {
          state.day = p.x; state.creator = ''; state.job = ''; sync();
          const chart = root.querySelector('#creates-per-day .chart');
          if (chart && chart.select) chart.select(p.x);
          showDay();
          reveal(drill);
        },
      })),
    drill,
    h('div.grid',
      viewPanel('clusters_without_autotermination', {}, { title: 'Clusters without auto-termination', wide: true, id: 'no-autotermination',
        subtitle: 'Created by people with autotermination_minutes = 0: they run until someone stops them.' })),
  );
  showDay();
}

// reveal scrolls a panel that a click opened into view, at once (a smooth scroll would move
// what the next click aims at).
function reveal(el) {
  if (el) requestAnimationFrame(() => el.scrollIntoView({ block: 'start' }));
}

function markSelected(panel, key) {
  panel.querySelectorAll('tbody tr').forEach((tr) => tr.classList.toggle('selected', tr.firstChild && tr.firstChild.textContent === key));
}
