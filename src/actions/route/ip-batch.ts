// How the route backend runs its `ip` commands: written to one long-lived `ip -force -batch -`
// child instead of spawning `ip` per change (a spawn cost 53–182 ms on a loaded 2-core machine,
// a batch line about a millisecond). The switch path (decision → route replaced) spawns nothing.
//
// Completion: after each command line a marker line `link show dev .` is written. "." can never
// be a device name, so the marker always fails, and ip reports that on stderr, which is
// unbuffered, as "Command failed -:<line>"; with -force a failed command does not end the batch.
// When the command itself failed, its own "Command failed -:<its line>" comes first, and the line
// before that is ip's message (the same text a spawned ip prints). stdout is not needed.
//
// Family: a batch line cannot carry `-4`/`-6`. `route … default` becomes `0.0.0.0/0` or `::/0`,
// and a nexthop takes its family from its `via` address; a device-only nexthop is IPv4 unless
// told otherwise, so only IPv6 device-only nexthops need a child started with `-6`.
//
// Faults never lose a change: a command that gets no completion within the deadline kills the
// child (a stopped or hung ip), and every change the child cannot take (dead, restarting, a line
// it cannot carry) is run by one spawned ip. A dead child is restarted with a backoff; a child
// that never answers its first marker three times in a row (an ip without -batch) is given up,
// with one warning, and ip is spawned per change as before.
import { lastLine } from '../../platform/lines.ts';
import type { ChildProcess, Clock, Log, Spawner, TimerHandle } from '../../platform/ports.ts';

/** Runs one `ip` command (the arguments after the binary): null when it worked, else the error. */
export type IpRun = (args: string[], timeoutMs?: number) => Promise<string | null>;

export interface IpRunnerDeps {
  spawner: Spawner;
  clock: Clock;
  log: Log;
  ipPath: string;
  /** no completion of a batch command within this: the child is killed, the command spawned */
  deadlineMs?: number;
  /** false: spawn ip per command, as before the batch child existed */
  batch?: boolean;
}

export interface IpRunner {
  run: IpRun;
  /** Starts the batch children: '' always, '-6' when IPv6 device-only nexthops need one. */
  start(keys: BatchKey[]): Promise<void>;
  stop(): Promise<void>;
  /** commands that went through a batch child / through a spawned ip; batch children started */
  readonly counts: { batched: number; spawned: number; started: number };
  /** pid of a running batch child (tests) */
  pid(key?: BatchKey): number | null;
}

export type BatchKey = '' | '-6';

export const DEFAULT_DEADLINE_MS = 500;
const MARKER = 'link show dev .';
const FAILED_RE = /^Command failed -:(\d+)$/;
/** tokens a batch line can carry as they are (ip splits lines on blanks, honours quotes, # and \) */
const SAFE_TOKEN = /^[A-Za-z0-9_.:@/,+-]+$/;
const BACKOFF_MIN_MS = 500;
const BACKOFF_MAX_MS = 30_000;
/** a child that ran this long without trouble resets the backoff */
const STABLE_MS = 60_000;
/** first markers never answered in a row before the batch is given up */
const GIVE_UP_AFTER = 3;

/** Which child can run `args` and the line to write; null: it has to be spawned. */
export function batchLine(args: string[]): { key: BatchKey; line: string } | null {
  if (args.length === 0 || !args.every((a) => SAFE_TOKEN.test(a))) return null;
  let rest = args;
  let key: BatchKey = '';
  if (args[0] === '-4' || args[0] === '-6') {
    const six = args[0] === '-6';
    rest = args.slice(1);
    if (rest[0] === 'route' && rest[2] === 'default') rest = [...rest.slice(0, 2), six ? '::/0' : '0.0.0.0/0', ...rest.slice(3)];
    else if (rest[0] === 'nexthop' && rest.includes('via')) { /* the address names the family */ }
    else if (rest[0] === 'nexthop' && !six) { /* IPv4 is a nexthop's default family */ }
    else if (six) key = '-6';
    else return null;
  } else if (args[0]!.startsWith('-')) return null; // -j and other output options: not batched
  return { key, line: rest.join(' ') };
}

type Outcome = { error: string | null } | null;

interface Pending {
  cmdLine: number;
  markLine: number;
  lines: string[];
  failed: string | null;
  timer: TimerHandle | null;
  done: (o: Outcome) => void;
}

