// A clock whose time only moves when a test says so. advance(ms) fires due timers in time order,
// including timers set by the callbacks it fires.
import type { Clock, TimerHandle } from '../../src/platform/ports.ts';

interface Pending { id: number; at: number; fn: () => void }

export class FakeClock implements Clock {
  private t = 0;
  private seq = 0;
  private timers: Pending[] = [];

  constructor(private readonly wallBase = Date.UTC(2026, 10, 25, 12, 0, 0)) {}

  nowMs(): number { return this.t; }
  wallMs(): number { return this.wallBase + this.t; }

  setTimer(ms: number, fn: () => void): TimerHandle {
    const id = ++this.seq;
    this.timers.push({ id, at: this.t + Math.max(0, ms), fn });
    return { id };
  }

  clearTimer(handle: TimerHandle): void {
    this.timers = this.timers.filter((p) => p.id !== handle.id);
  }

  pendingCount(): number { return this.timers.length; }

  /** A stalled process (SIGSTOP): time passes, no timer fires until the next advance(). */
  jump(ms: number): void { this.t += ms; }

  /** Moves time forward, firing every timer that falls due on the way, in order. */
  advance(ms: number): void {
    const end = this.t + ms;
    for (let guard = 0; guard < 1_000_000; guard++) {
      this.timers.sort((a, b) => a.at - b.at || a.id - b.id);
      const next = this.timers[0];
      if (!next || next.at > end) break;
      this.timers.shift();
      this.t = Math.max(this.t, next.at);
      next.fn();
    }
    this.t = end;
  }
}
