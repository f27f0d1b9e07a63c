// The runs page (home): filters kept in the URL, keyset "load more", the history chart on top.
import { api, missingRoute } from './api.js';
import { historyChart } from './chart.js';
import { bulkBar } from './bulk.js';
import { selection } from './compare.js';
import { liveStream, liveIndicator, debounce } from './live.js';
import { savedViews } from './views.js';
import { h, link, STATES, stateBadge, fmtTime, fmtDuration, table, heading, errorBox, say, ROOT } from './ui.js';

export const RANGES = { '1h': 3600, '24h': 86400, '7d': 7 * 86400, '30d': 30 * 86400, all: null };
const PAGE = 50;
let compat = false; // this server lacks GET /api/flow_runs/page: read GET /api/flow_runs

function filtersFrom(query) {
  const range = RANGES[query.get('range')] !== undefined ? query.get('range') : '24h';
  const seconds = RANGES[range];
  return {
    state: query.getAll('state'),
    flow_name: query.get('flow') || '',
    deployment: query.get('deployment') || '',
    tag: (query.get('tag') || '').split(',').map((t) => t.trim()).filter(Boolean),
    q: query.get('q') || '',
    sort: query.get('sort') === 'created_asc' ? 'created_asc' : 'created_desc',
    range,
    since: seconds ? Math.floor(Date.now() / 1000 - seconds) : null,
  };
}

async function readPage(f, cursor) {
  const query = { limit: PAGE, cursor, state: f.state, flow_name: f.flow_name, deployment: f.deployment, tag: f.tag, q: f.q, sort: f.sort, since: f.since };
  if (!compat) {
    try {
      return await api('/flow_runs/page', { query });
    } catch (e) {
      if (!missingRoute(e)) throw e;
      compat = true;
    }
  }
  const offset = Number(cursor || 0);
  const items = await api('/flow_runs', { query: { limit: PAGE, offset, state: f.state[0], flow_name: f.flow_name, deployment: f.deployment, tag: f.tag[0], since: f.since } });
  const q = f.q.toLowerCase();
  return {
    items: items.filter((r) => !q || r.name.toLowerCase().includes(q) || r.flow_name.toLowerCase().includes(q))
      .map((r) => ({ ...r, duration: r.duration_seconds, parameters_preview: JSON.stringify(r.parameters || {}).slice(0, 120) })),
    next_cursor: items.length === PAGE ? String(offset + PAGE) : null,
    total: null,
  };
}

// The list's filters as POST /api/flow_runs/bulk takes them ("all matching").
const bulkFilter = (f) => ({ state: f.state, flow_name: f.flow_name || null, deployment: f.deployment || null, tag: f.tag, q: f.q || null, since: f.since });

async function readHistory(f) {
  try {
    return await api('/flow_runs/history', { query: { since: f.since ?? Math.floor(Date.now() / 1000 - 30 * 86400), state: f.state, flow_name: f.flow_name, deployment: f.deployment, tag: f.tag, q: f.q } });
  } catch (e) {
    if (missingRoute(e)) return null;
    throw e;
  }
}

const COLUMNS = [
  { label: 'State', cell: (r) => stateBadge(r.state) },
  { label: 'Run', cell: (r) => link(`/runs/${r.id}`, r.name) },
  { label: 'Flow', cell: (r) => r.flow_name },
  { label: 'Deployment', cell: (r) => r.deployment_name || '—', cls: 'wide' },
  { label: 'Tags', cell: (r) => (r.tags || []).map((t) => h('span.tag', {}, t)), cls: 'wide' },
  { label: 'Start', cell: (r) => fmtTime(r.start_time || r.expected_start_time || r.created) },
  { label: 'Duration', cell: (r) => fmtDuration(r.duration ?? r.duration_seconds), cls: 'num' },
  { label: 'Parameters', cell: (r) => h('code.preview', {}, r.parameters_preview || ''), cls: 'wide' },
  { label: 'Warnings / errors', cell: counts, cls: 'num' },
];

function counts(r) {
  if (r.warning_count == null && r.error_count == null) return '—';
  return h('span', {}, h('span', { title: 'log lines at WARNING or above' }, `⚠ ${r.warning_count ?? 0}`), ' / ',
    h('span', { title: 'log lines at ERROR or above' }, `✖ ${r.error_count ?? 0}`));
}