/** One `ip [-6] -force -batch -` child and its restarts. */
class BatchChild {
  private child: ChildProcess | null = null;
  private ready = false;
  private lineNo = 0;
  private pending: Pending | null = null;
  private chain: Promise<unknown> = Promise.resolve();
  private restartTimer: TimerHandle | null = null;
  private backoffMs = BACKOFF_MIN_MS;
  private unanswered = 0;
  private startedAt = 0;
  private stopped = false;
  private givenUp = false;

  constructor(private readonly d: Required<Omit<IpRunnerDeps, 'batch'>>, private readonly key: BatchKey, private readonly onStart: () => void) {}

  get pid(): number | null { return this.ready ? this.child?.pid ?? null : null; }

  /** Starts the child and waits (bounded) for its first marker. */
  async start(): Promise<void> {
    for (let i = 0; i < 3 && !this.stopped; i++) {
      const r = this.spawn();
      if (r === 'started') { await this.handshake(); return; }
      if (r === 'failed') return; // failed() has scheduled the next try
      await this.sleep(50); // txiki.js: ip is being checked
    }
    if (!this.stopped) this.restartAfter(100);
  }

  /** Runs one line: its outcome, or null when the child could not (the caller spawns ip). */
  exec(line: string, timeoutMs: number): Promise<Outcome> {
    const next = this.chain.then(() => this.execNow(line, timeoutMs));
    this.chain = next.catch(() => undefined);
    return next;
  }

  async stop(): Promise<void> {
    this.stopped = true;
    if (this.restartTimer) this.d.clock.clearTimer(this.restartTimer);
    this.restartTimer = null;
    const child = this.child;
    if (!child) return;
    child.endInput();
    const ended = await Promise.race([child.exited.then(() => true), this.sleep(1000).then(() => false)]);
    if (!ended) child.kill('SIGKILL');
  }

  private sleep(ms: number): Promise<void> {
    return new Promise((resolve) => { this.d.clock.setTimer(ms, resolve); });
  }

  private spawn(): 'started' | 'again' | 'failed' {
    let child: ChildProcess;
    try {
      child = this.d.spawner.spawn([this.d.ipPath, ...(this.key ? [this.key] : []), '-force', '-batch', '-'], { stdin: 'pipe', stdout: 'ignore', stderr: 'pipe' });
    } catch (e) {
      const err = e as Error & { code?: string };
      if (err.code === 'EAGAIN') return 'again';
      this.failed(`cannot start ${this.d.ipPath} -batch: ${err.message}`, false);
      return 'failed';
    }
    this.child = child;
    this.ready = false;
    this.lineNo = 0;
    this.startedAt = this.d.clock.nowMs();
    this.onStart();
    child.onStderrLine((l) => this.onStderr(l));
    void child.exited.then((st) => {
      if (this.child !== child) return;
      this.child = null;
      const wasReady = this.ready;
      this.ready = false;
      this.settle(null);
      if (this.stopped) return;
      this.failed(st.error ? `cannot start ${this.d.ipPath} -batch: ${st.error}` : `${this.d.ipPath} -batch ${st.signal ? `killed by ${st.signal}` : `exited with status ${st.code}`}`, wasReady);
    });
    return 'started';
  }

  private async handshake(): Promise<void> {
    const ok = await this.send(MARKER, null, Math.max(2000, this.d.deadlineMs));
    if (ok !== null) { this.ready = true; this.unanswered = 0; }
  }

  private async execNow(line: string, timeoutMs: number): Promise<Outcome> {
    if (!this.ready || !this.child) return null;
    return this.send(line, MARKER, Math.min(timeoutMs, this.d.deadlineMs));
  }

  /** Writes `line` (and the marker after it); resolves at the marker's completion. */
  private send(line: string, marker: string | null, deadlineMs: number): Promise<Outcome> {
    const child = this.child;
    if (!child) return Promise.resolve(null);
    return new Promise<Outcome>((resolve) => {
      const cmdLine = ++this.lineNo;
      const markLine = marker === null ? cmdLine : ++this.lineNo;
      const p: Pending = { cmdLine: marker === null ? -1 : cmdLine, markLine, lines: [], failed: null, timer: null, done: resolve };
      this.pending = p;
      p.timer = this.d.clock.setTimer(deadlineMs, () => {
        if (this.pending !== p) return;
        this.d.log.warn(`route: ${this.d.ipPath} -batch gave no answer within ${deadlineMs} ms: killed${marker === null ? '' : ' (the change is made by a spawned ip)'}`);
        this.settle(null);
        child.kill('SIGKILL');
      });
      child.write(marker === null ? `${line}\n` : `${line}\n${marker}\n`).catch(() => {
        if (this.pending === p) this.settle(null);
      });
    });
  }

