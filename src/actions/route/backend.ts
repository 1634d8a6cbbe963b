// The route backend (plain Linux without mwan3): wanpulse owns ONE default route per family in a
// routing table over the usable uplinks of the preferred tier. Where the kernel supports them
// (Linux ≥ 5.13, iproute2 ip) that route points at a resilient nexthop group (resilient.ts),
// which keeps active flows on their uplink when a member comes back; otherwise it is a classic
// multipath route swapped with `ip route replace`. Either way every change is atomic: there is
// never a moment without a default route.
//
// Invariants kept here:
// - an uplink is written to the ownership record before it leaves the route, and removed from the
//   record only once it is back in the route, so start() after a crash can put everything back;
// - the route is never emptied: taking out the last usable uplink of a family is refused
//   (that decision belongs to the planner, this is only the safety net);
// - every route change is computed from the current ownership and applied under one lock, so
//   switchovers of different uplinks running in parallel cannot undo each other.
import type { Family, InterfaceConfig } from '../../config/types.ts';
import type { Clock, FileSystem, Log, Spawner } from '../../platform/ports.ts';
import type { StepTiming } from '../../status/model.ts';
import type { Backend, ReconcileReport, SwitchResult } from '../backend.ts';
import { Ownership } from '../ownership.ts';
import { drainUplink, primeAddresses } from './drain.ts';
import type { AddressCache, RouteDrainDeps } from './drain.ts';
import { RESILIENT_DEFAULTS } from './nexthop.ts';
import type { ResilientOptions } from './nexthop.ts';
import { installClassic, setHashPolicy } from './classic.ts';
import { describeNexthops, familiesOf, planRoute } from './plan.ts';
import { checkFamily, SUPERSEDED, type RouteCheck } from './reconcile.ts';
import { createIpRunner, type IpRunner } from './ip-batch.ts';
import { createResilientInstaller, probeResilient } from './resilient.ts';
import type { InstallResult, ResilientInstaller } from './resilient.ts';

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
  /** on recovery, drain the flows of the family's other uplinks so every flow follows the new route
   *  (classic multipath route only: a resilient group keeps active flows where they are) */
  drainOnRecovery: boolean;
  /** resilient nexthop group settings (defaults: RESILIENT_DEFAULTS); false = always the classic
   *  multipath route. Without kernel support the classic route is used anyway. */
  resilient?: Partial<ResilientOptions> | false;
  /** reconcile() reads the kernel's route at most this often: each check spawns `ip` (one or two
   *  processes), which costs real CPU on a small router. Default 5000; tests pass 0. */
  checkEveryMs?: number;
  ipPath?: string;
  /** route changes go to a long-lived `ip -batch` child (ip-batch.ts); false: spawn ip per change */
  ipBatch?: boolean;
  /** a batch command unanswered this long: the child is killed and the change spawned (default 500) */
  ipBatchDeadlineMs?: number;
  conntrackPath?: string;
  /** write fib_multipath_hash_policy under /proc/sys (off in unit tests) */
  sysctl?: boolean;
  /** recorded in the ownership file */
  pid?: number;
}

export type RouteBackend = Backend & { owned(): string[]; readonly ip: IpRunner };

