// A run page's Retry and Resume actions: Retry schedules a deployment's Failed, Crashed or
// Cancelled run again (POST /api/flow_runs/{id}/retry); Resume continues a Paused run, with an
// optional input (POST /api/flow_runs/{id}/resume).
import { api } from './api.js';
import { h, say, errorBox } from './ui.js';

const RETRYABLE = new Set(['FAILED', 'CRASHED', 'CANCELLED']);

function resumeDialog(run, refresh) {
  const input = h('textarea', { id: 'resume-input', name: 'run_input', placeholder: '{"approved": true}' });
  const problem = h('div');
  const dialog = h('dialog', { 'aria-labelledby': 'resume-title' });
  const form = h('form.stack', {
    method: 'dialog',
    onsubmit: async (ev) => {
      ev.preventDefault();
      let body = {};
      if (input.value.trim()) {
        try { body = { run_input: JSON.parse(input.value) }; } catch (e) { problem.replaceChildren(errorBox('the input is not JSON')); return; }
      }
      try {
        const got = await api(`/flow_runs/${run.id}/resume`, { method: 'POST', body });
        dialog.close();
        say(`Resumed: ${got.state.name}`);
        refresh();
      } catch (e) { problem.replaceChildren(errorBox(e)); }
    },
  },
  h('h2', { id: 'resume-title' }, `Resume run ${run.name}`),
  h('label', { for: 'resume-input' }, 'Input for the run (a JSON object; leave empty if it waits for none)'),
  input, problem,
  h('div.actions', {}, h('button.primary', { type: 'submit' }, 'Resume'), h('button', { type: 'button', onclick: () => dialog.close() }, 'Close')));
  dialog.append(form);
  return dialog;
}

// Buttons for the run's heading: Resume when Paused, Retry when a deployment's run ended badly.
export function controlActions(run, refresh) {
  const out = [];
  if (run.state.type === 'PAUSED') {
    const dialog = resumeDialog(run, refresh);
    out.push(h('button.primary', { type: 'button', id: 'resume-run', onclick: () => dialog.showModal() }, 'Resume'), dialog);
  }
  if (RETRYABLE.has(run.state.type) && run.deployment_id) {
    const retry = h('button', {
      type: 'button', id: 'retry-run',
      onclick: async () => {
        if (!confirm(`Run ${run.name} again? A worker of its deployment will pick it up.`)) return;
        retry.disabled = true;
        try {
          const got = await api(`/flow_runs/${run.id}/retry`, { method: 'POST' });
          say(`Retry scheduled: ${got.state.name}`);
        } catch (e) { say(`Retry refused: ${e.message}`); retry.disabled = false; }
        refresh();
      },
    }, 'Retry');
    out.push(retry);
  }
  return out;
}
