// A program a test needs, by name: its absolute path, or an Error that names it. Called inside a
// test body, a missing program fails that test with the program's name instead of ending the file
// with an unhandled spawn error.
import { statSync } from 'node:fs';
import { join } from 'node:path';

const DIRS = ['/usr/local/sbin', '/usr/local/bin', '/usr/sbin', '/usr/bin', '/sbin', '/bin'];

export function program(name: string): string {
  for (const d of [...(process.env.PATH ?? '').split(':').filter(Boolean), ...DIRS]) {
    const p = join(d, name);
    try { if (statSync(p).isFile()) return p; } catch { /* next */ }
  }
  throw new Error(`'${name}' is not installed: build/deps-debian.txt lists it; run 'node build/ensure-deps.mjs' as root`);
}
