// Quick probes that confirm a cut the uplink's own traffic suggests (a running flow stopped,
// src/core/uplink.ts). One short-lived `fping -c 2` per confirmation, to every target, bound to the
// device like the prober: packets 25 ms apart, each waiting a few RTTs of this line. It reports
// `confirmed` as soon as enough targets answered, or when fping has judged every probe. One confirmation at a time per uplink; a process per confirmation
// (a change of state), never per probe. A confirmation that cannot run, or does not finish,
// proves nothing (answered null): the ordinary rounds decide.
import { FPING_SPACING_MS } from '../config/feasibility.ts';
import type { InterfaceConfig } from '../config/types.ts';
import { CONFIRM_PROBES } from '../core/uplink.ts';
import type { ChildProcess, TimerHandle } from '../platform/ports.ts';
import { fpingArgv, fpingEnv, type ProberDeps } from './fping-driver.ts';
import { parseFpingLine } from './fping-parse.ts';

/** fping that has given no verdict by then is stuck: the confirmation proves nothing */
const GIVEUP_MS = 2500;

export type ConfirmerDeps = Pick<ProberDeps, 'spawner' | 'clock' | 'log' | 'fpingPath' | 'mode' | 'env' | 'emit'>;

export function confirmPeriodMs(iface: InterfaceConfig): number {
  return Math.max(25, iface.trackIps.length * FPING_SPACING_MS + 5);
}

export class Confirmer {
  private child: ChildProcess | null = null;
  private timer: TimerHandle | null = null;

  constructor(private readonly d: ConfirmerDeps, readonly iface: InterfaceConfig) {}

  get running(): boolean { return this.child !== null; }

  run(waitMs: number): void {
    if (this.child) return;
    const { d, iface } = this;
    const periodMs = confirmPeriodMs(iface);
    const argv = fpingArgv(d.fpingPath, iface, d.mode, 'fast', { count: CONFIRM_PROBES, periodMs, waitMs });
    let child: ChildProcess;
    try {
      child = d.spawner.spawn(argv, { env: fpingEnv(iface, d.mode, d.env), stdout: 'pipe', stderr: 'pipe' });
    } catch (e) {
      d.log.warn(`${iface.name}: cannot start quick probes: ${(e as Error).message}`);
      d.emit({ kind: 'confirmed', iface: iface.name, answered: null, at: d.clock.nowMs() });
      return;
    }
    this.child = child;
    const answered = new Set<string>();
    const resolved = new Map<string, number>();
    let verdicts = 0;
    const need = Math.min(iface.health.reliability, iface.trackIps.length);
    let lastError = '';
    /** `failed`: fping itself could not probe (bad device, no permission, never reported), which
     *  proves nothing */
    const finish = (failed = false, exited = false) => {
      if (this.child !== child) return;
      this.child = null;
      if (this.timer) d.clock.clearTimer(this.timer);
      this.timer = null;
      if (!exited) child.kill('SIGTERM'); // never signal a process that is gone
      if (failed) d.log.warn(`${iface.name}: quick probes failed${lastError ? `: ${lastError}` : ''}`);
      d.emit({ kind: 'confirmed', iface: iface.name, answered: failed ? null : answered.size, at: d.clock.nowMs() });
    };
    // Judged by fping's own verdict per probe (its reply with the RTT, or "timed out"), never by
    // our clock: on a loaded router fping may start late, and that must not count as loss.
    child.onStdoutLine((line) => {
      const r = parseFpingLine(line);
      if (r.kind === 'other' || !iface.trackIps.includes(r.target)) return;
      if (r.kind === 'reply' && r.rttMs <= waitMs) answered.add(r.target);
      const n = (resolved.get(r.target) ?? 0) + 1;
      resolved.set(r.target, n);
      if (n === CONFIRM_PROBES) verdicts++;
      if (answered.size >= need || verdicts === iface.trackIps.length) finish();
    });
    child.onStderrLine((line) => { if (line.trim() && !line.includes('xmt/rcv')) lastError = line.trim().slice(0, 200); });
    this.timer = d.clock.setTimer(GIVEUP_MS, () => finish(true));
    // when it ends, everything it printed has been read: exit 0 (all answered) or 1 (some did
    // not) is a verdict; 2 and above, or a signal not ours, is fping failing
    void child.exited.then((st) => finish(st.signal !== null || (st.code !== null && st.code >= 2), true));
  }

  stop(): void {
    const child = this.child;
    this.child = null;
    if (this.timer) this.d.clock.clearTimer(this.timer);
    this.timer = null;
    child?.kill('SIGTERM');
  }
}
