// A short history of every uplink for graphs (LuCI's status page reads it through rpcd):
// RTT, loss and state sampled every `sampleMs`, plus the transitions, kept in fixed-size rings
// so memory stays bounded on a small router (defaults: 150 samples = 5 minutes per uplink,
// 40 transitions). Fed with the status snapshots the daemon builds anyway; the file
// (`<run dir>/history.json`) is written at most once per sample, never while a write is pending.
import type { FileSystem } from '../platform/ports.ts';
import type { StatusSnapshot, UplinkState } from './model.ts';

export const HISTORY_SAMPLE_MS = 2000;
export const HISTORY_SAMPLES = 150;
export const HISTORY_TRANSITIONS = 40;

/** one letter per state in the file: compact, and still readable */
const STATE_CODE: Record<UplinkState, string> = { online: 'o', degraded: 'd', offline: 'x', unknown: 'u' };

export interface HistoryTransition {
  iface: string;
  /** epoch ms */
  at: number;
  from: UplinkState;
  to: UplinkState;
  reason: string;
}

/** The file's shape. Sample i of an uplink was taken at `t[i]` ms after `base`. */
export interface HistoryFile {
  v: 1;
  sampleMs: number;
  /** epoch ms all sample times are relative to */
  base: number;
  uplinks: { iface: string; t: number[]; rtt: (number | null)[]; loss: (number | null)[]; state: string }[];
  transitions: HistoryTransition[];
}

/** A ring of at most `size` items, oldest first when read. */
class Ring<T> {
  private items: T[] = [];
  private head = 0;
  constructor(private readonly size: number) {}
  push(v: T): void {
    if (this.items.length < this.size) this.items.push(v);
    else { this.items[this.head] = v; this.head = (this.head + 1) % this.size; }
  }
  list(): T[] { return [...this.items.slice(this.head), ...this.items.slice(0, this.head)]; }
  get length(): number { return this.items.length; }
}

interface Sample { at: number; rtt: number | null; loss: number | null; state: UplinkState }

export interface HistoryOptions {
  sampleMs?: number;
  samples?: number;
  transitions?: number;
}

export class StatusHistory {
  private readonly sampleMs: number;
  private readonly samples: number;
  private readonly rings = new Map<string, Ring<Sample>>();
  private readonly lastState = new Map<string, UplinkState>();
  private readonly transitions: Ring<HistoryTransition>;
  private lastSampleAt = -Infinity;
  private writing = false;

  constructor(private readonly fs: FileSystem, private readonly path: string, o: HistoryOptions = {}) {
    this.sampleMs = o.sampleMs ?? HISTORY_SAMPLE_MS;
    this.samples = o.samples ?? HISTORY_SAMPLES;
    this.transitions = new Ring(o.transitions ?? HISTORY_TRANSITIONS);
  }

  /** Called with every snapshot: transitions are noted at once, samples at most every sampleMs. */
  record(snap: StatusSnapshot): void {
    const now = snap.updatedAt;
    for (const u of snap.uplinks) {
      const before = this.lastState.get(u.iface);
      if (before !== undefined && before !== u.state) {
        this.transitions.push({ iface: u.iface, at: u.since, from: before, to: u.state, reason: u.reason });
      }
      this.lastState.set(u.iface, u.state);
    }
    // a wall clock stepped back (NTP) must not stop sampling
    if (now - this.lastSampleAt < this.sampleMs && now >= this.lastSampleAt) return;
    this.lastSampleAt = now;
    const present = new Set(snap.uplinks.map((u) => u.iface));
    for (const name of [...this.rings.keys()]) {
      if (!present.has(name)) { this.rings.delete(name); this.lastState.delete(name); }
    }
    for (const u of snap.uplinks) {
      let ring = this.rings.get(u.iface);
      if (!ring) { ring = new Ring(this.samples); this.rings.set(u.iface, ring); }
      ring.push({ at: now, rtt: u.rttMs, loss: u.lossPct, state: u.state });
    }
    void this.write();
  }

  toJSON(): HistoryFile {
    const all = [...this.rings.values()].flatMap((r) => r.list());
    const base = all.length ? Math.min(...all.map((s) => s.at)) : 0;
    return {
      v: 1,
      sampleMs: this.sampleMs,
      base,
      uplinks: [...this.rings].map(([iface, ring]) => {
        const list = ring.list();
        return {
          iface,
          t: list.map((s) => s.at - base),
          rtt: list.map((s) => s.rtt),
          loss: list.map((s) => s.loss),
          state: list.map((s) => STATE_CODE[s.state]).join(''),
        };
      }),
      transitions: this.transitions.list().filter((t) => this.rings.has(t.iface)),
    };
  }

  private async write(): Promise<void> {
    if (this.writing) return; // the next sample writes again
    this.writing = true;
    try {
      await this.fs.writeAtomic(this.path, JSON.stringify(this.toJSON()) + '\n');
    } catch {
      // the status file's writer already reports an unwritable run dir
    } finally {
      this.writing = false;
    }
  }
}
