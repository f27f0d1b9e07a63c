// The task-run timeline: Canvas 2D, columnar data, only the visible part drawn.
// Zoom with the wheel or the buttons, pan by dragging or with the arrow keys.
import { STATE_COLOURS, toMs } from './ui.js';

const ROW = 18, BAR = 12, AXIS = 20;

// Columns of GET /api/flow_runs/{id}/timeline; rows packed so bars do not overlap.
export class Timeline {
  constructor(canvas, data) {
    this.canvas = canvas;
    this.data = data;
    const n = data.count;
    this.span = 0;
    this.lanes = 0;
    for (let i = 0; i < n; i++) {
      const end = data.end[i] ?? data.start[i] ?? 0;
      if (end > this.span) this.span = end;
      if (data.row[i] + 1 > this.lanes) this.lanes = data.row[i] + 1;
    }
    this.span = Math.max(this.span, 1e-3);
    // The longest bar bounds how far before the view a visible bar can start (for culling).
    this.longest = 0;
    for (let i = 0; i < n; i++) this.longest = Math.max(this.longest, (data.end[i] ?? this.span) - (data.start[i] ?? 0));
    this.t0 = 0; this.t1 = this.span; this.y0 = 0;
    this.drawn = 0;
    this.lastDrawMs = 0;
    this._events();
    this.resize();
  }

  resize() {
    const dpr = window.devicePixelRatio || 1;
    const r = this.canvas.getBoundingClientRect();
    this.w = Math.max(100, r.width); this.h = Math.max(80, r.height);
    this.canvas.width = Math.round(this.w * dpr); this.canvas.height = Math.round(this.h * dpr);
    this.ctx = this.canvas.getContext('2d');
    this.ctx.setTransform(dpr, 0, 0, dpr, 0, 0);
    this.draw();
  }

  zoom(factor, atX = this.w / 2) {
    const t = this.t0 + (atX / this.w) * (this.t1 - this.t0);
    const width = Math.min(this.span, Math.max(1e-6, (this.t1 - this.t0) * factor));
    this.t0 = Math.max(0, t - (atX / this.w) * width);
    this.t1 = this.t0 + width;
    if (this.t1 > this.span) { this.t1 = this.span; this.t0 = this.span - width; }
    this.draw();
  }

  pan(dxPixels, dyPixels = 0) {
    const dt = (dxPixels / this.w) * (this.t1 - this.t0);
    const width = this.t1 - this.t0;
    this.t0 = Math.min(Math.max(0, this.t0 - dt), this.span - width);
    this.t1 = this.t0 + width;
    const maxY = Math.max(0, this.lanes * ROW - (this.h - AXIS));
    this.y0 = Math.min(Math.max(0, this.y0 - dyPixels), maxY);
    this.draw();
  }

  reset() { this.t0 = 0; this.t1 = this.span; this.y0 = 0; this.draw(); }

  draw() {
    const started = performance.now();
    const { ctx, w, h, data } = this;
    const css = getComputedStyle(this.canvas);
    ctx.clearRect(0, 0, w, h);
    ctx.font = '11px system-ui, sans-serif';
    ctx.fillStyle = css.getPropertyValue('--muted') || '#666';
    const scale = w / (this.t1 - this.t0);
    // Axis: about 6 ticks.
    const step = niceStep((this.t1 - this.t0) / 6);
    for (let t = Math.ceil(this.t0 / step) * step; t <= this.t1; t += step) {
      const x = (t - this.t0) * scale;
      ctx.fillRect(x, AXIS - 6, 1, 6);
      ctx.fillText(`${+t.toFixed(3)} s`, x + 2, 11);
    }
    // Bars: sorted by start, so binary-search the first that can reach into the view.
    const firstLane = Math.floor(this.y0 / ROW), lastLane = Math.ceil((this.y0 + h - AXIS) / ROW);
    let i = lowerBound(data.start, this.t0 - this.longest);
    let drawn = 0;
    // Zoomed out, many bars share a pixel: draw one rectangle per pixel column per lane.
    const painted = new Map();
    for (; i < data.count; i++) {
      const s = data.start[i];
      if (s == null) continue;
      if (s > this.t1) break;
      const lane = data.row[i];
      if (lane < firstLane || lane > lastLane) continue;
      const e = data.end[i] ?? this.span;
      if (e < this.t0) continue;
      const x = Math.floor((s - this.t0) * scale);
      const x2 = Math.max(x + 1, Math.ceil((e - this.t0) * scale));
      const key = lane * 100000 + x;
      if (x2 - x <= 1 && painted.has(key)) continue;
      painted.set(key, 1);
      const y = AXIS + lane * ROW - this.y0 + (ROW - BAR) / 2;
      ctx.fillStyle = STATE_COLOURS[data.state[i]] || '#888';
      ctx.fillRect(x, y, x2 - x, BAR);
      // Retries: a notch at the start; cached: a hollow bar.
      if (data.cached[i]) { ctx.clearRect(x + 1, y + 2, Math.max(0, x2 - x - 2), BAR - 4); }
      if (data.run_count[i] > 1) { ctx.fillStyle = css.getPropertyValue('--fg') || '#000'; ctx.fillRect(x, y - 2, 3, BAR + 4); }
      if (x2 - x > 60) {
        ctx.fillStyle = '#fff';
        ctx.fillText(data.names[i], x + 4, y + 10, x2 - x - 8);
      }
      drawn++;
    }
    this.drawn = drawn;
    this.lastDrawMs = performance.now() - started;
    this.canvas.dataset.drawn = String(drawn);
    this.canvas.dataset.drawMs = this.lastDrawMs.toFixed(1);
  }

