// What `wanpulse run` decides before anything runs: the configuration (with every problem
// printed), how probes get mwan3's mark, and which backend executes the plan.
import type { Backend } from '../actions/backend.ts';
import { createMwan3Backend } from '../actions/mwan3/backend.ts';
import { createNoneBackend } from '../actions/none-backend.ts';
import { createRouteBackend } from '../actions/route/backend.ts';
import { formatProblems, loadConfig } from '../config/load.ts';
import type { Config } from '../config/types.ts';
import type { Log, Platform } from '../platform/ports.ts';
import { checkFping } from '../probes/fping-check.ts';
import { MWAN3_WRAP_LIB, type ProbeMode } from '../probes/fping-driver.ts';

export const EXIT_OK = 0;
export const EXIT_CONFIG = 1;
export const EXIT_DEPENDENCY = 2;

export interface DaemonOptions {
  configDir: string;
  runDir: string;
}

export function createBackend(p: Platform, log: Log, config: Config, runDir: string): Backend {
  const g = config.global;
  switch (g.backend) {
    case 'mwan3':
      return createMwan3Backend({
        spawner: p.spawner, fs: p.fs, clock: p.clock, signals: p.signals, log, runDir,
        uptimeS: () => p.uptimeS(), drain: g.drain, drainOnRecovery: g.drainOnRecovery, mmxMask: g.mmxMask, pid: p.pid,
      });
    case 'route':
      return createRouteBackend({
        spawner: p.spawner, fs: p.fs, clock: p.clock, log, runDir, table: g.routeTable, metric: g.routeMetric,
        drain: g.drain, drainOnRecovery: g.drainOnRecovery, pid: p.pid,
        resilient: g.routeResilient ? { idleTimerS: g.routeIdleTimerS } : false,
      });
    case 'none':
      return createNoneBackend(log);
  }
}

/** Loads and validates the configuration (devices only netifd knows are looked up with ubus);
 *  prints problems. null = do not run. */
export async function loadOrReport(p: Platform, configDir: string): Promise<Config | null> {
  const { config, problems } = await loadConfig({ fs: p.fs, spawner: p.spawner }, configDir, { hostname: p.hostname() });
  // the lines already say error/warning: only the program name goes in front (for logread)
  for (const line of formatProblems(problems).split('\n')) if (line) p.write('stderr', `wanpulse: ${line}\n`);
  return config;
}

/** fping's version decides how probes get mwan3's mark (docs/mwan3.md, "Marks and ids"). */
export async function probeMode(p: Platform, log: Log, config: Config): Promise<ProbeMode | null> {
  const checked = await checkFping(p.spawner, config.global.fpingPath);
  if ('error' in checked) { log.error(checked.error); return null; }
  const ver = checked.version;
  const wantMark = config.global.backend === 'mwan3' && config.global.mwan3Wrap !== 'off';
  if (!wantMark) return { wrap: false, fwmark: false };
  if (ver >= 502) return { wrap: false, fwmark: true };
  const hasLib = await p.fs.exists(MWAN3_WRAP_LIB);
  if (hasLib) return { wrap: true, fwmark: false };
  if (config.global.mwan3Wrap === 'on') {
    log.error(`mwan3_wrap is on but ${MWAN3_WRAP_LIB} is missing and fping ${Math.floor(ver / 100)}.${ver % 100} has no --fwmark`);
    return null;
  }
  log.warn(`probes are not marked 0x3f00 (fping < 5.2 and no ${MWAN3_WRAP_LIB}): mwan3 may balance them`);
  return { wrap: false, fwmark: false };
}
