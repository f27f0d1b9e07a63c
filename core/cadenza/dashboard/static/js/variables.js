// Variables: the list, and a form to create one, edit one (value and tags) or delete it.
// A new variable never replaces one of the same name (409, shown at the name); editing does.
import { api, ApiError } from './api.js';
import { h, fmtTime, table, heading, say, errorBox } from './ui.js';
import { fieldBox, setError } from './forms.js';

const NAME = '^[a-z0-9_\\-]{1,255}$';
const url = (name) => `/variables/${encodeURIComponent(name)}`;

function variableForm(existing, done) {
  const editing = existing !== null;
  const name = h('input', { id: 'var-name', name: 'name', required: true, pattern: NAME, autocomplete: 'off', spellcheck: 'false', readonly: editing, value: editing ? existing.name : '' });
  const value = h('textarea', { id: 'var-value', name: 'value', required: true, spellcheck: 'false' }, editing ? JSON.stringify(existing.value, null, 2) : '""');
  const tags = h('input', { id: 'var-tags', name: 'tags', value: editing ? (existing.tags || []).join(', ') : '', autocomplete: 'off' });
  const boxes = {
    name: fieldBox('var-name', 'Name (required)', name, editing ? 'A variable keeps its name; delete it and make another to rename it.' : 'Lowercase letters, digits, - and _.'),
    value: fieldBox('var-value', 'Value (required)', value, 'As JSON: "text" in double quotes, 3, true, [1, 2], {"key": "value"}.'),
    tags: fieldBox('var-tags', 'Tags', tags, 'Separated by commas.'),
  };
  const out = h('div', { role: 'status' });
  const form = h('form.card.stack', {
    id: 'variable-form',
    'aria-label': editing ? `Edit variable ${existing.name}` : 'New variable',
    novalidate: true,
    onsubmit: async (ev) => {
      ev.preventDefault();
      out.replaceChildren();
      for (const b of Object.values(boxes)) setError(b, null);
      let parsed;
      try { parsed = JSON.parse(value.value); } catch (e) { setError(boxes.value, `Not valid JSON (${e.message}); text goes in double quotes.`); }
      if (!new RegExp(NAME).test(name.value)) setError(boxes.name, 'Use lowercase letters, digits, - and _.');
      if (form.querySelector('[aria-invalid]')) return;
      const tagList = tags.value.split(',').map((t) => t.trim()).filter(Boolean);
      try {
        await api(url(name.value), { method: 'PUT', body: { value: parsed, tags: tagList, overwrite: editing } });
        say(`Variable ${name.value} saved`);
        await done();
      } catch (e) {
        if (!(e instanceof ApiError)) throw e;
        let placed = e.status === 409;
        if (placed) setError(boxes.name, e.message);
        for (const x of e.errors || []) {
          const key = x.loc[0] === 'path' ? 'name' : x.loc[1];
          if (boxes[key]) { setError(boxes[key], x.msg); placed = true; }
        }
        out.replaceChildren(placed ? h('p.error', { role: 'alert' }, 'Not saved: see the fields above.') : errorBox(e));
      }
    },
  }, h('h2', {}, editing ? `Edit variable ${existing.name}` : 'New variable'), boxes.name, boxes.value, boxes.tags,
  h('div.actions', {}, h('button.primary', { type: 'submit' }, editing ? 'Save variable' : 'Create variable'),
    editing ? h('button', { type: 'button', onclick: () => done() }, 'Cancel') : null), out);
  return form;
}

export async function render(main) {
  const rows = await api('/variables', { query: { limit: 10000 } });
  const panel = h('div', { id: 'variable-panel' });
  const out = h('div', { role: 'status' });
  const reload = async () => { main.replaceChildren(); await render(main); };
  const open = (v) => {
    panel.replaceChildren(variableForm(v, reload));
    panel.querySelector(v ? 'textarea' : 'input').focus();
  };
  const drop = async (v) => {
    if (!window.confirm(`Delete variable ${v.name}?`)) return;
    try {
      await api(url(v.name), { method: 'DELETE' });
      say(`Variable ${v.name} deleted`);
      await reload();
    } catch (e) { out.replaceChildren(errorBox(e)); }
  };
  main.append(heading('Variables', h('button.primary', { type: 'button', onclick: () => open(null) }, 'New variable')), out, table('Variables', [
    { label: 'Name', cell: (v) => v.name },
    { label: 'Value', cell: (v) => h('code.preview', {}, JSON.stringify(v.value).slice(0, 200)) },
    { label: 'Tags', cell: (v) => (v.tags || []).map((t) => h('span.tag', {}, t)) },
    { label: 'Updated', cell: (v) => fmtTime(v.updated), cls: 'wide' },
    { label: 'Actions', cell: (v) => h('div.actions', {},
      h('button', { type: 'button', onclick: () => open(v), 'aria-label': `Edit variable ${v.name}` }, 'Edit'),
      h('button.danger', { type: 'button', onclick: () => drop(v), 'aria-label': `Delete variable ${v.name}` }, 'Delete')) },
  ], rows, 'No variables.'), panel);
  panel.replaceChildren(variableForm(null, reload));
}
