// Deployments: list, pause/resume, and a run form generated from each one's parameter_schema
// (forms.js, with a raw JSON fallback). The server checks the parameters again.
import { api } from './api.js';
import { h, link, fmtTime, table, heading, say, errorBox } from './ui.js';
import { schemaForm } from './forms.js';

function schedules(d) {
  return (d.schedules || []).map((s) => {
    const sch = s.schedule || {};
    const text = sch.cron ? `cron ${sch.cron}` : sch.interval != null ? `every ${sch.interval} s` : sch.rrule ? 'rrule' : '?';
    return h('span.tag', {}, s.active === false ? `${text} (inactive)` : text);
  });
}

function runForm(d, done) {
  const schema = d.parameter_schema || {};
  const given = d.parameters || {};
  // a parameter the deployment gives is not required of the form
  const required = new Set((schema.required || []).filter((n) => given[n] === undefined));
  const generated = schemaForm(schema, given, { prefix: 'p', required });
  const fields = generated.nodes;
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
        else {
          const { values, problems } = generated.read();
          generated.showErrors(problems.map((p) => ({ loc: [p.name], msg: p.msg })));
          if (problems.length) return;
          parameters = values;
        }
        const run = await api(`/deployments/${d.id}/create_flow_run`, { method: 'POST', body: { parameters } });
        say(`Run ${run.name} scheduled`);
        out.replaceChildren(h('p', {}, 'Scheduled: ', link(`/runs/${run.id}`, run.name)));
        done(run);
      } catch (e) {
        // 422s name ["body", "parameters", <name>, ...]: shown at the field when there is one
        const mine = (e.errors || []).filter((x) => x.loc && x.loc[1] === 'parameters' && x.loc.length > 2);
        if (!useRaw.checked) generated.showErrors(mine.map((x) => ({ loc: x.loc.slice(2), msg: x.msg })));
        out.replaceChildren(errorBox(e));
      }
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
