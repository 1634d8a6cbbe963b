// Owns one long-lived `fping -l` per interface, covering all its targets, bound to its device.
// Lines become ProbeResult events through the Sequencer (which also turns silence into loss).
// If fping dies it is restarted with exponential backoff and the interface reported broken
// (→ state unknown, never online). Children outlive txiki.js, so the pid is kept in a pidfile
// and a stray from an earlier instance is ended at start.
import { FPING_OVERHEAD_MS, FPING_SPACING_MS } from '../config/feasibility.ts';
import type { InterfaceConfig } from '../config/types.ts';
import type { CoreEvent, ProbeRate } from '../core/events.ts';
import { SLOW_PROBE_MS } from '../core/uplink.ts';
import type { ChildProcess, Clock, FileSystem, Log, Signals, Spawner, TimerHandle } from '../platform/ports.ts';
import { parseFpingLine } from './fping-parse.ts';
import { Sequencer } from './sequencer.ts';

export const MWAN3_WRAP_LIB = '/lib/mwan3/libwrap_mwan3_sockopt.so.1.0';
/** mwan3's probe mark: "use the default table", like mwan3track's probes */
export const MWAN3_PROBE_MARK = 0x3f00;

const BACKOFF_MIN_MS = 500;
const BACKOFF_MAX_MS = 30_000;
/** a prober that ran this long resets the backoff */
const STABLE_MS = 60_000;
export const GRACE_MS = 25;
/** a deadline timer this late means the daemon itself was stalled (SIGSTOP, a busy router) */
export const STALL_MS = 60;
/** after a stall, time to read fping's buffered lines before anything counts as lost */
export const WAKE_MS = 40;

export interface ProbeMode {
  /** run under mwan3's socket wrapper (OpenWrt with fping < 5.2) */
  wrap: boolean;
  /** pass --fwmark (fping ≥ 5.2) */
  fwmark: boolean;
}

/** with traffic evidence fping waits this long for a reply, so that late ones are still printed
 *  (with their RTT) while the sequencer judges by timeout_ms */
export const LATE_LISTEN_MS = 2500;

/** fping's period per target at this rate */
export function probePeriodMs(iface: InterfaceConfig, rate: ProbeRate): number {
  const fast = iface.health.intervalMs;
  return rate === 'slow' ? Math.max(fast, SLOW_PROBE_MS * iface.trackIps.length) : fast;
}

/** fping's gap between packets to successive targets (-i). With traffic evidence the targets are
 *  spread over the period (2 targets every 200 ms: one probe every ~100 ms), so the first probe
 *  after a cut goes out sooner and an idle line's cut is seen sooner; without, today's 10 ms. */
export function probeSpacingMs(iface: InterfaceConfig, rate: ProbeRate): number {
  if (!iface.health.trafficEvidence) return FPING_SPACING_MS;
  const spread = Math.floor((probePeriodMs(iface, rate) - FPING_OVERHEAD_MS) / iface.trackIps.length);
  return Math.max(FPING_SPACING_MS, spread);
}

/** fping's arguments: `-l` (loop) with `periodMs`, or `-c count` for a fixed number of rounds */
export function fpingArgv(fping: string, iface: InterfaceConfig, mode: ProbeMode, rate: ProbeRate = 'fast',
  once?: { count: number; periodMs: number; waitMs: number }): string[] {
  const h = iface.health;
  const wait = once ? once.waitMs : h.trafficEvidence ? Math.max(h.timeoutMs, LATE_LISTEN_MS) : h.timeoutMs;
  const repeat = once ? ['-c', String(once.count)] : ['-l'];
  const period = once ? once.periodMs : probePeriodMs(iface, rate);
  const spacing = once ? FPING_SPACING_MS : probeSpacingMs(iface, rate);
  const argv = [fping, iface.family === 'ipv6' ? '-6' : '-4', ...repeat, '-p', String(period), '-t', String(wait), '-i', String(spacing), '-I', iface.device];
  if (mode.fwmark) argv.push('-k', String(MWAN3_PROBE_MARK));
  argv.push(...iface.trackIps);
  return argv;
}

export function fpingEnv(iface: InterfaceConfig, mode: ProbeMode, base: Record<string, string | undefined>): Record<string, string> | undefined {
  if (!mode.wrap) return undefined;
  // The variables mwan3track sets for its preload library (docs/mwan3.md, "The tracker").
  const env: Record<string, string> = {
    FAMILY: iface.family,
    DEVICE: iface.device,
    FWMARK: `0x${MWAN3_PROBE_MARK.toString(16)}`,
    LD_PRELOAD: MWAN3_WRAP_LIB,
  };
  if (base.PATH) env.PATH = base.PATH;
  return env;
}

