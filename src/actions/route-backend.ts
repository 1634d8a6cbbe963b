// The route backend (plain Linux without mwan3): wanpulse owns ONE default route per family in a
// routing table, a multipath route over the usable uplinks of the preferred tier, and swaps it
// with `ip route replace` (one netlink message: there is never a moment without a default route).
//
// Invariants kept here:
// - an uplink is written to the ownership record before it leaves the route, and removed from the
//   record only once it is back in the route, so start() after a crash can put everything back;
// - the route is never emptied: taking out the last usable uplink of a family is refused
//   (that decision belongs to the planner, this is only the safety net);
// - every route change is computed from the current ownership and applied under one lock, so
//   switchovers of different uplinks running in parallel cannot undo each other.
import type { Family, InterfaceConfig } from '../config/types.ts';
import type { Clock, FileSystem, Log, Spawner } from '../platform/ports.ts';
import type { StepTiming } from '../status/model.ts';
import type { Backend, ReconcileReport, SwitchResult } from './backend.ts';
import { Ownership } from './ownership.ts';
import { drainUplink } from './route-drain.ts';
import type { RouteDrainDeps } from './route-drain.ts';
import {
  describeNexthops, familiesOf, parseDefaultRoute, planRoute, routeReplaceArgs, routeShowArgs, sameNexthops,
} from './route-plan.ts';

export interface RouteBackendDeps {
  spawner: Spawner;
  fs: FileSystem;
  clock: Clock;
  log: Log;
  /** where the ownership record lives (/var/run/wanpulse) */
  runDir: string;
  /** routing table of the managed route: 'main' or a number */
  table: string;
  metric: number;
  /** drain the flows of an uplink taken out of the route */
  drain: boolean;
  /** on recovery, drain the flows of the family's other uplinks so every flow follows the new route */
  drainOnRecovery: boolean;
  ipPath?: string;
  conntrackPath?: string;
  /** write fib_multipath_hash_policy under /proc/sys (off in unit tests) */
  sysctl?: boolean;
  /** recorded in the ownership file */
  pid?: number;
}

export type RouteBackend = Backend & { owned(): string[] };

const lastLine = (s: string): string => s.trim().split('\n').pop() ?? '';

