// A FileSystem in memory, for tests that exercise code at the Fs port. Directories are implicit
// (a path prefix); `onWrite` lets a test record the order of writes among other events.
import type { FileSystem, PolledFile } from '../../src/platform/ports.ts';

export interface MemoryFsOptions {
  /** writes throw: proves the code under test only reads */
  readOnly?: boolean;
  onWrite?: (path: string) => void;
}

export class MemoryFs implements FileSystem {
  readonly files: Map<string, string>;

  constructor(initial: Record<string, string> = {}, private readonly o: MemoryFsOptions = {}) {
    this.files = new Map(Object.entries(initial));
  }

  private write(p: string, t: string): void {
    if (this.o.readOnly) throw new Error(`read-only: ${p}`);
    this.o.onWrite?.(p);
    this.files.set(p, t);
  }

  async readText(p: string) { return this.files.get(p) ?? null; }
  openPolled(p: string): PolledFile {
    let closed = false;
    return { read: async () => (closed ? null : this.files.get(p) ?? null), close: async () => { closed = true; } };
  }
  async writeAtomic(p: string, t: string) { this.write(p, t); }
  async writeText(p: string, t: string) { this.write(p, t); }
  async mkdirp() { if (this.o.readOnly) throw new Error('read-only'); }
  async remove(p: string) {
    if (this.o.readOnly) throw new Error('read-only');
    for (const k of [...this.files.keys()]) if (k === p || k.startsWith(p + '/')) this.files.delete(k);
  }
  async readDir(p: string) {
    const names = [...this.files.keys()].filter((k) => k.startsWith(p + '/')).map((k) => k.slice(p.length + 1).split('/')[0]!);
    return [...new Set(names)];
  }
  async exists(p: string) { return this.files.has(p) || [...this.files.keys()].some((k) => k.startsWith(p + '/')); }
}
