// Is the configured fping really fping? Any program passed before (`option fping '/bin/true'`
// exited at once and was restarted forever, "exited with status 0"), and a shebang-less text
// file ran through /bin/sh under Node but was "not found" under txiki.js. At start, `fping -v`
// must run (the spawner refuses what is not an ELF binary or #! script, alike in both runtimes)
// and name fping and its version; otherwise the daemon exits 2, like for a missing fping.
import { quote } from '../config/quote.ts';
import type { Spawner } from '../platform/ports.ts';

// fping names itself by its argv[0]: `fping: Version 5.1`, `/usr/bin/fping: Version 5.1`
const VERSION_RE = /^(\S+): Version (\d+)\.(\d+)/m;

/** fping's version as major·100 + minor, or the message to exit with. */
export async function checkFping(spawner: Spawner, fping: string): Promise<{ version: number } | { error: string }> {
  let out: string;
  try {
    const r = await spawner.run([fping, '-v'], { timeoutMs: 3000 });
    out = r.stdout + r.stderr;
  } catch (e) {
    if ((e as { code?: string }).code === 'ENOENT') {
      return { error: `fping not found at ${fping}: install it (OpenWrt: opkg install fping; Debian: apt-get install fping) or set option fping` };
    }
    return { error: `${fping} cannot be started as fping: ${(e as Error).message}` };
  }
  const m = VERSION_RE.exec(out);
  if (!m || !(m[1] === fping || /(^|\/)fping$/.test(m[1]!))) return { error: `${fping} is not fping: '${fping} -v' printed ${quote(out.trim(), 80)}, not "fping: Version N.N" (set option fping to fping's path)` };
  return { version: Number(m[2]) * 100 + Number(m[3]) };
}
