// Live updates: GET /api/stream (server-sent events) read with fetch(), so the API key goes in
// the Authorization header and never in a URL. After a drop the stream resumes from the cursor
// of the last event (Last-Event-ID); it pauses while the tab is hidden. `healthy()` is false
// when nothing — no change, no keep-alive — came for STALE_MS: pages then poll as before.
import { apiUrl, auth } from './api.js';
import { h, fmtTime } from './ui.js';

const STALE_MS = 12000, RETRY_MS = 2000;

export function liveStream(query, handlers) {
  let cursor = null, ctrl = null, stopped = false, heard = 0, since = null, failures = 0, retry = null;
  const listeners = new Set();
  const tell = () => { for (const f of listeners) f(); };

  function handle(block) {
    heard = Date.now();
    since = new Date();
    let event = 'message', data = null;
    for (const line of block.split('\n')) {
      if (line.startsWith(':')) continue; // a keep-alive comment
      const at = line.indexOf(':');
      const field = at < 0 ? line : line.slice(0, at);
      const value = at < 0 ? '' : line.slice(at + 1).replace(/^ /, '');
      if (field === 'id') cursor = value;
      else if (field === 'event') event = value;
      else if (field === 'data') data = data == null ? value : `${data}\n${value}`;
    }
    if (data == null) return;
    const fn = handlers[event];
    if (fn) fn(JSON.parse(data));
  }

  async function connect() {
    if (stopped || document.hidden) return;
    ctrl = new AbortController();
    const headers = { Accept: 'text/event-stream' };
    if (auth.key) headers.Authorization = `Bearer ${auth.key}`;
    if (cursor) headers['Last-Event-ID'] = cursor;
    try {
      const r = await fetch(apiUrl('/stream', query), { headers, signal: ctrl.signal, cache: 'no-store' });
      if (!r.ok || !r.body) throw new Error(`stream answered ${r.status}`);
      failures = 0;
      const reader = r.body.pipeThrough(new TextDecoderStream()).getReader();
      let buf = '';
      for (;;) {
        const { value, done } = await reader.read();
        if (done) break;
        buf += value;
        for (let i = buf.indexOf('\n\n'); i >= 0; i = buf.indexOf('\n\n')) {
          handle(buf.slice(0, i));
          buf = buf.slice(i + 2);
          tell();
        }
      }
    } catch (_) {
      failures++;
    }
    heard = 0; // the connection ended: not live until the next one answers
    tell();
    if (!stopped && !document.hidden) retry = setTimeout(connect, RETRY_MS * Math.min(failures + 1, 15));
  }

  const onVisible = () => {
    clearTimeout(retry);
    if (document.hidden) { if (ctrl) ctrl.abort(); } else if (!stopped) connect();
    tell();
  };
  document.addEventListener('visibilitychange', onVisible);
  const ticker = setInterval(tell, 2000); // staleness shows even when nothing arrives
  connect();
  return {
    healthy: () => heard > 0 && Date.now() - heard < STALE_MS,
    lastHeard: () => since,
    onChange: (f) => { listeners.add(f); return () => listeners.delete(f); },
    stop: () => {
      stopped = true;
      clearTimeout(retry);
      clearInterval(ticker);
      document.removeEventListener('visibilitychange', onVisible);
      if (ctrl) ctrl.abort();
      listeners.clear();
    },
  };
}

// "live" or "stale since <time>", following a stream (or, with no stream, polling answers).
export function liveIndicator(stream, { finished = () => false } = {}) {
  const el = h('span.stream-live', { 'aria-live': 'off', title: 'live updates' });
  const paint = () => {
    if (finished()) { el.dataset.live = 'done'; el.textContent = 'run finished'; return; }
    const ok = stream.healthy();
    const at = stream.lastHeard();
    el.dataset.live = ok ? 'live' : 'stale';
    el.textContent = ok ? 'live' : `stale since ${at ? fmtTime(at).textContent : 'the start'}${document.hidden ? ' (tab hidden)' : ''}`;
  };
  stream.onChange(paint);
  paint();
  return el;
}

// Call `fn` at most once per `ms`, after the last of a burst of calls.
export function debounce(fn, ms) {
  let t = null;
  return () => { clearTimeout(t); t = setTimeout(fn, ms); };
}
