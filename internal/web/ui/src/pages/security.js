// Security: logins and failures, denied access, admin and permission changes, secret reads,
// out-of-hours access to sensitive tables.
import { h } from '../dom.js';
import { viewPanel } from '../panel.js';

export function securityPage(root) {
  root.append(
    h('h1', 'Security'),
    h('div.grid',
      viewPanel('logins', {}, { title: 'Logins and failures', subtitle: 'Login events per day.', wide: true, id: 'logins', height: 240 }),
      viewPanel('login_failures', {}, { title: 'Failed logins by user', id: 'login-failures', maxRows: 100 }),
      viewPanel('secret_reads', {}, { title: 'Secret reads', subtitle: 'getSecret per user and scope.', id: 'secret-reads', maxRows: 100 }),
      viewPanel('denied_access', {}, { title: 'Denied access', subtitle: '401 and 403 answers in any service, newest first.', wide: true, id: 'denied-access', maxRows: 100 }),
      viewPanel('admin_changes', {}, { title: 'Admin and permission changes', subtitle: 'Grants, ACLs, owners, admin group membership, workspace configuration.', wide: true, id: 'admin-changes', maxRows: 100 }),
      viewPanel('out_of_hours_sensitive', {}, { title: 'Out-of-hours access to sensitive tables', subtitle: 'Unity Catalog reads of hr, finance, salary, payroll, customer or PII tables before 07:00, from 19:00 UTC or at weekends.', wide: true, id: 'out-of-hours', maxRows: 100 }),
    ),
  );
}
