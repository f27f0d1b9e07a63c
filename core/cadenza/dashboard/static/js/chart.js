// A stacked bar chart of runs over time by state, in SVG, with a table alternative.
import { h, STATES, STATE_COLOURS, fmtTime } from './ui.js';

const SVG = 'http://www.w3.org/2000/svg'; // an XML namespace name, never fetched
const s = (tag, attrs) => {
  const el = document.createElementNS(SVG, tag);
  for (const [k, v] of Object.entries(attrs)) el.setAttribute(k, v);
  return el;
};

export function historyChart(history) {
  const buckets = history.buckets || [];
  const totals = buckets.map((b) => Object.values(b.counts).reduce((a, n) => a + n, 0));
  const max = Math.max(1, ...totals);
  const W = 960, H = 120, gap = 2, bw = Math.max(1, W / Math.max(1, buckets.length) - gap);
  const svg = s('svg', { viewBox: `0 0 ${W} ${H}`, class: 'chart', role: 'img', preserveAspectRatio: 'none' });
  const all = totals.reduce((a, n) => a + n, 0);
  const title = s('title', {});
  title.textContent = `Runs over time by state: ${all} runs in ${buckets.length} intervals`;
  svg.append(title);
  buckets.forEach((b, i) => {
    let y = H;
    for (const st of STATES) {
      const n = b.counts[st];
      if (!n) continue;
      const bh = (n / max) * (H - 4);
      y -= bh;
      const r = s('rect', { x: i * (bw + gap), y, width: bw, height: bh, fill: STATE_COLOURS[st] });
      const t = s('title', {});
      t.textContent = `${n} ${st.toLowerCase()}`;
      r.append(t);
      svg.append(r);
    }
  });
  const used = STATES.filter((st) => buckets.some((b) => b.counts[st]));
  const legend = h('ul.legend', {}, used.map((st) => h('li', {}, h('span.state', { 'data-state': st }, st.toLowerCase()))));
  const rows = buckets.filter((b, i) => totals[i]);
  const alt = h('details.chart-table', {},
    h('summary', {}, 'Show as a table'),
    h('div.table-wrap', {}, h('table', {},
      h('caption', {}, 'Runs per interval by state'),
      h('thead', {}, h('tr', {}, h('th', { scope: 'col' }, 'From'), used.map((st) => h('th', { scope: 'col' }, st.toLowerCase())))),
      h('tbody', {}, rows.map((b) => h('tr', {}, h('td', {}, fmtTime(b.start)), used.map((st) => h('td', {}, b.counts[st] || 0))))))));
  return h('figure.history', {}, svg, h('figcaption', {}, legend), alt);
}
