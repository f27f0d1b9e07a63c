// Small DOM helpers shared by every page: elements, states (icon + text), times, tables.

export const ROOT = document.querySelector('meta[name="cadenza-root"]').content;

// h('a.cls', {href, onclick}, child, ...): an element; strings become text (never HTML).
export function h(tag, attrs, ...children) {
  const [name, ...classes] = tag.split('.');
  const el = document.createElement(name || 'div');
  if (classes.length) el.className = classes.join(' ');
  for (const [k, v] of Object.entries(attrs || {})) {
    if (v == null || v === false) continue;
    if (k.startsWith('on')) el.addEventListener(k.slice(2), v);
    else if (k === 'text') el.textContent = v;
    else el.setAttribute(k, v === true ? '' : v);
  }
  append(el, children);
  return el;
}

function append(el, children) {
  for (const c of children.flat(Infinity)) {
    if (c == null || c === false) continue;
    el.append(c instanceof Node ? c : document.createTextNode(String(c)));
  }
}

export const link = (path, text, attrs = {}) => h('a', { href: ROOT + path, 'data-nav': true, ...attrs }, text);

// States: never colour alone. The icon is drawn by CSS (::before, per data-state) beside the text.
export const STATES = ['COMPLETED', 'FAILED', 'CRASHED', 'CANCELLED', 'CANCELLING', 'RUNNING',
  'PENDING', 'SCHEDULED', 'PAUSED'];
// Okabe-Ito: distinguishable with the common colour-vision deficiencies.
export const STATE_COLOURS = {
  COMPLETED: '#009E73', FAILED: '#D55E00', CRASHED: '#CC79A7', CANCELLED: '#7f7f7f',
  CANCELLING: '#a0a0a0', RUNNING: '#0072B2', PENDING: '#E69F00', SCHEDULED: '#56B4E9',
  PAUSED: '#F0E442',
};
export const ACTIVE = new Set(['RUNNING', 'PENDING', 'SCHEDULED', 'PAUSED', 'CANCELLING']);

export function stateBadge(state) {
  const type = (state && state.type) || 'UNKNOWN';
  const name = (state && state.name) || type.toLowerCase();
  return h('span.state', { 'data-state': type, title: state && state.message ? state.message : null }, name);
}

// Times: shown with their zone; a toggle switches every page to UTC.
export const prefs = { utc: localStorage.getItem('cadenza.utc') === '1' };
const formatters = {};
function formatter(utc) {
  const key = utc ? 'utc' : 'local';
  formatters[key] ||= new Intl.DateTimeFormat(undefined, {
    year: 'numeric', month: 'short', day: '2-digit', hour: '2-digit', minute: '2-digit',
    second: '2-digit', hour12: false, timeZoneName: 'short', ...(utc ? { timeZone: 'UTC' } : {}),
  });
  return formatters[key];
}
// The one reader of a time the API answers: an ISO 8601 UTC string ("2024-05-01T12:00:03.417202+00:00";
// epoch seconds, a number, from a server older than the ISO answers) as a Date, or null.
export function toDate(t) {
  if (t == null || t === '') return null;
  const d = typeof t === 'number' ? new Date(t * 1000) : new Date(t);
  return Number.isNaN(d.getTime()) ? null : d;
}
// The same time in milliseconds since the epoch (for arithmetic and sorting), or null.
export function toMs(t) {
  const d = toDate(t);
  return d ? d.getTime() : null;
}
export function fmtTime(t) {
  const d = toDate(t);
  if (!d) return '—';
  return h('time', { datetime: d.toISOString() }, formatter(prefs.utc).format(d));
}
export function fmtDuration(s) {
  if (s == null) return '—';
  if (s < 1) return `${Math.round(s * 1000)} ms`;
  if (s < 60) return `${s.toFixed(s < 10 ? 2 : 1)} s`;
  const m = Math.floor(s / 60), sec = Math.round(s % 60);
  if (m < 60) return `${m} min ${sec} s`;
  return `${Math.floor(m / 60)} h ${m % 60} min`;
}

// A table: columns [{label, cell: row => node|text, cls}], with a caption for screen readers.
export function table(caption, columns, rows, empty = 'Nothing yet.') {
  if (!rows.length) return h('p.muted.empty', {}, empty);
  return h('div.table-wrap', {},
    h('table', {},
      h('caption.visually-hidden', {}, caption),
      h('thead', {}, h('tr', {}, columns.map((c) => h('th', { scope: 'col', class: c.cls }, c.label)))),
      h('tbody', {}, rows.map((r) => h('tr', {}, columns.map((c) => h('td', { class: c.cls }, c.cell(r))))))));
}

export function kv(pairs) {
  return h('dl.kv', {}, pairs.filter(Boolean).map(([k, v]) => [h('dt', {}, k), h('dd', {}, v ?? '—')]));
}

export function json(value) {
  return h('pre.json', {}, JSON.stringify(value, null, 2));
}

export function say(text) {
  const s = document.getElementById('status');
  s.textContent = '';
  setTimeout(() => { s.textContent = text; }, 30);
}

export function errorBox(err) {
  return h('p.error', { role: 'alert' }, `Error: ${err.message || err}`);
}

// A page's heading and an optional row of actions.
export function heading(text, ...actions) {
  return h('div.page-head', {}, h('h1', {}, text), actions.length ? h('div.actions', {}, actions) : null);
}
