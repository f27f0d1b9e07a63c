// A run's logs: a windowed viewer (only the visible lines are in the DOM), level filter,
// search, and a live tail: lines pushed from the live stream (live.js) while it is healthy,
// else polled with the `after` cursor while the run is active. Each line has a permalink
// (`/runs/<id>?tab=logs&line=<log id>`); opened at a line, the viewer reads the window around it
// (however far from the tail) and holds there, highlighted, until "Go to the latest lines".
import { api } from './api.js';
import { h, fmtTime, ROOT } from './ui.js';

const LINE = 20, KEEP = 5000, POLL_MS = 1500, PAGE = 1000;
export const LEVELS = [[0, 'all levels'], [10, 'DEBUG and above'], [20, 'INFO and above'], [30, 'WARNING and above'], [40, 'ERROR and above']];

const ICONS = { DEBUG: '·', INFO: 'ℹ', WARNING: '⚠', ERROR: '✖', CRITICAL: '‼' };
// A line's level: an icon and its name, never colour alone.
export function levelBadge(l) {
  const name = l.level_name || String(l.level);
  return h('span', { class: `lvl lvl-${name}` }, h('span', { 'aria-hidden': 'true' }, `${ICONS[name] || '•'} `), name);
}
export const lineHref = (runId, id) => `/runs/${runId}?tab=logs&line=${id}`;