export interface ProberDeps {
  spawner: Spawner;
  clock: Clock;
  fs: FileSystem;
  signals: Signals;
  log: Log;
  runDir: string;
  fpingPath: string;
  mode: ProbeMode;
  env: Record<string, string | undefined>;
  emit: (e: CoreEvent) => void;
}

/** a start refused because fping's check is being renewed (txiki.js) is retried this often */
const NOT_CHECKED_RETRY_MS = 20;
const NOT_CHECKED_TRIES = 25;

export class Prober {
  private child: ChildProcess | null = null;
  private seq: Sequencer | null = null;
  private deadlineTimer: TimerHandle | null = null;
  private armedFor = NaN;
  /** when the armed timer should fire (armedFor, or soon when that has passed) */
  private fireAt = NaN;
  private restartTimer: TimerHandle | null = null;
  private backoffMs = BACKOFF_MIN_MS;
  private startedAt = 0;
  private stopped = false;
  private lastStderr = '';
  private rate: ProbeRate = 'fast';
  private notChecked = 0;

  constructor(private readonly d: ProberDeps, readonly iface: InterfaceConfig) {}

  private get pidFile(): string { return `${this.d.runDir}/fping-${this.iface.name}.pid`; }

  /** Ends an fping left behind by an earlier instance (kill -9 of the daemon). */
  async endStray(): Promise<void> {
    const text = await this.d.fs.readText(this.pidFile);
    const pid = Number(text?.trim());
    if (!Number.isInteger(pid) || pid <= 1) return;
    const cmd = await this.d.fs.readText(`/proc/${pid}/cmdline`);
    if (cmd && cmd.includes('fping')) {
      this.d.log.info(`${this.iface.name}: ending fping ${pid} left by an earlier instance`);
      this.d.signals.kill(pid, 'SIGTERM');
    }
    await this.d.fs.remove(this.pidFile);
  }

  start(): void {
    this.stopped = false;
    this.spawn();
  }

  /** Probe at another rate: the running fping is replaced by one with the new period (a process
   *  per change of rate, never per probe). */
  setRate(rate: ProbeRate): void {
    if (rate === this.rate) return;
    this.rate = rate;
    const old = this.child;
    if (this.stopped || !old) return; // a pending restart starts at the new rate
    this.child = null;
    this.seq = null;
    if (this.deadlineTimer) this.d.clock.clearTimer(this.deadlineTimer);
    this.deadlineTimer = null;
    old.kill('SIGTERM');
    this.spawn();
  }

  private spawn(): void {
    const { d, iface } = this;
    const argv = fpingArgv(d.fpingPath, iface, d.mode, this.rate);
    const env = fpingEnv(iface, d.mode, d.env);
    const at = d.clock.nowMs();
    let child: ChildProcess;
    try {
      child = d.spawner.spawn(argv, { env, stdout: 'pipe', stderr: 'pipe' });
    } catch (e) {
      // txiki.js: fping's check is being renewed (a few ms): not a death, start it once checked
      if ((e as { code?: string }).code === 'EAGAIN' && this.notChecked++ < NOT_CHECKED_TRIES) {
        this.restartTimer = d.clock.setTimer(NOT_CHECKED_RETRY_MS, () => {
          this.restartTimer = null;
          if (!this.stopped && !this.child) this.spawn();
        });
        return;
      }
      this.notChecked = 0;
      this.failed(`cannot start ${argv[0]}: ${(e as Error).message}`);
      return;
    }
    this.notChecked = 0;
    this.child = child;
    this.startedAt = at;
    this.lastStderr = '';
    this.seq = new Sequencer(iface.trackIps, {
      intervalMs: probePeriodMs(iface, this.rate), timeoutMs: iface.health.timeoutMs,
      graceMs: GRACE_MS, startupMs: 100, spacingMs: probeSpacingMs(iface, this.rate),
    }, at);
    d.log.debug(() => `${iface.name}: started fping ${child.pid}: ${argv.join(' ')}`);
    void d.fs.writeAtomic(this.pidFile, `${child.pid}\n`).catch(() => undefined);
    d.emit({ kind: 'proberStarted', iface: iface.name, at });
    child.onStdoutLine((line) => this.onLine(child, line));
    child.onStderrLine((line) => {
      // ICMP errors ("ICMP Host Unreachable from …") are normal on a dead path; keep the last
      // line for the death report.
      if (line.trim()) this.lastStderr = line.trim();
      d.log.debug(() => `${iface.name}: fping: ${line}`);
    });
    this.armDeadline();
    void child.exited.then((st) => {
      if (this.child !== child) return;
      this.child = null;
      if (this.stopped) return;
      const how = st.signal ? `killed by ${st.signal}` : `exited with status ${st.code}`;
      this.failed(`fping ${how}${this.lastStderr ? `: ${this.lastStderr}` : ''}`);
    });
  }

