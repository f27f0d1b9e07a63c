// Saved views of the runs page: named filters kept on the server (/api/saved_views), so every
// user of the dashboard and every script sees the same ones. Choosing one loads its filters into
// the URL (with `view=<id>` to say which); one may be the default, which a bare `/` opens with.
// A URL with a query string is never overridden: `/?view=none` is "all runs".
import { api, ApiError, missingRoute } from './api.js';
import { h, say, errorBox, ROOT } from './ui.js';
import { fieldBox, setError } from './forms.js';

const PAGE = 'runs';
const ALL = 'none'; // ?view=none: no view, whatever the default

// The runs page's URL parameters (flow, tag "a,b", ...) as a view's query (the API's fields).
export function viewQuery(params) {
  const one = (k) => (params.get(k) || '').trim();
  const out = {
    state: params.getAll('state').filter(Boolean),
    flow_name: one('flow'), deployment: one('deployment'),
    tag: one('tag').split(',').map((t) => t.trim()).filter(Boolean),
    q: one('q'), sort: one('sort'), range: one('range'),
  };
  for (const [k, v] of Object.entries(out)) if (!v || (Array.isArray(v) && !v.length)) delete out[k];
  return out;
}

// A view as the runs page's URL parameters (what the filter form writes).
export function viewParams(view) {
  const q = view.query || {};
  const p = new URLSearchParams();
  for (const s of q.state || []) p.append('state', s);
  if (q.flow_name) p.set('flow', q.flow_name);
  if (q.deployment) p.set('deployment', q.deployment);
  if ((q.tag || []).length) p.set('tag', q.tag.join(','));
  for (const k of ['range', 'q', 'sort']) if (q[k]) p.set(k, q[k]);
  p.set('view', view.id);
  return p;
}

const list = () => api('/saved_views', { query: { page: PAGE } });

// Read the saved views; on a bare `/`, apply the default one (the URL is rewritten in place, so a
// reload or a shared link shows the same). Returns the query the page should filter by.
export async function savedViews(query) {
  let views = null;
  let problem = null;
  try { views = await list(); } catch (e) { problem = e; }
  if (views && ![...query.keys()].length) {
    const fallback = views.find((v) => v.is_default);
    if (fallback) {
      query = viewParams(fallback);
      history.replaceState(null, '', `${ROOT}/?${query}`);
    }
  }
  const current = views && views.find((v) => v.id === query.get('view'));
  return { query, control: (navigate) => viewsControl(views, problem, current, query, navigate) };
}

// A dialog asking for a name (Save view… and Rename…); `submit(name, makeDefault)` does the call.
function nameDialog(title, initial, offerDefault, submit) {
  const input = h('input', { id: 'view-name', name: 'name', required: true, maxlength: 200, autocomplete: 'off', value: initial });
  const box = fieldBox('view-name', 'Name', input, 'Up to 200 characters; every user of this server sees it.');
  const makeDefault = h('input', { id: 'view-default', type: 'checkbox', name: 'is_default' });
  const out = h('div', { role: 'status' });
  const dialog = h('dialog', { 'aria-labelledby': 'view-dialog-title' });
  const form = h('form.stack', {
    method: 'dialog',
    novalidate: true,
    onsubmit: async (ev) => {
      ev.preventDefault();
      setError(box, null);
      out.replaceChildren();
      if (!input.value.trim()) { setError(box, 'Give the view a name.'); input.focus(); return; }
      try {
        await submit(input.value, makeDefault.checked);
        dialog.close();
      } catch (e) {
        if (!(e instanceof ApiError)) throw e;
        const named = e.status === 409 || (e.errors || []).some((x) => x.loc.includes('name'));
        if (named) { setError(box, e.status === 409 ? 'A view with this name exists; choose another.' : e.errors[0].msg); input.focus(); } else out.replaceChildren(errorBox(e));
      }
    },
  },
  h('h2', { id: 'view-dialog-title' }, title), box,
  offerDefault ? h('div.field', {}, h('label', { for: 'view-default' }, 'Open the runs page with this view'), makeDefault) : null,
  out,
  h('div.actions', {}, h('button.primary', { type: 'submit' }, 'Save'), h('button', { type: 'button', onclick: () => dialog.close() }, 'Cancel')));
  dialog.append(form);
  dialog.addEventListener('close', () => dialog.remove());
  return dialog;
}

function viewsControl(views, problem, current, query, navigate) {
  const box = h('div.filters.views', { role: 'group', 'aria-label': 'Saved views' });
  if (!views) {
    box.append(problem && !missingRoute(problem) ? errorBox(problem) : h('p.muted', {}, 'Saved views need a newer server (GET /api/saved_views).'));
    return box;
  }
  const show = (view, replace = false) => navigate(view ? `/?${viewParams(view)}` : `/?view=${ALL}`, { replace });
  // After a change: say what happened and show the view as it now is (a fresh list).
  const shown = (view, message) => { say(message); show(view, true); };
  const act = async (call, message) => {
    try { shown(await call(), message); } catch (e) { box.append(errorBox(e)); }
  };
  const open = (dialog) => { box.append(dialog); dialog.showModal(); dialog.querySelector('input').focus(); };
  const label = (v) => (v.is_default ? `${v.name} (default)` : v.name);
  const pick = h('select', { id: 'v-pick', name: 'view', onchange: () => show(views.find((v) => v.id === pick.value)) },
    h('option', { value: '', selected: !current }, 'All runs'),
    views.map((v) => h('option', { value: v.id, selected: current && v.id === current.id }, label(v))));
  const save = h('button', { type: 'button', id: 'view-save', onclick: () => open(nameDialog('Save view', '', true, async (name, isDefault) => shown(
    await api('/saved_views', { method: 'POST', body: { name, page: PAGE, query: viewQuery(query), is_default: isDefault } }), `View ${name} saved`))) }, 'Save view…');
  box.append(h('div.field', {}, h('label', { for: 'v-pick' }, 'View'), pick), save);
  if (current) {
    const path = `/saved_views/${encodeURIComponent(current.id)}`;
    const put = (body, message) => act(() => api(path, { method: 'PUT', body }), message);
    box.append(
      h('button', { type: 'button', id: 'view-rename', onclick: () => open(nameDialog(`Rename view ${current.name}`, current.name, false, async (name) => shown(
        await api(path, { method: 'PUT', body: { name } }), `View renamed to ${name}`))) }, 'Rename…'),
      current.is_default
        ? h('button', { type: 'button', id: 'view-default-off', onclick: () => put({ is_default: false }, `${current.name} is no longer the default`) }, 'Stop opening by default')
        : h('button', { type: 'button', id: 'view-default-on', onclick: () => put({ is_default: true }, `${current.name} is now the default view`) }, 'Make default'),
      h('button.danger', { type: 'button', id: 'view-delete', onclick: async () => {
        if (!window.confirm(`Delete saved view ${current.name}?`)) return;
        try { await api(path, { method: 'DELETE' }); say(`View ${current.name} deleted`); show(null, true); } catch (e) { box.append(errorBox(e)); }
      } }, 'Delete'));
  }
  const note = current
    ? h('p.view-note', { id: 'view-note' }, `Showing saved view “${current.name}”${current.is_default ? ', the default' : ''}. `, h('a', { href: `${ROOT}/?view=${ALL}`, 'data-nav': true }, 'Show all runs'))
    : null;
  return h('div', {}, box, note);
}
