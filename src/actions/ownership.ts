// The ownership record: which interfaces this wanpulse forced out of rotation, and since when.
// Invariant: an interface is written here *before* it is forced down and removed only *after*
// it was handed back, so a crash at any point leaves enough to undo on the next start.
import type { FileSystem } from '../platform/ports.ts';

export interface OwnedEntry {
  /** epoch ms when wanpulse took the interface */
  since: number;
  device: string;
  mark: number;
}

export interface OwnershipFile {
  version: 1;
  backend: string;
  pid: number;
  owned: Record<string, OwnedEntry>;
}

export class Ownership {
  private data: OwnershipFile;
  private saving: Promise<void> = Promise.resolve();

  constructor(
    private readonly fs: FileSystem,
    private readonly path: string,
    backend: string,
    pid: number,
  ) {
    this.data = { version: 1, backend, pid, owned: {} };
  }

  /** What an earlier instance left behind (empty when there is no or an unreadable record). */
  async loadPrevious(): Promise<OwnershipFile | null> {
    const text = await this.fs.readText(this.path);
    if (text === null) return null;
    try {
      const parsed = JSON.parse(text) as OwnershipFile;
      if (parsed && typeof parsed === 'object' && parsed.owned && typeof parsed.owned === 'object') return parsed;
    } catch { /* a torn or foreign file: treat as empty, but the caller logs it */ }
    return { version: 1, backend: 'unknown', pid: 0, owned: {} };
  }

  owns(iface: string): boolean {
    return iface in this.data.owned;
  }

  list(): string[] {
    return Object.keys(this.data.owned);
  }

  entry(iface: string): OwnedEntry | undefined {
    return this.data.owned[iface];
  }

  async add(iface: string, entry: OwnedEntry): Promise<void> {
    this.data.owned[iface] = entry;
    await this.save();
  }

  async remove(iface: string): Promise<void> {
    if (!(iface in this.data.owned)) return;
    delete this.data.owned[iface];
    await this.save();
  }

  async save(): Promise<void> {
    // Written before every take-down, so it stands in front of the routing change. No fsync: the
    // record undoes what a crashed wanpulse left in the kernel and in mwan3, and none of that
    // survives a reboot (a power loss), so the record need not either. On a run directory on disk
    // (the lab's) the fsync cost 19 ms median, 69 ms p95 under load; on tmpfs nothing.
    // One write at a time, each of the record as it is when that write begins: two uplinks taken
    // down (or handed back) at once would otherwise share the temporary file of the atomic write.
    const run = this.saving.then(() => this.fs.writeAtomic(this.path, JSON.stringify(this.data) + '\n', { durable: false }));
    this.saving = run.catch(() => undefined);
    await run;
  }
}
