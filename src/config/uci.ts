// A UCI file parser that reads committed files the way OpenWrt's libuci does (uci_import in
// strict mode, which `uci` and the shell config functions use), but never stops at the first
// problem: every problem is collected with its line, and parsing goes on with the next command.
//
// libuci behaviour kept here:
// - commands `config`/`c`, `option`/`o`, `list`/`l`, `package`/`p`; `;` separates commands;
// - values bare, '…' (no escapes), "…" (backslash takes the next character literally), and
//   adjacent parts concatenated ('a'"b"c → abc); quoted values may span lines;
// - a backslash before the line end joins the next line; `#` starts a comment anywhere a
//   word may start or continue outside quotes;
// - option and section names [A-Za-z0-9_]; section types any printable ASCII but space;
// - `option x ''` removes x; a later `option` replaces, `list` appends (turning an option
//   into a list); a section name seen again reopens that section (options merge into it).
import type { ConfigProblem } from './types.ts';
import { quote } from './quote.ts';

export interface UciValue {
  value: string;
  line: number;
}

export interface UciOption {
  name: string;
  /** true when set by `list` lines */
  isList: boolean;
  /** one value for an option, every item in order for a list */
  values: UciValue[];
  /** line of the first statement that set the current value(s) */
  line: number;
}

export interface UciSection {
  type: string;
  /** null for an anonymous section */
  name: string | null;
  /** position among sections of the same type, as in libuci's `@type[index]` */
  index: number;
  line: number;
  options: Map<string, UciOption>;
}

export interface UciParseResult {
  sections: UciSection[];
  problems: ConfigProblem[];
}

const NAME_RE = /^[A-Za-z0-9_]+$/;
const PACKAGE_RE = /^[A-Za-z0-9_-]+$/;
const TYPE_RE = /^[\x21-\x7e]+$/;

/** How a section is named in messages: `'wan'` or `@interface[2]`. */
export function sectionRef(s: UciSection): string {
  return s.name !== null ? `${quote(s.name)}` : `@${s.type}[${s.index}]`;
}

const isBlank = (c: string | undefined) => c === ' ' || c === '\t' || c === '\r' || c === '\v' || c === '\f';

interface Arg {
  value: string;
  line: number;
  /** an unterminated quote: the value is unusable */
  broken: boolean;
}

