// The server itself: its plugins and collections (GET /plugins) and its settings in effect
// (GET /settings, secrets masked by the server).
import { api } from './api.js';
import { h, table, heading } from './ui.js';

const KINDS = {
  block_types: 'Block types', storage_backends: 'Storage backends', tasks: 'Tasks',
  task_runners: 'Task runners', worker_types: 'Worker types', serializers: 'Serializers',
};
// Icon + text, as for run states: loaded ✓, failed ✕, disabled ⊘.
const STATUS = { loaded: 'COMPLETED', failed: 'FAILED', disabled: 'CANCELLED' };

function registered(p) {
  const kinds = Object.entries(p.registered || {}).filter(([, names]) => names.length);
  if (!kinds.length) return '—';
  return h('dl.registered', {}, kinds.map(([kind, names]) => [
    h('dt', {}, KINDS[kind] || kind), h('dd', {}, names.map((n) => h('code.tag', {}, n)))]));
}

function status(p) {
  const badge = h('span.state', { 'data-state': STATUS[p.status] || 'CANCELLED' }, p.status);
  const why = p.error || p.note;
  return h('div', {}, badge, why ? h('p.plugin-error', {}, why) : null);
}

export async function plugins(main) {
  const { plugins: rows, conflicts } = await api('/plugins');
  const failed = rows.filter((p) => p.status === 'failed');
  main.append(...[heading('Plugins and collections'),
    h('p.muted', {}, 'What the server loaded: the core\'s built-in plugins, then every installed distribution with a cadenza entry point (', h('code', {}, 'cadenza plugins ls'), ' shows the same for the process it runs in).'),
    failed.length ? h('p.error', { role: 'alert' }, `${failed.length} plugin${failed.length > 1 ? 's' : ''} failed to load: ${failed.map((p) => p.name).join(', ')}.`) : null,
    conflicts.length ? h('ul.error', { 'aria-label': 'Conflicts' }, conflicts.map((c) => h('li', {}, c))) : null,
    table('Plugins and collections', [
      { label: 'Plugin', cell: (p) => h('div', {}, h('strong', {}, p.name), p.entry_point ? h('div.muted', {}, h('code', {}, p.entry_point)) : null) },
      { label: 'Distribution', cell: (p) => `${p.distribution || '—'}${p.version ? ` ${p.version}` : ''}` },
      { label: 'Status', cell: status },
      { label: 'Hooks', cell: (p) => (p.hooks.length ? p.hooks.map((x) => h('code.tag', {}, x)) : '—'), cls: 'wide' },
      { label: 'Registers', cell: registered },
    ], rows, 'No plugins.')].filter(Boolean));
}

// `backticked` words of a description as code (built as nodes, never as HTML).
const withCode = (text) => String(text || '').split('`').map((part, i) => (i % 2 ? h('code', {}, part) : part));

function shown(s) {
  if (s.error) return h('span.error', {}, s.error);
  if (s.value === null || s.value === undefined) return h('span.muted', {}, 'unset');
  if (s.secret) return h('span', { title: 'secret: masked by the server' }, String(s.value), h('span.visually-hidden', {}, ' (secret, masked)'));
  return h('code', {}, typeof s.value === 'string' ? s.value : JSON.stringify(s.value));
}

export async function settings(main) {
  const rows = await api('/settings');
  const changed = rows.filter((s) => s.source && s.source !== 'default').length;
  main.append(heading('Settings'),
    h('p.muted', {}, `The settings in effect in the server's process (${changed} not at their default). Secret values are masked by the server. Sources: env (an environment variable), profile (profiles.toml), argument (how the server was started), default.`),
    table('Settings', [
      { label: 'Setting', cell: (s) => h('code', {}, s.name) },
      { label: 'Value', cell: shown },
      { label: 'Source', cell: (s) => s.source || '—' },
      { label: 'Default', cell: (s) => (s.secret || s.default === null ? '—' : h('code', {}, typeof s.default === 'string' ? s.default : JSON.stringify(s.default))), cls: 'wide' },
      { label: 'Description', cell: (s) => withCode(s.description) },
    ], rows, 'No settings.'));
}
