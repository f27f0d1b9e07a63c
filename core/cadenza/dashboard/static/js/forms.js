// Forms generated from a JSON schema (pydantic's): one labelled input per top-level property —
// text, number, checkbox (or unset/true/false when null is allowed), a select for an enum, a
// password input for a write-only (secret) string — and a JSON textarea for anything nested.
// Descriptions are help text, required fields say so, and errors are shown next to their field.
// Used by the deployment run form and the block forms; the server validates again.
import { h } from './ui.js';

const titled = (name) => String(name).split('_').filter(Boolean).map((w) => w[0].toUpperCase() + w.slice(1)).join(' ') || String(name);
const safe = (name) => String(name).replace(/[^A-Za-z0-9_-]/g, '_');

// The schema of a property with $ref and a one-member allOf resolved, and `null` split off:
// {prop, nullable}. A union of several non-null types stays as it is (edited as JSON).
export function resolve(prop, defs = {}) {
  let p = prop || {};
  for (let i = 0; i < 8; i++) {
    if (p.$ref) p = { ...defs[p.$ref.split('/').pop()], ...without(p, '$ref') };
    else if (p.allOf && p.allOf.length === 1) p = { ...p.allOf[0], ...without(p, 'allOf') };
    else break;
  }
  let nullable = false;
  const union = p.anyOf || p.oneOf;
  if (union) {
    const rest = union.filter((u) => u.type !== 'null');
    nullable = rest.length < union.length;
    if (rest.length === 1) {
      const inner = resolve(rest[0], defs).prop;
      p = { ...inner, ...without(p, 'anyOf', 'oneOf'), type: inner.type, enum: inner.enum, writeOnly: p.writeOnly || inner.writeOnly };
    }
  }
  if (Array.isArray(p.type)) {
    nullable = nullable || p.type.includes('null');
    const rest = p.type.filter((t) => t !== 'null');
    p = { ...p, type: rest.length === 1 ? rest[0] : undefined };
  }
  return { prop: p, nullable };
}

function without(o, ...keys) {
  const out = { ...o };
  for (const k of keys) delete out[k];
  return out;
}

// The kind of input a property gets.
function kindOf(prop, nullable) {
  if (prop.writeOnly) return prop.type === 'string' ? 'secret' : 'secret-json';
  if (prop.enum) return 'enum';
  if (prop.type === 'boolean') return nullable ? 'tristate' : 'boolean';
  if (prop.type === 'integer' || prop.type === 'number' || prop.type === 'string') return prop.type;
  return 'json';
}

// A labelled field: the box holds the label, the input, help text and a place for an error.
export function fieldBox(id, label, input, help) {
  const helpEl = help ? h('p.help', { id: `${id}-help` }, help) : null;
  const errorEl = h('p.field-error', { id: `${id}-error`, hidden: true });
  if (helpEl) input.setAttribute('aria-describedby', helpEl.id);
  const box = h('div.field', { 'data-field': id }, h('label', { for: id }, label), input, helpEl, errorEl);
  box.input = input;
  return box;
}

export function setError(box, message) {
  const err = box.querySelector('.field-error');
  const ids = [box.querySelector('.help')?.id, message ? err.id : null].filter(Boolean);
  err.textContent = message || '';
  err.hidden = !message;
  if (message) box.input.setAttribute('aria-invalid', 'true'); else box.input.removeAttribute('aria-invalid');
  if (ids.length) box.input.setAttribute('aria-describedby', ids.join(' ')); else box.input.removeAttribute('aria-describedby');
}