export function createRouteBackend(deps: RouteBackendDeps): RouteBackend {
  const { spawner, fs, clock, log, table, metric } = deps;
  const ipPath = deps.ipPath ?? 'ip';
  const ipRunner = createIpRunner({ spawner, clock, log, ipPath, deadlineMs: deps.ipBatchDeadlineMs, batch: deps.ipBatch });
  const ip = ipRunner.run;
  const drainDeps: RouteDrainDeps = { spawner, log, ipPath, conntrackPath: deps.conntrackPath ?? 'conntrack' };
  /** each uplink's addresses, looked up at start and at each drain (drain.ts) */
  const addresses: AddressCache = new Map();
  const ownership = new Ownership(fs, `${deps.runDir}/route-owned.json`, 'route', deps.pid ?? 0);
  let ifaces: InterfaceConfig[] = [];
  /** last reconcile problem per family, so a persisting failure is logged once */
  const lastProblem = new Map<Family, string>();
  /** set by start() when the kernel supports resilient groups; null = classic multipath route */
  let groups: ResilientInstaller | null = null;
  let lastCheckMs: number | null = null;
  const resilientOpts: ResilientOptions = { ...RESILIENT_DEFAULTS, ...(deps.resilient || {}) };
  /** stable per run: an uplink's position among its family's uplinks names its nexthop object */
  const indexOf = (name: string): number => {
    const i = ifaces.find((x) => x.name === name);
    return ifaces.filter((x) => x.family === i?.family).findIndex((x) => x.name === name);
  };

  /** counts route changes of switchovers (reconcile's reads are stale once it moved) */
  let changes = 0;
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

  /**
   * Installs the family's route without the `unusable` uplinks; returns an error text or null.
   * `full` (re)creates every member nexthop of a group (see ResilientInstaller.install); a
   * warning (a member left out of the group) is logged, or handed to `onWarning`.
   */
  async function apply(family: Family, unusable: ReadonlySet<string>, full = true, onWarning?: (w: string) => void): Promise<string | null> {
    const plan = planRoute(ifaces, family, unusable);
    if (groups) {
      const r: InstallResult = await groups.install(plan, full);
      if (r.warning) (onWarning ?? ((w: string) => log.warn(`route: ${w}`)))(r.warning);
      return r.error;
    }
    return installClassic(ip, plan, table, metric);
  }

  const ownedSet = (): Set<string> => new Set(ownership.list());

  async function drainAll(names: InterfaceConfig[], steps: StepTiming[], started: number): Promise<number> {
    let deleted = 0;
    for (const i of names) {
      const report = await drainUplink(drainDeps, i.device, i.family, addresses);
      deleted += report.deleted;
      for (const e of report.errors) log.warn(`route: drain of ${i.name}: ${e}`);
    }
    steps.push({ step: 'drain', ms: clock.nowMs() - started });
    return deleted;
  }

  return {
    name: 'route',

    owned: () => ownership.list(),
    ip: ipRunner,

    async start(list, keep = new Set()) {
      ifaces = [];
      for (const i of list) remember(i);
      // No run directory: no record in it either, and the daemon has already said what running
      // without it costs (status/run-dir.ts); an unreadable record is worth an error of its own.
      const noRunDir = await fs.mkdirp(deps.runDir).then(() => false, () => true);
      if (!noRunDir) try {
        const previous = await ownership.loadPrevious();
        const left = Object.keys(previous?.owned ?? {});
        // tracked ones the caller keeps stay out of the route until their first rounds decide,
        // unless that would leave a family without an uplink
        const kept = ifaces.filter((i) => left.includes(i.name) && keep.has(i.name)
          && planRoute(ifaces, i.family, new Set(left.filter((n) => keep.has(n)))).nexthops.length > 0);
        for (const i of kept) await ownership.add(i.name, { since: previous!.owned[i.name]!.since, device: i.device, mark: 0 });
        const back = left.filter((n) => !kept.some((i) => i.name === n));
        if (kept.length > 0) log.info(`route: keeping out what an earlier wanpulse (pid ${previous?.pid}) left out, until its first rounds decide: ${kept.map((i) => i.name).join(', ')}`);
        if (back.length > 0) log.warn(`route: putting back uplinks an earlier wanpulse (pid ${previous?.pid}) left out of the route: ${back.join(', ')}`);
      } catch (e) {
        log.error(`route: cannot read the ownership record in ${deps.runDir}: ${(e as Error).message}`);
      }
      // the addresses a drain deletes by, so that it need not look them up first
      if (deps.drain || deps.drainOnRecovery) await primeAddresses(drainDeps, addresses, ifaces);
      // the batch child(ren) first: start-up's own changes already go through them. A device-only
      // IPv6 nexthop needs a child started with -6 (a batch line cannot carry the family)
      await ipRunner.start(ifaces.some((i) => i.family === 'ipv6' && !i.gateway) ? ['', '-6'] : ['']);
      groups = null;
      if (deps.resilient !== false && ifaces.length > 0) {
        const unsupported = await probeResilient(spawner, ipPath);
        if (unsupported) log.warn(`route: resilient nexthop groups are not available (${unsupported}); using a classic multipath route: a recovering uplink takes over some active flows`);
        else groups = createResilientInstaller({ spawner, ip, log, ipPath, table, metric, opts: resilientOpts, indexOf });
      }
      const how = groups
        ? `resilient nexthop group (buckets ${resilientOpts.buckets}, idle_timer ${resilientOpts.idleTimerS}s, unbalanced_timer ${resilientOpts.unbalancedTimerS}s)`
        : 'multipath route';
      if (groups && deps.drainOnRecovery) log.info('route: drain_on_recovery is not needed with resilient nexthop groups (active flows keep their uplink); only uplinks that leave the route are drained');
      let allInstalled = true;
      for (const family of familiesOf(ifaces)) {
        if (deps.sysctl !== false) await setHashPolicy(fs, log, family);
        const error = await exclusive(() => apply(family, ownedSet()));
        const plan = planRoute(ifaces, family, ownedSet());
        if (error) allInstalled = false;
        if (error) log.error(`route: cannot install the ${family} default route (reconcile retries): ${error}`);
        else log.info(`route: ${family} default route in table ${table} metric ${metric}, ${how}: ${describeNexthops(plan.nexthops)}`);
      }
      // leftovers of earlier runs: members of a bigger config; with groups switched off, the old
      // groups (only once the classic routes replaced them: deleting a group deletes its route)
      if (groups) await exclusive(() => groups!.prune(false));
      else if (deps.resilient === false && allInstalled) {
        const installer = createResilientInstaller({ spawner, ip, log, ipPath, table, metric, opts: resilientOpts, indexOf });
        await exclusive(() => installer.prune(true));
      }
      if (!noRunDir) try { await ownership.save(); } catch (e) { log.error(`route: cannot write the ownership record: ${(e as Error).message}`); }
    },

    async takeDown(iface, reason) {
      const started = clock.nowMs();
      const steps: StepTiming[] = [];
      let routedAt: number | undefined;
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
          changes++;
          const error = wasInRoute ? await apply(iface.family, ownedSet(), false) : null;
          if (error) {
            await ownership.remove(iface.name);
            return { ok: false, steps, error };
          }
          if (wasInRoute) routedAt = clock.nowMs();
          steps.push({ step: 'route', ms: clock.nowMs() - started });
          return null;
        });
        if (outcome) return outcome;
        const deleted = deps.drain ? await drainAll([iface], steps, started) : 0;
        const now = planRoute(ifaces, iface.family, ownedSet());
        log.info(`route: took ${iface.name} out (${reason}); ${iface.family} route now ${describeNexthops(now.nexthops)}${deps.drain ? `; drained ${deleted} flows` : ''}`);
        return { ok: true, steps, ...(routedAt === undefined ? {} : { routedAt }) };
      } catch (e) {
        return { ok: false, steps, error: `take down ${iface.name}: ${(e as Error).message}` };
      }
    },

    async bringUp(iface, reason) {
      const started = clock.nowMs();
      const steps: StepTiming[] = [];
      let routedAt: number | undefined;
      remember(iface);
      try {
        let leaving: InterfaceConfig[] = [];
        const error = await exclusive(async (): Promise<string | null> => {
          if (!ownership.owns(iface.name)) return null;
          const before = planRoute(ifaces, iface.family, ownedSet()).members;
          const without = ownedSet();
          without.delete(iface.name);
          const after = planRoute(ifaces, iface.family, without).members;
          changes++;
          const failed = await apply(iface.family, without);
          if (failed) return failed;
          // a backup tier handing back: its flows are moved to the recovered uplink at once
          leaving = ifaces.filter((i) => before.includes(i.name) && !after.includes(i.name));
          routedAt = clock.nowMs();
          steps.push({ step: 'route', ms: routedAt - started });
          // back in the route = handed back: clear it now, under the lock, so a parallel
          // switchover never plans with a stale record
          await ownership.remove(iface.name);
          return null;
        });
        if (error) return { ok: false, steps, error };
        if (steps.length === 0) return { ok: true, steps };
        // A resilient group moves no active flow of the members that stay (their buckets migrate
        // only once idle), so only uplinks that left the route are drained, as on the way down.
        // The classic route re-hashes every flow: drain_on_recovery drains all the other uplinks.
        const owned = ownedSet();
        const toDrain = !groups && deps.drainOnRecovery
          ? ifaces.filter((i) => i.family === iface.family && i.name !== iface.name && !owned.has(i.name))
          : deps.drain ? leaving : [];
        const deleted = toDrain.length > 0 ? await drainAll(toDrain, steps, started) : 0;
        const now = planRoute(ifaces, iface.family, ownedSet());
        const drained = toDrain.length > 0 ? `; drained ${deleted} flows of ${toDrain.map((i) => i.name).join(', ')}` : '';
        log.info(`route: put ${iface.name} back (${reason}); ${iface.family} route now ${describeNexthops(now.nexthops)}${drained}`);
        return { ok: true, steps, ...(routedAt === undefined ? {} : { routedAt }) };
      } catch (e) {
        return { ok: false, steps, error: `bring up ${iface.name}: ${(e as Error).message}` };
      }
    },

    async reconcile(): Promise<ReconcileReport> {
      const repaired: string[] = [];
      const now = deps.clock.nowMs();
      if (lastCheckMs !== null && now - lastCheckMs < (deps.checkEveryMs ?? 5000)) return { offlineByMwan3: [], repaired };
      lastCheckMs = now;
      // the kernel is read without the lock, so a switchover never waits behind these spawns;
      // a repair is made only if no switchover changed the route since the read began
      const seen = changes;
      const check: RouteCheck = {
        spawner, log, ipPath, table, metric, groups, lastProblem,
        plan: (family) => planRoute(ifaces, family, ownedSet()),
        apply: (family, onWarning) => exclusive(async () => (changes !== seen ? SUPERSEDED : apply(family, ownedSet(), true, onWarning))),
      };
      for (const family of familiesOf(ifaces)) {
        const what = await checkFamily(check, family);
        if (what) repaired.push(what);
      }
      return { offlineByMwan3: [], repaired };
    },

    async stop() {
      await exclusive(async () => {
        const owned = ownership.list();
        // the route and group stay (with every uplink); only unused member objects go
        if (owned.length === 0) { await groups?.prune(false); return; }
        let allBack = true;
        changes++;
        for (const family of familiesOf(ifaces)) {
          const error = await apply(family, new Set());
          if (error) { allBack = false; log.error(`route: cannot put the ${family} uplinks back: ${error}`); }
        }
        // on failure the record stays, so the next start puts them back
        if (!allBack) return;
        await groups?.prune(false);
        for (const name of owned) await ownership.remove(name);
        log.info(`route: put back ${owned.join(', ')} on stop`);
      }).finally(() => ipRunner.stop());
    },
  };
}
