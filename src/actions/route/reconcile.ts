// reconcile() of the route backend, for one family: is the kernel's default route (or resilient
// group) still the one wanpulse installed? If something changed it (netifd, a script, `ip route`),
// it is put back; a problem that persists is logged once, not every round.
import type { Family } from '../../config/types.ts';
import type { Log, Spawner } from '../../platform/ports.ts';
import { describeNexthops, parseDefaultRoute, routeShowArgs, sameNexthops, type RoutePlan } from './plan.ts';
import type { ResilientInstaller } from './resilient.ts';

/** apply() found that a switchover changed the route since the check read the kernel: the
 *  check's finding is stale, nothing was done (the next round checks again). */
export const SUPERSEDED = 'superseded';

/** What the check needs of the backend. The reads run without its lock (each spawns `ip`: a
 *  switchover must not wait behind them); apply takes the lock and answers SUPERSEDED when a
 *  switchover came in between. */
export interface RouteCheck {
  spawner: Spawner;
  log: Log;
  ipPath: string;
  table: string;
  metric: number;
  /** null = classic multipath route */
  groups: ResilientInstaller | null;
  /** last problem per family, so a persisting failure is logged once */
  lastProblem: Map<Family, string>;
  /** the route as it should be now */
  plan(family: Family): RoutePlan;
  /** installs it again; an error text, null, or SUPERSEDED */
  apply(family: Family, onWarning: (w: string) => void): Promise<string | null>;
}

/** Checks one family's route and repairs it; returns what was re-applied, or null. */
export async function checkFamily(c: RouteCheck, family: Family): Promise<string | null> {
  const wantPlan = c.plan(family);
  const want = wantPlan.nexthops;
  if (want.length === 0) return null;
  if (c.groups) {
    const checked = await c.groups.check(wantPlan);
    if ('error' in checked) { note(c, family, checked.error); return null; }
    if (checked.difference === null) { c.lastProblem.delete(family); return null; }
    const warnings: string[] = [];
    const error = await c.apply(family, (w) => warnings.push(w));
    if (error === SUPERSEDED) return null;
    if (error) { note(c, family, `${checked.difference}; ${error}`); return null; }
    const warning = warnings[0];
    // a member whose device is down cannot be created: that persists, report it once
    if (warning !== undefined && c.lastProblem.get(family) === warning) return null;
    if (warning !== undefined) note(c, family, warning);
    else c.lastProblem.delete(family);
    return repaired(c, `re-applied the ${family} default route in table ${c.table} (${checked.difference}; was ${checked.have}, now ${describeNexthops(want)})`);
  }
  let have: ReturnType<typeof parseDefaultRoute> = [];
  try {
    // an unused numbered table does not exist yet: ip exits 2, which reads as "no route"
    const shown = await c.spawner.run([c.ipPath, ...routeShowArgs(family, c.table)], { timeoutMs: 3000 });
    if (shown.code === 0) have = parseDefaultRoute(shown.stdout, c.metric);
  } catch (e) {
    note(c, family, `ip route show: ${(e as Error).message}`);
    return null;
  }
  if (sameNexthops(want, have)) { c.lastProblem.delete(family); return null; }
  const error = await c.apply(family, (w) => c.log.warn(`route: ${w}`));
  if (error === SUPERSEDED) return null;
  if (error) { note(c, family, error); return null; }
  c.lastProblem.delete(family);
  return repaired(c, `re-applied the ${family} default route in table ${c.table} (was ${describeNexthops(have)}, now ${describeNexthops(want)})`);
}

function repaired(c: RouteCheck, what: string): string {
  c.log.warn(`route: ${what}`);
  return what;
}

function note(c: RouteCheck, family: Family, problem: string): void {
  if (c.lastProblem.get(family) === problem) return;
  c.lastProblem.set(family, problem);
  c.log.error(`route: reconcile of the ${family} default route failed: ${problem}`);
}
