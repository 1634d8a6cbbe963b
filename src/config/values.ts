// Typed reading of UCI option values, with every problem recorded at its file and line.
// Values end up in argv (fping, conntrack, hotplug-call) and in file paths, so addresses and
// names are checked strictly here, once, before anything runs.
import type { ConfigProblem, Family } from './types.ts';
import { uciGet, uciList, type UciSection, type UciValue } from './uci.ts';
import { quote } from './quote.ts';

const TRUE_WORDS = new Set(['1', 'on', 'true', 'yes', 'enabled']);
const FALSE_WORDS = new Set(['0', 'off', 'false', 'no', 'disabled']);

/** OpenWrt's boolean words (config_get_bool); null when the text is none of them. */
export function parseBool(text: string): boolean | null {
  const t = text.trim().toLowerCase();
  if (TRUE_WORDS.has(t)) return true;
  if (FALSE_WORDS.has(t)) return false;
  return null;
}

/** A decimal integer, nothing else (no units, no hex, no fractions). */
export function parseInteger(text: string): number | null {
  const t = text.trim();
  if (!/^-?[0-9]{1,15}$/.test(t)) return null;
  return Number(t);
}

/** Dotted quad, each part 0–255 without leading zeros (which some tools read as octal). */
export function isIPv4(s: string): boolean {
  const parts = s.split('.');
  return parts.length === 4 && parts.every((p) => /^(0|[1-9][0-9]{0,2})$/.test(p) && Number(p) <= 255);
}

/** RFC 4291 text form: eight groups, one `::`, optionally an IPv4 tail. No zone ids. */
export function isIPv6(s: string): boolean {
  if (!/^[0-9A-Fa-f:.]{2,45}$/.test(s)) return false;
  const gap = s.indexOf('::');
  if (gap !== -1 && s.indexOf('::', gap + 1) !== -1) return false;
  const split = (part: string) => (part === '' ? [] : part.split(':'));
  const head = split(gap === -1 ? s : s.slice(0, gap));
  const tail = gap === -1 ? [] : split(s.slice(gap + 2));
  const parts = [...head, ...tail];
  // an IPv4 tail must end the text: "::ffff:192.0.2.1", never "192.0.2.1::"
  const lastIndex = gap !== -1 && tail.length === 0 ? -1 : parts.length - 1;
  let groups = 0;
  for (let i = 0; i < parts.length; i++) {
    const p = parts[i]!;
    if (p.includes('.')) {
      if (i !== lastIndex || !isIPv4(p)) return false;
      groups += 2;
    } else if (/^[0-9A-Fa-f]{1,4}$/.test(p)) {
      groups += 1;
    } else {
      return false;
    }
  }
  return gap === -1 ? groups === 8 : groups <= 7;
}

export function addressFamily(s: string): Family | null {
  if (isIPv4(s)) return 'ipv4';
  if (isIPv6(s)) return 'ipv6';
  return null;
}

/** Linux device names: what the kernel accepts, narrowed to characters safe in argv. */
export function isDeviceName(s: string): boolean {
  return /^[A-Za-z0-9_.@-]{1,15}$/.test(s) && s !== '.' && s !== '..';
}

/** Reads the options of one section and records what was used, so the rest can be reported. */
export class OptionReader {
  private readonly used = new Set<string>();

  constructor(
    readonly section: UciSection,
    readonly file: string,
    /** how messages name the section, e.g. "interface 'wg0'" */
    readonly where: string,
    private readonly problems: ConfigProblem[],
  ) {}

  has(name: string): boolean {
    this.used.add(name);
    return this.section.options.has(name);
  }

  /** line of the option, or of the section when the option is not set */
  lineOf(name: string): number {
    return uciGet(this.section, name)?.line ?? this.section.line;
  }

  error(line: number, message: string): void {
    this.problems.push({ file: this.file, line, severity: 'error', message: `${this.where}: ${message}` });
  }

  warn(line: number, message: string): void {
    this.problems.push({ file: this.file, line, severity: 'warning', message: `${this.where}: ${message}` });
  }

  raw(name: string): UciValue | undefined {
    this.used.add(name);
    const v = uciGet(this.section, name);
    return v && v.value !== '' ? v : undefined;
  }

  str(name: string): string | undefined {
    return this.raw(name)?.value;
  }

  list(name: string): UciValue[] {
    this.used.add(name);
    return uciList(this.section, name);
  }

  int(name: string, range: readonly [number, number], unit = ''): number | undefined {
    const v = this.raw(name);
    if (!v) return undefined;
    const n = parseInteger(v.value);
    const [min, max] = range;
    const want = `an integer from ${min} to ${max}${unit ? ' ' + unit : ''}`;
    if (n === null) {
      // digits only, but too many for parseInteger: a number, just far out of range
      const why = /^\s*-?[0-9]+\s*$/.test(v.value) ? 'is out of range' : 'is not a whole number';
      this.error(v.line, `${name} ${quote(v.value.trim())} ${why}: expected ${want}`);
      return undefined;
    }
    if (n < min || n > max) { this.error(v.line, `${name} ${n} is out of range: expected ${want}`); return undefined; }
    return n;
  }

  bool(name: string): boolean | undefined {
    const v = this.raw(name);
    if (!v) return undefined;
    const b = parseBool(v.value);
    if (b === null) this.error(v.line, `${name} ${quote(v.value)} is not a boolean: use 1/0 (or yes/no, on/off, true/false)`);
    return b ?? undefined;
  }

  oneOf<T extends string>(name: string, allowed: readonly T[]): T | undefined {
    const v = this.raw(name);
    if (!v) return undefined;
    if ((allowed as readonly string[]).includes(v.value)) return v.value as T;
    this.error(v.line, `${name} ${quote(v.value)} is not one of: ${allowed.join(', ')}`);
    return undefined;
  }

  /** A warning for every option this reader never asked about. */
  warnUnknown(): void {
    for (const [name, opt] of this.section.options) {
      if (!this.used.has(name)) this.warn(opt.line, `unknown option ${quote(name)} (ignored)`);
    }
  }
}
