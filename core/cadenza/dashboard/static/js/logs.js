// A run's logs: a windowed viewer (only the visible lines are in the DOM), level filter,
// search, and a live tail: lines pushed from the live stream (live.js) while it is healthy,
// else polled with the `after` cursor while the run is active.
import { api } from './api.js';
import { h, fmtTime } from './ui.js';

const LINE = 20, KEEP = 5000, POLL_MS = 1500, PAGE = 1000;
const LEVELS = [[0, 'all levels'], [10, 'DEBUG and above'], [20, 'INFO and above'], [30, 'WARNING and above'], [40, 'ERROR and above']];

// `taskRunId`: only that task run's lines (the route's task_run_id filter).
export function logViewer(runId, { isActive, taskRunId = null, live: stream = null }) {
  let lines = [], after = null, level = 0, q = '', timer = null, lastOk = null, stopped = false;
  let loading = 0, pending = [];
  const box = h('div.logs', { tabindex: '0', role: 'log', 'aria-label': 'Log lines' });
  const spacer = h('div.spacer');
  box.append(spacer);
  const live = h('span.live', { 'aria-live': 'off' });
  const levelSel = h('select', { id: 'log-level' }, LEVELS.map(([v, t]) => h('option', { value: v }, t)));
  const search = h('input', { id: 'log-q', type: 'search', placeholder: 'text in the message' });
  const count = h('span.muted');
  const toolbar = h('div.toolbar', {},
    h('div.field', {}, h('label', { for: 'log-level' }, 'Level'), levelSel),
    h('div.field', {}, h('label', { for: 'log-q' }, 'Search logs'), search),
    count, live);

  const keep = (l) => l.level >= level && (!taskRunId || l.task_run_id === taskRunId) && (!q || l.message.toLowerCase().includes(q));
  function paint() {
    spacer.style.height = `${lines.length * LINE}px`;
    const first = Math.max(0, Math.floor(box.scrollTop / LINE) - 10);
    const last = Math.min(lines.length, first + Math.ceil(box.clientHeight / LINE) + 20);
    const nodes = [];
    for (let i = first; i < last; i++) {
      const l = lines[i];
      const name = l.level_name || String(l.level);
      const row = h('div.line', { id: `log-${l.id}` },
        h('span.lvl', { class: `lvl lvl-${name}` }, name), ' ', fmtTime(l.timestamp), ' ', l.message);
      row.style.top = `${i * LINE}px`;
      row.title = l.message;
      nodes.push(row);
    }
    spacer.replaceChildren(...nodes);
    count.textContent = `${lines.length} lines${lines.length >= KEEP ? ' (the newest kept)' : ''}`;
  }
  box.addEventListener('scroll', () => requestAnimationFrame(paint));

  async function fetchMore() {
    loading++;
    try { await fetchAfter(); } finally { loading--; }
    const early = pending;
    pending = [];
    for (const l of early) push(l);
  }

  // A line from the live stream: appended once (the stream and a fetch may both carry it).
  function push(l) {
    if (loading) { pending.push(l); return; }
    if (after != null && l.id <= after) return;
    const atBottom = box.scrollTop + box.clientHeight >= box.scrollHeight - LINE * 2;
    after = l.id;
    if (keep(l)) lines.push(l);
    if (lines.length > KEEP) lines = lines.slice(lines.length - KEEP);
    paint();
    if (atBottom) box.scrollTop = box.scrollHeight;
  }

  async function fetchAfter() {
    const atBottom = box.scrollTop + box.clientHeight >= box.scrollHeight - LINE * 2;
    for (;;) {
      const got = await api(`/flow_runs/${runId}/logs`, { query: { after, limit: PAGE, level: level || null, q: q || null, task_run_id: taskRunId } });
      if (got.length) after = got[got.length - 1].id;
      lines = lines.concat(got.filter(keep));
      if (lines.length > KEEP) lines = lines.slice(lines.length - KEEP);
      if (got.length < PAGE) break;
    }
    lastOk = new Date();
    paint();
    if (atBottom) box.scrollTop = box.scrollHeight;
  }

  function indicator() {
    if (!isActive()) { live.dataset.live = 'done'; live.textContent = 'run finished: log complete'; return; }
    const streamed = stream && stream.healthy();
    const heard = [lastOk, stream && stream.lastHeard()].filter(Boolean).sort((a, b) => b - a)[0];
    const fresh = streamed || (lastOk && Date.now() - lastOk.getTime() < POLL_MS * 4);
    live.dataset.live = fresh ? 'live' : 'stale';
    live.textContent = fresh ? 'live' : `stale since ${heard ? fmtTime(heard).textContent : 'the start'}${document.hidden ? ' (tab hidden)' : ''}`;
  }

  async function tick() {
    if (stopped) return;
    if (!document.hidden && isActive() && !(stream && stream.healthy())) {
      try { await fetchMore(); } catch (_) { /* shown as stale */ }
    }
    indicator();
    if (!stopped && isActive()) timer = setTimeout(tick, POLL_MS);
  }

  async function reload() {
    lines = []; after = null;
    await fetchMore();
    indicator();
  }
  levelSel.addEventListener('change', () => { level = Number(levelSel.value); reload(); });
  search.addEventListener('change', () => { q = search.value.toLowerCase(); reload(); });
  const onVisible = () => { if (!document.hidden) { clearTimeout(timer); tick(); } };
  document.addEventListener('visibilitychange', onVisible);

  const el = h('section', { 'aria-label': 'Logs' }, toolbar, box);
  return {
    el,
    start: async () => { await reload(); box.scrollTop = box.scrollHeight; paint(); timer = setTimeout(tick, POLL_MS); },
    stop: () => { stopped = true; clearTimeout(timer); document.removeEventListener('visibilitychange', onVisible); },
    lines: () => lines,
    push: (l) => { push(l); indicator(); },
  };
}

