// The run directory (/var/run/wanpulse: status file, ownership record, fping pid files) is not
// needed to probe: when it cannot be created the daemon runs on, says once what that costs, and
// the backends refuse to take an uplink out without the ownership record (so nothing can stay
// forced offline after a crash).
import type { Log } from '../platform/ports.ts';

export function warnRunDir(log: Log, runDir: string, e: unknown): void {
  const why = (e as { code?: string })?.code ?? (e as Error)?.message ?? String(e);
  log.warn(`cannot create the run directory ${runDir} (${why}): running without the status file, the ownership record and fping pid files; uplinks are not taken out of rotation until it can be written`);
}
