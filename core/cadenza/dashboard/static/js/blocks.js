// Blocks: the saved blocks, a new one made from a form generated from its type's schema
// (GET /block_types), an existing one edited and deleted. Secrets never reach the browser: the
// server masks them, a secret field is write-only, and left empty it keeps the saved value
// (the form sends the mask back, which PUT /blocks reads as "keep").
import { api, ApiError } from './api.js';
import { h, link, fmtTime, table, heading, say, errorBox, json } from './ui.js';
import { schemaForm, fieldBox, setError } from './forms.js';

const NAME = '^[a-z0-9][a-z0-9_\\-]{0,99}$';
const SECRET = '$cadenza-secret';
const path = (slug, name) => `/blocks/${encodeURIComponent(slug)}/${encodeURIComponent(name)}`;
const holdsSecret = (v) => JSON.stringify(v ?? null).includes(`"${SECRET}"`);

async function remove(slug, name) {
  if (!window.confirm(`Delete block ${slug}/${name}? Flows that load it will fail to.`)) return false;
  await api(path(slug, name), { method: 'DELETE' });
  say(`Block ${slug}/${name} deleted`);
  return true;
}

export async function render(main, _p, _q, { navigate }) {
  const rows = await api('/blocks');
  const out = h('div', { role: 'status' });
  const drop = async (b) => {
    try { if (await remove(b.type_slug, b.name)) navigate('/blocks', { replace: true }); } catch (e) { out.replaceChildren(errorBox(e)); }
  };
  main.append(heading('Blocks', link('/blocks/new', 'New block', { class: 'button primary' })), out, table('Blocks', [
    { label: 'Type', cell: (b) => b.type_slug },
    { label: 'Name', cell: (b) => link(path(b.type_slug, b.name), b.name, { 'aria-label': `Edit ${b.type_slug}/${b.name}` }) },
    { label: 'Updated', cell: (b) => fmtTime(b.updated), cls: 'wide' },
    { label: 'Actions', cell: (b) => h('div.actions', {},
      link(path(b.type_slug, b.name), 'Edit', { class: 'button', 'aria-label': `Edit block ${b.type_slug}/${b.name}` }),
      h('button.danger', { type: 'button', onclick: () => drop(b), 'aria-label': `Delete block ${b.type_slug}/${b.name}` }, 'Delete')) },
  ], rows, 'No blocks. Make one with "New block", from Python (Block.save) or with `cadenza block create`.'));
}

function about(type) {
  const from = type.distribution
    ? `From ${type.distribution}${type.version ? ` ${type.version}` : ''}${type.plugin ? ` (plugin ${type.plugin})` : ''}`
    : `Defined in ${type.module}`;
  return h('div.type-about', {},
    type.description ? h('p.description', {}, type.description) : null,
    h('p.muted', {}, `${from}. Block type `, h('code', {}, type.slug), '.'));
}

