// Run detail: header (state and history, parameters, tags, timings, links), the task-run
// timeline with a table alternative, the logs, and the cancel and delete actions.
import { api, missingRoute } from './api.js';
import { logViewer } from './logs.js';
import { liveStream, liveIndicator, debounce } from './live.js';
import { Timeline, columnsFromTaskRuns } from './timeline.js';
import { graphView } from './graph.js';
import { artifactsView } from './artifacts.js';
import { controlActions } from './runcontrol.js';
import { h, link, stateBadge, fmtTime, fmtDuration, kv, json, table, heading, errorBox, say, ACTIVE } from './ui.js';

async function readTimeline(run) {
  try {
    return await api(`/flow_runs/${run.id}/timeline`);
  } catch (e) {
    if (!missingRoute(e)) throw e;
  }
  let all = [];
  for (let offset = 0; ; offset += 10000) {
    const page = await api(`/flow_runs/${run.id}/task_runs`, { query: { limit: 10000, offset } });
    all = all.concat(page);
    if (page.length < 10000) break;
  }
  return columnsFromTaskRuns(run, all);
}

function header(run) {
  const deployment = run.deployment_id
    ? link(`/deployments?id=${run.deployment_id}`, run.deployment_name || run.deployment_id) : '—';
  return h('section.card', { 'aria-label': 'Run summary' },
    kv([
      ['State', h('span', {}, stateBadge(run.state), run.state.message ? ` — ${run.state.message}` : '')],
      ['Flow', run.flow_name],
      ['Deployment', deployment],
      ['Work pool', run.work_pool_name ? `${run.work_pool_name}${run.work_queue_name ? ` / ${run.work_queue_name}` : ''}` : '—'],
      ['Created', fmtTime(run.created)],
      ['Started', fmtTime(run.start_time)],
      ['Ended', fmtTime(run.end_time)],
      ['Duration', fmtDuration(run.duration_seconds)],
      ['Run count', String(run.run_count)],
      ['Tags', (run.tags || []).length ? run.tags.map((t) => h('span.tag', {}, t)) : '—'],
      ['Parent', run.parent_flow_run_id ? link(`/runs/${run.parent_flow_run_id}`, run.parent_flow_run_id) : '—'],
      ['Subflow runs', (run.subflow_runs || []).length
        ? h('ul', {}, run.subflow_runs.map((s) => h('li', {}, link(`/runs/${s.id}`, s.name), ' ', stateBadge(s.state)))) : '—'],
      ['Task runs', run.counts ? `${run.counts.task_runs} (${Object.entries(run.counts.task_runs_by_state).map(([k, v]) => `${v} ${k.toLowerCase()}`).join(', ') || 'none ended'})` : '—'],
      ['Entrypoint', run.entrypoint ? h('code', {}, run.entrypoint) : '—'],
    ]),
    h('h2', {}, 'Parameters'), json(run.parameters || {}),
    h('h2', {}, 'State history'),
    table('State history', [
      { label: 'State', cell: (s) => stateBadge(s) },
      { label: 'At', cell: (s) => fmtTime(s.timestamp) },
      { label: 'Message', cell: (s) => s.message || '' },
    ], run.states || []));
}

function timelineSection(data, run, navigate) {
  const canvas = h('canvas.timeline', { tabindex: '0', role: 'img', 'aria-label': `Timeline of ${data.count} task runs. Arrow keys pan, plus and minus zoom, 0 resets. The table below lists the same task runs.` });
  const section = h('section', { 'aria-label': 'Timeline' });
  const stats = h('span.muted', { id: 'timeline-stats' });
  if (!data.count) {
    section.append(h('p.muted', {}, 'No task runs yet.'));
    return { section, start: () => null };
  }
  const tools = h('div.toolbar', {},
    h('button', { type: 'button', onclick: () => tl.zoom(0.5) }, 'Zoom in'),
    h('button', { type: 'button', onclick: () => tl.zoom(2) }, 'Zoom out'),
    h('button', { type: 'button', onclick: () => tl.reset() }, 'Fit'),
    h('span.muted', {}, 'Notch: retried. Hollow: cached.'), stats);
  if (data.truncated) tools.append(h('p.muted', {}, 'This run has more than 100,000 task runs: the first 100,000 by start are shown.'));
  const rows = Array.from({ length: Math.min(data.count, 2000) }, (_, i) => i);
  const alt = h('details', {}, h('summary', {}, `Task runs as a table${data.count > 2000 ? ' (the first 2,000)' : ''}`),
    table('Task runs', [
      { label: 'Task run', cell: (i) => (data.ids ? link(`/runs/${run.id}/tasks/${data.ids[i]}`, data.names[i]) : data.names[i]) },
      { label: 'State', cell: (i) => stateBadge({ type: data.state[i], name: data.state_name[i] }) },
      { label: 'Start (s)', cell: (i) => (data.start[i] == null ? '—' : data.start[i].toFixed(3)), cls: 'num' },
      { label: 'End (s)', cell: (i) => (data.end[i] == null ? '—' : data.end[i].toFixed(3)), cls: 'num' },
      { label: 'Runs', cell: (i) => String(data.run_count[i]), cls: 'num' },
      { label: 'Cached', cell: (i) => (data.cached[i] ? 'yes' : 'no') },
    ], rows));
  section.append(tools, h('div.timeline-wrap', {}, canvas), alt);
  let tl = null;
  return {
    section,
    start: () => {
      tl = new Timeline(canvas, data);
      if (data.ids) tl.onPick = (i) => navigate(`/runs/${run.id}/tasks/${data.ids[i]}`); // a click opens its detail
      stats.textContent = `${data.count} task runs; drawn in ${tl.lastDrawMs.toFixed(1)} ms`;
      // Any change of the canvas's size, not only the window's: a scrollbar appearing as the
      // page below loads narrows it, and a stale width would draw and hit-test bars off their place.
      const watch = new ResizeObserver(() => tl.resize());
      watch.observe(canvas);
      return () => watch.disconnect();
    },
  };
}