  private onLine(child: ChildProcess, line: string): void {
    if (this.child !== child || !this.seq) return;
    const parsed = parseFpingLine(line);
    if (parsed.kind === 'other') return;
    const at = this.d.clock.nowMs();
    if (parsed.kind === 'timeout') { this.deliver(this.seq.timedOut(parsed.target, parsed.seq, at), at); return; }
    const late = this.seq.late;
    const results = this.seq.reply(parsed.target, parsed.seq, parsed.rttMs, at);
    // the probe's own (lost) result first, then that it was answered late
    this.deliver(results, at);
    if (this.seq.late !== late) this.d.emit({ kind: 'lateReply', iface: this.iface.name, target: parsed.target, seq: parsed.seq, rttMs: parsed.rttMs, at });
  }

  private deliver(results: ReturnType<Sequencer['due']>, at: number): void {
    for (const r of results) {
      this.d.emit({ kind: 'probeResult', iface: this.iface.name, target: r.target, seq: r.seq, ok: r.rttMs !== null, rttMs: r.rttMs, sentAt: r.sentAt, at });
    }
    if (results.length) this.armDeadline();
  }

  /** One timer at the next deadline (not a fixed tick): detection is not delayed by polling. */
  private armDeadline(): void {
    if (!this.seq || this.stopped) return;
    const deadline = this.seq.nextDeadline();
    // the hot path: most results leave the earliest deadline where it was; keep that timer
    if (this.deadlineTimer && deadline === this.armedFor) return;
    if (this.deadlineTimer) this.d.clock.clearTimer(this.deadlineTimer);
    this.armedFor = deadline;
    const wait = Math.max(1, deadline - this.d.clock.nowMs());
    this.fireAt = this.d.clock.nowMs() + wait;
    this.deadlineTimer = this.d.clock.setTimer(wait, () => {
      this.deadlineTimer = null;
      if (!this.seq) return;
      const at = this.d.clock.nowMs();
      if (at - this.fireAt > STALL_MS) {
        // Woken from a stall: timers run before the poll phase reads the pipe, so fping's answers
        // of the stalled time are still unread. Judge only after they have been read.
        this.d.log.debug(() => `${this.iface.name}: daemon stalled for ${Math.round(at - this.fireAt)} ms: reading fping's buffered replies first`);
        this.seq.hold(at + WAKE_MS);
      } else {
        this.deliver(this.seq.due(at), at);
      }
      if (!this.deadlineTimer) this.armDeadline();
    });
  }

  private failed(reason: string): void {
    const { d } = this;
    const at = d.clock.nowMs();
    this.seq = null;
    if (this.deadlineTimer) d.clock.clearTimer(this.deadlineTimer);
    this.deadlineTimer = null;
    if (this.startedAt && at - this.startedAt > STABLE_MS) this.backoffMs = BACKOFF_MIN_MS;
    d.log.warn(`${this.iface.name}: ${reason}; restarting in ${(this.backoffMs / 1000).toFixed(1)} s`);
    d.emit({ kind: 'proberDied', iface: this.iface.name, reason, at });
    const wait = this.backoffMs;
    this.backoffMs = Math.min(BACKOFF_MAX_MS, this.backoffMs * 2);
    this.restartTimer = d.clock.setTimer(wait, () => {
      this.restartTimer = null;
      if (!this.stopped) this.spawn();
    });
  }

  /** Ends fping (TERM, then KILL) and waits for it, bounded. */
  async stop(): Promise<void> {
    this.stopped = true;
    if (this.deadlineTimer) this.d.clock.clearTimer(this.deadlineTimer);
    if (this.restartTimer) this.d.clock.clearTimer(this.restartTimer);
    this.deadlineTimer = this.restartTimer = null;
    const child = this.child;
    this.child = null;
    this.seq = null;
    if (child) {
      child.kill('SIGTERM');
      let timer: TimerHandle | null = null;
      const killed = await Promise.race([
        child.exited.then(() => true),
        new Promise<boolean>((r) => { timer = this.d.clock.setTimer(500, () => r(false)); }),
      ]);
      if (timer) this.d.clock.clearTimer(timer);
      if (!killed) child.kill('SIGKILL');
    }
    await this.d.fs.remove(this.pidFile).catch(() => undefined);
  }

  get pid(): number | null { return this.child?.pid ?? null; }
}
