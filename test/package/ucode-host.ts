// Runs the rpcd ucode plugin (openwrt-feed/net/wanpulse/files/usr/share/rpcd/ucode/wanpulse.uc)
// under Node.js. ucode itself is not installable here; the plugin is written in the subset of
// ucode that is also JavaScript, and the built-ins it uses are provided here with ucode's
// semantics (null for a missing file, join(sep, list), match() → array or null, …). The file
// system and process calls go through `UcodeHost`, so a test decides what the router's files are.
import * as assert from 'uvu/assert';
import { execFileSync } from 'node:child_process';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';

const root = fileURLToPath(new URL('../..', import.meta.url));
export const pluginPath = join(root, 'openwrt-feed/net/wanpulse/files/usr/share/rpcd/ucode/wanpulse.uc');
export const pluginSource = readFileSync(pluginPath, 'utf8');

export const UBUS_STATUS_INVALID_ARGUMENT = 2;
export const UBUS_STATUS_NOT_FOUND = 4;

export type Handler = { args?: Record<string, unknown>; call: (req: unknown) => unknown };
export type Signature = Record<string, Record<string, Handler>>;

/** What the plugin's fs calls reach. Paths are the router's paths. */
export interface UcodeHost {
  readfile(path: string): string | null;
  writefile?(path: string, data: string): boolean;
  mkdir?(path: string, mode: number): boolean;
  unlink?(path: string): boolean;
  rmdir?(path: string): boolean;
  /** runs a shell command line; returns its output and exit code */
  popen?(cmd: string): { output: string; code: number } | null;
  nowS?: number;
}

export const ucodeType = (v: unknown) => {
  if (v === null || v === undefined) return null;
  if (Array.isArray(v)) return 'array';
  if (typeof v === 'number') return Number.isInteger(v) ? 'int' : 'double';
  if (typeof v === 'boolean') return 'bool';
  return typeof v; // 'string' | 'object' | 'function'
};

const IMPORT_LINE = /^import \{ ([a-z, ]+) \} from 'fs';$/m;

/** Loads the plugin and returns the signature object it hands to rpcd. */
export function loadPlugin(host: UcodeHost | Record<string, string>, source = pluginSource): Signature {
  const h: UcodeHost = typeof (host as UcodeHost).readfile === 'function'
    ? host as UcodeHost
    : { readfile: (p) => ((host as Record<string, string>)[p] ?? null) };
  const m = IMPORT_LINE.exec(source);
  assert.ok(m, 'imports its fs functions in one import line');
  const imported = m![1]!.split(/,\s*/);
  const body = source.replace(IMPORT_LINE, '');
  const missing = (name: string) => () => { throw new Error(`the test host does not provide fs.${name}`); };
  const fsFns: Record<string, unknown> = {
    readfile: (p: string) => h.readfile(p),
    writefile: (p: string, d: string) => (h.writefile ?? missing('writefile'))(p, d),
    mkdir: (p: string, mode: number) => (h.mkdir ?? missing('mkdir'))(p, mode),
    unlink: (p: string) => (h.unlink ?? missing('unlink'))(p),
    rmdir: (p: string) => (h.rmdir ?? missing('rmdir'))(p),
    popen: (cmd: string, mode: string) => {
      assert.is(mode, 'r');
      const r = (h.popen ?? missing('popen'))(cmd);
      if (!r) return null;
      return { read: (what: string) => { assert.is(what, 'all'); return r.output; }, close: () => r.code };
    },
  };
  for (const name of imported) assert.ok(name in fsFns, `fs.${name} is provided by the test host`);
  const builtins: Record<string, unknown> = {
    ...Object.fromEntries(imported.map((n) => [n, fsFns[n]])),
    json: (s: string) => JSON.parse(s),
    type: ucodeType,
    length: (v: unknown) => (typeof v === 'string' || Array.isArray(v) ? v.length : v && typeof v === 'object' ? Object.keys(v).length : null),
    index: (s: string, needle: string) => (typeof s === 'string' ? s.indexOf(needle) : -1),
    int: (v: number) => Math.trunc(Number(v)),
    time: () => h.nowS ?? Math.floor(Date.now() / 1000),
    split: (s: string, sep: string) => s.split(sep),
    join: (sep: string, list: unknown[]) => list.join(sep),
    match: (s: string, re: RegExp) => (typeof s === 'string' ? re.exec(s) : null),
    keys: (o: object) => (o && typeof o === 'object' ? Object.keys(o) : null),
    substr: (s: string, off: number, len?: number) => s.substr(off, len),
    UBUS_STATUS_INVALID_ARGUMENT,
    UBUS_STATUS_NOT_FOUND,
  };
  // eslint-disable-next-line @typescript-eslint/no-implied-eval
  const fn = new Function(...Object.keys(builtins), body) as (...a: unknown[]) => Signature;
  return fn(...Object.values(builtins));
}

/** A ubus request as rpcd hands it to a handler. */
export function ubusRequest(args: Record<string, unknown> = {}) {
  const req = { args, errorCode: null as number | null, error(code: number) { req.errorCode = code; return null; } };
  return req;
}

/** popen for the plugin's check_config: runs the real `wanpulse check-config` of this
 *  checkout (src/main.ts under Node) where the router would run /usr/sbin/wanpulse. */
export function realCheckConfig(cmd: string): { output: string; code: number } {
  const m = /^\/usr\/sbin\/wanpulse check-config --config-dir (\/tmp\/wanpulse-check\.[0-9.]+) 2>&1$/.exec(cmd);
  assert.ok(m, `unexpected command line: ${cmd}`);
  try {
    const out = execFileSync(process.execPath, ['--import', 'tsx', join(root, 'src/main.ts'), 'check-config', '--config-dir', m![1]!], { cwd: root, encoding: 'utf8', stdio: ['ignore', 'pipe', 'pipe'], timeout: 30_000 });
    return { output: out, code: 0 };
  } catch (e) {
    const err = e as { status: number | null; stdout?: string; stderr?: string };
    return { output: (err.stdout ?? '') + (err.stderr ?? ''), code: err.status ?? 70 };
  }
}
