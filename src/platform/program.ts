// Finding the program behind argv[0] before it is started, the same way in both adapters.
//
// Why: txiki.js v26 corrupts its heap when a spawn fails (it frees the handle of a failed
// uv_spawn without closing it); the next spawn then crashes the runtime (SIGSEGV/SIGABRT). So
// wanpulse never asks it to start something that is not there: argv[0] is resolved (absolute
// path, or each PATH directory) and must be an executable regular file that starts with `#!` or
// is an ELF binary. The last rule also makes scripts behave the same: Node's spawn ran a
// shebang-less text file through /bin/sh, txiki.js reported it "not found".

export interface ProgramStat {
  isFile: boolean;
  /** st_mode permission bits (at least the 0o111 ones) */
  mode: number;
}

export const DEFAULT_PATH = '/usr/sbin:/usr/bin:/sbin:/bin';

/** The paths argv[0] may name, in order: itself when it contains a slash, else PATH's dirs. */
export function candidates(name: string, pathVar: string | undefined): string[] {
  if (name === '') return [];
  if (name.includes('/')) return [name];
  const dirs = (pathVar || DEFAULT_PATH).split(':').filter((d) => d.startsWith('/'));
  return dirs.map((d) => `${d.replace(/\/+$/, '')}/${name}`);
}

export type Verdict = { ok: true } | { ok: false; code: 'ENOENT' | 'EACCES' | 'ENOEXEC'; why: string };

/** Whether a path with this stat and first bytes can be started (null stat: not there). */
export function judge(st: ProgramStat | null, head: Uint8Array | null): Verdict {
  if (!st) return { ok: false, code: 'ENOENT', why: 'not found' };
  if (!st.isFile) return { ok: false, code: 'EACCES', why: 'not a regular file' };
  if ((st.mode & 0o111) === 0) return { ok: false, code: 'EACCES', why: 'not executable' };
  if (!head || !isRunnableHeader(head)) return { ok: false, code: 'ENOEXEC', why: 'not a program (neither an ELF binary nor a script starting with #!)' };
  return { ok: true };
}

export function isRunnableHeader(b: Uint8Array): boolean {
  if (b.length >= 2 && b[0] === 0x23 && b[1] === 0x21) return true; // #!
  return b.length >= 4 && b[0] === 0x7f && b[1] === 0x45 && b[2] === 0x4c && b[3] === 0x46; // \x7fELF
}

/** The error both adapters throw (spawn) or reject with (run) for a program that cannot start.
 *  code ENOENT for "not there", as callers check; the message names the program. */
export function cannotStart(name: string, v: Exclude<Verdict, { ok: true }>): Error & { code: string } {
  const err = new Error(`${name}: ${v.why}`) as Error & { code: string };
  err.code = v.code;
  return err;
}

/** How a resolver looks at the filesystem (async: txiki.js has no synchronous stat). */
export interface ProgramFacts {
  stat(path: string): Promise<ProgramStat | null>;
  head(path: string): Promise<Uint8Array | null>;
}

const FRESH_MS = 5000;
/** how long a prepare() stands in for the check of the run() after it */
const PREPARED_MS = 1000;

/** PATH matters only for a bare name */
const cacheKey = (name: string, pathVar: string | undefined) => (name.includes('/') ? name : `${pathVar ?? ''}\0${name}`);

/** Resolves and checks programs; caches PATH lookups (name → path) and remembers, per name, when
 *  it was last found usable, for the synchronous spawn (see `fresh`). */
export class ProgramResolver {
  private readonly paths = new Map<string, string>();
  private readonly checkedAt = new Map<string, number>();
  private readonly prepared = new Map<string, number>();

  constructor(private readonly facts: ProgramFacts, private readonly now: () => number) {}

  /** The absolute path to start, or the error to report; never throws. */
  async resolve(name: string, pathVar: string | undefined): Promise<{ path: string } | { error: Error & { code: string } }> {
    const key = cacheKey(name, pathVar);
    const cached = this.paths.get(key);
    if (cached !== undefined) {
      const v = await this.check(cached);
      if (v.ok) { this.checkedAt.set(key, this.now()); return { path: cached }; }
      this.paths.delete(key);
    }
    let first: Verdict | null = null;
    for (const path of candidates(name, pathVar)) {
      const v = await this.check(path);
      if (v.ok) {
        this.paths.set(key, path);
        this.checkedAt.set(key, this.now());
        return { path };
      }
      // a PATH entry that is not there is no news; one that is there but unusable is
      if (!first || (first.ok === false && first.code === 'ENOENT')) first = v;
    }
    this.checkedAt.delete(key);
    const v = first ?? { ok: false, code: 'ENOENT', why: 'not found' };
    return { error: cannotStart(name, v as Exclude<Verdict, { ok: true }>) };
  }

  /** Checks `name` now, for a run that follows at once (forRun): a caller that knows it is about
   *  to start a program checks it beside other work instead of in front of the start. */
  async prepare(name: string, pathVar: string | undefined): Promise<void> {
    const r = await this.resolve(name, pathVar);
    if ('path' in r) this.prepared.set(cacheKey(name, pathVar), this.now());
  }

  /** What run() starts: the path prepare() checked within the last second (once), else a fresh
   *  check (resolve). */
  async forRun(name: string, pathVar: string | undefined): Promise<{ path: string } | { error: Error & { code: string } }> {
    const key = cacheKey(name, pathVar);
    const at = this.prepared.get(key);
    this.prepared.delete(key);
    const path = this.paths.get(key);
    if (at !== undefined && this.now() - at <= PREPARED_MS && path !== undefined) return { path };
    return this.resolve(name, pathVar);
  }

  /** The resolved path when `name` was found usable in the last few seconds, else null. A
   *  synchronous spawn uses this: the caller re-checks after each exit of the program (the
   *  restart comes later), so the window in which a removed program could be started is short. */
  fresh(name: string, pathVar: string | undefined): string | null {
    const key = cacheKey(name, pathVar);
    const at = this.checkedAt.get(key);
    if (at === undefined || this.now() - at > FRESH_MS) return null;
    return this.paths.get(key) ?? null;
  }

  private async check(path: string): Promise<Verdict> {
    try {
      const st = await this.facts.stat(path);
      const head = st && st.isFile ? await this.facts.head(path) : null;
      return judge(st, head);
    } catch {
      return { ok: false, code: 'ENOENT', why: 'not found' };
    }
  }
}
