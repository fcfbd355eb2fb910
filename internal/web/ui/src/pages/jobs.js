// Jobs: runs, failures over time, top failing jobs (click one for its events).
import { h, clear } from '../dom.js';
import { viewPanel } from '../panel.js';

export function jobsPage(root, ctx) {
  const detail = h('div.grid#job-detail');
  let job = ctx.params.get('job') || '';
  const showJob = () => {
    clear(detail);
    if (!job) return;
    detail.append(viewPanel('job_events', { job_id: job }, { title: `Events of job ${job}`, wide: true, id: 'job-events', maxRows: 100 }));
  };
  root.append(
    h('h1', 'Jobs'),
    h('div.grid',
      viewPanel('job_runs', {}, { title: 'Job runs per day', subtitle: 'Started, succeeded and failed runs.', wide: true, id: 'job-runs', height: 260 }),
      viewPanel('job_failures', {}, { title: 'Failures over time', subtitle: 'Failed runs per day by reason.', wide: true, id: 'job-failures', height: 260 }),
      viewPanel('top_failing_jobs', {}, { title: 'Top failing jobs', subtitle: 'Click a job to see its events.', wide: true, id: 'top-failing-jobs',
        selected: (r) => r.job_id === job,
        onRowClick: (r) => { job = r.job_id; ctx.setQuery({ job }); showJob(); } }),
    ),
    detail,
  );
  showJob();
}
