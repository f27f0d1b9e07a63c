// Compare two flow runs (/compare?a=<id>&b=<id>): parameters side by side with the differences
// marked, task runs side by side (state and duration, matched by task-run name), per task name
// totals, and the first diverging task run (in A's start order, the first whose state differs).
// Composed from GET /api/flow_runs/{id} and its task-run pages.
import { api } from './api.js';
import { h, link, stateBadge, fmtDuration, table, heading, say, toMs } from './ui.js';

const PAGE = 10000;

async function taskRuns(id) {
  let all = [];
  for (let offset = 0; offset < 100000; offset += PAGE) {
    const page = await api(`/flow_runs/${id}/task_runs`, { query: { limit: PAGE, offset } });
    all = all.concat(page);
    if (page.length < PAGE) break;
  }
  const t = (x) => toMs(x.start_time || x.created) || 0;
  return all.sort((x, y) => t(x) - t(y));
}

const show = (v) => (v === undefined ? '—' : JSON.stringify(v));
const same = (x, y) => JSON.stringify(x) === JSON.stringify(y);
const mark = (differs) => (differs ? h('span.diff', {}, '≠ differs') : h('span.muted', {}, '= same'));
const stateOf = (t) => (t ? `${t.state.type}/${t.state.name}` : null);

// The comparison's pure part: rows of parameters and task runs, and the first divergence.
export function compareRuns(a, b, tasksA, tasksB) {
  const pa = a.parameters || {}, pb = b.parameters || {};
  const params = [...new Set([...Object.keys(pa), ...Object.keys(pb)])].sort()
    .map((k) => ({ name: k, a: pa[k], b: pb[k], differs: !same(pa[k], pb[k]) }));
  const byName = new Map(tasksB.map((t) => [t.name, t]));
  const rows = tasksA.map((t) => ({ name: t.name, a: t, b: byName.get(t.name) || null }));
  const seen = new Set(tasksA.map((t) => t.name));
  for (const t of tasksB) if (!seen.has(t.name)) rows.push({ name: t.name, a: null, b: t });
  for (const r of rows) r.differs = stateOf(r.a) !== stateOf(r.b);
  const first = rows.find((r) => r.differs) || null;
  const perTask = new Map();
  for (const [side, list] of [['a', tasksA], ['b', tasksB]]) {
    for (const t of list) {
      const e = perTask.get(t.task_name) || { task: t.task_name, a: { n: 0, s: 0, states: {} }, b: { n: 0, s: 0, states: {} } };
      const x = e[side];
      x.n++; x.s += t.duration_seconds || 0;
      x.states[t.state.name] = (x.states[t.state.name] || 0) + 1;
      perTask.set(t.task_name, e);
    }
  }
  return { params, rows, first, perTask: [...perTask.values()] };
}

const counts = (x) => (x.n ? Object.entries(x.states).map(([k, v]) => `${v} ${k.toLowerCase()}`).join(', ') : '—');

function picker(a, navigate) {
  const input = h('input', { id: 'compare-b', name: 'b', required: true, placeholder: 'a flow run id' });
  const form = h('form.filters', { 'aria-label': 'Pick the run to compare with', onsubmit: (ev) => { ev.preventDefault(); navigate(`/compare?a=${encodeURIComponent(a)}&b=${encodeURIComponent(input.value.trim())}`); } },
    h('div.field', {}, h('label', { for: 'compare-b' }, 'Compare with run'), input), h('button', { type: 'submit' }, 'Compare'));
  return form;
}