  _events() {
    const c = this.canvas;
    c.addEventListener('wheel', (ev) => {
      ev.preventDefault();
      const r = c.getBoundingClientRect();
      this.zoom(ev.deltaY > 0 ? 1.25 : 0.8, ev.clientX - r.left);
    }, { passive: false });
    let drag = null;
    let down = null;
    c.addEventListener('pointerdown', (ev) => { drag = [ev.clientX, ev.clientY]; down = drag; c.setPointerCapture(ev.pointerId); });
    c.addEventListener('pointermove', (ev) => {
      if (!drag) return;
      this.pan(ev.clientX - drag[0], ev.clientY - drag[1]);
      drag = [ev.clientX, ev.clientY];
    });
    c.addEventListener('pointerup', (ev) => {
      drag = null;
      // A click (no drag) on a bar: onPick(index), set by the page (opens the task run).
      if (down && this.onPick && Math.hypot(ev.clientX - down[0], ev.clientY - down[1]) < 4) {
        const r = c.getBoundingClientRect();
        if (Math.abs(r.width - this.w) > 0.5 && r.width >= 100) this.resize(); // before the observer ran
        const i = this.at(ev.clientX - r.left, ev.clientY - r.top);
        if (i != null) this.onPick(i);
      }
      down = null;
    });
    c.addEventListener('keydown', (ev) => {
      const keys = { ArrowLeft: () => this.pan(40), ArrowRight: () => this.pan(-40), ArrowUp: () => this.pan(0, ROW), ArrowDown: () => this.pan(0, -ROW), '+': () => this.zoom(0.8), '=': () => this.zoom(0.8), '-': () => this.zoom(1.25), '0': () => this.reset() };
      if (keys[ev.key]) { ev.preventDefault(); keys[ev.key](); }
    });
  }
}

// The index of the bar at (x, y) in canvas pixels, or null.
Timeline.prototype.at = function at(x, y) {
  const { data } = this;
  const lane = Math.floor((y - AXIS + this.y0) / ROW);
  const t = this.t0 + (x / this.w) * (this.t1 - this.t0);
  const slack = 2 * (this.t1 - this.t0) / this.w; // a thin bar is still hit within 2 px
  for (let i = lowerBound(data.start, this.t0 - this.longest); i < data.count; i++) {
    const s = data.start[i];
    if (s == null) continue;
    if (s > t + slack) break;
    if (data.row[i] === lane && (data.end[i] ?? this.span) >= t - slack) return i;
  }
  return null;
};

function lowerBound(arr, value) {
  let lo = 0, hi = arr.length;
  while (lo < hi) {
    const mid = (lo + hi) >> 1;
    if ((arr[mid] ?? -Infinity) < value) lo = mid + 1; else hi = mid;
  }
  return lo;
}

function niceStep(raw) {
  const p = 10 ** Math.floor(Math.log10(raw || 1));
  for (const m of [1, 2, 5, 10]) if (raw <= m * p) return m * p;
  return 10 * p;
}

// The timeline's columns from the older GET /api/flow_runs/{id}/task_runs pages, for a server
// without the timeline route: offsets from the flow run's start, lanes packed greedily.
export function columnsFromTaskRuns(flowRun, taskRuns) {
  const origin = toMs(flowRun.start_time || flowRun.created);
  const off = (t) => (t ? (toMs(t) - origin) / 1000 : null);
  const sorted = taskRuns.filter((t) => t.start_time).sort((a, b) => toMs(a.start_time) - toMs(b.start_time));
  const laneEnds = [];
  const d = { count: sorted.length, names: [], task_names: [], ids: [], start: [], end: [], state: [], state_name: [], run_count: [], row: [], cached: [] };
  for (const t of sorted) {
    const s = off(t.start_time), e = off(t.end_time);
    let lane = laneEnds.findIndex((end) => end <= s);
    if (lane < 0) { lane = laneEnds.length; laneEnds.push(0); }
    laneEnds[lane] = e ?? Infinity;
    d.names.push(t.name); d.task_names.push(t.task_name); d.ids.push(t.id); d.start.push(s); d.end.push(e);
    d.state.push(t.state?.type); d.state_name.push(t.state?.name); d.run_count.push(t.run_count);
    d.row.push(lane); d.cached.push(t.state?.name === 'Cached');
  }
  return d;
}
