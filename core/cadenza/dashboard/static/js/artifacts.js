// A run's artifacts (GET /api/artifacts?flow_run_id=): markdown rendered by markdown.js (safe),
// tables as tables, links as links (http/https only), progress as a progress bar, images only
// from this origin or a data:image/ URL. Every value from the record is text, never HTML.
import { api } from './api.js';
import { renderMarkdown, safeHref, safeImage } from './markdown.js';
import { h, link, fmtTime, json, table, errorBox } from './ui.js';

const LIMIT = 200;

function tableOf(data) {
  let columns, rows;
  if (Array.isArray(data)) {
    if (data.length && !Array.isArray(data[0]) && typeof data[0] === 'object') {
      columns = [...new Set(data.flatMap((r) => Object.keys(r || {})))];
      rows = data.map((r) => columns.map((c) => (r || {})[c]));
    } else {
      columns = (data[0] || []).map((_, i) => `Column ${i + 1}`);
      rows = data;
    }
  } else if (data && typeof data === 'object') {
    columns = Object.keys(data);
    const n = Math.max(0, ...columns.map((c) => (data[c] || []).length));
    rows = Array.from({ length: n }, (_, i) => columns.map((c) => (data[c] || [])[i]));
  } else {
    return json(data);
  }
  const show = (v) => (v == null ? '' : typeof v === 'object' ? JSON.stringify(v) : String(v));
  return table('Table artifact', columns.map((c, k) => ({ label: String(c), cell: (r) => show(r[k]) })), rows, 'An empty table.');
}

export function artifactBody(a) {
  const d = a.data;
  switch (a.type) {
    case 'markdown':
      return renderMarkdown(typeof d === 'string' ? d : JSON.stringify(d), { base: 4 });
    case 'table':
      return tableOf(d);
    case 'link': {
      const target = typeof d === 'string' ? d : d && d.link;
      const text = (d && d.link_text) || target;
      const href = safeHref(target);
      return href ? h('p', {}, h('a', { href, rel: 'noopener noreferrer nofollow', target: '_blank' }, text))
        : h('p', {}, h('code', {}, String(target)), ' (not a web link: not made clickable)');
    }
    case 'progress': {
      const value = Math.max(0, Math.min(100, Number(d) || 0));
      const id = `progress-${a.id}`;
      return h('p.progress', {},
        h('progress', { id, max: '100', value: String(value), 'aria-label': `${a.key || 'Progress'}: ${value}%` }),
        ' ', h('span', {}, `${value.toFixed(value % 1 ? 1 : 0)}%`));
    }
    case 'image': {
      const src = safeImage(d);
      return src ? h('img.artifact-image', { src, alt: a.description || a.key || 'Image artifact' })
        : h('p.muted', {}, 'Image from another origin, not loaded here (the dashboard loads nothing from other hosts): ', h('code', {}, String(d)));
    }
    default:
      return json(d);
  }
}

function card(a, flowRunId) {
  const title = a.key || `${a.type} artifact`;
  return h('article.card.artifact', { 'aria-label': `Artifact ${title}` },
    h('h3', {}, title, ' ', h('span.tag', {}, a.type)),
    h('p.muted', {}, 'Created ', fmtTime(a.created),
      a.task_run_id ? [' by task run ', link(`/runs/${flowRunId}/tasks/${a.task_run_id}`, a.task_run_id.slice(0, 8))] : ''),
    a.description ? renderMarkdown(a.description, { base: 5 }) : null,
    artifactBody(a));
}

// The artifacts tab of a run page.
export function artifactsView(flowRunId) {
  const el = h('section', { 'aria-label': 'Artifacts' });
  return {
    el,
    start: async () => {
      try {
        const items = await api('/artifacts', { query: { flow_run_id: flowRunId, limit: LIMIT } });
        el.replaceChildren(h('p.muted', {}, items.length ? `${items.length}${items.length >= LIMIT ? '+' : ''} artifacts, newest first.` : 'This run recorded no artifacts.'),
          ...items.map((a) => card(a, flowRunId)));
      } catch (e) { el.replaceChildren(errorBox(e)); }
    },
    stop: () => {},
  };
}