export async function render(main, _params, query, { navigate }) {
  const ida = query.get('a'), idb = query.get('b');
  main.append(heading('Compare runs'));
  if (!ida) { main.append(h('p', {}, 'Select two runs on the ', link('/', 'runs page'), ' and press "Compare selected", or use "Compare…" on a run\'s page.')); return; }
  const a = await api(`/flow_runs/${encodeURIComponent(ida)}`);
  if (!idb) {
    const recent = await api('/flow_runs', { query: { flow_name: a.flow_name, limit: 10 } }).catch(() => []);
    main.append(h('p', {}, 'Run A: ', link(`/runs/${a.id}`, a.name), ` (${a.flow_name}). Pick run B:`), picker(a.id, navigate),
      table('Recent runs of the same flow', [
        { label: 'Run', cell: (r) => link(`/compare?a=${a.id}&b=${r.id}`, r.name) },
        { label: 'State', cell: (r) => stateBadge(r.state) },
      ], recent.filter((r) => r.id !== a.id)));
    return;
  }
  const b = await api(`/flow_runs/${encodeURIComponent(idb)}`);
  const [ta, tb] = await Promise.all([taskRuns(a.id), taskRuns(b.id)]);
  const c = compareRuns(a, b, ta, tb);
  const ab = (r) => [link(`/runs/${r.id}`, r.name), ' ', stateBadge(r.state), ` ${fmtDuration(r.duration_seconds)}`];
  main.append(
    h('section.card', { 'aria-label': 'The two runs' }, h('p', {}, 'A: ', ab(a)), h('p', {}, 'B: ', ab(b)),
      h('p', { id: 'first-divergence' }, c.first
        ? ['First diverging task run (in A\'s start order): ', h('strong', {}, c.first.name), ' — A ', c.first.a ? stateBadge(c.first.a.state) : 'not run', ', B ', c.first.b ? stateBadge(c.first.b.state) : 'not run']
        : 'No task run\'s state differs.')),
    h('h2', {}, 'Parameters'),
    table('Parameters of A and B', [
      { label: 'Parameter', cell: (p) => h('code', {}, p.name) },
      { label: 'A', cell: (p) => h('code', {}, show(p.a)) },
      { label: 'B', cell: (p) => h('code', {}, show(p.b)) },
      { label: 'Same?', cell: (p) => mark(p.differs) },
    ], c.params, 'Neither run has parameters.'),
    h('h2', {}, 'Per task'),
    table('Task runs per task name', [
      { label: 'Task', cell: (e) => e.task },
      { label: 'A: states', cell: (e) => counts(e.a) },
      { label: 'A: total time', cell: (e) => fmtDuration(e.a.s), cls: 'num' },
      { label: 'B: states', cell: (e) => counts(e.b) },
      { label: 'B: total time', cell: (e) => fmtDuration(e.b.s), cls: 'num' },
    ], c.perTask),
    h('h2', {}, 'Task runs'),
    table('Task runs of A and B, matched by name', [
      { label: 'Task run', cell: (r) => r.name },
      { label: 'A', cell: (r) => (r.a ? [link(`/runs/${a.id}/tasks/${r.a.id}`, stateBadge(r.a.state)), ` ${fmtDuration(r.a.duration_seconds)}`] : 'not run') },
      { label: 'B', cell: (r) => (r.b ? [link(`/runs/${b.id}/tasks/${r.b.id}`, stateBadge(r.b.state)), ` ${fmtDuration(r.b.duration_seconds)}`] : 'not run') },
      { label: 'Same state?', cell: (r) => mark(r.differs) },
    ], c.rows.slice(0, 2000)),
    ...(c.rows.length > 2000 ? [h('p.muted', {}, `The first 2,000 of ${c.rows.length} task runs are listed.`)] : []));
}

// The runs page's row selection: a checkbox per run, a "Compare selected" button for two; the
// bulk actions (bulk.js) act on the same selection.
export function selection(navigate) {
  const chosen = new Set();
  const listeners = [];
  const button = h('button', { type: 'button', id: 'compare-selected', disabled: true, onclick: () => {
    const [x, y] = [...chosen];
    navigate(`/compare?a=${encodeURIComponent(x)}&b=${encodeURIComponent(y)}`);
  } }, 'Compare selected');
  const changed = () => { button.disabled = chosen.size !== 2; for (const f of listeners) f(chosen); };
  const column = {
    label: h('span.visually-hidden', {}, 'Select'),
    cell: (r) => h('input', {
      type: 'checkbox', 'aria-label': `Select run ${r.name}`, checked: chosen.has(r.id), 'data-run': r.id,
      onchange: (ev) => {
        if (ev.target.checked) chosen.add(r.id); else chosen.delete(r.id);
        changed();
      },
    }),
  };
  const clear = () => {
    chosen.clear();
    for (const box of document.querySelectorAll('input[data-run]')) box.checked = false;
    changed();
  };
  return { column, button, chosen, clear, onChange: (f) => listeners.push(f) };
}