// `taskRunId`: only that task run's lines (the route's task_run_id filter). `line`: a log id to
// open at (a deep link).
export function logViewer(runId, { isActive, taskRunId = null, live: stream = null, line = null }) {
  let lines = [], after = null, level = 0, q = '', timer = null, lastOk = null, stopped = false;
  let loading = 0, pending = [], pinned = null, more = false;
  const box = h('div.logs', { tabindex: '0', role: 'log', 'aria-label': 'Log lines' });
  const spacer = h('div.spacer');
  box.append(spacer);
  const live = h('span.live', { 'aria-live': 'off' });
  const levelSel = h('select', { id: 'log-level' }, LEVELS.map(([v, t]) => h('option', { value: v }, t)));
  const search = h('input', { id: 'log-q', type: 'search', placeholder: 'text in the message' });
  const count = h('span.muted');
  const notice = h('p.notice', { role: 'status', hidden: true });
  const newer = h('button', { type: 'button', hidden: true, onclick: () => loadNewer() }, 'Newer lines');
  const latest = h('button', { type: 'button', hidden: true, onclick: () => { pinned = null; unlink(); reload().then(() => { box.scrollTop = box.scrollHeight; paint(); }); } }, 'Go to the latest lines');
  const toolbar = h('div.toolbar', {},
    h('div.field', {}, h('label', { for: 'log-level' }, 'Level'), levelSel),
    h('div.field', {}, h('label', { for: 'log-q' }, 'Search logs'), search),
    count, live, newer, latest);

  const keep = (l) => l.level >= level && (!taskRunId || l.task_run_id === taskRunId) && (!q || l.message.toLowerCase().includes(q));
  function paint() {
    spacer.style.height = `${lines.length * LINE}px`;
    const first = Math.max(0, Math.floor(box.scrollTop / LINE) - 10);
    const last = Math.min(lines.length, first + Math.ceil(box.clientHeight / LINE) + 20);
    const nodes = [];
    for (let i = first; i < last; i++) {
      const l = lines[i];
      const current = l.id === pinned;
      const row = h('div.line', { id: `log-${l.id}`, class: current ? 'line hit' : 'line', 'aria-current': current ? 'true' : null, tabindex: current ? '-1' : null },
        h('a.permalink', { href: ROOT + lineHref(runId, l.id), 'data-nav': true, 'aria-label': `Link to log line ${l.id}`, title: 'Link to this line' }, '#'),
        ' ', levelBadge(l), ' ', fmtTime(l.timestamp), ' ', l.message);
      row.style.top = `${i * LINE}px`;
      row.title = l.message;
      nodes.push(row);
    }
    const focused = document.activeElement && document.activeElement.id === `log-${pinned}`;
    spacer.replaceChildren(...nodes);
    if (focused) { const row = spacer.querySelector(`#log-${pinned}`); if (row) row.focus({ preventScroll: true }); }
    count.textContent = pinned != null ? `${lines.length} lines around line ${pinned}`
      : `${lines.length} lines${lines.length >= KEEP ? ' (the newest kept)' : ''}`;
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
    if (pinned != null) return; // held at a deep-linked line: the tail is read on "Go to the latest"
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
    if (pinned != null && isActive()) { live.dataset.live = 'stale'; live.textContent = `held at line ${pinned}: not following`; return; }
    if (!isActive()) { live.dataset.live = 'done'; live.textContent = 'run finished: log complete'; return; }
    const streamed = stream && stream.healthy();
    const heard = [lastOk, stream && stream.lastHeard()].filter(Boolean).sort((a, b) => b - a)[0];
    const fresh = streamed || (lastOk && Date.now() - lastOk.getTime() < POLL_MS * 4);
    live.dataset.live = fresh ? 'live' : 'stale';
    live.textContent = fresh ? 'live' : `stale since ${heard ? fmtTime(heard).textContent : 'the start'}${document.hidden ? ' (tab hidden)' : ''}`;
  }

  async function tick() {
    if (stopped) return;
    if (!document.hidden && isActive() && pinned == null && !(stream && stream.healthy())) {
      try { await fetchMore(); } catch (_) { /* shown as stale */ }
    }
    indicator();
    if (!stopped && isActive()) timer = setTimeout(tick, POLL_MS);
  }

  // From the newest lines: a page read backwards from the end, then whatever came after it, so
  // a run of a million lines opens with two requests rather than reading it all from the start.
  async function reload() {
    lines = []; after = null;
    newer.hidden = latest.hidden = pinned == null;
    loading++;
    try {
      const tail = await api(`/flow_runs/${runId}/logs`, { query: { before: Number.MAX_SAFE_INTEGER, limit: PAGE, level: level || null, q: q || null, task_run_id: taskRunId } });
      if (tail.length) after = tail[tail.length - 1].id;
      lines = tail.filter(keep);
    } finally { loading--; }
    await fetchMore();
    indicator();
  }

  // Open at log line `id`: up to 200 lines before it and a page from it, the line in the middle
  // of the box, highlighted and focused. A line this run does not have is said so plainly.
  async function openAt(id) {
    const query = { limit: 200, before: id, task_run_id: taskRunId };
    const [earlier, from] = await Promise.all([api(`/flow_runs/${runId}/logs`, { query }),
      api(`/flow_runs/${runId}/logs`, { query: { ...query, before: null, after: id - 1, limit: PAGE } })]);
    if (!from.length || from[0].id !== id) return false;
    pinned = id;
    lines = earlier.concat(from);
    after = lines[lines.length - 1].id;
    more = from.length === PAGE;
    newer.hidden = !more; latest.hidden = false;
    lastOk = new Date();
    paint();
    box.scrollTop = Math.max(0, earlier.length * LINE - box.clientHeight / 2);
    paint();
    const row = box.querySelector(`#log-${id}`);
    if (row) row.focus({ preventScroll: true });
    return true;
  }

  async function loadNewer() {
    const got = await api(`/flow_runs/${runId}/logs`, { query: { after, limit: PAGE, task_run_id: taskRunId } });
    if (got.length) after = got[got.length - 1].id;
    more = got.length === PAGE;
    newer.hidden = !more;
    lines = lines.concat(got);
    const drop = Math.max(0, lines.length - KEEP);
    if (drop) { lines = lines.slice(drop); box.scrollTop -= drop * LINE; }
    paint();
  }

  function unlink() { // the URL no longer names a line
    const url = new URL(location.href);
    if (url.searchParams.has('line')) { url.searchParams.delete('line'); history.replaceState(null, '', url); }
  }

  async function start() {
    const id = line == null ? NaN : Number(line);
    if (line != null && !(Number.isSafeInteger(id) && id > 0 && await openAt(id))) {
      notice.hidden = false;
      notice.textContent = `There is no log line ${line} in this run: showing its latest lines.`;
    }
    if (pinned == null) { await reload(); box.scrollTop = box.scrollHeight; paint(); }
    indicator();
    timer = setTimeout(tick, POLL_MS);
  }
  levelSel.addEventListener('change', () => { level = Number(levelSel.value); pinned = null; unlink(); reload(); });
  search.addEventListener('change', () => { q = search.value.toLowerCase(); pinned = null; unlink(); reload(); });
  const onVisible = () => { if (!document.hidden) { clearTimeout(timer); tick(); } };
  document.addEventListener('visibilitychange', onVisible);

  const el = h('section', { 'aria-label': 'Logs' }, toolbar, notice, box);
  return {
    el,
    start,
    stop: () => { stopped = true; clearTimeout(timer); document.removeEventListener('visibilitychange', onVisible); },
    lines: () => lines,
    push: (l) => { push(l); indicator(); },
  };
}

