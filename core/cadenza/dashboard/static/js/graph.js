// A flow run's task-run graph (GET /api/flow_runs/{id}/graph) as SVG, layered left to right by
// dependency depth (computed by the server). Each node is a link to its task run's detail view,
// with its state as an icon and text. Over MAX_NODES task runs, the graph is condensed: one node
// per task name and depth (with a count), edges merged; when even that is too large, it says so
// and points at the table.
import { api } from './api.js';
import { h, ROOT } from './ui.js';

export const MAX_NODES = 2000;
const NODE_W = 170, NODE_H = 30, GAP_X = 60, GAP_Y = 12, PAD = 10;
const ICONS = { COMPLETED: '✓', FAILED: '✕', CRASHED: '⚠', CANCELLED: '⊘', CANCELLING: '⊘', RUNNING: '▶', PENDING: '◔', SCHEDULED: '◷', PAUSED: '❚❚' };
const WORST = ['CRASHED', 'FAILED', 'CANCELLED', 'CANCELLING', 'RUNNING', 'PAUSED', 'PENDING', 'SCHEDULED', 'COMPLETED'];
const NS = 'http://www.w3.org/2000/svg';

function svg(tag, attrs, ...children) {
  const el = document.createElementNS(NS, tag);
  for (const [k, v] of Object.entries(attrs || {})) if (v != null) el.setAttribute(k, v);
  for (const c of children.flat()) if (c != null) el.append(c instanceof Node ? c : document.createTextNode(String(c)));
  return el;
}

// Nodes of many task runs folded by (depth, task name): the condensed form of a huge run.
export function condense(g) {
  const key = (i) => `${g.depth[i]}\u0000${g.task_names[i]}`;
  const groups = new Map();
  const of = new Array(g.count);
  for (let i = 0; i < g.count; i++) {
    const k = key(i);
    let gr = groups.get(k);
    if (!gr) { gr = { index: groups.size, depth: g.depth[i], name: g.task_names[i], count: 0, worst: 'COMPLETED' }; groups.set(k, gr); }
    gr.count++;
    const s = g.state[i] || 'PENDING';
    if (WORST.indexOf(s) < WORST.indexOf(gr.worst)) gr.worst = s;
    of[i] = gr.index;
  }
  const list = [...groups.values()];
  const seen = new Set();
  const source = [], target = [];
  for (let e = 0; e < g.edges.source.length; e++) {
    const s = of[g.edges.source[e]], t = of[g.edges.target[e]];
    const k = s * 1e7 + t;
    if (s !== t && !seen.has(k)) { seen.add(k); source.push(s); target.push(t); }
  }
  return {
    count: list.length,
    ids: list.map(() => null),
    names: list.map((gr) => `${gr.name} ×${gr.count}`),
    state: list.map((gr) => gr.worst),
    state_name: list.map((gr) => (gr.worst === 'COMPLETED' ? 'all completed' : `worst: ${gr.worst.toLowerCase()}`)),
    depth: list.map((gr) => gr.depth),
    edges: { source, target },
  };
}

// Positions: a column per depth; within a column, by the mean row of the node's upstream runs
// (one pass, in depth order), which keeps most edges short and uncrossed.
export function layout(g) {
  const columns = [];
  for (let i = 0; i < g.count; i++) (columns[g.depth[i]] ||= []).push(i);
  const ups = Array.from({ length: g.count }, () => []);
  for (let e = 0; e < g.edges.source.length; e++) ups[g.edges.target[e]].push(g.edges.source[e]);
  const row = new Array(g.count).fill(0);
  for (const col of columns) {
    if (!col) continue;
    const weight = (i) => (ups[i].length ? ups[i].reduce((a, j) => a + row[j], 0) / ups[i].length : i);
    const order = col.map((i) => [weight(i), i]).sort((a, b) => a[0] - b[0] || a[1] - b[1]);
    order.forEach(([, i], k) => { row[i] = k; });
  }
  const height = Math.max(1, ...columns.map((c) => (c ? c.length : 0)));
  return { row, columns: columns.length, height };
}

