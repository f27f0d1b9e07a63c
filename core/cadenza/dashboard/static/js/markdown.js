// A small, safe Markdown renderer for artifacts: it builds DOM nodes (never HTML strings), so
// whatever the text holds — <script>, <img onerror>, raw HTML of any kind — is shown as text.
// Supported: ATX headings, paragraphs, emphasis (*em*, **strong**), `code`, fenced code blocks,
// bullet and numbered lists, block quotes, horizontal rules, pipe tables, links and images.
// A link is made only for an http: or https: URL (or a path on this origin); an image only for a
// same-origin path or a data:image/ URL (the page's CSP, default-src 'self', would refuse any
// other anyway). Anything else is left as its text.
import { h, ROOT } from './ui.js';

const SAFE_DATA_IMAGE = /^data:image\/(png|gif|jpeg|webp);base64,[A-Za-z0-9+/=\s]+$/i;

// The URL a link may point to, or null: http(s) anywhere, or a path on this origin.
export function safeHref(raw) {
  const url = String(raw || '').trim();
  if (!url || /[\u0000-\u001f\u007f]/.test(url)) return null;
  if (url.startsWith('//')) return null; // protocol-relative: another host
  let parsed;
  try { parsed = new URL(url, location.origin + ROOT + '/'); } catch (_) { return null; }
  if (parsed.protocol === 'http:' || parsed.protocol === 'https:') return parsed.href;
  return null;
}

// The URL an image may load from, or null: a data:image/ URL or a path on this origin.
export function safeImage(raw) {
  const url = String(raw || '').trim();
  if (SAFE_DATA_IMAGE.test(url)) return url;
  if (url.startsWith('//')) return null;
  let parsed;
  try { parsed = new URL(url, location.origin + ROOT + '/'); } catch (_) { return null; }
  return (parsed.protocol === 'http:' || parsed.protocol === 'https:') && parsed.origin === location.origin ? parsed.href : null;
}

// Inline markup: code spans first (their content is literal), then images, links, emphasis.
// A link's URL may hold one level of parentheses: [x](javascript:alert(1)) is one (refused) link.
const INLINE = /(`+)([\s\S]*?[^`])\1(?!`)|!\[([^\]]*)\]\(((?:[^()\s]|\([^()\s]*\))*)(?:\s+"[^"]*")?\)|\[([^\]]+)\]\(((?:[^()\s]|\([^()\s]*\))*)(?:\s+"[^"]*")?\)|\*\*([^*]+)\*\*|__([^_]+)__|\*([^*\s][^*]*)\*|_([^_\s][^_]*)_|<(https?:\/\/[^>\s]+)>/g;

export function inline(text) {
  const out = [];
  let last = 0;
  for (const m of text.matchAll(INLINE)) {
    if (m.index > last) out.push(text.slice(last, m.index));
    last = m.index + m[0].length;
    if (m[1]) out.push(h('code', {}, m[2]));
    else if (m[4] !== undefined) {
      const src = safeImage(m[4]);
      out.push(src ? h('img', { src, alt: m[3] || '' }) : h('span.muted', {}, `[image ${m[3] ? `“${m[3]}” ` : ''}not loaded: only images from this server or data: URLs are shown]`));
    } else if (m[5] !== undefined) {
      const href = safeHref(m[6]);
      out.push(href ? h('a', { href, rel: 'noopener noreferrer nofollow', target: '_blank' }, inline(m[5])) : inline(m[5]));
    } else if (m[7] || m[8]) out.push(h('strong', {}, inline(m[7] || m[8])));
    else if (m[9] || m[10]) out.push(h('em', {}, inline(m[9] || m[10])));
    else if (m[11]) {
      const href = safeHref(m[11]);
      out.push(href ? h('a', { href, rel: 'noopener noreferrer nofollow', target: '_blank' }, m[11]) : m[0]);
    }
  }
  if (last < text.length) out.push(text.slice(last));
  return out;
}

const cells = (line) => line.trim().replace(/^\|/, '').replace(/\|$/, '').split('|').map((c) => c.trim());
const isRule = (line) => /^\s{0,3}([-*_])(\s*\1){2,}\s*$/.test(line);
const isTableSep = (line) => /^\s*\|?\s*:?-{3,}:?\s*(\|\s*:?-{3,}:?\s*)*\|?\s*$/.test(line);
const LIST = /^(\s*)([-*+]|\d{1,9}[.)])\s+(.*)$/;

// Render `source` as a <div class="markdown"> of DOM nodes. Headings start at level `base`
// (an artifact's # is an h3 inside the page), so the page's outline stays in order.
export function renderMarkdown(source, { base = 3 } = {}) {
  const lines = String(source ?? '').replace(/\r\n?/g, '\n').split('\n');
  const root = h('div.markdown');
  let i = 0;
  while (i < lines.length) {
    const line = lines[i];
    if (!line.trim()) { i++; continue; }
    const fence = line.match(/^\s*(```|~~~)/);
    if (fence) {
      const body = [];
      for (i++; i < lines.length && !lines[i].trim().startsWith(fence[1]); i++) body.push(lines[i]);
      i++;
      root.append(h('pre', {}, h('code', {}, body.join('\n'))));
      continue;
    }
    const heading = line.match(/^\s{0,3}(#{1,6})\s+(.*?)\s*#*\s*$/);
    if (heading) {
      const level = Math.min(6, base - 1 + heading[1].length);
      root.append(h(`h${level}`, {}, inline(heading[2])));
      i++;
      continue;
    }
    if (isRule(line)) { root.append(h('hr')); i++; continue; }
    if (line.includes('|') && i + 1 < lines.length && isTableSep(lines[i + 1])) {
      const head = cells(line);
      const rows = [];
      for (i += 2; i < lines.length && lines[i].includes('|') && lines[i].trim(); i++) rows.push(cells(lines[i]));
      root.append(h('div.table-wrap', {}, h('table', {},
        h('thead', {}, h('tr', {}, head.map((c) => h('th', { scope: 'col' }, inline(c))))),
        h('tbody', {}, rows.map((r) => h('tr', {}, head.map((_, k) => h('td', {}, inline(r[k] || '')))))))));
      continue;
    }
    if (/^\s{0,3}>/.test(line)) {
      const body = [];
      for (; i < lines.length && /^\s{0,3}>/.test(lines[i]); i++) body.push(lines[i].replace(/^\s{0,3}>\s?/, ''));
      root.append(h('blockquote', {}, [...renderMarkdown(body.join('\n'), { base }).childNodes]));
      continue;
    }
    const item = line.match(LIST);
    if (item) {
      const ordered = /\d/.test(item[2]);
      const list = h(ordered ? 'ol' : 'ul');
      for (; i < lines.length; i++) {
        const m = lines[i].match(LIST);
        if (m && /\d/.test(m[2]) === ordered) list.append(h('li', {}, inline(m[3])));
        else if (lines[i].trim() && /^\s+/.test(lines[i]) && list.lastChild) list.lastChild.append(' ', ...inline(lines[i].trim()));
        else break;
      }
      root.append(list);
      continue;
    }
    const para = [];
    for (; i < lines.length && lines[i].trim() && !/^\s*(```|~~~|#{1,6}\s|>)/.test(lines[i]) && !LIST.test(lines[i]) && !isRule(lines[i]); i++) para.push(lines[i].trim());
    if (!para.length) { para.push(lines[i].trim()); i++; }
    root.append(h('p', {}, inline(para.join(' '))));
  }
  return root;
}
