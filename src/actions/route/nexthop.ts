// Pure planning for the route backend's resilient nexthop groups (Linux ≥ 5.13): the ids of the
// nexthop objects wanpulse owns, the `ip nexthop` / `ip route` arguments that install them, and
// reading back what the kernel holds. No IO here: resilient.ts runs the commands.
//
// Why resilient groups: a classic multipath route maps flows to nexthops by hash threshold, so
// adding a nexthop back moves many *active* flows to another uplink, where NAT breaks them. A
// resilient group maps flows to a table of buckets; a bucket only moves to another nexthop once it
// has been idle for idle_timer (or its nexthop left the group), so active flows keep their uplink.
import type { Family } from '../../config/types.ts';
import type { Nexthop, RoutePlan } from './plan.ts';

export interface ResilientOptions {
  /** size of the bucket table; weights are resolved to buckets (fixed for the group's life) */
  buckets: number;
  /** a bucket unused this long may move to the nexthop that is short of buckets */
  idleTimerS: number;
  /** after this long unbalanced, busy buckets move too (breaking their NATed flows); 0 = never */
  unbalancedTimerS: number;
}

export const RESILIENT_DEFAULTS: ResilientOptions = { buckets: 128, idleTimerS: 30, unbalancedTimerS: 0 };

/**
 * wanpulse's nexthop ids: 0x57500000 ("WP") + 0x000–0x1ff. Routing daemons allocate from the
 * bottom (FRR's own ids) or from 2^28 (FRR protocol groups); this block is far from both.
 * Per family a 0x100 block: the group at its start, member i (config order) at start + 1 + i.
 */
export const NEXTHOP_ID_BASE = 0x5750_0000;
export const NEXTHOP_ID_COUNT = 0x200;
const familyBase = (family: Family): number => NEXTHOP_ID_BASE + (family === 'ipv6' ? 0x100 : 0);
export const groupId = (family: Family): number => familyBase(family);
export const memberId = (family: Family, index: number): number => familyBase(family) + 1 + index;
/** the support probe's blackhole nexthop and group (deleted right after the probe) */
export const PROBE_IDS = { member: NEXTHOP_ID_BASE + 0xfe, group: NEXTHOP_ID_BASE + 0xff } as const;
export const isOurs = (id: number): boolean => id >= NEXTHOP_ID_BASE && id < NEXTHOP_ID_BASE + NEXTHOP_ID_COUNT;

const familyFlag = (family: Family): string => (family === 'ipv6' ? '-6' : '-4');

export interface GroupMember { id: number; hop: Nexthop }

/** The member objects of a plan: `indexOf` gives each member's stable index within its family. */
export function groupMembers(plan: RoutePlan, indexOf: (name: string) => number): GroupMember[] {
  return plan.members.map((name, i) => ({ id: memberId(plan.family, indexOf(name)), hop: plan.nexthops[i]! }));
}

export function nexthopReplaceArgs(family: Family, m: GroupMember): string[] {
  return [familyFlag(family), 'nexthop', 'replace', 'id', String(m.id), ...(m.hop.gateway ? ['via', m.hop.gateway] : []), 'dev', m.hop.device];
}

/** `ip nexthop replace id G group a,w/b,w type resilient …`; null for an empty group (never installed). */
export function groupReplaceArgs(family: Family, members: GroupMember[], opts: ResilientOptions): string[] | null {
  if (members.length === 0) return null;
  // a group takes its family from its members: the kernel refuses one given with -4/-6
  return [
    'nexthop', 'replace', 'id', String(groupId(family)),
    'group', members.map((m) => `${m.id},${m.hop.weight}`).join('/'),
    'type', 'resilient', 'buckets', String(opts.buckets),
    'idle_timer', String(opts.idleTimerS), 'unbalanced_timer', String(opts.unbalancedTimerS),
  ];
}

export function groupRouteArgs(family: Family, table: string, metric: number): string[] {
  return [familyFlag(family), 'route', 'replace', 'default', 'nhid', String(groupId(family)), 'table', table, 'metric', String(metric)];
}

export interface JsonNexthop {
  id: number;
  gateway?: string;
  dev?: string;
  blackhole?: unknown;
  group?: { id: number; weight?: number }[];
  type?: string;
  resilient_args?: { buckets?: number; idle_timer?: number; unbalanced_timer?: number };
}

/** `ip -j nexthop list` → objects by id (empty for unexpected output). */
export function parseNexthops(jsonText: string): Map<number, JsonNexthop> {
  const out = new Map<number, JsonNexthop>();
  let list: unknown;
  try { list = JSON.parse(jsonText.trim() || '[]'); } catch { return out; }
  if (!Array.isArray(list)) return out;
  for (const n of list as JsonNexthop[]) if (n && typeof n.id === 'number') out.set(n.id, n);
  return out;
}

/** The nhid of the default route with `metric` in `ip -j route show … default`, or null. */
export function routeNhid(jsonText: string, metric: number): number | null {
  let routes: unknown;
  try { routes = JSON.parse(jsonText.trim() || '[]'); } catch { return null; }
  if (!Array.isArray(routes)) return null;
  const r = (routes as { dst?: string; metric?: number; nhid?: number }[]).find((x) => x?.dst === 'default' && (x.metric ?? 0) === metric);
  return typeof r?.nhid === 'number' ? r.nhid : null;
}

/** What differs between the kernel's group (and its members) and the wanted one; null = the same. */
export function groupDifference(family: Family, want: GroupMember[], have: Map<number, JsonNexthop>, opts: ResilientOptions): string | null {
  const g = have.get(groupId(family));
  if (!g) return 'the nexthop group is missing';
  if (g.type !== 'resilient' || !g.group) return 'the nexthop group is not resilient';
  const a = g.resilient_args ?? {};
  if (a.buckets !== opts.buckets || a.idle_timer !== opts.idleTimerS || a.unbalanced_timer !== opts.unbalancedTimerS) return 'the group\'s bucket settings changed';
  const members = new Map(g.group.map((m) => [m.id, m.weight ?? 1]));
  if (members.size !== want.length || want.some((w) => members.get(w.id) !== w.hop.weight)) return 'the group\'s members changed';
  for (const w of want) {
    const n = have.get(w.id);
    if (!n || n.dev !== w.hop.device || (n.gateway ?? undefined) !== w.hop.gateway) return `nexthop ${w.id} (dev ${w.hop.device}) is missing or changed`;
  }
  return null;
}

/**
 * Our nexthop ids that nothing needs: members no group references (uplinks taken out, removed
 * from the config, probe leftovers). Groups are kept unless `dropGroups` (a route may use them).
 */
export function staleIds(have: Map<number, JsonNexthop>, dropGroups: boolean): number[] {
  const ours = [...have.keys()].filter(isOurs);
  const groups = ours.filter((id) => have.get(id)?.group && (dropGroups || id === PROBE_IDS.group));
  // a member is needed while any remaining group (ours or anyone's) references it
  const referenced = new Set<number>();
  for (const n of have.values()) if (!groups.includes(n.id)) for (const m of n.group ?? []) referenced.add(m.id);
  const members = ours.filter((id) => !have.get(id)?.group && !referenced.has(id));
  // groups first: their members can only go once the group is gone
  return [...groups, ...members];
}
