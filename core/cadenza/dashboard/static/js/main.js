// The app shell: History API routing, the API key prompt, theme and time-zone preferences.
import { api, auth, ApiError } from './api.js';
import { h, ROOT, prefs, errorBox } from './ui.js';

// Each page's module is loaded when a page of it is first opened: the runs page (the usual
// first load) needs none of the others' code.
const page = (load, name) => async (...args) => (await load())[name](...args);
const runs = () => import('./runs.js');
const run = () => import('./run.js');
const pages = () => import('./pages.js');
const blocks = () => import('./blocks.js');
const admin = () => import('./admin.js');

const ROUTES = [
  [/^\/$/, 'runs', page(runs, 'render')],
  [/^\/runs\/([^/]+)$/, 'runs', page(run, 'render')],
  [/^\/runs\/([^/]+)\/tasks\/([^/]+)$/, 'runs', page(() => import('./taskrun.js'), 'render')],
  [/^\/compare$/, 'runs', page(() => import('./compare.js'), 'render')],
  [/^\/logs$/, 'logs', page(() => import('./logsearch.js'), 'render')],
  [/^\/flows$/, 'flows', page(pages, 'flows')],
  [/^\/deployments$/, 'deployments', page(() => import('./deployments.js'), 'render')],
  [/^\/work-pools$/, 'work-pools', page(pages, 'workPools')],
  [/^\/concurrency$/, 'concurrency', page(pages, 'concurrency')],
  [/^\/automations$/, 'automations', page(pages, 'automations')],
  [/^\/events$/, 'events', page(pages, 'events')],
  [/^\/blocks$/, 'blocks', page(pages, 'blocks')],
  [/^\/variables$/, 'variables', page(pages, 'variables')],
  [/^\/blocks\/new$/, 'blocks', page(blocks, 'create')],
  [/^\/blocks\/([^/]+)\/([^/]+)$/, 'blocks', page(blocks, 'edit')],
  [/^\/plugins$/, 'plugins', page(admin, 'plugins')],
  [/^\/settings$/, 'settings', page(admin, 'settings')],
];

const main = document.getElementById('main');
let cleanup = null;
let generation = 0;

export function navigate(path, { replace = false } = {}) {
  const url = ROOT + path;
  if (replace) history.replaceState(null, '', url); else history.pushState(null, '', url);
  route();
}

async function route() {
  if (cleanup) { cleanup(); cleanup = null; }
  const mine = ++generation;
  let path = location.pathname.slice(ROOT.length) || '/';
  if (path.length > 1) path = path.replace(/\/$/, '');
  const query = new URLSearchParams(location.search);
  const found = ROUTES.find(([re]) => re.test(path));
  for (const a of document.querySelectorAll('#nav a')) {
    if (found && a.dataset.page === found[1]) a.setAttribute('aria-current', 'page');
    else a.removeAttribute('aria-current');
  }
  main.replaceChildren();
  if (!found) {
    main.append(h('h1', {}, 'Page not found'), h('p', {}, 'No dashboard page at ', h('code', {}, path), '.'));
    return;
  }
  const [re, , render] = found;
  try {
    const stop = await render(main, path.match(re).slice(1).map(decodeURIComponent), query, { navigate });
    if (mine === generation) cleanup = stop || null; else if (stop) stop();
  } catch (e) {
    if (mine !== generation || (e instanceof ApiError && e.status === 401)) return;
    main.append(errorBox(e));
  }
}

function askForKey(message) {
  if (cleanup) { cleanup(); cleanup = null; }
  generation++;
  const input = h('input', { id: 'api-key', type: 'password', autocomplete: 'current-password', required: true });
  const form = h('form.card.key-form', {
    onsubmit: (ev) => {
      ev.preventDefault();
      auth.key = input.value.trim();
      tried = true;
      check();
    },
  },
  h('h1', {}, 'API key'),
  h('p', {}, message),
  h('label', { for: 'api-key' }, 'API key of this server'),
  input,
  h('button', { type: 'submit' }, 'Open the dashboard'));
  main.replaceChildren(form);
  input.focus();
}

async function check() {
  try {
    await api('/version');
    route();
  } catch (e) {
    if (!(e instanceof ApiError && e.status === 401)) main.replaceChildren(errorBox(e));
  }
}

let tried = false;
auth.onUnauthorized = () => askForKey(tried
  ? 'That key was refused. Enter the API key of this server.'
  : 'This server requires an API key. It is kept in this browser tab only (sessionStorage).');

// Internal links navigate without a reload.
document.addEventListener('click', (ev) => {
  const a = ev.target.closest('a[data-nav]');
  if (!a || ev.defaultPrevented || ev.button !== 0 || ev.metaKey || ev.ctrlKey || ev.shiftKey) return;
  ev.preventDefault();
  const url = new URL(a.getAttribute('href'), location.href); // an SVG link's href is no string
  navigate(url.pathname.slice(ROOT.length) + url.search);
});
window.addEventListener('popstate', route);

// Preferences: theme (auto / light / dark) and UTC, kept in localStorage.
const THEMES = ['auto', 'light', 'dark'];
const themeButton = document.getElementById('theme-toggle');
function applyTheme(theme) {
  if (theme === 'auto') delete document.documentElement.dataset.theme;
  else document.documentElement.dataset.theme = theme;
  themeButton.textContent = `Theme: ${theme}`;
  themeButton.setAttribute('aria-pressed', String(theme !== 'auto'));
}
applyTheme(localStorage.getItem('cadenza.theme') || 'auto');
themeButton.addEventListener('click', () => {
  const now = localStorage.getItem('cadenza.theme') || 'auto';
  const next = THEMES[(THEMES.indexOf(now) + 1) % THEMES.length];
  localStorage.setItem('cadenza.theme', next);
  applyTheme(next);
});
const utcButton = document.getElementById('utc-toggle');
function applyUtc() {
  utcButton.textContent = prefs.utc ? 'Times: UTC' : 'Times: local';
  utcButton.setAttribute('aria-pressed', String(prefs.utc));
}
applyUtc();
utcButton.addEventListener('click', () => {
  prefs.utc = !prefs.utc;
  localStorage.setItem('cadenza.utc', prefs.utc ? '1' : '0');
  applyUtc();
  route();
});

check();
