// The app shell: History API routing, the API key prompt, theme and time-zone preferences.
import { api, auth, ApiError } from './api.js';
import { h, ROOT, prefs, errorBox } from './ui.js';
import * as runs from './runs.js';
import * as run from './run.js';
import * as pages from './pages.js';
import * as deployments from './deployments.js';
import * as taskrun from './taskrun.js';
import * as compare from './compare.js';
import * as blocks from './blocks.js';
import * as admin from './admin.js';
import * as logsearch from './logsearch.js';

const ROUTES = [
  [/^\/$/, 'runs', runs.render],
  [/^\/runs\/([^/]+)$/, 'runs', run.render],
  [/^\/runs\/([^/]+)\/tasks\/([^/]+)$/, 'runs', taskrun.render],
  [/^\/compare$/, 'runs', compare.render],
  [/^\/logs$/, 'logs', logsearch.render],
  [/^\/flows$/, 'flows', pages.flows],
  [/^\/deployments$/, 'deployments', deployments.render],
  [/^\/work-pools$/, 'work-pools', pages.workPools],
  [/^\/concurrency$/, 'concurrency', pages.concurrency],
  [/^\/automations$/, 'automations', pages.automations],
  [/^\/events$/, 'events', pages.events],
  [/^\/blocks$/, 'blocks', pages.blocks],
  [/^\/variables$/, 'variables', pages.variables],
  [/^\/blocks\/new$/, 'blocks', blocks.create],
  [/^\/blocks\/([^/]+)\/([^/]+)$/, 'blocks', blocks.edit],
  [/^\/plugins$/, 'plugins', admin.plugins],
  [/^\/settings$/, 'settings', admin.settings],
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
