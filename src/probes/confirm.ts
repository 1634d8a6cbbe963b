// Quick probes that confirm a cut the uplink's own traffic suggests (a running flow stopped,
// src/core/uplink.ts). One short-lived `fping -c 3` per confirmation, to every target, bound to the
// device like the prober: packets 25 ms apart, each waiting a few RTTs of this line. It reports
// `confirmed` as soon as enough targets answered, or when the last probe's wait is over (fping is
// then ended if still running). One confirmation at a time per uplink; a process per confirmation
// (a change of state), never per probe.
import { FPING_SPACING_MS } from '../config/feasibility.ts';
import type { InterfaceConfig } from '../config/types.ts';
import { CONFIRM_PROBES } from '../core/uplink.ts';
import type { ChildProcess, TimerHandle } from '../platform/ports.ts';
import { fpingArgv, fpingEnv, type ProberDeps } from './fping-driver.ts';
import { parseFpingLine } from './fping-parse.ts';

/** slack for process start and pipe delays after the last probe's wait */
const SLACK_MS = 30;

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
    const need = Math.min(iface.health.reliability, iface.trackIps.length);
    let lastError = '';
    /** `failed`: fping itself could not probe (bad device, no permission), which proves nothing */
    const finish = (failed = false) => {
      if (this.child !== child) return;
      this.child = null;
      if (this.timer) d.clock.clearTimer(this.timer);
      this.timer = null;
      child.kill('SIGTERM');
      if (failed) d.log.warn(`${iface.name}: quick probes failed${lastError ? `: ${lastError}` : ''}`);
      d.emit({ kind: 'confirmed', iface: iface.name, answered: failed ? null : answered.size, at: d.clock.nowMs() });
    };
    child.onStdoutLine((line) => {
      const r = parseFpingLine(line);
      if (r.kind !== 'reply' || r.rttMs > waitMs || !iface.trackIps.includes(r.target)) return;
      answered.add(r.target);
      if (answered.size >= need) finish();
    });
    child.onStderrLine((line) => { if (line.trim() && !line.includes('xmt/rcv')) lastError = line.trim().slice(0, 200); });
    this.timer = d.clock.setTimer((CONFIRM_PROBES - 1) * periodMs + waitMs + SLACK_MS, () => finish());
    // fping exits 0 (all answered) or 1 (some did not); 2 and above, or a signal not ours, is
    // fping failing
    void child.exited.then((st) => finish(st.signal !== null || (st.code !== null && st.code >= 2)));
  }

  stop(): void {
    const child = this.child;
    this.child = null;
    if (this.timer) this.d.clock.clearTimer(this.timer);
    this.timer = null;
    child?.kill('SIGTERM');
  }
}
