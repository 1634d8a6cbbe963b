#!/usr/bin/env node
// luci-app-wanpulse's translations: reads .po files and the _() strings of the app's
// JavaScript, and writes the template po/templates/wanpulse.pot from them (sorted, with the
// files that use each string). `npm run package` regenerates it; test/luci/i18n.test.ts fails
// when it is stale or when a string lacks its German translation.
// Usage: node build/luci-i18n.mjs [--check]
import { readdirSync, readFileSync, statSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';

export const appDir = fileURLToPath(new URL('../openwrt-feed/luci-app-wanpulse', import.meta.url));
export const potPath = join(appDir, 'po/templates/wanpulse.pot');

const unescape = (s) => s.replace(/\\(.)/g, (_m, c) => (c === 'n' ? '\n' : c === 't' ? '\t' : c));
const poEscape = (s) => s.replace(/\\/g, '\\\\').replace(/"/g, '\\"').replace(/\n/g, '\\n');

/** msgid → msgstr of every entry of a .po/.pot text (the header entry, msgid "", left out). */
export function parsePo(text) {
  const out = new Map();
  let id = null;
  let str = null;
  let field = null;
  const flush = () => { if (id !== null && id !== '') out.set(id, str ?? ''); id = null; str = null; field = null; };
  for (const raw of text.split('\n')) {
    const line = raw.trim();
    let m;
    if ((m = /^msgid "(.*)"$/.exec(line))) { flush(); id = unescape(m[1]); field = 'id'; }
    else if ((m = /^msgstr "(.*)"$/.exec(line))) { str = unescape(m[1]); field = 'str'; }
    else if ((m = /^"(.*)"$/.exec(line))) {
      if (field === 'id') id += unescape(m[1]);
      else if (field === 'str') str += unescape(m[1]);
    }
    else if (line === '') flush();
  }
  flush();
  return out;
}

function jsFiles(dir) {
  return readdirSync(dir).flatMap((n) => {
    const p = join(dir, n);
    return statSync(p).isDirectory() ? jsFiles(p) : n.endsWith('.js') ? [p] : [];
  }).sort();
}

/** Every string literal passed to _() in the app's JavaScript → the files using it. */
export function translatableStrings() {
  const out = new Map();
  for (const file of jsFiles(join(appDir, 'htdocs'))) {
    const text = readFileSync(file, 'utf8');
    const rel = file.slice(appDir.length + 1);
    for (const m of text.matchAll(/\b_\(\s*(?:'((?:[^'\\]|\\.)*)'|"((?:[^"\\]|\\.)*)")\s*\)/g)) {
      const s = unescape(m[1] ?? m[2]);
      out.set(s, [...new Set([...(out.get(s) ?? []), rel])]);
    }
  }
  return out;
}

/** _( calls whose argument is not one string literal (they could not be translated). */
export function nonLiteralCalls() {
  return jsFiles(join(appDir, 'htdocs')).flatMap((file) =>
    [...readFileSync(file, 'utf8').matchAll(/\b_\(\s*([^'"\s])/g)].map((m) => `${file.slice(appDir.length + 1)}: _(${m[1]}…`));
}

export function renderPot(strings = translatableStrings()) {
  const head = 'msgid ""\nmsgstr "Content-Type: text/plain; charset=UTF-8"\n';
  const entries = [...strings].sort(([a], [b]) => (a < b ? -1 : a > b ? 1 : 0))
    .map(([s, files]) => `${files.map((f) => `#: ${f}`).join('\n')}\nmsgid "${poEscape(s)}"\nmsgstr ""\n`);
  return [head, ...entries].join('\n');
}

if (process.argv[1] && fileURLToPath(import.meta.url) === process.argv[1]) {
  const want = renderPot();
  if (process.argv.includes('--check')) {
    let have = '';
    try { have = readFileSync(potPath, 'utf8'); } catch { /* missing */ }
    if (have !== want) { console.error(`${potPath} is stale: run node build/luci-i18n.mjs`); process.exit(1); }
  } else {
    writeFileSync(potPath, want);
    console.log(`${potPath}: ${translatableStrings().size} strings`);
  }
}