export function createRouteBackend(deps: RouteBackendDeps): RouteBackend {
  const { spawner, fs, clock, log, table, metric } = deps;
  const ipPath = deps.ipPath ?? 'ip';
  const drainDeps: RouteDrainDeps = { spawner, log, ipPath, conntrackPath: deps.conntrackPath ?? 'conntrack' };
  const ownership = new Ownership(fs, `${deps.runDir}/route-owned.json`, 'route', deps.pid ?? 0);
  let ifaces: InterfaceConfig[] = [];
  /** last reconcile problem per family, so a persisting failure is logged once */
  const lastProblem = new Map<Family, string>();

  let lock: Promise<unknown> = Promise.resolve();
  function exclusive<T>(fn: () => Promise<T>): Promise<T> {
    const next = lock.then(fn, fn);
    lock = next.catch(() => undefined);
    return next;
  }

  function remember(iface: InterfaceConfig): void {
    const at = ifaces.findIndex((i) => i.name === iface.name);
    if (at >= 0) ifaces[at] = iface;
    else ifaces.push(iface);
  }

  /** Installs the family's route without the `unusable` uplinks; returns an error text or null. */
  async function apply(family: Family, unusable: ReadonlySet<string>): Promise<string | null> {
    const args = routeReplaceArgs(planRoute(ifaces, family, unusable), table, metric);
    if (!args) return `no usable ${family} uplink left for the route`;
    try {
      const r = await spawner.run([ipPath, ...args], { timeoutMs: 5000 });
      if (r.code === 0) return null;
      return `ip ${args.join(' ')}: ${lastLine(r.stderr) || `exit ${r.code ?? r.signal}`}`;
    } catch (e) {
      return `ip route replace: ${(e as Error).message}`;
    }
  }

  const ownedSet = (): Set<string> => new Set(ownership.list());

  async function setHashPolicy(family: Family): Promise<void> {
    // L4 hashing spreads flows (not just host pairs) over the nexthops; per-netns sysctl
    const path = `/proc/sys/net/${family === 'ipv6' ? 'ipv6' : 'ipv4'}/fib_multipath_hash_policy`;
    try {
      await fs.writeText(path, '1\n');
    } catch (e) {
      log.warn(`route: could not set ${path} to 1 (flows may all hash onto one uplink): ${(e as Error).message}`);
    }
  }

  async function drainAll(names: InterfaceConfig[], steps: StepTiming[], started: number): Promise<number> {
    let deleted = 0;
    for (const i of names) {
      const report = await drainUplink(drainDeps, i.device, i.family);
      deleted += report.deleted;
      for (const e of report.errors) log.warn(`route: drain of ${i.name}: ${e}`);
    }
    steps.push({ step: 'drain', ms: clock.nowMs() - started });
    return deleted;
  }

  return {
    name: 'route',

    owned: () => ownership.list(),

    async start(list) {
      ifaces = [];
      for (const i of list) remember(i);
      try {
        await fs.mkdirp(deps.runDir);
        const previous = await ownership.loadPrevious();
        const left = Object.keys(previous?.owned ?? {});
        if (left.length > 0) log.warn(`route: putting back uplinks an earlier wanpulse (pid ${previous?.pid}) left out of the route: ${left.join(', ')}`);
      } catch (e) {
        log.error(`route: cannot read the ownership record in ${deps.runDir}: ${(e as Error).message}`);
      }
      for (const family of familiesOf(ifaces)) {
        if (deps.sysctl !== false) await setHashPolicy(family);
        const error = await exclusive(() => apply(family, new Set()));
        const plan = planRoute(ifaces, family, new Set());
        if (error) log.error(`route: cannot install the ${family} default route (reconcile retries): ${error}`);
        else log.info(`route: ${family} default route in table ${table} metric ${metric}: ${describeNexthops(plan.nexthops)}`);
      }
      try { await ownership.save(); } catch (e) { log.error(`route: cannot write the ownership record: ${(e as Error).message}`); }
    },

    async takeDown(iface, reason) {
      const started = clock.nowMs();
      const steps: StepTiming[] = [];
      remember(iface);
      try {
        const outcome = await exclusive(async (): Promise<SwitchResult | null> => {
          if (ownership.owns(iface.name)) return { ok: true, steps };
          const without = ownedSet().add(iface.name);
          if (planRoute(ifaces, iface.family, without).nexthops.length === 0) {
            return { ok: false, steps, error: `refusing to take ${iface.name} out of the route: it is the last usable ${iface.family} uplink` };
          }
          const wasInRoute = planRoute(ifaces, iface.family, ownedSet()).members.includes(iface.name);
          await ownership.add(iface.name, { since: clock.wallMs(), device: iface.device, mark: 0 });
          // a backup-tier uplink is not in the route: nothing to replace, but still drained
          const error = wasInRoute ? await apply(iface.family, ownedSet()) : null;
          if (error) {
            await ownership.remove(iface.name);
            return { ok: false, steps, error };
          }
          steps.push({ step: 'route', ms: clock.nowMs() - started });
          return null;
        });
        if (outcome) return outcome;
        const deleted = deps.drain ? await drainAll([iface], steps, started) : 0;
        const now = planRoute(ifaces, iface.family, ownedSet());
        log.info(`route: took ${iface.name} out (${reason}); ${iface.family} route now ${describeNexthops(now.nexthops)}${deps.drain ? `; drained ${deleted} flows` : ''}`);
        return { ok: true, steps };
      } catch (e) {
        return { ok: false, steps, error: `take down ${iface.name}: ${(e as Error).message}` };
      }
    },

    async bringUp(iface, reason) {
      const started = clock.nowMs();
      const steps: StepTiming[] = [];
      remember(iface);
      try {
        const error = await exclusive(async (): Promise<string | null> => {
          if (!ownership.owns(iface.name)) return null;
          const without = ownedSet();
          without.delete(iface.name);
          const failed = await apply(iface.family, without);
          if (failed) return failed;
          steps.push({ step: 'route', ms: clock.nowMs() - started });
          // back in the route = handed back: clear it now, under the lock, so a parallel
          // switchover never plans with a stale record
          await ownership.remove(iface.name);
          return null;
        });
        if (error) return { ok: false, steps, error };
        if (steps.length === 0) return { ok: true, steps };
        let deleted = 0;
        if (deps.drainOnRecovery) {
          const owned = ownedSet();
          const others = ifaces.filter((i) => i.family === iface.family && i.name !== iface.name && !owned.has(i.name));
          deleted = await drainAll(others, steps, started);
        }
        const now = planRoute(ifaces, iface.family, ownedSet());
        log.info(`route: put ${iface.name} back (${reason}); ${iface.family} route now ${describeNexthops(now.nexthops)}${deps.drainOnRecovery ? `; drained ${deleted} flows of the other uplinks` : ''}`);
        return { ok: true, steps };
      } catch (e) {
        return { ok: false, steps, error: `bring up ${iface.name}: ${(e as Error).message}` };
      }
    },

    async reconcile(): Promise<ReconcileReport> {
      const repaired: string[] = [];
      await exclusive(async () => {
        for (const family of familiesOf(ifaces)) {
          const want = planRoute(ifaces, family, ownedSet()).nexthops;
          if (want.length === 0) continue;
          let have: ReturnType<typeof parseDefaultRoute> = [];
          try {
            // an unused numbered table does not exist yet: ip exits 2, which reads as "no route"
            const shown = await spawner.run([ipPath, ...routeShowArgs(family, table)], { timeoutMs: 3000 });
            if (shown.code === 0) have = parseDefaultRoute(shown.stdout, metric);
          } catch (e) {
            note(family, `ip route show: ${(e as Error).message}`);
            continue;
          }
          if (sameNexthops(want, have)) { lastProblem.delete(family); continue; }
          const error = await apply(family, ownedSet());
          if (error) { note(family, error); continue; }
          lastProblem.delete(family);
          const what = `re-applied the ${family} default route in table ${table} (was ${describeNexthops(have)}, now ${describeNexthops(want)})`;
          log.warn(`route: ${what}`);
          repaired.push(what);
        }
      });
      return { offlineByMwan3: [], repaired };
    },

    async stop() {
      await exclusive(async () => {
        const owned = ownership.list();
        if (owned.length === 0) return;
        let allBack = true;
        for (const family of familiesOf(ifaces)) {
          const error = await apply(family, new Set());
          if (error) { allBack = false; log.error(`route: cannot put the ${family} uplinks back: ${error}`); }
        }
        // on failure the record stays, so the next start puts them back
        if (!allBack) return;
        for (const name of owned) await ownership.remove(name);
        log.info(`route: put back ${owned.join(', ')} on stop`);
      });
    },
  };

  function note(family: Family, problem: string): void {
    if (lastProblem.get(family) === problem) return;
    lastProblem.set(family, problem);
    log.error(`route: reconcile of the ${family} default route failed: ${problem}`);
  }
}
