// Task-run detail (/runs/<flow_run_id>/tasks/<task_run_id>): its states with times, messages and
// details, attempts and retries, cache key and hit, where its result is (never the value), tags,
// the runs it came from and fed, and its logs (logs.js's viewer, filtered to this task run).
import { api } from './api.js';
import { logViewer } from './logs.js';
import { h, link, stateBadge, fmtTime, fmtDuration, kv, table, heading, ACTIVE } from './ui.js';

const DETAIL_NAMES = { retry_count: 'retry', scheduled_time: 'scheduled for', cache_key: 'cache key', pause_timeout: 'pause until' };

function details(d) {
  const parts = [];
  for (const [k, v] of Object.entries(d || {})) {
    if (v == null) continue;
    const label = DETAIL_NAMES[k] || k;
    parts.push(k.endsWith('_time') || k === 'pause_timeout' ? [`${label} `, fmtTime(v)] : `${label} ${typeof v === 'object' ? JSON.stringify(v) : v}`);
  }
  return parts.length ? parts.flatMap((p, i) => (i ? ['; ', p] : [p])) : '';
}

const runLink = (flowRunId, r) => (r.name ? link(`/runs/${flowRunId}/tasks/${r.id}`, r.name) : h('code', {}, r.id));

function neighbours(t) {
  const up = table('Upstream task runs', [
    { label: 'Parameter', cell: (u) => h('code', {}, u.input) },
    { label: 'Task run', cell: (u) => runLink(t.flow_run_id, u) },
    { label: 'State', cell: (u) => (u.state ? stateBadge(u.state) : '—') },
  ], t.upstream || [], 'No upstream task runs: no argument came from another task run, and nothing was waited for.');
  const down = table('Downstream task runs', [
    { label: 'Task run', cell: (d) => runLink(t.flow_run_id, d) },
    { label: 'As', cell: (d) => d.inputs.map((n) => h('code', {}, n, ' ')) },
    { label: 'State', cell: (d) => stateBadge(d.state) },
  ], t.downstream || [], 'No task run used this one.');
  return [h('h2', {}, 'Inputs'),
    h('p.muted', {}, 'Which task runs fed this one, by parameter (wait_for: waited for, no value passed). Parameter values of task runs are not recorded; the flow run\'s parameters are on its page.'),
    up, h('h2', {}, 'Used by'), down,
    ...(t.downstream_truncated ? [h('p.muted', {}, 'Only the first 200 are listed.')] : [])];
}

function summary(t) {
  const result = t.result;
  const resultText = !result ? 'none persisted'
    : result.raw ? h('code', {}, result.raw)
      : h('span', {}, h('code', {}, result.storage_key), ` (serializer ${result.serializer || '—'}, storage ${result.storage_type || '—'})`);
  return h('section.card', { 'aria-label': 'Task run summary' }, kv([
    ['State', h('span', {}, stateBadge(t.state), t.state.message ? ` — ${t.state.message}` : '')],
    ['Task', h('span', {}, t.task_name, ' ', h('code.muted', {}, t.task_key))],
    ['Flow run', link(`/runs/${t.flow_run_id}`, t.flow_run_id)],
    ['Created', fmtTime(t.created)],
    ['Started', fmtTime(t.start_time)],
    ['Ended', fmtTime(t.end_time)],
    ['Duration', fmtDuration(t.duration_seconds)],
    ['Attempts', `${t.run_count} (retries allowed: ${t.retries ?? 0})`],
    ['Cache key', t.cache_key ? h('code', {}, t.cache_key) : '—'],
    ['Cache hit', t.cache_hit ? 'yes: the result of an earlier run was reused' : 'no'],
    ['Result', resultText],
    ['Tags', (t.tags || []).length ? t.tags.map((x) => h('span.tag', {}, x)) : '—'],
  ]));
}

export async function render(main, [flowRunId, taskRunId]) {
  const t = await api(`/task_runs/${encodeURIComponent(taskRunId)}`);
  const runId = t.flow_run_id || flowRunId;
  const viewer = runId ? logViewer(runId, { isActive: () => ACTIVE.has(t.state.type), taskRunId: t.id }) : null;
  main.append(
    heading(`Task run ${t.name}`, link(`/runs/${runId}`, 'Back to the flow run', { class: 'button' })),
    summary(t),
    h('h2', {}, 'States'),
    table('States of the task run', [
      { label: 'State', cell: (s) => stateBadge(s) },
      { label: 'At', cell: (s) => fmtTime(s.timestamp) },
      { label: 'Message', cell: (s) => s.message || '' },
      { label: 'Details', cell: (s) => details(s.details) },
    ], t.states || []),
    ...neighbours(t),
    h('h2', {}, 'Logs'),
    viewer ? viewer.el : h('p.muted', {}, 'A task run outside any flow run has no log view here.'));
  if (viewer) await viewer.start();
  return () => { if (viewer) viewer.stop(); };
}
