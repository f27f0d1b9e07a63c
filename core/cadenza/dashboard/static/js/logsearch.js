// The Logs page (/logs): log lines of every run, newest first, from GET /api/logs. The filters
// live in the URL's query string (a URL is a saved search); older lines by the `before` cursor.
// Each line links to its run, its task run and its place in the run's log view.
import { api } from './api.js';
import { LEVELS, levelBadge, lineHref } from './logs.js';
import { RANGES } from './runs.js';
import { h, link, fmtTime, table, heading, say } from './ui.js';

const PAGE = 100;
// URL parameter -> the route's parameter.
const FIELDS = { q: 'q', level: 'level', logger: 'logger', flow: 'flow_name', run: 'flow_run_id', task: 'task_run_id' };

function filtersFrom(query) {
  const range = RANGES[query.get('range')] !== undefined ? query.get('range') : '24h';
  const seconds = RANGES[range];
  const f = { range, since: seconds ? Math.floor(Date.now() / 1000 - seconds) : null };
  for (const key of Object.keys(FIELDS)) f[key] = query.get(key) || '';
  return f;
}

function filterForm(f, flows, go) {
  const opt = (value, text, selected) => h('option', { value, selected }, text);
  const field = (id, label, control) => h('div.field', {}, h('label', { for: id }, label), control);
  const input = (id, name, placeholder, type = 'text') => h('input', { id, name, type, value: f[name], placeholder });
  const form = h('form.filters', { role: 'search', 'aria-label': 'Filter log lines', onsubmit: (ev) => { ev.preventDefault(); go(form); } },
    field('l-q', 'Text', input('l-q', 'q', 'text in the message', 'search')),
    field('l-level', 'Level', h('select', { id: 'l-level', name: 'level', onchange: () => go(form) },
      LEVELS.map(([v, t]) => opt(v ? String(v) : '', t, String(v || '') === f.level)))),
    field('l-logger', 'Logger', input('l-logger', 'logger', 'e.g. cadenza.flow_runs')),
    field('l-flow', 'Flow', h('select', { id: 'l-flow', name: 'flow', onchange: () => go(form) },
      opt('', 'Any flow', !f.flow), flows.map((fl) => opt(fl.name, fl.name, fl.name === f.flow)))),
    field('l-run', 'Flow run', input('l-run', 'run', 'flow run id')),
    field('l-task', 'Task run', input('l-task', 'task', 'task run id')),
    field('l-range', 'Logged in', h('select', { id: 'l-range', name: 'range', onchange: () => go(form) },
      Object.keys(RANGES).map((r) => opt(r, r === 'all' ? 'all time' : `last ${r}`, r === f.range)))),
    h('button', { type: 'submit' }, 'Search'));
  return form;
}

const COLUMNS = [
  { label: 'Time', cell: (l) => fmtTime(l.timestamp) },
  { label: 'Level', cell: (l) => levelBadge(l) },
  { label: 'Logger', cell: (l) => h('code', {}, l.logger || '—'), cls: 'wide' },
  {
    label: 'Run',
    cell: (l) => (l.flow_run_id ? h('span', {}, link(`/runs/${l.flow_run_id}`, l.flow_run_name || l.flow_run_id),
      l.task_run_id ? [' / ', link(`/runs/${l.flow_run_id}/tasks/${l.task_run_id}`, l.task_run_name || 'task run')] : null) : '—'),
  },
  { label: 'Message', cell: (l) => h('span.msg', {}, l.message), cls: 'message' },
  {
    label: 'Line',
    cell: (l) => (l.flow_run_id ? link(lineHref(l.flow_run_id, l.id), `#${l.id}`, { 'aria-label': `Open line ${l.id} in its run's log` }) : `#${l.id}`),
    cls: 'num',
  },
];

export async function render(main, _params, query, { navigate }) {
  const f = filtersFrom(query);
  const go = (form) => {
    const q = new URLSearchParams();
    for (const [k, v] of new FormData(form)) if (v && !(k === 'range' && v === '24h')) q.append(k, String(v).trim());
    navigate(`/logs${q.toString() ? `?${q}` : ''}`);
  };
  const flows = await api('/flows').catch(() => []);
  const list = h('section', { id: 'log-results', 'aria-label': 'Log lines' });
  const summary = h('p.muted', { id: 'logs-summary' });
  const older = h('button', { type: 'button', hidden: true }, 'Load older');
  main.append(heading('Logs'), filterForm(f, flows, go), summary, list, older);

  const params = { since: f.since, limit: PAGE };
  for (const [key, name] of Object.entries(FIELDS)) params[name] = f[key] || null;
  let rows = [], cursor = null;
  const load = async () => {
    const page = await api('/logs', { query: { ...params, before: cursor } });
    rows = rows.concat(page.items);
    cursor = page.next_cursor;
    older.hidden = cursor == null;
    summary.textContent = `${rows.length.toLocaleString()} log lines shown, newest first${cursor == null ? '' : ' (more older ones)'}.`;
    list.replaceChildren(table('Log lines, newest first', COLUMNS, rows, 'No log lines match these filters.'));
  };
  older.addEventListener('click', () => load().then(() => say(`${rows.length} log lines shown`)));
  await load();
}
