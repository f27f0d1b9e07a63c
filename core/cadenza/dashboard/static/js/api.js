// The one way the dashboard reads and writes: the public /api routes, with the API key if set.
import { ROOT } from './ui.js';

const KEY = 'cadenza.apiKey';
export const auth = {
  get key() { return sessionStorage.getItem(KEY); },
  set key(v) { if (v) sessionStorage.setItem(KEY, v); else sessionStorage.removeItem(KEY); },
  onUnauthorized: null, // set by main.js: show the key form
};

export class ApiError extends Error {
  // errors: the answer's [{loc, msg}] (a 422 names each field), for forms to show in place.
  constructor(status, detail, errors = []) {
    super(detail);
    this.status = status;
    this.errors = errors;
  }
}

export function apiUrl(path, query) {
  const url = new URL(`${ROOT}/api${path}`, location.origin);
  for (const [k, v] of Object.entries(query || {})) {
    if (v == null || v === '') continue;
    for (const one of Array.isArray(v) ? v : [v]) url.searchParams.append(k, one);
  }
  return url;
}

export async function api(path, { method = 'GET', query, body, signal } = {}) {
  const headers = { Accept: 'application/json' };
  if (auth.key) headers.Authorization = `Bearer ${auth.key}`;
  const init = { method, headers, signal };
  if (body !== undefined) {
    headers['Content-Type'] = 'application/json';
    init.body = JSON.stringify(body);
  }
  const r = await fetch(apiUrl(path, query), init);
  if (r.status === 401) {
    auth.key = null;
    if (auth.onUnauthorized) auth.onUnauthorized();
    throw new ApiError(401, 'This server needs an API key.');
  }
  if (!r.ok) {
    let detail = `${r.status} ${r.statusText}`;
    let errors = [];
    try {
      const j = await r.json();
      if (j.detail) detail = typeof j.detail === 'string' ? j.detail : JSON.stringify(j.detail);
      if (Array.isArray(j.errors)) errors = j.errors;
      if (errors.length) detail += ` (${errors.map((e) => `${(e.loc || []).join('.')}: ${e.msg}`).join('; ')})`;
    } catch (_) { /* not JSON */ }
    throw new ApiError(r.status, detail, errors);
  }
  return r.status === 204 ? null : r.json();
}

// A route of the dashboard contract that this server may not have yet (`/flow_runs/page` then
// reads as a run named "page"): the caller falls back to the older routes. A 404 naming a
// deployment is a real answer (an unknown deployment filter).
export const missingRoute = (e) => e instanceof ApiError && e.status === 404 && !/deployment/i.test(e.message);