function input(id, name, kind, prop, value, required) {
  const text = (v) => (v === undefined || v === null ? '' : String(v));
  switch (kind) {
    case 'enum': {
      const options = prop.enum.map((v) => h('option', { value: JSON.stringify(v), selected: v === value }, String(v)));
      if (!required) options.unshift(h('option', { value: '', selected: value === undefined || value === null }, '— unset —'));
      return h('select', { id, name }, options);
    }
    case 'boolean': return h('input', { id, name, type: 'checkbox', checked: Boolean(value) });
    case 'tristate': return h('select', { id, name },
      h('option', { value: '', selected: value === undefined || value === null }, '— unset —'),
      h('option', { value: 'true', selected: value === true }, 'true'),
      h('option', { value: 'false', selected: value === false }, 'false'));
    case 'integer': case 'number':
      return h('input', { id, name, type: 'number', step: kind === 'integer' ? '1' : 'any', value: text(value), required, inputmode: kind === 'integer' ? 'numeric' : 'decimal' });
    case 'string': return h('input', { id, name, value: text(value), required });
    case 'secret': return h('input', { id, name, type: 'password', autocomplete: 'new-password', value: '' });
    case 'secret-json': return h('textarea', { id, name, spellcheck: 'false' });
    default: return h('textarea', { id, name, spellcheck: 'false' }, value === undefined ? '' : JSON.stringify(value, null, 2));
  }
}

// The form's fields for `schema`, filled from `values` (else each property's default).
// A write-only field is never filled: left empty, it keeps the value it was given (`values`),
// which for a block is its secret as the server masked it. Options: `prefix` of the input ids,
// `required` (a Set; default the schema's), `keptHelp` (help text of a write-only field that
// has a value to keep), `moreHelp(name, value, kind)` (more help text for a field, or null).
export function schemaForm(schema, values = {}, opts = {}) {
  const { prefix = 'f', keptHelp = 'A value is saved: leave this empty to keep it.', moreHelp = () => null } = opts;
  const defs = schema.$defs || schema.definitions || {};
  const required = opts.required || new Set(schema.required || []);
  const fields = Object.entries(schema.properties || {}).map(([name, raw]) => {
    const { prop, nullable } = resolve(raw, defs);
    const kind = kindOf(prop, nullable);
    const id = `${prefix}-${safe(name)}`;
    const given = Object.prototype.hasOwnProperty.call(values, name) ? values[name] : prop.default;
    const secret = kind.startsWith('secret');
    const kept = secret && given !== undefined && given !== null;
    const el = input(id, name, kind, prop, secret ? undefined : given, required.has(name) && !kept);
    el.dataset.kind = kind;
    const help = [prop.description, kind === 'json' || kind === 'secret-json' ? 'As JSON.' : null,
      kept ? keptHelp : null, moreHelp(name, given, kind)].filter(Boolean).join(' ');
    // a $ref'd model's title is its class name: the property's own title, else its name
    const label = `${raw.title || titled(name)}${required.has(name) ? ' (required)' : ''}`;
    const box = fieldBox(id, label, el, help || null);
    return { name, kind, box, el, kept: kept ? given : undefined };
  });

  // {values, problems}: what the inputs hold (empty ones left out), and [{name, msg}] for
  // what cannot be read (not JSON, not a number).
  function read() {
    const out = {};
    const problems = [];
    for (const f of fields) {
      const v = f.el.value;
      try {
        if (f.kind === 'boolean') out[f.name] = f.el.checked;
        else if (v === '') { if (f.kept !== undefined) out[f.name] = f.kept; }
        else if (f.kind === 'integer' || f.kind === 'number') {
          const n = Number(v);
          if (!Number.isFinite(n)) throw new Error('not a number');
          out[f.name] = n;
        } else if (f.kind === 'string' || f.kind === 'secret') out[f.name] = v;
        else if (f.kind === 'tristate') out[f.name] = v === 'true';
        else out[f.name] = JSON.parse(v); // enum values are JSON too
      } catch (e) {
        problems.push({ name: f.name, msg: e instanceof SyntaxError ? `not valid JSON (${e.message})` : e.message });
      }
    }
    return { values: out, problems };
  }

  // Show each error [{loc, msg}] (loc relative to the form's object) at its field; answer
  // those that name no field of the form.
  function showErrors(errors) {
    const left = [];
    for (const f of fields) setError(f.box, null);
    for (const e of errors) {
      const loc = e.loc || [];
      const f = fields.find((x) => x.name === loc[0]);
      if (!f) { left.push(e); continue; }
      const where = loc.slice(1).join('.');
      const had = f.box.querySelector('.field-error').textContent;
      setError(f.box, [had, where ? `${where}: ${e.msg}` : e.msg].filter(Boolean).join('; '));
    }
    return left;
  }

  return { nodes: fields.map((f) => f.box), fields, read, showErrors };
}
