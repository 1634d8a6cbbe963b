// Running commands for the lab: argument arrays, never a shell. Every background process the lab
// starts is registered in a ProcessSet so cleanup can end exactly those, by pid.
import { spawn, execFile, type ChildProcess } from 'node:child_process';
import { closeSync, openSync, readSync, statSync } from 'node:fs';

export interface CmdResult {
  code: number | null;
  stdout: string;
  stderr: string;
}

/** Runs argv to completion; never rejects (a missing binary gives code null and the error text). */
export function run(argv: string[], opts: { input?: string; timeoutMs?: number } = {}): Promise<CmdResult> {
  return new Promise((resolve) => {
    const child = execFile(argv[0]!, argv.slice(1), { timeout: opts.timeoutMs ?? 20_000, maxBuffer: 16 << 20 }, (err, stdout, stderr) => {
      const code = err ? (typeof (err as { code?: unknown }).code === 'number' ? (err as { code: number }).code : null) : 0;
      resolve({ code, stdout: String(stdout), stderr: String(stderr) || (err && code === null ? String(err.message) : '') });
    });
    if (opts.input !== undefined) child.stdin?.end(opts.input);
  });
}

/** Runs argv and throws with its stderr when it fails. */
export async function must(argv: string[], opts: { input?: string; timeoutMs?: number } = {}): Promise<string> {
  const r = await run(argv, opts);
  if (r.code !== 0) throw new Error(`${argv.join(' ')} failed (${r.code}): ${r.stderr.trim()}`);
  return r.stdout;
}

/** argv prefixed to run inside a network namespace */
export function inNs(ns: string, argv: string[]): string[] {
  return ['ip', 'netns', 'exec', ns, ...argv];
}

export const sleep = (ms: number) => new Promise<void>((r) => setTimeout(r, ms));

/** Background processes the lab started; `ip netns exec` execs, so each pid is the program's own. */
export class ProcessSet {
  private readonly children = new Map<number, { name: string; child: ChildProcess; detached: boolean }>();

  /** Starts argv. With `logFile` its output goes to that file and it runs in its own process
   *  group, so it survives the lab process (`--keep`) and a terminal's Ctrl-C reaches only the lab,
   *  which then stops it in order. Otherwise stdout/stderr lines go to `onLine`. */
  start(name: string, argv: string[], o: { onLine?: (line: string, stream: 'stdout' | 'stderr') => void; env?: NodeJS.ProcessEnv; logFile?: string } = {}): ChildProcess {
    const logFd = o.logFile ? openSync(o.logFile, 'a') : null;
    const child = spawn(argv[0]!, argv.slice(1), {
      stdio: logFd === null ? ['ignore', 'pipe', 'pipe'] : ['ignore', logFd, logFd],
      detached: logFd !== null,
      env: { ...process.env, ...o.env },
    });
    if (logFd !== null) closeSync(logFd);
    if (child.pid === undefined) throw new Error(`could not start ${name}: ${argv[0]}`);
    const pid = child.pid;
    this.children.set(pid, { name, child, detached: logFd !== null });
    for (const stream of ['stdout', 'stderr'] as const) {
      if (!child[stream]) continue;
      let partial = '';
      child[stream]!.setEncoding('utf8');
      child[stream]!.on('data', (chunk: string) => {
        partial += chunk;
        let nl: number;
        while ((nl = partial.indexOf('\n')) >= 0) {
          const line = partial.slice(0, nl);
          partial = partial.slice(nl + 1);
          o.onLine?.(line, stream);
        }
        if (partial.length > 65536) partial = '';
      });
    }
    child.on('exit', () => this.children.delete(pid));
    child.on('error', () => this.children.delete(pid));
    return child;
  }

  pids(): number[] {
    return [...this.children.keys()];
  }

  /** SIGTERM, then SIGKILL what is still alive after graceMs. */
  async stop(child: ChildProcess, graceMs = 2000): Promise<void> {
    if (child.exitCode !== null || child.signalCode !== null || child.pid === undefined) return;
    const gone = new Promise<void>((r) => child.once('exit', () => r()));
    child.kill('SIGTERM');
    const timer = new Promise<'t'>((r) => setTimeout(() => r('t'), graceMs));
    if ((await Promise.race([gone, timer])) === 't') {
      child.kill('SIGKILL');
      await Promise.race([gone, sleep(1000)]);
    }
  }

  /** Stops the processes whose output the lab reads (they cannot outlive it). */
  async stopPiped(graceMs = 1000): Promise<void> {
    await Promise.all([...this.children.values()].filter((c) => !c.detached).map(({ child }) => this.stop(child, graceMs)));
  }

  async stopAll(graceMs = 2000): Promise<void> {
    await Promise.all([...this.children.values()].map(({ child }) => this.stop(child, graceMs)));
  }
}

/** Follows a growing log file (like tail -f), calling onLine for each complete new line. */
export function followFile(path: string, onLine: (line: string) => void, periodMs = 100): () => void {
  let offset = 0;
  let partial = '';
  const buf = Buffer.alloc(65536);
  const timer = setInterval(() => {
    let fd: number;
    try {
      if (statSync(path).size <= offset) return;
      fd = openSync(path, 'r');
    } catch { return; }
    try {
      for (let i = 0; i < 64; i++) {
        const n = readSync(fd, buf, 0, buf.length, offset);
        if (n <= 0) break;
        offset += n;
        partial += buf.toString('utf8', 0, n);
      }
    } finally { closeSync(fd); }
    let nl: number;
    while ((nl = partial.indexOf('\n')) >= 0) {
      onLine(partial.slice(0, nl));
      partial = partial.slice(nl + 1);
    }
  }, periodMs);
  return () => clearInterval(timer);
}
