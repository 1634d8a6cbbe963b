// Gettext .po/.pot reading and the _() strings of luci-app-wanpulse's JavaScript, for the
// translation tests, the stand-in's German catalog and build/luci-pot.mjs.
import { readdirSync, readFileSync, statSync } from 'node:fs';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';

export const appDir = fileURLToPath(new URL('../../openwrt-feed/luci-app-wanpulse', import.meta.url));

const unescape = (s: string) => s.replace(/\\(.)/g, (_m, c: string) => (c === 'n' ? '\n' : c === 't' ? '\t' : c));

/** msgid → msgstr of every entry (the header entry, msgid "", left out). */
export function parsePo(text: string): Map<string, string> {
  const out = new Map<string, string>();
  let id: string | null = null;
  let str: string | null = null;
  let field: 'id' | 'str' | null = null;
  const flush = () => { if (id !== null && id !== '') out.set(id, str ?? ''); id = null; str = null; field = null; };
  for (const raw of text.split('\n')) {
    const line = raw.trim();
    let m: RegExpExecArray | null;
    if ((m = /^msgid "(.*)"$/.exec(line))) { flush(); id = unescape(m[1]!); field = 'id'; }
    else if ((m = /^msgstr "(.*)"$/.exec(line))) { str = unescape(m[1]!); field = 'str'; }
    else if ((m = /^"(.*)"$/.exec(line))) {
      if (field === 'id') id += unescape(m[1]!);
      else if (field === 'str') str += unescape(m[1]!);
    }
    else if (line === '') flush();
  }
  flush();
  return out;
}

function jsFiles(dir: string): string[] {
  return readdirSync(dir).flatMap((n) => {
    const p = join(dir, n);
    return statSync(p).isDirectory() ? jsFiles(p) : n.endsWith('.js') ? [p] : [];
  }).sort();
}

/** Every string literal passed to _() in the app's JavaScript, with the files using it. */
export function translatableStrings(): Map<string, string[]> {
  const out = new Map<string, string[]>();
  const root = join(appDir, 'htdocs');
  for (const file of jsFiles(root)) {
    const text = readFileSync(file, 'utf8');
    const re = /\b_\(\s*(?:'((?:[^'\\]|\\.)*)'|"((?:[^"\\]|\\.)*)")\s*\)/g;
    let m: RegExpExecArray | null;
    while ((m = re.exec(text))) {
      const s = unescape(m[1] ?? m[2]!);
      const rel = file.slice(appDir.length + 1);
      out.set(s, [...new Set([...(out.get(s) ?? []), rel])]);
    }
  }
  return out;
}

/** _( calls whose argument is not a string literal (they could not be translated). */
export function nonLiteralCalls(): string[] {
  return jsFiles(join(appDir, 'htdocs')).flatMap((file) =>
    [...readFileSync(file, 'utf8').matchAll(/\b_\(\s*([^'"\s])/g)].map((m) => `${file.slice(appDir.length + 1)}: _(${m[1]}…`));
}

const poEscape = (s: string) => s.replace(/\\/g, '\\\\').replace(/"/g, '\\"').replace(/\n/g, '\\n');

/** The .pot text for the given strings (sorted, with the files as references). */
export function renderPot(strings: Map<string, string[]>): string {
  const head = 'msgid ""\nmsgstr "Content-Type: text/plain; charset=UTF-8"\n';
  const entries = [...strings].sort(([a], [b]) => (a < b ? -1 : a > b ? 1 : 0))
    .map(([s, files]) => `${files.map((f) => `#: ${f}`).join('\n')}\nmsgid "${poEscape(s)}"\nmsgstr ""\n`);
  return [head, ...entries].join('\n');
}
