// Deployments: list, pause/resume, and a run form generated from each one's parameter_schema
// (with a raw JSON fallback). The server checks the parameters again.
import { api } from './api.js';
import { h, link, fmtTime, table, heading, say, errorBox } from './ui.js';

function schedules(d) {
  return (d.schedules || []).map((s) => {
    const sch = s.schedule || {};
    const text = sch.cron ? `cron ${sch.cron}` : sch.interval != null ? `every ${sch.interval} s` : sch.rrule ? 'rrule' : '?';
    return h('span.tag', {}, s.active === false ? `${text} (inactive)` : text);
  });
}

// One input per property of a flat JSON schema; anything nested is edited as JSON.
function field(name, prop, value, required) {
  const id = `p-${name}`;
  const type = Array.isArray(prop.type) ? prop.type.find((t) => t !== 'null') : prop.type;
  let input;
  if (prop.enum) {
    input = h('select', { id, name }, prop.enum.map((v) => h('option', { value: JSON.stringify(v), selected: v === value }, String(v))));
  } else if (type === 'boolean') {
    input = h('input', { id, name, type: 'checkbox', checked: Boolean(value) });
  } else if (type === 'integer' || type === 'number') {
    input = h('input', { id, name, type: 'number', step: type === 'integer' ? '1' : 'any', value: value ?? '', required });
  } else if (type === 'string') {
    input = h('input', { id, name, value: value ?? '', required });
  } else {
    input = h('textarea', { id, name, 'data-json': true }, value === undefined ? '' : JSON.stringify(value, null, 2));
  }
  input.dataset.kind = prop.enum ? 'enum' : type || 'json';
  return h('div.field', {}, h('label', { for: id }, `${prop.title || name}${required ? ' (required)' : ''}`), input);
}

function readField(el) {
  const kind = el.dataset.kind;
  if (kind === 'boolean') return el.checked;
  if (el.value === '') return undefined;
  if (kind === 'integer' || kind === 'number') return Number(el.value);
  if (kind === 'string') return el.value;
  return JSON.parse(el.value);
}

function runForm(d, done) {
  const schema = d.parameter_schema || {};
  const props = schema.properties || {};
  const required = new Set(schema.required || []);
  const fields = Object.entries(props).map(([n, p]) => field(n, p, (d.parameters || {})[n] ?? p.default, required.has(n) && (d.parameters || {})[n] === undefined));
  const raw = h('textarea', { id: 'p-raw' }, JSON.stringify(d.parameters || {}, null, 2));
  const useRaw = h('input', { id: 'p-use-raw', type: 'checkbox', checked: !fields.length });
  const out = h('div', { role: 'status' });
  const form = h('form.stack', {
    'aria-label': `Run ${d.full_name}`,
    onsubmit: async (ev) => {
      ev.preventDefault();
      out.replaceChildren();
      try {
        let parameters = {};
        if (useRaw.checked) parameters = JSON.parse(raw.value || '{}');
        else for (const el of form.querySelectorAll('[data-kind]')) { const v = readField(el); if (v !== undefined) parameters[el.name] = v; }
        const run = await api(`/deployments/${d.id}/create_flow_run`, { method: 'POST', body: { parameters } });
        say(`Run ${run.name} scheduled`);
        out.replaceChildren(h('p', {}, 'Scheduled: ', link(`/runs/${run.id}`, run.name)));
        done(run);
      } catch (e) { out.replaceChildren(errorBox(e)); }
    },
  },
  h('h2', {}, `Run ${d.full_name}`),
  fields.length ? fields : h('p.muted', {}, 'This deployment has no parameter schema: give the parameters as JSON.'),
  h('div', {}, useRaw, ' ', h('label', { for: 'p-use-raw' }, 'Give the parameters as raw JSON instead')),
  h('label', { for: 'p-raw' }, 'Parameters (JSON)'), raw,
  h('div.actions', {}, h('button.primary', { type: 'submit' }, 'Run now')), out);
  return form;
}

export async function render(main, _p, query) {
  const rows = await api('/deployments');
  const panel = h('section.card', { id: 'deployment-panel', hidden: true });
  const reload = async () => { main.replaceChildren(); await render(main, _p, query); };
  const toggle = async (d) => {
    await api(`/deployments/${d.id}/${d.paused ? 'resume' : 'pause'}`, { method: 'POST' });
    say(`${d.full_name} ${d.paused ? 'resumed' : 'paused'}`);
    await reload();
  };
  const open = (d) => { panel.hidden = false; panel.replaceChildren(runForm(d, () => {})); panel.querySelector('input, textarea, select')?.focus(); };
  main.append(heading('Deployments'), table('Deployments', [
    { label: 'Deployment', cell: (d) => d.full_name },
    { label: 'Schedules', cell: schedules, cls: 'wide' },
    { label: 'Paused', cell: (d) => (d.paused ? 'paused' : 'no') },
    { label: 'Work pool', cell: (d) => d.work_pool_name || '—', cls: 'wide' },
    { label: 'Runs', cell: (d) => link(`/?deployment=${encodeURIComponent(d.full_name)}&range=all`, 'runs') },
    { label: 'Updated', cell: (d) => fmtTime(d.updated), cls: 'wide' },
    { label: 'Actions', cell: (d) => h('div.actions', {},
      h('button', { type: 'button', onclick: () => toggle(d), 'aria-label': `${d.paused ? 'Resume' : 'Pause'} ${d.full_name}` }, d.paused ? 'Resume' : 'Pause'),
      h('button.primary', { type: 'button', onclick: () => open(d), 'aria-label': `Run ${d.full_name}` }, 'Run…')) },
  ], rows, 'No deployments. `flow.serve()` or `cadenza deploy` creates them.'), panel);
  const id = query.get('id');
  const wanted = id && rows.find((d) => d.id === id);
  if (wanted) open(wanted);
}
