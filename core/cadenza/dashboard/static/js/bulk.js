// Bulk actions on the runs page: Cancel, Delete or Retry the selected runs, or every run the
// page's filters match ("Select all 3,214 matching"), through POST /api/flow_runs/bulk. A dry
// run counts the matches first, so the confirmation states how many runs the action takes;
// the answer's per-run outcomes (icon + text) are listed after, and the list is read again.
import { api } from './api.js';
import { h, link, table, errorBox, say } from './ui.js';

const ACTIONS = {
  cancel: { label: 'Cancel', title: 'Cancel', note: 'Runs that already ended are skipped. A run a process runs is asked to stop (Cancelling); any other is Cancelled at once.' },
  delete: { label: 'Delete', title: 'Delete', note: 'Each run goes with its subflow runs, task runs, logs and artifacts; this cannot be undone. Runs not in a final state are skipped.' },
  retry: { label: 'Retry', title: 'Retry', note: 'Failed, Crashed or Cancelled runs of a deployment are scheduled again for its workers; the others are skipped.' },
};
const OUTCOMES = { done: '✔ done', skipped: '○ skipped', failed: '✖ failed' };
const SHOWN = 2000; // result rows listed at most
const plural = (n, one = 'run') => `${n.toLocaleString()} ${one}${n === 1 ? '' : 's'}`;

// The bar: `pick` is the runs page's row selection (compare.js `selection`), `filter()` the
// list's filters as the route's `filter`, `refresh()` reads the list again.
export function bulkBar(pick, filter, refresh) {
  let all = false; // every run matching the filters, not only the checked rows
  let total = null, capped = false;
  const count = h('span', { id: 'bulk-count', 'aria-live': 'polite' });
  const scope = h('button', { type: 'button', id: 'bulk-scope', hidden: true, onclick: () => { all = !all; if (!all) pick.clear(); update(); } });
  const buttons = Object.entries(ACTIONS).map(([action, a]) => h(`button${action === 'delete' ? '.danger' : ''}`, {
    type: 'button', id: `bulk-${action}`, disabled: true, onclick: () => confirmAction(action),
  }, `${a.label}…`));
  const results = h('section', { id: 'bulk-results', 'aria-label': 'Outcome of the last bulk action' });
  const problem = h('div');
  const title = h('h2', { id: 'bulk-title' });
  const body = h('p', { id: 'bulk-body' });
  const note = h('p.muted', { id: 'bulk-note' });
  const go = h('button.primary', { type: 'submit', id: 'bulk-confirm' });
  const dialog = h('dialog', { 'aria-labelledby': 'bulk-title', 'aria-describedby': 'bulk-body' },
    h('form.stack', { method: 'dialog', onsubmit: (ev) => { ev.preventDefault(); act(); } },
      title, body, note, problem,
      h('div.actions', {}, go, h('button', { type: 'button', id: 'bulk-back', onclick: () => dialog.close() }, 'Go back'))));
  const bar = h('section.bulk-bar.card', { 'aria-label': 'Bulk actions' },
    h('span.bulk-scope', {}, count, ' ', scope), h('div.actions', { role: 'group', 'aria-label': 'Act on the chosen runs' }, buttons), dialog);
  let pending = null; // {action, request} of the open confirmation

  function update() {
    const n = pick.chosen.size;
    if (all) {
      count.textContent = `All ${total == null ? '' : `${total.toLocaleString()}${capped ? '+' : ''} `}matching runs selected.`;
      scope.textContent = 'Clear selection';
    } else {
      count.textContent = n ? `${plural(n)} selected.` : 'No runs selected.';
      scope.textContent = `Select all ${total == null ? '' : `${total.toLocaleString()}${capped ? '+' : ''} `}matching`;
    }
    scope.hidden = !all && !total;
    for (const b of buttons) b.disabled = !all && n === 0;
  }

  async function confirmAction(action) {
    const a = ACTIONS[action];
    const request = all ? { action, filter: filter() } : { action, ids: [...pick.chosen] };
    problem.replaceChildren();
    let n = pick.chosen.size, more = false;
    if (all) {
      try {
        const preview = await api('/flow_runs/bulk', { method: 'POST', body: { ...request, dry_run: true } });
        n = preview.matched; more = preview.capped;
      } catch (e) { say(`Could not count the runs: ${e.message}`); return; }
    }
    pending = { action, request };
    const what = all ? `all ${plural(n)} matching the filters` : `${plural(n)} selected`;
    title.textContent = `${a.title} ${all ? `all ${plural(n)} matching` : plural(n)}?`;
    body.textContent = `${a.title} ${what}${more ? ': more runs match; this request acts on the newest ones, run it again for the rest' : ''}.`;
    note.textContent = a.note;
    go.textContent = `${a.title} ${plural(n)}`;
    go.disabled = n === 0;
    dialog.showModal();
  }

  async function act() {
    const { request } = pending;
    go.disabled = true;
    try {
      const answer = await api('/flow_runs/bulk', { method: 'POST', body: request });
      dialog.close();
      showResults(answer);
      all = false;
      pick.clear();
      update();
      refresh();
    } catch (e) {
      problem.replaceChildren(errorBox(e));
    } finally { go.disabled = false; }
  }

  function showResults(answer) {
    const c = answer.counts;
    const head = h('h2', { id: 'bulk-results-title', tabindex: '-1' },
      `${ACTIONS[answer.action].title}: ${c.done} done, ${c.skipped} skipped, ${c.failed} failed`);
    const rows = answer.results.slice(0, SHOWN);
    results.replaceChildren(...[head,
      answer.capped ? h('p', {}, `More runs matched than one request acts on (${plural(answer.matched)} taken): run it again for the rest.`) : null,
      table('Outcome per run', [
        { label: 'Run', cell: (r) => (answer.action === 'delete' && r.outcome === 'done' ? (r.name || r.id) : link(`/runs/${r.id}`, r.name || r.id)) },
        { label: 'Outcome', cell: (r) => h('span.outcome', { 'data-outcome': r.outcome }, OUTCOMES[r.outcome] || r.outcome) },
        { label: 'Reason', cell: (r) => r.reason },
      ], rows, 'No run matched.'),
      answer.results.length > SHOWN ? h('p.muted', {}, `The first ${SHOWN.toLocaleString()} of ${plural(answer.results.length)} are listed.`) : null,
      h('button', { type: 'button', id: 'bulk-dismiss', onclick: () => results.replaceChildren() }, 'Dismiss')].filter(Boolean));
    head.focus();
    say(head.textContent);
  }

  pick.onChange(() => { all = false; update(); });
  update();
  return {
    bar, results,
    setTotal(t, c) { total = t; capped = !!c; update(); },
  };
}