function actions(run, { navigate, refresh }) {
  const cancel = h('button.danger', {
    type: 'button', disabled: !ACTIVE.has(run.state.type) || run.state.type === 'CANCELLING',
    onclick: async () => {
      if (!confirm(`Cancel run ${run.name}?`)) return;
      cancel.disabled = true;
      const got = await api(`/flow_runs/${run.id}/cancel`, { method: 'POST', body: { reason: 'cancelled from the dashboard' } });
      say(`Cancel requested: ${got.cancelling.length} cancelling, ${got.cancelled.length} cancelled`);
      refresh();
    },
  }, 'Cancel run');
  const del = h('button.danger', {
    type: 'button',
    onclick: async () => {
      if (!confirm(`Delete run ${run.name} and everything recorded under it?`)) return;
      await api(`/flow_runs/${run.id}`, { method: 'DELETE' });
      say('Run deleted');
      navigate('/');
    },
  }, 'Delete run');
  const compare = link(`/compare?a=${run.id}`, 'Compare…', { class: 'button' });
  return [...controlActions(run, refresh), compare, cancel, del];
}

export async function render(main, [ref], query, ctx) {
  let run = await api(`/flow_runs/${encodeURIComponent(ref)}`);
  const VIEWS = { graph: () => graphView(run), artifacts: () => artifactsView(run.id) };
  const tab = ['logs', 'graph', 'artifacts'].includes(query.get('tab')) ? query.get('tab') : 'timeline';
  const head = h('div');
  const body = h('div');
  const stops = [];
  let viewer = null, tabNow = null;
  // Live: the run's state changes and log lines from the stream; polling while it is not healthy.
  const stream = liveStream({ flow_run_id: run.id }, {
    state: (c) => { refreshSoon(); if (c.kind === 'task-run' && tabNow === 'timeline') timelineSoon(); },
    log: (l) => { if (viewer) viewer.push(l); },
    ready: () => refreshSoon(),
  });
  const indicator = liveIndicator(stream, { finished: () => !ACTIVE.has(run.state.type) });
  const refresh = async () => {
    if (head.querySelector('dialog[open]')) return; // do not pull a form away while it is in use
    try { run = await api(`/flow_runs/${run.id}`); } catch (e) { return; }
    head.replaceChildren(heading(`Run ${run.name}`, ...actions(run, { ...ctx, refresh }), indicator), header(run));
  };
  const refreshSoon = debounce(refresh, 250);
  const timelineSoon = debounce(() => { if (tabNow === 'timeline') show('timeline'); }, 1000);
  head.append(heading(`Run ${run.name}`, ...actions(run, { ...ctx, refresh }), indicator), header(run));
  const tabs = h('div.tabs', { role: 'tablist', 'aria-label': 'Run views' });
  const panel = h('div', { role: 'tabpanel', id: 'run-panel' });
  const show = async (which) => {
    while (stops.length) stops.pop()();
    tabNow = which;
    viewer = null;
    for (const b of tabs.children) b.setAttribute('aria-selected', String(b.dataset.tab === which));
    panel.replaceChildren();
    const url = new URL(location.href);
    url.searchParams.set('tab', which);
    if (which !== 'logs') url.searchParams.delete('line');
    history.replaceState(null, '', url);
    if (VIEWS[which]) {
      const view = VIEWS[which]();
      panel.append(view.el);
      stops.push(view.stop);
      try { await view.start(); } catch (e) { panel.append(errorBox(e)); }
    } else if (which === 'logs') {
      viewer = logViewer(run.id, { isActive: () => ACTIVE.has(run.state.type), live: stream, line: url.searchParams.get('line') });
      panel.append(viewer.el);
      stops.push(viewer.stop);
      await viewer.start();
    } else {
      try {
        const t = timelineSection(await readTimeline(run), run, ctx.navigate);
        panel.append(t.section);
        const stop = t.start();
        if (stop) stops.push(stop);
      } catch (e) { panel.append(errorBox(e)); }
    }
  };
  for (const [key, label] of [['timeline', 'Timeline'], ['graph', 'Graph'], ['logs', 'Logs'], ['artifacts', 'Artifacts']]) {
    tabs.append(h('button', { type: 'button', role: 'tab', 'data-tab': key, 'aria-controls': 'run-panel', onclick: () => show(key) }, label));
  }
  body.append(tabs, panel);
  main.append(head, body);
  await show(tab);
  // Fallback: while the run is active and the stream is not healthy, poll its header.
  const timer = setInterval(() => { if (!document.hidden && ACTIVE.has(run.state.type) && !stream.healthy()) refresh(); }, 2000);
  return () => { clearInterval(timer); stream.stop(); while (stops.length) stops.pop()(); };
}
