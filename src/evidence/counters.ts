// Samples an uplink device's packet counters (/sys/class/net/<dev>/statistics) every SAMPLE_MS
// through the FileSystem port (plain file reads: the same under txiki.js, no process spawned) and
// emits them as timestamped `counterSample` events; the core decides what they prove
// (src/core/evidence.ts). A device that is missing or unreadable yields no sample, which proves
// nothing, so probes alone decide, as without evidence.
import type { CoreEvent } from '../core/events.ts';
import type { Clock, FileSystem, PolledFile, TimerHandle } from '../platform/ports.ts';

export const SAMPLE_MS = 100;

export function statisticsPath(device: string, counter: 'rx_packets' | 'tx_packets'): string {
  return `/sys/class/net/${device}/statistics/${counter}`;
}

export class CounterSampler {
  private timer: TimerHandle | null = null;
  private busy = false;
  private stopped = true;
  private next = 0;
  private readonly rxPath: string;
  private readonly txPath: string;
  /** open from start() to stop(): each sample is one read from offset 0, no open/stat/close */
  private files: [PolledFile, PolledFile] | null = null;

  constructor(private readonly fs: FileSystem, private readonly clock: Clock, readonly iface: string, device: string,
    private readonly emit: (e: CoreEvent) => void) {
    this.rxPath = statisticsPath(device, 'rx_packets');
    this.txPath = statisticsPath(device, 'tx_packets');
  }

  start(): void {
    this.stopped = false;
    this.files ??= [this.fs.openPolled(this.rxPath), this.fs.openPolled(this.txPath)];
    this.next = this.clock.nowMs();
    this.arm();
  }

  stop(): void {
    this.stopped = true;
    if (this.timer) this.clock.clearTimer(this.timer);
    this.timer = null;
    for (const f of this.files ?? []) void f.close();
    this.files = null;
  }

  private arm(): void {
    if (this.stopped) return;
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
    const files = this.files;
    if (this.busy || !files) return; // a slow read: skip, never queue
    this.busy = true;
    try {
      const [rx, tx] = await Promise.all([files[0].read(), files[1].read()]);
      const rxPackets = Number(rx);
      const txPackets = Number(tx);
      if (this.stopped || rx === null || tx === null || !Number.isFinite(rxPackets) || !Number.isFinite(txPackets)) return;
      this.emit({ kind: 'counterSample', iface: this.iface, rxPackets, txPackets, at: this.clock.nowMs() });
    } catch {
      // unreadable: no sample, no evidence
    } finally {
      this.busy = false;
    }
  }
}
