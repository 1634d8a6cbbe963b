// Watchers that turn polled state into timeline entries: the daemon's status file (its decisions,
// with the daemon's own timestamps) and the kernel's default route in main (what actually changed).
import type { StatusSnapshot, TransitionEvent } from '../../src/status/model.ts';
import { readStatus, type Daemon } from './daemon.ts';
import { routedDevices, type Lab } from './topology.ts';

export interface RouteChange {
  /** epoch ms when the poll saw it (poll period bounds the error) */
  at: number;
  /** wanpulse interface names in the default route */
  uplinks: string[];
}

/** Polls `ip route show default` in main every periodMs. */
export class RouteWatch {
  readonly changes: RouteChange[] = [];
  private timer: NodeJS.Timeout | null = null;
  private busy = false;
  private last = '';

  constructor(private readonly lab: Lab, private readonly onChange?: (c: RouteChange) => void) {}

  start(periodMs = 20): void {
    if (this.timer) return;
    this.timer = setInterval(() => { void this.poll(); }, periodMs);
  }

  stop(): void {
    if (this.timer) clearInterval(this.timer);
    this.timer = null;
  }

  current(): string[] {
    return this.changes.at(-1)?.uplinks ?? [];
  }

  /** First change at or after sinceMs whose uplinks satisfy pred. */
  find(sinceMs: number, pred: (uplinks: string[]) => boolean): RouteChange | undefined {
    return this.changes.find((c) => c.at >= sinceMs && pred(c.uplinks));
  }

  async poll(): Promise<void> {
    if (this.busy) return;
    this.busy = true;
    try {
      const devs = await routedDevices(this.lab);
      const names = devs.map((d) => this.lab.uplinks.find((u) => u.mainDev === d)?.name ?? d).sort();
      const key = names.join(',');
      if (key !== this.last) {
        this.last = key;
        const c = { at: Date.now(), uplinks: names };
        this.changes.push(c);
        this.onChange?.(c);
      }
    } finally {
      this.busy = false;
    }
  }
}

/** Polls the status file; reports every new transition event and every new switch record. */
type SwitchRecord = NonNullable<StatusSnapshot['uplinks'][number]['lastSwitch']>;

export class StatusWatch {
  readonly transitions: TransitionEvent[] = [];
  /** every switch record the status file showed, in the order seen */
  readonly switches: { iface: string; record: SwitchRecord }[] = [];
  latest: StatusSnapshot | null = null;
  private timer: NodeJS.Timeout | null = null;
  private seen = new Set<string>();
  private states = new Map<string, string>();

  constructor(private readonly daemon: Daemon, private readonly on: {
    transition?: (t: TransitionEvent) => void;
    switched?: (iface: string, sw: SwitchRecord) => void;
  } = {}) {}

  start(periodMs = 25): void {
    if (!this.timer) this.timer = setInterval(() => this.poll(), periodMs);
  }

  stop(): void {
    if (this.timer) clearInterval(this.timer);
    this.timer = null;
  }

  poll(): void {
    const s = readStatus(this.daemon);
    if (!s) return;
    this.latest = s;
    const ev = s.lastEvent;
    if (ev) {
      const key = `t:${ev.iface}:${ev.at}:${ev.to}`;
      if (!this.seen.has(key)) {
        this.seen.add(key);
        this.transitions.push(ev);
        this.on.transition?.(ev);
      }
    }
    // two transitions between polls leave only the last in lastEvent: the per-uplink state fills in
    for (const u of s.uplinks) {
      const prev = this.states.get(u.iface);
      this.states.set(u.iface, u.state);
      const known = this.transitions.some((t) => t.iface === u.iface && t.to === u.state && Math.abs(t.at - u.since) < 1000);
      if (prev !== undefined && prev !== u.state && !known) {
        const t: TransitionEvent = { iface: u.iface, from: prev as TransitionEvent['from'], to: u.state, reason: u.reason, detectMs: null, at: u.since };
        this.seen.add(`t:${u.iface}:${u.since}:${u.state}`);
        this.transitions.push(t);
        this.on.transition?.(t);
      }
    }
    for (const u of s.uplinks) {
      if (!u.lastSwitch) continue;
      const key = `s:${u.iface}:${u.lastSwitch.at}:${u.lastSwitch.direction}`;
      if (!this.seen.has(key)) {
        this.seen.add(key);
        this.switches.push({ iface: u.iface, record: u.lastSwitch });
        this.on.switched?.(u.iface, u.lastSwitch);
      }
    }
  }

  /** The first switch of iface in `direction` decided at or after sinceMs. */
  findSwitch(iface: string, direction: 'down' | 'up', sinceMs: number): SwitchRecord | undefined {
    return this.switches.find((x) => x.iface === iface && x.record.direction === direction && x.record.at >= sinceMs)?.record;
  }

  /** Transitions of iface to `to` decided at or after sinceMs. */
  find(iface: string, to: string, sinceMs: number): TransitionEvent | undefined {
    return this.transitions.find((t) => t.iface === iface && t.to === to && t.at >= sinceMs);
  }
}
