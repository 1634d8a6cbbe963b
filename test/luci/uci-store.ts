// The stand-in rpcd's `uci` object: configurations read from a real directory of UCI files
// (parsed with wanpulse's own UCI parser), changes staged per session as rpcd keeps them
// (`uci add|set|delete`, visible to later `uci get`), and committed to the files by `uci apply`.
import { existsSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { parseUci } from '../../src/config/uci.ts';

export type UciValues = Record<string, Record<string, string | string[] | boolean | number>>;

export interface UciChange { op: 'add' | 'set' | 'delete'; config: string; section: string; type?: string; values?: Record<string, unknown>; options?: string[] | null }

export class UciStore {
  /** every change staged since the last apply, in order */
  staged: UciChange[] = [];
  /** what `uci apply` committed, one entry per apply */
  applied: UciChange[][] = [];

  constructor(readonly dir: string) {}

  private committed(config: string): UciValues | null {
    const path = join(this.dir, config);
    if (!/^[a-z0-9_-]+$/.test(config) || !existsSync(path)) return null;
    const parsed = parseUci(readFileSync(path, 'utf8'), path);
    const out: UciValues = {};
    parsed.sections.forEach((s, i) => {
      const name = s.name ?? `cfg${String(i).padStart(2, '0')}${s.type.slice(0, 4)}`;
      const sec: UciValues[string] = { '.anonymous': s.name === null, '.type': s.type, '.name': name, '.index': i };
      for (const [opt, o] of s.options) sec[opt] = o.isList ? o.values.map((v) => v.value) : o.values.at(-1)!.value;
      out[name] = sec;
    });
    return out;
  }

  /** committed values with this session's staged changes applied (what rpcd's `uci get` returns) */
  get(config: string): UciValues | null {
    const values = this.committed(config);
    if (values === null && !this.staged.some((c) => c.config === config)) return null;
    const v = values ?? {};
    for (const c of this.staged) {
      if (c.config !== config) continue;
      if (c.op === 'add') v[c.section] = { '.anonymous': false, '.type': c.type!, '.name': c.section, '.index': Object.keys(v).length, ...(c.values as object) };
      else if (c.op === 'set' && v[c.section]) Object.assign(v[c.section]!, c.values);
      else if (c.op === 'delete' && v[c.section]) {
        if (c.options) for (const o of c.options) delete v[c.section]![o];
        else delete v[c.section];
      }
    }
    return v;
  }

  stage(change: UciChange): boolean {
    if (!/^[A-Za-z0-9_]+$/.test(change.section)) return false;
    this.staged.push(change);
    return true;
  }

  /** commits the staged changes of every config they touch, as `uci commit` writes files */
  apply(): string[] {
    const configs = [...new Set(this.staged.map((c) => c.config))];
    for (const config of configs) writeFileSync(join(this.dir, config), render(this.get(config) ?? {}));
    this.applied.push(this.staged);
    this.staged = [];
    return configs;
  }
}

const quote = (v: string) => `'${v.replace(/'/g, "'\\''")}'`;

export function render(values: UciValues): string {
  const sections = Object.values(values).sort((a, b) => Number(a['.index']) - Number(b['.index']));
  return sections.map((s) => {
    const lines = [`config ${String(s['.type'])}${s['.anonymous'] ? '' : ` ${quote(String(s['.name']))}`}`];
    for (const [k, v] of Object.entries(s)) {
      if (k.startsWith('.')) continue;
      if (Array.isArray(v)) for (const item of v) lines.push(`\tlist ${k} ${quote(String(item))}`);
      else lines.push(`\toption ${k} ${quote(String(v))}`);
    }
    return lines.join('\n') + '\n';
  }).join('\n');
}