  private onStderr(l: string): void {
    const p = this.pending;
    if (!p) return;
    const m = FAILED_RE.exec(l);
    if (!m) { if (l.trim()) p.lines.push(l.trim()); return; }
    const n = Number(m[1]);
    if (n === p.cmdLine) p.failed = p.lines.at(-1) ?? 'failed';
    else if (n === p.markLine) this.settle({ error: p.failed });
  }

  private settle(o: Outcome): void {
    const p = this.pending;
    if (!p) return;
    this.pending = null;
    if (p.timer) this.d.clock.clearTimer(p.timer);
    p.done(o);
  }

  private failed(why: string, wasReady: boolean): void {
    if (this.stopped || this.givenUp) return;
    if (!wasReady) this.unanswered++;
    if (this.unanswered >= GIVE_UP_AFTER) {
      this.givenUp = true;
      this.d.log.warn(`route: ${why}; ip -batch is not usable here: spawning ip per route change`);
      return;
    }
    if (this.d.clock.nowMs() - this.startedAt > STABLE_MS) this.backoffMs = BACKOFF_MIN_MS;
    const wait = this.backoffMs;
    this.backoffMs = Math.min(BACKOFF_MAX_MS, this.backoffMs * 2);
    this.d.log.warn(`route: ${why}; restarting it in ${(wait / 1000).toFixed(1)} s (changes meanwhile spawn ip)`);
    if (this.restartTimer) this.d.clock.clearTimer(this.restartTimer);
    this.restartAfter(wait);
  }

  private restartAfter(ms: number, tries = 0): void {
    if (this.restartTimer) this.d.clock.clearTimer(this.restartTimer);
    this.restartTimer = this.d.clock.setTimer(ms, () => {
      this.restartTimer = null;
      if (this.stopped) return;
      const r = this.spawn();
      if (r === 'started') void this.handshake();
      // txiki.js: the program check kicked off by the exit has not answered yet
      else if (r === 'again' && tries < 20) this.restartAfter(100, tries + 1);
      else if (r === 'again') this.failed(`cannot start ${this.d.ipPath} -batch: not checked`, false);
    });
  }
}

export function createIpRunner(deps: IpRunnerDeps): IpRunner {
  const d = { spawner: deps.spawner, clock: deps.clock, log: deps.log, ipPath: deps.ipPath, deadlineMs: deps.deadlineMs ?? DEFAULT_DEADLINE_MS };
  const children = new Map<BatchKey, BatchChild>();
  const counts = { batched: 0, spawned: 0, started: 0 };

  async function spawned(args: string[], timeoutMs: number): Promise<string | null> {
    counts.spawned++;
    try {
      const r = await d.spawner.run([d.ipPath, ...args], { timeoutMs });
      return r.code === 0 ? null : `ip ${args.join(' ')}: ${lastLine(r.stderr) || `exit ${r.code ?? r.signal}`}`;
    } catch (e) {
      return `ip ${args.slice(0, 3).join(' ')}: ${(e as Error).message}`;
    }
  }

  return {
    counts,
    pid: (key = '') => children.get(key)?.pid ?? null,

    async run(args, timeoutMs = 5000) {
      const b = batchLine(args);
      const child = b ? children.get(b.key) : undefined;
      if (b && child) {
        const o = await child.exec(b.line, timeoutMs);
        if (o !== null) {
          counts.batched++;
          return o.error === null ? null : `ip ${args.join(' ')}: ${o.error}`;
        }
      }
      return spawned(args, timeoutMs);
    },

    async start(keys) {
      if (deps.batch === false) return;
      const starting: Promise<void>[] = [];
      for (const key of new Set(keys)) {
        if (children.has(key)) continue;
        const c = new BatchChild(d, key, () => { counts.started++; });
        children.set(key, c);
        starting.push(c.start());
      }
      await Promise.all(starting);
    },

    async stop() {
      const all = [...children.values()];
      children.clear();
      await Promise.all(all.map((c) => c.stop()));
    },
  };
}