// The form of a block of `type`: a new one (block null) or `block` as GET /blocks/... gives it.
function blockForm(type, block, navigate) {
  const editing = block !== null;
  const values = editing ? block.data || {} : {};
  const generated = schemaForm(type.schema, values, {
    prefix: 'b',
    keptHelp: 'A value is saved (it is never shown): leave this empty to keep it, or type a new one.',
    moreHelp: (_n, v, kind) => (editing && kind === 'json' && holdsSecret(v)
      ? `Secrets inside show as {"${SECRET}": …, "masked": true}: left so, each keeps its saved value; put the new value in its place to change it.`
      : null),
  });
  const nameInput = h('input', { id: 'b-name', name: 'name', required: true, pattern: NAME, autocomplete: 'off', spellcheck: 'false' });
  const nameBox = editing ? null : fieldBox('b-name', 'Block name (required)', nameInput,
    'Lowercase letters, digits, - and _; loaded as type-slug/name.');
  const out = h('div', { role: 'status' });
  const form = h('form.stack.card', {
    'aria-label': editing ? `Edit block ${type.slug}/${block.name}` : `New ${type.name} block`,
    novalidate: true,
    onsubmit: async (ev) => {
      ev.preventDefault();
      out.replaceChildren();
      const name = editing ? block.name : nameInput.value.trim();
      const { values: data, problems } = generated.read();
      generated.showErrors(problems.map((p) => ({ loc: [p.name], msg: p.msg })));
      if (nameBox) setError(nameBox, new RegExp(NAME).test(name) ? null : 'Use lowercase letters, digits, - and _, starting with a letter or digit.');
      if (problems.length || (nameBox && nameBox.input.getAttribute('aria-invalid'))) {
        out.replaceChildren(h('p.error', { role: 'alert' }, 'Some fields need attention.'));
        return;
      }
      try {
        await api(path(type.slug, name), { method: 'PUT', body: { data, schema_checksum: type.schema_checksum, overwrite: editing } });
        say(`Block ${type.slug}/${name} saved`);
        navigate(path(type.slug, name));
      } catch (e) {
        if (!(e instanceof ApiError)) throw e;
        const errors = e.errors || [];
        const left = generated.showErrors(errors.filter((x) => x.loc[0] === 'body' && x.loc[1] === 'data' && x.loc.length > 2)
          .map((x) => ({ loc: x.loc.slice(2), msg: x.msg })));
        const atName = errors.filter((x) => x.loc[0] === 'path' && x.loc[1] === 'name');
        if (nameBox && (atName.length || e.status === 409)) setError(nameBox, atName.length ? atName[0].msg : e.message);
        out.replaceChildren(h('p.error', { role: 'alert' }, left.length || !errors.length ? `Not saved: ${e.message}` : 'Not saved: some fields need attention (shown at each).'));
      }
    },
  },
  nameBox,
  generated.nodes.length ? generated.nodes : h('p.muted', {}, 'This block type has no fields.'),
  h('div.actions', {}, h('button.primary', { type: 'submit' }, editing ? 'Save block' : 'Create block')), out);
  return form;
}

export async function create(main, _p, query, { navigate }) {
  const types = await api('/block_types');
  const wanted = query.get('type');
  const type = types.find((t) => t.slug === wanted);
  const choose = h('select', { id: 'b-type', onchange: () => navigate(`/blocks/new?type=${encodeURIComponent(choose.value)}`, { replace: true }) },
    h('option', { value: '', selected: !type }, '— choose a block type —'),
    types.map((t) => h('option', { value: t.slug, selected: t === type }, `${t.name} (${t.slug})${t.distribution ? ` — ${t.distribution}` : ''}`)));
  main.append(heading('New block', link('/blocks', 'All blocks', { class: 'button' })),
    h('div.field.card', {}, h('label', { for: 'b-type' }, 'Block type'), choose,
      h('p.help', {}, 'The types of the core and of the collections installed where the server runs.')));
  if (wanted && !type) main.append(errorBox(new Error(`No block type ${wanted} on this server.`)));
  if (!type) return;
  if (!type.schema) { main.append(about(type), errorBox(new Error(type.error || 'This type has no schema.'))); return; }
  main.append(about(type), blockForm(type, null, navigate));
}

export async function edit(main, [slug, name], _q, { navigate }) {
  const block = await api(path(slug, name));
  let type = null;
  try { type = await api(`/block_types/${encodeURIComponent(slug)}`); } catch (e) { if (!(e instanceof ApiError && e.status === 404)) throw e; }
  const out = h('div', { role: 'status' });
  const drop = async () => {
    try { if (await remove(slug, name)) navigate('/blocks'); } catch (e) { out.replaceChildren(errorBox(e)); }
  };
  main.append(heading(`Block ${slug}/${name}`, link('/blocks', 'All blocks', { class: 'button' }),
    h('button.danger', { type: 'button', onclick: drop }, 'Delete block')), out,
  h('p.muted', {}, 'Updated ', fmtTime(block.updated), '. Secret fields are masked by the server; they never reach this page.'));
  if (!type || !type.schema) {
    main.append(h('p', {}, `This server has no block type ${slug}${type ? ` (${type.error})` : ''}, so it cannot make a form for it: edit it from Python or with the cadenza command where its collection is installed.`), json(block.data));
    return;
  }
  if (type.schema_checksum !== block.schema_checksum) {
    main.append(h('p.muted', {}, 'This block was saved with another version of its type\'s schema; saving it here records the current one.'));
  }
  main.append(about(type), blockForm(type, block, navigate));
}
