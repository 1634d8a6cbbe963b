// UCI packages in memory, and the subset of `uci batch` that setup writes, applied the way
// OpenWrt's uci applies it (checked against the real `uci -c DIR batch`, see docs/setup.md):
//   set p.s=type   creates a named section (or changes the type of an existing one)
//   set p.s.o='v'  sets an option; 'v' empty deletes it (quietly, even when it does not exist)
//   add_list / del_list p.s.o='v', delete p.s[.o], reorder p.s=N, commit [p]
// `#` lines and blank lines are ignored. Sections are `name` or `@type[index]`.
// Used to know what a batch would change before running it, to read keys back from an earlier
// output, and by the tests to apply a generated batch into a config directory.
import { parseUci, type UciSection } from '../config/uci.ts';

export interface Sec {
  type: string;
  /** null: an anonymous section (`config zone`) */
  name: string | null;
  options: Map<string, string | string[]>;
}

export type Packages = Map<string, Sec[]>;

export function fromParsed(sections: UciSection[]): Sec[] {
  return sections.map((s) => ({
    type: s.type, name: s.name,
    options: new Map([...s.options.values()].map((o) => [o.name, o.isList ? o.values.map((v) => v.value) : o.values.at(-1)!.value])),
  }));
}

export function parsePackage(text: string, file: string): Sec[] {
  return fromParsed(parseUci(text, file).sections);
}

const quote = (v: string) => `'${v.replace(/'/g, "'\\''")}'`;

/** The text uci writes for a package (`uci export` minus the package line). */
export function serialize(secs: Sec[]): string {
  let out = '';
  for (const s of secs) {
    out += `\nconfig ${s.type}${s.name !== null ? ` ${quote(s.name)}` : ''}\n`;
    for (const [k, v] of s.options) {
      if (Array.isArray(v)) for (const item of v) out += `\tlist ${k} ${quote(item)}\n`;
      else out += `\toption ${k} ${quote(v)}\n`;
    }
  }
  return out + (secs.length ? '\n' : '');
}

/** Finds a section by name or `@type[i]` (negative i counts from the end, as in uci). */
export function findSection(secs: Sec[], ref: string): Sec | undefined {
  const m = /^@([^[\]]+)\[(-?\d+)\]$/.exec(ref);
  if (!m) return secs.find((s) => s.name === ref);
  const ofType = secs.filter((s) => s.type === m[1]);
  const i = Number(m[2]);
  return ofType[i < 0 ? ofType.length + i : i];
}

/** Splits one batch line into words with uci's quoting ('…', "…" with \, adjacent parts joined). */
export function batchWords(line: string): string[] {
  const words: string[] = [];
  let cur: string | null = null;
  for (let i = 0; i < line.length; i++) {
    const c = line[i]!;
    if (c === ' ' || c === '\t') { if (cur !== null) words.push(cur); cur = null; continue; }
    cur ??= '';
    if (c === "'") { const j = line.indexOf("'", i + 1); if (j < 0) throw new Error('unterminated quote'); cur += line.slice(i + 1, j); i = j; continue; }
    if (c === '"') {
      let j = i + 1;
      for (; j < line.length && line[j] !== '"'; j++) { if (line[j] === '\\') j++; cur += line[j] ?? ''; }
      if (j >= line.length) throw new Error('unterminated quote');
      i = j;
      continue;
    }
    if (c === '\\' && i + 1 < line.length) { cur += line[++i]; continue; }
    cur += c;
  }
  if (cur !== null) words.push(cur);
  return words;
}

export interface BatchResult {
  /** packages a command wrote to (what `commit` would save), even when the end result equals
   *  the start: compare `serialize` before and after for a net change */
  touched: Set<string>;
  /** commands uci would refuse, with their line */
  errors: string[];
}

/** Applies a batch script to packages in memory (missing packages start empty). */
export function applyBatch(pkgs: Packages, script: string): BatchResult {
  const touched = new Set<string>();
  const errors: string[] = [];
  script.split('\n').forEach((raw, i) => {
    const line = raw.trim();
    if (line === '' || line.startsWith('#')) return;
    const fail = (m: string) => errors.push(`line ${i + 1}: ${m}: ${line}`);
    let words: string[];
    try { words = batchWords(line); } catch (e) { fail((e as Error).message); return; }
    const [cmd, arg = ''] = words;
    if (cmd === 'commit') return;
    const eq = arg.indexOf('=');
    const path = eq < 0 ? arg : arg.slice(0, eq);
    const value = eq < 0 ? null : arg.slice(eq + 1);
    const [pkg, secRef, opt] = path.split('.');
    if (!pkg || !secRef) { fail('expected package.section'); return; }
    if (!pkgs.has(pkg)) pkgs.set(pkg, []);
    const secs = pkgs.get(pkg)!;
    const sec = findSection(secs, secRef);
    const before = sec ? serialize([sec]) + secs.indexOf(sec) : '';
    const mark = () => { if (!sec || serialize([sec]) + secs.indexOf(sec) !== before) touched.add(pkg); };
    if (cmd === 'set' && opt === undefined) {
      if (value === null || value === '') { fail('set needs a type'); return; }
      if (sec) { if (sec.type !== value) { sec.type = value; touched.add(pkg); } return; }
      secs.push({ type: value, name: secRef, options: new Map() });
      touched.add(pkg);
      return;
    }
    if (!sec) { fail('Entry not found'); return; }
    if (cmd === 'delete') {
      if (opt === undefined) { secs.splice(secs.indexOf(sec), 1); touched.add(pkg); return; }
      if (sec.options.delete(opt)) touched.add(pkg);
      return;
    }
    if (cmd === 'reorder') {
      const n = Number(value);
      if (opt !== undefined || !Number.isInteger(n) || n < 0) { fail('reorder needs package.section=position'); return; }
      secs.splice(secs.indexOf(sec), 1);
      secs.splice(Math.min(n, secs.length), 0, sec);
      mark();
      return;
    }
    if (opt === undefined || value === null) { fail('expected package.section.option=value'); return; }
    const cur = sec.options.get(opt);
    if (cmd === 'set') {
      if (value === '') sec.options.delete(opt);
      else if (cur !== value) sec.options.set(opt, value); // in place, as uci does
    } else if (cmd === 'add_list') {
      if (cur === undefined) sec.options.set(opt, [value]);
      else sec.options.set(opt, [...(Array.isArray(cur) ? cur : [cur]), value]);
    } else if (cmd === 'del_list') {
      if (Array.isArray(cur)) sec.options.set(opt, cur.filter((v) => v !== value));
      else if (cur === value) sec.options.delete(opt);
    } else { fail(`unknown command '${cmd}'`); return; }
    mark();
  });
  return { touched, errors };
}

export function clonePackages(pkgs: Packages): Packages {
  return new Map([...pkgs].map(([k, secs]) => [k, secs.map((s) => ({ ...s, options: new Map([...s.options].map(([o, v]) => [o, Array.isArray(v) ? [...v] : v])) }))]));
}