export function drawGraph(g, flowRunId, { condensed = false } = {}) {
  const { row, columns, height } = layout(g);
  const x = (i) => PAD + g.depth[i] * (NODE_W + GAP_X);
  const y = (i) => PAD + row[i] * (NODE_H + GAP_Y);
  const width = PAD * 2 + columns * (NODE_W + GAP_X) - GAP_X;
  const tall = PAD * 2 + height * (NODE_H + GAP_Y) - GAP_Y;
  const label = `Graph of ${g.count} ${condensed ? 'groups of task runs' : 'task runs'}, ${g.edges.source.length} dependencies, left to right by depth.`;
  const root = svg('svg', { class: 'graph', viewBox: `0 0 ${width} ${tall}`, width: String(width), height: String(tall), role: 'group', 'aria-label': label });
  const edges = svg('g', { class: 'edges', 'aria-hidden': 'true' });
  for (let e = 0; e < g.edges.source.length; e++) {
    const s = g.edges.source[e], t = g.edges.target[e];
    const x1 = x(s) + NODE_W, y1 = y(s) + NODE_H / 2, x2 = x(t), y2 = y(t) + NODE_H / 2;
    const mid = (x1 + x2) / 2;
    edges.append(svg('path', { class: g.edges.input && g.edges.input[e] === 'wait_for' ? 'edge wait' : 'edge', d: `M${x1},${y1} C${mid},${y1} ${mid},${y2} ${x2},${y2}` }));
  }
  root.append(edges);
  for (let i = 0; i < g.count; i++) {
    const state = g.state[i] || 'UNKNOWN';
    const text = `${ICONS[state] || '?'} ${g.names[i]}`;
    const body = [
      svg('rect', { x: String(x(i)), y: String(y(i)), width: String(NODE_W), height: String(NODE_H), rx: '5' }),
      svg('text', { x: String(x(i) + 8), y: String(y(i) + NODE_H / 2 + 4) }, text.length > 24 ? `${text.slice(0, 23)}…` : text),
      svg('title', {}, `${g.names[i]}: ${g.state_name[i] || state}`),
    ];
    const attrs = { class: 'node', 'data-state': state, 'data-index': String(i) };
    if (g.ids[i]) {
      root.append(svg('a', { ...attrs, href: `${ROOT}/runs/${flowRunId}/tasks/${g.ids[i]}`, 'data-nav': '', 'aria-label': `${g.names[i]}: ${g.state_name[i] || state}` }, body));
    } else {
      root.append(svg('g', { ...attrs, role: 'img', 'aria-label': `${g.names[i]}: ${g.state_name[i] || state}` }, body));
    }
  }
  return root;
}

// The graph tab of a run page.
export function graphView(run) {
  const el = h('section', { 'aria-label': 'Task graph' });
  return {
    el,
    start: async () => {
      const started = performance.now();
      const g = await api(`/flow_runs/${run.id}/graph`);
      const note = h('p.muted', { id: 'graph-note' });
      if (!g.count) { el.replaceChildren(h('p.muted', {}, 'No task runs yet.')); return; }
      let shown = g, condensed = false;
      if (g.count > MAX_NODES) {
        shown = condense(g);
        condensed = true;
        if (shown.count > MAX_NODES) {
          el.replaceChildren(h('p', {}, `This run has ${g.total.toLocaleString()} task runs in ${shown.count.toLocaleString()} groups: too many to draw as a graph. `,
            h('a', { href: `${ROOT}/runs/${run.id}?tab=timeline`, 'data-nav': true }, 'See them in the timeline and its table'), '.'));
          return;
        }
      }
      const drawing = drawGraph(shown, run.id, { condensed });
      const parts = [`${g.count.toLocaleString()} task runs, ${g.edges.source.length.toLocaleString()} dependencies`];
      if (g.truncated) parts.push(`the first ${g.count.toLocaleString()} of ${g.total.toLocaleString()} by creation`);
      if (condensed) parts.push(`condensed to ${shown.count} groups (one per task and depth; a group shows its worst state)`);
      if (g.outside_edges) parts.push(`${g.outside_edges} dependencies on runs not shown`);
      parts.push('dashed: wait_for');
      note.textContent = `${parts.join('; ')}. Drawn in ${(performance.now() - started).toFixed(0)} ms.`;
      el.replaceChildren(note, h('div.graph-wrap', {}, drawing));
    },
    stop: () => {},
  };
}