export function parseUci(text: string, file: string): UciParseResult {
  const sections: UciSection[] = [];
  const problems: ConfigProblem[] = [];
  const byName = new Map<string, UciSection>();
  const typeCounts = new Map<string, number>();
  let pos = 0;
  let line = 1;
  let current: UciSection | null = null;
  // after a bad `config` line its options are dropped quietly: the error is already reported
  let sectionBroken = false;

  const problem = (severity: 'error' | 'warning', at: number, message: string) => {
    problems.push({ file, line: at, severity, message });
  };

  const skipBlanks = () => { while (isBlank(text[pos])) pos++; };
  const skipToLineEnd = () => { while (pos < text.length && text[pos] !== '\n') pos++; };

  /** Reads one argument; null at the end of the command (line end, `;`, `#`, end of file). */
  const readArg = (): Arg | null => {
    skipBlanks();
    const c0 = text[pos];
    if (c0 === undefined || c0 === '\n' || c0 === ';') return null;
    if (c0 === '#') { skipToLineEnd(); return null; }
    const startLine = line;
    let out = '';
    for (;;) {
      const c = text[pos];
      if (c === undefined || c === '\n' || c === ';' || isBlank(c)) break;
      if (c === '#') { skipToLineEnd(); break; }
      if (c === "'" || c === '"') {
        const quoteLine = line;
        pos++;
        let closed = false;
        let newlines = 0;
        while (pos < text.length) {
          const q = text[pos]!;
          if (q === c) { pos++; closed = true; break; }
          if (q === '\\' && c === '"') {
            if (joinsLine()) continue;
            pos++;
            if (pos < text.length) { out += text[pos]; pos++; }
            continue;
          }
          if (q === '\n') { line++; newlines++; }
          out += q;
          pos++;
        }
        if (!closed) {
          problem('error', quoteLine, `unterminated ${c} quote (opened here, not closed before the end of the file)`);
          return { value: out, line: startLine, broken: true };
        }
        if (newlines > 0) {
          problem('warning', quoteLine, `quoted value runs over ${newlines + 1} lines (to line ${line}): is a closing ${c} missing?`);
        }
        continue;
      }
      if (c === '\\') {
        if (joinsLine()) continue;
        pos++;
        if (pos >= text.length) break;
        out += text[pos];
        pos++;
        continue;
      }
      out += c;
      pos++;
    }
    return { value: out, line: startLine, broken: false };
  };

  /** At a backslash: when it ends the line, skip it and the line break (libuci joins lines). */
  function joinsLine(): boolean {
    const next = text[pos + 1];
    if (next === undefined) { pos++; return true; }
    if (next === '\n') { pos += 2; line++; return true; }
    if (next === '\r' && text[pos + 2] === '\n') { pos += 3; line++; return true; }
    return false;
  }

  /** Consumes what is left of the command; complains once when something is there. */
  const endCommand = (cmdLine: number, what: string) => {
    let extra: Arg | null = null;
    for (let a = readArg(); a !== null; a = readArg()) extra ??= a;
    if (extra) problem('error', cmdLine, `too many arguments to ${what}: ${quote(extra.value)} is left over (quote values that contain spaces)`);
  };
  const dropCommand = () => { while (readArg() !== null) { /* consume */ } };

  const openSection = (cmdLine: number) => {
    const type = readArg();
    if (!type || type.value === '') {
      problem('error', cmdLine, 'config line without a section type');
      sectionBroken = true; current = null;
      if (type) dropCommand();
      return;
    }
    const name = readArg();
    if (type.broken || name?.broken) { sectionBroken = true; current = null; dropCommand(); return; }
    let bad = false;
    if (!TYPE_RE.test(type.value)) {
      problem('error', cmdLine, `invalid section type ${quote(type.value)}: only printable characters without spaces are allowed`);
      bad = true;
    }
    if (name && name.value !== '' && !NAME_RE.test(name.value)) {
      problem('error', cmdLine, `invalid section name ${quote(name.value)}: only letters, digits and _ are allowed`);
      bad = true;
    }
    endCommand(cmdLine, 'config');
    if (bad) { sectionBroken = true; current = null; return; }
    sectionBroken = false;
    const sectionName = name && name.value !== '' ? name.value : null;
    if (sectionName !== null) {
      const earlier = byName.get(sectionName);
      if (earlier) {
        if (earlier.type !== type.value) {
          problem('error', cmdLine, `section ${quote(sectionName)} of type ${quote(type.value)} reuses the name of the ${quote(earlier.type)} section at line ${earlier.line}`);
          sectionBroken = true; current = null;
          return;
        }
        problem('warning', cmdLine, `section ${quote(sectionName)} is defined again (first at line ${earlier.line}); its options merge into the first one, as uci does`);
        current = earlier;
        return;
      }
    }
    const index = typeCounts.get(type.value) ?? 0;
    typeCounts.set(type.value, index + 1);
    current = { type: type.value, name: sectionName, index, line: cmdLine, options: new Map() };
    sections.push(current);
    if (sectionName !== null) byName.set(sectionName, current);
  };

  const setOption = (cmdLine: number, isList: boolean) => {
    const word = isList ? 'list' : 'option';
    const name = readArg();
    if (!name || name.value === '') {
      problem('error', cmdLine, `${word} without a name`);
      if (name) dropCommand();
      return;
    }
    if (name.broken) { dropCommand(); return; }
    const value = readArg();
    if (value?.broken) { dropCommand(); return; }
    endCommand(cmdLine, word);
    if (!NAME_RE.test(name.value)) {
      problem('error', cmdLine, `invalid ${word} name ${quote(name.value)}: only letters, digits and _ are allowed`);
      return;
    }
    if (!current) {
      if (!sectionBroken) problem('error', cmdLine, `${word} ${quote(name.value)} outside a section (no config line before it)`);
      return;
    }
    if (!value) problem('warning', cmdLine, `${word} ${quote(name.value)} has no value${isList ? ' (adds an empty item)' : ' (treated as unset)'}`);
    const v: UciValue = { value: value?.value ?? '', line: cmdLine };
    const existing = current.options.get(name.value);
    if (isList) {
      if (existing) { existing.isList = true; existing.values.push(v); }
      else current.options.set(name.value, { name: name.value, isList: true, values: [v], line: cmdLine });
    } else if (v.value === '') {
      // libuci: setting an option to the empty string deletes it
      current.options.delete(name.value);
    } else {
      current.options.set(name.value, { name: name.value, isList: false, values: [v], line: cmdLine });
    }
  };

  const packageLine = (cmdLine: number) => {
    const name = readArg();
    if (!name || name.value === '') problem('error', cmdLine, 'package line without a name');
    else if (!name.broken && !PACKAGE_RE.test(name.value)) problem('error', cmdLine, `invalid package name ${quote(name.value)}`);
    if (name) endCommand(cmdLine, 'package');
  };

  while (pos < text.length) {
    skipBlanks();
    const c = text[pos];
    if (c === undefined) break;
    if (c === '\n') { pos++; line++; continue; }
    if (c === ';') { pos++; continue; }
    if (c === '#') { skipToLineEnd(); continue; }
    const cmdLine = line;
    const start = pos;
    // like libuci's strtok: the command word is raw text up to a blank
    while (pos < text.length && !isBlank(text[pos]) && text[pos] !== '\n' && text[pos] !== ';') pos++;
    const cmd = text.slice(start, pos);
    if (cmd === 'config' || cmd === 'c') openSection(cmdLine);
    else if (cmd === 'option' || cmd === 'o') setOption(cmdLine, false);
    else if (cmd === 'list' || cmd === 'l') setOption(cmdLine, true);
    else if (cmd === 'package' || cmd === 'p') packageLine(cmdLine);
    else {
      problem('error', cmdLine, `unknown command ${quote(cmd)} (expected config, option, list or package)`);
      // the rest of the line is no command: do not let a stray quote in it swallow later lines
      skipToLineEnd();
    }
  }
  return { sections, problems };
}

/** The last value of an option (for `option`), or undefined when unset. */
export function uciGet(s: UciSection, name: string): UciValue | undefined {
  const o = s.options.get(name);
  return o ? o.values[o.values.length - 1] : undefined;
}

/** Every value of a list option (a plain option counts as a one-item list). */
export function uciList(s: UciSection, name: string): UciValue[] {
  return s.options.get(name)?.values ?? [];
}
