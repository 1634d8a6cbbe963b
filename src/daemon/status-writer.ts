// The status file (`<run dir>/status.json`, read by `wanpulse status`, rpcd and LuCI): written
// atomically on every change and at least once a second, never blocking its caller, one write at
// a time (a change during a write triggers one more), and a failure logged once per streak so a
// full or read-only /var/run does not flood the log.
import type { Clock, FileSystem, Log } from '../platform/ports.ts';
import type { StatusSnapshot } from '../status/model.ts';

export const STATUS_REFRESH_MS = 1000;

export class StatusWriter {
  private writing = false;
  private writeAgain = false;
  private failed = false;
  private lastWrite = -Infinity;

  constructor(
    private readonly fs: FileSystem,
    private readonly clock: Clock,
    private readonly log: Log,
    readonly path: string,
    private readonly snapshot: () => StatusSnapshot,
    private readonly publish: (snap: StatusSnapshot) => void,
  ) {}

  /** changed = false: the periodic refresh, skipped when a write happened within the period. */
  changed(changed: boolean): void {
    if (!changed && this.clock.nowMs() - this.lastWrite < STATUS_REFRESH_MS - 50) return;
    const snap = this.snapshot();
    this.publish(snap);
    void this.write(snap);
  }

  /** The last write on stop: awaited, best effort. */
  async final(): Promise<void> {
    try { await this.fs.writeAtomic(this.path, JSON.stringify(this.snapshot()) + '\n'); } catch { /* best effort */ }
  }

  private async write(snap: StatusSnapshot): Promise<void> {
    if (this.writing) { this.writeAgain = true; return; }
    this.writing = true;
    try {
      this.lastWrite = this.clock.nowMs();
      await this.fs.writeAtomic(this.path, JSON.stringify(snap) + '\n');
      this.failed = false;
    } catch (e) {
      if (!this.failed) this.log.warn(`cannot write ${this.path}: ${(e as Error).message}`);
      this.failed = true;
    } finally {
      this.writing = false;
    }
    if (this.writeAgain) { this.writeAgain = false; await this.write(this.snapshot()); }
  }
}
