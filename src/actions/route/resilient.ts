// Installs the route backend's default route as `default nhid G`, G a resilient nexthop group
// (see nexthop.ts for why), and checks it back. One group per family: IPv4 and IPv6
// nexthops cannot share a group. A single usable uplink stays a group of one, so that adding the
// next member back is a bucket migration (active flows stay) rather than a fresh hash mapping.
import type { Family } from '../../config/types.ts';
import type { Log, Spawner } from '../../platform/ports.ts';
import type { IpRun } from './ip-batch.ts';
import type { RoutePlan } from './plan.ts';
import { describeNexthops, parseDefaultRoute, routeReplaceArgs, routeShowArgs } from './plan.ts';
import type { GroupMember, ResilientOptions } from './nexthop.ts';
import {
  PROBE_IDS, groupDifference, groupId, groupMembers, groupReplaceArgs, groupRouteArgs, nexthopReplaceArgs,
  parseNexthops, routeNhid, staleIds,
} from './nexthop.ts';

export interface ResilientDeps {
  spawner: Spawner;
  /** runs the changing commands (the batch child: ip-batch.ts) */
  ip: IpRun;
  log: Log;
  ipPath: string;
  table: string;
  metric: number;
  opts: ResilientOptions;
  /** stable index of an uplink among its family's uplinks (gives its nexthop id) */
  indexOf: (name: string) => number;
}

export interface InstallResult {
  /** the route was not changed */
  error: string | null;
  /** the route changed, but not every planned member could be created (e.g. its device is down) */
  warning: string | null;
}

export type CheckResult = { error: string } | { difference: string | null; have: string };

const lastLine = (s: string): string => s.trim().split('\n').pop() ?? '';

export function createResilientInstaller(d: ResilientDeps) {
  const ip = d.ip;

  async function listNexthops() {
    const r = await d.spawner.run([d.ipPath, '-j', 'nexthop', 'list'], { timeoutMs: 3000 });
    if (r.code !== 0) throw new Error(`ip -j nexthop list: ${lastLine(r.stderr) || `exit ${r.code ?? r.signal}`}`);
    return parseNexthops(r.stdout);
  }

  /** Group and route for `members`; when the group cannot be replaced in place (other bucket
   *  count or type: the kernel refuses), it is rebuilt under a temporary classic route. */
  async function installGroup(family: Family, members: GroupMember[]): Promise<string | null> {
    const args = groupReplaceArgs(family, members, d.opts)!;
    let error = await ip(args);
    if (error) {
      const plan: RoutePlan = { family, members: [], nexthops: members.map((m) => m.hop) };
      const bridge = await ip(routeReplaceArgs(plan, d.table, d.metric)!);
      if (bridge) return `${error}; ${bridge}`;
      await ip(['nexthop', 'del', 'id', String(groupId(family))]);
      error = await ip(args);
      if (error) return error;
      d.log.warn(`route: rebuilt the ${family} nexthop group ${groupId(family)} (the old one could not be changed in place)`);
    }
    return ip(groupRouteArgs(family, d.table, d.metric));
  }

  return {
    /**
     * Installs `plan`. `full`: (re)create every member nexthop first (start, recovery, repair);
     * otherwise only the group is replaced, falling back to full when a member is gone (the
     * kernel deletes the nexthops of a device that loses carrier).
     */
    async install(plan: RoutePlan, full: boolean): Promise<InstallResult> {
      const members = groupMembers(plan, d.indexOf);
      if (members.length === 0) return { error: `no usable ${plan.family} uplink left for the route`, warning: null };
      if (!full && (await ip(groupReplaceArgs(plan.family, members, d.opts)!)) === null) {
        return { error: await ip(groupRouteArgs(plan.family, d.table, d.metric)), warning: null };
      }
      const created: GroupMember[] = [];
      const failures: string[] = [];
      for (const m of members) {
        const error = await ip(nexthopReplaceArgs(plan.family, m));
        if (error) failures.push(error);
        else created.push(m);
      }
      if (created.length === 0) return { error: failures.join('; '), warning: null };
      const error = await installGroup(plan.family, created);
      if (error) return { error, warning: null };
      return { error: null, warning: failures.length ? `left out of the ${plan.family} group: ${failures.join('; ')}` : null };
    },

    /** Compares the kernel's route, group and members with `plan`. */
    async check(plan: RoutePlan): Promise<CheckResult> {
      try {
        // an unused numbered table does not exist yet: ip exits 2, which reads as "no route"
        const shown = await d.spawner.run([d.ipPath, ...routeShowArgs(plan.family, d.table)], { timeoutMs: 3000 });
        const routeJson = shown.code === 0 ? shown.stdout : '[]';
        const have = describeNexthops(parseDefaultRoute(routeJson, d.metric));
        const nhid = routeNhid(routeJson, d.metric);
        if (nhid !== groupId(plan.family)) return { difference: `the default route does not use nexthop group ${groupId(plan.family)}`, have };
        const difference = groupDifference(plan.family, groupMembers(plan, d.indexOf), await listNexthops(), d.opts);
        return { difference, have };
      } catch (e) {
        return { error: (e as Error).message };
      }
    },

    /** Deletes our nexthop objects nothing uses (with `dropGroups`, our groups too). Best effort. */
    async prune(dropGroups: boolean): Promise<void> {
      let stale: number[];
      try { stale = staleIds(await listNexthops(), dropGroups); } catch { return; }
      for (const id of stale) {
        const error = await ip(['nexthop', 'del', 'id', String(id)]);
        if (error) d.log.debug(() => `route: ${error}`);
      }
      if (stale.length) d.log.debug(() => `route: deleted unused nexthops ${stale.join(', ')}`);
    },
  };
}

export type ResilientInstaller = ReturnType<typeof createResilientInstaller>;

/**
 * Whether the kernel and `ip` support resilient nexthop groups, tried with a blackhole nexthop in
 * a group of one (no uplink needed). null = supported, otherwise why not.
 */
export async function probeResilient(spawner: Spawner, ipPath: string): Promise<string | null> {
  const run = async (args: string[]): Promise<string | null> => {
    try {
      const r = await spawner.run([ipPath, ...args], { timeoutMs: 3000 });
      return r.code === 0 ? null : lastLine(r.stderr) || `exit ${r.code ?? r.signal}`;
    } catch (e) {
      return (e as Error).message;
    }
  };
  const member = String(PROBE_IDS.member);
  const group = String(PROBE_IDS.group);
  const listed = await run(['-j', 'nexthop', 'list']);
  if (listed) return `ip nexthop: ${listed}`;
  let why = await run(['-4', 'nexthop', 'replace', 'id', member, 'blackhole']);
  if (!why) why = await run(['nexthop', 'replace', 'id', group, 'group', member, 'type', 'resilient', 'buckets', '8']);
  await run(['nexthop', 'del', 'id', group]);
  await run(['nexthop', 'del', 'id', member]);
  return why ? `resilient nexthop group: ${why}` : null;
}