function filterForm(f, flows, go) {
  const opt = (value, text, selected) => h('option', { value, selected }, text);
  const field = (id, label, control) => h('div.field', {}, h('label', { for: id }, label), control);
  const form = h('form.filters', { role: 'search', 'aria-label': 'Filter runs', onsubmit: (ev) => { ev.preventDefault(); go(form); } },
    field('f-state', 'State', h('select', { id: 'f-state', name: 'state', onchange: () => go(form) },
      opt('', 'Any state', !f.state.length), STATES.map((s) => opt(s, s.toLowerCase(), f.state.includes(s))))),
    field('f-flow', 'Flow', h('select', { id: 'f-flow', name: 'flow', onchange: () => go(form) },
      opt('', 'Any flow', !f.flow_name), flows.map((fl) => opt(fl.name, fl.name, fl.name === f.flow_name)))),
    field('f-deployment', 'Deployment', h('input', { id: 'f-deployment', name: 'deployment', value: f.deployment, placeholder: 'flow/name or id' })),
    field('f-tag', 'Tags', h('input', { id: 'f-tag', name: 'tag', value: f.tag.join(', '), placeholder: 'a, b' })),
    field('f-range', 'Created in', h('select', { id: 'f-range', name: 'range', onchange: () => go(form) },
      Object.keys(RANGES).map((r) => opt(r, r === 'all' ? 'all time' : `last ${r}`, r === f.range)))),
    field('f-q', 'Search', h('input', { id: 'f-q', name: 'q', type: 'search', value: f.q, placeholder: 'run or flow name' })),
    field('f-sort', 'Order', h('select', { id: 'f-sort', name: 'sort', onchange: () => go(form) },
      opt('created_desc', 'newest first', f.sort === 'created_desc'), opt('created_asc', 'oldest first', f.sort === 'created_asc'))),
    h('button', { type: 'submit' }, 'Apply'));
  return form;
}

export async function render(main, _params, query, { navigate }) {
  const views = await savedViews(query); // a bare `/` opens with the default view
  const f = filtersFrom(views.query);
  const go = (form) => {
    const data = new FormData(form);
    const q = new URLSearchParams();
    for (const [k, v] of data) if (v && !(k === 'range' && v === '24h') && !(k === 'sort' && v === 'created_desc')) q.append(k, v);
    navigate(`/${q.toString() ? `?${q}` : ''}`, { replace: false });
  };
  const flows = await api('/flows').catch(() => []);
  const chart = h('section.card', { 'aria-label': 'Runs over time' });
  const list = h('section', { id: 'runs-list', 'aria-label': 'Flow runs' });
  const more = h('button', { type: 'button', hidden: true }, 'Load more');
  const summary = h('p.muted', { id: 'runs-summary' });
  const pick = selection(navigate); // compare two runs, or act on the chosen ones
  const bulk = bulkBar(pick, () => bulkFilter(f), () => load(true).catch(() => {}));
  main.append(heading('Runs', pick.button, h('a.button', { href: `${ROOT}/api/docs` }, 'API docs')), views.control(navigate), filterForm(f, flows, go), chart, summary, bulk.bar, bulk.results, list, more);

  readHistory(f).then((hist) => {
    chart.replaceChildren(hist ? historyChart(hist) : h('p.muted', {}, 'The runs-over-time chart needs a newer server (GET /api/flow_runs/history).'));
  }).catch((e) => chart.replaceChildren(errorBox(e)));

  let rows = [];
  let cursor = null;
  const draw = () => {
    list.replaceChildren(table('Flow runs', [pick.column, ...COLUMNS], rows, 'No flow runs match these filters.'));
  };
  const load = async (first) => {
    const page = await readPage(f, first ? null : cursor);
    rows = first ? page.items : rows.concat(page.items);
    cursor = page.next_cursor;
    more.hidden = !cursor || page.items.length < PAGE;
    const total = page.total == null ? '' : ` of ${page.total_capped ? `${page.total.toLocaleString()}+` : page.total.toLocaleString()}`;
    summary.textContent = `${rows.length}${total} runs shown.`;
    bulk.setTotal(page.total, page.total_capped);
    draw();
  };
  more.addEventListener('click', () => load(false).then(() => say(`${rows.length} runs shown`)));
  await load(true);
  // Live: the matching runs' state changes and warning/error lines from the stream refresh the
  // first page (while nothing more was loaded); polling every 5 s while it is not healthy.
  const reload = () => { if (!document.hidden && rows.length <= PAGE) load(true).catch(() => {}); };
  const stream = liveStream({ state: f.state, flow_name: f.flow_name, deployment: f.deployment, tag: f.tag, q: f.q, since: f.since, log_level: 30 },
    { state: debounce(reload, 300), log: debounce(reload, 300), ready: reload });
  summary.after(liveIndicator(stream));
  const timer = setInterval(() => { if (!stream.healthy()) reload(); }, 5000);
  return () => { clearInterval(timer); stream.stop(); };
}
