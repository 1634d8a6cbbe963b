// Samples the packet counters of every tracked uplink device every SAMPLE_MS and emits them as
// timestamped `counterSample` events; the core decides what they prove (src/core/evidence.ts).
// One timer and one read of /proc/net/dev per sample for all uplinks (the kernel's table of every
// device's counters in this network namespace), through a file kept open (the FileSystem port's
// openPolled: plain reads, the same under txiki.js, no process spawned). Per device and counter
// in /sys/class/net/<dev>/statistics that would be two reads per uplink per sample; on a slow
// router each async read is the larger part of the sampler's cost. A device that is missing
// yields no sample, which proves nothing, so probes alone decide, as without evidence.
import type { CoreEvent } from '../core/events.ts';
import type { Clock, FileSystem, PolledFile, TimerHandle } from '../platform/ports.ts';

export const SAMPLE_MS = 100;
export const NET_DEV = '/proc/net/dev';
/** /proc/net/dev with many devices (a router with VLANs, bridges, tunnels): ~130 bytes each, ~500 of them */
const NET_DEV_MAX_BYTES = 64 * 1024;

/** rx and tx packets per device from /proc/net/dev text, for the devices asked for */
export function parseNetDev(text: string, want: ReadonlyMap<string, unknown>): Map<string, { rx: number; tx: number }> {
  const out = new Map<string, { rx: number; tx: number }>();
  let start = 0;
  for (let guard = 0; guard < 100_000 && start < text.length && out.size < want.size; guard++) {
    let end = text.indexOf('\n', start);
    if (end < 0) end = text.length;
    const colon = text.indexOf(':', start);
    if (colon > start && colon < end) {
      const name = text.slice(start, colon).trim();
      if (want.has(name)) {
        // face: rx bytes packets errs drop fifo frame compressed multicast | tx bytes packets …
        const f = text.slice(colon + 1, end).trim().split(/\s+/);
        const rx = Number(f[1]);
        const tx = Number(f[9]);
        // all 16 fields: a line cut short (a read that ended inside it) proves nothing
        if (f.length >= 16 && Number.isFinite(rx) && Number.isFinite(tx)) out.set(name, { rx, tx });
      }
    }
    start = end + 1;
  }
  return out;
}

export class CounterSampler {
  private timer: TimerHandle | null = null;
  private busy = false;
  private next = 0;
  /** device → the uplinks on it */
  private readonly devices = new Map<string, string[]>();
  private file: PolledFile | null = null;

  constructor(private readonly fs: FileSystem, private readonly clock: Clock, private readonly emit: (e: CoreEvent) => void,
    private readonly path = NET_DEV) {}

  /** Samples this uplink's device from the next period on (the first add starts the timer). */
  add(iface: string, device: string): void {
    this.remove(iface);
    const list = this.devices.get(device);
    if (list) list.push(iface);
    else this.devices.set(device, [iface]);
    if (this.file) return;
    this.file = this.fs.openPolled(this.path, { maxBytes: NET_DEV_MAX_BYTES });
    this.next = this.clock.nowMs();
    this.arm();
  }

  remove(iface: string): void {
    for (const [device, list] of this.devices) {
      const i = list.indexOf(iface);
      if (i < 0) continue;
      list.splice(i, 1);
      if (list.length === 0) this.devices.delete(device);
    }
    if (this.devices.size === 0) this.stop();
  }

  stop(): void {
    this.devices.clear();
    if (this.timer) this.clock.clearTimer(this.timer);
    this.timer = null;
    void this.file?.close();
    this.file = null;
  }

  private arm(): void {
    if (!this.file) return;
    // absolute schedule; after a stall, start again from now instead of catching up
    const now = this.clock.nowMs();
    this.next = Math.max(this.next + SAMPLE_MS, now + 1);
    this.timer = this.clock.setTimer(this.next - now, () => {
      this.timer = null;
      void this.sample();
      this.arm();
    });
  }

  async sample(): Promise<void> {
    const file = this.file;
    if (this.busy || !file) return; // a slow read: skip, never queue
    this.busy = true;
    try {
      // read only as far as the lines of our devices (one read on most routers)
      let counts: Map<string, { rx: number; tx: number }> | null = null;
      const text = await file.read((t) => (counts = parseNetDev(t, this.devices)).size === this.devices.size);
      if (text === null || this.file !== file) return;
      const at = this.clock.nowMs();
      for (const [device, c] of counts ?? parseNetDev(text, this.devices)) {
        for (const iface of this.devices.get(device) ?? []) this.emit({ kind: 'counterSample', iface, rxPackets: c.rx, txPackets: c.tx, at });
      }
    } catch {
      // unreadable: no sample, no evidence
    } finally {
      this.busy = false;
    }
  }
}
