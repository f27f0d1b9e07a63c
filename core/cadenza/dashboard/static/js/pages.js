// The list pages: flows, work pools and workers, concurrency limits, automations, events
// (blocks and variables are in blocks.js and variables.js). Each reads one or two /api routes
// and shows a table.
import { api } from './api.js';
import { h, link, stateBadge, fmtTime, table, heading } from './ui.js';

const linkToRuns = (params) => link(`/?${new URLSearchParams(params)}`, 'runs');

export async function flows(main) {
  const rows = await api('/flows');
  main.append(heading('Flows'), table('Flows', [
    { label: 'Flow', cell: (f) => f.name },
    { label: 'Runs', cell: (f) => h('span', {}, String(f.flow_runs), ' ', linkToRuns({ flow: f.name, range: 'all' })), cls: 'num' },
    { label: 'Last run', cell: (f) => (f.last_flow_run ? link(`/runs/${f.last_flow_run.id}`, fmtTime(f.last_flow_run.created)) : '—') },
    { label: 'Last state', cell: (f) => (f.last_flow_run ? stateBadge(f.last_flow_run.state) : '—') },
  ], rows, 'No flow has run against this server yet.'));
}

export async function workPools(main) {
  const pools = await api('/work_pools');
  main.append(heading('Work pools'));
  main.append(table('Work pools', [
    { label: 'Pool', cell: (p) => p.name },
    { label: 'Type', cell: (p) => p.type },
    { label: 'Paused', cell: (p) => (p.paused ? 'paused' : 'no') },
    { label: 'Concurrency limit', cell: (p) => p.concurrency_limit ?? '—', cls: 'num' },
    { label: 'Workers', cell: (p) => String((p.workers || []).length), cls: 'num' },
  ], pools, 'No work pools.'));
  const workers = pools.flatMap((p) => (p.workers || []).map((w) => ({ ...w, pool: p.name })));
  main.append(h('h2', {}, 'Workers'), table('Workers', [
    { label: 'Worker', cell: (w) => w.name },
    { label: 'Pool', cell: (w) => w.pool },
    { label: 'Status', cell: (w) => h('span.state', { 'data-state': w.status === 'ONLINE' ? 'COMPLETED' : 'CANCELLED' }, (w.status || 'unknown').toLowerCase()) },
    { label: 'Last heartbeat', cell: (w) => fmtTime(w.last_heartbeat) },
  ], workers, 'No workers.'));
}

export async function concurrency(main) {
  const limits = await api('/concurrency_limits');
  main.append(heading('Concurrency limits'), table('Concurrency limits', [
    { label: 'Name', cell: (l) => l.name },
    { label: 'Slots in use', cell: (l) => `${l.active_slots} of ${l.limit}`, cls: 'num' },
    { label: 'Active', cell: (l) => (l.active ? 'yes' : 'no') },
    { label: 'Slot decay per second', cell: (l) => String(l.slot_decay_per_second), cls: 'num' },
    { label: 'Updated', cell: (l) => fmtTime(l.updated) },
  ], limits, 'No concurrency limits.'));
}

export async function automations(main) {
  const rows = await api('/automations');
  main.append(heading('Automations'), table('Automations', [
    { label: 'Name', cell: (a) => a.name },
    { label: 'Enabled', cell: (a) => (a.enabled ? 'yes' : 'no') },
    { label: 'Trigger', cell: (a) => h('code.preview', {}, JSON.stringify(a.trigger).slice(0, 160)) },
    { label: 'Actions', cell: (a) => (a.actions || []).map((x) => x.type).join(', ') },
    { label: 'Updated', cell: (a) => fmtTime(a.updated) },
  ], rows, 'No automations.'));
}

export async function events(main, _p, query) {
  const got = await api('/events', { query: { event: query.get('event') } });
  main.append(heading('Events'), table('Events, newest first', [
    { label: 'Occurred', cell: (e) => fmtTime(e.occurred) },
    { label: 'Event', cell: (e) => e.event },
    { label: 'Resource', cell: (e) => e.resource['cadenza.resource.name'] || e.resource['cadenza.resource.id'] || '' },
  ], got.events || [], 'No events.'));
}

// Blocks and variables can be edited, so they have modules of their own.
export { render as blocks } from './blocks.js';
export { render as variables } from './variables.js';
